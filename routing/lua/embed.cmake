# Concatenates the Lua library at build time:
#   cmake -DVERSION_FILE=... -DOUT_CPP=... -DOUT_HPP=... -DINCLUDES="a.lua|b.lua"
#         -DFUNCTIONS="c.lua|d.lua" -P embed.cmake
# The library is `#!lua name=ticketd_v<N>`, `local FN = 'ticketd_v<N>_'`, the include files in
# order (the helpers every function shares: top-level locals), then each function file inside
# its own `do ... end`, so its locals go out of scope at its end: Lua allows 200 locals active
# at once, and only the includes' stay active (tests/unit/routing/lua_library_test.cpp counts
# them). Writes a .cpp holding the library as a raw string and a header naming each function
# (`ticketd_v<N>_<file name>`) and whether it is read-only (registered as 'read').
file(READ "${VERSION_FILE}" version)
string(STRIP "${version}" version)
if(NOT version MATCHES "^[0-9]+$")
  message(FATAL_ERROR "routing/lua/VERSION must hold one integer, found '${version}'")
endif()
set(library "#!lua name=ticketd_v${version}\nlocal FN = 'ticketd_v${version}_'\n")
string(REPLACE "|" ";" INCLUDES "${INCLUDES}")
foreach(path IN LISTS INCLUDES)
  file(READ "${path}" body)
  string(APPEND library "\n${body}")
endforeach()
set(entries "")
string(REPLACE "|" ";" FUNCTIONS "${FUNCTIONS}")
foreach(path IN LISTS FUNCTIONS)
  get_filename_component(name "${path}" NAME_WE)
  file(READ "${path}" body)
  string(REGEX MATCH "register\\('${name}', [a-z_]+(, '[a-z]+')?\\)" registration "${body}")
  if(NOT registration)
    message(FATAL_ERROR "${path} must register its function as '${name}'")
  endif()
  if(registration MATCHES ", 'read'\\)$")
    set(read_only true)
  else()
    set(read_only false)
  endif()
  string(APPEND library "\ndo\n${body}end\n")
  string(APPEND entries "inline constexpr function_info ${name}{\"ticketd_v${version}_${name}\", ${read_only}};\n")
endforeach()
if(library MATCHES "\\)LUA\"")
  message(FATAL_ERROR "the Lua library must not contain the raw-string delimiter )LUA\"")
endif()

file(WRITE "${OUT_CPP}.tmp" "// Generated from routing/lua by embed.cmake: do not edit.\n#include \"routing/lua_library.hpp\"\n\nnamespace ticketd::routing::lua {\n\nstd::string_view library_source() {\n  static constexpr std::string_view text = R\"LUA(${library})LUA\";\n  return text;\n}\n\n}  // namespace ticketd::routing::lua\n")
file(WRITE "${OUT_HPP}.tmp" "// Generated from routing/lua by embed.cmake: do not edit.\n// The Redis function library: its version, its text and the name of each function.\n#pragma once\n\n#include <string_view>\n\nnamespace ticketd::routing::lua {\n\ninline constexpr int version = ${version};\ninline constexpr std::string_view library_name = \"ticketd_v${version}\";\n\n// The whole library, as FUNCTION LOAD REPLACE takes it.\nstd::string_view library_source();\n\nstruct function_info {\n  std::string_view name;\n  bool read_only;  // called with FCALL_RO\n};\n\nnamespace fn {\n${entries}}  // namespace fn\n\n}  // namespace ticketd::routing::lua\n")
# Only touch the outputs when they change, so a Lua edit does not rebuild every includer.
execute_process(COMMAND ${CMAKE_COMMAND} -E copy_if_different "${OUT_CPP}.tmp" "${OUT_CPP}")
execute_process(COMMAND ${CMAKE_COMMAND} -E copy_if_different "${OUT_HPP}.tmp" "${OUT_HPP}")
file(REMOVE "${OUT_CPP}.tmp" "${OUT_HPP}.tmp")
