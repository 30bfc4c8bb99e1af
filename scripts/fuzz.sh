#!/usr/bin/env bash
# Fuzzes Wharf's parsers: scripts/fuzz.sh [TARGET|all] [SECONDS]   (default: all, 60 s each)
#
# libFuzzer through cargo-fuzz, built with `--sanitizer none`: that needs no nightly flag,
# so stable Rust builds it (debug assertions and overflow checks stay on). Each target runs
# for SECONDS on a scratch copy of its committed corpus (fuzz/corpus/TARGET), so the seeds
# stay small; a crashing input is written to fuzz/artifacts/TARGET/. Prints executions and
# crashes per target and exits non-zero on any crash (holding more than 512 MB is one).
#
# Builds go to WHARF_FUZZ_TARGET_DIR (default /var/tmp/wharf-fuzz-target), never to the
# main target directory: other RUSTFLAGS would make the two rebuild each other's work.
# Extra libFuzzer flags can be passed in WHARF_FUZZ_ARGS (e.g. "-jobs=2 -workers=2").
set -euo pipefail

CARGO_FUZZ_VERSION=0.13.2
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

TARGETS=(publish_body crate_file index_merge names_versions safe_next lockfile advisory bundle_reader served_lines)
WHICH=${1:-all}
DURATION=${2:-60}
if [ "$WHICH" != all ] && [[ ! " ${TARGETS[*]} " =~ " $WHICH " ]]; then
  echo "usage: scripts/fuzz.sh [TARGET|all] [SECONDS]; targets: ${TARGETS[*]}" >&2
  exit 2
fi
[ "$WHICH" = all ] || TARGETS=("$WHICH")
export CARGO_TARGET_DIR=${WHARF_FUZZ_TARGET_DIR:-/var/tmp/wharf-fuzz-target}

# Tools: cargo-fuzz, and a C++ compiler for libFuzzer itself (libfuzzer-sys builds it).
if [ "$(cargo fuzz --version 2>/dev/null | awk '{print $2}')" != "$CARGO_FUZZ_VERSION" ]; then
  log "installing cargo-fuzz $CARGO_FUZZ_VERSION (about a minute)"
  cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked --force
fi
if ! command -v c++ >/dev/null; then
  log "installing a C++ compiler for libFuzzer"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq g++ >/dev/null
fi

log "building fuzz targets: ${TARGETS[*]}"
build=(cargo fuzz build --sanitizer none --target-dir "$CARGO_TARGET_DIR")
if [ "$WHICH" = all ]; then "${build[@]}"; else "${build[@]}" "$WHICH"; fi
BIN_DIR="$CARGO_TARGET_DIR/x86_64-unknown-linux-gnu/release"

SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/wharf-fuzz.XXXXXX")
trap 'rm -rf "$SCRATCH"' EXIT
failed=0
total_execs=0
summary=$(printf '%-16s %8s %12s %10s %8s' target seconds executions exec/s crashes)
for target in "${TARGETS[@]}"; do
  log "fuzzing $target for ${DURATION}s"
  corpus="$SCRATCH/$target"
  mkdir -p "$corpus" "fuzz/artifacts/$target"
  cp -R "fuzz/corpus/$target/." "$corpus/"
  # A memory bomb is a crash: no input may make a parser hold more than this.
  args=(-max_total_time="$DURATION" -print_final_stats=1 -timeout=10 -rss_limit_mb=512 -artifact_prefix="fuzz/artifacts/$target/")
  [ -f "fuzz/dicts/$target.dict" ] && args+=(-dict="fuzz/dicts/$target.dict")
  # shellcheck disable=SC2206 # word splitting of the extra flags is intended
  args+=(${WHARF_FUZZ_ARGS:-})
  started=$(date +%s)
  set +e
  "$BIN_DIR/$target" "${args[@]}" "$corpus" >"$SCRATCH/$target.log" 2>&1
  rc=$?
  set -e
  elapsed=$(($(date +%s) - started))
  execs=$(awk '/^stat::number_of_executed_units:/ {n += $2} END {print n + 0}' "$SCRATCH/$target.log")
  crashes=0
  if [ "$rc" != 0 ]; then
    crashes=1
    failed=1
    # libFuzzer stops at the first crash: show why, and where the input was saved.
    grep -E -A4 "panicked at|ERROR: libFuzzer|SUMMARY|Test unit written" "$SCRATCH/$target.log" | head -n 30 >&2 || tail -n 30 "$SCRATCH/$target.log" >&2
    log "$target crashed; reproduce with: $BIN_DIR/$target <the input above>"
  fi
  total_execs=$((total_execs + execs))
  summary+=$'\n'$(printf '%-16s %8s %12s %10s %8s' "$target" "$elapsed" "$execs" $((execs / (elapsed > 0 ? elapsed : 1))) "$crashes")
done
summary+=$'\n'$(printf '%-16s %8s %12s' total "" "$total_execs")
echo "$summary"
if [ "$failed" != 0 ]; then
  log "fuzzing found a crash"
  exit 1
fi
