#!/usr/bin/env bash
# Warm index-file throughput: Wharf vs nginx serving the same bytes, measured in one run
# with `wrk -t2 -c64 --latency`. Reads serde's index file (and a small one) from the real
# crates.io once, through a feed. Not part of CI.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
source scripts/setup.sh
command -v wrk >/dev/null && command -v nginx >/dev/null || {
  as_root apt-get install -y -qq wrk nginx >/dev/null
}
DURATION=${DURATION:-10s}
PORT=3311
NGINX_PORT=3312
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; nginx -c "$work/nginx.conf" -s stop 2>/dev/null; rm -rf "$work"' EXIT

log "building the release server"
cargo build --release -p wharf >&2
bin=${CARGO_TARGET_DIR:-$ROOT/target}/release/wharf
"$bin" serve --listen 127.0.0.1:$PORT --data-dir "$work/data" --upstream-ttl 3600 2>"$work/wharf.log" &
wharf_pid=$!
for _ in $(seq 50); do curl -fs "http://127.0.0.1:$PORT/" >/dev/null && break; sleep 0.2; done
source scripts/bench-lib.sh
token=$(admin_token "$bin" "$work/data")
curl -fs -X POST "http://127.0.0.1:$PORT/default/_apis/packaging/feeds" -H 'content-type: application/json' \
  -H "Authorization: Bearer $token" \
  -d '{"name":"bench","visibility":"public","upstreamEnabled":true}' >/dev/null
index="/default/_packaging/bench/Cargo/index"

mkdir -p "$work/root"
chmod 755 "$work"  # nginx workers run unprivileged
cat > "$work/nginx.conf" <<CONF
worker_processes 2;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  server { listen 127.0.0.1:$NGINX_PORT; root $work/root; default_type text/plain; etag on; }
}
CONF

printf '%-8s %8s %12s %10s %12s %10s %8s %10s\n' file bytes wharf_rps wharf_p99 nginx_rps nginx_p99 ratio wharf_rss
for path in se/rd/serde it/oa/itoa; do
  # Warm Wharf's cache, and give nginx the very bytes Wharf serves.
  mkdir -p "$work/root$index/$(dirname "$path")"
  curl -fs "http://127.0.0.1:$PORT$index/$path" -o "$work/root$index/$path"
  chmod -R a+rX "$work/root"
  bytes=$(stat -c %s "$work/root$index/$path")
  [ -f "$work/nginx.pid" ] || nginx -c "$work/nginx.conf"
  sleep 0.3
  for url in "http://127.0.0.1:$PORT$index/$path" "http://127.0.0.1:$NGINX_PORT$index/$path"; do
    got=$(curl -s -o /dev/null -w '%{http_code} %{size_download}' "$url")
    [ "$got" = "200 $bytes" ] || { echo "$url answered $got, expected 200 $bytes" >&2; exit 1; }
  done
  w=$(wrk -t2 -c64 -d"$DURATION" --latency "http://127.0.0.1:$PORT$index/$path")
  n=$(wrk -t2 -c64 -d"$DURATION" --latency "http://127.0.0.1:$NGINX_PORT$index/$path")
  rps() { awk '/Requests\/sec/ {print $2}'; }
  p99() { awk '$1 == "99%" {print $2}'; }
  for out in "$w" "$n"; do
    if grep -q 'Non-2xx' <<<"$out"; then echo "non-2xx answers during the run:"$'\n'"$out" >&2; exit 1; fi
  done
  echo "$w" > "$work/wrk-wharf-$(basename "$path").txt"
  wr=$(rps <<<"$w"); nr=$(rps <<<"$n")
  rss=$(awk '/VmHWM/ {print $2 " kB"}' /proc/$wharf_pid/status)
  printf '%-8s %8s %12s %10s %12s %10s %8.2f %10s\n' "$(basename "$path")" "$bytes" "$wr" "$(p99 <<<"$w")" "$nr" "$(p99 <<<"$n")" \
    "$(awk -v a="$wr" -v b="$nr" 'BEGIN {print a / b}')" "$rss"
done
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {print int($2/1024/1024) " GiB"}' /proc/meminfo); $(date -u +%F)"
