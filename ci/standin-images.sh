#!/usr/bin/env bash
# TEST TOOLING -- builds LOCAL STAND-INS for the official images the compose runtime uses by default.
# CI machines reach no image registry, so CI (.ci/run) points the compose file at these instead:
#   PYTHON_BASE_IMAGE=airkit-standin/python:3.11-bookworm   (for python:3.11-slim-bookworm)
#   POSTGRES_IMAGE=airkit-standin/postgres:15                (for postgres:15-bookworm)
#   REDIS_IMAGE=airkit-standin/redis:7                       (for redis:7.2-bookworm)
#   PROMETHEUS_IMAGE=airkit-standin/prometheus:2             (for prom/prometheus, observability overlay)
# The product's defaults stay the official images; these only honour the same interface
# (env vars, init-script folder, command line) that compose/docker-compose.yaml relies on.
#
# Usage: ci/standin-images.sh [--force]   build (or reload) the images; the last lines printed on
#                                          stdout are the VAR=value settings above
#        ci/standin-images.sh --print-env  only print those VAR=value lines (no Docker needed)
#
# The Debian mirror: $DEBIAN_MIRROR, else the one this machine's apt uses (URIs: in
# /etc/apt/sources.list.d/*.sources, or a deb line in /etc/apt/sources.list). There is no built-in
# default on purpose: CI reaches only the mirror it is configured with, and a guessed one would
# fail later, inside debootstrap, with a less helpful message.
#
# Steps (each skipped when its output already exists):
#   1. debootstrap a minimal Debian bookworm root from that mirror -> tarball (cached)
#   2. `docker import` it as airkit-standin/debian:bookworm
#   3. `docker build` python / postgres / redis / prometheus on top of it with Debian's own packages
# Cache: $AIRKIT_CI_CACHE (default /var/cache/airkit-ci), keyed by a hash of every input, holding
# the rootfs tarball and `docker save` archives, so a fresh docker engine on a machine that kept
# the cache reloads the images instead of rebuilding them. Use --force to rebuild everything.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=${AIRKIT_CI_CACHE:-/var/cache/airkit-ci}
SUITE=bookworm
PREFIX=${STANDIN_PREFIX:-airkit-standin}
# What selects the stand-ins: compose/docker-compose.yaml reads these variables.
print_env() {
  printf '%s\n' "PYTHON_BASE_IMAGE=$PREFIX/python:3.11-bookworm" "POSTGRES_IMAGE=$PREFIX/postgres:15" \
    "REDIS_IMAGE=$PREFIX/redis:7" "PROMETHEUS_IMAGE=$PREFIX/prometheus:2"
}
FORCE=0
case "${1:-}" in
  --print-env) print_env; exit 0 ;;
  --force) FORCE=1 ;;
  "") ;;
  *) echo "usage: $0 [--force | --print-env]" >&2; exit 2 ;;
esac

MIRROR=${DEBIAN_MIRROR:-$( (grep -hoE '^URIs: *http[^ ]*/debian\b' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}';
                            grep -hoE '^deb +http[^ ]*/debian\b' /etc/apt/sources.list 2>/dev/null | awk '{print $2}'; true) | head -n1)}
if [ -z "$MIRROR" ]; then
  echo "standin-images: no Debian mirror configured. Set DEBIAN_MIRROR=<mirror URL ending in /debian>," \
       "or configure apt: a 'URIs:' line in /etc/apt/sources.list.d/*.sources or a 'deb' line in" \
       "/etc/apt/sources.list." >&2
  exit 1
fi

t0=$(date +%s)
log() { printf '[standin-images +%ss] %s\n' "$(( $(date +%s) - t0 ))" "$*" >&2; }
timed() { local s; s=$(date +%s); "$@"; log "  took $(( $(date +%s) - s ))s: $*"; }
have_image() { [ "$FORCE" = 0 ] && docker image inspect "$1" >/dev/null 2>&1; }
mkdir -p "$CACHE"

