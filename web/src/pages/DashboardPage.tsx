import { Link as RouterLink } from 'react-router-dom';
import {
  Alert, Box, Button, Link, Paper, Stack, Table, TableBody, TableCell, TableContainer, TableHead, TableRow, Typography,
} from '@mui/material';
import { useBackendsQuery, useJobsQuery, useMeQuery, useUsageQuery } from '../api/client';
import { errorMessage } from '../api/types';
import StatusChip from '../components/StatusChip';
import UsageChart, { usageByDay, windowStart } from '../components/UsageChart';

export default function DashboardPage() {
  const me = useMeQuery();
  const jobs = useJobsQuery({ limit: 8 }, { pollingInterval: 15000 });
  const usage = useUsageQuery({ from: windowStart(14) }, { pollingInterval: 30000 });
  const backends = useBackendsQuery(undefined, { pollingInterval: 10000 });
  const list = jobs.data?.jobs ?? [];
  return (
    <Stack spacing={2}>
      <Stack direction="row" alignItems="center" sx={{ flexWrap: 'wrap', gap: 1 }}>
        <Typography variant="h4" component="h1" sx={{ flexGrow: 1 }}>
          {me.data ? `Welcome, ${me.data.username}` : 'Dashboard'}
        </Typography>
        <Button variant="contained" component={RouterLink} to="/composer">New circuit</Button>
      </Stack>
      <Box sx={{ display: 'grid', gridTemplateColumns: { xs: '1fr', md: '1fr 1fr' }, gap: 2 }}>
        <Paper variant="outlined" sx={{ p: 2 }} component="section" aria-labelledby="recent-heading">
          <Typography id="recent-heading" variant="h6" component="h2">Recent jobs</Typography>
          {jobs.isError && <Alert severity="error">{errorMessage(jobs.error)}</Alert>}
          {list.length === 0 && jobs.isSuccess && <Typography variant="body2">No jobs yet.</Typography>}
          <Box component="ul" sx={{ listStyle: 'none', p: 0, m: 0 }}>
            {list.slice(0, 8).map((j) => (
              <Box component="li" key={j.id} sx={{ display: 'flex', gap: 1, alignItems: 'center', py: 0.5 }}>
                <StatusChip status={j.status} />
                <Link component={RouterLink} to={`/jobs/${j.id}`}>{j.name || j.id.slice(0, 8)}</Link>
                <Typography variant="body2" color="text.secondary" sx={{ ml: 'auto' }}>{new Date(j.created_at).toLocaleString()}</Typography>
              </Box>
            ))}
          </Box>
        </Paper>
        <Paper variant="outlined" sx={{ p: 2 }} component="section" aria-labelledby="usage-heading">
          <Typography id="usage-heading" variant="h6" component="h2">Usage, last 14 days (UTC)</Typography>
          {usage.isError && <Alert severity="error">{errorMessage(usage.error)}</Alert>}
          <UsageChart data={usageByDay(usage.data)} />
          {usage.data && (
            <Typography variant="body2" color="text.secondary">
              {usage.data.totals.jobs} completed jobs, {usage.data.totals.shots} shots, {usage.data.totals.simulated_seconds.toFixed(2)} simulated seconds
            </Typography>
          )}
        </Paper>
      </Box>
      <Paper variant="outlined" sx={{ p: 2 }} component="section" aria-labelledby="backends-heading">
        <Typography id="backends-heading" variant="h6" component="h2">Backends</Typography>
        {backends.isError && <Alert severity="error">{errorMessage(backends.error)}</Alert>}
        <TableContainer>
          <Table size="small" aria-labelledby="backends-heading">
            <TableHead>
              <TableRow><TableCell>Name</TableCell><TableCell>Kind</TableCell><TableCell>Status</TableCell><TableCell align="right">Max qubits</TableCell><TableCell align="right">Queue depth</TableCell><TableCell>Description</TableCell></TableRow>
            </TableHead>
            <TableBody>
              {(backends.data?.backends ?? []).map((b) => (
                <TableRow key={b.name}>
                  <TableCell sx={{ fontFamily: 'monospace' }}>{b.name}</TableCell>
                  <TableCell>{b.kind}</TableCell>
                  <TableCell>{b.status}</TableCell>
                  <TableCell align="right">{b.max_qubits}</TableCell>
                  <TableCell align="right">{b.queue_depth}</TableCell>
                  <TableCell>{b.description}</TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        </TableContainer>
      </Paper>
    </Stack>
  );
}
