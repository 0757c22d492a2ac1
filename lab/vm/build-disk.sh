#!/usr/bin/env bash
# Build the aarch64 VM's disk from Debian's archive only, without loop mounts:
#
#   lab/vm/build-disk.sh NODE_TREE_TAR SLIM_TREE_TAR OUT_DIR
#
# NODE_TREE_TAR  the lab's arm64 node tree (lab/images.sh rootfs bookworm arm64)
# SLIM_TREE_TAR  the arm64 debian:bookworm-slim stand-in tree (... slim)
# OUT_DIR        gets disk.img (raw ext4, packed with mke2fs -d), boot.img
#                (the FAT32 boot partition: cmdline.txt and config.txt),
#                vmlinuz, initrd.img and id_ed25519{,.pub} (the key the disk
#                trusts)
#
# The tree is unpacked, the kernel, a minimal initramfs and Docker Engine are
# installed in a chroot (arm64 binaries run through qemu-user), the Pi OS files
# are laid over it, and mke2fs -d packs it. lab/vm.sh caches OUT_DIR, keyed by
# the content of this directory, and boots copy-on-write overlays of disk.img.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
lab=$(dirname "$here")
# shellcheck source=lab/lib.sh
. "$lab/lib.sh"
node_tar=$1 slim_tar=$2 out=$3
VM_DISK_SIZE=${VM_DISK_SIZE:-8G}

# make_seed_archive TREE_TAR ARCHIVE: a one-layer image in `docker save`
# format (manifest.json, config, layer) named pifleet-lab/debian:bookworm-slim-arm64,
# its config saying arm64, as Docker's own debian:bookworm-slim for arm64 says.
make_seed_archive() {
  local tree=$1 archive=$2 dir diff created config cfgsum
  dir=$(mktemp -d "$tmp/seed-XXXXXX")
  diff=$(sha256sum "$tree" | cut -d' ' -f1)
  created=$(date -u -d "@$(stat -c %Y "$tree")" +%Y-%m-%dT%H:%M:%SZ)
  mkdir -p "$dir/$diff"
  ln "$tree" "$dir/$diff/layer.tar" 2>/dev/null || cp "$tree" "$dir/$diff/layer.tar"
  config='{"architecture":"arm64","os":"linux","created":"'$created'",'
  config+='"config":{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],"Cmd":["bash"]},'
  config+='"rootfs":{"type":"layers","diff_ids":["sha256:'$diff'"]},'
  config+='"history":[{"created":"'$created'","created_by":"debootstrap --variant=minbase --arch=arm64 bookworm, trimmed like debian:bookworm-slim (lab/images.sh)"}]}'
  printf '%s' "$config" >"$dir/config.json"
  cfgsum=$(sha256sum "$dir/config.json" | cut -d' ' -f1)
  mv "$dir/config.json" "$dir/$cfgsum.json"
  printf '[{"Config":"%s.json","RepoTags":["pifleet-lab/debian:bookworm-slim-arm64"],"Layers":["%s/layer.tar"]}]\n' \
    "$cfgsum" "$diff" >"$dir/manifest.json"
  mkdir -p "$(dirname "$archive")"
  tar -C "$dir" --owner=0 --group=0 -chf "$archive" manifest.json "$cfgsum.json" "$diff"
  rm -rf "$dir"
}

tmp=$(mktemp -d "$(dirname "$out")/.build-XXXXXX")
root=$tmp/root
mounted=()
cleanup() {
  local m i
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
    m=${mounted[$i]}
    umount -l "$m" 2>/dev/null || :
  done
  rm -rf "$tmp"
}
trap cleanup EXIT
mkdir -p "$root"

lab_say "unpack $(basename "$node_tar")"
tar -C "$root" --numeric-owner -xpf "$node_tar"

# The chroot's package scripts want /proc, /sys and /dev (bind mounts of the
# host's, undone on exit; the disk itself is never mounted).
for m in proc sys dev dev/pts; do
  mkdir -p "$root/$m"
  mount --bind "/$m" "$root/$m"
  mounted+=("$root/$m")
