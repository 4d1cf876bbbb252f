#!/usr/bin/env bash
# PostgreSQL for tests and local services.
#
#   scripts/pg.sh url [DATA_DIR]    print a DATABASE_URL for a server that is up, starting one if needed
#   scripts/pg.sh start DATA_DIR    start (initialising if needed) a private cluster in DATA_DIR; print its URL
#   scripts/pg.sh stop DATA_DIR     stop the private cluster in DATA_DIR (no-op when not running)
#   scripts/pg.sh status DATA_DIR   exit 0 when the private cluster in DATA_DIR is running
#
# `url` picks, in order:
#   1. $DATABASE_URL when set (checked to answer);
#   2. a server answering on 127.0.0.1:5432 that lets user `postgres` in (the usual local set-up);
#   3. a private cluster in DATA_DIR (default: $WALRUS_PG_DIR, else target/walrus-pg): initdb on first
#      use, pg_ctl start on a free port bound to 127.0.0.1, trust auth for local connections only.
# The URL it prints points at the `postgres` maintenance database; tests create their own databases
# from it (sqlx::test does so per test), so parallel tests never see each other's rows.
# When it had to start a private cluster it prints `# started DATA_DIR` on stderr, so a caller can stop
# it afterwards (scripts/test.sh does).
#
# Environment: WALRUS_PG_FORCE_PRIVATE=1 skips steps 1-2 (used by the self-test).
# Missing PostgreSQL binaries: installed with apt-get when running as root with apt; otherwise the
# exact command to run is printed and the script fails.
set -euo pipefail

die() { echo "pg.sh: $*" >&2; exit 1; }

repo_root() { cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd; }

pg_bindir() {
  local d
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && { echo "$d"; return 0; }
  done
  if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
    dirname "$(command -v initdb)"; return 0
  fi
  return 1
}

ensure_binaries() {
  if pg_bindir >/dev/null; then return 0; fi
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "pg.sh: PostgreSQL binaries not found; installing Debian's postgresql package" >&2
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
    pg_bindir >/dev/null || die "postgresql installed but initdb/pg_ctl still not found"
  else
    die "PostgreSQL 15+ server binaries (initdb, pg_ctl) not found. Install them with:
    sudo apt-get install -y postgresql      # Debian/Ubuntu
    brew install postgresql@16              # macOS
or set DATABASE_URL to a server you already run."
  fi
}

# answers URL: exit 0 when a connection with URL succeeds.
answers() {
  command -v psql >/dev/null 2>&1 || PATH="$(pg_bindir 2>/dev/null || echo /nonexistent):$PATH"
  PGCONNECT_TIMEOUT=3 psql "$1" -XqAtc 'select 1' >/dev/null 2>&1
}

free_port() {
  python3 - <<'EOF' 2>/dev/null || echo $((20000 + RANDOM % 20000))
import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()
EOF
}

# The private cluster runs as an unprivileged user: PostgreSQL refuses to run as root.
run_as_owner() {
  if [ "$(id -u)" = 0 ]; then
    getent passwd postgres >/dev/null || useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

private_url() { echo "postgres://postgres@127.0.0.1:$(cat "$1/port")/postgres"; }

is_running() {
  local dir=$1 bindir
  [ -f "$dir/data/PG_VERSION" ] && [ -f "$dir/port" ] || return 1
  bindir=$(pg_bindir) || return 1
  run_as_owner "$bindir/pg_ctl" -D "$dir/data" status >/dev/null 2>&1
}

start_private() {
  local dir=$1 bindir port
  ensure_binaries
  bindir=$(pg_bindir)
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  if is_running "$dir" && answers "$(private_url "$dir")"; then
    private_url "$dir"; return 0
  fi
  if [ "$(id -u)" = 0 ]; then
    getent passwd postgres >/dev/null || useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
    chown postgres "$dir"
    # The owner must be able to reach the directory through its parents.
    local p=$dir
    while [ "$p" != / ]; do p=$(dirname "$p"); chmod o+x "$p" 2>/dev/null || true; done
  fi
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    rm -rf "$dir/data"
    run_as_owner "$bindir/initdb" -D "$dir/data" -U postgres --auth=trust --encoding=UTF8 --no-locale >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; die "initdb failed in $dir/data"; }
  fi
  port=$(free_port)
  echo "$port" >"$dir/port"
  [ "$(id -u)" = 0 ] && chown postgres "$dir/port"
  # Bound to loopback only; socket in the data directory so no system directory is needed.
  run_as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir/data -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
    start >/dev/null \
    || { tail -n 20 "$dir/server.log" >&2; die "pg_ctl could not start the cluster in $dir"; }
  answers "$(private_url "$dir")" || die "private cluster in $dir started but does not answer on port $port"
  echo "# started $dir" >&2
  private_url "$dir"
}

stop_private() {
  local dir=$1 bindir
  [ -f "$dir/data/PG_VERSION" ] || return 0
  bindir=$(pg_bindir) || return 0
  if is_running "$dir"; then
    run_as_owner "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
  fi
}

default_dir() {
  if [ -n "${WALRUS_PG_DIR:-}" ]; then echo "$WALRUS_PG_DIR"; return; fi
  echo "${CARGO_TARGET_DIR:-$(repo_root)/target}/walrus-pg"
}

cmd=${1:-url}
case "$cmd" in
  url)
    dir=${2:-$(default_dir)}
    if [ "${WALRUS_PG_FORCE_PRIVATE:-0}" != 1 ]; then
      if [ -n "${DATABASE_URL:-}" ]; then
        answers "$DATABASE_URL" || die "DATABASE_URL is set but the server does not answer"
        echo "$DATABASE_URL"; exit 0
      fi
      if answers "postgres://postgres@127.0.0.1:5432/postgres"; then
        echo "postgres://postgres@127.0.0.1:5432/postgres"; exit 0
      fi
    fi
    start_private "$dir"
    ;;
  start) [ $# -ge 2 ] || die "usage: pg.sh start DATA_DIR"; start_private "$2" ;;
  stop) [ $# -ge 2 ] || die "usage: pg.sh stop DATA_DIR"; stop_private "$2" ;;
  status) [ $# -ge 2 ] || die "usage: pg.sh status DATA_DIR"; is_running "$2" ;;
  *) die "unknown command '$cmd' (expected url, start, stop or status)" ;;
esac
