#!/usr/bin/env bash
# Installs what the harness needs on a fresh Debian machine: HAProxy and etcd for the embedded local
# environment, Chromium for the report browser test, kubectl (kubernetes-client) to render deploy/kubernetes,
# and the npm packages (npm ci, which also builds dist/). Run as root or with sudo.
# Java (for `npm run report`) is expected to be present already; it is installed too when missing.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ] || need+=(haproxy)
command -v etcd >/dev/null 2>&1 || need+=(etcd-server)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v java >/dev/null 2>&1 || need+=(default-jre-headless)
command -v kubectl >/dev/null 2>&1 || need+=(kubernetes-client)
if [ ${#need[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
# The Debian etcd package starts a system etcd on 127.0.0.1:2379; the harness does not use it, and it must not
# hold ports or disk: stop it if systemd started it.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet etcd 2>/dev/null; then systemctl stop etcd || true; fi

echo "setup: installing npm packages and building the CLI (npm ci)"
npm ci --no-audit --no-fund --loglevel=error
echo "setup: done. Run the suite with: npx cucumber-js   (tests: npm test)"
