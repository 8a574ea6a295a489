"""qv vs Qiskit Aer vs qulacs on the same state-vector circuits, in one run.

For every circuit family and size it writes one OpenQASM 2 file, then
- times each engine on it (one shot sampled after the full state evolution;
  qv: `time_taken_s` of `qv run --json`; Aer: the experiment's `time_taken`
  with fusion on and every thread; qulacs: `update_quantum_state` after its
  circuit optimiser, plus one sample), best of `--repeat` runs;
- checks that the three final states agree (fidelity >= 1 - 1e-8), with qv's
  state read from `qv run --output statevector --npy`;
and prints per-circuit times, the ratio best-peer/qv, and the geometric mean
over 22+ qubits. It also measures the machine's memory bandwidth (in-place
complex scale, the traffic of one gate pass) and each engine's effective GB/s
on unfused single-qubit gates (80 gates minus 40: full passes for every engine).
"""

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time

import numpy as np


# ---------------------------------------------------------------- circuits
# A circuit is a list of (name, params, qubits); QASM and qulacs are built from it.

def qft(n, rng):
    gates = []
    for j in reversed(range(n)):
        gates.append(("h", [], [j]))
        for k in reversed(range(j)):
            gates.append(("cp", [math.pi / 2 ** (j - k)], [k, j]))
    for i in range(n // 2):
        gates.append(("swap", [], [i, n - 1 - i]))
    return gates


def ghz(n, rng):
    return [("h", [], [0])] + [("cx", [], [i, i + 1]) for i in range(n - 1)]


def qcbm(n, rng, layers=9):
    gates = []
    for layer in range(layers):
        for q in range(n):
            gates.append(("rx", [rng.uniform(-math.pi, math.pi)], [q]))
            gates.append(("rz", [rng.uniform(-math.pi, math.pi)], [q]))
        for q in range(n):
            gates.append(("cx", [], [q, (q + 1) % n]))
    return gates


def random_circuit(n, rng, depth=20):
    gates = []
    one = ["h", "rx", "ry", "rz", "t", "sx"]
    for _ in range(depth):
        for q in range(n):
            g = one[rng.integers(len(one))]
            params = [rng.uniform(-math.pi, math.pi)] if g in ("rx", "ry", "rz") else []
            gates.append((g, params, [q]))
        perm = rng.permutation(n)
        for i in range(0, n - 1, 2):
            gates.append(("cx" if rng.random() < 0.5 else "cz", [], [int(perm[i]), int(perm[i + 1])]))
    return gates


def quantum_volume(n, rng):
    from qiskit import transpile
    from qiskit.circuit.library import quantum_volume

    qc = quantum_volume(n, depth=n, seed=int(rng.integers(1 << 30)))
    qc = transpile(qc, basis_gates=["u3", "cx"], optimization_level=0)
    gates = []
    for inst in qc.data:
        qubits = [qc.find_bit(q).index for q in inst.qubits]
        gates.append((inst.operation.name, [float(p) for p in inst.operation.params], qubits))
    return gates


FAMILIES = {"qft": qft, "qv": quantum_volume, "random": random_circuit, "qcbm": qcbm, "ghz": ghz}


def to_qasm(n, gates, measure):
    lines = ['OPENQASM 2.0;', 'include "qelib1.inc";', f"qreg q[{n}];"]
    if measure:
        lines.append(f"creg c[{n}];")
    for name, params, qubits in gates:
        p = "(" + ",".join(repr(float(x)) for x in params) + ")" if params else ""
        lines.append(f"{name}{p} " + ",".join(f"q[{q}]" for q in qubits) + ";")
    if measure:
        lines.append("measure q -> c;")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- engines

def run_qv(qv, path, extra=()):
    out = subprocess.run([qv, "run", path, "--backend", "statevector", "--shots", "1", "--seed", "1", "--json", *extra],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)["time_taken_s"]


def state_qv(qv, path, tmp):
    npy = os.path.join(tmp, "state.npy")
    subprocess.run([qv, "run", path, "--backend", "statevector", "--output", "statevector", "--npy", npy],
                   check=True, capture_output=True, text=True)
    return np.load(npy)


def aer_sim(fusion=True):
    from qiskit_aer import AerSimulator
    return AerSimulator(method="statevector", fusion_enable=fusion, max_parallel_threads=0)


def load_qiskit(text):
    from qiskit import qasm2
    return qasm2.loads(text, custom_instructions=qasm2.LEGACY_CUSTOM_INSTRUCTIONS)


def run_aer(text, fusion=True):
    qc = load_qiskit(text)
    result = aer_sim(fusion).run(qc, shots=1, seed_simulator=1).result()
    return result.results[0].time_taken


def state_aer(text):
    qc = load_qiskit(text)
    qc.save_statevector()
    result = aer_sim().run(qc, shots=1).result()
    return np.asarray(result.get_statevector())


def qulacs_circuit(n, gates):
    import qulacs
    from qulacs import gate as G

    c = qulacs.QuantumCircuit(n)
    sx = np.array([[1 + 1j, 1 - 1j], [1 - 1j, 1 + 1j]]) / 2
    for name, p, q in gates:
        if name == "h":
            c.add_gate(G.H(q[0]))
        elif name == "t":
            c.add_gate(G.T(q[0]))
        elif name == "sx":
            c.add_gate(G.DenseMatrix(q[0], sx))
        elif name == "rx":
            c.add_gate(G.RotX(q[0], p[0]))
        elif name == "ry":
            c.add_gate(G.RotY(q[0], p[0]))
        elif name == "rz":
            c.add_gate(G.RotZ(q[0], p[0]))
        elif name in ("u3", "u"):
            c.add_gate(G.U3(q[0], p[0], p[1], p[2]))
        elif name == "cx":
            c.add_gate(G.CNOT(q[0], q[1]))
        elif name == "cz":
            c.add_gate(G.CZ(q[0], q[1]))
        elif name == "swap":
            c.add_gate(G.SWAP(q[0], q[1]))
        elif name == "cp":
            g = G.DenseMatrix(q[1], np.diag([1, np.exp(1j * p[0])]))
            g.add_control_qubit(q[0], 1)
            c.add_gate(g)
        else:
            raise ValueError(f"no qulacs mapping for {name}")
    return c


def run_qulacs(n, gates, optimise=True):
    import qulacs
    from qulacs.circuit import QuantumCircuitOptimizer

    c = qulacs_circuit(n, gates)
    if optimise:
        QuantumCircuitOptimizer().optimize_light(c)
    state = qulacs.QuantumState(n)
    t = time.perf_counter()
    c.update_quantum_state(state)
    state.sampling(1, 1)
    return time.perf_counter() - t, state


def best(repeat, f):
    return min(f() for _ in range(repeat))


def fidelity(a, b):
    return abs(np.vdot(a, b)) ** 2


# ---------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", required=True)
    ap.add_argument("--sizes", default="16,20,22,24,26")
    ap.add_argument("--families", default="qft,qv,random,qcbm,ghz")
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--json-out", default=None)
    args = ap.parse_args()
    qv = os.path.join(args.root, "target", "release", "qv")
    passes = os.path.join(args.root, "target", "release", "examples", "passes")
    sizes = [int(s) for s in args.sizes.split(",")]
    families = args.families.split(",")

    import qiskit, qiskit_aer, qulacs
    print(f"# peers: qiskit {qiskit.__version__}, qiskit-aer {qiskit_aer.__version__}, qulacs {qulacs.__version__}; "
          f"{os.cpu_count()} cpus", flush=True)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for fam in families:
            for n in sizes:
                rng = np.random.default_rng(1000 * n + len(fam))
                gates = FAMILIES[fam](n, rng)
                timed = os.path.join(tmp, f"{fam}_{n}.qasm")
                plain = os.path.join(tmp, f"{fam}_{n}_state.qasm")
                with open(timed, "w") as f:
                    f.write(to_qasm(n, gates, measure=True))
                text_plain = to_qasm(n, gates, measure=False)
                with open(plain, "w") as f:
                    f.write(text_plain)
                rep = args.repeat if n < 24 else 1
                t_qv = best(rep, lambda: run_qv(qv, timed))
                t_aer = best(rep, lambda: run_aer(to_qasm(n, gates, True)))
                t_ql = best(rep, lambda: run_qulacs(n, gates)[0])
                s_qv = state_qv(qv, plain, tmp)
                s_aer = state_aer(text_plain)
                f_aer = fidelity(s_qv, s_aer)
                del s_aer
                s_ql = run_qulacs(n, gates)[1].get_vector()
                f_ql = fidelity(s_qv, s_ql)
                del s_ql, s_qv
                agree = bool(f_aer > 1 - 1e-8 and f_ql > 1 - 1e-8)
                f_aer, f_ql = float(f_aer), float(f_ql)
                peer = min(t_aer, t_ql)
                row = dict(family=fam, qubits=n, gates=len(gates), qv_s=t_qv, aer_s=t_aer, qulacs_s=t_ql,
                           speedup=peer / t_qv, fidelity_aer=f_aer, fidelity_qulacs=f_ql, agree=agree)
                rows.append(row)
                print(f"{fam:7s} n={n:2d} gates={len(gates):5d}  qv {t_qv:8.3f}s  aer {t_aer:8.3f}s  "
                      f"qulacs {t_ql:8.3f}s  best-peer/qv {peer / t_qv:6.2f}x  "
                      f"{'agree' if agree else 'DISAGREE'} (F_aer={f_aer:.12f}, F_qulacs={f_ql:.12f})", flush=True)

        # Bandwidth and unfused single-gate passes.
        # The largest size measured: at 26 qubits (1 GiB) the state is far beyond any cache.
        n_bw = max(sizes)
        bw = json.loads(subprocess.run([passes, str(n_bw), "f64", "--json"], check=True,
                                       capture_output=True, text=True).stdout)
        # Timed as the difference between 2k and k gates: the extra k gates are
        # full passes for every engine (qv's first gates run on the part of the
        # state its qubits have reached so far), and fixed costs cancel.
        k = 40
        circuits = {}
        for count in (k, 2 * k):
            gates = [("h", [], [i % n_bw]) for i in range(count)]
            path = os.path.join(tmp, f"passes_{count}.qasm")
            with open(path, "w") as f:
                f.write(to_qasm(n_bw, gates, measure=True))
            circuits[count] = (path, gates)
        traffic = k * 2 * 16 * (1 << n_bw) / 1e9

        def extra(f):
            return best(3, lambda: f(*circuits[2 * k])) - best(3, lambda: f(*circuits[k]))

        t_qv = extra(lambda path, gates: run_qv(qv, path, ["--no-fusion"]))
        t_aer = extra(lambda path, gates: run_aer(to_qasm(n_bw, gates, True), fusion=False))
        t_ql = extra(lambda path, gates: run_qulacs(n_bw, gates, optimise=False)[0])
    print(f"\n# memory bandwidth (in-place complex scale, {n_bw} qubits): {bw['bandwidth_gbs']:.1f} GB/s; "
          f"qv's h kernel alone: {bw['h_pass_gbs']:.1f} GB/s = {100 * bw['h_pass_gbs'] / bw['bandwidth_gbs']:.0f}%")
    for name, t in [("qv", t_qv), ("aer", t_aer), ("qulacs", t_ql)]:
        gbs = traffic / t
        print(f"#   {name:7s} unfused h pass (gates {k + 1}-{2 * k}): {gbs:6.1f} GB/s effective = {100 * gbs / bw['bandwidth_gbs']:5.1f}% of bandwidth")
    big = [r for r in rows if r["qubits"] >= 22]
    if big:
        gm = math.exp(sum(math.log(r["speedup"]) for r in big) / len(big))
        worst = min(big, key=lambda r: r["speedup"])
        print(f"# geometric-mean speed-up over the best peer at 22+ qubits: {gm:.2f}x "
              f"(lowest {worst['speedup']:.2f}x: {worst['family']} n={worst['qubits']})")
    if not all(r["agree"] for r in rows):
        print("# ERROR: engines disagree on some circuits", file=sys.stderr)
        sys.exit(1)
    if args.json_out:
        with open(args.json_out, "w") as f:
            json.dump(dict(rows=rows, bandwidth=bw), f, indent=1)


if __name__ == "__main__":
    main()
