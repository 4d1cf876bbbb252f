#!/usr/bin/env bash
# THE main job: builds the `walrus` binary (release) and starts a local Walrus network with
# `walrus devnet` on loopback until Ctrl-C: the control plane, storage nodes (one process each),
# the publisher/aggregator, and the indexer writing into PostgreSQL.
#
# PostgreSQL comes from scripts/pg.sh: $DATABASE_URL, else a server on 127.0.0.1:5432, else a
# private cluster it starts (and this script stops on exit); the devnet creates its own database
# there. Set WALRUS_DEVNET_NO_DB=1 to run without the indexer. Other arguments go to
# `walrus devnet` (for example: --dir ./my-devnet --nodes 7 --shards 100 --epoch-duration-secs 300).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
if ! command -v cargo >/dev/null 2>&1; then
  echo "missing prerequisite: cargo. Install Rust with rustup (https://rustup.rs)." >&2
  exit 1
fi
target=${CARGO_TARGET_DIR:-$root/target}
echo "Building walrus (release; the first build takes a few minutes) ..." >&2
cargo build --release --locked -p walrus-client --bin walrus >&2

db_args=()
started_pg=""
if [ "${WALRUS_DEVNET_NO_DB:-0}" != 1 ]; then
  errors=$(mktemp)
  if url=$("$root/scripts/pg.sh" url 2>"$errors"); then
    db_args=(--database-url "$url")
    started_pg=$(sed -n 's/^# started //p' "$errors")
  else
    cat "$errors" >&2
    echo "warning: no PostgreSQL; the devnet runs without the indexer" >&2
  fi
  rm -f "$errors"
fi
if [ -n "$started_pg" ]; then
  # Keep this shell to stop the private cluster afterwards; forward Ctrl-C to the devnet.
  trap '"$root/scripts/pg.sh" stop "$started_pg" >/dev/null 2>&1 || true' EXIT
  "$target/release/walrus" devnet "${db_args[@]}" "$@" &
  devnet=$!
  trap 'kill -INT $devnet 2>/dev/null || true' INT TERM
  wait $devnet || wait $devnet
else
  exec "$target/release/walrus" devnet "${db_args[@]}" "$@"
fi
