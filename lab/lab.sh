#!/usr/bin/env bash
# The lab: a fleet of Pi-like nodes as containers on the host engine, reached
# over SSH like real Pis.
#
#   lab/lab.sh up [N]        start N nodes (default 3), write the inventory
#   lab/lab.sh down [--all]  remove this lab (LAB_NAME), or every lab, with
#                            its containers, networks and volumes
#   lab/lab.sh recreate HOST destroy HOST and start it again blank (new volume)
#   lab/lab.sh load HOST IMAGE [NAME]
#                            stream an image of the host engine into HOST's
#                            inner engine (docker save | docker load), tagged
#                            NAME there; what a registry pull would give a Pi
#   lab/lab.sh ls            list what the labs have on the engine
#
# Settings (environment):
#   LAB_NAME      name of this lab, prefix of all it creates   (pifleet-lab)
#   LAB_IMAGE     node image for every node                    (trixie)
#   LAB_IMAGES    per-node images, space separated; the last one repeats
#   LAB_MANAGERS  how many of the first nodes are swarm_managers (1)
#   LAB_HOST_PREFIX  inventory names are PREFIX1..PREFIXN     (pi)
#   LAB_OUT       where inventory.yml, nodes.json and the SSH key go
#                 (build/lab/$LAB_NAME in the repository)
#   LAB_MAX       the largest N accepted                       (24)
#   LAB_SEED      1: give every node the debian:bookworm-slim base the image
#                 recipes start from, loaded when its engine starts, as a
#                 registry pull would on a Pi that is online      (1)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lab/lib.sh
. "$here/lib.sh"

LAB_NAME=${LAB_NAME:-$LAB_PREFIX}
LAB_IMAGE=${LAB_IMAGE:-trixie}
LAB_IMAGES=${LAB_IMAGES:-$LAB_IMAGE}
LAB_MANAGERS=${LAB_MANAGERS:-1}
LAB_HOST_PREFIX=${LAB_HOST_PREFIX:-pi}
LAB_OUT=${LAB_OUT:-$(cd "$here/.." && pwd)/build/lab/$LAB_NAME}
LAB_MAX=${LAB_MAX:-24}
LAB_SEED=${LAB_SEED:-1}
SEED_DIR=$LAB_CACHE/seed
LABEL=org.pifleet.lab

case "$LAB_NAME" in
  "$LAB_PREFIX"|"$LAB_PREFIX"-*) ;;
  *) lab_die "LAB_NAME must start with '$LAB_PREFIX' (got '$LAB_NAME'): lab-down removes only what carries it" ;;
esac
[[ "$LAB_NAME" =~ ^[a-z0-9][a-z0-9-]*$ ]] || lab_die "LAB_NAME '$LAB_NAME' may hold only a-z, 0-9 and '-'"

# Flags that give a systemd + Docker-in-Docker container what it needs on a
# kernel that refuses --privileged (its bounding set lacks CAP_SYS_RESOURCE).
RUN_FLAGS=(
  --cap-add ALL --cap-drop SYS_RESOURCE --cgroupns private
  --security-opt seccomp=unconfined --security-opt apparmor=unconfined
  --security-opt systempaths=unconfined
  --device /dev/fuse --device /dev/net/tun
  --tmpfs /run --tmpfs /run/lock
)

