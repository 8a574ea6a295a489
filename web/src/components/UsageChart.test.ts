import { describe, expect, it } from 'vitest';
import { usageByDay, windowStart } from './UsageChart';

describe('usageByDay', () => {
  const now = new Date('2026-12-07T23:30:00Z');
  it('fills every UTC day of the window and sums backends', () => {
    const report = {
      from: '2026-11-24', to: '2026-12-07', totals: { jobs: 4, shots: 0, simulated_seconds: 1.5 },
      days: [
        { day: '2026-12-07', backend: 'stabilizer', jobs: 2, shots: 0, simulated_seconds: 0.5 },
        { day: '2026-12-07', backend: 'statevector', jobs: 1, shots: 0, simulated_seconds: 0.75 },
        { day: '2026-11-24', backend: 'auto', jobs: 1, shots: 0, simulated_seconds: 0.25 },
        { day: '2026-11-01', backend: 'auto', jobs: 9, shots: 0, simulated_seconds: 9 },
      ],
    };
    const days = usageByDay(report, 14, now);
    expect(days).toHaveLength(14);
    expect(days[0]).toEqual({ day: '2026-11-24', jobs: 1, seconds: 0.25 });
    expect(days[13]).toEqual({ day: '2026-12-07', jobs: 3, seconds: 1.25 });
    expect(days.slice(1, 13).every((d) => d.jobs === 0)).toBe(true);
    expect(windowStart(14, now)).toBe('2026-11-24');
  });
  it('shows empty days before the report arrives', () => {
    expect(usageByDay(undefined, 3, now).map((d) => d.jobs)).toEqual([0, 0, 0]);
  });
});
