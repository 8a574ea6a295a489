"""Compiler benchmark: `qv transpile` against Qiskit's `transpile`, same run.

Generates the circuits with Qiskit (fixed seeds), writes each one as an
OpenQASM 2 file, and compiles that same file with Qiskit (in process, levels
2 and 3) and with `qv transpile --json` (levels 2 and 3). Reports two-qubit
gate count, two-qubit depth and compile time, checks that every qv output is
native and on the coupling map (by parsing it back with Qiskit), and prints a
Markdown table plus the summary ratios.

Timing: Qiskit's figure is the wall time of the `transpile()` call on an
already parsed circuit; qv's is the `stats.time_s` it reports (also parse
excluded). Both run on the same machine, one after the other.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field

import numpy as np
from qiskit import QuantumCircuit, qasm2, transpile
from qiskit.circuit.library import grover_operator, quantum_volume
from qiskit.circuit.random import random_circuit
from qiskit.synthesis import adder_ripple_c04, multiplier_qft_r17
from qiskit.synthesis.qft import synth_qft_full
from qiskit.transpiler import CouplingMap

# qelib1.inc gates: what the QASM files are written in.
QELIB1 = [
    "u3", "u2", "u1", "cx", "id", "x", "y", "z", "h", "s", "sdg", "t", "tdg", "rx", "ry", "rz",
    "cz", "cy", "swap", "ch", "ccx", "cswap", "crx", "cry", "crz", "cu1", "cu3", "rxx", "rzz",
    "p", "cp", "u", "sx", "sxdg",
]

@dataclass
class Target:
    """A device as both compilers see it."""

    qv_name: str
    label: str
    num_qubits: int
    edges: list
    basis: list

    def coupling(self) -> CouplingMap:
        cm = CouplingMap(self.edges)
        cm.make_symmetric()
        return cm


def heavy_hex(root: str) -> Target:
    path = os.path.join(root, "crates/qv-compile/tests/fixtures/coupling_maps.json")
    with open(path) as f:
        data = json.load(f)["ibm_eagle"]
    return Target("ibm_eagle", "heavy-hex 127 (ecr)", 127, data["edges"], ["ecr", "rz", "sx", "x"])


def grid(rows: int, cols: int) -> Target:
    edges = []
    for r in range(rows):
        for c in range(cols):
            q = r * cols + c
            if c + 1 < cols:
                edges.append([q, q + 1])
            if r + 1 < rows:
                edges.append([q, q + cols])
    return Target(f"grid:{rows}x{cols}", f"grid {rows}x{cols} (cx)", rows * cols, edges,
                  ["cx", "rz", "sx", "x"])


def line(n: int) -> Target:
    edges = [[i, i + 1] for i in range(n - 1)]
    return Target(f"line:{n}", f"line {n} (cx)", n, edges, ["cx", "rz", "sx", "x"])


# ----------------------------------------------------------------------------------------------
# Circuits


def ghz(n: int) -> QuantumCircuit:
    qc = QuantumCircuit(n)
    qc.h(0)
    for i in range(n - 1):
        qc.cx(i, i + 1)
    return qc


def bv(n: int, seed: int) -> QuantumCircuit:
    rng = np.random.default_rng(seed)
    secret = rng.integers(0, 2, n - 1)
    secret[0] = 1
    qc = QuantumCircuit(n)
    qc.x(n - 1)
    qc.h(range(n))
    for i, bit in enumerate(secret):
        if bit:
            qc.cx(i, n - 1)
    qc.h(range(n - 1))
    return qc


def qaoa(n: int, p: int, seed: int) -> QuantumCircuit:
    """MaxCut QAOA on a random 3-regular graph (random matching model)."""
    rng = np.random.default_rng(seed)
    while True:
        stubs = np.repeat(np.arange(n), 3)
        rng.shuffle(stubs)
        pairs = {tuple(sorted(stubs[i:i + 2])) for i in range(0, len(stubs), 2)}
        if len(pairs) == len(stubs) // 2 and all(a != b for a, b in pairs):
            break
    qc = QuantumCircuit(n)
    qc.h(range(n))
    for layer in range(p):
        gamma, beta = rng.uniform(0, np.pi, 2)
        for a, b in sorted(pairs):
            qc.rzz(2 * gamma, int(a), int(b))
        qc.rx(2 * beta, range(n))
    return qc


def ising(n: int, steps: int) -> QuantumCircuit:
    """Trotterised transverse-field Ising chain (QASMBench's `ising`)."""
    qc = QuantumCircuit(n)
    qc.h(range(n))
    for _ in range(steps):
        for i in range(0, n - 1, 2):
            qc.rzz(0.4, i, i + 1)
        for i in range(1, n - 1, 2):
            qc.rzz(0.4, i, i + 1)
        qc.rx(0.3, range(n))
    return qc


def adder(bits: int) -> QuantumCircuit:
    """Cuccaro ripple-carry adder (QASMBench's `adder`/`bigadder`)."""
    add = adder_ripple_c04(bits, kind="full")
    qc = QuantumCircuit(add.num_qubits)
    qc.x(range(0, bits, 2))
    qc.x(range(bits + 1, 2 * bits, 3))
    qc.compose(add, inplace=True)
    return qc


def multiplier(bits: int) -> QuantumCircuit:
    """QFT-based multiplier (QASMBench's `multiplier`)."""
    mul = multiplier_qft_r17(bits)
    qc = QuantumCircuit(mul.num_qubits)
    qc.x([0, bits])
    qc.compose(mul, inplace=True)
    return qc


def grover(n: int, iterations: int) -> QuantumCircuit:
    """Grover search for |1…1⟩ with multi-controlled gates (QASMBench's `grover`)."""
    oracle = QuantumCircuit(n)
    oracle.h(n - 1)
    oracle.mcx(list(range(n - 1)), n - 1)
    oracle.h(n - 1)
    op = grover_operator(oracle)
    qc = QuantumCircuit(n)
    qc.h(range(n))
    for _ in range(iterations):
        qc.compose(op, inplace=True)
    return qc


def qv(n: int, seed: int) -> QuantumCircuit:
    return quantum_volume(n, seed=seed)


def qft(n: int) -> QuantumCircuit:
    """QFT with the final qubit-reversal swaps."""
    return synth_qft_full(n)


def rand(n: int, depth: int, seed: int) -> QuantumCircuit:
    return random_circuit(n, depth, max_operands=2, seed=seed)


def cases(root: str, quick: bool):
    eagle = heavy_hex(root)
    g = grid(10, 10)
    specs = [
        ("ghz_100", lambda: ghz(100), eagle),
        ("bv_100", lambda: bv(100, 7), eagle),
        ("qft_20", lambda: qft(20), eagle),
        ("qft_50", lambda: qft(50), eagle),
        ("qft_100", lambda: qft(100), eagle),
        ("qv_16", lambda: qv(16, 11), eagle),
        ("qv_32", lambda: qv(32, 12), eagle),
        ("qaoa_50_p2", lambda: qaoa(50, 2, 13), eagle),
        ("qaoa_100_p1", lambda: qaoa(100, 1, 14), g),
        ("random_20_d20", lambda: rand(20, 20, 15), eagle),
        ("random_50_d10", lambda: rand(50, 10, 16), g),
        ("adder_n28", lambda: adder(13), eagle),
        ("multiplier_n16", lambda: multiplier(4), eagle),
        ("ising_n64", lambda: ising(64, 10), g),
        ("grover_n9", lambda: grover(9, 2), g),
        ("qft_64", lambda: qft(64), g),
        ("qv_25", lambda: qv(25, 17), g),
        ("ghz_50", lambda: ghz(50), line(50)),
        ("qft_30", lambda: qft(30), line(30)),
        ("qaoa_20_p2", lambda: qaoa(20, 2, 18), line(20)),
        ("random_10_d40", lambda: rand(10, 40, 19), line(10)),
        ("bv_30", lambda: bv(30, 20), line(30)),
    ]
    if quick:
        specs = [s for s in specs if s[0] in ("ghz_50", "qft_20", "qv_16", "qaoa_20_p2", "bv_30")]
    return specs


def write_qasm(qc: QuantumCircuit, path: str) -> None:
    qc = qc.copy()
    qc.measure_all()
    flat = transpile(qc, basis_gates=QELIB1, optimization_level=0)
    with open(path, "w") as f:
        f.write(qasm2.dumps(flat))


# ----------------------------------------------------------------------------------------------
# Compilers


def two_qubit_stats(circ: QuantumCircuit) -> tuple[int, int]:
    def is2q(inst) -> bool:
        return inst.operation.num_qubits == 2 and inst.operation.name != "barrier"

    count = sum(1 for inst in circ.data if is2q(inst))
    return count, circ.depth(is2q)


def run_qiskit(path: str, target: Target, level: int, seed: int):
    circ = qasm2.load(path, custom_instructions=qasm2.LEGACY_CUSTOM_INSTRUCTIONS)
    cm = target.coupling()
    start = time.perf_counter()
    out = transpile(circ, coupling_map=cm, basis_gates=target.basis, optimization_level=level,
                    seed_transpiler=seed)
    elapsed = time.perf_counter() - start
    count, depth = two_qubit_stats(out)
    return {"two_qubit_gates": count, "two_qubit_depth": depth, "time_s": elapsed}


def run_qv(qv_bin: str, path: str, target: Target, level: int, seed: int):
    cmd = [qv_bin, "transpile", path, "--target", target.qv_name, "--level", str(level),
           "--seed", str(seed), "--json"]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed: {proc.stderr.strip()}")
    data = json.loads(proc.stdout)
    check_qv_output(data, target, path)
    stats = data["stats"]
    return {k: stats[k] for k in ("two_qubit_gates", "two_qubit_depth", "time_s")}


def check_qv_output(data, target: Target, path: str) -> None:
    """Parses qv's QASM with Qiskit: native gates only, 2q gates on edges, counts agree."""
    circ = qasm2.loads(data["qasm"], custom_instructions=qasm2.LEGACY_CUSTOM_INSTRUCTIONS)
    edges = {tuple(e) for e in target.edges} | {tuple(reversed(e)) for e in target.edges}
    allowed = set(target.basis) | {"measure", "barrier", "reset"}
    for inst in circ.data:
        name = inst.operation.name
        if name not in allowed:
            raise RuntimeError(f"{path}: qv emitted non-native gate `{name}`")
        if inst.operation.num_qubits == 2 and name != "barrier":
            pair = tuple(circ.find_bit(q).index for q in inst.qubits)
            if pair not in edges:
                raise RuntimeError(f"{path}: qv put `{name}` on uncoupled qubits {pair}")
    count, _ = two_qubit_stats(circ)
    if count != data["stats"]["two_qubit_gates"]:
        raise RuntimeError(f"{path}: qv reports {data['stats']['two_qubit_gates']} 2q gates, "
                           f"its QASM has {count}")


# ----------------------------------------------------------------------------------------------
# Report


@dataclass
class Row:
    name: str
    qubits: int
    target: str
    results: dict = field(default_factory=dict)


def geomean(xs):
    xs = [x for x in xs if x > 0]
    return math.exp(sum(math.log(x) for x in xs) / len(xs)) if xs else float("nan")


def report(rows: list[Row]) -> str:
    out = []
    out.append("| circuit | qubits | target | 2q Qiskit L2 | 2q Qiskit L3 | 2q qv L2 | 2q qv L3 "
               "| 2q depth Qiskit L2 / qv L2 | time Qiskit L2 | time Qiskit L3 | time qv L2 "
               "| time qv L3 |")
    out.append("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        q2, q3, v2, v3 = (r.results[k] for k in ("qiskit2", "qiskit3", "qv2", "qv3"))
        out.append(
            f"| {r.name} | {r.qubits} | {r.target} | {q2['two_qubit_gates']} | "
            f"{q3['two_qubit_gates']} | {v2['two_qubit_gates']} | {v3['two_qubit_gates']} | "
            f"{q2['two_qubit_depth']} / {v2['two_qubit_depth']} | {q2['time_s']:.3f} s | "
            f"{q3['time_s']:.3f} s | {v2['time_s']:.3f} s | {v3['time_s']:.3f} s |"
        )
    out.append("")

    def ratios(a, b, key):
        return [r.results[a][key] / max(r.results[b][key], 1e-9) for r in rows
                if r.results[b][key] > 0]

    lines = [
        ("2q count, qv L2 / Qiskit L2", ratios("qv2", "qiskit2", "two_qubit_gates")),
        ("2q count, qv L3 / Qiskit L3", ratios("qv3", "qiskit3", "two_qubit_gates")),
        ("2q depth, qv L2 / Qiskit L2", ratios("qv2", "qiskit2", "two_qubit_depth")),
        ("compile time, qv L2 / Qiskit L2", ratios("qv2", "qiskit2", "time_s")),
        ("compile time, qv L3 / Qiskit L3", ratios("qv3", "qiskit3", "time_s")),
    ]
    out.append("| ratio | geometric mean | worst (max) | best (min) |")
    out.append("|---|---:|---:|---:|")
    for label, xs in lines:
        out.append(f"| {label} | {geomean(xs):.3f} | {max(xs):.3f} | {min(xs):.3f} |")
    return "\n".join(out)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--root", required=True, help="repository root")
    ap.add_argument("--qv", help="qv binary (default: target/release/qv under the root)")
    ap.add_argument("--seed", type=int, default=7, help="seed for both compilers")
    ap.add_argument("--quick", action="store_true", help="a handful of small circuits only")
    ap.add_argument("--json", help="also write the raw results to this file")
    ap.add_argument("--only", help="comma-separated circuit names to run")
    args = ap.parse_args()
    qv_bin = args.qv or os.path.join(args.root, "target/release/qv")

    import qiskit
    print(f"# qiskit {qiskit.__version__}, python {sys.version.split()[0]}, "
          f"{os.cpu_count()} CPUs", file=sys.stderr)
    rows = []
    with tempfile.TemporaryDirectory(prefix="qv-compiler-bench-") as tmp:
        specs = cases(args.root, args.quick)
        if args.only:
            wanted = set(args.only.split(","))
            specs = [s for s in specs if s[0] in wanted]
        for name, make, target in specs:
            circ = make()
            path = os.path.join(tmp, f"{name}.qasm")
            write_qasm(circ, path)
            row = Row(name, circ.num_qubits, target.label)
            for level in (2, 3):
                row.results[f"qiskit{level}"] = run_qiskit(path, target, level, args.seed)
                row.results[f"qv{level}"] = run_qv(qv_bin, path, target, level, args.seed)
            r = row.results
            print(f"{name:16} {target.label:22} 2q Qiskit L2 {r['qiskit2']['two_qubit_gates']:6} "
                  f"qv L2 {r['qv2']['two_qubit_gates']:6} | time Qiskit L2 "
                  f"{r['qiskit2']['time_s']:7.3f} s qv L2 {r['qv2']['time_s']:7.3f} s",
                  file=sys.stderr, flush=True)
            rows.append(row)
    print(report(rows))
    if args.json:
        with open(args.json, "w") as f:
            json.dump([r.__dict__ for r in rows], f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
