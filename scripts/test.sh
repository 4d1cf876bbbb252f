#!/usr/bin/env bash
# THE test command of the project (named in the README; .ci/run calls it).
#
# Stages, in order: cargo fmt --check; cargo clippy (warnings are errors); the Rust tests (cargo
# nextest when installed, else cargo test; plus doc tests); the Move tests of every package under
# move/ (scripts/move-test); the self-tests of the scripts (node --test scripts/tests).
# Each stage prints one summary line `== <stage>: ...`; the last line is `N passed, N failed`,
# counting Rust, Move and script tests. Exits non-zero when any stage fails.
#
# Environment:
#   DATABASE_URL           PostgreSQL for tests that need one; otherwise scripts/pg.sh finds or starts one
#   MOVE_TESTS_OPTIONAL=1  a Move stage with no reachable Sui framework is SKIPPED instead of failing
#   SUI_FRAMEWORK_DIR      local copy of the Sui framework sources (see scripts/move-test)
#   WALRUS_TEST_STAGES     space-separated subset of: fmt clippy rust move scripts (default: all)
#   WALRUS_DIFF_SEED, WALRUS_DIFF_SEQUENCES, WALRUS_DIFF_STEPS
#                          the differential test (Rust devnet vs Move VM, in the move stage)
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
stages=${WALRUS_TEST_STAGES:-fmt clippy rust move scripts}
logdir=$(mktemp -d "${TMPDIR:-/tmp}/walrus-test.XXXXXX")
passed=0
failed=0
stage_failures=0
summaries=()
started_pg=""

cleanup() {
  if [ -n "$started_pg" ]; then "$root/scripts/pg.sh" stop "$started_pg" || true; fi
  rm -rf "$logdir"
}
trap cleanup EXIT

want() { [[ " $stages " == *" $1 "* ]]; }
say() { summaries+=("$1"); echo "$1"; }

need() {
  command -v "$1" >/dev/null 2>&1 && return 0
  echo "missing prerequisite: $1. $2" >&2
  exit 1
}

need cargo "Install Rust with rustup (https://rustup.rs): curl --proto '=https' -sSf https://sh.rustup.rs | sh"
if want move || want scripts; then
  need node "Install Node.js 20 or newer (for example: sudo apt-get install -y nodejs npm)."
fi

has_cargo_sub() { cargo "$1" --version >/dev/null 2>&1; }
if want fmt && ! has_cargo_sub fmt; then
  command -v rustup >/dev/null && rustup component add rustfmt >/dev/null 2>&1
fi
if want clippy && ! has_cargo_sub clippy; then
  command -v rustup >/dev/null && rustup component add clippy >/dev/null 2>&1
fi

# --- fmt --------------------------------------------------------------------------------------
if want fmt; then
  if cargo fmt --all --check >"$logdir/fmt.log" 2>&1; then
    say "== fmt: ok"
  else
    cat "$logdir/fmt.log"
    say "== fmt: FAILED (run: cargo fmt --all)"
    stage_failures=$((stage_failures + 1))
  fi
fi

# --- clippy -----------------------------------------------------------------------------------
if want clippy; then
  if cargo clippy --workspace --all-targets --locked -- -D warnings >"$logdir/clippy.log" 2>&1; then
    say "== clippy: ok"
  else
    cat "$logdir/clippy.log"
    say "== clippy: FAILED"
    stage_failures=$((stage_failures + 1))
  fi
fi

