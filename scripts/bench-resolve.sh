#!/usr/bin/env bash
# Resolve + fetch of a real ~270-crate project with a fresh CARGO_HOME each time:
# straight from crates.io, through a fresh feed (which saves everything), and through the
# same feed once it holds everything; over https (HTTP/2) and plain http. Needs the real
# crates.io; never part of CI. Prints seconds and ratios to the direct run.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
source scripts/setup.sh
REPEAT=${REPEAT:-2}
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$work"; true' EXIT

log "building the release server"
# The server as `scripts/run.sh` ships it (`cargo xtask` builds it with erase_components).
cargo xtask build --release >&2
bin=${CARGO_TARGET_DIR:-$ROOT/target}/release/wharf

openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/key.pem" -out "$work/cert.pem" -days 2 \
  -subj /CN=127.0.0.1 -addext "subjectAltName=IP:127.0.0.1" 2>/dev/null

mkdir -p "$work/project/src"
cat > "$work/project/Cargo.toml" <<'TOML'
[package]
name = "bench-consumer"
version = "0.1.0"
edition = "2021"

[dependencies]
tokio = { version = "1", features = ["full"] }
axum = "0.8"
serde = { version = "1", features = ["derive"] }
serde_json = "1"
sqlx = { version = "0.8", features = ["runtime-tokio", "postgres", "sqlite", "tls-rustls"] }
reqwest = { version = "0.12", features = ["json", "rustls-tls"] }
tracing = "0.1"
tracing-subscriber = { version = "0.3", features = ["env-filter", "json"] }
clap = { version = "4", features = ["derive", "env"] }
anyhow = "1"
thiserror = "2"
chrono = { version = "0.4", features = ["serde"] }
uuid = { version = "1", features = ["v4", "serde"] }
regex = "1"
tower-http = { version = "0.6", features = ["full"] }
TOML
echo 'fn main() {}' > "$work/project/src/main.rs"

source scripts/bench-lib.sh
start_wharf() { # port scheme data
  local args=(serve --listen "127.0.0.1:$1" --data-dir "$3" --upstream-ttl 3600)
  [ "$2" = https ] && args+=(--tls-cert "$work/cert.pem" --tls-key "$work/key.pem")
  "$bin" "${args[@]}" 2>"$3.log" &
  echo $! > "$3.pid"
  for _ in $(seq 50); do curl -fsk "$2://127.0.0.1:$1/" >/dev/null && break; sleep 0.2; done
  local token; token=$(admin_token "$bin" "$3")
  curl -fsk -X POST "$2://127.0.0.1:$1/default/_apis/packaging/feeds" -H 'content-type: application/json' \
    -H "Authorization: Bearer $token" \
    -d '{"name":"bench","visibility":"public","upstreamEnabled":true}' >/dev/null
}

restart_wharf() { # port data [env...]: the same instance again (its feed exists), in a new process
  kill "$(cat "$2.pid")" 2>/dev/null || true
  sleep 1
  env "${@:3}" "$bin" serve --listen "127.0.0.1:$1" --data-dir "$2" --upstream-ttl 3600 2>>"$2.log" &
  echo $! > "$2.pid"
  for _ in $(seq 50); do curl -fs "http://127.0.0.1:$1/_ready" >/dev/null && break; sleep 0.2; done
}

run() { # label [index-url]
  local home; home=$(mktemp -d -p "$work")
  rm -rf "$work/project/Cargo.lock" "$work/project/.cargo"
  if [ -n "${2:-}" ]; then
    mkdir -p "$work/project/.cargo"
    printf '[registries]\nbench = { index = "%s" }\n[source.crates-io]\nreplace-with = "bench"\n' "$2" > "$work/project/.cargo/config.toml"
  fi
  local t0 t1 t2
  t0=$(date +%s.%N)
  (cd "$work/project" && CARGO_HOME=$home CARGO_HTTP_CAINFO=$work/cert.pem cargo generate-lockfile -q)
  t1=$(date +%s.%N)
  (cd "$work/project" && CARGO_HOME=$home CARGO_HTTP_CAINFO=$work/cert.pem cargo fetch -q)
  t2=$(date +%s.%N)
  # "total lock fetch" in seconds; fetch includes cargo unpacking every crate locally.
  awk -v a="$t0" -v b="$t1" -v c="$t2" 'BEGIN {printf "%.2f %.2f %.2f", c - a, b - a, c - b}'
}

row() { # label "total lock fetch" direct-total direct-lock
  read -r total lock fetch <<<"$2"
  printf '%-22s %7s %7s %7s %8.2f %8.2f\n' "$1" "$total" "$lock" "$fetch" \
    "$(awk -v a="$total" -v b="$3" 'BEGIN {print a / b}')" "$(awk -v a="$lock" -v b="$4" 'BEGIN {print a / b}')"
}

printf '%-22s %7s %7s %7s %8s %8s\n' run total lock fetch ratio lock_ratio
for i in $(seq "$REPEAT"); do
  start_wharf $((3400 + i * 2)) https "$work/data-https-$i"
  start_wharf $((3401 + i * 2)) http "$work/data-http-$i"
  https="sparse+https://127.0.0.1:$((3400 + i * 2))/default/_packaging/bench/Cargo/index/"
  http="sparse+http://127.0.0.1:$((3401 + i * 2))/default/_packaging/bench/Cargo/index/"
  direct=$(run direct)
  read -r dt dl _ <<<"$direct"
  row "direct (crates.io)" "$direct" "$dt" "$dl"
  for label in "https fresh feed" "https warm feed"; do row "$label" "$(run "$label" "$https")" "$dt" "$dl"; done
  for label in "http fresh feed" "http warm feed"; do row "$label" "$(run "$label" "$http")" "$dt" "$dl"; done
  # A new process on the same data: the kept upstream copies make it warm at once.
  restart_wharf $((3401 + i * 2)) "$work/data-http-$i"
  row "http after restart" "$(run "http after restart" "$http")" "$dt" "$dl"
  # …and crates.io unreachable for Wharf (a dead proxy): the kept copies are served stale.
  restart_wharf $((3401 + i * 2)) "$work/data-http-$i" HTTPS_PROXY=http://127.0.0.1:9 HTTP_PROXY=http://127.0.0.1:9
  row "http restart, up down" "$(run "http restart, up down" "$http")" "$dt" "$dl"
  echo "($(grep -c '^name = ' "$work/project/Cargo.lock") crates in the lockfile)"
  kill $(jobs -p) 2>/dev/null || true
  wait 2>/dev/null || true
done
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {print int($2/1024/1024) " GiB"}' /proc/meminfo); $(date -u +%F)"
