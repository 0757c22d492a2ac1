#!/usr/bin/python
# Copyright: pifleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The node's side of the copy_tree action: list a directory, then apply the
action's plan to it (the planning is on the controller: plugin_utils/_shipped.py)."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: copy_tree
short_description: Copy a directory from the controller to a node, by default without dot entries
version_added: 0.1.0
description:
  - Makes O(dest) on the node hold what the controller directory O(src)
    holds, and removes from it what an earlier copy placed there and O(src)
    no longer has. What the module did not place itself is never removed; a
    manifest beside O(dest) (C(<dest>.shipped)) lists what it placed.
  - Dot entries of O(src) (C(.git), C(.env), C(.htaccess)) stay on the
    controller unless O(dotfiles) is set. A symlink in O(src) ships the file
    it points to when that file lies inside O(src) (and, without
    O(dotfiles), outside its dot entries); any other symlink
    (out of O(src), to a directory, broken) fails the task before the node
    is touched, naming it.
  - A re-run that changes nothing costs one module call per node, whatever
    the number of files; changed files travel as one archive.
  - Dot entries found on the node that the module did not place (an earlier
    copy by other means) are reported as a warning, not removed.
author:
  - pifleet developers
options:
  src:
    description:
      - The directory on the controller, found as M(ansible.builtin.copy)
        finds its O(ansible.builtin.copy#module:src) (a role's C(files/),
        then beside the playbook).
    type: str
    required: true
  dest:
    description: The directory on the node (absolute).
    type: path
    required: true
  mode:
    description:
      - Mode of every file copied, or V(preserve) for the mode each file has on the controller.
    type: str
    default: "0644"
  directory_mode:
    description: Mode of O(dest) and of every directory copied.
    type: str
    default: "0755"
  owner:
    description: Owner of everything copied.
    type: str
    default: root
  group:
    description: Group of everything copied.
    type: str
    default: root
  dotfiles:
    description:
      - Copy dot entries too (a build context's C(.dockerignore)). By default they stay on
        the controller (a site's C(.git) or C(.env)).
    type: bool
    default: false
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
    details: A line per file sent (V(+) new, V(~) changed) or removed (V(-)).
  action:
    support: full
notes:
  - The manifest's format is the images role's; both come from the same code.
seealso:
  - module: ansible.builtin.copy
"""

EXAMPLES = r"""
- name: Ship a site's files to every node
  pifleet.swarm.copy_tree:
    src: sites/blog
    dest: /srv/pifleet/sites/blog
  become: true
"""

RETURN = r"""
copied:
  description: Files sent, relative to O(dest).
  returned: always
  type: list
  elements: str
removed:
  description: Paths removed, because an earlier copy placed them and O(src) no longer has them.
  returned: always
  type: list
  elements: str
left_out:
  description: Dot entries of O(src) that stayed on the controller (directories end in C(/)).
  returned: always
  type: list
  elements: str
foreign:
  description: Dot entries in O(dest) the module did not place (reported, never removed).
  returned: always
  type: list
  elements: str
"""

import grp
import os
import posixpath
import pwd
import shutil
import stat
import tarfile
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.pifleet.swarm.plugins.module_utils._shipped import (
    COPY_TREE_OPTIONS,
    MANIFEST_SUFFIX,
    sha1_of,
)

_KINDS = ((stat.S_ISDIR, "dir"), (stat.S_ISREG, "file"), (stat.S_ISLNK, "link"))


def _name(lookup, number: int) -> str:
    try:
        return lookup(number)[0]
    except KeyError:
        return str(number)


def entry(path: str) -> dict:
    st = os.lstat(path)
    kind = next((k for test, k in _KINDS if test(st.st_mode)), "other")
    out = {
        "type": kind,
        "mode": f"{stat.S_IMODE(st.st_mode):04o}",
        "owner": _name(pwd.getpwuid, st.st_uid),
        "group": _name(grp.getgrgid, st.st_gid),
    }
    if kind == "file":
        out["sha1"] = sha1_of(path)
    return out


def listing(dest: str) -> dict:
    """Relative path -> entry of everything under dest ("." is dest itself)."""
    if not os.path.lexists(dest):
        return {}
    out = {".": entry(dest)}
    if out["."]["type"] != "dir":
        return out
    for here, dirs, files in os.walk(dest, followlinks=False):
        for name in dirs + files:
            full = os.path.join(here, name)
            out[os.path.relpath(full, dest)] = entry(full)
    return out


class Tree:
    """dest on this node, written only below itself."""

    def __init__(self, module: AnsibleModule, dest: str):
        self.module, self.dest = module, dest
        p = module.params
        try:
            self.uid = pwd.getpwnam(p["owner"]).pw_uid
            self.gid = grp.getgrnam(p["group"]).gr_gid
        except KeyError as exc:
            module.fail_json(msg=f"no such user or group on this node: {exc}")
        self.directory_mode = int(p["directory_mode"], 8)

    def path(self, rel: str) -> str:
        if rel == ".":
            return self.dest
        if rel.startswith(("/", "../")) or rel == ".." or posixpath.normpath(rel) != rel:
            self.module.fail_json(msg=f"refusing {rel!r}: not a plain path inside {self.dest}")
        full = os.path.join(self.dest, rel)
        parent, root = os.path.realpath(os.path.dirname(full)), os.path.realpath(self.dest)
        if parent != root and not parent.startswith(root + "/"):
            self.module.fail_json(msg=f"refusing {full}: its directory leads out of {self.dest}")
        return full

    def own(self, path: str, mode: int | None = None) -> None:
        """Owner and group, and the mode: a directory's, or the one given for a file."""
        is_dir = os.path.isdir(path) and not os.path.islink(path)
        os.chown(path, self.uid, self.gid, follow_symlinks=False)
        os.chmod(path, self.directory_mode if is_dir or mode is None else mode)

    def write(self, path: str, source, mode: int) -> None:
        """Atomically: a reader sees the old file or the new one, never half."""
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".pifleet-")
        try:
            with os.fdopen(fd, "wb") as out:
                shutil.copyfileobj(source, out)
                os.fchown(out.fileno(), self.uid, self.gid)
                os.fchmod(out.fileno(), mode)
            os.replace(tmp, path)
        except BaseException:
            if os.path.lexists(tmp):
                os.unlink(tmp)
            raise

    def manifest(self, text: str | None) -> None:
        if text is not None:
            with tempfile.SpooledTemporaryFile() as data:
                data.write(text.encode())
                data.seek(0)
                self.write(self.dest + MANIFEST_SUFFIX, data, 0o644)

    def remove(self, rel: str) -> None:
        full = self.path(rel)
        if os.path.isdir(full) and not os.path.islink(full):
            shutil.rmtree(full)
        elif os.path.lexists(full):
            os.unlink(full)

    def apply(self, plan: dict, archive: str | None) -> None:
        if not os.path.isdir(self.dest):
            os.makedirs(self.dest, self.directory_mode)
            self.own(self.dest)
        self.manifest(plan.get("manifest_first"))
        for rel in plan.get("replace") or []:
            self.remove(rel)
        for rel in sorted(plan.get("make") or []):
            full = self.path(rel)
            if not os.path.isdir(full):
                os.mkdir(full, self.directory_mode)
            self.own(full)
        modes = {rel: int(mode, 8) for rel, mode in (plan.get("modes") or {}).items()}
        send = set(plan.get("send") or [])
        if send:
            with tarfile.open(archive) as tar:
                members = {m.name: m for m in tar.getmembers() if m.isfile()}
                if set(members) != send:
                    self.module.fail_json(msg="the archive does not hold the files planned")
                for rel in sorted(send):
                    self.write(self.path(rel), tar.extractfile(members[rel]), modes[rel])
        for rel in plan.get("fix") or []:
            self.own(self.path(rel), modes.get(rel))
        for rel in plan.get("remove") or []:
            self.remove(rel)
        self.manifest(plan.get("manifest_last"))


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            **COPY_TREE_OPTIONS,
            "dest": {"type": "path", "required": True},
            # Set by the action: the plan to apply and where it put the archive.
            "_plan": {"type": "dict"},
            "_archive": {"type": "path"},
        },
        supports_check_mode=True,
    )
    dest = module.params["dest"].rstrip("/") or "/"
    plan = module.params["_plan"]
    if plan is None:
        manifest = dest + MANIFEST_SUFFIX
        text = None
        if os.path.isfile(manifest):
            with open(manifest, encoding="utf-8") as handle:
                text = handle.read()
        module.exit_json(changed=False, held=listing(dest), manifest=text)
    if not module.check_mode:
        Tree(module, dest).apply(plan, module.params["_archive"])
    module.exit_json(changed=True)


if __name__ == "__main__":
    main()