# --- Rust tests -------------------------------------------------------------------------------
if want rust; then
  if [ -z "${DATABASE_URL:-}" ]; then
    if url=$("$root/scripts/pg.sh" url 2>"$logdir/pg.err"); then
      export DATABASE_URL=$url
      started_pg=$(sed -n 's/^# started //p' "$logdir/pg.err")
    else
      cat "$logdir/pg.err" >&2
      echo "warning: no PostgreSQL available; tests that need a database will fail" >&2
    fi
  fi
  # The dashboard test drives a headless Chromium. CI installs it (Debian package, as root);
  # elsewhere a missing browser is named here and in the summary, since the test then skips.
  if ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1; then
    if [ "${CI:-}" = true ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
      echo "installing chromium for the dashboard test (apt-get)"
      DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >"$logdir/chromium.log" 2>&1 \
        || { tail -n 20 "$logdir/chromium.log"; echo "warning: chromium install failed" >&2; }
    fi
    if ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1; then
      say "== note: no chromium installed (apt-get install -y chromium): the dashboard browser test SKIPPED"
    fi
  fi
  rust_ok=1
  if has_cargo_sub nextest; then
    runner="nextest"
    cargo nextest run --workspace --locked --no-fail-fast --no-tests=warn 2>&1 | tee "$logdir/rust.log"
    [ "${PIPESTATUS[0]}" = 0 ] || rust_ok=0
    # "Summary [ 1.2s] 45 tests run: 44 passed, 1 failed, 0 skipped"
    line=$(grep -E 'Summary \[.*\] +[0-9]+ tests? run' "$logdir/rust.log" | tail -n 1)
    rp=$(sed -nE 's/.* ([0-9]+) passed.*/\1/p' <<<"$line")
    rf=$(grep -oE '[0-9]+ failed' <<<"$line" | grep -oE '[0-9]+' | head -n 1)
    rt=$(grep -oE '[0-9]+ timed out' <<<"$line" | grep -oE '[0-9]+' | head -n 1)
    rp=${rp:-0}; rf=$(( ${rf:-0} + ${rt:-0} ))
    # nextest does not run doc tests.
    cargo test --workspace --locked --doc 2>&1 | tee "$logdir/doc.log"
    [ "${PIPESTATUS[0]}" = 0 ] || rust_ok=0
  else
    runner="cargo test"
    cargo test --workspace --locked --no-fail-fast 2>&1 | tee "$logdir/rust.log"
    [ "${PIPESTATUS[0]}" = 0 ] || rust_ok=0
    rp=0; rf=0
    cp "$logdir/rust.log" "$logdir/doc.log.all"
  fi
  # Doc tests (and everything under plain cargo test) report "test result: ok. N passed; M failed; ..."
  for f in "$logdir/doc.log" "$logdir/doc.log.all"; do
    [ -f "$f" ] || continue
    while read -r p q; do rp=$((rp + p)); rf=$((rf + q)); done < <(
      sed -nE 's/^test result: [A-Za-z]+\. ([0-9]+) passed; ([0-9]+) failed.*/\1 \2/p' "$f")
  done
  # A build failure runs no test at all: count it as a failure so the total cannot read as a pass.
  if [ "$rust_ok" = 0 ] && [ "$rf" = 0 ]; then rf=1; fi
  passed=$((passed + rp)); failed=$((failed + rf))
  if [ "$rust_ok" = 1 ]; then
    say "== rust ($runner): $rp passed, $rf failed"
  else
    say "== rust ($runner): FAILED: $rp passed, $rf failed"
    stage_failures=$((stage_failures + 1))
  fi
fi

# --- Node packages used by the Move runner ----------------------------------------------------
ensure_node_modules() {
  # Install from the lock file only when its content changed since the last install (an mtime
  # comparison would reinstall, and wipe node_modules under a concurrent run, every time).
  local stamp="$root/scripts/node_modules/.walrus-lock-sha256" want
  want=$( (sha256sum "$root/scripts/package-lock.json" 2>/dev/null || shasum -a 256 "$root/scripts/package-lock.json") | cut -d' ' -f1)
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ] \
    || [ ! -d "$root/scripts/node_modules/@zktx.io/sui-move-builder" ]; then
    need npm "Install npm (it comes with Node.js)."
    (cd "$root/scripts" && npm ci --no-audit --no-fund --loglevel=error) >"$logdir/npm.log" 2>&1 \
      || { cat "$logdir/npm.log"; return 1; }
    echo "$want" >"$stamp"
  fi
}

