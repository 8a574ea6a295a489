"""qv vs Qiskit Aer on noisy density-matrix simulation, same circuits, one run.

For every circuit family and size it writes one OpenQASM 2 file and one
noise model in qv's JSON schema (docs/noise.md); Aer gets the equivalent
`NoiseModel`, built from that JSON with Aer's own error constructors by the
translator of scripts/fixtures/gen_noise.py (the one the fixtures use). Then:

- qv: `time_taken_s` of `density_bench` (the example
  crates/qv-sim/examples/density_bench.rs: `qv_sim::density::run`, lowering,
  planning, simulation and sampling included), best of `--repeat`;
- Aer: `AerSimulator(method="density_matrix")` with the noise model, every
  thread and its default fusion; the result's `time_taken`, best of
  `--repeat`;
- both sample `--shots` shots of the terminal measurements, and every
  qubit's probability of reading 1 must agree within 5σ of the two samples,
  so both simulated the same thing.

Prints per-circuit times, the ratio Aer/qv (above 1: qv is faster) and the
geometric mean of the ratios.
"""

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np


def noise_model_json(measure_noise: bool) -> dict:
    """A device-like model: thermal relaxation and depolarizing on every gate, readout errors,
    and with `measure_noise` a bit-flip error before each measurement."""
    one = ["h", "x", "sx", "rz", "u", "ry"]
    model = {
        "description": "bench/density: device-like noise",
        "errors": [
            {"gates": one, "channels": [
                {"type": "thermal_relaxation", "t1": 100.0, "t2": 80.0, "time": 0.05},
                {"type": "depolarizing", "p": 0.001}]},
            {"gates": ["cx", "cz"], "channels": [
                {"type": "depolarizing", "p": 0.01},
                {"type": "thermal_relaxation", "t1": 100.0, "t2": 80.0, "time": 0.3}]},
        ],
        "readout": [{"matrix": [[0.98, 0.02], [0.04, 0.96]]}],
    }
    if measure_noise:
        model["errors"].append({"gates": ["measure"], "channel": {"type": "pauli", "probabilities": {"X": 0.005}}})
    return model


def random_circuit(n: int, rng, depth: int = 10) -> list:
    gates = []
    for _ in range(depth):
        for q in range(n):
            g = ["h", "sx", "rz", "ry", "x", "u"][rng.integers(6)]
            params = {"rz": 1, "ry": 1, "u": 3}.get(g, 0)
            gates.append((g, [float(rng.uniform(-math.pi, math.pi)) for _ in range(params)], [q]))
        perm = rng.permutation(n)
        for i in range(0, n - 1, 2):
            gates.append(("cx" if rng.random() < 0.5 else "cz", [], [int(perm[i]), int(perm[i + 1])]))
    return gates


def qft(n: int, rng) -> list:
    # Controlled phases decomposed to cx + rz (the gates the noise model covers).
    gates = [("h", [], [q]) for q in range(n)]  # a superposition input
    for j in reversed(range(n)):
        gates.append(("h", [], [j]))
        for k in reversed(range(max(0, j - 3), j)):  # approximate QFT: 3 nearest controls
            a = math.pi / 2 ** (j - k)
            gates += [("rz", [a / 2], [k]), ("cx", [], [k, j]), ("rz", [-a / 2], [j]), ("cx", [], [k, j]),
                      ("rz", [a / 2], [j])]
    return gates


FAMILIES = {"random": random_circuit, "qft": qft}


def to_qasm(n: int, gates: list) -> str:
    lines = ['OPENQASM 2.0;', 'include "qelib1.inc";', f"qreg q[{n}];", f"creg c[{n}];"]
    for name, params, qubits in gates:
        p = "(" + ",".join(repr(x) for x in params) + ")" if params else ""
        lines.append(f"{name}{p} " + ",".join(f"q[{q}]" for q in qubits) + ";")
    lines.append("measure q -> c;")
    return "\n".join(lines) + "\n"


