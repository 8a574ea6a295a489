#!/usr/bin/env bash
# The gRPC API from Python: installs grpcio, grpcio-tools, grpcio-health-checking
# and grpcio-reflection (PyPI, pinned) into scripts/.venv-grpc, generates Python
# stubs from the committed protos into a temporary directory, starts a fresh
# `qv serve` on a free port with a temporary data directory, registers a user
# over REST and runs scripts/grpc_client_test.py against the same port.
#
#   scripts/grpc-test.sh            # builds qv (debug) if needed
#   QV_BIN=target/release/qv scripts/grpc-test.sh
set -euo pipefail
cd "$(dirname "$0")/.."

GRPC_VERSION="1.85.1"
VENV="scripts/.venv-grpc"
if ! "$VENV/bin/python" -c "import grpc, grpc_tools, grpc_health, grpc_reflection; assert grpc.__version__ == '$GRPC_VERSION'" 2>/dev/null; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "grpcio==$GRPC_VERSION" \
    "grpcio-tools==$GRPC_VERSION" "grpcio-health-checking==$GRPC_VERSION" "grpcio-reflection==$GRPC_VERSION"
fi
PY="$VENV/bin/python"

if [ -z "${QV_BIN:-}" ]; then
  cargo build --quiet -p qv-cli
  QV_BIN=target/debug/qv
fi

WORK="$(mktemp -d)"
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

mkdir -p "$WORK/stubs"
"$PY" -m grpc_tools.protoc -I proto --python_out="$WORK/stubs" --grpc_python_out="$WORK/stubs" \
  proto/quantumvibe/v1/jobs.proto proto/quantumvibe/v1/backends.proto proto/quantumvibe/v1/usage.proto

export QV_DATA_DIR="$WORK/data"
export QV_LOG_FORMAT=json QV_LOG_LEVEL=warn,qv_server::server=info QV_WORKERS=2
"$QV_BIN" serve --port 0 >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
BASE=""
for _ in $(seq 1 100); do
  BASE="$(grep -o '"url":"http://[^"]*"' "$WORK/server.log" | head -1 | cut -d'"' -f4 || true)"
  [ -n "$BASE" ] && break
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/server.log" >&2; echo "qv serve exited" >&2; exit 1; }
  sleep 0.2
done
[ -n "$BASE" ] || { cat "$WORK/server.log" >&2; echo "qv serve did not start" >&2; exit 1; }
echo "qv serve at $BASE (REST and gRPC)"

TOKEN="$("$PY" - "$BASE" <<'PY'
import json, sys, urllib.request
base = sys.argv[1]
def post(path, body):
    req = urllib.request.Request(base + path, data=json.dumps(body).encode(),
                                 headers={"content-type": "application/json"})
    return json.load(urllib.request.urlopen(req))
user = {"username": "grpc-user", "email": "grpc-user@example.com", "password": "grpc test password 1"}
post("/api/v1/auth/register", user)
print(post("/api/v1/auth/login", {"username": user["username"], "password": user["password"]})["access_token"])
PY
)"

"$PY" scripts/grpc_client_test.py "$WORK/stubs" "${BASE#http://}" "$TOKEN"
if grep -q '"level":"ERROR"' "$WORK/server.log"; then
  echo "server logged errors during the run:" >&2
  grep '"level":"ERROR"' "$WORK/server.log" | head -20 >&2
  exit 1
fi