done
cp /etc/resolv.conf "$root/etc/resolv.conf"

# Files that must be in place before the packages are installed (the
# initramfs settings) and those that make it a Pi: copied over the tree.
cp -a "$here/rootfs/." "$root/"
# From the container lab's node, the same files (not copies kept in two
# places): the list is lab/vm/node-files. Its config.txt goes to the boot
# partition (below); /boot/firmware is only the mount point here.
mkdir -p "$root/boot/firmware"
while read -r f; do
  install -D -m "$(stat -c %a "$lab/node/rootfs/$f")" "$lab/node/rootfs/$f" "$root/$f"
done < <(grep -v '^#' "$here/node-files")

cp "$here/chroot-setup.sh" "$root/tmp/chroot-setup.sh"
lab_say "install the kernel, initramfs and Docker Engine in the arm64 tree (qemu-user)"
chroot "$root" /bin/bash /tmp/chroot-setup.sh "$DEBIAN_MIRROR" >"$tmp/chroot.log" 2>&1 ||
  { tail -30 "$tmp/chroot.log" >&2; lab_die "installing into the VM tree failed"; }
cp "$here/rootfs/etc/resolv.conf" "$root/etc/resolv.conf"

for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount "${mounted[$i]}"; done
mounted=()

# Keys: the host key and the key the pi user trusts are made here, on the
# host (fast), once per cached disk. The VMs listen on 127.0.0.1 only.
# (The keys openssh-server's postinst made in the tree go: RSA is not needed.)
rm -f "$root"/etc/ssh/ssh_host_*
ssh-keygen -q -t ed25519 -N '' -C pifleet-lab-vm-host -f "$root/etc/ssh/ssh_host_ed25519_key" </dev/null
ssh-keygen -q -t ed25519 -N '' -C pifleet-lab-vm -f "$tmp/id_ed25519" </dev/null
install -m 0600 -o 1000 -g 1000 "$tmp/id_ed25519.pub" "$root/home/pi/.ssh/authorized_keys"
[ "$(stat -c %u "$root/home/pi")" = 1000 ] || lab_die "user pi is not uid 1000 in the tree"

# debian:bookworm-slim for the VM's engine, as a `docker save` archive that
# lab-seed-images loads at the engine's first start. Made here from the slim
# tree rather than by `docker import` on the host: the host engine (amd64)
# would record the image as amd64, and builds FROM it would inherit that.
seed=$root/var/lib/pifleet-lab/seed
make_seed_archive "$slim_tar" "$seed/debian-bookworm-slim-arm64.tar"

lab_say "pack the disk (mke2fs -d, $VM_DISK_SIZE)"
cp "$root"/boot/vmlinuz-* "$tmp/vmlinuz"
cp "$root"/boot/initrd.img-* "$tmp/initrd.img"
truncate -s "$VM_DISK_SIZE" "$tmp/disk.img"
mke2fs -q -F -t ext4 -L pifleet-root -d "$root" "$tmp/disk.img"
rm -rf "$root"

# The boot partition as Pi OS has it: FAT32 labelled bootfs (the fstab above
# mounts it at /boot/firmware) with the stock cmdline.txt and config.txt.
# Made with mkfs.vfat and mcopy: no loop mount (this host has no vfat).
lab_say "make the FAT32 boot partition"
truncate -s 64M "$tmp/boot.img"
mkfs.vfat -F 32 -n bootfs "$tmp/boot.img" >/dev/null 2>&1 || lab_die "mkfs.vfat failed on $tmp/boot.img"
mcopy -i "$tmp/boot.img" "$here/boot/cmdline.txt" "$lab/node/rootfs/boot/firmware/config.txt" ::

mkdir -p "$out"
mv "$tmp/disk.img" "$tmp/boot.img" "$tmp/vmlinuz" "$tmp/initrd.img" "$tmp/id_ed25519" "$tmp/id_ed25519.pub" "$out/"
