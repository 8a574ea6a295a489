// Counts histogram as SVG (no chart library: small, themeable, accessible
// through a summary label plus the table that pages show beside it).
import { useTheme } from '@mui/material';

interface Props {
  counts: Record<string, number>;
  maxBars?: number;
}

export default function Histogram({ counts, maxBars = 64 }: Props) {
  const theme = useTheme();
  const total = Object.values(counts).reduce((a, b) => a + b, 0) || 1;
  let entries = Object.entries(counts).sort((a, b) => (a[0] < b[0] ? -1 : 1));
  const hidden = entries.length > maxBars;
  if (hidden) entries = [...entries].sort((a, b) => b[1] - a[1]).slice(0, maxBars).sort((a, b) => (a[0] < b[0] ? -1 : 1));
  const max = Math.max(1, ...entries.map(([, v]) => v));
  const barW = Math.max(14, Math.min(60, 640 / Math.max(1, entries.length)));
  const h = 220;
  const top = 20;
  const labelH = entries.some(([k]) => k.length > 4) ? 70 : 30;
  const width = 40 + entries.length * (barW + 6);
  const summary = entries.map(([k, v]) => `${k}: ${v} (${((100 * v) / total).toFixed(1)}%)`).join(', ');
  return (
    <svg role="img" aria-label={`Counts histogram. ${summary}`} viewBox={`0 0 ${width} ${h + top + labelH}`} style={{ width: '100%', maxWidth: width * 1.4, height: 'auto' }} data-testid="histogram">
      <line x1={30} y1={top + h} x2={width} y2={top + h} stroke={theme.palette.divider} />
      {entries.map(([k, v], i) => {
        const bh = (v / max) * h;
        const x = 36 + i * (barW + 6);
        return (
          <g key={k}>
            <rect x={x} y={top + h - bh} width={barW} height={bh} fill={theme.palette.primary.main} rx={2}>
              <title>{`${k}: ${v}`}</title>
            </rect>
            <text x={x + barW / 2} y={top + h - bh - 4} fontSize={11} textAnchor="middle" fill={theme.palette.text.primary}>
              {((100 * v) / total).toFixed(1)}%
            </text>
            <text
              x={x + barW / 2} y={top + h + 14} fontSize={11} fontFamily="monospace" fill={theme.palette.text.primary}
              textAnchor={k.length > 4 ? 'end' : 'middle'} transform={k.length > 4 ? `rotate(-60 ${x + barW / 2} ${top + h + 14})` : undefined}
            >
              {k}
            </text>
          </g>
        );
      })}
    </svg>
  );
}
