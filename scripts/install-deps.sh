#!/usr/bin/env bash
# Installs the Debian packages s2t needs to build and test, if any is missing.
# Run as root (CI and the developers' machines are); uses sudo otherwise.
# Knows Debian 12 (LibTorch 1.13, LLVM 14) and Debian 13 (LibTorch 2.6,
# LLVM 19): the one place where the package names of a release are chosen
# (scripts/debian13-root.sh runs it inside its Debian 13 root).
set -euo pipefail
release=$(. /etc/os-release 2>/dev/null && echo "${VERSION_ID:-}")
# mimalloc 2 only (Debian 13 has 3.0, which s2t does not link: cmake/Mimalloc.cmake).
case "$release" in
  13) llvm=19 allocator=() ;;
  *) llvm=14 allocator=(libmimalloc-dev) ;;
esac
packages=(
  cmake ninja-build g++ ccache time
  libtorch-dev python3-torch python3-torchvision python3-torchaudio
  libcli11-dev libgtest-dev nlohmann-json3-dev "${allocator[@]}"
  pybind11-dev python3-dev
  "llvm-$llvm-tools"
  python3-onnx graphviz
  help2man dpkg-dev file
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "installing: ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo=sudo
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
