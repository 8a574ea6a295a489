// The composer's circuit model: operations on a grid of qubit wires × columns,
// converted to and from OpenQASM 2. The text side is authoritative for
// anything the grid cannot show (custom gates, several registers): such
// programs are shown from the server's flattened parse instead.

export interface GateSpec {
  name: string;
  num_qubits: number;
  params: string[];
  help: string;
  category: string;
}

export type OpKind = 'gate' | 'measure' | 'reset' | 'barrier';

export interface Op {
  id: string;
  kind: OpKind;
  /** Gate name (`h`, `cx`, ...) or the kind for non-gates. */
  name: string;
  /** Parameter expressions as OpenQASM text (`pi/2`, `0.3`). */
  params: string[];
  /** Qubit indices; for controlled gates controls come first. */
  qubits: number[];
  /** Classical bits (measure only). */
  clbits: number[];
  column: number;
}

export interface CircuitModel {
  numQubits: number;
  numClbits: number;
  ops: Op[];
}

export interface ModelError {
  line: number;
  column: number;
  message: string;
}

export const MAX_QUBITS = 24;

let nextId = 1;
export const newId = (): string => `op${nextId++}`;

export const emptyModel = (numQubits = 2, numClbits = 2): CircuitModel => ({
  numQubits,
  numClbits,
  ops: [],
});

/** The wires an op's drawing covers (a vertical line joins multi-qubit gates). */
export function span(op: Pick<Op, 'qubits'>): [number, number] {
  return [Math.min(...op.qubits), Math.max(...op.qubits)];
}

function overlaps(a: Pick<Op, 'qubits'>, b: Pick<Op, 'qubits'>): boolean {
  const [a0, a1] = span(a);
  const [b0, b1] = span(b);
  return a0 <= b1 && b0 <= a1;
}

/** Program order: by column, then top wire. */
export function ordered(model: CircuitModel): Op[] {
  return [...model.ops].sort((a, b) => a.column - b.column || span(a)[0] - span(b)[0]);
}

/** Re-packs columns as early as possible while keeping program order. */
export function relayout(ops: Op[]): Op[] {
  const out: Op[] = [];
  for (const op of ops) {
    let col = 0;
    for (const prev of out) if (overlaps(prev, op)) col = Math.max(col, prev.column + 1);
    out.push({ ...op, column: col });
  }
  return out;
}

/** The op drawn at (qubit, column), if any (including the line between a gate's wires). */
export function opAt(model: CircuitModel, qubit: number, column: number): Op | undefined {
  return model.ops.find((o) => o.column === column && span(o)[0] <= qubit && qubit <= span(o)[1]);
}

/** Default qubits for a gate of `arity` dropped on `qubit`: it and the wires below (above at the bottom). */
export function defaultQubits(arity: number, qubit: number, numQubits: number): number[] | null {
  if (arity > numQubits) return null;
  const start = Math.min(qubit, numQubits - arity);
  const qs = Array.from({ length: arity }, (_, i) => start + i);
  // Keep the dropped-on wire first (it becomes the control / first argument).
  return [qubit, ...qs.filter((q) => q !== qubit)];
}

/** Default parameter text for a new gate. */
export function defaultParams(spec: GateSpec): string[] {
  return spec.params.map(() => 'pi/2');
}

/**
 * Places an op at `column`; if any wire it covers is busy there, later ops
 * on overlapping wires shift right by one column first.
 */
export function placeOp(model: CircuitModel, op: Omit<Op, 'id' | 'column'> & { id?: string }, column: number): CircuitModel {
  const placed: Op = { ...op, id: op.id ?? newId(), column };
  const others = model.ops.filter((o) => o.id !== placed.id);
  const blocked = others.some((o) => o.column === column && overlaps(o, placed));
  const shifted = blocked ? others.map((o) => (o.column >= column ? { ...o, column: o.column + 1 } : o)) : others;
  let numClbits = model.numClbits;
  for (const c of placed.clbits) numClbits = Math.max(numClbits, c + 1);
  return compact({ ...model, numClbits, ops: [...shifted, placed] });
}