# --- Move tests -------------------------------------------------------------------------------
if want move; then
  if ! ensure_node_modules; then
    say "== move: FAILED (npm ci in scripts/ failed)"
    failed=$((failed + 1)); stage_failures=$((stage_failures + 1))
  else
    # The differential test: random operation sequences run by the devnet's Rust implementation,
    # replayed in the Move VM by a generated test module that asserts Rust's events and objects.
    diff_args=()
    if [ ! -f "$root/services/chain/examples/move_differential.rs" ]; then
      :  # a checkout without the devnet (the scripts' self-test): nothing to compare
    elif cargo run -q --locked -p walrus-chain --example move_differential -- \
      "$logdir/differential_tests.move" --seed "${WALRUS_DIFF_SEED:-19}" \
      --sequences "${WALRUS_DIFF_SEQUENCES:-24}" --steps "${WALRUS_DIFF_STEPS:-40}" \
      >"$logdir/differential.log" 2>&1; then
      say "== $(tail -n 1 "$logdir/differential.log")"
      diff_args=(--add-tests "$logdir/differential_tests.move")
    else
      cat "$logdir/differential.log"
      say "== move: FAILED (the differential test generator failed)"
      failed=$((failed + 1)); stage_failures=$((stage_failures + 1))
    fi
    node "$root/scripts/move-test" "${diff_args[@]}" 2>&1 | tee "$logdir/move.log"
    move_rc=${PIPESTATUS[0]}
    last=$(grep -E '^Move tests' "$logdir/move.log" | tail -n 1)
    if [[ "$last" == "Move tests SKIPPED"* ]]; then
      if [ "$move_rc" = 0 ]; then
        say "== move: SKIPPED (${last#Move tests SKIPPED: })"
      else
        say "== move: FAILED: ${last} (set MOVE_TESTS_OPTIONAL=1 to allow skipping)"
        failed=$((failed + 1)); stage_failures=$((stage_failures + 1))
      fi
    else
      mp=$(sed -nE 's/^Move tests: ([0-9]+) passed, ([0-9]+) failed$/\1/p' <<<"$last")
      mf=$(sed -nE 's/^Move tests: ([0-9]+) passed, ([0-9]+) failed$/\2/p' <<<"$last")
      mp=${mp:-0}; mf=${mf:-0}
      if [ "$move_rc" != 0 ] && [ "$mf" = 0 ]; then mf=1; fi
      passed=$((passed + mp)); failed=$((failed + mf))
      if [ "$move_rc" = 0 ]; then
        say "== move: $mp passed, $mf failed"
      else
        say "== move: FAILED: $mp passed, $mf failed"
        stage_failures=$((stage_failures + 1))
      fi
    fi
  fi
fi

# --- script self-tests ------------------------------------------------------------------------
if want scripts; then
  if [ -d "$root/scripts/tests" ] && ls "$root"/scripts/tests/*.test.mjs >/dev/null 2>&1; then
    ensure_node_modules >/dev/null 2>&1 || true
    node --test --test-reporter=tap "$root"/scripts/tests/*.test.mjs >"$logdir/scripts.log" 2>&1
    s_rc=$?
    sp=$(sed -nE 's/^# pass ([0-9]+)$/\1/p' "$logdir/scripts.log" | tail -n 1)
    sf=$(sed -nE 's/^# fail ([0-9]+)$/\1/p' "$logdir/scripts.log" | tail -n 1)
    sp=${sp:-0}; sf=${sf:-0}
    if [ "$s_rc" != 0 ] && [ "$sf" = 0 ]; then sf=1; fi
    passed=$((passed + sp)); failed=$((failed + sf))
    if [ "$s_rc" = 0 ]; then
      say "== scripts: $sp passed, $sf failed"
    else
      grep -vE '^\s*(# Subtest|ok |---|\.\.\.|duration_ms|type:)' "$logdir/scripts.log" | tail -n 60
      say "== scripts: FAILED: $sp passed, $sf failed"
      stage_failures=$((stage_failures + 1))
    fi
  else
    say "== scripts: no self-tests"
  fi
fi

echo
echo "Summary:"
for s in "${summaries[@]}"; do echo "  $s"; done
echo "$passed passed, $failed failed"
[ "$stage_failures" = 0 ] && [ "$failed" = 0 ]
