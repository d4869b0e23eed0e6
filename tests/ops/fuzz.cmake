# The libFuzzer targets' bodies (fuzz/targets.cpp) in the unit tests, which replay every seed
# and regression input of fuzz/ under the normal build (tests/unit/fuzz/replay_test.cpp). The
# fuzzers themselves build with clang in their own tree: scripts/fuzz.sh.
target_sources(unit_tests PRIVATE ${PROJECT_SOURCE_DIR}/fuzz/targets.cpp)
