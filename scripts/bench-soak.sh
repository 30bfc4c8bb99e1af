#!/usr/bin/env bash
# Soak (a benchmark, not a CI test): mixed load against one replica, then against two
# behind nginx, on PostgreSQL and moto's S3, for SOAK_SECONDS each (default 600). The load
# is `wrk` on a public index file, real cargo resolving and fetching with fresh homes in a
# loop (a local upstream registry stands in for crates.io), publishes in a loop and portal
# pages in a loop. Every INTERVAL seconds it records req/s and p99 of wrk, the 5xx count
# of every client, and each replica's RSS; writes soak-*.csv and soak.png (matplotlib).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
source scripts/setup.sh
source scripts/test-services.sh
source scripts/bench-lib.sh
SOAK_SECONDS=${SOAK_SECONDS:-600}
INTERVAL=${INTERVAL:-30}
OUT=${OUT:-$ROOT/target/soak}
mkdir -p "$OUT"
work=$(mktemp -d)
chmod 755 "$work"
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; nginx -c "$work/nginx.conf" -p "$work" -s stop 2>/dev/null || true; }
trap cleanup EXIT

log "building the release server and the local upstream"
cargo build --release -p wharf >&2
cargo build --release -p wharf-test-support --example local-upstream >&2
bin=${CARGO_TARGET_DIR:-$ROOT/target}/release/wharf
"${CARGO_TARGET_DIR:-$ROOT/target}/release/examples/local-upstream" 3400 >"$work/upstream.log" 2>&1 &
pids+=($!)
db="wharf_soak_$$"
psql -q postgres://postgres@127.0.0.1:5432/postgres -c "CREATE DATABASE $db"
DB_URL="postgres://postgres@127.0.0.1:5432/$db"
bucket="wharf-soak-$$"
curl -fs -X PUT "$WHARF_TEST_S3_ENDPOINT/$bucket" >/dev/null
export AWS_ENDPOINT=$WHARF_TEST_S3_ENDPOINT AWS_ACCESS_KEY_ID=soak AWS_SECRET_ACCESS_KEY=soak AWS_REGION=us-east-1 AWS_ALLOW_HTTP=true

replica() { # PORT PUBLIC
  "$bin" serve --listen "127.0.0.1:$1" --public-url "$2" --database-url "$DB_URL" \
    --storage-url "s3://$bucket/soak" --upstream-index "http://127.0.0.1:3400/index/" \
    --data-dir "$work/data-$1" 2>"$work/replica-$1.log" &
  pids+=($!)
  for _ in $(seq 100); do curl -fs "http://127.0.0.1:$1/_ready" >/dev/null && return; sleep 0.1; done
  echo "replica $1 did not start" >&2; exit 1
}

# run LABEL BASE PIDS...: the mixed load against BASE for SOAK_SECONDS.
run() {
  local label=$1 base=$2; shift 2
  local rpids=("$@") csv="$OUT/soak-$label.csv" stop="$work/stop-$label"
  rm -f "$stop"
  echo "t,rps,p99_ms,wrk_non2xx,client_5xx,rss_kb" > "$csv"
  : > "$work/5xx-$label"
  # cargo resolve + fetch with a fresh home each time.
  ( n=0; while [ ! -f "$stop" ]; do n=$((n + 1)); home="$work/home-$label-$n"
      (cd "$work/consumer" && rm -f Cargo.lock && CARGO_HOME="$home" CARGO_TARGET_DIR="$work/target" cargo fetch -q 2>>"$work/cargo-$label.log") \
        && echo ok >> "$work/cargo-runs-$label" || echo cargo >> "$work/5xx-$label"; rm -rf "$home"; done ) & local load1=$!
  # publishes, one new version each.
  ( n=0; while [ ! -f "$stop" ]; do n=$((n + 1))
      code=$(python3 scripts/publish-one.py "$base" "$token" "soak-$label" "1.0.$n")
      [[ $code == 5* ]] && echo "publish $code" >> "$work/5xx-$label"; sleep 0.5; done ) & local load2=$!
  # portal pages.
  ( while [ ! -f "$stop" ]; do for p in / /default/_artifacts "/default/default/_artifacts/feed/soak"; do
      code=$(curl -s -o /dev/null -w '%{http_code}' "$base$p"); [[ $code == 5* ]] && echo "page $code" >> "$work/5xx-$label"
    done; sleep 0.2; done ) & local load3=$!
  local start=$SECONDS
  while (( SECONDS - start < SOAK_SECONDS )); do
    w=$(wrk -t1 -c32 -d"${INTERVAL}s" --latency "$base/default/default/_packaging/soak/Cargo/index/3/t/top")
    rps=$(awk '/Requests\/sec/ {print $2}' <<<"$w")
    p99=$(awk '$1 == "99%" {v=$2; if (v ~ /us$/) {sub(/us/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v*=1000}; print v}' <<<"$w")
    non2xx=$(awk '/Non-2xx/ {print $NF}' <<<"$w"); non2xx=${non2xx:-0}
    rss=0; for p in "${rpids[@]}"; do rss=$((rss + $(awk '/VmRSS/ {print $2}' "/proc/$p/status"))); done
    echo "$((SECONDS - start)),$rps,$p99,$non2xx,$(wc -l < "$work/5xx-$label"),$rss" | tee -a "$csv" >&2
  done
  touch "$stop"; wait "$load1" "$load2" "$load3" || true
  echo "$label: $(wc -l < "$work/cargo-runs-$label" 2>/dev/null || echo 0) cargo fetch runs succeeded" >&2
}

