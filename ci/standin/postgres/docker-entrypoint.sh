#!/bin/bash
# TEST TOOLING: a small re-implementation of the official postgres image's entrypoint (the parts
# compose/docker-compose.yaml uses). First start with an empty $PGDATA: initdb with
# POSTGRES_USER as superuser (scram-sha-256), create POSTGRES_DB, run /docker-entrypoint-initdb.d/*
# against a socket-only temporary server, stop it; then exec postgres listening on all addresses.
set -Eeuo pipefail
if [ "${1:0:1}" = '-' ]; then set -- postgres "$@"; fi

if [ "$1" = 'postgres' ] && [ "$(id -u)" = '0' ]; then
  mkdir -p "$PGDATA" && chown -R postgres:postgres "$PGDATA" && chmod 700 "$PGDATA"
  exec setpriv --reuid=postgres --regid=postgres --init-groups "$BASH_SOURCE" "$@"
fi

if [ "$1" = 'postgres' ]; then
  : "${POSTGRES_PASSWORD:?POSTGRES_PASSWORD must be set}"
  export POSTGRES_USER=${POSTGRES_USER:-postgres}
  export POSTGRES_DB=${POSTGRES_DB:-$POSTGRES_USER}
  if [ ! -s "$PGDATA/PG_VERSION" ]; then
    echo "standin-postgres: initialising $PGDATA"
    initdb --username="$POSTGRES_USER" --pwfile=<(printf '%s\n' "$POSTGRES_PASSWORD") \
      --auth-local=trust --auth-host=scram-sha-256 -D "$PGDATA" >/dev/null
    printf 'host all all all scram-sha-256\n' >>"$PGDATA/pg_hba.conf"
    pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -k /var/run/postgresql" -w start >/dev/null
    export PGUSER="$POSTGRES_USER" PGHOST=/var/run/postgresql
    if [ "$POSTGRES_DB" != 'postgres' ]; then
      psql -v ON_ERROR_STOP=1 --dbname postgres -q -c "CREATE DATABASE \"$POSTGRES_DB\""
    fi
    for f in /docker-entrypoint-initdb.d/*; do
      [ -e "$f" ] || continue
      case "$f" in
        *.sh)  if [ -x "$f" ]; then echo "running $f"; "$f"; else echo "sourcing $f"; . "$f"; fi ;;
        *.sql) echo "running $f"; psql -v ON_ERROR_STOP=1 --dbname "$POSTGRES_DB" -f "$f" ;;
        *)     echo "ignoring $f" ;;
      esac
    done
    pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
    unset PGHOST PGUSER
    echo "standin-postgres: init complete"
  fi
  exec postgres -c listen_addresses='*' -k /var/run/postgresql "${@:2}"
fi
exec "$@"
