import { describe, expect, it } from 'vitest';
import {
  argumentLabels, emptyModel, errorOffset, formatParam, fromQasm, fromServer, measureAll, opAt,
  placeGate, QasmSubsetError, removeOp, toQasm, updateOp, type CircuitModel, type GateSpec,
} from './model';

const spec = (name: string, num_qubits: number, params: string[] = [], category = 'single'): GateSpec =>
  ({ name, num_qubits, params, help: '', category });
const table = new Map<string, GateSpec>([
  ['h', spec('h', 1)], ['x', spec('x', 1)], ['rz', spec('rz', 1, ['phi'], 'rotation')],
  ['u3', spec('u3', 1, ['theta', 'phi', 'lambda'], 'rotation')], ['cx', spec('cx', 2, [], 'controlled')],
  ['ccx', spec('ccx', 3, [], 'controlled')], ['swap', spec('swap', 2, [], 'two-qubit')],
]);
const measure = spec('measure', 1);

const BELL = `OPENQASM 2.0;
include "qelib1.inc";
qreg q[2];
creg c[2];
h q[0];
cx q[0],q[1];
measure q[0] -> c[0];
measure q[1] -> c[1];
`;

const place = (m: CircuitModel, g: GateSpec, q: number, col: number): CircuitModel => {
  const r = placeGate(m, g, q, col);
  if (typeof r === 'string') throw new Error(r);
  return r;
};

describe('QASM round trip', () => {
  it('keeps a canonical program byte for byte', () => {
    expect(toQasm(fromQasm(BELL, table))).toBe(BELL);
  });

  it('keeps parameters, resets, barriers and several columns', () => {
    const src = `OPENQASM 2.0;
include "qelib1.inc";
qreg q[3];
creg c[3];
h q[0];
rz(pi/4) q[1];
u3(0.1,-pi/2,2*pi) q[2];
ccx q[0],q[1],q[2];
barrier q[0],q[1],q[2];
measure q[0] -> c[2];
reset q[1];
`;
    const model = fromQasm(src, table);
    expect(model.ops.map((o) => o.column)).toEqual([0, 0, 0, 1, 2, 3, 3]);
    expect(toQasm(model)).toBe(src);
  });

  it('normalises broadcasting, comments and layout', () => {
    const model = fromQasm('OPENQASM 2.0; // bell\nqreg q[2]; creg c[2];\n  h q[0]; cx q[0], q[1];\nmeasure q -> c;', table);
    expect(toQasm(model)).toBe(BELL);
  });

  it('orders independent gates by column then wire', () => {
    const model = fromQasm('OPENQASM 2.0;\nqreg q[2];\nx q[1];\nh q[0];\n', table);
    expect(model.ops.map((o) => [o.name, o.column])).toEqual([['x', 0], ['h', 0]]);
    expect(toQasm(model)).toContain('h q[0];\nx q[1];');
  });

  it('builds the same model from the server parse', () => {
    const server = fromServer(2, 2, [
      { kind: 'gate', name: 'h', params: [], qubits: [0], clbits: [] },
      { kind: 'gate', name: 'rz', params: [Math.PI / 2], qubits: [1], clbits: [] },
      { kind: 'gate', name: 'cx', params: [], qubits: [0, 1], clbits: [] },
      { kind: 'measure', name: 'measure', params: [], qubits: [0], clbits: [0] },
    ]);
    expect(toQasm(server)).toBe(toQasm(fromQasm(toQasm(server), table)));
    expect(toQasm(server)).toContain('rz(pi/2) q[1];');
  });
});