log "one replica"
replica 3401 http://127.0.0.1:3401
one_pid=${pids[-1]}
token=$(admin_token_url "$bin" "$DB_URL" "$work/cli")
curl -fs -X POST "http://127.0.0.1:3401/default/default/_apis/packaging/feeds" -H 'content-type: application/json' \
  -H "Authorization: Bearer $token" -d '{"name":"soak","visibility":"public","upstreamEnabled":true}' >/dev/null
mkdir -p "$work/consumer/src" "$work/consumer/.cargo"
printf '[package]\nname = "consumer"\nversion = "0.1.0"\nedition = "2021"\n[dependencies]\ntop = { version = "0.1", features = ["extra"] }\n' > "$work/consumer/Cargo.toml"
echo 'fn main() {}' > "$work/consumer/src/main.rs"
write_source() { printf '[registries]\nfeed = { index = "sparse+%s/default/default/_packaging/soak/Cargo/index/" }\n[source.crates-io]\nreplace-with = "feed"\n' "$1" > "$work/consumer/.cargo/config.toml"; }
write_source http://127.0.0.1:3401
run one http://127.0.0.1:3401 "$one_pid"

log "two replicas behind nginx"
replica 3402 http://127.0.0.1:3410
two_pid=${pids[-1]}
cat > "$work/nginx.conf" <<CONF
worker_processes 1;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $work/body; proxy_temp_path $work/proxy; fastcgi_temp_path $work/fcgi; uwsgi_temp_path $work/uwsgi; scgi_temp_path $work/scgi;
  upstream wharf { server 127.0.0.1:3401 max_fails=0; server 127.0.0.1:3402 max_fails=0; keepalive 32; }
  server { listen 127.0.0.1:3410; client_max_body_size 64m;
    location / { proxy_pass http://wharf; proxy_http_version 1.1; proxy_set_header Connection ""; proxy_set_header Host \$http_host;
      proxy_next_upstream error timeout http_502; } }
}
CONF
nginx -c "$work/nginx.conf" -p "$work"
write_source http://127.0.0.1:3410
run two http://127.0.0.1:3410 "$one_pid" "$two_pid"

python3 - "$OUT" <<'PY'
import csv, sys
out = sys.argv[1]
rows = {k: list(csv.DictReader(open(f"{out}/soak-{k}.csv"))) for k in ("one", "two")}
for k, r in rows.items():
    rps = [float(x["rps"]) for x in r]; p99 = [float(x["p99_ms"]) for x in r]; rss = [int(x["rss_kb"]) for x in r]
    print(f"{k}: wrk {sum(rps)/len(rps):.0f} req/s on average, p99 max {max(p99):.1f} ms, "
          f"5xx {int(r[-1]['client_5xx']) + sum(int(x['wrk_non2xx']) for x in r)}, RSS {rss[0]//1024}→{rss[-1]//1024} MB (max {max(rss)//1024} MB)")
try:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    sys.exit("matplotlib missing (pip install matplotlib) — no plot")
fig, (a, b) = plt.subplots(2, 1, figsize=(8, 6), sharex=True)
for k, r in rows.items():
    t = [int(x["t"]) for x in r]
    a.plot(t, [int(x["rss_kb"]) / 1024 for x in r], label=f"{k} replica(s)")
    b.plot(t, [float(x["p99_ms"]) for x in r], label=f"{k} replica(s)")
a.set_ylabel("RSS (MB, all replicas)"); b.set_ylabel("wrk p99 (ms)"); b.set_xlabel("seconds")
a.legend(); b.legend(); fig.tight_layout(); fig.savefig(f"{out}/soak.png", dpi=100)
print(f"plot: {out}/soak.png")
PY
psql -q postgres://postgres@127.0.0.1:5432/postgres -c "DROP DATABASE $db WITH (FORCE)" || true
