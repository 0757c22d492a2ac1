#!/usr/bin/env bash
# Build the lab's node images on the host engine, offline: debootstrap from
# Debian's archive, `docker import`, then small `docker build`s on top (the
# bases are local, so nothing is ever pulled).
#
#   lab/images.sh [IMAGE...]     default: every node image
#
# Images (all under $LAB_PREFIX/):
#   node:bookworm         Debian 12 (still on many Pis; docker.io 20.10)
#   node:trixie           Debian 13, what Raspberry Pi OS is built on now (docker.io 26.1)
#   node:bookworm-arm64   the same node as an arm64 userland under qemu-user (uname -m: aarch64)
#   node:bookworm-pios32  32-bit Raspberry Pi OS: an armhf userland under qemu-user
#                         (uname -m: armv7l) with its os-release (ID=raspbian)
#   node:bookworm-engine  Debian's docker.io preinstalled and enabled, as a vendor
#                         image ships it (see node/Dockerfile.engine)
#   node:trixie-engine    what the node and docker roles leave (python3-apt,
#                         iproute2, docker.io, its CLI, python3-docker): for
#                         scenarios that start after the engine stage
#   debian:bookworm-slim-amd64 (target slim-bookworm-amd64; also -arm64) the offline
#                         stand-in for Docker's debian:bookworm-slim, loaded into
#                         the nodes' engines under that name (lab.sh load)
#
# Cache: every image carries a label with the hash of the files that built it;
# an image whose label matches is kept, so a second run takes seconds. The
# debootstrap trees are cached as tarballs under $LAB_CACHE/rootfs, keyed by
# suite, architecture and package list.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lab/lib.sh
. "$here/lib.sh"

# As bare as a fresh minimal image (debootstrap minbase, Debian's own Pi
# images, DietPi, Armbian can be like that): systemd as init, sshd, python3,
# sudo, and nothing the roles could lean on without installing it themselves.
# BARE_ABSENT must stay out: check_bare refuses an image that has one.
ROOTFS_PACKAGES=systemd,systemd-sysv,dbus,openssh-server,python3,sudo
BARE_ABSENT=(python3-apt gnupg curl iproute2 ca-certificates)

key_of() { cat "$@" | sha256sum | cut -c1-16; }
mapfile -t node_files < <(find "$here/node" -type f | sort)
LAB_KEY=$(key_of "$here/images.sh" "$here/lib.sh" "${node_files[@]}")
LABEL=org.pifleet.lab.key

image_current() {
  [ "$(docker image inspect -f "{{ index .Config.Labels \"$LABEL\" }}" "$1" 2>/dev/null)" = "$LAB_KEY" ]
}

ensure_binfmt() {  # ensure_binfmt DPKG_ARCH : foreign binaries run through qemu-user
  local q
  case "$1" in arm64) q=qemu-aarch64 ;; armhf) q=qemu-arm ;; *) return 0 ;; esac
  [ -d /proc/sys/fs/binfmt_misc ] || lab_die "this kernel has no binfmt_misc: $1 images need it"
  [ -e /proc/sys/fs/binfmt_misc/register ] || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
  grep -qs '^enabled' "/proc/sys/fs/binfmt_misc/$q" || update-binfmts --enable "$q" >/dev/null
  # The F flag loads the interpreter at registration time, so it also works
  # inside containers and chroots that do not have qemu-*-static.
  grep -qs '^flags:.*F' "/proc/sys/fs/binfmt_misc/$q" ||
    lab_die "$q binfmt entry lacks the F flag; reinstall qemu-user-static"
}

