#!/usr/bin/env bash
# Stabilizer benchmark: qv vs Stim on the same Clifford circuits, one run.
# Usage: bench/stabilizer/run.sh [--repeat N] [--quick]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
"$root/bench/make_venv.sh"
(cd "$root" && cargo build --release --quiet -p qv-sim --example stabilizer_bench)
exec "$root/bench/.venv/bin/python" "$root/bench/stabilizer/bench.py" --root "$root" "$@"
