#!/usr/bin/env bash
# Server benchmark: end-to-end job throughput and open-loop GET latency of
# `qv serve` (see crates/qv-server/examples/loadgen.rs for what is measured).
#
# Builds `qv` and the load generator in release mode, starts `qv serve` on a
# fresh temporary data directory (SQLite by default; `--database-url
# postgres://USER@HOST:PORT/DB` runs on a fresh database created next to DB)
# and a free port, creates a user and an API key over the HTTP API, runs the
# load generator, stops the server and prints the figures.
#
# Usage: bench/server/run.sh [--jobs 20000] [--concurrency 32] [--shots 100]
#        [--backend auto] [--get-rate 1000] [--get-seconds 15] [--workers 0] [--database-url URL]
#        [--skip-throughput] [--skip-get]
#        bench/server/run.sh --surfaces [--jobs 3000] [--concurrency 32] [--rounds 2]
#   --surfaces compares REST, GraphQL and gRPC submission in one run instead
#   (crates/qv-server/examples/surfaces.rs).
# The load generator runs on the same machine as the server: both share the cores.
set -euo pipefail

cd "$(dirname "$0")/../.."
ROOT=$(pwd)

JOBS=20000
CONCURRENCY=32
SHOTS=100
GET_RATE=1000
GET_SECONDS=15
WORKERS=0
DATABASE_URL=""
EXTRA=()
SURFACES=0
ROUNDS=2
while [[ $# -gt 0 ]]; do
  case "$1" in
    --jobs) JOBS=$2; shift 2 ;;
    --concurrency) CONCURRENCY=$2; shift 2 ;;
    --shots) SHOTS=$2; shift 2 ;;
    --get-rate) GET_RATE=$2; shift 2 ;;
    --get-seconds) GET_SECONDS=$2; shift 2 ;;
    --workers) WORKERS=$2; shift 2 ;;
    --database-url) DATABASE_URL=$2; shift 2 ;;
    --backend) EXTRA+=(--backend "$2"); shift 2 ;;
    --skip-throughput|--skip-get) EXTRA+=("$1"); shift ;;
    --surfaces) SURFACES=1; shift ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown option $1" >&2; exit 2 ;;
  esac
done

for tool in curl jq; do
  command -v "$tool" >/dev/null || { echo "run.sh: needs $tool" >&2; exit 2; }
done

echo "building qv and the load generator (release)..." >&2
cargo build --release -q -p qv-cli --bin qv
cargo build --release -q -p qv-server --example loadgen --example surfaces
QV="$ROOT/target/release/qv"
LOADGEN="$ROOT/target/release/examples/loadgen"
SURFACES_BIN="$ROOT/target/release/examples/surfaces"

DATA=$(mktemp -d)
SERVER_PID=""
BENCH_DB=""
ADMIN_URL=""
cleanup() {
  if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$SERVER_PID" 2>/dev/null || true
  fi
  if [[ -n "$BENCH_DB" ]]; then
    psql -q "$ADMIN_URL" -c "DROP DATABASE IF EXISTS $BENCH_DB" >/dev/null 2>&1 || true
  fi
  rm -rf "$DATA"
}
trap cleanup EXIT

DB_ARGS=()
DB_LABEL="SQLite (WAL) in a temporary directory"
if [[ -n "$DATABASE_URL" ]]; then
  command -v psql >/dev/null || { echo "run.sh: --database-url needs psql" >&2; exit 2; }
  ADMIN_URL=$DATABASE_URL
  BENCH_DB="qv_bench_$$_$RANDOM"
  psql -q "$ADMIN_URL" -c "CREATE DATABASE $BENCH_DB" >/dev/null
  DB_ARGS=(--database-url "${DATABASE_URL%/*}/$BENCH_DB")
  DB_LABEL="PostgreSQL (fresh database $BENCH_DB)"
fi

# Rate limits and the per-user job quota are lifted: the benchmark measures
# the pipeline (one user submitting thousands of jobs), not the limits.
QV_LOG_FORMAT=json QV_LOG_LEVEL="info,qv_server::http=warn" QV_MAX_ACTIVE_JOBS_PER_USER=0 \
QV_RATE_LIMIT_PER_S=100000000 QV_RATE_LIMIT_BURST=100000000 QV_AUTH_RATE_LIMIT_PER_MIN=100000 \
  "$QV" serve --port 0 --workers "$WORKERS" --data-dir "$DATA" "${DB_ARGS[@]}" \
  >"$DATA/server.log" 2>&1 &
SERVER_PID=$!

URL=""
for _ in $(seq 1 300); do
  URL=$(grep -o '"url":"http://[^"]*"' "$DATA/server.log" 2>/dev/null | head -1 | sed 's/"url":"//; s/"$//') || true
  [[ -n "$URL" ]] && break
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$DATA/server.log" >&2; echo "run.sh: qv serve exited" >&2; exit 1; }
  sleep 0.1
done
[[ -n "$URL" ]] || { cat "$DATA/server.log" >&2; echo "run.sh: no listening line" >&2; exit 1; }

PASSWORD="load test secret $RANDOM$RANDOM"
curl -sf -X POST "$URL/api/v1/auth/register" -H 'content-type: application/json' \
  -d "{\"email\":\"bench@example.com\",\"username\":\"bench\",\"password\":\"$PASSWORD\"}" >/dev/null
TOKEN=$(curl -sf -X POST "$URL/api/v1/auth/login" -H 'content-type: application/json' \
  -d "{\"username\":\"bench\",\"password\":\"$PASSWORD\"}" | jq -r .access_token)
KEY=$(curl -sf -X POST "$URL/api/v1/api-keys" -H 'content-type: application/json' \
  -H "authorization: Bearer $TOKEN" -d '{"name":"bench","scopes":["jobs:read","jobs:write"]}' | jq -r .key)

echo "server: $URL, $DB_LABEL, workers ${WORKERS/#0/one per core}, $(nproc) cores" >&2
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "database: $DB_LABEL"
if [[ "$SURFACES" == 1 ]]; then
  QV_API_KEY="$KEY" "$SURFACES_BIN" --url "$URL" --jobs "$JOBS" --concurrency "$CONCURRENCY" \
    --shots "$SHOTS" --rounds "$ROUNDS"
else
  QV_API_KEY="$KEY" "$LOADGEN" --url "$URL" --jobs "$JOBS" --concurrency "$CONCURRENCY" \
    --shots "$SHOTS" --get-rate "$GET_RATE" --get-seconds "$GET_SECONDS" \
    --server-pid "$SERVER_PID" "${EXTRA[@]}"
fi

if grep -q '"level":"ERROR"' "$DATA/server.log"; then
  echo "server logged errors:" >&2
  grep '"level":"ERROR"' "$DATA/server.log" | head -5 >&2
fi
