#!/usr/bin/env bash
# Real ARM: aarch64 Debian VMs under QEMU (-M virt, TCG: no KVM for ARM on
# x86), made to look like 64-bit Raspberry Pi OS, reached over SSH on
# 127.0.0.1 like the container lab's nodes.
#
#   lab/vm.sh build          build (or reuse) the cached disk
#   lab/vm.sh up [N]         boot N VMs (default 1) from copy-on-write overlays,
#                            wait for SSH, write the inventory and nodes.json
#   lab/vm.sh down [--all]   stop this lab's VMs (LAB_NAME), or every VM lab,
#                            by the pid files this script wrote; drop overlays
#   lab/vm.sh ls             list the running VMs
#
# Settings (environment):
#   LAB_NAME      name of this VM lab, prefix of all it makes  (pifleet-lab-vm)
#   LAB_OUT       where inventory.yml, nodes.json and the key go
#                 (build/lab/$LAB_NAME in the repository)
#   LAB_MANAGERS  how many of the first VMs are swarm_managers (1)
#   VM_MEM        MiB per VM (2048 for one VM, 1024 each for more)
#   VM_CPUS       vCPUs per VM (2 for one VM, 1 each for more)
#   VM_MODEL      device-tree model the guest sees (a Pi 4); empty: QEMU's own
#
# What makes it a Pi where files can: /boot/firmware/cmdline.txt (one line),
# /boot/firmware/config.txt, /etc/rpi-issue, os-release saying Debian (as
# 64-bit Pi OS does), user pi with passwordless sudo, and the device-tree
# model: QEMU's generated tree for this very machine is dumped, its model set
# to VM_MODEL with fdtput, and booted with -dtb, so the kernel reports a Pi at
# /proc/device-tree/model. The boot partition is a Pi's: FAT32 (a second
# virtio disk, a copy per VM of the cached boot.img), mounted at
# /boot/firmware by the guest's fstab, holding cmdline.txt and config.txt.
# A Pi's firmware reads cmdline.txt at every boot; here a supervisor per VM
# (`vm.sh supervise`, started by `up`) does: it reads the line from the FAT
# image with mtype before each boot and hands it to QEMU's -append, after the
# few parameters this machine needs (as a Pi's firmware puts its own before
# the line). QEMU runs with -no-reboot, so a guest reboot ends QEMU and the
# supervisor boots the VM again with whatever line the guest left. The stock
# line (lab/vm/boot/cmdline.txt) carries cgroup_disable=memory: the VM boots
# without the memory controller, as Pi OS does until the node role's edit.
#
# Several VMs get a second NIC on a QEMU multicast socket (one LAN between
# them, 192.168.77.0/24) for the Swarm; the first NIC is QEMU's user network
# with SSH, HTTP and HTTPS forwarded from 127.0.0.1 only.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lab/lib.sh
. "$here/lib.sh"

LAB_NAME=${LAB_NAME:-$LAB_PREFIX-vm}
LAB_OUT=${LAB_OUT:-$(cd "$here/.." && pwd)/build/lab/$LAB_NAME}
LAB_MANAGERS=${LAB_MANAGERS:-1}
LAB_HOST_PREFIX=${LAB_HOST_PREFIX:-pi}
VM_MODEL=${VM_MODEL-Raspberry Pi 4 Model B Rev 1.5}
VM_MAX=${VM_MAX:-3}
VM_STATE=$LAB_STATE/vm
SUITE=bookworm

case "$LAB_NAME" in
  "$LAB_PREFIX"-*) ;;
  *) lab_die "LAB_NAME must start with '$LAB_PREFIX-' (got '$LAB_NAME'): lab-down stops only what carries it" ;;
esac
[[ "$LAB_NAME" =~ ^[a-z0-9][a-z0-9-]*$ ]] || lab_die "LAB_NAME '$LAB_NAME' may hold only a-z, 0-9 and '-'"

