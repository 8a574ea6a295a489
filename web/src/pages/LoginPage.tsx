import { useState, type FormEvent } from 'react';
import { Link as RouterLink, useLocation, useNavigate } from 'react-router-dom';
import { Alert, Box, Button, Link, Paper, Stack, TextField, Typography } from '@mui/material';
import { setTokens, useLoginMutation } from '../api/client';
import { errorCode, errorMessage } from '../api/types';
import { useAppDispatch } from '../store';

export default function LoginPage() {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [totp, setTotp] = useState('');
  const [needTotp, setNeedTotp] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [login, { isLoading }] = useLoginMutation();
  const dispatch = useAppDispatch();
  const navigate = useNavigate();
  const location = useLocation();
  const registered = (location.state as { registered?: string } | null)?.registered;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    const r = await login({ username, password, ...(needTotp ? { totp: totp.trim() } : {}) });
    if ('error' in r) {
      if (errorCode(r.error) === 'mfa_required') {
        setNeedTotp(true);
        return;
      }
      setError(errorMessage(r.error));
      return;
    }
    dispatch(setTokens(r.data));
    const from = (location.state as { from?: string } | null)?.from;
    navigate(from && from !== '/login' ? from : '/');
  };

  return (
    <Box sx={{ maxWidth: 420, mx: 'auto', mt: { xs: 2, sm: 6 } }}>
      <Paper sx={{ p: 3 }} variant="outlined">
        <Typography variant="h4" component="h1" gutterBottom>
          Log in
        </Typography>
        {registered && <Alert severity="success" sx={{ mb: 2 }}>Account {registered} created. Log in to continue.</Alert>}
        <form onSubmit={submit} noValidate>
          <Stack spacing={2}>
            {!needTotp ? (
              <>
                <TextField label="Username" value={username} onChange={(e) => setUsername(e.target.value)} autoComplete="username" required autoFocus />
                <TextField label="Password" type="password" value={password} onChange={(e) => setPassword(e.target.value)} autoComplete="current-password" required />
              </>
            ) : (
              <>
                <Alert severity="info">Enter the 6-digit code from your authenticator app, or a recovery code.</Alert>
                <TextField label="Authentication code" value={totp} onChange={(e) => setTotp(e.target.value)} autoComplete="one-time-code" inputProps={{ inputMode: 'numeric' }} required autoFocus />
              </>
            )}
            {error && <Alert severity="error" role="alert">{error}</Alert>}
            <Button type="submit" variant="contained" disabled={isLoading}>
              {needTotp ? 'Verify' : 'Log in'}
            </Button>
            {needTotp && <Button onClick={() => { setNeedTotp(false); setTotp(''); }}>Back</Button>}
            <Typography variant="body2">
              No account? <Link component={RouterLink} to="/signup">Sign up</Link>
            </Typography>
          </Stack>
        </form>
      </Paper>
    </Box>
  );
}
