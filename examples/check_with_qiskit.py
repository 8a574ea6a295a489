"""Checks every example's `// expect:` line against Qiskit Aer.

Independent reference for the outcomes documented in examples/*.qasm: each
file is loaded with qiskit.qasm2 (the extended qelib1.inc gate set, as shipped
with Qiskit), run on AerSimulator, and the measured frequencies are compared
with the expected probabilities within five standard deviations.

Usage (needs qiskit and qiskit-aer, e.g. the venv from scripts/fixtures/make_venv.sh):
    python examples/check_with_qiskit.py [FILE.qasm ...]
Exits 1 if any example disagrees.
"""

import math
import re
import sys
from fractions import Fraction
from pathlib import Path

import qiskit.qasm2
from qiskit import transpile
from qiskit_aer import AerSimulator

SHOTS = 200_000
EXPECT = re.compile(r'"([01 ]+)"=([0-9/.]+)')


def expected(path):
    for line in path.read_text().splitlines():
        if line.startswith("// expect:"):
            return {k: float(Fraction(v)) for k, v in EXPECT.findall(line)}
    raise ValueError(f"{path}: no `// expect:` line")


def check(path, sim):
    want = expected(path)
    circuit = qiskit.qasm2.load(
        str(path), custom_instructions=qiskit.qasm2.LEGACY_CUSTOM_INSTRUCTIONS
    )
    counts = sim.run(transpile(circuit, sim), shots=SHOTS, seed_simulator=7).result().get_counts()
    problems = []
    for key in sorted(set(want) | set(counts)):
        p = want.get(key, 0.0)
        freq = counts.get(key, 0) / SHOTS
        tolerance = 5 * math.sqrt(p * (1 - p) / SHOTS) + 1e-9
        if abs(freq - p) > tolerance:
            problems.append(f"{key!r}: expected {p:.6f}, measured {freq:.6f}")
    return problems


def main(argv):
    here = Path(__file__).resolve().parent
    paths = [Path(a) for a in argv] or sorted(here.glob("*.qasm"))
    sim = AerSimulator()
    failed = 0
    for path in paths:
        problems = check(path, sim)
        print(f"{'ok  ' if not problems else 'FAIL'} {path.name}")
        for p in problems:
            print(f"     {p}")
        failed += bool(problems)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
