# monitoring/: alert rules (promtool check and unit tests), the Grafana dashboard, and the metric
# names both refer to against a real daemon's /metrics.
add_test(NAME monitoring
  COMMAND ${PROJECT_SOURCE_DIR}/tests/ops/monitoring_test.sh
          $<TARGET_FILE:ticketd> ${PROJECT_SOURCE_DIR})
set_tests_properties(monitoring PROPERTIES LABELS ops TIMEOUT 300)
