#!/usr/bin/env bash
# State-vector benchmark: qv vs Qiskit Aer vs qulacs, same circuits, one run.
# Usage: bench/statevector/run.sh [--sizes 16,20,22,24,26] [--families qft,qv,random,qcbm,ghz] [--repeat N]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
"$root/bench/make_venv.sh"
(cd "$root" && cargo build --release --quiet -p qv-cli -p qv-sim --bin qv --example passes)
exec "$root/bench/.venv/bin/python" "$root/bench/statevector/bench.py" --root "$root" "$@"
