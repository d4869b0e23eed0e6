#!/usr/bin/env bash
# Builds the libFuzzer targets with clang in build-fuzz/ and runs each for SECONDS (default 30;
# 0 only builds) on a scratch copy of its seed corpus and regression inputs:
# scripts/fuzz.sh [SECONDS]
# The repository's corpus never changes. On a crash, timeout, leak or out-of-memory input the
# script prints where the input was saved and how to keep it as a regression test, and exits
# non-zero. fuzz/README.md has the details.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-30}"
build_dir=build-fuzz

# -O1 -g without NDEBUG: fast enough to fuzz, symbolized stacks, assertions on.
TICKETD_TARGETS="request_fuzzer config_fuzzer" scripts/build.sh "$build_dir" \
  -DCMAKE_CXX_COMPILER=clang++-14 -DTICKETD_FUZZ=ON -DTICKETD_BUILD_TESTS=OFF \
  -DTICKETD_BUILD_BENCH=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g"
[ "$seconds" -gt 0 ] || exit 0

scratch="$(mktemp -d "${TMPDIR:-/tmp}/ticketd-fuzz.XXXXXX")"
status=0
for target in request config; do
  corpus="$scratch/$target/corpus"
  artifacts="$scratch/$target/artifacts"
  mkdir -p "$corpus" "$artifacts"
  find "fuzz/corpus/$target" "fuzz/regressions/$target" -type f -exec cp {} "$corpus/" \;
  log="$scratch/$target/fuzz.log"
  echo "fuzzing $target for ${seconds}s (log: $log)"
  # stdin from /dev/null: a config naming /dev/stdin as a token file must not wait on a terminal.
  # The outer timeout bounds libFuzzer's own out-of-memory report, which can take minutes.
  if timeout --kill-after=30 $((seconds + 300)) \
      "$build_dir/fuzz/${target}_fuzzer" "$corpus" -dict="fuzz/dict/$target.dict" \
      -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
      -artifact_prefix="$artifacts/" </dev/null >"$log" 2>&1; then
    grep -E '^stat::number_of_executed_units|^#[0-9]+ *DONE' "$log" || true
  else
    status=1
    tail -n 60 "$log"
    if [ -z "$(ls -A "$artifacts")" ]; then
      echo "$target fuzzer stopped without saving an input; see $log"
    fi
    for input in "$artifacts"/*; do
      [ -e "$input" ] || continue
      cat <<EOF

$target fuzzer failed on: $input
Reproduce:  $build_dir/fuzz/${target}_fuzzer $input
Keep it:    cp $input fuzz/regressions/$target/<what-it-breaks>
then fix the code; the unit tests replay fuzz/regressions/ (unit_tests --gtest_filter='Fuzz*').
EOF
    done
  fi
done
[ "$status" -eq 0 ] && rm -rf "$scratch"
exit "$status"
