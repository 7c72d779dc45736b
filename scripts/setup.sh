#!/usr/bin/env bash
# Installs everything AgentWarden and its test suites need on a fresh Debian machine:
# npm dependencies, and (as root) the system packages for the kernel sensor, the gateway
# tests and the browser tests. Safe to re-run; each step is skipped when already done.
set -euo pipefail
cd "$(dirname "$0")/.."
CI_MODE=0
[ "${1:-}" = "--ci" ] && CI_MODE=1

log() { printf '[setup] %s\n' "$*" >&2; }

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  pkgs=()
  for p in $(cat scripts/apt-packages.txt 2>/dev/null | grep -v '^#'); do
    dpkg -s "$p" >/dev/null 2>&1 || pkgs+=("$p")
  done
  if [ ${#pkgs[@]} -gt 0 ]; then
    log "installing Debian packages: ${pkgs[*]}"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
  fi
else
  log "not root (or no apt-get): skipping system packages; suites that need them will skip"
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "installing npm dependencies"
  npm ci --no-audit --no-fund
fi

npm run build --silent

for step in scripts/setup.d/*.sh; do
  [ -e "$step" ] || continue
  log "running $step"
  CI_MODE=$CI_MODE bash "$step"
done
