#!/usr/bin/env bash
# Configures and builds ticketd with Ninja: scripts/build.sh [BUILD_DIR] [extra cmake args...]
# BUILD_DIR defaults to build/. Uses ccache when installed. TICKETD_TARGETS (space-separated)
# builds only those targets.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir="${1:-build}"
shift || true
launcher=()
if command -v ccache >/dev/null; then
  export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=true
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
cmake -S . -B "$build_dir" -G Ninja "${launcher[@]}" "$@" >/dev/null
targets=()
for target in ${TICKETD_TARGETS:-}; do targets+=(--target "$target"); done
cmake --build "$build_dir" -j "${TICKETD_JOBS:-2}" "${targets[@]}"
