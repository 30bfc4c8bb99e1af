#!/usr/bin/env bash
# A fresh machine, measured on this one: scripts/bench.sh fresh [run|ci|both]
#
# run: `scripts/run.sh` from a fresh clone with an empty CARGO_HOME (every crate fetched
#      from crates.io), an empty target directory and no node_modules, until the first page
#      answers; ci: `.ci/run` the same way, after removing Chromium, nginx and moto so the
#      run installs them. Each line of output is stamped with the seconds since the start
#      (fresh-run.log, fresh-ci.log in scripts/bench-results/), and the per-step
#      breakdown is printed. Takes 15 to 40 minutes; run it on an otherwise idle machine.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT="$ROOT/scripts/bench-results"
WORK=${WHARF_FRESH_DIR:-/var/tmp/wharf-fresh}
mkdir -p "$OUT"
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# Runs "$@" in a fresh clone with fresh cargo and build directories, stamping each line.
fresh() {
  local name=$1; shift
  rm -rf "$WORK/$name"
  mkdir -p "$WORK/$name"
  git clone -q "$ROOT" "$WORK/$name/clone"
  (
    cd "$WORK/$name/clone"
    export CARGO_HOME="$WORK/$name/cargo-home" CARGO_TARGET_DIR="$WORK/$name/target"
    export WHARF_FUZZ_TARGET_DIR="$WORK/$name/fuzz-target"
    local start; start=$(date +%s)
    "$@" 2>&1 | while IFS= read -r line; do echo "$(( $(date +%s) - start )) $line"; done
  )
}

run() {
  fresh run bash scripts/run.sh --listen 127.0.0.1:3390 --data-dir "$WORK/run/data" > "$OUT/fresh-run.log" &
  local start; start=$(date +%s)
  until curl -sf -o /dev/null http://127.0.0.1:3390/; do sleep 1; done
  echo "first page after $(( $(date +%s) - start )) s" | tee -a "$OUT/fresh-run.log"
  pkill -f "$WORK/run/target/release/wharf" || true
  grep -E "==>|xtask|Finished" "$OUT/fresh-run.log" || true
}

ci() {
  as_root apt-get remove -y -qq chromium nginx-light >/dev/null 2>&1 || true
  pkill -f moto_server || true
  python3 -m pip uninstall -y -q moto >/dev/null 2>&1 || true
  local start; start=$(date +%s)
  fresh ci bash .ci/run > "$OUT/fresh-ci.log" || { echo "the clean .ci/run failed: see $OUT/fresh-ci.log" >&2; exit 1; }
  echo ".ci/run passed after $(( $(date +%s) - start )) s" | tee -a "$OUT/fresh-ci.log"
  grep -E "==>|xtask|Finished|passed \(" "$OUT/fresh-ci.log" || true
}

case "${1:-both}" in
  run) run ;;
  ci) ci ;;
  both) run; ci ;;
  *) echo "usage: scripts/bench.sh fresh [run|ci|both]" >&2; exit 2 ;;
esac
