#!/usr/bin/env bash
# Publish throughput (not a test): the release server on SQLite, a public feed without
# upstream, then (1) sequential `cargo publish` of 50 small crates and (2) 200 concurrent
# raw publish requests (64 at a time). Reports versions/s and checks that every version
# acknowledged is in the index afterwards.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
source scripts/setup.sh
source scripts/bench-lib.sh
SEQUENTIAL=${SEQUENTIAL:-50}
CONCURRENT=${CONCURRENT:-200}
PORT=3321
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$work"' EXIT

log "building the release server"
# The server as `scripts/run.sh` ships it (`cargo xtask` builds it with erase_components).
cargo xtask build --release >&2
bin=${CARGO_TARGET_DIR:-$ROOT/target}/release/wharf
"$bin" serve --listen 127.0.0.1:$PORT --data-dir "$work/data" 2>"$work/wharf.log" &
for _ in $(seq 50); do curl -fs "http://127.0.0.1:$PORT/_health" >/dev/null && break; sleep 0.2; done
token=$(admin_token "$bin" "$work/data")
curl -fs -X POST "http://127.0.0.1:$PORT/default/_apis/packaging/feeds" -H 'content-type: application/json' \
  -H "Authorization: Bearer $token" -d '{"name":"bench","visibility":"public","upstreamEnabled":false}' >/dev/null
index="http://127.0.0.1:$PORT/default/_packaging/bench/Cargo/index/"

log "sequential: cargo publish of $SEQUENTIAL crates"
mkdir -p "$work/seq/.cargo"
printf '[registries]\nbench = { index = "sparse+%s" }\n' "$index" > "$work/seq/.cargo/config.toml"
for i in $(seq 1 "$SEQUENTIAL"); do
  mkdir -p "$work/seq/seq-crate-$i/src"
  printf '[package]\nname = "seq-crate-%s"\nversion = "1.0.0"\nedition = "2021"\nlicense = "MIT"\ndescription = "bench"\n' "$i" \
    > "$work/seq/seq-crate-$i/Cargo.toml"
  echo "pub fn f() -> u32 { $i }" > "$work/seq/seq-crate-$i/src/lib.rs"
done
export CARGO_HOME="$work/cargo-home" CARGO_REGISTRY_GLOBAL_CREDENTIAL_PROVIDERS=cargo:token CARGO_REGISTRIES_BENCH_TOKEN="$token"
start=$(date +%s.%N)
for i in $(seq 1 "$SEQUENTIAL"); do
  (cd "$work/seq/seq-crate-$i" && cargo publish --registry bench --no-verify --allow-dirty -q 2>>"$work/publish.log")
done
end=$(date +%s.%N)
found=0
for i in $(seq 1 "$SEQUENTIAL"); do
  name="seq-crate-$i"
  curl -fs "${index}${name:0:2}/${name:2:2}/$name" | grep -q '"vers":"1.0.0"' && found=$((found + 1))
done
python3 - "$start" "$end" "$SEQUENTIAL" "$found" <<'PY'
import sys
start, end, n, found = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
print(f"sequential cargo publish: {n} versions in {end - start:.1f} s = {n / (end - start):.2f} versions/s "
      f"(each a whole `cargo publish`, which waits until the index shows the version); in the index: {found}/{n}")
sys.exit(0 if found == n else 1)
PY

log "concurrent: $CONCURRENT raw publish requests"
python3 - "http://127.0.0.1:$PORT" "$token" "$CONCURRENT" <<'PY'
import gzip, hashlib, io, json, struct, sys, tarfile, time, urllib.request
from concurrent.futures import ThreadPoolExecutor

base, token, n = sys.argv[1], sys.argv[2], int(sys.argv[3])

def crate(name, vers):
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        for path, text in [("Cargo.toml", f'[package]\nname = "{name}"\nversion = "{vers}"\n'), ("src/lib.rs", "pub fn f() {}\n")]:
            data = text.encode()
            info = tarfile.TarInfo(f"{name}-{vers}/{path}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return gzip.compress(raw.getvalue())

def body(name, vers):
    meta = json.dumps({"name": name, "vers": vers, "deps": [], "features": {}}).encode()
    c = crate(name, vers)
    return struct.pack("<I", len(meta)) + meta + struct.pack("<I", len(c)) + c

bodies = [(f"conc-crate-{i}", "1.0.0", body(f"conc-crate-{i}", "1.0.0")) for i in range(n)]

def publish(item):
    name, vers, data = item
    req = urllib.request.Request(f"{base}/default/_packaging/bench/Cargo/api/v1/crates/new", data=data, method="PUT",
                                 headers={"Authorization": token})
    try:
        with urllib.request.urlopen(req, timeout=60) as res:
            return name, res.status
    except urllib.error.HTTPError as e:
        return name, e.code

start = time.perf_counter()
with ThreadPoolExecutor(max_workers=64) as pool:
    results = list(pool.map(publish, bodies))
elapsed = time.perf_counter() - start
acked = [name for name, status in results if status == 200]
print(f"concurrent raw publish: {len(acked)}/{n} acknowledged in {elapsed:.2f} s = {len(acked) / elapsed:.1f} versions/s")

def path(name):
    return f"{name[:2]}/{name[2:4]}/{name}"

missing = []
for name in acked:
    with urllib.request.urlopen(f"{base}/default/_packaging/bench/Cargo/index/{path(name)}") as res:
        if '"vers":"1.0.0"' not in res.read().decode():
            missing.append(name)
print(f"in the index afterwards: {len(acked) - len(missing)}/{len(acked)} acknowledged versions")
sys.exit(1 if missing else 0)
PY
