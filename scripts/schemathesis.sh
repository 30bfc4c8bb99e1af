#!/usr/bin/env bash
# A short schemathesis session against a real server: it reads the REST API's description
# at /_apis/openapi.json, sends generated requests (valid and invalid) to every operation,
# and fails on any 5xx and any answer the description does not allow (status, content type,
# body schema). Called by scripts/test.sh after the Rust tests; runs alone too.
#
# The server is a debug `wharf` ($WHARF_BIN, default $CARGO_TARGET_DIR/debug/wharf, built
# when missing) on a free port with a fresh data directory, a Wharf administrator and a
# read & write token, and something to work on: feeds at both scopes, a published crate, a
# view, a webhook, a warm job (their names are in scripts/schemathesis.toml). Nothing leaves
# this machine: the crates.io upstream, the webhook and every address schemathesis may
# give are a closed local port, and no advisory URL is set. The server is stopped and its
# data removed on exit.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
declare -F log >/dev/null || log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# Pinned; in a virtualenv of its own, so its dependencies (hypothesis, jsonschema, werkzeug…)
# never move the versions other Python tools here (moto) use.
SCHEMATHESIS_VERSION=4.32.5
VENV=${WHARF_SCHEMATHESIS_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/wharf/schemathesis-$SCHEMATHESIS_VERSION}
if [ "$("$VENV/bin/st" --version 2>/dev/null)" != "st, version $SCHEMATHESIS_VERSION" ]; then
  log "installing schemathesis $SCHEMATHESIS_VERSION (from PyPI)"
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/python" -m pip install -q "schemathesis==$SCHEMATHESIS_VERSION"
fi

TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
BIN=${WHARF_BIN:-$TARGET/debug/wharf}
if ! [ -x "$BIN" ]; then
  log "building the server"
  cargo build --locked -p wharf --bin wharf
fi

DATA=$(mktemp -d -t wharf-schemathesis.XXXXXX)
PID=
stop() {
  if [ -n "$PID" ]; then kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; fi
  rm -rf "$DATA"
}
trap stop EXIT
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
URL=http://127.0.0.1:$PORT

log "starting a server for schemathesis at $URL"
env -u WHARF_ADVISORY_DB_URL -u WHARF_DATABASE_URL -u WHARF_STORAGE_URL RUST_LOG=${RUST_LOG:-warn} \
  "$BIN" serve --data-dir "$DATA" --listen "127.0.0.1:$PORT" --secret-key "$(openssl rand -hex 32)" \
  --upstream-index "sparse+http://127.0.0.1:9/index/" --upstream-timeout 1 >"$DATA/server.log" 2>&1 &
PID=$!
for _ in $(seq 100); do curl -fs -o /dev/null "$URL/_ready" && break; sleep 0.2; done
curl -fs -o /dev/null "$URL/_ready" || { cat "$DATA/server.log" >&2; echo "the server did not start" >&2; exit 1; }

echo "schemathesis-$RANDOM-$RANDOM-password" |
  "$BIN" admin --data-dir "$DATA" create-user --name st --password-stdin --admin >/dev/null
TOKEN=$("$BIN" admin --data-dir "$DATA" create-token --user st --name schemathesis --scope write | tail -n1)
api() {
  local method=$1 path=$2 content_type=$3 body=$4
  curl -fsS -o /dev/null -X "$method" -H "Authorization: Bearer $TOKEN" -H "Content-Type: $content_type" \
    --data-binary "$body" "$URL$path" || { echo "seeding failed: $method $path" >&2; exit 1; }
}
json() { api "$1" "$2" application/json "$3"; }
for scope in /default /default/default; do
  for feed in seed patchme deleteme; do
    json POST "$scope/_apis/packaging/feeds" "{\"name\": \"$feed\", \"visibility\": \"public\", \"upstreamEnabled\": true}"
  done
  json POST "$scope/_apis/packaging/feeds/seed/views" '{"name": "stable"}'
  json POST "$scope/_apis/packaging/feeds/seed/webhooks" \
    '{"url": "http://127.0.0.1:9/hook", "events": ["publish"], "secret": "a secret of schemathesis"}'
  api POST "$scope/_apis/packaging/feeds/seed/warm" text/plain '
version = 4

[[package]]
name = "itoa"
version = "1.0.11"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "49f1f14873335454500d59611f1cf4a4b0f786f9ac11f4312a78e4cf2566695b"
'
done
for version in 0.1.0 0.2.0; do
  status=$(python3 scripts/publish-one.py "$URL" "$TOKEN" seedcrate "$version" seed)
  [ "$status" = 200 ] || { echo "publishing seedcrate $version: $status" >&2; exit 1; }
done
json POST /default/default/_apis/packaging/feeds/seed/packages/seedcrate/versions/0.1.0/promote '{"view": "stable"}'

run() {
  "$VENV/bin/st" --config-file scripts/schemathesis.toml run "$URL/_apis/openapi.json" \
    --header "Authorization: Bearer $TOKEN" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance \
    --max-examples "${SCHEMATHESIS_MAX_EXAMPLES:-10}" --seed "${SCHEMATHESIS_SEED:-1}" \
    --workers 2 --request-timeout 10 --generation-database none --no-color "$@"
}
log "schemathesis: every operation but revoking a token"
# Revoking a token by id would sooner or later revoke the session's own (id 1), and every
# later request would only see 401: that operation runs alone, last.
if ! run --exclude-operation-id revokeToken; then
  echo "schemathesis found problems (above); the server's log:" >&2
  tail -n 50 "$DATA/server.log" >&2
  exit 1
fi
log "schemathesis: revoking tokens"
run --include-operation-id revokeToken
