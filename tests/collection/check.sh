#!/usr/bin/env bash
# The collection as users get it: build the tarball, install it into an empty
# collections path, and use it from there (docs render, module and role run).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

tarball=$("$root/tools/install-collection.sh" "$work")
echo "built $(basename "$tarball") ($(du -k "$tarball" | cut -f1) KiB)" >&2

# Nothing from the working tree's scratch space may ship.
if tar -tzf "$tarball" | grep -E '^(\.venv[^/]*|build|\.ansible|\.ci|tools|lab|requirements)/|__pycache__|\.molecule/'; then
  echo "FAIL: the tarball carries files that must not ship (above)" >&2
  exit 1
fi
for f in galaxy.yml MANIFEST.json meta/runtime.yml plugins/modules/node_facts.py roles/node/meta/argument_specs.yml; do
  [ "$f" = galaxy.yml ] && continue
  tar -tzf "$tarball" | grep -x "$f" >/dev/null || { echo "FAIL: $f missing from the tarball" >&2; exit 1; }
done

# The users' ansible.cfg, exactly as the README gives it (the ini block after
# its marker): none of the checkout's settings (collections_path) apply.
awk '/<!-- ansible.cfg for users/ {seen=1; next} seen && /^```ini/ {on=1; next} on && /^```/ {exit} on' \
  "$root/README.md" >"$work/ansible.cfg"
grep -q '^forks' "$work/ansible.cfg" || { echo "FAIL: no ansible.cfg block found in README.md" >&2; exit 1; }
export ANSIBLE_COLLECTIONS_PATH=$work/collections ANSIBLE_CONFIG=$work/ansible.cfg
cd "$work"

# Every module's documentation parses and renders (a YAML slip in one, such
# as a ": " in a plain scalar, otherwise shows only as a warning of linters).
for file in "$work"/collections/ansible_collections/pifleet/swarm/plugins/modules/*.py; do
  module=$(basename "$file" .py)
  ansible-doc "pifleet.swarm.$module" | grep -i 'OPTIONS' >/dev/null ||
    { echo "FAIL: ansible-doc pifleet.swarm.$module does not render" >&2; exit 1; }
done
for dir in "$work"/collections/ansible_collections/pifleet/swarm/roles/*/; do
  role=$(basename "$dir")
  ansible-doc -t role "pifleet.swarm.$role" | grep "${role}_" >/dev/null ||
    { echo "FAIL: ansible-doc -t role pifleet.swarm.$role does not render" >&2; exit 1; }
