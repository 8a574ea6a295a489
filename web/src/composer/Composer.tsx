// The visual editor: a gate palette (from the server's gate table), a grid of
// qubit wires × columns accepting HTML5 drops, and an inspector for the
// selected operation. Keyboard: choose a palette gate (Enter/Space), then a
// grid cell (Enter) places it; Delete removes the selected operation.
import { useMemo, useState, type DragEvent, type KeyboardEvent } from 'react';
import {
  Alert, Box, Button, Chip, FormControl, IconButton, InputLabel, MenuItem, Paper, Select, Stack, TextField, Tooltip, Typography,
} from '@mui/material';
import {
  argumentLabels, measureAll, opAt, placeGate, placeOp, removeOp, setNumQubits, span, updateOp,
  type CircuitModel, type GateSpec, type Op,
} from './model';

// Language statements the palette offers besides table gates.
export const EXTRA: GateSpec[] = [
  { name: 'measure', num_qubits: 1, params: [], help: 'Measure a qubit into the classical bit of the same index', category: 'other' },
  { name: 'reset', num_qubits: 1, params: [], help: 'Reset a qubit to |0⟩', category: 'other' },
  { name: 'barrier', num_qubits: 1, params: [], help: 'Barrier across all qubits', category: 'other' },
];

const CATEGORY_ORDER = ['single', 'rotation', 'controlled', 'two-qubit', 'multi-qubit', 'native', 'other'];
const CATEGORY_LABEL: Record<string, string> = {
  single: 'Single-qubit', rotation: 'Rotations', controlled: 'Controlled', 'two-qubit': 'Two-qubit',
  'multi-qubit': 'Multi-qubit', native: 'Hardware native', other: 'Measure & more',
};
const DND_TYPE = 'application/x-qv-gate';
const DND_MOVE = 'application/x-qv-op';

function cellLabel(op: Op, q: number, spec?: GateSpec): { text: string; kind: 'box' | 'control' | 'line' | 'target' } {
  if (!op.qubits.includes(q)) return { text: '', kind: 'line' };
  if (op.kind === 'measure') return { text: 'M', kind: 'box' };
  if (op.kind === 'reset') return { text: '|0⟩', kind: 'box' };
  if (op.kind === 'barrier') return { text: '░', kind: 'box' };
  const labels = argumentLabels(op, spec);
  const role = labels[op.qubits.indexOf(q)];
  if (role.startsWith('control')) return { text: '●', kind: 'control' };
  if (role.startsWith('target') && /^c+x$|^c\dx$|^ccx$|^cx$/.test(op.name)) return { text: '⊕', kind: 'target' };
  const base = spec?.category === 'controlled' ? op.name.replace(/^c+/, '') || op.name : op.name;
  return { text: base.toUpperCase(), kind: 'box' };
}

interface Props {
  model: CircuitModel;
  onChange: (m: CircuitModel) => void;
  gates: GateSpec[];
  readOnlyNote?: string | null;
}

