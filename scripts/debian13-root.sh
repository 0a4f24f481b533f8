#!/usr/bin/env bash
# Makes (once) a Debian 13 ("trixie") root with LibTorch 2.6 and everything
# s2t needs to build and test, then runs a command inside it with the checkout
# bind-mounted at the same path. See docs/libtorch2.md.
#
#   bash scripts/debian13-root.sh                       # make or update the root only
#   bash scripts/debian13-root.sh bash test/run.sh      # a command, in the checkout
#   bash scripts/debian13-root.sh --remove              # delete the root
#
# The root lives in $S2T_DEBIAN13_ROOT (default /var/tmp/s2t-debian13), outside
# the checkout, so that `git clean -fdx` never reaches it. It needs root (or
# sudo), Debian's debootstrap (installed if missing) and the right to mount:
# every mount (/proc, /dev, the checkout) is made in a private mount namespace
# of this script's own (unshare --mount), so the mounts exist only while the
# command runs and disappear with it, whatever way it ends. A second call
# reuses the root. The packages are scripts/install-deps.sh's, run inside the
# root before each command: it installs only what is missing. CCACHE_BASEDIR
# and CCACHE_NOHASHDIR pass into the root when set (the cache is the root's).
set -euo pipefail
cd "$(dirname "$0")/.."
checkout=$(pwd -P)
root=${S2T_DEBIAN13_ROOT:-/var/tmp/s2t-debian13}
mirror=${S2T_DEBIAN_MIRROR:-http://deb.debian.org/debian}


die() { echo "debian13-root.sh: $*" >&2; exit 1; }

if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || die "needs root (debootstrap, chroot and mount); run it as root"
  exec sudo -E bash "$0" "$@"
fi
command -v unshare >/dev/null || die "needs unshare (util-linux)"
unshare --mount --propagation private true 2>/dev/null ||
  die "cannot make a private mount namespace (unshare --mount): this machine does not let" \
      "this process mount; run it as root on a machine or container that allows mount"

# Mounts of the host namespace under the root: only a crash of an older
# version of this script could leave them; removing the root would then
# remove what they show (the machine's /dev, the checkout).
mounts_under_root() { findmnt -rn -o TARGET 2>/dev/null | grep -F "$root/" || true; }

if [ "${1:-}" = "--remove" ]; then
  [ -z "$(mounts_under_root)" ] ||
    die "refusing to remove $root: it still has mounts ($(mounts_under_root | tr '\n' ' '))"
  rm -rf --one-file-system "$root"
  echo "removed $root"
  exit 0
fi

# Runs "$@" in a private mount namespace with /proc, /dev and the checkout
# mounted in the root. The mounts die with the namespace; the trap unmounts
# them earlier on every ordinary exit.
in_root() {
  unshare --mount --propagation private bash -euo pipefail -c '
    root=$1 checkout=$2; shift 2
    cleanup() { umount -R "$root$checkout" "$root/dev" "$root/proc" 2>/dev/null || true; }
    trap cleanup EXIT
    mkdir -p "$root/proc" "$root/dev" "$root$checkout"
    mount -t proc proc "$root/proc"
    mount --rbind /dev "$root/dev"
    mount --bind "$checkout" "$root$checkout"
    cp -L /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
    chroot "$root" /usr/bin/env -i HOME=/root TERM="${TERM:-dumb}" CI="${CI:-}" \
      PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
      LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive S2T_DEBIAN13=1 \
      ${CCACHE_BASEDIR:+"CCACHE_BASEDIR=$CCACHE_BASEDIR"} \
      ${CCACHE_NOHASHDIR:+"CCACHE_NOHASHDIR=$CCACHE_NOHASHDIR"} \
      bash -c "cd \"\$0\" && exec \"\$@\"" "$checkout" "$@"
  ' in_root "$root" "$checkout" "$@"
}

if [ ! -x "$root/usr/bin/apt-get" ] || [ ! -f "$root/.s2t-debootstrap-done" ]; then
  [ -z "$(mounts_under_root)" ] || die "$root is half made and still has mounts; unmount them first"
  if ! command -v debootstrap >/dev/null; then
    echo "installing debootstrap"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null ||
      { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null; } ||
      die "cannot install debootstrap"
  fi
  echo "making a Debian 13 root in $root (debootstrap, about 30 s)"
  rm -rf --one-file-system "$root"
  mkdir -p "$root"
  # debootstrap mounts /proc and /sys in the target itself: a namespace of its
  # own keeps those mounts from outliving it.
  unshare --mount --propagation private \
    debootstrap --variant=minbase trixie "$root" "$mirror" >"$root.debootstrap.log" 2>&1 ||
    die "debootstrap failed; see $root.debootstrap.log"
  touch "$root/.s2t-debootstrap-done"
fi

in_root bash scripts/install-deps.sh || die "installing the packages in $root failed"

[ $# -gt 0 ] || exit 0
in_root "$@"
