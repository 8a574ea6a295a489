import { useState } from 'react';
import { Link as RouterLink, useNavigate } from 'react-router-dom';
import {
  Alert, Box, Button, FormControl, InputLabel, Link, MenuItem, Paper, Select, Stack, Table, TableBody, TableCell,
  TableContainer, TableHead, TableRow, TextField, Typography,
} from '@mui/material';
import { api, useCancelMutation, useDeleteJobMutation, useJobsQuery, useSubmitMutation } from '../api/client';
import { useJobEvents } from '../api/events';
import { recallProgram, rememberProgram } from '../api/session';
import { TERMINAL, errorMessage, type Job, type JobStatus } from '../api/types';
import { useAppDispatch } from '../store';
import StatusChip from '../components/StatusChip';

const STATUSES: JobStatus[] = ['QUEUED', 'RUNNING', 'COMPLETED', 'FAILED', 'CANCELLING', 'CANCELLED'];
const PAGE = 20;

export default function JobsPage() {
  const [status, setStatus] = useState('');
  const [backend, setBackend] = useState('');
  const [tag, setTag] = useState('');
  // Cursor stack: cursors[i] is the cursor of page i (undefined for the first).
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const page = cursors.length - 1;
  const jobs = useJobsQuery({ status, backend, tag, limit: PAGE, cursor: cursors[page] });
  const [cancel] = useCancelMutation();
  const [remove] = useDeleteJobMutation();
  const [submit] = useSubmitMutation();
  const [error, setError] = useState<string | null>(null);
  const dispatch = useAppDispatch();
  const navigate = useNavigate();
  useJobEvents(() => dispatch(api.util.invalidateTags(['Jobs'])));

  const resetPaging = () => setCursors([undefined]);
  const act = async (p: Promise<{ error?: unknown }>) => {
    const r = await p;
    setError(r.error ? errorMessage(r.error) : null);
  };
  const rerun = async (j: Job) => {
    const prog = recallProgram(j.id);
    if (!prog) return;
    const r = await submit({ program: { format: 'qasm2', source: prog.source }, shots: j.shots, backend: j.backend, outputs: { probabilities: true, statevector: j.num_qubits <= 10 } });
    if ('error' in r) return setError(errorMessage(r.error));
    rememberProgram(r.data.id, prog.source, j.shots, j.backend);
    navigate(`/jobs/${r.data.id}`);
  };

  return (
    <Stack spacing={2}>
      <Typography variant="h4" component="h1">Jobs</Typography>
      <Paper variant="outlined" sx={{ p: 1.5 }} component="section" aria-label="Filters">
        <Stack direction={{ xs: 'column', sm: 'row' }} spacing={1.5}>
          <FormControl size="small" sx={{ minWidth: 160 }}>
            <InputLabel id="status-filter">Status</InputLabel>
            <Select labelId="status-filter" label="Status" value={status} onChange={(e) => { setStatus(e.target.value); resetPaging(); }}>
              <MenuItem value="">Any</MenuItem>
              {STATUSES.map((s) => <MenuItem key={s} value={s}>{s}</MenuItem>)}
            </Select>
          </FormControl>
          <TextField size="small" label="Backend" value={backend} onChange={(e) => { setBackend(e.target.value); resetPaging(); }} />
          <TextField size="small" label="Tag" value={tag} onChange={(e) => { setTag(e.target.value); resetPaging(); }} />
        </Stack>
      </Paper>
      {error && <Alert severity="error" role="alert">{error}</Alert>}
      {jobs.isError && <Alert severity="error">Could not load jobs: {errorMessage(jobs.error)}</Alert>}
      <TableContainer component={Paper} variant="outlined">
        <Table size="small" aria-label="Jobs">
          <TableHead>
            <TableRow>
              <TableCell>Job</TableCell><TableCell>Status</TableCell><TableCell>Backend</TableCell><TableCell align="right">Qubits</TableCell>
              <TableCell align="right">Shots</TableCell><TableCell>Created</TableCell><TableCell align="right">Time (s)</TableCell><TableCell>Actions</TableCell>
            </TableRow>
          </TableHead>
          <TableBody>
            {(jobs.data?.jobs ?? []).map((j) => {
              const terminal = TERMINAL.includes(j.status);
              return (
                <TableRow key={j.id} data-testid="job-row" data-job-id={j.id} hover>
                  <TableCell>
                    <Link component={RouterLink} to={`/jobs/${j.id}`}>{j.name || j.id.slice(0, 8)}</Link>
                    {j.tags.length > 0 && <Box component="span" sx={{ ml: 1, color: 'text.secondary', fontSize: 12 }}>{j.tags.join(', ')}</Box>}
                  </TableCell>
                  <TableCell><StatusChip status={j.status} /></TableCell>
                  <TableCell>{j.backend_used ?? j.backend}</TableCell>
                  <TableCell align="right">{j.num_qubits}</TableCell>
                  <TableCell align="right">{j.shots}</TableCell>
                  <TableCell>{new Date(j.created_at).toLocaleString()}</TableCell>
                  <TableCell align="right">{j.execution_time_s?.toFixed(3) ?? '—'}</TableCell>
                  <TableCell>
                    <Stack direction="row" spacing={0.5}>
                      {!terminal && <Button size="small" color="warning" onClick={() => act(cancel(j.id))} aria-label={`Cancel job ${j.name || j.id}`}>Cancel</Button>}
                      {terminal && <Button size="small" color="error" onClick={() => act(remove(j.id))} aria-label={`Delete job ${j.name || j.id}`}>Delete</Button>}
                      <Button size="small" onClick={() => rerun(j)} disabled={!recallProgram(j.id)} aria-label={`Re-run job ${j.name || j.id}`}>Re-run</Button>
                    </Stack>
                  </TableCell>
                </TableRow>
              );
            })}
            {jobs.data && jobs.data.jobs.length === 0 && (
              <TableRow><TableCell colSpan={8}>No jobs{status || backend || tag ? ' match the filters' : ' yet: compose a circuit and run it'}.</TableCell></TableRow>
            )}
          </TableBody>
        </Table>
      </TableContainer>
      <Stack direction="row" spacing={1} alignItems="center">
        <Button disabled={page === 0} onClick={() => setCursors(cursors.slice(0, -1))}>Previous</Button>
        <Typography variant="body2">Page {page + 1}</Typography>
        <Button disabled={!jobs.data?.next_cursor} onClick={() => setCursors([...cursors, jobs.data!.next_cursor!])}>Next</Button>
      </Stack>
    </Stack>
  );
}
