#!/usr/bin/env bash
# Peak memory (RSS) of a release `wharf serve` under bursts that used to blow it up:
#   - 40 concurrent sign-ins (each one an Argon2id check of ~19 MiB), and
#   - 4 concurrent publishes of large crates (each up to --max-crate-size).
# Prints the idle RSS (the reference, measured in the same run), the peak after each
# burst (VmHWM, reset between bursts by restarting the server) and their ratio.
# Usage: scripts/bench-memory.sh [ROUNDS]   (default 3)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
source scripts/bench-lib.sh
ROUNDS=${1:-3}
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
BIN=$TARGET/release/wharf
PORT=${WHARF_BENCH_PORT:-3377}
BASE=http://127.0.0.1:$PORT

echo "building the release server" >&2
# The server as `scripts/run.sh` ships it (`cargo xtask` builds it with erase_components).
cargo xtask build --release >&2

WORK=$(mktemp -d)
trap 'kill $PID 2>/dev/null || true; rm -rf "$WORK"' EXIT

start() {
  "$BIN" serve --listen "127.0.0.1:$PORT" --data-dir "$WORK/data" --max-crate-size $((10 * 1024 * 1024)) \
    >"$WORK/server.log" 2>&1 &
  PID=$!
  for _ in $(seq 100); do curl -sf "$BASE/_health" >/dev/null && return; sleep 0.1; done
  echo "the server did not start" >&2; cat "$WORK/server.log" >&2; exit 1
}
stop() { kill "$PID"; wait "$PID" 2>/dev/null || true; }
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$PID/status"; }
peak_kb() { awk '/^VmHWM/ {print $2}' "/proc/$PID/status"; }

# Accounts for the sign-in burst, each with its own visitor session and CSRF token.
mkdir -p "$WORK/data"
for i in $(seq 40); do
  echo "password number $i" | "$BIN" admin --data-dir "$WORK/data" create-user --name "u$i" --password-stdin >/dev/null
done
TOKEN=$(admin_token "$BIN" "$WORK/data")

# A crate of ~9 MiB of incompressible bytes, and its publish body.
python3 - "$WORK" <<'EOF'
import io, json, os, struct, sys, tarfile, gzip
work = sys.argv[1]
for n in range(4):
    name = f"big{n}"
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        def add(path, data):
            info = tarfile.TarInfo(f"{name}-1.0.0/{path}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        add("Cargo.toml", f'[package]\nname = "{name}"\nversion = "1.0.0"\nedition = "2021"\n'.encode())
        add("src/lib.rs", b"")
        add("blob.bin", os.urandom(9 * 1024 * 1024))
    krate = gzip.compress(buf.getvalue(), 1)
    meta = json.dumps({"name": name, "vers": "1.0.0", "deps": [], "features": {}}).encode()
    with open(f"{work}/{name}.body", "wb") as f:
        f.write(struct.pack("<I", len(meta)) + meta + struct.pack("<I", len(krate)) + krate)
EOF

printf '%-28s %10s %10s %8s\n' burst idle_MB peak_MB ratio
for round in $(seq "$ROUNDS"); do
  start
  curl -sf -X POST "$BASE/default/_apis/packaging/feeds" -H "Authorization: Bearer $TOKEN" \
    -H 'content-type: application/json' -d "{\"name\":\"mem$round\",\"visibility\":\"private\"}" >/dev/null || true
  for i in $(seq 40); do
    curl -s -c "$WORK/jar$i" -X POST "$BASE/_fn/form_token" | tr -d '"' >"$WORK/csrf$i"
  done
  sleep 1
  idle=$(rss_kb)
  for i in $(seq 40); do
    curl -s -o /dev/null -b "$WORK/jar$i" -X POST "$BASE/_fn/sign_in" \
      --data-urlencode "csrf=$(cat "$WORK/csrf$i")" --data-urlencode "name=u$i" \
      --data-urlencode "password=password number $i" &
  done
  wait $(jobs -p | grep -v "^$PID$") 2>/dev/null || true
  peak=$(peak_kb)
  printf '%-28s %10.1f %10.1f %8.2f\n' "40 sign-ins (round $round)" "$(bc -l <<<"$idle/1024")" "$(bc -l <<<"$peak/1024")" "$(bc -l <<<"$peak/$idle")"
  stop

  start
  sleep 1
  idle=$(rss_kb)
  for n in 0 1 2 3; do
    curl -s -o /dev/null -X PUT "$BASE/default/_packaging/mem$round/Cargo/api/v1/crates/new" \
      -H "Authorization: $TOKEN" --data-binary "@$WORK/big$n.body" &
  done
  wait $(jobs -p | grep -v "^$PID$") 2>/dev/null || true
  peak=$(peak_kb)
  printf '%-28s %10.1f %10.1f %8.2f\n' "4 publishes of 9 MiB ($round)" "$(bc -l <<<"$idle/1024")" "$(bc -l <<<"$peak/1024")" "$(bc -l <<<"$peak/$idle")"
  # The next round publishes the same names into a fresh feed.
  curl -sf -X DELETE "$BASE/default/_apis/packaging/feeds/mem$round" -H "Authorization: Bearer $TOKEN" >/dev/null || true
  stop
done
