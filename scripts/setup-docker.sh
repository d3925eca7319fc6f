#!/usr/bin/env bash
# Optional: what the docker profile needs on a Debian machine without a registry — a Docker engine (docker.io),
# static busybox for the offline images, the engine started, and the offline images built from this machine's
# own binaries. Run as root. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
need=()
command -v dockerd >/dev/null 2>&1 || need+=(docker.io)
{ [ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1; } || need+=(busybox-static)
if [ ${#need[@]} -gt 0 ]; then
  echo "setup-docker: installing Debian packages: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
if ! docker info >/dev/null 2>&1; then
  echo "setup-docker: starting dockerd (log: /tmp/dockerd.log)"
  (dockerd > /tmp/dockerd.log 2>&1 &)
  for _ in $(seq 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
  docker info >/dev/null 2>&1 || { echo "setup-docker: dockerd did not start; see /tmp/dockerd.log" >&2; exit 1; }
fi
scripts/build-offline-images
