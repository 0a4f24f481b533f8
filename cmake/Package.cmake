# The Debian package (cpack -G DEB), for a build configured with
# -DCMAKE_INSTALL_PREFIX=/usr -DBUILD_SHARED_LIBS=ON: scripts/build-deb.sh.
# One package, s2t_<version>-1~deb<N>_amd64.deb, per Debian release it is
# built on (N from /etc/os-release): s2t-opt, libs2t.so.0.1, the headers, the
# CMake package, the Python package in /usr/lib/python3/dist-packages and the
# man page. Its Depends are dpkg-shlibdeps' (LibTorch, libstdc++, ...) plus
# python3 and python3-torch for the Python package.
set(S2T_DEBIAN_RELEASE "")
if(EXISTS /etc/os-release)
  file(STRINGS /etc/os-release S2T_OS_VERSION_ID REGEX "^VERSION_ID=")
  string(REGEX REPLACE "^VERSION_ID=\"?([0-9]+).*" "\\1" S2T_DEBIAN_RELEASE "${S2T_OS_VERSION_ID}")
endif()
set(S2T_DEBIAN_REVISION "1" CACHE STRING "Debian revision of the package")
if(S2T_DEBIAN_RELEASE MATCHES "^[0-9]+$")
  string(APPEND S2T_DEBIAN_REVISION "~deb${S2T_DEBIAN_RELEASE}")
endif()

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME s2t)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "s2t maintainers <s2t@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "turn a scripted TorchScript method into a flat, trace-equivalent graph")
set(CPACK_PACKAGE_DESCRIPTION
"s2t-opt walks a scripted TorchScript method with one sample input, decides
each prim::If, unrolls each prim::Loop, inlines each call and writes the
straight-line graph a trace of that path would record. The package has
s2t-opt, the library libs2t with its header <s2t/s2t.h> and CMake package
(find_package(s2t)), and the Python package s2t (python3 -m s2t).")
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE ${S2T_DEBIAN_REVISION})
set(CPACK_DEBIAN_PACKAGE_SECTION science)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# libs2t.so.0.1 is in the package itself: dpkg-shlibdeps looks for it there.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS_PRIVATE_DIRS ${CMAKE_BINARY_DIR})
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
# python3 runs -m s2t; the extension imports torch (libtorch_python is in
# python3-torch, which dpkg-shlibdeps finds too).
set(CPACK_DEBIAN_PACKAGE_DEPENDS "python3, python3-torch")
# The headers and the CMake package (find_package(s2t)) need LibTorch's.
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "libtorch-dev")
# Python writes __pycache__ when the package is imported as root: byte-compile
# on install and remove the caches on removal, as dh_python3's scripts do.
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${CMAKE_CURRENT_LIST_DIR}/debian/postinst ${CMAKE_CURRENT_LIST_DIR}/debian/prerm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