describe('subset errors', () => {
  const err = (src: string): QasmSubsetError => {
    try {
      fromQasm(src, table);
    } catch (e) {
      return e as QasmSubsetError;
    }
    throw new Error('expected an error');
  };

  it('names the line and column of the statement', () => {
    const e = err('OPENQASM 2.0;\nqreg q[2];\n  foo q[0];\n');
    expect([e.line, e.column]).toEqual([3, 3]);
    expect(e.message).toContain('foo');
  });

  it('rejects wrong arity, parameters, ranges and missing semicolons', () => {
    expect(err('OPENQASM 2.0;\nqreg q[2];\ncx q[0];').message).toContain('2 qubit');
    expect(err('OPENQASM 2.0;\nqreg q[2];\nrz q[0];').message).toContain('1 parameter');
    expect(err('OPENQASM 2.0;\nqreg q[2];\nh q[5];').message).toContain('out of range');
    expect(err('OPENQASM 2.0;\nqreg q[2];\nh q[0]').message).toContain(';');
    expect(err('OPENQASM 2.0;\nqreg q[2];\ncx q[0],q[0];').message).toContain('repeated');
  });
});

describe('gate placement', () => {
  it('composes a Bell circuit by placing gates', () => {
    let m = emptyModel(2, 0);
    m = place(m, table.get('h')!, 0, 0);
    m = place(m, table.get('cx')!, 0, 1);
    m = place(m, measure, 0, 2);
    m = place(m, measure, 1, 2);
    expect(toQasm(m)).toBe(BELL);
  });

  it('shifts later gates right when the cell is taken', () => {
    let m = emptyModel(2, 0);
    m = place(m, table.get('h')!, 0, 0);
    m = place(m, table.get('x')!, 0, 1);
    m = place(m, table.get('rz')!, 0, 0);
    expect(m.ops.map((o) => [o.name, o.column]).sort()).toEqual([['h', 1], ['rz', 0], ['x', 2]]);
    expect(opAt(m, 0, 0)?.params).toEqual(['pi/2']);
  });

  it('places multi-qubit gates on the wire and below, or above at the bottom', () => {
    let m = emptyModel(3, 0);
    m = place(m, table.get('cx')!, 2, 0);
    expect(m.ops[0].qubits).toEqual([2, 1]);
    m = place(m, table.get('ccx')!, 0, 1);
    expect(m.ops[1].qubits).toEqual([0, 1, 2]);
    expect(placeGate(emptyModel(1, 0), table.get('cx')!, 0, 0)).toMatch(/needs 2 qubits/);
  });

  it('edits controls and targets, rejecting repeats', () => {
    let m = place(emptyModel(3, 0), table.get('cx')!, 0, 0);
    const id = m.ops[0].id;
    m = updateOp(m, id, { qubits: [2, 0] })!;
    expect(m.ops[0].qubits).toEqual([2, 0]);
    expect(updateOp(m, id, { qubits: [0, 0] })).toBeNull();
    expect(argumentLabels(m.ops[0], table.get('cx'))).toEqual(['control', 'target']);
    expect(toQasm(m)).toContain('cx q[2],q[0];');
  });

  it('removes ops and compacts columns; measure-all appends a column', () => {
    let m = place(emptyModel(2, 0), table.get('h')!, 0, 0);
    m = place(m, table.get('x')!, 0, 1);
    m = removeOp(m, m.ops[0].id);
    expect(m.ops).toHaveLength(1);
    expect(m.ops[0].column).toBe(0);
    m = measureAll(m);
    expect(m.numClbits).toBe(2);
    expect(m.ops.filter((o) => o.kind === 'measure').map((o) => o.column)).toEqual([1, 1]);
  });
});

describe('error mapping', () => {
  it('maps line and column to an editor range over the token', () => {
    const src = 'OPENQASM 2.0;\nqreg q[2];\nfoo q[0];\n';
    const r = errorOffset(src, 3, 1);
    expect(src.slice(r.from, r.to)).toBe('foo');
  });

  it('clamps positions past the end and handles position 0', () => {
    const src = 'ab\ncd';
    expect(errorOffset(src, 9, 9)).toEqual({ from: 5, to: 5 });
    expect(errorOffset(src, 0, 0)).toEqual({ from: 0, to: 1 });
  });

  it('formats parameters as multiples of pi where exact', () => {
    expect(formatParam(Math.PI)).toBe('pi');
    expect(formatParam(-Math.PI / 2)).toBe('-pi/2');
    expect(formatParam((3 * Math.PI) / 4)).toBe('3*pi/4');
    expect(formatParam(0.1)).toBe('0.1');
  });
});