export default function Composer({ model, onChange, gates, readOnlyNote }: Props) {
  const [armed, setArmed] = useState<string | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const specs = useMemo(() => new Map([...gates, ...EXTRA].map((g) => [g.name, g])), [gates]);
  const groups = useMemo(() => {
    const by = new Map<string, GateSpec[]>();
    for (const g of [...gates, ...EXTRA]) by.set(g.category, [...(by.get(g.category) ?? []), g]);
    return [...by.entries()].sort((a, b) => CATEGORY_ORDER.indexOf(a[0]) - CATEGORY_ORDER.indexOf(b[0]));
  }, [gates]);
  const numColumns = (model.ops.length ? Math.max(...model.ops.map((o) => o.column)) + 1 : 0) + 1;
  const selectedOp = model.ops.find((o) => o.id === selected);

  const place = (name: string, qubit: number, column: number) => {
    const spec = specs.get(name);
    if (!spec) return;
    const r = placeGate(model, spec, qubit, column);
    if (typeof r === 'string') {
      setMessage(r);
      return;
    }
    setMessage(`Placed ${name} on q[${qubit}], column ${column + 1}`);
    onChange(r);
    setSelected(r.ops[r.ops.length - 1].id);
  };

  const moveOp = (id: string, qubit: number, column: number) => {
    const op = model.ops.find((o) => o.id === id);
    if (!op) return;
    const shift = qubit - op.qubits[0];
    const qubits = op.qubits.map((q) => q + shift);
    if (qubits.some((q) => q < 0 || q >= model.numQubits)) {
      setMessage('That does not fit on the wires there');
      return;
    }
    onChange(placeOp(model, { ...op, qubits }, column));
  };

  const onDrop = (e: DragEvent, qubit: number, column: number) => {
    e.preventDefault();
    const gate = e.dataTransfer.getData(DND_TYPE);
    const move = e.dataTransfer.getData(DND_MOVE);
    if (gate) place(gate, qubit, column);
    else if (move) moveOp(move, qubit, column);
  };

  const onCell = (qubit: number, column: number) => {
    if (armed) {
      place(armed, qubit, column);
      setArmed(null);
      return;
    }
    const op = opAt(model, qubit, column);
    setSelected(op?.id ?? null);
  };

  const onCellKey = (e: KeyboardEvent, qubit: number, column: number) => {
    const op = opAt(model, qubit, column);
    if ((e.key === 'Delete' || e.key === 'Backspace') && op) {
      e.preventDefault();
      onChange(removeOp(model, op.id));
      setSelected(null);
      setMessage(`Removed ${op.name}`);
      return;
    }
    const moves: Record<string, [number, number]> = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
    const d = moves[e.key];
    if (d) {
      e.preventDefault();
      const q = Math.max(0, Math.min(model.numQubits - 1, qubit + d[0]));
      const c = Math.max(0, Math.min(numColumns - 1, column + d[1]));
      document.getElementById(`cell-${q}-${c}`)?.focus();
    }
  };

  const update = (patch: Partial<Op>) => {
    if (!selectedOp) return;
    const r = updateOp(model, selectedOp.id, patch);
    if (!r) setMessage('Each qubit argument must be a different wire');
    else onChange(r);
  };

  const spec = selectedOp ? specs.get(selectedOp.name) : undefined;

  return (
    <Stack spacing={2}>
      <Paper variant="outlined" sx={{ p: 1.5 }} component="section" aria-labelledby="palette-heading">
        <Typography id="palette-heading" variant="subtitle1" component="h2">
          Gates {armed && <Chip size="small" color="primary" label={`${armed} selected: choose a cell (Esc to cancel)`} sx={{ ml: 1 }} />}
        </Typography>
        <Typography variant="body2" color="text.secondary" sx={{ mb: 1 }}>
          Drag a gate onto a wire, or press it and then a cell.
        </Typography>
        <Stack spacing={1} onKeyDown={(e) => e.key === 'Escape' && setArmed(null)}>
          {groups.map(([cat, list]) => (
            <Box key={cat} role="group" aria-label={CATEGORY_LABEL[cat] ?? cat} sx={{ display: 'flex', flexWrap: 'wrap', gap: 0.5, alignItems: 'center' }}>
              <Typography variant="caption" sx={{ width: 110, color: 'text.secondary' }}>{CATEGORY_LABEL[cat] ?? cat}</Typography>
              {list.map((g) => (
                <Tooltip key={g.name} title={`${g.help}${g.params.length ? ` — params: ${g.params.join(', ')}` : ''}`}>
                  <Button
                    size="small"
                    variant={armed === g.name ? 'contained' : 'outlined'}
                    aria-pressed={armed === g.name}
                    data-gate={g.name}
                    draggable
                    onDragStart={(e) => {
                      e.dataTransfer.setData(DND_TYPE, g.name);
                      e.dataTransfer.effectAllowed = 'copy';
                    }}
                    onClick={() => setArmed(armed === g.name ? null : g.name)}
                    sx={{ minWidth: 44, textTransform: 'none', fontFamily: 'monospace' }}
                  >
                    {g.name}
                  </Button>
                </Tooltip>
              ))}
            </Box>
          ))}
        </Stack>
      </Paper>

      <Paper variant="outlined" sx={{ p: 1.5 }} component="section" aria-labelledby="circuit-heading">
        <Stack direction="row" spacing={1} alignItems="center" sx={{ mb: 1, flexWrap: 'wrap' }}>
          <Typography id="circuit-heading" variant="subtitle1" component="h2" sx={{ mr: 1 }}>
            Circuit
          </Typography>
          <Tooltip title="Remove the last qubit">
            <span>
              <IconButton size="small" aria-label="Remove a qubit" disabled={model.numQubits <= 1} onClick={() => onChange(setNumQubits(model, model.numQubits - 1))}>−</IconButton>
            </span>
          </Tooltip>
          <Typography variant="body2" aria-live="polite">{model.numQubits} qubits</Typography>
          <Tooltip title="Add a qubit">
            <IconButton size="small" aria-label="Add a qubit" onClick={() => onChange(setNumQubits(model, model.numQubits + 1))}>+</IconButton>
          </Tooltip>
          <Button size="small" onClick={() => onChange(measureAll(model))}>Measure all</Button>
          <Button size="small" color="warning" onClick={() => { onChange({ ...model, ops: [] }); setSelected(null); }}>Clear</Button>
        </Stack>
        {readOnlyNote && <Alert severity="info" sx={{ mb: 1 }}>{readOnlyNote}</Alert>}
        <Box sx={{ overflowX: 'auto' }}>
          <Box
            role="grid"
            aria-label="Circuit grid: rows are qubits, columns are time steps"
            sx={{ display: 'grid', gridTemplateColumns: `56px repeat(${numColumns}, 52px)`, rowGap: '6px', width: 'max-content' }}
          >
            {Array.from({ length: model.numQubits }, (_, q) => (
              <Box role="row" key={q} sx={{ display: 'contents' }}>
                <Box role="rowheader" sx={{ fontFamily: 'monospace', alignSelf: 'center' }}>q[{q}]</Box>
                {Array.from({ length: numColumns }, (_, c) => {
                  const op = opAt(model, q, c);
                  const label = op ? cellLabel(op, q, specs.get(op.name)) : null;
                  const [top, bottom] = op ? span(op) : [q, q];
                  const isSel = op && op.id === selected;
                  const name = op
                    ? `${op.name}${op.params.length ? `(${op.params.join(', ')})` : ''} on ${op.qubits.map((x) => `q[${x}]`).join(', ')}${op.kind === 'measure' ? ` to c[${op.clbits[0]}]` : ''}`
                    : 'empty';
                  return (
                    <Box role="gridcell" key={c} sx={{ position: 'relative', height: 44 }}>
                      {/* the wire */}
                      <Box aria-hidden sx={{ position: 'absolute', left: 0, right: 0, top: 21, height: 2, bgcolor: 'text.disabled' }} />
                      {op && op.qubits.length > 1 && (
                        <Box aria-hidden sx={{ position: 'absolute', left: 25, width: 2, bgcolor: 'primary.main', top: q === top ? 22 : -6, bottom: q === bottom ? 22 : 0 }} />
                      )}
                      <Box
                        component="button"
                        id={`cell-${q}-${c}`}
                        data-testid={`cell-${q}-${c}`}
                        aria-label={`q[${q}], column ${c + 1}: ${name}`}
                        draggable={!!op}
                        onDragStart={(e: DragEvent) => op && e.dataTransfer.setData(DND_MOVE, op.id)}
                        onDragOver={(e: DragEvent) => e.preventDefault()}
                        onDrop={(e: DragEvent) => onDrop(e, q, c)}
                        onClick={() => onCell(q, c)}
                        onKeyDown={(e: KeyboardEvent) => onCellKey(e, q, c)}
                        sx={{
                          position: 'absolute', inset: 2, border: 'none', cursor: 'pointer', p: 0, font: 'inherit',
                          display: 'flex', alignItems: 'center', justifyContent: 'center', background: 'transparent', color: 'text.primary',
                          '&:focus-visible': { outline: '3px solid', outlineColor: 'primary.main' },
                          '&:hover': { bgcolor: 'action.hover' },
                        }}
                      >
                        {label && label.kind === 'box' && (
                          <Box component="span" sx={{
                            minWidth: 36, height: 34, px: 0.5, display: 'flex', alignItems: 'center', justifyContent: 'center',
                            bgcolor: isSel ? 'secondary.main' : op!.kind === 'measure' ? 'grey.700' : 'primary.main',
                            color: isSel ? 'secondary.contrastText' : op!.kind === 'measure' ? '#fff' : 'primary.contrastText',
                            borderRadius: 1, fontSize: 12, fontWeight: 700, fontFamily: 'monospace', overflow: 'hidden',
                          }}>
                            {label.text}
                          </Box>
                        )}
                        {label && (label.kind === 'control' || label.kind === 'target') && (
                          <Box component="span" sx={{ fontSize: label.kind === 'control' ? 20 : 26, color: isSel ? 'secondary.main' : 'primary.main', zIndex: 1, lineHeight: 1 }}>
                            {label.text}
                          </Box>
                        )}
                      </Box>
                    </Box>
                  );
                })}
              </Box>
            ))}
          </Box>
        </Box>
        <Typography variant="body2" color="text.secondary" aria-live="polite" sx={{ mt: 1, minHeight: 20 }}>
          {message}
        </Typography>
      </Paper>

      {selectedOp && (
        <Paper variant="outlined" sx={{ p: 1.5 }} component="section" aria-labelledby="inspector-heading">
          <Typography id="inspector-heading" variant="subtitle1" component="h2">
            {selectedOp.name} {spec?.help ? <Typography component="span" variant="body2" color="text.secondary">— {spec.help}</Typography> : null}
          </Typography>
          <Stack direction="row" spacing={1} sx={{ mt: 1, flexWrap: 'wrap', rowGap: 1 }} alignItems="center">
            {selectedOp.params.map((p, i) => (
              <TextField
                key={`${selectedOp.id}-p${i}`}
                size="small"
                label={spec?.params[i] ?? `param ${i + 1}`}
                defaultValue={p}
                onBlur={(e) => {
                  const v = e.target.value.trim();
                  if (v && v !== p) update({ params: selectedOp.params.map((x, j) => (j === i ? v : x)) });
                }}
                onKeyDown={(e) => e.key === 'Enter' && (e.target as HTMLInputElement).blur()}
                helperText="e.g. pi/4, 0.5"
                sx={{ width: 130 }}
              />
            ))}
            {selectedOp.kind !== 'barrier' && argumentLabels(selectedOp, spec).map((label, i) => (
              <FormControl key={`${selectedOp.id}-q${i}`} size="small" sx={{ minWidth: 110 }}>
                <InputLabel id={`arg-${i}`}>{label}</InputLabel>
                <Select labelId={`arg-${i}`} label={label} value={selectedOp.qubits[i]}
                  onChange={(e) => update({ qubits: selectedOp.qubits.map((x, j) => (j === i ? Number(e.target.value) : x)) })}>
                  {Array.from({ length: model.numQubits }, (_, q) => <MenuItem key={q} value={q}>q[{q}]</MenuItem>)}
                </Select>
              </FormControl>
            ))}
            {selectedOp.kind === 'measure' && (
              <FormControl size="small" sx={{ minWidth: 110 }}>
                <InputLabel id="clbit-label">classical bit</InputLabel>
                <Select labelId="clbit-label" label="classical bit" value={selectedOp.clbits[0]}
                  onChange={(e) => update({ clbits: [Number(e.target.value)] })}>
                  {Array.from({ length: Math.max(model.numClbits, model.numQubits) }, (_, c) => <MenuItem key={c} value={c}>c[{c}]</MenuItem>)}
                </Select>
              </FormControl>
            )}
            <Button color="error" onClick={() => { onChange(removeOp(model, selectedOp.id)); setSelected(null); }}>
              Delete
            </Button>
          </Stack>
        </Paper>
      )}
    </Stack>
  );
}
