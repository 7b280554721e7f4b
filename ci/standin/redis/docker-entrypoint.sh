#!/bin/sh
# TEST TOOLING: like the official redis image's entrypoint: options-only command lines go to
# redis-server, and redis-server is run as the unprivileged redis user.
set -e
case "$1" in -*) set -- redis-server "$@" ;; esac
if [ "$1" = "redis-server" ] && [ "$(id -u)" = "0" ]; then
  chown -R redis:redis /data 2>/dev/null || true
  exec setpriv --reuid=redis --regid=redis --init-groups "$@"
fi
exec "$@"
