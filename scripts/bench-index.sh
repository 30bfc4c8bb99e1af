#!/usr/bin/env bash
# Warm index-file throughput: Wharf vs nginx serving the same bytes, measured in one run
# with `wrk -t2 -c64 --latency`, on the four paths teams hit:
#   serde   a public upstream file (181 KB), read from the real crates.io once;
#   itoa    a small public upstream file;
#   own     the team's own crate in a feed that has an upstream (the dependency-confusion
#           guard's path: its upstream versions are hidden);
#   private an index file of a private feed, read with a token.
# Not part of CI.
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
# The server as `scripts/run.sh` ships it (`cargo xtask` builds it with erase_components).
cargo xtask build --release >&2
bin=${CARGO_TARGET_DIR:-$ROOT/target}/release/wharf
"$bin" serve --listen 127.0.0.1:$PORT --data-dir "$work/data" --upstream-ttl 3600 2>"$work/wharf.log" &
wharf_pid=$!
for _ in $(seq 50); do curl -fs "http://127.0.0.1:$PORT/" >/dev/null && break; sleep 0.2; done
source scripts/bench-lib.sh
token=$(admin_token "$bin" "$work/data")
curl -fs -X POST "http://127.0.0.1:$PORT/default/_apis/packaging/feeds" -H 'content-type: application/json' \
  -H "Authorization: Bearer $token" \
  -d '{"name":"bench","visibility":"public","upstreamEnabled":true}' >/dev/null
curl -fs -X POST "http://127.0.0.1:$PORT/default/_apis/packaging/feeds" -H 'content-type: application/json' \
  -H "Authorization: Bearer $token" \
  -d '{"name":"private","visibility":"private","upstreamEnabled":false}' >/dev/null
index="/default/_packaging/bench/Cargo/index"
private="/default/_packaging/private/Cargo/index"

# publish FEED NAME: a small crate of the team's own, published with the real cargo.
publish() {
  local feed=$1 name=$2 dir="$work/own-$1-$2"
  mkdir -p "$dir/src" "$dir/.cargo"
  printf '[package]\nname = "%s"\nversion = "1.0.0"\nedition = "2021"\nlicense = "MIT"\ndescription = "bench"\n' "$name" > "$dir/Cargo.toml"
  echo "pub fn f() {}" > "$dir/src/lib.rs"
  printf '[registries]\n%s = { index = "sparse+http://127.0.0.1:%s/default/_packaging/%s/Cargo/index/" }\n' "$feed" "$PORT" "$feed" > "$dir/.cargo/config.toml"
  (cd "$dir" && env CARGO_HOME="$work/cargo-home" CARGO_REGISTRY_GLOBAL_CREDENTIAL_PROVIDERS=cargo:token \
    "CARGO_REGISTRIES_${feed^^}_TOKEN=$token" cargo publish --registry "$feed" --no-verify --allow-dirty -q)
}
publish bench wharf-bench-own
publish private wharf-bench-private

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

printf '%-8s %8s %12s %10s %12s %10s %8s\n' file bytes wharf_rps wharf_p99 nginx_rps nginx_p99 ratio
# label, index path, whether the token goes with the request.
for case in "serde $index/se/rd/serde -" "itoa $index/it/oa/itoa -" "own $index/wh/ar/wharf-bench-own -" \
  "private $private/wh/ar/wharf-bench-private token"; do
  read -r label path auth <<<"$case"
  header=()
  [ "$auth" = token ] && header=(-H "Authorization: $token")
  # Warm Wharf's cache, and give nginx the very bytes Wharf serves.
  mkdir -p "$work/root$(dirname "$path")"
  curl -fs "${header[@]}" "http://127.0.0.1:$PORT$path" -o "$work/root$path"
  chmod -R a+rX "$work/root"
  bytes=$(stat -c %s "$work/root$path")
  [ -f "$work/nginx.pid" ] || nginx -c "$work/nginx.conf"
  sleep 0.3
  for url in "http://127.0.0.1:$PORT$path" "http://127.0.0.1:$NGINX_PORT$path"; do
    got=$(curl -s "${header[@]}" -o /dev/null -w '%{http_code} %{size_download}' "$url")
    [ "$got" = "200 $bytes" ] || { echo "$url answered $got, expected 200 $bytes" >&2; exit 1; }
  done
  w=$(wrk -t2 -c64 -d"$DURATION" --latency "${header[@]}" "http://127.0.0.1:$PORT$path")
  n=$(wrk -t2 -c64 -d"$DURATION" --latency "${header[@]}" "http://127.0.0.1:$NGINX_PORT$path")
  rps() { awk '/Requests\/sec/ {print $2}'; }
  p99() { awk '$1 == "99%" {print $2}'; }
  for out in "$w" "$n"; do
    if grep -q 'Non-2xx' <<<"$out"; then echo "non-2xx answers during the run:"$'\n'"$out" >&2; exit 1; fi
  done
  echo "$w" > "$work/wrk-wharf-$label.txt"
  wr=$(rps <<<"$w"); nr=$(rps <<<"$n")
  printf '%-8s %8s %12s %10s %12s %10s %8.2f\n' "$label" "$bytes" "$wr" "$(p99 <<<"$w")" "$nr" "$(p99 <<<"$n")" \
    "$(awk -v a="$wr" -v b="$nr" 'BEGIN {print a / b}')"
done
echo "wharf peak RSS: $(awk '/VmHWM/ {print $2 " kB"}' /proc/$wharf_pid/status)"
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {print int($2/1024/1024) " GiB"}' /proc/meminfo); $(date -u +%F)"
