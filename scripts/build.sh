#!/usr/bin/env bash
# Configures (once) and builds s2t with both cores, into ./build on Debian 12
# and ./build-debian13 inside the Debian 13 root (scripts/debian13-root.sh);
# S2T_BUILD_DIR chooses another folder.
set -euo pipefail
cd "$(dirname "$0")/.."
build=$(scripts/build-dir.sh)
if [ ! -f "$build/build.ninja" ]; then
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
ninja -C "$build" -j"$(nproc)" "$@"
