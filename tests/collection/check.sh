#!/usr/bin/env bash
# The collection as users get it: build the tarball, install it into an empty
# collections path, and use it from there (docs render, module and role run).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cd "$root"
ansible-galaxy collection build --output-path "$work" >/dev/null
tarball=$(ls "$work"/pifleet-swarm-*.tar.gz)
echo "built $(basename "$tarball") ($(du -k "$tarball" | cut -f1) KiB)" >&2

# Nothing from the working tree's scratch space may ship.
if tar -tzf "$tarball" | grep -E '^(\.venv|build|\.ansible|\.ci)/|__pycache__|\.molecule/'; then
  echo "FAIL: the tarball carries files that must not ship (above)" >&2
  exit 1
fi
for f in galaxy.yml MANIFEST.json meta/runtime.yml plugins/modules/node_facts.py roles/node/meta/argument_specs.yml; do
  [ "$f" = galaxy.yml ] && continue
  tar -tzf "$tarball" | grep -x "$f" >/dev/null || { echo "FAIL: $f missing from the tarball" >&2; exit 1; }
done

# --no-deps: community.docker comes from the venv's `ansible` package (Galaxy
# is not reachable), found on sys.path as for any user of that package.
ANSIBLE_COLLECTIONS_PATH=$work/collections \
  ansible-galaxy collection install --no-deps -p "$work/collections" "$tarball" >/dev/null
# An empty config: none of the checkout's settings (collections_path) apply.
: >"$work/ansible.cfg"
export ANSIBLE_COLLECTIONS_PATH=$work/collections ANSIBLE_CONFIG=$work/ansible.cfg
cd "$work"

ansible-doc pifleet.swarm.node_facts | grep 'cmdline_paths' >/dev/null ||
  { echo "FAIL: ansible-doc pifleet.swarm.node_facts does not render" >&2; exit 1; }
ansible-doc -t role pifleet.swarm.node | grep 'node_cmdline_paths' >/dev/null ||
  { echo "FAIL: ansible-doc -t role pifleet.swarm.node does not render" >&2; exit 1; }

cat >"$work/play.yml" <<'PLAY'
- name: Use the installed collection
  hosts: localhost
  connection: local
  gather_facts: false
  roles:
    - pifleet.swarm.node
  tasks:
    - name: The role published node facts
      ansible.builtin.assert:
        that: node_facts.arch in ['x86_64', 'aarch64', 'armv7l', 'armv6l']
PLAY
out=$(ansible-playbook -i localhost, -e ansible_python_interpreter=/usr/bin/python3 "$work/play.yml" 2>&1) || { echo "$out" >&2; exit 1; }
grep -q 'ok=3 .*failed=0' <<<"$out" || { echo "$out" >&2; echo "FAIL: play did not run clean" >&2; exit 1; }
# The checkout must not be what answered: the installed copy was used.
ansible-doc -l pifleet.swarm 2>/dev/null | grep node_facts >/dev/null
ansible-galaxy collection list pifleet.swarm -p "$work/collections" 2>/dev/null | grep "$work/collections" >/dev/null
echo "collection: built, installed into a clean path and used from there: ok"
