import { useEffect, useMemo, useState } from 'react';
import { Link as RouterLink, useNavigate, useParams } from 'react-router-dom';
import {
  Alert, Box, Button, Chip, CircularProgress, Link, Paper, Stack, Table, TableBody, TableCell, TableContainer, TableHead,
  TableRow, Typography,
} from '@mui/material';
import { api, useCancelMutation, useJobQuery, useParseMutation, useResultQuery, useSubmitMutation } from '../api/client';
import { useJobEvents } from '../api/events';
import { recallProgram, rememberProgram } from '../api/session';
import { TERMINAL, errorMessage, type Job, type JobResult, type JobStatus } from '../api/types';
import { useAppDispatch } from '../store';
import Histogram from '../components/Histogram';
import StatusChip from '../components/StatusChip';

const fmtTime = (s?: string | null) => (s ? new Date(s).toLocaleString() : '—');
const seconds = (a?: string | null, b?: string | null) => (a && b ? (new Date(b).getTime() - new Date(a).getTime()) / 1000 : null);

function download(name: string, type: string, text: string) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** Probabilities as (bitstring, p), whichever shape the server used. */
export function probabilityEntries(r: JobResult): [string, number][] {
  const p = r.probabilities;
  if (!p) return [];
  const n = r.metadata.num_qubits;
  if (Array.isArray(p)) return p.map((v, i) => [i.toString(2).padStart(n, '0'), v] as [string, number]).filter(([, v]) => v > 1e-12);
  return Object.entries(p).filter(([, v]) => v > 1e-12).sort((a, b) => (a[0] < b[0] ? -1 : 1));
}

export function countsCsv(r: JobResult): string {
  const total = Object.values(r.counts).reduce((a, b) => a + b, 0) || 1;
  const rows = Object.entries(r.counts).sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([k, v]) => `${k},${v},${(v / total).toFixed(6)}`);
  return ['bitstring,count,frequency', ...rows].join('\n') + '\n';
}