/** Places a gate from the palette on a wire and column with default arguments. */
export function placeGate(model: CircuitModel, spec: GateSpec, qubit: number, column: number): CircuitModel | string {
  if (spec.name === 'measure') {
    return placeOp(model, { kind: 'measure', name: 'measure', params: [], qubits: [qubit], clbits: [qubit] }, column);
  }
  if (spec.name === 'reset') {
    return placeOp(model, { kind: 'reset', name: 'reset', params: [], qubits: [qubit], clbits: [] }, column);
  }
  if (spec.name === 'barrier') {
    const qubits = Array.from({ length: model.numQubits }, (_, i) => i);
    return placeOp(model, { kind: 'barrier', name: 'barrier', params: [], qubits, clbits: [] }, column);
  }
  const qubits = defaultQubits(spec.num_qubits, qubit, model.numQubits);
  if (!qubits) return `${spec.name} needs ${spec.num_qubits} qubits; add wires first`;
  return placeOp(model, { kind: 'gate', name: spec.name, params: defaultParams(spec), qubits, clbits: [] }, column);
}

/** Removes empty columns. */
export function compact(model: CircuitModel): CircuitModel {
  const used = [...new Set(model.ops.map((o) => o.column))].sort((a, b) => a - b);
  const map = new Map(used.map((c, i) => [c, i]));
  return { ...model, ops: model.ops.map((o) => ({ ...o, column: map.get(o.column)! })) };
}

export function removeOp(model: CircuitModel, id: string): CircuitModel {
  return compact({ ...model, ops: model.ops.filter((o) => o.id !== id) });
}

/** Replaces an op's fields; `null` when the qubits are invalid (repeated or out of range). */
export function updateOp(model: CircuitModel, id: string, patch: Partial<Omit<Op, 'id'>>): CircuitModel | null {
  const old = model.ops.find((o) => o.id === id);
  if (!old) return null;
  const next = { ...old, ...patch };
  if (new Set(next.qubits).size !== next.qubits.length) return null;
  if (next.qubits.some((q) => q < 0 || q >= model.numQubits)) return null;
  return placeOp(model, next, old.column);
}

export function setNumQubits(model: CircuitModel, n: number): CircuitModel {
  const numQubits = Math.max(1, Math.min(MAX_QUBITS, n));
  const ops = model.ops.filter((o) => o.qubits.every((q) => q < numQubits));
  return compact({ ...model, numQubits, ops });
}

/** Appends a measurement of every qubit into the bit of the same index. */
export function measureAll(model: CircuitModel): CircuitModel {
  const column = model.ops.length ? Math.max(...model.ops.map((o) => o.column)) + 1 : 0;
  const ops = Array.from({ length: model.numQubits }, (_, q): Op => ({
    id: newId(), kind: 'measure', name: 'measure', params: [], qubits: [q], clbits: [q], column,
  }));
  return { ...model, numClbits: Math.max(model.numClbits, model.numQubits), ops: [...model.ops, ...ops] };
}

// ---------------------------------------------------------------- QASM out

export function toQasm(model: CircuitModel): string {
  const lines = ['OPENQASM 2.0;', 'include "qelib1.inc";', `qreg q[${model.numQubits}];`];
  if (model.numClbits > 0) lines.push(`creg c[${model.numClbits}];`);
  for (const op of ordered(model)) {
    const qs = op.qubits.map((q) => `q[${q}]`).join(',');
    switch (op.kind) {
      case 'measure':
        lines.push(`measure ${qs} -> c[${op.clbits[0]}];`);
        break;
      case 'reset':
        lines.push(`reset ${qs};`);
        break;
      case 'barrier':
        lines.push(`barrier ${qs};`);
        break;
      default:
        lines.push(`${op.name}${op.params.length ? `(${op.params.join(',')})` : ''} ${qs};`);
    }
  }
  return lines.join('\n') + '\n';
}

// ----------------------------------------------------------------- QASM in

export class QasmSubsetError extends Error {
  constructor(public line: number, public column: number, message: string) {
    super(message);
  }
}

interface Stmt {
  text: string;
  line: number;
  column: number;
}