# The rootfs function of lab/images.sh, exactly as it builds and caches the
# trees the container lab uses (sourcing the whole script would build images).
# shellcheck source=/dev/null
. <(sed -n -e '/^ROOTFS_PACKAGES=/p' -e '/^ensure_binfmt() {/,/^}/p' -e '/^rootfs() {/,/^}/p' "$here/images.sh")
declare -F rootfs >/dev/null || lab_die "lab/images.sh no longer defines rootfs(); update lab/vm.sh"

# The cached disk: keyed by what builds it (lab/vm/, the files taken from the
# container lab's node, lib.sh) and by the names of the trees (which carry
# their own keys).
disk_dir() {  # disk_dir NODE_TAR SLIM_TAR -> the cache directory for them
  local key
  key=$({
    find "$here/vm" -type f | sort | xargs cat
    cat "$here/lib.sh" "$here/node/rootfs/boot/firmware/config.txt"
    grep -v '^#' "$here/vm/node-files" | sed "s|^|$here/node/rootfs/|" | xargs cat
    basename "$1"; basename "$2"
  } | sha256sum | cut -c1-12)
  printf '%s\n' "$LAB_CACHE/vm/$SUITE-arm64-$key"
}

cmd_build() {
  local node_tar slim_tar dir start=$SECONDS pids=() p
  if ! command -v qemu-system-aarch64 >/dev/null || ! command -v fdtput >/dev/null ||
     ! command -v mkfs.vfat >/dev/null || ! command -v mtype >/dev/null; then
    "$here/host-engine.sh"
  fi
  # Both trees at once when missing (debootstrap under qemu-user is slow).
  ensure_binfmt arm64
  rootfs "$SUITE" arm64 >/dev/null & pids+=($!)
  rootfs "$SUITE" arm64 slim >/dev/null & pids+=($!)
  for p in "${pids[@]}"; do wait "$p" || lab_die "a debootstrap failed (see above)"; done
  node_tar=$(rootfs "$SUITE" arm64)
  slim_tar=$(rootfs "$SUITE" arm64 slim)
  dir=$(disk_dir "$node_tar" "$slim_tar")
  if [ -s "$dir/disk.img" ]; then
    lab_say "cached VM disk $dir"
  else
    mkdir -p "$LAB_CACHE/vm"
    lab_say "build the VM disk (cached afterwards in $dir)"
    "$here/vm/build-disk.sh" "$node_tar" "$slim_tar" "$dir"
    lab_say "VM disk built in $((SECONDS - start)) s"
    # Disks of older keys are dead weight (1 GB each); a VM still running on
    # one keeps its open file.
    find "$LAB_CACHE/vm" -mindepth 1 -maxdepth 1 -type d -name "$SUITE-arm64-*" \
      ! -path "$dir" -exec rm -rf {} +
  fi
  printf '%s\n' "$dir"
}

lab_dir() { printf '%s\n' "$VM_STATE/$1"; }   # lab_dir LAB_NAME

# A pid file is only trusted while the process it names is the one expected:
# its command line holds WHAT (a pid may have been reused since).
pid_if() {  # pid_if PIDFILE WHAT -> pid, or nothing
  local pid
  pid=$(cat "$1" 2>/dev/null) || return 0
  [ -n "$pid" ] && tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | grep -qF -- "$2" &&
    printf '%s\n' "$pid"
  return 0
}

# QEMU running this lab's VM (HOST.pid in the lab's directory).
vm_pid() { pid_if "$1" "-name $(basename "$(dirname "$1")")-$(basename "$1" .pid) "; }