function Amplitudes({ r }: { r: JobResult }) {
  const sv = r.statevector;
  if (!sv) return null;
  const n = r.metadata.num_qubits;
  const rows = sv
    .map(([re, im], i) => ({ i, mag: Math.hypot(re, im), phase: Math.atan2(im, re) }))
    .filter((a) => a.mag > 1e-9)
    .sort((a, b) => b.mag - a.mag)
    .slice(0, 64)
    .sort((a, b) => a.i - b.i);
  return (
    <Paper variant="outlined" sx={{ p: 2 }} component="section" aria-labelledby="amp-heading">
      <Typography id="amp-heading" variant="h6" component="h2">State amplitudes</Typography>
      <Typography variant="body2" color="text.secondary" gutterBottom>
        Final state before measurement; qubit 0 is the rightmost bit. Non-zero amplitudes{rows.length === 64 ? ' (largest 64)' : ''}.
      </Typography>
      <TableContainer>
        <Table size="small" aria-labelledby="amp-heading">
          <TableHead>
            <TableRow><TableCell>State</TableCell><TableCell>Magnitude</TableCell><TableCell>Phase</TableCell><TableCell>Amplitude</TableCell></TableRow>
          </TableHead>
          <TableBody>
            {rows.map((a) => (
              <TableRow key={a.i}>
                <TableCell sx={{ fontFamily: 'monospace' }}>|{a.i.toString(2).padStart(n, '0')}⟩</TableCell>
                <TableCell>
                  <Box sx={{ display: 'flex', alignItems: 'center', gap: 1 }}>
                    <Box aria-hidden sx={{ width: 80 * a.mag, height: 8, bgcolor: 'primary.main', borderRadius: 1 }} />
                    {a.mag.toFixed(4)}
                  </Box>
                </TableCell>
                <TableCell>
                  <Box sx={{ display: 'flex', alignItems: 'center', gap: 1 }}>
                    <svg width="18" height="18" viewBox="-10 -10 20 20" aria-hidden>
                      <circle r="9" fill="none" stroke="currentColor" strokeOpacity={0.4} />
                      <line x1="0" y1="0" x2={9 * Math.cos(a.phase)} y2={-9 * Math.sin(a.phase)} stroke="currentColor" strokeWidth="2" />
                    </svg>
                    {((a.phase * 180) / Math.PI).toFixed(1)}°
                  </Box>
                </TableCell>
                <TableCell sx={{ fontFamily: 'monospace' }}>
                  {sv[a.i][0].toFixed(4)} {sv[a.i][1] < 0 ? '−' : '+'} {Math.abs(sv[a.i][1]).toFixed(4)}i
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      </TableContainer>
    </Paper>
  );
}

function Results({ job, r }: { job: Job; r: JobResult }) {
  const total = Object.values(r.counts).reduce((a, b) => a + b, 0) || 1;
  const probs = probabilityEntries(r);
  const counts = Object.entries(r.counts).sort((a, b) => (a[0] < b[0] ? -1 : 1));
  return (
    <Stack spacing={2}>
      <Paper variant="outlined" sx={{ p: 2 }} component="section" aria-labelledby="counts-heading">
        <Stack direction="row" alignItems="center" spacing={1} sx={{ flexWrap: 'wrap' }}>
          <Typography id="counts-heading" variant="h6" component="h2" sx={{ flexGrow: 1 }}>Counts ({total.toLocaleString()} shots)</Typography>
          <Button size="small" onClick={() => download(`job-${job.id}.json`, 'application/json', JSON.stringify({ job, result: r }, null, 2))}>Download JSON</Button>
          <Button size="small" onClick={() => download(`job-${job.id}-counts.csv`, 'text/csv', countsCsv(r))}>Download CSV</Button>
        </Stack>
        <Histogram counts={r.counts} />
        <TableContainer sx={{ maxHeight: 360 }}>
          <Table size="small" stickyHeader aria-label="Counts">
            <TableHead>
              <TableRow><TableCell>Outcome</TableCell><TableCell align="right">Count</TableCell><TableCell align="right">Frequency</TableCell><TableCell align="right">Probability</TableCell></TableRow>
            </TableHead>
            <TableBody>
              {counts.map(([k, v]) => {
                const p = probs.find(([pk]) => pk === k.replace(/ /g, ''))?.[1];
                return (
                  <TableRow key={k} data-testid="count-row" data-outcome={k} data-count={v}>
                    <TableCell sx={{ fontFamily: 'monospace' }}>{k}</TableCell>
                    <TableCell align="right">{v}</TableCell>
                    <TableCell align="right">{((100 * v) / total).toFixed(2)}%</TableCell>
                    <TableCell align="right">{p !== undefined ? `${(100 * p).toFixed(2)}%` : '—'}</TableCell>
                  </TableRow>
                );
              })}
            </TableBody>
          </Table>
        </TableContainer>
      </Paper>
      {probs.length > 0 && (
        <Paper variant="outlined" sx={{ p: 2 }} component="section" aria-labelledby="prob-heading">
          <Typography id="prob-heading" variant="h6" component="h2">Exact probabilities</Typography>
          <Typography variant="body2" color="text.secondary">Of each basis state of the qubits (qubit 0 rightmost).</Typography>
          <Box component="ul" sx={{ columns: { xs: 1, sm: 3 }, fontFamily: 'monospace', pl: 2 }}>
            {probs.slice(0, 256).map(([k, v]) => <li key={k}>{k}: {v.toFixed(4)}</li>)}
          </Box>
        </Paper>
      )}
      <Amplitudes r={r} />
    </Stack>
  );
}

export default function JobPage() {
  const { id = '' } = useParams();
  const dispatch = useAppDispatch();
  const navigate = useNavigate();
  const [live, setLive] = useState<JobStatus | null>(null);
  const job = useJobQuery(id, { pollingInterval: live && TERMINAL.includes(live) ? 0 : 5000 });
  const status = (job.data?.status ?? live) as JobStatus | undefined;
  const done = status === 'COMPLETED';
  const result = useResultQuery(id, { skip: !done });
  const [cancel] = useCancelMutation();
  const [submit] = useSubmitMutation();
  const [parse, parsed] = useParseMutation();
  const [actionError, setActionError] = useState<string | null>(null);
  // The server's copy of the program; the one this browser kept at submit
  // is the fallback (servers that do not return `program`).
  const served = job.data?.program?.source;
  const shots = job.data?.shots;
  const backend = job.data?.backend;
  const program = useMemo(
    () => (served != null && shots != null && backend != null ? { source: served, shots, backend } : recallProgram(id)),
    [id, served, shots, backend],
  );
  const connection = useJobEvents((e) => {
    if (e.job_id !== id) return;
    setLive(e.status as JobStatus);
    dispatch(api.util.invalidateTags([{ type: 'Job', id }, 'Jobs']));
  });

  useEffect(() => {
    if (program) parse({ source: program.source });
  }, [program, parse]);

  const rerun = async () => {
    if (!program) return;
    const r = await submit({ program: { format: 'qasm2', source: program.source }, shots: program.shots, backend: program.backend, outputs: { probabilities: true, statevector: (job.data?.num_qubits ?? 99) <= 10 } });
    if ('error' in r) return setActionError(errorMessage(r.error));
    rememberProgram(r.data.id, program.source, program.shots, program.backend);
    navigate(`/jobs/${r.data.id}`);
  };

  if (job.isLoading) return <CircularProgress aria-label="Loading job" />;
  if (job.isError || !job.data) return <Alert severity="error">Could not load job {id}: {errorMessage(job.error)}</Alert>;
  const j = job.data;
  const running = !TERMINAL.includes(j.status);

  return (
    <Stack spacing={2}>
      <Stack direction="row" alignItems="center" spacing={1} sx={{ flexWrap: 'wrap', rowGap: 1 }}>
        <Typography variant="h4" component="h1" sx={{ wordBreak: 'break-all' }}>{j.name || `Job ${j.id.slice(0, 8)}`}</Typography>
        <Box aria-live="polite"><StatusChip status={j.status} /></Box>
        <Chip size="small" variant="outlined" label={connection === 'live' ? 'live updates' : connection === 'connecting' ? 'connecting…' : 'offline: polling'} />
        <Box sx={{ flexGrow: 1 }} />
        {running && <Button color="warning" onClick={async () => { const r = await cancel(j.id); if ('error' in r) setActionError(errorMessage(r.error)); }}>Cancel</Button>}
        <Button onClick={rerun} disabled={!program}>Re-run</Button>
        <Button component={RouterLink} to="/jobs">All jobs</Button>
      </Stack>
      {actionError && <Alert severity="error" role="alert">{actionError}</Alert>}
      {running && (
        <Alert severity="info" icon={<CircularProgress size={18} />}>
          {j.status === 'QUEUED' ? `Queued${j.queue_position != null ? ` (position ${j.queue_position})` : ''}…` : `${j.status[0]}${j.status.slice(1).toLowerCase()}…`}
        </Alert>
      )}
      {j.status === 'FAILED' && <Alert severity="error">The job failed: {j.error ?? 'no reason given'}</Alert>}
      <Box sx={{ display: 'grid', gridTemplateColumns: { xs: '1fr', md: 'minmax(0,2fr) minmax(0,1fr)' }, gap: 2, alignItems: 'start' }}>
        <Box>
          {done && result.data && <Results job={j} r={result.data} />}
          {done && result.isLoading && <CircularProgress aria-label="Loading result" />}
          {result.isError && <Alert severity="error">Could not load the result: {errorMessage(result.error)}</Alert>}
        </Box>
        <Stack spacing={2}>
          <Paper variant="outlined" sx={{ p: 2 }} component="section" aria-labelledby="details-heading">
            <Typography id="details-heading" variant="h6" component="h2">Details</Typography>
            <Box component="dl" sx={{ display: 'grid', gridTemplateColumns: 'auto 1fr', columnGap: 2, rowGap: 0.5, m: 0, '& dt': { color: 'text.secondary' }, '& dd': { m: 0 } }}>
              <dt>ID</dt><dd style={{ fontFamily: 'monospace', wordBreak: 'break-all' }}>{j.id}</dd>
              <dt>Backend</dt><dd>{j.backend_used ?? j.backend}{result.data?.metadata.backend_reason ? ` (${result.data.metadata.backend_reason})` : ''}</dd>
              <dt>Shots</dt><dd>{j.shots.toLocaleString()}</dd>
              <dt>Qubits</dt><dd>{j.num_qubits}</dd>
              <dt>Priority</dt><dd>{j.priority}</dd>
              <dt>Created</dt><dd>{fmtTime(j.created_at)}</dd>
              <dt>Started</dt><dd>{fmtTime(j.started_at)}</dd>
              <dt>Ended</dt><dd>{fmtTime(j.ended_at)}</dd>
              <dt>Queue wait</dt><dd>{seconds(j.created_at, j.started_at)?.toFixed(3) ?? '—'} s</dd>
              <dt>Execution</dt><dd>{j.execution_time_s != null ? `${j.execution_time_s.toFixed(4)} s` : '—'}</dd>
              {result.data && <><dt>Simulation</dt><dd>{result.data.metadata.time_taken_s.toFixed(4)} s</dd></>}
              {result.data?.metadata.seed != null && <><dt>Seed</dt><dd>{result.data.metadata.seed}</dd></>}
            </Box>
          </Paper>
          <Paper variant="outlined" sx={{ p: 2 }} component="section" aria-labelledby="circuit-heading">
            <Typography id="circuit-heading" variant="h6" component="h2">Circuit</Typography>
            {!program && <Typography variant="body2" color="text.secondary">The program of this job is not available; its drawing cannot be shown.</Typography>}
            {parsed.data?.drawing && <Box component="pre" tabIndex={0} role="region" aria-label="Circuit drawing" sx={{ fontSize: 12, overflowX: 'auto', m: 0 }}>{parsed.data.drawing}</Box>}
            {program && (
              <Link component={RouterLink} to="/composer" state={{ source: program.source }}>Open in the composer</Link>
            )}
          </Paper>
        </Stack>
      </Box>
    </Stack>
  );
}
