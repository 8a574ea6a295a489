#!/usr/bin/env bash
# Abuse replay: starts `qv serve` on its default limits (fresh temporary data
# directory, SQLite, a free loopback port, a metrics token), creates an admin,
# and replays the hardening review's attacks with the `abuse` example
# (crates/qv-server/examples/abuse.rs), which prints held/BROKE per attack.
#
# Loopback only; every attack is bounded in count and time and the run stops
# by itself (a few minutes). Exit status 0 when every attack held.
#
# Usage: bench/abuse/run.sh [--release] [--connections 20000] [--only TEXT]
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)

PROFILE=debug
ARGS=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --release) PROFILE=release; shift ;;
    --connections|--only) ARGS+=("$1" "$2"); shift 2 ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown option $1" >&2; exit 2 ;;
  esac
done

FLAG=()
[[ $PROFILE == release ]] && FLAG=(--release)
echo "building qv and the abuse replay ($PROFILE)..." >&2
cargo build -q "${FLAG[@]}" -p qv-cli --bin qv
cargo build -q "${FLAG[@]}" -p qv-server --example abuse
QV="$ROOT/target/$PROFILE/qv"
ABUSE="$ROOT/target/$PROFILE/examples/abuse"

DATA=$(mktemp -d)/qv-data
SERVER_PID=""
cleanup() {
  if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$(dirname "$DATA")"
}
trap cleanup EXIT

ADMIN_PASSWORD="replay operator $RANDOM$RANDOM$RANDOM"
echo "$ADMIN_PASSWORD" | "$QV" admin create-user --data-dir "$DATA" --username admin \
  --email admin@example.com --role admin --password-stdin >/dev/null
METRICS_TOKEN="metrics-$RANDOM$RANDOM$RANDOM$RANDOM"

QV_LOG_FORMAT=json QV_LOG_LEVEL="info,qv_server::http=warn" QV_METRICS_TOKEN="$METRICS_TOKEN" \
  "$QV" serve --port 0 --data-dir "$DATA" >"$DATA.log" 2>&1 &
SERVER_PID=$!
URL=""
for _ in $(seq 1 300); do
  URL=$(grep -o '"url":"http://[^"]*"' "$DATA.log" 2>/dev/null | head -1 | sed 's/"url":"//; s/"$//') || true
  [[ -n "$URL" ]] && break
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$DATA.log" >&2; echo "run.sh: qv serve exited" >&2; exit 1; }
  sleep 0.1
done
[[ -n "$URL" ]] || { cat "$DATA.log" >&2; echo "run.sh: no listening line" >&2; exit 1; }

echo "server: $URL ($PROFILE build, default limits, $(nproc) cores)"
status=0
"$ABUSE" --url "$URL" --admin "admin:$ADMIN_PASSWORD" --pid "$SERVER_PID" \
  --data-dir "$DATA" --metrics-token "$METRICS_TOKEN" "${ARGS[@]}" || status=$?
if ! kill -0 "$SERVER_PID" 2>/dev/null; then
  echo "the server process died:" >&2
  tail -20 "$DATA.log" >&2
  status=1
fi
exit $status