# rootfs SUITE ARCH [FLAVOUR] -> path of a cached tarball of a debootstrap tree.
# FLAVOUR node (default): what a Pi OS Lite install has, see ROOTFS_PACKAGES.
# FLAVOUR slim: minbase trimmed like Docker's official debian:*-slim images
# (no docs, man pages or locales, and dpkg told to keep them out), the offline
# stand-in for `debian:SUITE-slim` that the collection's image recipes start from.
rootfs() {
  local suite=$1 arch=$2 flavour=${3:-node} key tar tmp include=()
  if [ "$flavour" = node ]; then
    include=(--include="$ROOTFS_PACKAGES")
    key=$(printf '%s %s %s %s' "$suite" "$arch" "$ROOTFS_PACKAGES" "$DEBIAN_MIRROR" | sha256sum | cut -c1-12)
    tar=$LAB_CACHE/rootfs/$suite-$arch-$key.tar
  else
    key=$(printf '%s %s %s %s' "$suite" "$arch" "$flavour" "$DEBIAN_MIRROR" | sha256sum | cut -c1-12)
    tar=$LAB_CACHE/rootfs/$suite-$arch-$flavour-$key.tar
  fi
  if [ ! -s "$tar" ]; then
    ensure_binfmt "$arch"
    mkdir -p "$LAB_CACHE/rootfs"
    tmp=$(mktemp -d "$LAB_CACHE/rootfs/.build-XXXXXX")
    trap 'rm -rf "$tmp"' RETURN
    lab_say "debootstrap $suite/$arch $flavour (cached afterwards in $tar)"
    debootstrap --variant=minbase --arch="$arch" "${include[@]}" \
      "$suite" "$tmp/root" "$DEBIAN_MIRROR" >"$tmp/log" 2>&1 ||
      { tail -20 "$tmp/log" >&2; lab_die "debootstrap $suite/$arch failed"; }
    # Trim what a container never uses; keep apt lists out (they go stale).
    rm -rf "$tmp/root/var/cache/apt/archives/"*.deb "$tmp/root/var/lib/apt/lists/"*
    if [ "$flavour" = slim ]; then
      printf '%s\n' 'path-exclude /usr/share/doc/*' 'path-include /usr/share/doc/*/copyright' \
        'path-exclude /usr/share/man/*' 'path-exclude /usr/share/info/*' \
        'path-exclude /usr/share/locale/*' 'path-exclude /usr/share/lintian/*' \
        >"$tmp/root/etc/dpkg/dpkg.cfg.d/docker-slim"
      find "$tmp/root/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
      find "$tmp/root/usr/share/doc" -mindepth 1 -type d -empty -delete
      rm -rf "$tmp/root/usr/share/man/"* "$tmp/root/usr/share/info/"* \
        "$tmp/root/usr/share/locale/"* "$tmp/root/var/cache/debconf/"*-old \
        "$tmp/root/var/log/"*.log "$tmp/root/var/log/apt/"*
    fi
    tar -C "$tmp/root" --numeric-owner -cf "$tar.part" . && mv "$tar.part" "$tar"
  fi
  printf '%s\n' "$tar"
}

base_image() {  # base_image SUITE ARCH -> $LAB_PREFIX/base:SUITE-ARCH
  local suite=$1 arch=$2 name=$LAB_PREFIX/base:$1-$2 tar
  tar=$(rootfs "$suite" "$arch" node)
  if [ "$(docker image inspect -f '{{ index .Config.Labels "org.pifleet.lab.rootfs" }}' "$name" 2>/dev/null)" != "$(basename "$tar")" ]; then
    lab_say "import $name"
    docker import --change "LABEL org.pifleet.lab.rootfs=$(basename "$tar")" "$tar" "$name" >/dev/null
  fi
  printf '%s\n' "$name"
}

build() {  # build NAME CONTEXT_DIR BASE [extra docker build args]
  local name=$1 ctx=$2 base=$3; shift 3
  if image_current "$name"; then lab_say "cached $name"; return; fi
  lab_say "build $name"
  # The classic builder: BuildKit needs the buildx plugin, which a host with
  # Debian's docker.io may not have. Its deprecation notice is noise here.
  DOCKER_BUILDKIT=0 docker build -q --pull=false --build-arg "BASE=$base" \
    --label "$LABEL=$LAB_KEY" -t "$name" "$@" "$ctx" 2>&1 >/dev/null |
    { grep -vE '^(DEPRECATED: The legacy builder|  +(BuildKit is currently|environment-variable)|$)' >&2 || :; }
  image_current "$name" || lab_die "building $name failed"
}