/** Splits source into `;`-terminated statements with positions, dropping comments. */
function statements(source: string): Stmt[] {
  const out: Stmt[] = [];
  let cur = '';
  let start: { line: number; column: number } | null = null;
  let line = 1;
  let column = 1;
  for (let i = 0; i < source.length; i++) {
    const ch = source[i];
    if (ch === '/' && source[i + 1] === '/') {
      while (i < source.length && source[i] !== '\n') i++;
      i--;
      continue;
    }
    if (ch === '\n') {
      line++;
      column = 1;
      cur += ' ';
      continue;
    }
    if (ch === ';') {
      if (cur.trim()) out.push({ text: cur.trim(), ...start! });
      cur = '';
      start = null;
    } else {
      if (!start && !/\s/.test(ch)) start = { line, column };
      cur += ch;
    }
    column++;
  }
  if (cur.trim()) throw new QasmSubsetError(start!.line, start!.column, 'expected ";" at the end of the statement');
  return out;
}

/**
 * Parses the OpenQASM 2 subset the grid can show: one `qreg`, at most one
 * `creg`, table gates, `measure`, `reset`, `barrier`. Anything else throws a
 * `QasmSubsetError` (the server's parser then decides whether it is valid).
 */
export function fromQasm(source: string, gates: Map<string, GateSpec>): CircuitModel {
  let qreg: { name: string; size: number } | null = null;
  let creg: { name: string; size: number } | null = null;
  const ops: Op[] = [];
  const ref = (s: Stmt, text: string, reg: { name: string; size: number } | null, what: string): number[] => {
    const m = /^([A-Za-z_]\w*)\s*(?:\[\s*(\d+)\s*\])?$/.exec(text.trim());
    if (!m || !reg || m[1] !== reg.name) throw new QasmSubsetError(s.line, s.column, `unknown ${what} \`${text.trim()}\``);
    if (m[2] === undefined) return Array.from({ length: reg.size }, (_, i) => i);
    const i = Number(m[2]);
    if (i >= reg.size) throw new QasmSubsetError(s.line, s.column, `${what} index ${i} out of range`);
    return [i];
  };
  for (const s of statements(source)) {
    let m: RegExpExecArray | null;
    if (/^OPENQASM\s+2(\.0)?$/.test(s.text) || /^include\s+"qelib1\.inc"$/.test(s.text)) continue;
    if ((m = /^(qreg|creg)\s+([A-Za-z_]\w*)\s*\[\s*(\d+)\s*\]$/.exec(s.text))) {
      const reg = { name: m[2], size: Number(m[3]) };
      if (m[1] === 'qreg') {
        if (qreg) throw new QasmSubsetError(s.line, s.column, 'the composer shows one quantum register');
        if (reg.size < 1 || reg.size > MAX_QUBITS) throw new QasmSubsetError(s.line, s.column, `the composer shows 1 to ${MAX_QUBITS} qubits`);
        qreg = reg;
      } else {
        if (creg) throw new QasmSubsetError(s.line, s.column, 'the composer shows one classical register');
        creg = reg;
      }
      continue;
    }
    if ((m = /^measure\s+(.+?)\s*->\s*(.+)$/.exec(s.text))) {
      const qs = ref(s, m[1], qreg, 'qubit');
      const cs = ref(s, m[2], creg, 'classical bit');
      if (qs.length !== cs.length) throw new QasmSubsetError(s.line, s.column, 'measure needs registers of the same size');
      qs.forEach((q, i) => ops.push({ id: newId(), kind: 'measure', name: 'measure', params: [], qubits: [q], clbits: [cs[i]], column: 0 }));
      continue;
    }
    if ((m = /^(reset|barrier)\s+(.+)$/.exec(s.text))) {
      const args = m[2].split(',').filter((a) => a.trim());
      if (m[1] === 'reset') {
        for (const a of args) for (const q of ref(s, a, qreg, 'qubit')) ops.push({ id: newId(), kind: 'reset', name: 'reset', params: [], qubits: [q], clbits: [], column: 0 });
      } else {
        const qubits = [...new Set(args.flatMap((a) => ref(s, a, qreg, 'qubit')))];
        ops.push({ id: newId(), kind: 'barrier', name: 'barrier', params: [], qubits, clbits: [], column: 0 });
      }
      continue;
    }
    if ((m = /^([A-Za-z_]\w*)\s*(?:\(([^)]*)\))?\s+(.+)$/.exec(s.text))) {
      const spec = gates.get(m[1]);
      if (!spec) throw new QasmSubsetError(s.line, s.column, `gate \`${m[1]}\` is not in the gate table`);
      const params = m[2] === undefined ? [] : m[2].split(',').map((p) => p.trim()).filter(Boolean);
      if (params.length !== spec.params.length) throw new QasmSubsetError(s.line, s.column, `${m[1]} takes ${spec.params.length} parameter(s)`);
      const args = m[3].split(',').map((a) => ref(s, a, qreg, 'qubit'));
      if (args.length !== spec.num_qubits) throw new QasmSubsetError(s.line, s.column, `${m[1]} takes ${spec.num_qubits} qubit(s)`);
      if (args.some((a) => a.length !== 1)) throw new QasmSubsetError(s.line, s.column, 'register broadcasting is shown by the server parse');
      const qubits = args.map((a) => a[0]);
      if (new Set(qubits).size !== qubits.length) throw new QasmSubsetError(s.line, s.column, 'repeated qubit argument');
      ops.push({ id: newId(), kind: 'gate', name: spec.name, params, qubits, clbits: [], column: 0 });
      continue;
    }
    throw new QasmSubsetError(s.line, s.column, `unsupported statement \`${s.text.slice(0, 40)}\``);
  }
  if (!qreg) throw new QasmSubsetError(1, 1, 'no qreg declared');
  return { numQubits: qreg.size, numClbits: creg?.size ?? 0, ops: relayout(ops) };
}