free_port() {  # a TCP port nothing listens on, from 127.0.0.1
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

ssh_opts() {
  printf '%s\n' -i "$LAB_OUT/id_ed25519" -o BatchMode=yes -o ConnectTimeout=5 \
    -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR
}

start_vm() {  # start_vm DISK_DIR INDEX COUNT
  local disk=$1 i=$2 n=$3 host=$LAB_HOST_PREFIX$2 dir mem cpus ssh_port https_port http_port direct_port
  local -a net=()
  dir=$(lab_dir "$LAB_NAME")
  mem=${VM_MEM:-$(( n == 1 ? 2048 : 1024 ))}
  cpus=${VM_CPUS:-$(( n == 1 ? 2 : 1 ))}
  qemu-img create -q -f qcow2 -F raw -b "$disk/disk.img" "$dir/$host.qcow2"
  # The device tree QEMU makes for exactly this machine, with a Pi's model.
  local -a machine=(-M virt -cpu cortex-a72 -smp "$cpus" -m "$mem")
  qemu-system-aarch64 "${machine[@]}" -machine dumpdtb="$dir/$host.dtb" -display none >/dev/null 2>&1
  [ -s "$dir/$host.dtb" ] || lab_die "qemu-system-aarch64 could not dump the virt device tree"
  [ -z "$VM_MODEL" ] || fdtput -t s "$dir/$host.dtb" / model "$VM_MODEL"
  ssh_port=$(free_port) https_port=$(free_port) http_port=$(free_port) direct_port=$(free_port)
  local fwd="hostfwd=tcp:127.0.0.1:$ssh_port-:22" mac mcast
  fwd+=",hostfwd=tcp:127.0.0.1:$https_port-:443,hostfwd=tcp:127.0.0.1:$http_port-:80"
  # 8443: where `make bench` runs Caddy directly, beside the stack, to compare.
  fwd+=",hostfwd=tcp:127.0.0.1:$direct_port-:8443"
  # romfile= : no iPXE option ROM (the kernel is booted directly), so the
  # host needs no ipxe-qemu package.
  mac=$(printf '52:54:00:77:%%02x:%02x' "$i")
  # shellcheck disable=SC2059 # mac is the format, with the NIC's number to fill in
  net=(-netdev "user,id=n0,$fwd" -device "virtio-net-pci,netdev=n0,romfile=,mac=$(printf "$mac" 0)")
  if ((n > 1)); then
    # One LAN between the VMs: every QEMU of this lab joins one multicast group.
    mcast=$(( 20000 + $(cksum <<<"$LAB_NAME" | cut -d' ' -f1) % 10000 ))
    # shellcheck disable=SC2059
    net+=(-netdev "socket,id=n1,mcast=230.0.0.1:$mcast" -device "virtio-net-pci,netdev=n1,romfile=,mac=$(printf "$mac" 1)")
  fi
  # What this machine's "firmware" puts before cmdline.txt's line. apparmor=0:
  # Raspberry Pi OS kernels run without AppArmor; Debian's arm64 kernel turns
  # it on, and docker.io without the apparmor package (a Recommends the disk
  # leaves out) then cannot start any container. net.ifnames=0: the virtio
  # NICs are eth0 and eth1, as a Pi's are. kpti=0: a Cortex-A72 is not
  # affected by Meltdown, and the kernel isolates its page tables only to hide
  # where KASLR put it; under TCG each of those switches (two per syscall)
  # flushes QEMU's TLB: find and tar ran 3.5-6 times slower with it.
  local firmware="apparmor=0 net.ifnames=0 kpti=0 systemd.hostname=$host"
  ((n == 1)) || firmware+=" pifleet.lan=192.168.77.$((10 + i))/24"
  printf '%s\n' "$firmware" >"$dir/$host.firmware"
  printf '{"host": "%s", "ssh_port": %s, "https_port": %s, "http_port": %s, "direct_port": %s, "lan": "%s", "console": "%s", "cmdlines": "%s"}\n' \
    "$host" "$ssh_port" "$https_port" "$http_port" "$direct_port" "$( ((n == 1)) || echo "192.168.77.$((10 + i))")" \
    "$dir/$host.console.log" "$dir/$host.cmdlines" >"$dir/$host.json"
  # The boot partition, the VM's own (the guest writes to it).
  cp "$disk/boot.img" "$dir/$host.boot.img"
  # QEMU's arguments but -append, one per line, for the supervisor.
  # -no-reboot: a guest reboot ends QEMU; the supervisor boots it again.
  # cache=unsafe: the overlay is thrown away. The console log is appended
  # to across boots (append=on).
  printf '%s\n' qemu-system-aarch64 "${machine[@]}" -accel tcg,thread=multi,tb-size=256 \
    -name "$LAB_NAME-$host" -no-reboot \
    -kernel "$disk/vmlinuz" -initrd "$disk/initrd.img" -dtb "$dir/$host.dtb" \
    -drive "file=$dir/$host.qcow2,if=none,format=qcow2,id=hd0,cache=unsafe" \
    -device virtio-blk-pci,drive=hd0 \
    -drive "file=$dir/$host.boot.img,if=none,format=raw,id=hd1" \
    -device virtio-blk-pci,drive=hd1 \
    "${net[@]}" \
    -display none -chardev "file,id=console,path=$dir/$host.console.log,append=on" \
    -serial chardev:console -monitor none \
    -pidfile "$dir/$host.pid" >"$dir/$host.qemu"
  setsid "$here/vm.sh" supervise "$dir" "$host" </dev/null >>"$dir/$host.supervisor.log" 2>&1 &
  printf '%s\n' "$!" >"$dir/$host.supervisor.pid"
  # Until QEMU runs (it writes its pid file), or say why it did not.
  local waited
  for waited in $(seq 1 60); do
    [ -z "$(vm_pid "$dir/$host.pid")" ] || return 0
    [ -n "$(supervisor_pid "$dir/$host.supervisor.pid")" ] || break
    sleep 0.5
  done
  lab_die "$host: QEMU did not start: $(tail -n 5 "$dir/$host.supervisor.log" 2>/dev/null)"
}

# supervise DIR HOST: the VM's firmware, for as long as it runs. Before each
# boot: the first line of cmdline.txt from the FAT image (mtype: no mount),
# logged to HOST.cmdlines; then QEMU in the foreground until the guest
# reboots (-no-reboot ends QEMU). A guest that powered off ("reboot: Power
# down" on its console since that boot) stays off, as a Pi does; `down`
# stops the supervisor before QEMU.
cmd_supervise() {
  local dir=$1 host=$2 line firmware offset rc boots=0
  local -a qemu
  mapfile -t qemu <"$dir/$host.qemu"
  read -r firmware <"$dir/$host.firmware"
  while :; do
    line=$(mtype -i "$dir/$host.boot.img" ::cmdline.txt) ||
      lab_die "$host: cannot read cmdline.txt from $dir/$host.boot.img"
    line=${line%%$'\n'*} line=${line//$'\r'/}
    [ -n "$line" ] || lab_die "$host: cmdline.txt on the boot partition is empty: nothing to boot with"
    boots=$((boots + 1))
    printf '%s\n' "$line" >>"$dir/$host.cmdlines"
    lab_say "$host: boot $boots with: $firmware $line"
    offset=$(stat -c %s "$dir/$host.console.log" 2>/dev/null || echo 0)
    rc=0
    "${qemu[@]}" -append "$firmware $line" || rc=$?
    ((rc == 0)) || lab_die "$host: QEMU exited with $rc (see $dir/$host.supervisor.log)"
    if [ "$(tail -c +"$((offset + 1))" "$dir/$host.console.log" | grep -c 'reboot: Power down' || :)" != 0 ]; then
      lab_say "$host: the guest powered off; it stays off"
      return 0
    fi
  done
}

wait_ssh() {  # wait_ssh HOST... : until each answers over SSH as pi with sudo
  local deadline=$(( SECONDS + ${LAB_SSH_TIMEOUT:-300} )) pending=("$@") next host port
  local -a opts
  mapfile -t opts < <(ssh_opts)
  while ((${#pending[@]})); do
    next=()
    for host in "${pending[@]}"; do
      port=$(json_field "$host" ssh_port)
      ssh "${opts[@]}" -p "$port" pi@127.0.0.1 sudo -n true 2>/dev/null </dev/null || next+=("$host")
    done
    pending=("${next[@]}")
    ((${#pending[@]})) || break
    ((SECONDS < deadline)) ||
      lab_die "no SSH on: ${pending[*]} (console: $(lab_dir "$LAB_NAME")/${pending[0]}.console.log)"
    sleep 2
  done
}

json_field() {  # json_field HOST FIELD
  python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' \
    "$(lab_dir "$LAB_NAME")/$1.json" "$2"
}

write_inventory() {  # write_inventory HOST...
  local host i=0 n=$# out_m="" out_w="" line
  for host in "$@"; do
    i=$((i + 1))
    line="        $host:"$'\n'"          ansible_port: $(json_field "$host" ssh_port)"$'\n'
    [ "$n" = 1 ] || line+="          swarm_advertise_interface: eth1"$'\n'
    if ((i <= LAB_MANAGERS)); then out_m+=$line; else out_w+=$line; fi
  done
  {
    echo "# Written by lab/vm.sh for the VM lab '$LAB_NAME'; rewritten by every up."
    echo "# aarch64 VMs under QEMU, reached over SSH as 'pi' on forwarded ports of 127.0.0.1."
    echo "all:"
    echo "  vars:"
    echo "    ansible_host: 127.0.0.1"
    echo "    ansible_user: pi"
    echo "    ansible_ssh_private_key_file: $LAB_OUT/id_ed25519"
    echo "    ansible_ssh_common_args: -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR"
    echo "    ansible_python_interpreter: /usr/bin/python3"
    echo "    # A real kernel: boot_id changes at every reboot (node_reboot_boot_time_command stays default)."
    echo "    # Offline: Debian's docker.io, baked into the disk (the docker role configures it)."
    echo "    docker_engine_source: distro"
    echo "    # The kernel has IPVS: the ingress routing mesh and service VIPs work here."
    echo "    caddy_publish_mode: ingress"
    echo "    # Emulation runs the PHP probe 10-20 times slower than a Pi: probes that"
    echo "    # time out would have Swarm replace healthy tasks forever."
    echo "    caddy_healthcheck_timeout: 60s"
    echo "    caddy_healthcheck_interval: 30s"
    echo "    caddy_healthcheck_start_period: 120s"
    echo "    caddy_root_ca_dest: $LAB_OUT/root-ca.crt"
    echo "  children:"
    echo "    swarm_managers:"
    if [ -n "$out_m" ]; then printf '      hosts:\n%s' "$out_m"; else echo "      hosts: {}"; fi
    echo "    swarm_workers:"
    if [ -n "$out_w" ]; then printf '      hosts:\n%s' "$out_w"; else echo "      hosts: {}"; fi
  } >"$LAB_OUT/inventory.yml.part"
  mv "$LAB_OUT/inventory.yml.part" "$LAB_OUT/inventory.yml"
  # The same as data, for scripts and molecule.
  {
    printf '['
    i=0
    for host in "$@"; do
      ((i++)) && printf ','
      printf '\n  {"host": "%s", "name": "%s", "address": "127.0.0.1", "user": "pi", %s' \
        "$host" "$LAB_NAME-$host" "$(sed 's/^{"host": "[^"]*", //' "$(lab_dir "$LAB_NAME")/$host.json")"
    done
    printf '\n]\n'
  } >"$LAB_OUT/nodes.json"
}

cmd_up() {
  local n=${1:-1} i disk dir start=$SECONDS hosts=()
  if ! [[ "$n" =~ ^[0-9]+$ ]] || ((n < 1 || n > VM_MAX)); then
    lab_die "N must be a whole number from 1 to $VM_MAX (got '$n'); nothing was changed"
  fi
  if ! [[ "$LAB_MANAGERS" =~ ^[0-9]+$ ]] || ((LAB_MANAGERS < 1 || LAB_MANAGERS > n)); then
    lab_die "LAB_MANAGERS must be a whole number from 1 to N=$n (got '$LAB_MANAGERS'); nothing was changed"
  fi
  disk=$(cmd_build)
  cmd_down_one "$LAB_NAME"
  dir=$(lab_dir "$LAB_NAME")
  mkdir -p "$dir" "$LAB_OUT"
  install -m 0600 "$disk/id_ed25519" "$LAB_OUT/id_ed25519"
  install -m 0644 "$disk/id_ed25519.pub" "$LAB_OUT/id_ed25519.pub"
  for ((i = 1; i <= n; i++)); do
    start_vm "$disk" "$i" "$n"
    hosts+=("$LAB_HOST_PREFIX$i")
  done
  wait_ssh "${hosts[@]}"
  write_inventory "${hosts[@]}"
  lab_say "$n VM(s) up in $((SECONDS - start)) s; inventory: $LAB_OUT/inventory.yml"
}

# `vm.sh supervise` of that very VM (HOST.supervisor.pid).
supervisor_pid() { pid_if "$1" "vm.sh supervise $(dirname "$1") $(basename "$1" .supervisor.pid) "; }

cmd_down_one() {  # cmd_down_one LAB_NAME : stop its VMs by pid file, drop overlays
  local dir pidfile pid waited
  dir=$(lab_dir "$1")
  [ -d "$dir" ] || return 0
  # The supervisors first, or they would boot the VMs again.
  for pidfile in "$dir"/*.supervisor.pid; do
    [ -e "$pidfile" ] || continue
    pid=$(supervisor_pid "$pidfile")
    [ -z "$pid" ] || kill "$pid" 2>/dev/null || :
    rm -f "$pidfile"
  done
  for pidfile in "$dir"/*.pid; do
    [ -e "$pidfile" ] || continue
    pid=$(vm_pid "$pidfile")
    if [ -n "$pid" ]; then
      kill "$pid" 2>/dev/null || :
      for waited in $(seq 1 20); do
        kill -0 "$pid" 2>/dev/null || break
        [ "$waited" = 20 ] && kill -9 "$pid" 2>/dev/null
        sleep 0.5
      done
    fi
    rm -f "$pidfile"
  done
  rm -rf "$dir"
}

cmd_down() {
  local d
  if [ "${1:-}" = --all ]; then
    for d in "$VM_STATE"/"$LAB_PREFIX"-*; do
      [ -d "$d" ] && cmd_down_one "$(basename "$d")"
    done
  else
    cmd_down_one "$LAB_NAME"
  fi
  return 0
}

cmd_ls() {
  local d pidfile pid
  printf '%-32s %-8s %s\n' VM PID STATE
  for d in "$VM_STATE"/"$LAB_PREFIX"-*; do
    [ -d "$d" ] || continue
    for pidfile in "$d"/*.pid; do
      [ -e "$pidfile" ] || continue
      [[ "$pidfile" != *.supervisor.pid ]] || continue
      pid=$(vm_pid "$pidfile")
      printf '%-32s %-8s %s\n' "$(basename "$d")-$(basename "$pidfile" .pid)" "${pid:--}" \
        "$([ -n "$pid" ] && echo running || echo gone)"
    done
  done
}

case "${1:-}" in
  build) cmd_build ;;
  up) shift; cmd_up "$@" ;;
  down) shift; cmd_down "$@" ;;
  ls) cmd_ls ;;
  supervise) shift; cmd_supervise "$@" ;;
  *) lab_die "usage: vm.sh build | up [N] | down [--all] | ls" ;;
esac
