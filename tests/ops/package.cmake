# The .deb built by cpack, unpacked in a scratch root and checked (tests/ops/package_test.sh).
add_test(NAME package COMMAND ${PROJECT_SOURCE_DIR}/tests/ops/package_test.sh ${PROJECT_BINARY_DIR})
set_tests_properties(package PROPERTIES LABELS ops TIMEOUT 300)
