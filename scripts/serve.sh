#!/usr/bin/env bash
# One command from a fresh clone to a running platform: builds the web app
# (npm from the registry) into web/dist, builds `qv` (which embeds web/dist),
# and starts `qv serve` with any arguments given, e.g. `scripts/serve.sh --port 9000`.
# Without npm the server still starts; `/` then explains how to build the app.
set -euo pipefail
cd "$(dirname "$0")/.."

if command -v npm >/dev/null 2>&1; then
  echo "building the web app (web/) ..." >&2
  (cd web && npm ci --no-audit --no-fund && npm run build)
else
  echo "npm not found: skipping the web app build (install Node.js 20+ to include it)" >&2
fi

exec cargo run --release -p qv-cli -- serve "$@"
