#!/usr/bin/env bash
# Builds the Linux kernel sensor (native/build/ebpf/aw-sensor): the BPF object is compiled
# against a vmlinux.h generated from this kernel's BTF (CO-RE), then embedded in the loader
# (skeleton) which links libbpf statically. Needs clang, bpftool, libbpf-dev, libelf-dev,
# zlib1g-dev (scripts/apt-packages.txt). Idempotent; skips with a message when not possible.
set -euo pipefail
cd "$(dirname "$0")/../.."
log() { printf '[setup:ebpf] %s\n' "$*" >&2; }
[ "$(uname -s)" = Linux ] || { log "not Linux: skipping the kernel sensor"; exit 0; }
[ -r /sys/kernel/btf/vmlinux ] || { log "no kernel BTF (/sys/kernel/btf/vmlinux): skipping the kernel sensor"; exit 0; }
for tool in clang bpftool cc; do
  command -v "$tool" >/dev/null 2>&1 || { log "missing $tool: skipping the kernel sensor (install clang bpftool libbpf-dev)"; exit 0; }
done
[ -r /usr/include/bpf/libbpf.h ] || { log "missing libbpf-dev: skipping the kernel sensor"; exit 0; }
out="$PWD/native/build/ebpf"
mkdir -p "$out"
make -s -C src/sources/linux-ebpf/bpf OUT="$out"
# tracefs is where libbpf finds tracepoint ids; the helper mounts it too when missing
if [ "$(id -u)" = 0 ] && [ ! -d /sys/kernel/tracing/events ]; then
  mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null || true
fi
log "built $out/aw-sensor"
