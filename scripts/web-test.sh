#!/usr/bin/env bash
# Web app tests (for CI): type check, Vitest unit tests, the generated-types
# staleness check, the production build, then the Playwright end-to-end run
# against a freshly built `qv` (which embeds the build) and Debian's chromium.
# Screenshots land in web/test-results/.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v npm >/dev/null || { echo "npm (Node.js 20+) is required for the web tests" >&2; exit 1; }
if [ ! -x "${CHROMIUM:-/usr/bin/chromium}" ]; then
  if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "skipping the end-to-end run: no chromium at ${CHROMIUM:-/usr/bin/chromium} (apt-get install chromium)" >&2
    SKIP_E2E=1
  fi
fi

cd web
npm ci --no-audit --no-fund
npm run typecheck
npm test            # vitest + schema.d.ts matches openapi.json
npm run build
cd ..
if [ "${SKIP_E2E:-0}" = 1 ]; then exit 0; fi
cargo build -p qv-cli --locked
QV_BIN="$PWD/target/debug/qv" node web/e2e/run.mjs
