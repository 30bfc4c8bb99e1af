#!/usr/bin/env bash
# Installs what is missing, builds Wharf in release mode and runs it on its embedded
# defaults: SQLite and crate storage under ./data, http://127.0.0.1:3000.
# Extra arguments go to `wharf serve` (see `wharf --help`).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
WHARF_NEEDS_BROWSER=0 source scripts/setup.sh

log "building Wharf (release)"
# The bundle is built (and compressed once) before the server, which embeds it.
cargo xtask build --release
log "starting Wharf: open http://127.0.0.1:3000/"
exec "${CARGO_TARGET_DIR:-target}/release/wharf" serve "$@"
