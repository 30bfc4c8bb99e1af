#!/usr/bin/env bash
# Installs what building and testing Wharf needs, skipping whatever is already there.
# Idempotent; safe to run on every build. Sourced by run.sh and test.sh.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  log "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

# No build tool is installed from source: `cargo xtask` (crates/xtask) builds the bundle,
# with wasm-bindgen as a library and wasm-opt from npm's binaryen (below).

# Chromium is for the browser tests; running Wharf needs none (run.sh sets this to 0).
if [ "${WHARF_NEEDS_BROWSER:-1}" = 1 ] && ! command -v chromium >/dev/null; then
  log "installing Debian's Chromium"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi

# npm packages: Playwright for the browser tests, binaryen's wasm-opt for release builds.
# Playwright never downloads a browser here: the tests use Debian's Chromium.
if [ ! -x "$ROOT/end2end/node_modules/.bin/wasm-opt" ] || [ "$ROOT/end2end/package-lock.json" -nt "$ROOT/end2end/node_modules/.package-lock.json" ]; then
  log "installing npm packages"
  (cd "$ROOT/end2end" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
fi
export PATH="$ROOT/end2end/node_modules/.bin:$PATH"
