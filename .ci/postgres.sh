#!/usr/bin/env bash
# Start a throw-away PostgreSQL server on 127.0.0.1 for the records tests (sourced by .ci/run).
# Installs PostgreSQL when it is absent (Debian: apt-get), runs it as the postgres user in a
# temporary data directory on a free port, exports ACCOUNTRULES_TEST_PG_URL, and stops it at exit.
set -euo pipefail

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }

if [ -z "$(pg_bin)" ] || [ ! -x "$(pg_bin)/initdb" ]; then
  echo "== installing PostgreSQL"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq postgresql >/dev/null
fi
PG_BIN=$(pg_bin)
PG_DATA=$(mktemp -d /tmp/accountrules-pg.XXXXXX)
PG_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
if [ "$(id -u)" = 0 ]; then
  id postgres >/dev/null 2>&1 || useradd --system --home "$PG_DATA" postgres
  chown postgres "$PG_DATA"
  as_pg() { runuser -u postgres -- "$@"; }
else
  as_pg() { "$@"; }
fi
as_pg "$PG_BIN/initdb" -D "$PG_DATA" -U postgres -A trust --no-sync >/dev/null
as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_DATA/server.log" -w \
  -o "-h 127.0.0.1 -p $PG_PORT -k $PG_DATA -c fsync=off" start >/dev/null
stop_postgres() { as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w stop >/dev/null 2>&1 || true; rm -rf "$PG_DATA"; }
export ACCOUNTRULES_TEST_PG_URL="postgresql://postgres@127.0.0.1:$PG_PORT/postgres"
echo "== PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PG_PORT"
