#!/usr/bin/env bash
# Prints the build folder of this machine's Debian release: build on Debian 12
# (LibTorch 1.13), build-debian13 in the Debian 13 root (LibTorch 2.6), or
# $S2T_BUILD_DIR when set.
release=$(. /etc/os-release 2>/dev/null && echo "${VERSION_ID:-}")
if [ -n "${S2T_BUILD_DIR:-}" ]; then
  echo "$S2T_BUILD_DIR"
elif [ "$release" = 13 ]; then
  echo build-debian13
else
  echo build
fi
