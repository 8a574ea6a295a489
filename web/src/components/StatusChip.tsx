import { Chip } from '@mui/material';

const COLORS: Record<string, 'default' | 'info' | 'success' | 'error' | 'warning'> = {
  QUEUED: 'default', RUNNING: 'info', COMPLETED: 'success', FAILED: 'error', CANCELLING: 'warning', CANCELLED: 'warning',
};

export default function StatusChip({ status }: { status: string }) {
  return <Chip size="small" label={status} color={COLORS[status] ?? 'default'} variant={status === 'QUEUED' ? 'outlined' : 'filled'} data-testid="job-status" />;
}
