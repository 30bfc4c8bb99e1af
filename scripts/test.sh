#!/usr/bin/env bash
# Runs every test: Rust unit and integration tests (SQLite and PostgreSQL) and the
# browser tests (Playwright in Debian's Chromium). Exits non-zero on any failure.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
source scripts/setup.sh
source scripts/test-services.sh

# PostgreSQL: the server at 127.0.0.1:5432 (trust auth); start it when it is down.
export WHARF_TEST_POSTGRES_URL=${WHARF_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}
if ! pg_isready -q -h 127.0.0.1 -p 5432; then
  log "starting PostgreSQL"
  as_root pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start
  for _ in $(seq 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
fi
# Each test makes its own database; sweep any that a crashed run left behind.
psql -q -At "$WHARF_TEST_POSTGRES_URL" -c "SELECT datname FROM pg_database WHERE datname LIKE 'wharf_test_%'" |
  while read -r db; do psql -q "$WHARF_TEST_POSTGRES_URL" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)"; done

log "checking formatting, lints and the code's shape (no module cycles, no file over 600 lines)"
cargo fmt --all --check
python3 scripts/check-structure.py
cargo clippy --locked -p wharf-core -p wharf-index -p wharf-db -p wharf-auth -p wharf-service -p wharf-test-support -p wharf -p xtask --all-targets -- -D warnings

log "Rust tests (SQLite and PostgreSQL)"
# insta must compare with the committed snapshots, never write new ones.
INSTA_UPDATE=no cargo test --locked -p wharf-core -p wharf-index -p wharf-db -p wharf-auth -p wharf-service -p wharf-test-support -p wharf

# The REST API against its OpenAPI description, on the debug binary the tests just built.
log "schemathesis (the REST API against /_apis/openapi.json)"; bash scripts/schemathesis.sh

log "fuzzing (short)"; bash scripts/fuzz.sh all 20

# The browser tests run a debug server built on its own (`cargo xtask build`): the binary
# `cargo test` builds for the replica tests carries the tests' dependency features and
# does not hydrate the bundle. The debug server reads the bundle from target/site.
log "building the portal (server + WASM)"
cargo xtask build
log "browser tests"
(cd end2end && npx playwright test)
