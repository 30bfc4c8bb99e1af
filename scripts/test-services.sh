#!/usr/bin/env bash
# The services the replica tests run against, installed and started when missing (sourced
# by scripts/test.sh after scripts/setup.sh):
# - Debian's nginx, the load balancer in front of several replicas (the tests start their
#   own nginx processes with the README's configuration; the packaged service stays off);
# - moto's S3-compatible server, from PyPI, at $WHARF_TEST_S3_ENDPOINT. moto installs in
#   seconds as Python wheels, where s3s-fs would be compiled from source on every fresh
#   machine; it speaks the S3 REST API, multipart uploads included, and keeps objects in
#   memory, which is what a test bucket should do.
set -euo pipefail
MOTO_VERSION=5.2.1
export WHARF_TEST_S3_ENDPOINT=${WHARF_TEST_S3_ENDPOINT:-http://127.0.0.1:9100}

if ! [ -x /usr/sbin/nginx ]; then
  log "installing Debian's nginx"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light >/dev/null
  # The package starts a server on port 80; the tests need none.
  as_root nginx -s stop 2>/dev/null || true
fi

if ! curl -s -o /dev/null "$WHARF_TEST_S3_ENDPOINT"; then
  if ! command -v moto_server >/dev/null || [ "$(pip show moto 2>/dev/null | awk '/^Version/ {print $2}')" != "$MOTO_VERSION" ]; then
    log "installing moto[server] $MOTO_VERSION (the S3-compatible server of the tests)"
    python3 -m pip install -q "moto[server]==$MOTO_VERSION"
    hash -r
  fi
  port=${WHARF_TEST_S3_ENDPOINT##*:}
  log "starting moto's S3 server on port $port"
  nohup moto_server -H 127.0.0.1 -p "$port" >/tmp/wharf-moto.log 2>&1 &
  for _ in $(seq 50); do curl -s -o /dev/null "$WHARF_TEST_S3_ENDPOINT" && break; sleep 0.2; done
  curl -s -o /dev/null "$WHARF_TEST_S3_ENDPOINT" || { echo "moto did not start; see /tmp/wharf-moto.log" >&2; exit 1; }
fi
