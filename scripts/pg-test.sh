#!/usr/bin/env bash
# scripts/pg-test.sh COMMAND [ARGS...]
#
# Runs COMMAND with a PostgreSQL 15 server of its own: Debian's postgresql-15 binaries, a
# cluster made by initdb in a temporary folder, on a free loopback port, stopped and removed
# afterwards whatever COMMAND does. The server runs as a non-root user (the `postgres` user of
# the package when this script runs as root, else the caller). COMMAND sees:
#   PVMON_TEST_PG_DSN            key=value DSN of the database `pvmon` (role pvmon, password auth)
#   PVMON_TEST_PG_PASSWORD_FILE  the role's password, for storage.password_file
#   PVMON_TEST_PG_ADMIN_DSN      the same role over the Unix socket, to create a database per test
# With PVMON_PG_KEEP=1 the folder is kept (its path is printed) for a look at the server log.
set -euo pipefail

bindir=${PG_BINDIR:-/usr/lib/postgresql/15/bin}
[[ -x "$bindir/initdb" ]] || { echo "pg-test: $bindir/initdb not found (apt-get install postgresql-15)" >&2; exit 1; }
(($# > 0)) || { sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

dir=$(mktemp -d /tmp/pvmon-pg.XXXXXX)
as=()
if [[ $(id -u) -eq 0 ]]; then
  id postgres >/dev/null 2>&1 || { echo "pg-test: running as root, and no postgres user to run the server" >&2; exit 1; }
  chown postgres "$dir"
  as=(runuser -u postgres --)
fi
chmod 755 "$dir"

# The role's password: random, in a file the tests (and pvmond's password_file) read.
password=$(openssl rand -hex 24)
printf '%s\n' "$password" > "$dir/password"
chmod 644 "$dir/password"

# A free port on 127.0.0.1, from the kernel.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

stop() {
  local rc=$?
  "${as[@]}" "$bindir/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  if [[ "${PVMON_PG_KEEP:-0}" == 1 ]]; then
    echo "pg-test: kept $dir (server log: $dir/server.log)" >&2
  else
    rm -rf "$dir"
  fi
  exit $rc
}
trap stop EXIT

# C collation and UTF-8: text sorts by bytes, as SQLite's BINARY does (the schema says so per
# column as well). Host connections need the password (SCRAM); the socket trusts its owner.
"${as[@]}" "$bindir/initdb" -D "$dir/data" -U pvmon --pwfile="$dir/password" -E UTF8 --locale=C \
  --auth-host=scram-sha-256 --auth-local=trust >"$dir/initdb.log" 2>&1 ||
  { cat "$dir/initdb.log" >&2; exit 1; }
"${as[@]}" "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
  -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=400 -c fsync=on -c synchronous_commit=on" \
  start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
"${as[@]}" "$bindir/createdb" -h "$dir" -p "$port" -U pvmon pvmon

export PVMON_TEST_PG_DSN="host=127.0.0.1 port=$port dbname=pvmon user=pvmon"
export PVMON_TEST_PG_PASSWORD_FILE="$dir/password"
export PVMON_TEST_PG_ADMIN_DSN="host=$dir port=$port dbname=postgres user=pvmon"
echo "pg-test: PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') on 127.0.0.1:$port ($dir)"
"$@"
