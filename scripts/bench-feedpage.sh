#!/usr/bin/env bash
# A large feed's page (a benchmark, not a test): the release server on SQLite, a feed of
# PACKAGES packages (default 10,000, published through the API 16 at a time), then the
# feed page, its first and its last page, fetched 20 times each as a signed-out visitor:
# median time and size. Goal: the first page in ≤ 100 ms and ≤ 100 KB.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
source scripts/setup.sh
source scripts/bench-lib.sh
PACKAGES=${PACKAGES:-10000}
PORT=3331
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$work"' EXIT

log "building the release server"
# The server as `scripts/run.sh` ships it (`cargo xtask` builds it with erase_components).
cargo xtask build --release >&2
bin=${CARGO_TARGET_DIR:-$ROOT/target}/release/wharf
"$bin" serve --listen 127.0.0.1:$PORT --data-dir "$work/data" 2>"$work/wharf.log" &
for _ in $(seq 50); do curl -fs "http://127.0.0.1:$PORT/_ready" >/dev/null && break; sleep 0.2; done
token=$(admin_token "$bin" "$work/data")
curl -fs -X POST "http://127.0.0.1:$PORT/default/default/_apis/packaging/feeds" -H 'content-type: application/json' \
  -H "Authorization: Bearer $token" -d '{"name":"large","visibility":"public","upstreamEnabled":false}' >/dev/null

log "publishing $PACKAGES packages"
start=$SECONDS
seq 1 "$PACKAGES" | xargs -P 16 -I{} python3 scripts/publish-one.py "http://127.0.0.1:$PORT" "$token" "pkg-{}" 1.0.0 large \
  | sort | uniq -c >&2
echo "published in $((SECONDS - start)) s" >&2

measure() { # label path
  local times=() size=0
  for _ in $(seq 20); do
    read -r t s < <(curl -fs -o /dev/null -w '%{time_total} %{size_download}\n' "http://127.0.0.1:$PORT$2")
    times+=("$t"); size=$s
  done
  printf '%-12s median %6.1f ms  %7s bytes  (%s)\n' "$1" \
    "$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)] * 1000}')" "$size" "$2"
}
page=/default/default/_artifacts/feed/large
measure "first page" "$page"
measure "last page" "$page?page=$(( (PACKAGES + 49) / 50 ))"
measure "search" "$page?q=pkg-99"
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {print int($2/1024/1024) " GiB"}' /proc/meminfo); $(date -u +%F)"
