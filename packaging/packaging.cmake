# Installation layout and the Debian package (`cpack -G DEB` in the build directory):
# /usr/bin/ticketd, the unit, sysusers/tmpfiles snippets, the example config as
# /etc/ticketd/ticketd.yaml (a conffile), and the docs. Included from the top-level CMakeLists.txt.
set(TICKETD_PACKAGING_DIR ${PROJECT_SOURCE_DIR}/packaging)

install(FILES ${PROJECT_SOURCE_DIR}/systemd/ticketd.service DESTINATION lib/systemd/system)
install(FILES ${PROJECT_SOURCE_DIR}/systemd/ticketd.sysusers DESTINATION lib/sysusers.d
        RENAME ticketd.conf)
install(FILES ${PROJECT_SOURCE_DIR}/systemd/ticketd.tmpfiles DESTINATION lib/tmpfiles.d
        RENAME ticketd.conf)
install(FILES ${PROJECT_SOURCE_DIR}/config/ticketd.example.yaml DESTINATION /etc/ticketd
        RENAME ticketd.yaml PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ)
install(FILES ${PROJECT_SOURCE_DIR}/README.md ${PROJECT_SOURCE_DIR}/config/ticketd.example.yaml
        DESTINATION share/doc/ticketd)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/docs/ DESTINATION share/doc/ticketd/docs)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME ticketd)
set(CPACK_PACKAGE_VENDOR ticketd)
set(CPACK_PACKAGE_CONTACT "ticketd maintainers <ticketd@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "helpdesk ticket routing daemon (Redis-backed SLA queue)")
set(CPACK_PACKAGE_DESCRIPTION
    "ticketd decides which helpdesk agent works on which ticket, and when: an SLA-ordered queue \
in Redis, capacity per agent, push and pull routing, and the lifecycle clocks.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# The embedded default runs redis-server; systemd-sysusers/tmpfiles come with systemd.
set(CPACK_DEBIAN_PACKAGE_DEPENDS "redis-server (>= 5:7.0)")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS systemd)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${TICKETD_PACKAGING_DIR}/conffiles ${TICKETD_PACKAGING_DIR}/postinst
    ${TICKETD_PACKAGING_DIR}/prerm ${TICKETD_PACKAGING_DIR}/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