# ---- 1+2: the Debian root ----------------------------------------------------------------
ROOT_KEY=$(printf '%s\n' "v1" "$SUITE" "$MIRROR" "minbase" "$(uname -m)" | sha256sum | cut -c1-16)
ROOT_TAR="$CACHE/rootfs-$SUITE-$ROOT_KEY.tar"
DEBIAN_IMAGE="$PREFIX/debian:$SUITE"
# Labels record the input hash so a stale image (other mirror, other script version) is rebuilt.
image_key() { docker image inspect -f '{{ index .Config.Labels "airkit.standin.key" }}' "$1" 2>/dev/null || true; }

if have_image "$DEBIAN_IMAGE" && [ "$(image_key "$DEBIAN_IMAGE")" = "$ROOT_KEY" ]; then
  log "$DEBIAN_IMAGE up to date"
else
  if [ "$FORCE" = 1 ] || [ ! -s "$ROOT_TAR" ]; then
    command -v debootstrap >/dev/null || { log "installing debootstrap"; apt-get install -y -qq debootstrap >/dev/null; }
    work=$(mktemp -d "$CACHE/rootfs.XXXX")
    log "debootstrap $SUITE (minbase) from $MIRROR"
    s=$(date +%s); debootstrap --variant=minbase "$SUITE" "$work/root" "$MIRROR" >"$work/debootstrap.log" 2>&1 \
      || { tail -n 30 "$work/debootstrap.log"; exit 1; }
    log "  took $(( $(date +%s) - s ))s: debootstrap"
    # Same apt sources inside the image as on the host; keep images small.
    printf 'deb %s %s main\ndeb %s %s-updates main\n' "$MIRROR" "$SUITE" "$MIRROR" "$SUITE" >"$work/root/etc/apt/sources.list"
    rm -rf "$work"/root/var/cache/apt/archives/*.deb "$work"/root/var/lib/apt/lists/*
    tar -C "$work/root" -cf "$ROOT_TAR.tmp" . && mv "$ROOT_TAR.tmp" "$ROOT_TAR"
    rm -rf "$work"
  else
    log "reusing cached rootfs $ROOT_TAR"
  fi
  log "docker import -> $DEBIAN_IMAGE"
  timed docker import --change "LABEL airkit.standin.key=$ROOT_KEY" --change 'CMD ["bash"]' \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    "$ROOT_TAR" "$DEBIAN_IMAGE" >/dev/null
fi

# ---- 3: images built on that root -------------------------------------------------------
build_standin() {  # name tag
  local name=$1 tag=$2 dir="$HERE/standin/$1" key archive
  key=$( (echo "$ROOT_KEY"; cat "$dir"/*) | sha256sum | cut -c1-16)
  archive="$CACHE/image-$name-$key.tar"
  if have_image "$tag" && [ "$(image_key "$tag")" = "$key" ]; then
    log "$tag up to date"; return
  fi
  if [ "$FORCE" = 0 ] && [ -s "$archive" ]; then
    log "loading $tag from cache $archive"
    timed docker load -q -i "$archive" >/dev/null
    [ "$(image_key "$tag")" = "$key" ] && return
  fi
  log "building $tag"
  # Classic builder: Debian's docker.io ships no buildx; these Dockerfiles need nothing newer.
  timed env DOCKER_BUILDKIT=0 docker build -q --build-arg BASE_IMAGE="$DEBIAN_IMAGE" \
    --label "airkit.standin.key=$key" -t "$tag" "$dir" >/dev/null
  rm -f "$CACHE"/image-"$name"-*.tar
  timed docker save -o "$archive.tmp" "$tag" && mv "$archive.tmp" "$archive"
}

build_standin python   "$PREFIX/python:3.11-bookworm"
build_standin postgres "$PREFIX/postgres:15"
build_standin redis    "$PREFIX/redis:7"
build_standin prometheus "$PREFIX/prometheus:2"

log "done. Export these to use them (.ci/run does):"
print_env
