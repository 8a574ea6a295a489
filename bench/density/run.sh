#!/usr/bin/env bash
# Density-matrix benchmark: qv vs Qiskit Aer's density_matrix method, same
# circuits and noise models, one run.
# Usage: bench/density/run.sh [--sizes 10,11,12] [--families random,qft] [--shots N] [--repeat N]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
"$root/bench/make_venv.sh"
(cd "$root" && cargo build --release --quiet -p qv-sim --example density_bench)
exec "$root/bench/.venv/bin/python" "$root/bench/density/bench.py" --root "$root" "$@"
