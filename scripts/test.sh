#!/usr/bin/env bash
# The whole test suite, one command: the Rust workspace tests (PostgreSQL-backed
# ones run when QV_TEST_DATABASE_URL is set), then the web app's tests (Vitest and
# the Playwright end-to-end run) and the API conformance run (schemathesis) when
# their tools are present. Arguments go to `cargo test` (e.g. `--locked`).
set -euo pipefail
cd "$(dirname "$0")/.."

cargo test --workspace "$@"

if command -v npm >/dev/null 2>&1; then
  scripts/web-test.sh
else
  echo "skipping the web app tests: npm (Node.js 20+) not found" >&2
fi

if command -v python3 >/dev/null 2>&1; then
  scripts/schemathesis.sh
else
  echo "skipping the API conformance run: python3 not found" >&2
fi