image_for() {  # image_for INDEX(1-based) -> variant
  local -a list
  read -r -a list <<<"$LAB_IMAGES"
  local i=$(( $1 - 1 ))
  (( i < ${#list[@]} )) || i=$(( ${#list[@]} - 1 ))
  printf '%s\n' "${list[$i]#node:}"
}

ssh_opts() {
  printf '%s\n' -i "$LAB_OUT/id_ed25519" -o BatchMode=yes -o ConnectTimeout=3 \
    -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR
}

SEED_MOUNT=()
prepare_seed() {  # the base images every node's engine loads (lab-seed-images)
  [ "$LAB_SEED" = 1 ] || return 0
  local image=$LAB_PREFIX/debian:bookworm-slim-amd64 id tar
  "$here/images.sh" slim-bookworm-amd64
  id=$(docker image inspect -f '{{ .Id }}' "$image" | cut -d: -f2 | cut -c1-12)
  tar=$SEED_DIR/debian-bookworm-slim-amd64.tar
  if [ "$(cat "$SEED_DIR/.id" 2>/dev/null)" != "$id" ]; then
    mkdir -p "$SEED_DIR"
    docker save "$image" -o "$tar.part.$$" && mv "$tar.part.$$" "$tar"
    echo "$id" >"$SEED_DIR/.id"
  fi
  SEED_MOUNT=(-v "$SEED_DIR:/var/lib/pifleet-lab/seed:ro")
}

# The lab's bridge, with a subnet of its own. Docker picks a free one; the
# network is then made again with that subnet written down, because only a
# network with a configured subnet lets each node keep a fixed address.
# Without one, nodes that restart together (the node role reboots them all)
# can come back with each other's addresses, and the inventory then reaches
# pi1 at what is now pi4: the Swarm formed on the wrong containers.
create_network() {
  local subnet try
  for try in 1 2 3; do
    docker network create --label "$LABEL=$LAB_NAME" "$LAB_NAME-net" >/dev/null
    subnet=$(docker network inspect -f '{{ (index .IPAM.Config 0).Subnet }}' "$LAB_NAME-net")
    docker network rm "$LAB_NAME-net" >/dev/null
    # Another network may take the subnet in between: pick again.
    docker network create --label "$LABEL=$LAB_NAME" --subnet "$subnet" "$LAB_NAME-net" >/dev/null 2>&1 && return 0
    lab_say "subnet $subnet was taken meanwhile (try $try of 3)"
  done
  lab_die "could not create the network $LAB_NAME-net with a subnet of its own"
}

node_address() {  # node_address HOST : the fixed address of HOST (piN -> .N+1 of the subnet)
  local subnet index
  subnet=$(docker network inspect -f '{{ (index .IPAM.Config 0).Subnet }}' "$LAB_NAME-net")
  index=${1#"$LAB_HOST_PREFIX"}
  [[ "$index" =~ ^[0-9]+$ ]] || lab_die "host '$1' does not end in a number"
  IFS=. read -r a b c d <<<"${subnet%/*}"
  printf '%s.%s.%s.%s\n' "$a" "$b" "$c" "$((d + 1 + index))"
}

start_node() {  # start_node HOST VARIANT
  local host=$1 variant=$2 cname=$LAB_NAME-$1 vol=$LAB_NAME-$1-docker
  docker volume create --label "$LABEL=$LAB_NAME" "$vol" >/dev/null
  # A reboot inside a node ends its systemd; the restart policy brings the
  # container back up, as a Pi comes back after `reboot`, at the same address.
  docker run -d --restart unless-stopped --name "$cname" --hostname "$host" \
    --network "$LAB_NAME-net" --network-alias "$host" --ip "$(node_address "$host")" \
    --label "$LABEL=$LAB_NAME" --label "$LABEL.host=$host" --label "$LABEL.image=$variant" \
    "${RUN_FLAGS[@]}" \
    -v "$vol:/var/lib/docker" \
    -v "$LAB_OUT/id_ed25519.pub:/home/pi/.ssh/authorized_keys:ro" \
    -v "$LAB_OUT/id_ed25519.pub:/root/.ssh/authorized_keys:ro" \
    "${SEED_MOUNT[@]}" \
    "$LAB_PREFIX/node:$variant" >/dev/null
}

remove_node() {  # remove_node HOST
  docker rm -f -v "$LAB_NAME-$1" >/dev/null 2>&1 || :
  docker volume rm "$LAB_NAME-$1-docker" >/dev/null 2>&1 || :
}

node_variant() {
  docker inspect -f "{{ index .Config.Labels \"$LABEL.image\" }}" "$LAB_NAME-$1"
}

node_user() {  # see write_inventory: emulated nodes are reached as root
  case "$(node_variant "$1")" in *-arm64|*-pios32) echo root ;; *) echo pi ;; esac
}

node_ip() {
  docker inspect -f "{{ (index .NetworkSettings.Networks \"$LAB_NAME-net\").IPAddress }}" "$LAB_NAME-$1"
}

wait_ssh() {  # wait_ssh HOST... : until each answers over SSH as pi with sudo
  local deadline=$(( SECONDS + ${LAB_SSH_TIMEOUT:-180} )) pending=("$@") next host
  local -a opts
  mapfile -t opts < <(ssh_opts)
  while ((${#pending[@]})); do
    next=()
    for host in "${pending[@]}"; do
      ssh "${opts[@]}" "$(node_user "$host")@$(node_ip "$host")" sudo -n true 2>/dev/null || next+=("$host")
    done
    pending=("${next[@]}")
    ((${#pending[@]})) || break
    ((SECONDS < deadline)) || lab_die "no SSH on: ${pending[*]} (docker logs $LAB_NAME-${pending[0]})"
    sleep 1
  done
}

write_inventory() {  # from the running containers of this lab
  local hosts host i=0 variant
  mapfile -t hosts < <(docker ps --filter "label=$LABEL=$LAB_NAME" --format "{{ .Label \"$LABEL.host\" }}" |
    sed "s/^$LAB_HOST_PREFIX//" | sort -n | sed "s/^/$LAB_HOST_PREFIX/")
  group_hosts() {  # group_hosts GROUP : its hosts as inventory YAML lines
    local i=0 host out=""
    for host in "${hosts[@]}"; do
      i=$((i + 1))
      if { [ "$1" = swarm_managers ] && ((i <= LAB_MANAGERS)); } ||
         { [ "$1" = swarm_workers ] && ((i > LAB_MANAGERS)); }; then
        out+="        $host:"$'\n'"          ansible_host: $(node_ip "$host")"$'\n'
        # Under qemu-user the kernel ignores the setuid bit of emulated binaries
        # (Debian registers qemu-aarch64/qemu-arm without the binfmt C flag), so
        # sudo cannot work on the ARM nodes: they are reached as root instead.
        [ "$(node_user "$host")" = pi ] || out+="          ansible_user: root"$'\n'
      fi
    done
    if [ -n "$out" ]; then printf '      hosts:\n%s' "$out"; else printf '      hosts: {}\n'; fi
  }
  {
    echo "# Written by lab/lab.sh for the lab '$LAB_NAME'; rewritten by every lab-up."
    echo "# Nodes are reached over SSH as 'pi' with a key made for this lab, like real Pis."
    echo "all:"
    echo "  vars:"
    echo "    ansible_user: pi"
    echo "    ansible_ssh_private_key_file: $LAB_OUT/id_ed25519"
    echo "    # Lab nodes get new host keys whenever they are recreated."
    echo "    ansible_ssh_common_args: -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR"
    echo "    ansible_python_interpreter: /usr/bin/python3"
    echo "    # Lab nodes share the host's kernel: boot_id survives their reboot, PID 1's start time does not."
    echo "    node_reboot_boot_time_command: cut -d' ' -f22 /proc/1/stat"
    echo "    # Offline: Docker's own apt repository is out of reach, Debian's docker.io is not."
    echo "    docker_engine_source: distro"
    echo "    # Where the web stack's CA root lands, for curl --cacert."
    echo "    caddy_root_ca_dest: $LAB_OUT/root-ca.crt"
    echo "  children:"
    echo "    swarm_managers:"
    group_hosts swarm_managers
    echo "    swarm_workers:"
    group_hosts swarm_workers
  } >"$LAB_OUT/inventory.yml.part"
  mv "$LAB_OUT/inventory.yml.part" "$LAB_OUT/inventory.yml"
  # The same as data, for scripts and molecule: host, container, address, image.
  {
    printf '['
    i=0
    for host in "${hosts[@]}"; do
      variant=$(node_variant "$host")
      ((i++)) && printf ','
      printf '\n  {"host": "%s", "container": "%s", "address": "%s", "user": "%s", "image": "%s"}' \
        "$host" "$LAB_NAME-$host" "$(node_ip "$host")" "$(node_user "$host")" "$variant"
    done
    printf '\n]\n'
  } >"$LAB_OUT/nodes.json"
}

cmd_up() {
  local n=${1:-${N:-3}} i host variants=()
  if ! [[ "$n" =~ ^[0-9]+$ ]] || ((n < 1 || n > LAB_MAX)); then
    lab_die "N must be a whole number from 1 to $LAB_MAX (got '$n'); nothing was changed"
  fi
  if ! [[ "$LAB_MANAGERS" =~ ^[0-9]+$ ]] || ((LAB_MANAGERS < 1 || LAB_MANAGERS > n)); then
    lab_die "LAB_MANAGERS must be a whole number from 1 to N=$n (got '$LAB_MANAGERS'); nothing was changed"
  fi
  for ((i = 1; i <= n; i++)); do variants+=("$(image_for "$i")"); done
  "$here/host-engine.sh"
  # shellcheck disable=SC2046 # one word per variant
  "$here/images.sh" $(printf '%s\n' "${variants[@]}" | sort -u)

  prepare_seed
  cmd_down_one
  mkdir -p "$LAB_OUT"
  [ -s "$LAB_OUT/id_ed25519" ] ||
    ssh-keygen -q -t ed25519 -N '' -C "$LAB_NAME" -f "$LAB_OUT/id_ed25519"
  create_network
  for ((i = 1; i <= n; i++)); do start_node "$LAB_HOST_PREFIX$i" "${variants[$((i - 1))]}"; done
  mapfile -t hosts < <(for ((i = 1; i <= n; i++)); do echo "$LAB_HOST_PREFIX$i"; done)
  wait_ssh "${hosts[@]}"
  write_inventory
  lab_say "$n node(s) up; inventory: $LAB_OUT/inventory.yml"
}

cmd_recreate() {
  local host=${1:?usage: lab.sh recreate HOST} variant
  variant=$(node_variant "$host" 2>/dev/null) ||
    lab_die "no node '$host' in lab '$LAB_NAME'"
  prepare_seed
  remove_node "$host"
  start_node "$host" "$variant"
  wait_ssh "$host"
  write_inventory
  lab_say "$host recreated blank at $(node_ip "$host")"
}

cmd_load() {
  local host=${1:?usage: lab.sh load HOST IMAGE [NAME]} image=${2:?usage: lab.sh load HOST IMAGE [NAME]}
  local name=${3:-$2} cname=$LAB_NAME-$1
  docker inspect "$cname" >/dev/null 2>&1 || lab_die "no node '$host' in lab '$LAB_NAME'"
  docker image inspect "$image" >/dev/null 2>&1 || lab_die "no image '$image' on the host engine"
  docker exec "$cname" docker info >/dev/null 2>&1 || lab_die "$host has no running Docker Engine"
  docker save "$image" | docker exec -i "$cname" docker load -q >/dev/null
  [ "$name" = "$image" ] || docker exec "$cname" docker tag "$image" "$name"
  [ "$name" = "$image" ] || docker exec "$cname" docker rmi -f "$image" >/dev/null
  lab_say "$host: loaded $image as $name"
}

remove_labelled() {  # remove_labelled FILTER : containers, then networks, then volumes
  local -a ids
  mapfile -t ids < <(docker ps -aq --filter "$1")
  ((${#ids[@]} == 0)) || docker rm -f -v "${ids[@]}" >/dev/null
  mapfile -t ids < <(docker network ls -q --filter "$1")
  ((${#ids[@]} == 0)) || docker network rm "${ids[@]}" >/dev/null
  mapfile -t ids < <(docker volume ls -q --filter "$1")
  ((${#ids[@]} == 0)) || docker volume rm "${ids[@]}" >/dev/null
}

cmd_down_one() { remove_labelled "label=$LABEL=$LAB_NAME"; }

cmd_down() {
  # Quiet and successful when nothing is up, or when there is no engine at all.
  docker info >/dev/null 2>&1 || return 0
  if [ "${1:-}" = --all ]; then remove_labelled "label=$LABEL"; else cmd_down_one; fi
}

cmd_ls() {
  docker ps -a --filter "label=$LABEL" --format 'table {{.Names}}\t{{.Status}}\t{{.Image}}'
}

case "${1:-}" in
  up) shift; cmd_up "$@" ;;
  down) shift; cmd_down "$@" ;;
  recreate) shift; cmd_recreate "$@" ;;
  load) shift; cmd_load "$@" ;;
  ls) cmd_ls ;;
  *) lab_die "usage: lab.sh up [N] | down [--all] | recreate HOST | load HOST IMAGE [NAME] | ls" ;;
esac
