#!/usr/bin/env bash
# Builds the Debian package of s2t: a build for /usr with a shared libs2t into
# ./build-deb (./build-deb13 inside the Debian 13 root), then cpack -G DEB.
# Writes build-deb/s2t_<version>-1~deb<N>_amd64.deb, N the Debian release
# it runs on (12 here; inside scripts/debian13-root.sh, 13). Install it with
#   apt install ./build-deb/s2t_*.deb
# scripts/test-deb.sh (--debian13) installs it in a clean root of the release
# and tries it.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
build=${S2T_DEB_BUILD_DIR:-build-deb}
[ -z "${S2T_DEBIAN13:-}" ] || build=${S2T_DEB_BUILD_DIR:-build-deb13}
if [ ! -f "$build/build.ninja" ]; then
  # RelWithDebInfo (-O2 -g, Debian's own flags) shares ccache entries with
  # build/; cpack strips the binaries (CPACK_STRIP_FILES).
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_INSTALL_PREFIX=/usr -DBUILD_SHARED_LIBS=ON -DS2T_MAN_PAGE=ON \
    -DS2T_BUILD_TESTS=OFF >/dev/null
fi
ninja -C "$build" -j"$(nproc)"
rm -f "$build"/s2t_*.deb
(cd "$build" && cpack -G DEB >/dev/null)
deb=$(ls "$build"/s2t_*.deb)
echo "$deb"
dpkg-deb -f "$deb" Package Version Depends
