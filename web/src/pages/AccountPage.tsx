import { useEffect, useState, type FormEvent } from 'react';
import QRCode from 'qrcode';
import {
  Alert, Box, Button, Checkbox, FormControlLabel, FormGroup, Paper, Stack, Table, TableBody, TableCell, TableContainer,
  TableHead, TableRow, TextField, Typography,
} from '@mui/material';
import {
  useApiKeysQuery, useCreateKeyMutation, useMeQuery, useRevokeKeyMutation, useTotpDisableMutation, useTotpEnrollMutation,
  useTotpVerifyMutation,
} from '../api/client';
import { errorMessage, type NewApiKey, type Scope } from '../api/types';

const SCOPES: Scope[] = ['jobs:read', 'jobs:write', 'admin'];

function ApiKeys({ isAdmin }: { isAdmin: boolean }) {
  const keys = useApiKeysQuery();
  const [create, createState] = useCreateKeyMutation();
  const [revoke] = useRevokeKeyMutation();
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<Scope[]>(['jobs:read', 'jobs:write']);
  const [days, setDays] = useState('');
  const [created, setCreated] = useState<NewApiKey | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [copied, setCopied] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    setCopied(false);
    const r = await create({ name: name.trim(), scopes, ...(days ? { expires_in_days: Number(days) } : {}) });
    if ('error' in r) return setError(errorMessage(r.error));
    setCreated(r.data);
    setName('');
  };

  const active = (keys.data?.api_keys ?? []).filter((k) => !k.revoked_at);

  return (
    <Paper variant="outlined" sx={{ p: 2 }} component="section" aria-labelledby="keys-heading">
      <Typography id="keys-heading" variant="h6" component="h2">API keys</Typography>
      <Typography variant="body2" color="text.secondary" gutterBottom>
        For scripts, the CLI and SDKs: send <code>Authorization: Bearer qv_…</code>. A key is shown once, when created.
      </Typography>
      <form onSubmit={submit}>
        <Stack direction={{ xs: 'column', md: 'row' }} spacing={1.5} alignItems={{ md: 'center' }}>
          <TextField size="small" label="Key name" value={name} onChange={(e) => setName(e.target.value)} required />
          <FormGroup row aria-label="Scopes">
            {SCOPES.filter((s) => s !== 'admin' || isAdmin).map((s) => (
              <FormControlLabel key={s} label={s} control={
                <Checkbox checked={scopes.includes(s)} onChange={(e) => setScopes(e.target.checked ? [...scopes, s] : scopes.filter((x) => x !== s))} />
              } />
            ))}
          </FormGroup>
          <TextField size="small" label="Expires in days (optional)" type="number" value={days} onChange={(e) => setDays(e.target.value)} inputProps={{ min: 1 }} sx={{ width: 200 }} />
          <Button type="submit" variant="contained" disabled={!name.trim() || scopes.length === 0 || createState.isLoading}>Create key</Button>
        </Stack>
      </form>
      {error && <Alert severity="error" role="alert" sx={{ mt: 1 }}>{error}</Alert>}
      {created && (
        <Alert severity="success" sx={{ mt: 1 }} onClose={() => setCreated(null)} data-testid="new-key">
          Key <strong>{created.name}</strong> created. Copy it now: it will not be shown again.
          <Box component="code" data-testid="new-key-value" sx={{ display: 'block', my: 1, p: 1, bgcolor: 'action.hover', wordBreak: 'break-all' }}>{created.key}</Box>
          <Button size="small" onClick={async () => { await navigator.clipboard?.writeText(created.key).catch(() => undefined); setCopied(true); }}>
            {copied ? 'Copied' : 'Copy'}
          </Button>
        </Alert>
      )}
      <TableContainer sx={{ mt: 2 }}>
        <Table size="small" aria-label="API keys">
          <TableHead>
            <TableRow><TableCell>Name</TableCell><TableCell>Prefix</TableCell><TableCell>Scopes</TableCell><TableCell>Created</TableCell><TableCell>Expires</TableCell><TableCell>Last used</TableCell><TableCell /></TableRow>
          </TableHead>
          <TableBody>
            {active.map((k) => (
              <TableRow key={k.id} data-testid="key-row" data-key-name={k.name}>
                <TableCell>{k.name}</TableCell>
                <TableCell sx={{ fontFamily: 'monospace' }}>{k.prefix}…</TableCell>
                <TableCell>{k.scopes.join(', ')}</TableCell>
                <TableCell>{new Date(k.created_at).toLocaleDateString()}</TableCell>
                <TableCell>{k.expires_at ? new Date(k.expires_at).toLocaleDateString() : 'never'}</TableCell>
                <TableCell>{k.last_used_at ? new Date(k.last_used_at).toLocaleString() : 'never'}</TableCell>
                <TableCell>
                  <Button size="small" color="error" aria-label={`Revoke key ${k.name}`} onClick={async () => {
                    const r = await revoke(k.id);
                    if ('error' in r) setError(errorMessage(r.error));
                  }}>Revoke</Button>
                </TableCell>
              </TableRow>
            ))}
            {keys.isSuccess && active.length === 0 && <TableRow><TableCell colSpan={7}>No active keys.</TableCell></TableRow>}
          </TableBody>
        </Table>
      </TableContainer>
    </Paper>
  );
}

