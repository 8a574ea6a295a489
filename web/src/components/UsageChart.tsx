// Jobs and simulated seconds per day as paired SVG bars, from the server's
// usage report (GET /api/v1/usage: completed jobs per UTC day and backend).
import { useTheme } from '@mui/material';
import type { UsageReport } from '../api/types';

export interface DayUsage {
  day: string;
  jobs: number;
  seconds: number;
}

/** `YYYY-MM-DD` of a time in UTC (the report's days are UTC days). */
export function utcDay(d: Date): string {
  return d.toISOString().slice(0, 10);
}

/** The first day of a `days`-day window ending today (UTC). */
export function windowStart(days = 14, now = new Date()): string {
  return utcDay(new Date(now.getTime() - (days - 1) * 86_400_000));
}

/** One entry per day of the last `days` days (UTC), oldest first, with the
 * report's backends summed; days without usage are zero. */
export function usageByDay(report: UsageReport | undefined, days = 14, now = new Date()): DayUsage[] {
  const out: DayUsage[] = [];
  for (let i = days - 1; i >= 0; i--) {
    out.push({ day: utcDay(new Date(now.getTime() - i * 86_400_000)), jobs: 0, seconds: 0 });
  }
  const index = new Map(out.map((u, i) => [u.day, i]));
  for (const e of report?.days ?? []) {
    const i = index.get(e.day);
    if (i === undefined) continue;
    out[i].jobs += e.jobs;
    out[i].seconds += e.simulated_seconds;
  }
  return out;
}

export default function UsageChart({ data }: { data: DayUsage[] }) {
  const theme = useTheme();
  const h = 160;
  const bw = 14;
  const maxJobs = Math.max(1, ...data.map((d) => d.jobs));
  const maxSec = Math.max(1e-9, ...data.map((d) => d.seconds));
  const width = 30 + data.length * (2 * bw + 10);
  const label = data.map((d) => `${d.day}: ${d.jobs} jobs, ${d.seconds.toFixed(2)} s`).join('; ');
  return (
    <figure style={{ margin: 0 }}>
      <svg role="img" aria-label={`Usage per day. ${label}`} viewBox={`0 0 ${width} ${h + 50}`} style={{ width: '100%', height: 'auto' }}>
        <line x1={20} y1={h + 10} x2={width} y2={h + 10} stroke={theme.palette.divider} />
        {data.map((d, i) => {
          const x = 24 + i * (2 * bw + 10);
          const jh = (d.jobs / maxJobs) * h;
          const sh = (d.seconds / maxSec) * h;
          return (
            <g key={d.day}>
              <rect x={x} y={h + 10 - jh} width={bw} height={jh} fill={theme.palette.primary.main}><title>{`${d.day}: ${d.jobs} jobs`}</title></rect>
              <rect x={x + bw} y={h + 10 - sh} width={bw} height={sh} fill={theme.palette.secondary.main}><title>{`${d.day}: ${d.seconds.toFixed(3)} s`}</title></rect>
              <text x={x + bw} y={h + 26} fontSize={10} textAnchor="middle" fill={theme.palette.text.primary}>{d.day.slice(5)}</text>
            </g>
          );
        })}
      </svg>
      <figcaption style={{ fontSize: 13 }}>
        <span style={{ color: theme.palette.primary.main }}>■</span> jobs (max {maxJobs}) &nbsp;
        <span style={{ color: theme.palette.secondary.main }}>■</span> simulated seconds (max {maxSec < 1e-6 ? 0 : maxSec.toFixed(2)})
      </figcaption>
    </figure>
  );
}