def marginals(counts: dict, n: int) -> np.ndarray:
    """P(bit q = 1) for each qubit, from counts keyed with bit 0 rightmost."""
    shots = sum(counts.values())
    return np.array([sum(c for k, c in counts.items() if k[n - 1 - q] == "1") / shots for q in range(n)])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", required=True)
    ap.add_argument("--sizes", default="10,11,12")
    ap.add_argument("--families", default="random,qft")
    ap.add_argument("--shots", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--measure-noise", action="store_true",
                    help="add a bit-flip error on measure (Aer then leaves its measurement-sampling fast path)")
    ap.add_argument("--keep", help="also write the circuits and noise model into this directory")
    args = ap.parse_args()
    root = Path(args.root)
    sys.path.insert(0, str(root / "scripts/fixtures"))
    import qiskit_aer
    from gen_noise import aer_noise_model  # the fixtures' translator, qv JSON -> Aer NoiseModel
    from qiskit import qasm2
    from qiskit_aer import AerSimulator

    exe = root / "target/release/examples/density_bench"
    model = noise_model_json(args.measure_noise)
    nm = aer_noise_model(model)
    print(f"qiskit-aer {qiskit_aer.__version__}, {os.cpu_count()} CPUs, shots {args.shots}, best of {args.repeat}")
    print(f"{'circuit':<14}{'qubits':>7}{'gates':>7}{'qv s':>10}{'Aer s':>10}{'Aer/qv':>9}{'max ΔP1':>9}")
    ratios = []
    with tempfile.TemporaryDirectory() as tmp:
        noise_path = Path(tmp) / "noise.json"
        noise_path.write_text(json.dumps(model))
        for family in args.families.split(","):
            for n in [int(s) for s in args.sizes.split(",")]:
                rng = np.random.default_rng(1000 + n)
                gates = FAMILIES[family](n, rng)
                qasm = to_qasm(n, gates)
                qasm_path = Path(tmp) / f"{family}_{n}.qasm"
                qasm_path.write_text(qasm)
                if args.keep:
                    Path(args.keep).mkdir(parents=True, exist_ok=True)
                    (Path(args.keep) / qasm_path.name).write_text(qasm)
                    (Path(args.keep) / "noise.json").write_text(json.dumps(model, indent=1))
                out = subprocess.run([str(exe), str(qasm_path), str(noise_path), "--shots", str(args.shots),
                                      "--repeat", str(args.repeat)], check=True, capture_output=True, text=True)
                qv = json.loads(out.stdout)
                qc = qasm2.loads(qasm, custom_instructions=qasm2.LEGACY_CUSTOM_INSTRUCTIONS)
                sim = AerSimulator(method="density_matrix", noise_model=nm, seed_simulator=1)
                aer_best, aer_counts = float("inf"), {}
                for _ in range(args.repeat):
                    res = sim.run(qc, shots=args.shots).result()
                    aer_best = min(aer_best, res.time_taken)
                    aer_counts = res.get_counts()
                # Same distribution: every qubit's P(1) agrees within 5 σ of two samples.
                d = float(np.max(np.abs(marginals(qv["counts"], n) - marginals(aer_counts, n))))
                bound = 5 * math.sqrt(2 * 0.25 / args.shots)
                ratio = aer_best / qv["time_taken_s"]
                ratios.append(ratio)
                flag = "" if d <= bound else "  MISMATCH"
                print(f"{family:<14}{n:>7}{len(gates):>7}{qv['time_taken_s']:>10.3f}{aer_best:>10.3f}"
                      f"{ratio:>9.2f}{d:>9.3f}{flag}")
    gm = math.exp(sum(math.log(r) for r in ratios) / len(ratios))
    print(f"geometric mean Aer/qv: {gm:.2f} ({'qv faster' if gm > 1 else 'Aer faster'})")


if __name__ == "__main__":
    main()
