#!/usr/bin/env bash
# API conformance: runs schemathesis (PyPI, pinned) against /api/openapi.json of a
# fresh `qv serve` on a temporary data directory and a free port, authenticated as an
# admin. Fails on any 5xx, a response that does not match its schema, or a status
# code the document does not list. Bounded to a few minutes. Then the same against
# the GraphQL API at /graphql (schema by introspection): fails on any 5xx, bounded
# to two minutes.
#
#   scripts/schemathesis.sh            # builds qv (debug) if needed
#   QV_BIN=target/release/qv scripts/schemathesis.sh
#   SCHEMATHESIS_SUITES=graphql scripts/schemathesis.sh   # one suite: rest or graphql
set -euo pipefail
cd "$(dirname "$0")/.."

SCHEMATHESIS_VERSION="4.32.5"
VENV="scripts/.venv-schemathesis"
EXAMPLES="${SCHEMATHESIS_MAX_EXAMPLES:-25}"
SUITES="${SCHEMATHESIS_SUITES:-rest graphql}"

if [ ! -x "$VENV/bin/schemathesis" ] || ! "$VENV/bin/schemathesis" --version 2>/dev/null | grep -q "$SCHEMATHESIS_VERSION"; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
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

export QV_DATA_DIR="$WORK/data"
export QV_LOG_FORMAT=json QV_LOG_LEVEL=warn,qv_server::server=info
# Schemathesis sends thousands of requests: lift the limits it would otherwise trip.
export QV_RATE_LIMIT_PER_S=100000 QV_RATE_LIMIT_BURST=100000 QV_AUTH_RATE_LIMIT_PER_MIN=1000000
export QV_LOGIN_MAX_FAILURES=1000000 QV_ACCESS_TOKEN_TTL_S=3600 QV_WORKERS=2
PASSWORD="schemathesis-password-$RANDOM$RANDOM"

printf '%s\n' "$PASSWORD" | "$QV_BIN" admin create-user --username st-admin \
  --email st-admin@example.com --role admin --password-stdin >/dev/null

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
echo "qv serve at $BASE"

TOKEN="$("$PY" - "$BASE" "$PASSWORD" <<'PY'
import json, sys, urllib.request
base, password = sys.argv[1], sys.argv[2]
req = urllib.request.Request(base + "/api/v1/auth/login",
    data=json.dumps({"username": "st-admin", "password": password}).encode(),
    headers={"content-type": "application/json"})
print(json.load(urllib.request.urlopen(req))["access_token"])
PY
)"

STATUS=0
set +e
if [[ " $SUITES " == *" rest "* ]]; then
  timeout 300 "$VENV/bin/schemathesis" run "$BASE/api/openapi.json" \
    --url "$BASE" \
    --header "Authorization: Bearer $TOKEN" \
    --checks not_a_server_error,response_schema_conformance,status_code_conformance \
    --max-examples "$EXAMPLES" \
    --phases examples,coverage,fuzzing \
    --workers 2 \
    --seed 20261126 \
    --suppress-health-check all \
    --request-timeout 20 \
    --no-color \
    --report junit --report-dir "$WORK/report"
  STATUS=$?
fi
if [[ " $SUITES " == *" graphql "* ]]; then
  # GraphQL answers 200 with `errors`; the hook fails on HTTP 5xx and on any
  # error whose extensions.status is 5xx (see scripts/schemathesis_graphql.py).
  SCHEMATHESIS_HOOKS=schemathesis_graphql PYTHONPATH="scripts${PYTHONPATH:+:$PYTHONPATH}" \
  timeout 120 "$VENV/bin/schemathesis" run "$BASE/graphql" \
    --header "Authorization: Bearer $TOKEN" \
    --checks graphql_no_server_error \
    --mode all \
    --max-examples "${SCHEMATHESIS_GRAPHQL_MAX_EXAMPLES:-100}" \
    --workers 2 \
    --seed 20261126 \
    --suppress-health-check all \
    --request-timeout 20 \
    --no-color \
    --report junit --report-dir "$WORK/report-graphql"
  GQL_STATUS=$?
  [ "$STATUS" -eq 0 ] && STATUS=$GQL_STATUS
fi
set -e
if grep -q '"level":"ERROR"' "$WORK/server.log"; then
  echo "server logged errors during the run:" >&2
  grep '"level":"ERROR"' "$WORK/server.log" | head -20 >&2
  [ "$STATUS" -eq 0 ] && STATUS=1
fi
exit "$STATUS"
