"""qv's stabilizer backend vs Stim on the same Clifford circuits, in one run.

Circuits (built with Stim, exported with `to_qasm(open_qasm_version=2,
skip_dets_and_obs=True)` so that both simulators run the very same gates):

- random Clifford: 1,000 qubits, depth 100 (each layer: a random gate from
  H S S_DAG SQRT_X SQRT_X_DAG X Y Z on every qubit, then CX/CY/CZ/SWAP on a
  random perfect matching), all qubits measured; 20,000 shots;
- rotated surface-code memory (Stim's `surface_code:rotated_memory_z`,
  distance 15, 15 rounds, noiseless): 100,000 shots.

Stim: `compile_sampler()` then `sample(shots, bit_packed=True)`, one thread;
sampling is timed in one call and in calls of 10,000 shots, and the faster
counts (Stim holds all shots of a call in one batch, which for 100,000 shots
no longer fits in cache).
qv: `crates/qv-sim/examples/stabilizer_bench.rs` on the exported QASM:
`Sampler::new` (lowering, Clifford check, reference shot) then
`Sampler::sample` (packed bits), with one thread and with every core; and the
full `stabilizer::run` that also builds the counts map. Each time is the best
of `--repeat` runs; QASM parsing is reported apart. The per-measurement
fraction of ones of both samples is compared as a sanity check.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import stim

ONE = ["H", "S", "S_DAG", "SQRT_X", "SQRT_X_DAG", "X", "Y", "Z"]
TWO = ["CX", "CY", "CZ", "SWAP"]


def random_clifford(n, depth, rng):
    c = stim.Circuit()
    for _ in range(depth):
        names = rng.choice(ONE, size=n)
        for name in ONE:
            targets = [q for q in range(n) if names[q] == name]
            if targets:
                c.append(name, targets)
        perm = rng.permutation(n)
        pairs = [(int(perm[i]), int(perm[i + 1])) for i in range(0, n - 1, 2)]
        kinds = rng.choice(TWO, size=len(pairs))
        for name in TWO:
            targets = [q for p, k in zip(pairs, kinds) if k == name for q in p]
            if targets:
                c.append(name, targets)
        c.append("TICK")
    c.append("M", list(range(n)))
    return c


def surface_code(distance, rounds):
    return stim.Circuit.generated(
        "surface_code:rotated_memory_z", distance=distance, rounds=rounds
    )


def time_stim(circuit, shots, repeat, chunk=10_000):
    """Best compile and sample times; sampling is timed both in one call and
    in calls of `chunk` shots (Stim keeps all shots of a call in one batch,
    which stops fitting in cache for many shots), and the faster is kept."""
    best_compile = best_one = best_chunked = float("inf")
    samples = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        sampler = circuit.compile_sampler(seed=1)
        t1 = time.perf_counter()
        samples = sampler.sample(shots, bit_packed=True)
        t2 = time.perf_counter()
        parts = [sampler.sample(min(chunk, shots - i), bit_packed=True) for i in range(0, shots, chunk)]
        np.concatenate(parts)
        t3 = time.perf_counter()
        best_compile = min(best_compile, t1 - t0)
        best_one = min(best_one, t2 - t1)
        best_chunked = min(best_chunked, t3 - t2)
    ones = np.unpackbits(samples, axis=1, bitorder="little").sum() / (shots * circuit.num_measurements)
    return {
        "compile_s": best_compile,
        "sample_s": min(best_one, best_chunked),
        "sample_one_call_s": best_one,
        "sample_chunked_s": best_chunked,
        "ones_fraction": float(ones),
    }


def time_qv(root, qasm_path, shots, threads, repeat, counts):
    exe = os.path.join(root, "target", "release", "examples", "stabilizer_bench")
    cmd = [exe, qasm_path, "--shots", str(shots), "--threads", str(threads), "--repeat", str(repeat)]
    if counts:
        cmd.append("--counts")
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", required=True)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="smaller circuits, for a smoke test")
    args = ap.parse_args()
    rng = np.random.default_rng(7)
    if args.quick:
        cases = [
            ("random Clifford 200q d20", random_clifford(200, 20, rng), 2_000),
            ("surface code d5 r5", surface_code(5, 5), 10_000),
        ]
    else:
        cases = [
            ("random Clifford 1000q d100", random_clifford(1000, 100, rng), 20_000),
            ("surface code d15 r15", surface_code(15, 15), 100_000),
        ]
    cores = os.cpu_count() or 1
    print(f"stim {stim.__version__}, {cores} cores, best of {args.repeat}", flush=True)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, circuit, shots in cases:
            path = os.path.join(tmp, "circuit.qasm")
            with open(path, "w") as f:
                f.write(circuit.to_qasm(open_qasm_version=2, skip_dets_and_obs=True))
            s = time_stim(circuit, shots, args.repeat)
            q1 = time_qv(args.root, path, shots, 1, args.repeat, counts=False)
            qn = time_qv(args.root, path, shots, 0, args.repeat, counts=True)
            stim_total = s["compile_s"] + s["sample_s"]
            qv1_total = q1["compile_s"] + q1["sample_s"]
            qvn_total = qn["compile_s"] + qn["sample_s"]
            gap = abs(s["ones_fraction"] - q1["ones_fraction"])
            rows.append((name, circuit.num_qubits, q1["instructions"], circuit.num_measurements, shots,
                         s, stim_total, q1, qv1_total, qn, qvn_total, gap))
            print(f"\n{name}: {circuit.num_qubits} qubits, {q1['instructions']} QASM instructions, "
                  f"{circuit.num_measurements} measurements, {shots} shots")
            print(f"  stim           compile {s['compile_s']:.4f}s  sample {s['sample_s']:.4f}s  "
                  f"total {stim_total:.4f}s  (sampling in one call {s['sample_one_call_s']:.4f}s, "
                  f"in calls of 10,000 shots {s['sample_chunked_s']:.4f}s)")
            print(f"  qv 1 thread    compile {q1['compile_s']:.4f}s  sample {q1['sample_s']:.4f}s  "
                  f"total {qv1_total:.4f}s  ({qv1_total / stim_total:.2f}x stim)  parse {q1['parse_s']:.3f}s")
            print(f"  qv {qn['threads']} threads   compile {qn['compile_s']:.4f}s  sample {qn['sample_s']:.4f}s  "
                  f"total {qvn_total:.4f}s  ({qvn_total / stim_total:.2f}x stim)")
            print(f"  qv run (counts, {qn['threads']} threads) {qn['run_counts_s']:.4f}s, "
                  f"{qn['distinct']} distinct outcomes")
            print(f"  fraction of ones: stim {s['ones_fraction']:.5f}, qv {q1['ones_fraction']:.5f}")
            if gap > 0.01:
                print("  WARNING: fractions of ones differ by more than 0.01", file=sys.stderr)
    print("\n| circuit | qubits | shots | Stim (s) | qv 1 thread (s) | ratio | qv all cores (s) | ratio | qv run with counts (s) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for (name, n, _, _, shots, s, st, q1, q1t, qn, qnt, _) in rows:
        print(f"| {name} | {n} | {shots:,} | {st:.3f} | {q1t:.3f} | {q1t / st:.2f}x | "
              f"{qnt:.3f} | {qnt / st:.2f}x | {qn['run_counts_s']:.3f} |")


if __name__ == "__main__":
    main()
