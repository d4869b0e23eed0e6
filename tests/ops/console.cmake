# The console (GET /console) in a real browser: headless Chromium driven by Selenium.
add_test(NAME console
  COMMAND /usr/bin/python3 ${PROJECT_SOURCE_DIR}/tests/ops/console_test.py $<TARGET_FILE:ticketd>)
set_tests_properties(console PROPERTIES LABELS ops TIMEOUT 300)