done
# Every filter's too (each is public API: pifleet.swarm.NAME works in any
# playbook). The names come from the FilterModule.filters() dicts, not from
# `ansible-doc -t filter -l`: a filter whose YAML does not parse drops out of
# that list with only a warning.
filters=$(python3 - "$work"/collections/ansible_collections/pifleet/swarm/plugins/filter/*.py <<'PY'
import ast
import sys

for path in sys.argv[1:]:
    with open(path, encoding="utf-8") as source:
        tree = ast.parse(source.read())
    names = [
        key.value
        for cls in tree.body
        if isinstance(cls, ast.ClassDef) and cls.name == "FilterModule"
        for fn in cls.body
        if isinstance(fn, ast.FunctionDef) and fn.name == "filters"
        for ret in ast.walk(fn)
        if isinstance(ret, ast.Return) and isinstance(ret.value, ast.Dict)
        for key in ret.value.keys
        if isinstance(key, ast.Constant) and isinstance(key.value, str)
    ]
    if not names:
        sys.exit(f"FAIL: no filter names found in the FilterModule.filters() dict of {path}")
    print("\n".join(names))
PY
)
[ -n "$filters" ] || { echo "FAIL: no filters found in plugins/filter" >&2; exit 1; }
for filter in $filters; do
  if ! doc=$(ansible-doc -t filter "pifleet.swarm.$filter" 2>&1) ||
    ! grep -q 'OPTIONS' <<<"$doc" || ! grep -q 'RETURN VALUES' <<<"$doc"; then
    echo "$doc" >&2
    echo "FAIL: ansible-doc -t filter pifleet.swarm.$filter does not render" \
      "(plugins/filter/$filter.yml: DOCUMENTATION, EXAMPLES, RETURN)" >&2
    exit 1
  fi
done

# The modules, their module_utils and the filters, run from the installed
# copy against this machine, harmlessly: facts are read-only and cmdline.txt
# is a scratch file. (The roles change systems; their scenarios prove them.)
printf 'console=tty1 root=PARTUUID=0-02 rootwait\n' >"$work/cmdline.txt"
cat >"$work/play.yml" <<'PLAY'
- name: Use the installed collection
  hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: Read what this machine is
      pifleet.swarm.node_facts:

    - name: Edit a scratch cmdline.txt as the node role would
      pifleet.swarm.cmdline:
        path: "{{ playbook_dir }}/cmdline.txt"
        present: [cgroup_enable=memory]
      register: edit

    - name: The module, its module_utils and a filter answered
      ansible.builtin.assert:
        that:
          - ansible_facts['node_facts'].arch in ['x86_64', 'aarch64', 'armv7l', 'armv6l']
          - edit is changed
          - lookup('ansible.builtin.file', playbook_dir ~ '/cmdline.txt') is search('rootwait cgroup_enable=memory')
          - "'pi.lan' | pifleet.swarm.caddy_tls_mode == 'internal'"
PLAY
out=$(ansible-playbook -i localhost, -e ansible_python_interpreter=/usr/bin/python3 "$work/play.yml" 2>&1) || { echo "$out" >&2; exit 1; }
grep -q 'ok=3 .*failed=0' <<<"$out" || { echo "$out" >&2; echo "FAIL: play did not run clean" >&2; exit 1; }
# The fleet's groups under other names, set in the inventory's group_vars (not
# with -e): the stage playbooks must find their hosts there (fleet.yml). The
# hosts are never contacted (group_by only).
mkdir -p "$work/inventory/group_vars"
cat >"$work/inventory/hosts.yml" <<'INV'
all:
  children:
    shelf_managers:
      hosts: {m1: {}}
    shelf_workers:
      hosts: {w1: {}, w2: {}}
    printers:
      hosts: {p1: {}}
INV
printf 'swarm_managers_group: shelf_managers\nswarm_workers_group: shelf_workers\n' \
  >"$work/inventory/group_vars/all.yml"
cat >"$work/groups.yml" <<'PLAY'
- name: The fleet as the stage playbooks see it
  ansible.builtin.import_playbook: pifleet.swarm.fleet

- name: Say which hosts the stage plays would run on
  hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: Exactly the managers and workers of the renamed groups
      ansible.builtin.assert:
        that:
          - groups['pifleet_fleet'] | default([]) | sort == ['m1', 'w1', 'w2']
          - query('pifleet.swarm.fleet', 'managers') == ['m1']
          - query('pifleet.swarm.fleet', 'groups') == ['shelf_managers', 'shelf_workers']
        fail_msg: "pifleet_fleet is {{ groups['pifleet_fleet'] | default([]) }}"

# The roles follow too: the docker role refuses live-restore on a Swarm node,
# and w1 is one only under the renamed groups. It fails at that check, before
# it would read anything from the host.
- name: The docker role sees a worker of the renamed groups as a Swarm node
  hosts: w1
  connection: local
  gather_facts: false
  vars:
    docker_daemon_options: {live-restore: true}
  tasks:
    - name: Validate with live-restore
      block:
        - name: Run the docker role's checks
          ansible.builtin.include_role:
            name: pifleet.swarm.docker
            tasks_from: validate
          vars:
            ansible_facts: {node_facts: {dpkg_arch: amd64, os_codename: trixie}}
        - name: Not reached
          ansible.builtin.fail:
            msg: the daemon options were not refused on w1
      rescue:
        - name: Refused for the right reason
          ansible.builtin.assert:
            that: ansible_failed_result.msg is search('live-restore. true is incompatible with Docker Swarm')
            fail_msg: "{{ ansible_failed_result.msg }}"
PLAY
out=$(ansible-playbook -i "$work/inventory" "$work/groups.yml" 2>&1) || { echo "$out" >&2; echo "FAIL: renamed groups from group_vars" >&2; exit 1; }

# The checkout must not be what answered: the installed copy was used.
ansible-doc -l pifleet.swarm 2>/dev/null | grep node_facts >/dev/null
ansible-galaxy collection list pifleet.swarm -p "$work/collections" 2>/dev/null | grep "$work/collections" >/dev/null
echo "collection: built, installed into a clean path and used from there: ok"
