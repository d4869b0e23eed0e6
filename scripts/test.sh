#!/usr/bin/env bash
# Installs what is missing, builds everything and runs every test (unit and integration).
#   scripts/test.sh              Release build in build/
#   scripts/test.sh --sanitize   ASan + UBSan build in build-asan/ (slower; benchmarks left out)
# Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
if [ "${1:-}" = "--sanitize" ]; then
  build_dir=build-asan
  scripts/build.sh "$build_dir" -DCMAKE_BUILD_TYPE=Debug -DTICKETD_SANITIZE=ON -DTICKETD_BUILD_BENCH=OFF
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
else
  build_dir=build
  scripts/build.sh "$build_dir"
fi
# Integration tests start their own redis-server and ticketd processes on unix sockets and
# port 0, so they may run side by side.
ctest --test-dir "$build_dir" --output-on-failure -j "${TICKETD_JOBS:-2}"
