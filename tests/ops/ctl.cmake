# ticketctl: its sans-io parsing and rendering in unit_tests (tests/unit/ctl/), and the real
# binary driven against a real daemon.
target_link_libraries(unit_tests PRIVATE ticketd_ctl_core)

ticketd_integration_test(ticketctl_test integration/ticketctl_test.cpp)
target_compile_definitions(ticketctl_test PRIVATE TICKETCTL_BINARY="$<TARGET_FILE:ticketctl>")
add_dependencies(ticketctl_test ticketctl)
