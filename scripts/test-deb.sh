#!/usr/bin/env bash
# Tries the Debian package in a clean Debian root, without the checkout:
# builds the .deb of the release (scripts/build-deb.sh; ninja and cpack, so
# only what changed), installs it there with apt-get (which must pull every
# dependency itself), runs s2t-opt, python3 -m s2t and import s2t on the
# bundled example, builds test/install/consumer against the installed CMake
# package, reads `man s2t-opt`, checks that dpkg -L lists every file the
# package put in place and that after a purge none remains.
#
#   bash scripts/test-deb.sh              # Debian 12: build-deb/s2t_*~deb12_amd64.deb
#   bash scripts/test-deb.sh --debian13   # Debian 13: build-deb13/s2t_*~deb13_amd64.deb,
#                                         # built in scripts/debian13-root.sh's root
#   bash scripts/test-deb.sh --no-build   # test the .deb already built
#   bash scripts/test-deb.sh [--debian13] --remove   # delete the roots and the apt cache
#
# A minimal root (debootstrap --variant=minbase bookworm, or trixie) is made
# once in $S2T_DEBIAN12_DEB_ROOT (default /var/tmp/s2t-debian12-deb; the old
# name S2T_DEBIAN12_ROOT works too) or $S2T_DEBIAN13_DEB_ROOT (default
# /var/tmp/s2t-debian13-deb) and never changed: each run works in a fresh copy
# of it (…-run, deleted at the end), so every run starts clean. Downloaded
# packages are kept in …-apt-cache for the next run. Mounts (/proc, /dev, the
# apt cache) exist only in a private mount namespace (unshare --mount), as in
# scripts/debian13-root.sh. Needs root.
set -euo pipefail
cd "$(dirname "$0")/.."
die() { echo "test-deb.sh: $*" >&2; exit 1; }
release=12 build=1 remove=
for arg in "$@"; do
  case "$arg" in
    --debian12) release=12 ;;
    --debian13) release=13 ;;
    --no-build) build= ;;
    --remove) remove=1 ;;
    *) die "unknown argument '$arg' (--debian13, --no-build, --remove)" ;;
  esac
done
# Everything that differs between the releases.
case $release in
  12) codename=bookworm
      base=${S2T_DEBIAN12_DEB_ROOT:-${S2T_DEBIAN12_ROOT:-/var/tmp/s2t-debian12-deb}}
      debdir=${S2T_DEB_BUILD_DIR:-build-deb}
      build_deb=(bash scripts/build-deb.sh) ;;
  13) codename=trixie
      base=${S2T_DEBIAN13_DEB_ROOT:-/var/tmp/s2t-debian13-deb}
      debdir=build-deb13
      build_deb=(bash scripts/debian13-root.sh bash scripts/build-deb.sh) ;;
