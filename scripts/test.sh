#!/usr/bin/env bash
# The whole test suite, one command: the Rust workspace tests, then the web
# app's tests (Vitest and the Playwright end-to-end run), the Python gRPC
# client test and the API conformance run (schemathesis) when their tools are
# present. Arguments go to
# `cargo test` (e.g. `--locked`).
#
# PostgreSQL tests are #[ignore]d unless QV_TEST_DATABASE_URL is set (e.g.
# postgres://postgres@127.0.0.1:5432/test); when it is, they run
# (--include-ignored) and the run fails if any test was still ignored, so a
# silent skip is impossible.
set -euo pipefail
cd "$(dirname "$0")/.."

harness_args=()
if [ -n "${QV_TEST_DATABASE_URL:-}" ]; then
  harness_args+=(--include-ignored)
else
  echo "PostgreSQL tests are ignored: set QV_TEST_DATABASE_URL to run them" >&2
fi

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
cargo test --workspace "$@" -- "${harness_args[@]}" 2>&1 | tee "$log"
if [ -n "${QV_TEST_DATABASE_URL:-}" ] &&
  grep -E '^test result: .* [1-9][0-9]* ignored' "$log" >/dev/null; then
  echo "QV_TEST_DATABASE_URL is set but some tests were ignored (see above)" >&2
  exit 1
fi

if command -v npm >/dev/null 2>&1; then
  scripts/web-test.sh
else
  echo "skipping the web app tests: npm (Node.js 20+) not found" >&2
fi

if command -v python3 >/dev/null 2>&1; then
  scripts/grpc-test.sh
else
  echo "skipping the gRPC Python client test: python3 not found" >&2
fi

if command -v python3 >/dev/null 2>&1; then
  scripts/schemathesis.sh
else
  echo "skipping the API conformance run: python3 not found" >&2
fi
