#!/usr/bin/env bash
# Installs what is missing, builds Wharf in release mode and runs it on its embedded
# defaults: SQLite and crate storage under ./data, http://127.0.0.1:3000.
# Extra arguments go to `wharf serve` (see `wharf --help`).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
source scripts/setup.sh

log "building Wharf (release)"
# --precompress: the bundle is built (and compressed once) before the server, which embeds it.
cargo leptos build --release --precompress
log "starting Wharf: open http://127.0.0.1:3000/"
exec "${CARGO_TARGET_DIR:-target}/release/wharf" serve "$@"