esac
run=$base-run
cache=$base-apt-cache
mirror=${S2T_DEBIAN_MIRROR:-http://deb.debian.org/debian}

if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || die "needs root (debootstrap, chroot and mount)"
  exec sudo -E bash "$0" "$@"
fi
command -v unshare >/dev/null || die "needs unshare (util-linux)"
# Mounts of the host namespace under a root: only a crash of an older version
# of this script could leave them; removing the root would remove what they
# show (the machine's /dev).
mounts_under() { findmnt -rn -o TARGET 2>/dev/null | grep -F "$1/" || true; }
if [ -n "$remove" ]; then
  for d in "$base" "$run"; do
    [ -z "$(mounts_under "$d")" ] || die "refusing to remove $d: it still has mounts"
  done
  rm -rf --one-file-system "$base" "$run" "$cache"
  echo "removed $base, $run, $cache"
  exit 0
fi
start=$(date +%s)

if [ -n "$build" ]; then
  echo "== building the Debian $release package: ${build_deb[*]}"
  "${build_deb[@]}"
  echo "== built in $(( $(date +%s) - start )) s"
fi
deb=$(ls "$debdir"/s2t_*~deb${release}_amd64.deb 2>/dev/null | head -1 || true)
[ -n "$deb" ] || die "no $debdir/s2t_*~deb${release}_amd64.deb (run without --no-build)"
echo "== testing $deb in a clean Debian $release root"

# The bundled example, scripted on the host (LibTorch 1.13; Debian 13's 2.6
# loads it): the root has no source tree.
work=$(mktemp -d)
cleanup() {
  rm -rf "$work"
  if [ -e "$run" ] && [ -z "$(mounts_under "$run")" ]; then rm -rf --one-file-system "$run"; fi
}
trap cleanup EXIT
mkdir -p "$work/s2t-test"
/usr/bin/python3 examples/modules.py "$work/examples" >/dev/null
cp "$work/examples/threshold.pt" "$deb" "$work/s2t-test/"
cp -r test/install/consumer test/install/Inputs/threshold.ir "$work/s2t-test/"

if [ ! -x "$base/usr/bin/apt-get" ] || [ ! -f "$base/.s2t-debootstrap-done" ]; then
  [ -z "$(mounts_under "$base")" ] || die "$base is half made and still has mounts"
  command -v debootstrap >/dev/null || apt-get install -y -qq debootstrap >/dev/null
  echo "== making a Debian $release root in $base (debootstrap --variant=minbase $codename)"
  rm -rf --one-file-system "$base"
  mkdir -p "$base"
  # debootstrap mounts /proc and /sys in the target: a namespace of its own
  # keeps those mounts from outliving it.
  unshare --mount --propagation private \
    debootstrap --variant=minbase "$codename" "$base" "$mirror" >"$base.debootstrap.log" 2>&1 ||
    die "debootstrap failed; see $base.debootstrap.log"
  touch "$base/.s2t-debootstrap-done"
  echo "== made in $(( $(date +%s) - start )) s"
fi
[ -z "$(mounts_under "$run")" ] || die "$run still has mounts"
rm -rf --one-file-system "$run"
cp -a "$base" "$run"
mkdir -p "$cache/partial"
cp -r "$work/s2t-test" "$run/root/"
# A throwaway root: dpkg need not fsync every file (as sbuild and Debian's
# container images do); a third of the time on a busy machine.
echo force-unsafe-io > "$run/etc/dpkg/dpkg.cfg.d/s2t-test-unsafe-io"
cat > "$run/root/s2t-test/in-root.sh" <<'IN_ROOT'
set -euo pipefail
cd /root/s2t-test
step() { echo "== [$SECONDS s] $*"; }
fail() { echo "FAIL: $*" >&2; exit 1; }
step "apt-get install ./s2t_*.deb"
apt-get update -qq
apt-get install -y -qq ./s2t_*.deb >/dev/null
dpkg -s s2t | grep -E '^(Version|Depends):'

step "s2t-opt --version; s2t-opt on the example"
s2t-opt --version | grep -qx 's2t-opt 0.1.0' || fail "s2t-opt --version"
s2t-opt threshold.pt --specialize-input=3.0 | tee opt.out
grep -q 'aten::add' opt.out && ! grep -q 'prim::If' opt.out || fail "s2t-opt's flat graph"
s2t-opt threshold.pt --specialize-input=1.0 -o flat.pt

step "python3 -m s2t; import s2t"
python3 -m s2t threshold.pt --specialize-input=3.0 > m.out
cmp opt.out m.out || fail "python3 -m s2t differs from s2t-opt"
status=0; python3 -m s2t threshold.pt --specialize-input=y=1 2>/dev/null || status=$?
[ $status -eq 2 ] || fail "python3 -m s2t on a usage error: exit $status"
python3 -c "
import torch, s2t
m = torch.jit.load('threshold.pt')
flat = s2t.script_to_trace(m, (torch.tensor(3.0),))
kinds = [n.kind() for n in flat.graph.nodes()]
assert 'prim::If' not in kinds and 'aten::add' in kinds, kinds
assert torch.equal(flat(torch.tensor(-5.0)), torch.tensor(-4.0))
assert torch.equal(torch.jit.load('flat.pt')(torch.tensor(7.0)), torch.tensor(6.0))
print('import s2t: s2t', s2t.__version__, 'from', s2t.__file__)
"

step "the consumer, built against the installed package (find_package(s2t))"
apt-get install -y -qq --no-install-recommends g++ cmake make libtorch-dev >/dev/null
cmake -S consumer -B consumer-build >/dev/null
cmake --build consumer-build -j"$(nproc)" >/dev/null
consumer-build/consumer threshold.ir 'tensor([3.0, -1.0])' consumer.pt | tee consumer.out
grep -q '^flat(sample) = 4 0$' consumer.out || fail "consumer's result"
grep -q "^error: sample 'y=1' names unknown argument 'y'" consumer.out || fail "consumer's error"

step "man s2t-opt"
apt-get install -y -qq --no-install-recommends man-db >/dev/null
MANPAGER=cat COLUMNS=80 man s2t-opt > man.out 2>/dev/null
head -n 8 man.out
grep -q -- '--specialize-input' man.out || fail "man s2t-opt"

step "dpkg -L lists every file the package put in place"
dpkg -L s2t > listed
own=$(grep -E '/s2t$|/s2t/' listed | while read -r p; do if [ -d "$p" ]; then echo "$p"; fi; done | sort -u)
unlisted=$(find $own \( -name __pycache__ -prune \) -o ! -type d -print | sort -u | comm -23 - <(sort -u listed))
[ -z "$unlisted" ] || fail "not listed by dpkg -L: $unlisted"
missing=$(while read -r p; do [ -e "$p" ] || echo "$p"; done < listed)
[ -z "$missing" ] || fail "listed but missing: $missing"
echo "$(grep -c . listed) paths listed, all present; nothing unlisted in: $(echo $own)"

step "apt-get remove and purge leave nothing behind"
apt-get remove -y -qq s2t >/dev/null
apt-get purge -y -qq s2t >/dev/null
left=$(while read -r p; do
  if [ -d "$p" ]; then case "$p" in */s2t|*/s2t/*) [ ! -e "$p" ] || echo "$p";; esac
  elif [ -e "$p" ] || [ -L "$p" ]; then echo "$p"; fi
done < listed)
[ -z "$left" ] || fail "left after purge: $left"
hash -r; ! command -v s2t-opt >/dev/null || fail "s2t-opt still on PATH"
! python3 -c "import s2t" 2>/dev/null || fail "import s2t still works"
echo "nothing left"
echo "ALL PASSED in $SECONDS s"
IN_ROOT

echo "== running in a fresh copy of the root ($run)"
status=0
unshare --mount --propagation private bash -euo pipefail -c '
  root=$1 cache=$2
  cleanup() { umount -R "$root/var/cache/apt/archives" "$root/dev" "$root/proc" 2>/dev/null || true; }
  trap cleanup EXIT
  mkdir -p "$root/proc" "$root/dev" "$root/var/cache/apt/archives"
  mount -t proc proc "$root/proc"
  mount --rbind /dev "$root/dev"
  mount --bind "$cache" "$root/var/cache/apt/archives"
  cp -L /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
  chroot "$root" /usr/bin/env -i HOME=/root TERM=dumb LANG=C.UTF-8 \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    DEBIAN_FRONTEND=noninteractive bash /root/s2t-test/in-root.sh
' test-deb "$run" "$cache" || status=$?
echo "== test-deb.sh: Debian $release $([ $status -eq 0 ] && echo passed || echo FAILED) in $(( $(date +%s) - start )) s"
exit $status