/** One operation of the server's `/circuits/parse` answer. */
export interface ServerOperation {
  kind: string;
  name: string;
  params: number[];
  params_display?: string[];
  qubits: number[];
  clbits: number[];
}

/** A model from the server's flattened parse (params become decimal text). */
export function fromServer(numQubits: number, numClbits: number, operations: ServerOperation[]): CircuitModel {
  const ops: Op[] = operations.map((o) => ({
    id: newId(),
    kind: (['gate', 'measure', 'reset', 'barrier'].includes(o.kind) ? o.kind : 'gate') as OpKind,
    name: o.name,
    params: o.params.map(formatParam),
    qubits: o.qubits,
    clbits: o.clbits,
    column: 0,
  }));
  return { numQubits, numClbits, ops: relayout(ops) };
}

/** A radian value as OpenQASM text, as a multiple of pi when it is a simple one. */
export function formatParam(x: number): string {
  for (const den of [1, 2, 3, 4, 6, 8, 16]) {
    const num = (x * den) / Math.PI;
    const r = Math.round(num);
    if (r !== 0 && Math.abs(num - r) < 1e-9) {
      const n = r === 1 ? 'pi' : r === -1 ? '-pi' : `${r}*pi`;
      return den === 1 ? n : `${n}/${den}`;
    }
  }
  return String(Number(x.toPrecision(12)));
}

/** Offset in `source` of a 1-based line/column (clamped), for editor diagnostics. */
export function errorOffset(source: string, line: number, column: number): { from: number; to: number } {
  const lines = source.split('\n');
  if (line < 1) return { from: 0, to: Math.min(source.length, 1) };
  const l = Math.min(line, lines.length);
  let from = 0;
  for (let i = 0; i < l - 1; i++) from += lines[i].length + 1;
  const text = lines[l - 1] ?? '';
  const col = Math.max(1, Math.min(column, text.length + 1));
  const start = from + col - 1;
  // Underline the token that starts there (at least one character).
  const rest = text.slice(col - 1);
  const token = /^[\w.]+|^\S/.exec(rest)?.[0].length ?? 0;
  return { from: start, to: Math.min(source.length, start + Math.max(1, token)) };
}

/** Labels for each qubit argument of a gate (`control`/`target`, or `qubit n`). */
export function argumentLabels(op: Pick<Op, 'name' | 'qubits' | 'kind'>, spec?: GateSpec): string[] {
  const n = op.qubits.length;
  if (op.kind === 'gate' && n > 1 && spec?.category === 'controlled') {
    const targets = op.name === 'cswap' ? 2 : 1;
    const controls = n - targets;
    return op.qubits.map((_, i) =>
      i < controls ? (controls > 1 ? `control ${i + 1}` : 'control') : targets > 1 ? `target ${i - controls + 1}` : 'target',
    );
  }
  return op.qubits.map((_, i) => (n > 1 ? `qubit ${i + 1}` : 'qubit'));
}