check_bare() {  # check_bare IMAGE : none of BARE_ABSENT is installed in it
  local found
  # dpkg-query exits 1 when it knows none of them: that is the good case.
  found=$( { docker run --rm --entrypoint dpkg-query "$1" -W -f '${db:Status-Abbrev} ${Package}\n' \
    "${BARE_ABSENT[@]}" 2>/dev/null || :; } | awk '$1 == "ii" {print $2}' | tr '\n' ' ')
  [ -z "$found" ] || lab_die "$1 is not bare: it has $found(the roles must install what they need)"
}

node_image() {  # node_image VARIANT
  local v=$1
  case "$v" in
    bookworm|trixie) build "$LAB_PREFIX/node:$v" "$here/node" "$(base_image "$v" amd64)"
      check_bare "$LAB_PREFIX/node:$v" ;;
    bookworm-arm64)  build "$LAB_PREFIX/node:$v" "$here/node" "$(base_image bookworm arm64)"
      check_bare "$LAB_PREFIX/node:$v" ;;
    bookworm-pios32)
      build "$LAB_PREFIX/node:bookworm-armhf" "$here/node" "$(base_image bookworm armhf)"
      build "$LAB_PREFIX/node:$v" "$here/node" "$LAB_PREFIX/node:bookworm-armhf" -f "$here/node/Dockerfile.pios32"
      check_bare "$LAB_PREFIX/node:$v" ;;
    slim-*)  # slim-SUITE-ARCH: the stand-in for debian:SUITE-slim (see rootfs)
      local rest=${v#slim-} name tar
      name=$LAB_PREFIX/debian:${rest%-*}-slim-${rest##*-}
      tar=$(rootfs "${rest%-*}" "${rest##*-}" slim)
      if [ "$(docker image inspect -f '{{ index .Config.Labels "org.pifleet.lab.rootfs" }}' "$name" 2>/dev/null)" != "$(basename "$tar")" ]; then
        lab_say "import $name"
        docker import --change "LABEL org.pifleet.lab.rootfs=$(basename "$tar")" \
          --change 'CMD ["bash"]' "$tar" "$name" >/dev/null
      else
        lab_say "cached $name"
      fi ;;
    bookworm-engine)
      node_image bookworm
      build "$LAB_PREFIX/node:$v" "$here/node" "$LAB_PREFIX/node:bookworm" -f "$here/node/Dockerfile.engine" ;;
    trixie-engine)
      node_image trixie
      build "$LAB_PREFIX/node:$v" "$here/node" "$LAB_PREFIX/node:trixie" -f "$here/node/Dockerfile.engine" \
        --build-arg "PACKAGES=python3-apt iproute2 docker.io docker-cli python3-docker busybox-static" ;;
    *) lab_die "unknown image '$v' (bookworm, trixie, bookworm-arm64, bookworm-pios32, bookworm-engine, trixie-engine, slim-SUITE-ARCH)" ;;
  esac
}

ALL=(bookworm trixie bookworm-arm64 bookworm-pios32 bookworm-engine trixie-engine)
[ $# -gt 0 ] || set -- "${ALL[@]}"
docker info >/dev/null 2>&1 || lab_die "no Docker Engine answers; run lab/host-engine.sh first"

# The debootstrap runs are mostly waiting on the network and dpkg: run the ones
# still missing side by side (the arm64 one, under emulation, is the longest).
needed=()
for v in "$@"; do
  case "${v#node:}" in
    trixie) needed+=("trixie amd64") ;;
    bookworm-arm64) needed+=("bookworm arm64") ;;
    bookworm-pios32) needed+=("bookworm armhf") ;;
    slim-*) continue ;;  # small; built on demand below
    trixie-engine) needed+=("trixie amd64") ;;
    *) needed+=("bookworm amd64") ;;
  esac
done
pids=()
for sa in $(printf '%s\n' "${needed[@]}" | sort -u | tr ' ' ':'); do
  ensure_binfmt "${sa#*:}"
  rootfs "${sa%:*}" "${sa#*:}" >/dev/null &
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || lab_die "a debootstrap failed (see above)"; done

for v in "$@"; do node_image "${v#node:}"; done
