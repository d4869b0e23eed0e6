#!/usr/bin/env bash
# Installs what is missing, builds everything and runs every test (unit and integration): first
# the Release build (build/), then the same tests under AddressSanitizer + UBSan (build-asan/).
#   scripts/test.sh               both (what CI runs)
#   scripts/test.sh --release     Release only
#   scripts/test.sh --sanitize    sanitizers only
#   scripts/test.sh --fuzz        the libFuzzer targets only (clang, build-fuzz/)
# Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-all}"
scripts/install-deps.sh

if [ "$mode" = all ]; then
  # The code follows .clang-format (a second or two; fails before anything builds).
  scripts/check-format.sh
fi

# Integration tests start their own redis-server and ticketd processes on unix sockets and
# port 0, so they may run side by side.
run_tests() { ctest --test-dir "$1" --output-on-failure -j "${TICKETD_JOBS:-2}"; }

if [ "$mode" = all ] || [ "$mode" = --release ]; then
  scripts/build.sh build -DTICKETD_BUILD_TESTS=ON -DTICKETD_BUILD_BENCH=ON
  run_tests build
fi
if [ "$mode" = all ] || [ "$mode" = --fuzz ]; then
  # A short bounded run of each fuzzer on its seed corpus and regressions (scripts/fuzz.sh).
  scripts/fuzz.sh "${TICKETD_FUZZ_SECONDS:-30}"
fi
if [ "$mode" = all ] || [ "$mode" = --sanitize ]; then
  scripts/build.sh build-asan -DCMAKE_BUILD_TYPE=Debug -DTICKETD_SANITIZE=ON -DTICKETD_BUILD_TESTS=ON -DTICKETD_BUILD_BENCH=OFF
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    run_tests build-asan
fi
