# docs/openapi.yaml: valid OpenAPI 3.1 (the validator comes from npm into the build directory),
# and no link out of the repository. Its routes against the daemon's: unit_tests.
add_test(NAME openapi
  COMMAND ${PROJECT_SOURCE_DIR}/tests/ops/openapi_test.sh ${PROJECT_SOURCE_DIR}
          ${CMAKE_BINARY_DIR}/npm-openapi)
set_tests_properties(openapi PROPERTIES LABELS ops TIMEOUT 300)
