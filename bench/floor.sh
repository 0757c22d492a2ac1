#!/usr/bin/env bash
# The raw floor: the end state of site.yml (memory cgroup on, docker.io, a
# Swarm, the Caddy + PHP-FPM demo over HTTPS) reached with shell commands over
# SSH only, every step run on all nodes at once. Nothing checks, nothing is
# idempotent: this is the least work the machine must do, the floor the
# playbooks are compared with. It uses the plain way's stack file and Caddyfile.
#
#   bench/floor.sh LAB_DIR PKI_DIR
#     LAB_DIR  build/lab/<name> of a fresh lab (nodes.json, id_ed25519)
#     PKI_DIR  where the CA and the site certificate are made (ca.crt for curl)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
lab=${1:?usage: floor.sh LAB_DIR PKI_DIR}
pki=${2:?usage: floor.sh LAB_DIR PKI_DIR}
site=demo.pifleet.lan

ssh_opts=(-i "$lab/id_ed25519" -o BatchMode=yes -o ConnectTimeout=5
  -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR
  -o ServerAliveInterval=5 -o ServerAliveCountMax=3)
mapfile -t hosts < <(python3 -c 'import json,sys; [print(n["host"]) for n in json.load(open(sys.argv[1]))]' "$lab/nodes.json")
mapfile -t addrs < <(python3 -c 'import json,sys; [print(n["user"] + "@" + n["address"]) for n in json.load(open(sys.argv[1]))]' "$lab/nodes.json")
manager=${addrs[0]}
manager_ip=${manager#*@}

on() {  # on USER@ADDR COMMAND... : one command on one node, as root
  local to=$1
  shift
  # ssh joins its arguments into one remote command line: quote each word
  # here, on the client side, on purpose.
  # shellcheck disable=SC2029
  ssh "${ssh_opts[@]}" "$to" "sudo -n $(printf '%q ' "$@")"
}

on_all() {  # on_all COMMAND... : on every node at once; fails if any failed
  local to pids=() rc=0 pid
  for to in "${addrs[@]}"; do
    on "$to" "$@" &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid" || rc=1; done
  return "$rc"
}

wait_ssh() {  # until every node answers again (after the reboot), at most 180 s
  local deadline=$((SECONDS + 180)) to
  for to in "${addrs[@]}"; do
    until on "$to" true 2>/dev/null; do
      ((SECONDS < deadline)) || { echo "floor: $to did not come back" >&2; return 1; }
      sleep 1
    done
  done
}

say() { printf '[floor] %s %s\n' "$(date +%T)" "$*" >&2; }

say "memory cgroup + docker.io on ${#addrs[@]} node(s)"
# One line: printf %q would turn a newline into bash-only $'...' quoting.
cmdline="grep -q cgroup_enable=memory /boot/firmware/cmdline.txt || sed -i '1s/[[:space:]]*\$/ cgroup_enable=memory/' /boot/firmware/cmdline.txt"
install="apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io >/dev/null"
on_all sh -c "{ $cmdline; } && $install"

say "reboot for the kernel command line"
# The SSH session ends with the node: its exit status says nothing.
on_all systemctl reboot || :
sleep 3
wait_ssh
# dockerd starts at boot; wait for its socket on every node (bounded).
on_all sh -c "for i in \$(seq 1 60); do docker info >/dev/null 2>&1 && exit 0; sleep 1; done; exit 1"

say "images: build on ${hosts[0]}, stream to the others"
for recipe in caddy:pifleet/caddy:2 php-fpm:pifleet/php-fpm:8; do
  tar -C "$root/roles/images/files/recipes/${recipe%%:*}" -c . | on "$manager" docker build -q -t "${recipe#*:}" - >/dev/null
done
pids=()
for to in "${addrs[@]:1}"; do
  on "$manager" docker save pifleet/caddy:2 pifleet/php-fpm:8 | on "$to" docker load -q >/dev/null &
  pids+=($!)
done
for pid in "${pids[@]}"; do wait "$pid"; done

say "swarm init on ${hosts[0]}, join the others"
on "$manager" docker swarm init --advertise-addr "$manager_ip" >/dev/null
token=$(on "$manager" docker swarm join-token -q worker)
pids=()
for to in "${addrs[@]:1}"; do
  on "$to" docker swarm join --advertise-addr "${to#*@}" --token "$token" "$manager_ip:2377" >/dev/null &
  pids+=($!)
done
for pid in "${pids[@]}"; do wait "$pid"; done

say "CA and site certificate, site files, stack deploy"
mkdir -p "$pki"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 3650 \
  -subj "/CN=floor demo root CA" -addext basicConstraints=critical,CA:TRUE \
  -addext keyUsage=critical,keyCertSign,cRLSign -keyout "$pki/ca.key" -out "$pki/ca.crt" 2>/dev/null
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=$site" \
  -keyout "$pki/site.key" -out "$pki/site.csr" 2>/dev/null
openssl x509 -req -in "$pki/site.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial \
  -days 825 -extfile <(printf 'subjectAltName=DNS:%s\n' "$site") -out "$pki/site.crt" 2>/dev/null
pids=()
for to in "${addrs[@]}"; do
  tar -C "$root/roles/caddy/files/demo" -c . |
    on "$to" sh -c "mkdir -p /srv/plain/sites/$site && tar -C /srv/plain/sites/$site -x --no-same-owner" &
  pids+=($!)
done
for pid in "${pids[@]}"; do wait "$pid"; done
tar -C "$here/plain/files" -c stack.yml Caddyfile -C "$pki" site.crt site.key |
  on "$manager" sh -c 'mkdir -p -m 0700 /etc/plain-web && tar -C /etc/plain-web -x --no-same-owner'
on "$manager" docker stack deploy --resolve-image never -c /etc/plain-web/stack.yml web >/dev/null
say "deployed; the driver waits for HTTPS on every node"
