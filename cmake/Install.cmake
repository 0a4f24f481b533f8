# `cmake --install build --prefix P` puts in place what another CMake project
# needs to write find_package(s2t) and link s2t::s2t (docs/libtorch.md):
#   P/bin/s2t-opt
#   P/lib/libs2t.a
#   P/include/s2t/s2t.h, and the one internal header it includes, ir/Error.h
#   P/lib/cmake/s2t/s2tConfig.cmake, s2tConfigVersion.cmake, s2tTargets.cmake
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

install(TARGETS s2t EXPORT s2tTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(TARGETS s2t-opt RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES include/s2t/s2t.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/s2t)
# s2t.h includes "ir/Error.h" by a path relative to itself.
install(FILES ir/Error.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/s2t/ir)

set(S2T_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/s2t)
install(EXPORT s2tTargets NAMESPACE s2t:: DESTINATION ${S2T_CMAKE_DIR})
configure_package_config_file(cmake/s2tConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/s2tConfig.cmake
  INSTALL_DESTINATION ${S2T_CMAKE_DIR})
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/s2tConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/s2tConfig.cmake
              ${CMAKE_CURRENT_BINARY_DIR}/s2tConfigVersion.cmake
  DESTINATION ${S2T_CMAKE_DIR})
