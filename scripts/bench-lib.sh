# Shared by the benchmark scripts (sourced).

# admin_token BIN DATA_DIR: a read & write token of a Wharf administrator `bench` in the
# instance whose data lives in DATA_DIR (created on first use; works while it runs).
admin_token() {
  local bin=$1 data=$2
  echo "bench admin password" | "$bin" admin --data-dir "$data" create-user --name bench --password-stdin --admin >/dev/null 2>&1 || true
  "$bin" admin --data-dir "$data" create-token --user bench --name "bench-$RANDOM$RANDOM" --scope write | tail -n1
}

# admin_token_url BIN DATABASE_URL DATA_DIR: the same for an instance on DATABASE_URL.
admin_token_url() {
  local bin=$1 url=$2 data=$3
  echo "bench admin password" | "$bin" admin --database-url "$url" --data-dir "$data" create-user --name bench --password-stdin --admin >/dev/null 2>&1 || true
  "$bin" admin --database-url "$url" --data-dir "$data" create-token --user bench --name "bench-$RANDOM$RANDOM" --scope write | tail -n1
}
