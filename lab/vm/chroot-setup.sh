#!/bin/bash
# Runs inside the VM disk's tree (chroot, arm64 binaries through qemu-user)
# while lab/vm/build-disk.sh builds the disk: turns the lab's arm64 node tree
# into a bootable 64-bit Raspberry Pi OS stand-in with a kernel, a minimal
# initramfs and Docker Engine.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8
mirror=$1

printf 'deb %s bookworm main\ndeb %s bookworm-updates main\ndeb %s bookworm-security main\n' \
  "$mirror" "$mirror" "${mirror%/debian}/debian-security" >/etc/apt/sources.list
# Nothing may start services inside the chroot.
printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
chmod 0755 /usr/sbin/policy-rc.d

apt-get update -qq
# The kernel and its initramfs (MODULES=list, see conf.d, packed once by the
# kernel's postinst), what Pi OS Lite runs (timesyncd; dphys-swapfile, which
# swaps on a file at boot as bookworm's Pi OS does until the node role turns
# swap off; iproute2: the lab's second NIC is set up with `ip` at boot), and
# Docker Engine with the Python
# SDK baked in. Baking the engine in is the time budget's choice:
# dpkg under TCG takes ~138 s per run inside the VM (the docker role then
# finds docker.io installed and only configures it); here it is paid once per
# cached disk, under the faster qemu-user.
apt-get install -y -qq --no-install-recommends \
  linux-image-arm64 initramfs-tools systemd-timesyncd dphys-swapfile iproute2 \
  docker.io python3-docker e2fsprogs >/dev/null

# Raspberry Pi OS's size (MiB): Debian's default is twice the RAM.
printf 'CONF_SWAPSIZE=100\n' >/etc/dphys-swapfile

# From now on nothing rebuilds the initramfs: a later package install in the
# VM would otherwise spend minutes under emulation on it.
sed -i 's/^update_initramfs=.*/update_initramfs=no/' /etc/initramfs-tools/update-initramfs.conf

# Units that only slow the boot of a throwaway VM or fight the roles for
# dpkg's lock (apt-daily runs apt in the background at boot).
systemctl mask apt-daily.timer apt-daily-upgrade.timer e2scrub_reap.service \
  e2scrub_all.timer fstrim.timer >/dev/null 2>&1
systemctl enable systemd-networkd.service ssh.service docker.service \
  systemd-timesyncd.service dphys-swapfile.service pifleet-lab-vm-net.service >/dev/null 2>&1

# The user Raspberry Pi Imager sets up, with passwordless sudo; its key is
# installed by build-disk.sh.
id pi >/dev/null 2>&1 || useradd --create-home --shell /bin/bash --groups sudo,docker pi
chmod 0440 /etc/sudoers.d/010_pi-nopasswd
install -d -m 0700 -o pi -g pi /home/pi/.ssh

echo pifleet-vm >/etc/hostname
: >/etc/machine-id
rm -f /usr/sbin/policy-rc.d
apt-get clean
# The package lists stay, as on a Pi OS image that has been updated once:
# with nothing left to install, the docker role runs no apt-get update, and
# roles that trust cache_valid_time (caddy's python3-jsondiff) need lists
# that are there and young, not an emptied directory with a fresh mtime.
rm -rf /var/log/apt/* /tmp/*
