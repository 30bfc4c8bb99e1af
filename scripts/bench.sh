#!/usr/bin/env bash
# Benchmarks (not tests). `scripts/bench.sh wasm` measures the release WASM bundle;
# `scripts/bench.sh index` measures warm index-file throughput against nginx serving the
# same bytes; `scripts/bench.sh resolve` times resolve + fetch of a real project through a
# feed vs straight from crates.io (needs the real crates.io, never run in CI);
# `scripts/bench.sh publish` measures publish throughput (sequential cargo, concurrent raw);
# `scripts/bench.sh memory` the peak RSS under 40 concurrent sign-ins and 4 large publishes;
# `scripts/bench.sh soak` 10 minutes of mixed load on one replica and on two (RSS and p99
# over time, with a plot); `scripts/bench.sh feedpage` the page of a feed of 10,000 packages;
# `scripts/bench.sh fresh [run|ci]` a fresh machine to the first page and to a passed .ci/run.
# Figures go to BENCHMARKS.md by hand, with the machine and date.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
source scripts/setup.sh

wasm() {
  log "building the release WASM bundle"
  cargo xtask site --release >&2
  local pkg=target/site/pkg
  printf '%-22s %12s %12s %12s\n' file raw gzip-9 brotli
  for f in "$pkg/wharf.wasm" "$pkg/wharf.js" "$pkg/wharf.css"; do
    local raw gz br
    raw=$(stat -c %s "$f")
    gz=$(gzip -9 -c "$f" | wc -c)
    br=$( [ -f "$f.br" ] && stat -c %s "$f.br" || echo -)
    printf '%-22s %12s %12s %12s\n' "$(basename "$f")" "$raw" "$gz" "$br"
  done
  local total_gz
  total_gz=$(( $(gzip -9 -c "$pkg/wharf.wasm" | wc -c) + $(gzip -9 -c "$pkg/wharf.js" | wc -c) + $(gzip -9 -c "$pkg/wharf.css" | wc -c) ))
  echo "initial load (wasm + js + css), gzip: $total_gz bytes ($(( total_gz / 1024 )) KiB; budget 300 KB)"
}

case "${1:-all}" in
  wasm) wasm ;;
  index) bash scripts/bench-index.sh ;;
  resolve) bash scripts/bench-resolve.sh ;;
  publish) bash scripts/bench-publish.sh ;;
  memory) bash scripts/bench-memory.sh ;;
  soak) bash scripts/bench-soak.sh ;;
  feedpage) bash scripts/bench-feedpage.sh ;;
  fresh) bash scripts/bench-fresh.sh "${2:-both}" ;;
  all) wasm; bash scripts/bench-index.sh ;;
  *) echo "usage: $0 [wasm|index|resolve|publish|memory|soak|feedpage|fresh [run|ci]|all]" >&2; exit 2 ;;
esac
