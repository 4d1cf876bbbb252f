#!/usr/bin/env bash
# THE main job: builds the `walrus` binary (release) and starts a local Walrus network with
# `walrus devnet`: the control plane, storage nodes (one process each) and the
# publisher/aggregator, on loopback, until Ctrl-C. Arguments go to `walrus devnet`
# (for example: --dir ./my-devnet --nodes 7 --shards 100 --epoch-duration-secs 300).
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
exec "$target/release/walrus" devnet "$@"
