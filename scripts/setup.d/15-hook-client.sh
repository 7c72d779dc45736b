#!/usr/bin/env bash
# Builds the native hook client (native/build/agentwarden-hook) with the system C compiler.
# Without cc, `agentwarden hooks install` falls back to the Node client (slower cold start).
set -euo pipefail
cd "$(dirname "$0")/../.."
src=native/hook-client/agentwarden-hook.c
out=native/build/agentwarden-hook
if ! command -v cc >/dev/null 2>&1; then
  echo "15-hook-client: no cc; the Node hook client will be used" >&2
  exit 0
fi
mkdir -p native/build
if [ -x "$out" ] && [ "$out" -nt "$src" ]; then exit 0; fi
cc -O2 -Wall -Wextra -o "$out.tmp" "$src"
mv -f "$out.tmp" "$out"
