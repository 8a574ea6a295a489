#!/usr/bin/env bash
# Compiler benchmark: qv transpile vs Qiskit transpile (levels 2 and 3), same circuits, one run.
# Usage: bench/compiler/run.sh [--quick] [--only qft_50,qv_16] [--seed S] [--json results.json]
# Prints a Markdown table (the one in docs/benchmarks.md, section "Compiler"); progress on stderr.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
"$root/bench/make_venv.sh"
(cd "$root" && cargo build --release --quiet -p qv-cli)
exec "$root/bench/.venv/bin/python" "$root/bench/compiler/bench.py" --root "$root" "$@"
