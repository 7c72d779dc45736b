#!/usr/bin/env bash
# PostgreSQL server, client, contrib and pgbouncer for the gateway's integration tests and
# benchmark (Debian packages, listed in scripts/apt-packages.txt). The tests create their own
# throwaway clusters (initdb in a temp dir, as the postgres OS user); the packaged clusters
# and the pgbouncer service are not needed, so they are stopped. Idempotent.
set -euo pipefail
log() { printf '[setup 20-postgres] %s\n' "$*" >&2; }
have_server() { ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; }
have_bouncer() { command -v pgbouncer >/dev/null 2>&1 || [ -x /usr/sbin/pgbouncer ]; }
if ! have_server || ! have_bouncer; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    log "installing postgresql, postgresql-contrib, pgbouncer"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql postgresql-contrib postgresql-client pgbouncer >/dev/null
  else
    log "not root: cannot install PostgreSQL; gateway integration tests will skip"
    exit 0
  fi
fi
# The packaged services would only compete for ports and memory with the test clusters.
if command -v pg_lsclusters >/dev/null 2>&1; then
  pg_lsclusters -h 2>/dev/null | while read -r ver name _port status _rest; do
    if [ "$status" = online ]; then pg_ctlcluster "$ver" "$name" stop || true; fi
  done
fi
if command -v service >/dev/null 2>&1; then service pgbouncer stop >/dev/null 2>&1 || true; fi
id -u postgres >/dev/null 2>&1 || log "warning: no postgres OS user; tests running as root will skip"
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
log "PostgreSQL binaries in $bin; pgbouncer $(command -v pgbouncer || echo /usr/sbin/pgbouncer)"
