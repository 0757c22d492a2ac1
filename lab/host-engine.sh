#!/usr/bin/env bash
# Make sure the host has a running Docker Engine and the packages the lab needs.
# Installs with apt and starts dockerd in the background when they are missing;
# otherwise says exactly what is missing and stops. Idempotent: a second call
# with everything in place prints one line and exits 0.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lab/lib.sh
. "$here/lib.sh"

# Host packages the lab uses: the engine, debootstrap for base images,
# qemu-user (binfmt) for the ARM node images and the VM disk's chroot, and for
# the aarch64 VMs (lab/vm.sh) QEMU's system emulator, qemu-img for their
# overlays, mke2fs -d to pack the disk and fdtput to give them a Pi's
# device-tree model, mkfs.vfat and mtools for their FAT32 boot partitions
# (no loop mount: this host has no vfat). ipxe-qemu holds the virtio NIC's
# option ROM (efi-virtio.rom), without which QEMU refuses to start the VMs;
# it is only recommended by qemu-system-arm, and recommends are not installed
# here.
packages=(docker.io debootstrap qemu-user-static binfmt-support
          qemu-system-arm ipxe-qemu qemu-utils e2fsprogs device-tree-compiler
          dosfstools mtools)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    lab_die "missing host packages: ${missing[*]} (run as root, or: sudo apt-get install ${missing[*]})"
  fi
  lab_say "installing host packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if docker info >/dev/null 2>&1; then
  lab_say "host Docker Engine: $(docker version -f '{{.Server.Version}}')"
  exit 0
fi
[ "$(id -u)" = 0 ] || lab_die "Docker Engine is not running and this is not root: start dockerd (or add your user to the docker group)"
command -v dockerd >/dev/null || lab_die "dockerd not found after installing docker.io"

# No init system runs dockerd on this kind of machine: start it detached, keep
# its pid and log under the lab's state directory, and wait for the API.
mkdir -p "$LAB_STATE"
if command -v systemctl >/dev/null && systemctl is-system-running >/dev/null 2>&1; then
  systemctl start docker
else
  lab_say "starting dockerd (log: $LAB_STATE/dockerd.log)"
  setsid dockerd >"$LAB_STATE/dockerd.log" 2>&1 < /dev/null &
  echo $! >"$LAB_STATE/dockerd.pid"
fi
for _ in $(seq 1 60); do
  docker info >/dev/null 2>&1 && { lab_say "host Docker Engine: $(docker version -f '{{.Server.Version}}')"; exit 0; }
  sleep 1
done
lab_die "dockerd did not answer within 60 s; see $LAB_STATE/dockerd.log"