function Mfa({ enabled }: { enabled: boolean }) {
  const [enroll, enrollState] = useTotpEnrollMutation();
  const [verify] = useTotpVerifyMutation();
  const [disable] = useTotpDisableMutation();
  const [svg, setSvg] = useState('');
  const [code, setCode] = useState('');
  const [recovery, setRecovery] = useState<string[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const pending = enrollState.data;

  useEffect(() => {
    if (!pending) return;
    // Generated locally: the secret never leaves the browser for a QR service.
    QRCode.toString(pending.otpauth_url, { type: 'svg', margin: 1, width: 200 }).then(setSvg, () => setSvg(''));
  }, [pending]);

  const start = async () => {
    setError(null);
    setRecovery(null);
    const r = await enroll();
    if ('error' in r) setError(errorMessage(r.error));
  };
  const confirm = async (e: FormEvent) => {
    e.preventDefault();
    const r = await verify({ code: code.trim() });
    if ('error' in r) return setError(errorMessage(r.error));
    setRecovery(r.data.recovery_codes);
    setCode('');
    enrollState.reset();
  };
  const turnOff = async (e: FormEvent) => {
    e.preventDefault();
    const r = await disable({ code: code.trim() });
    if ('error' in r) return setError(errorMessage(r.error));
    setCode('');
  };

  return (
    <Paper variant="outlined" sx={{ p: 2 }} component="section" aria-labelledby="mfa-heading">
      <Typography id="mfa-heading" variant="h6" component="h2">Two-factor authentication</Typography>
      {error && <Alert severity="error" role="alert" sx={{ my: 1 }}>{error}</Alert>}
      {recovery && (
        <Alert severity="success" sx={{ my: 1 }}>
          Two-factor authentication is on. Save these recovery codes; each works once if you lose your device:
          <Box component="ul" sx={{ columns: 2, fontFamily: 'monospace' }}>{recovery.map((c) => <li key={c}>{c}</li>)}</Box>
        </Alert>
      )}
      {!enabled && !pending && (
        <>
          <Typography variant="body2" gutterBottom>Protect your account with a code from an authenticator app (TOTP).</Typography>
          <Button variant="outlined" onClick={start}>Set up</Button>
        </>
      )}
      {!enabled && pending && (
        <Stack spacing={1} component="form" onSubmit={confirm}>
          <Typography variant="body2">Scan this code with your authenticator app, or enter the secret by hand, then type the 6-digit code it shows.</Typography>
          {svg && <Box role="img" aria-label="QR code for the authenticator app" sx={{ width: 200, height: 200, bgcolor: '#fff' }} dangerouslySetInnerHTML={{ __html: svg }} />}
          <Typography variant="body2">Secret: <Box component="code" sx={{ wordBreak: 'break-all' }}>{pending.secret}</Box></Typography>
          <Stack direction="row" spacing={1}>
            <TextField size="small" label="Code" value={code} onChange={(e) => setCode(e.target.value)} inputProps={{ inputMode: 'numeric', autoComplete: 'one-time-code' }} />
            <Button type="submit" variant="contained" disabled={!code.trim()}>Enable</Button>
          </Stack>
        </Stack>
      )}
      {enabled && (
        <Stack spacing={1} component="form" onSubmit={turnOff}>
          <Typography variant="body2">Two-factor authentication is on. To turn it off, enter a current code.</Typography>
          <Stack direction="row" spacing={1}>
            <TextField size="small" label="Code" value={code} onChange={(e) => setCode(e.target.value)} inputProps={{ inputMode: 'numeric', autoComplete: 'one-time-code' }} />
            <Button type="submit" color="error" disabled={!code.trim()}>Turn off</Button>
          </Stack>
        </Stack>
      )}
    </Paper>
  );
}

export default function AccountPage() {
  const me = useMeQuery();
  const u = me.data;
  return (
    <Stack spacing={2}>
      <Typography variant="h4" component="h1">Account</Typography>
      {me.isError && <Alert severity="error">{errorMessage(me.error)}</Alert>}
      {u && (
        <Paper variant="outlined" sx={{ p: 2 }} component="section" aria-labelledby="profile-heading">
          <Typography id="profile-heading" variant="h6" component="h2">Profile</Typography>
          <Box component="dl" sx={{ display: 'grid', gridTemplateColumns: 'auto 1fr', columnGap: 2, rowGap: 0.5, m: 0, '& dt': { color: 'text.secondary' }, '& dd': { m: 0 } }}>
            <dt>Username</dt><dd>{u.username}</dd>
            <dt>Email</dt><dd>{u.email}</dd>
            <dt>Role</dt><dd>{u.role}</dd>
            <dt>Member since</dt><dd>{new Date(u.created_at).toLocaleDateString()}</dd>
          </Box>
        </Paper>
      )}
      <ApiKeys isAdmin={u?.role === 'admin'} />
      {u && <Mfa enabled={u.mfa_enabled} />}
    </Stack>
  );
}
