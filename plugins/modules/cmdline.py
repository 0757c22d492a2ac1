#!/usr/bin/python
# Copyright: pifleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Make a Raspberry Pi's cmdline.txt carry (or not carry) kernel parameters."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: cmdline
short_description: Ensure kernel parameters in the single line of a Raspberry Pi's cmdline.txt
version_added: 0.1.0
description:
  - Edits the one line of the firmware's C(cmdline.txt) so that every parameter
    of O(present) appears exactly once and none of O(absent) does.
  - Touches nothing else on the line; parameters keep their order and spacing,
    a trailing newline is kept, a missing parameter is appended at the end.
  - A parameter of O(present) whose name is on the line with another value is
    replaced where it stands (later duplicates are removed, because the kernel
    would let them win).
  - Refuses a file of several lines (the firmware would read only the first),
    and a line without C(root=), an emptied or foreign file that no edit could
    make bootable.
  - Never sets or removes what decides whether the Pi boots and comes back on
    the network by itself (C(root), C(rootfstype), C(rootflags), C(rootwait),
    C(rootdelay), C(init), C(rdinit), C(nfsroot), C(ip), C(systemd.unit),
    C(single), C(emergency), C(rescue), C(S), C(1)). Naming one in O(present)
    or O(absent) fails, and the line's own values stay as they are.
author:
  - pifleet developers
options:
  path:
    description:
      - The file to edit, usually C(node_facts.cmdline_path).
    type: path
    required: true
  present:
    description:
      - Parameters the line must hold, V(name=value) or a bare V(name).
    type: list
    elements: str
    default: []
  absent:
    description:
      - Parameters the line must not hold. V(name=value) removes that exact
        parameter; a bare V(name) removes every parameter of that name.
    type: list
    elements: str
    default: []
  backup:
    description:
      - Keep a copy of the file as it was, next to it, when it changes (a Pi
        that no longer boots can be fixed from a card reader with it).
      - The copy is named C(cmdline.txt.YYYYMMDD-HHMMSS.bak), because the boot
        partition is FAT, which refuses the colons in the names Ansible's own
        backups get.
    type: bool
    default: false
attributes:
  check_mode:
    support: full
    description: Predicts the new line and reports it without writing.
  diff_mode:
    support: full
  idempotent:
    support: full
notes:
  - Raspberry Pi OS bookworm and later read C(/boot/firmware/cmdline.txt);
    older releases C(/boot/cmdline.txt).
"""

EXAMPLES = r"""
- name: Enable the memory cgroup for Docker
  pifleet.swarm.cmdline:
    path: /boot/firmware/cmdline.txt
    present: [cgroup_enable=memory]
    absent: [cgroup_disable=memory]
    backup: true
  notify: Reboot to apply the kernel command line
"""

RETURN = r"""
cmdline:
  description: The line as it is (or, in check mode, would be) after the edit.
  returned: always
  type: str
  sample: console=serial0,115200 console=tty1 root=PARTUUID=4e639091-02 cgroup_enable=memory
previous:
  description: The line as it was.
  returned: always
  type: str
backup_file:
  description: Where the previous file was copied to.
  returned: when O(backup) is true and the file changed
  type: str
  sample: /boot/firmware/cmdline.txt.20261128-165001.bak
"""

import os
import shutil
import tempfile
import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.pifleet.swarm.plugins.module_utils._cmdline import (
    CmdlineError,
    cmdline_diff,
    edit_cmdline,
)

# What FAT (vfat, the Pi's boot partition) refuses in a file name.
FAT_FORBIDDEN = set('"*/:<>?\\|')


def backup_name(path: str, now: float, taken) -> str:
    """A FAT-safe name for a copy of path made at `now`, next to it: not one that
    taken(name) says exists. Ansible's backup_local() puts the time as HH:MM:SS
    in the name, which FAT refuses."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now))
    name, n = f"{path}.{stamp}.bak", 1
    while taken(name):
        n += 1
        name = f"{path}.{stamp}-{n}.bak"
    return name


def _backup(module: AnsibleModule, path: str) -> str:
    dest = backup_name(path, time.time(), os.path.exists)
    try:
        # Content only: FAT has no modes or owners to copy (chmod fails there).
        shutil.copyfile(path, dest)
    except OSError as err:
        module.fail_json(msg=f"cannot back up {path} to {dest}: {err}")
    return dest


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "path": {"type": "path", "required": True},
            "present": {"type": "list", "elements": "str", "default": []},
            "absent": {"type": "list", "elements": "str", "default": []},
            "backup": {"type": "bool", "default": False},
        },
        supports_check_mode=True,
    )
    path = module.params["path"]
    try:
        with open(path, encoding="utf-8") as handle:
            before = handle.read()
    except OSError as err:
        module.fail_json(msg=f"cannot read {path}: {err}")
    try:
        after = edit_cmdline(before, module.params["present"], module.params["absent"])
    except CmdlineError as err:
        module.fail_json(msg=f"{path}: {err}", previous=before)

    result: dict[str, object] = {
        "changed": after != before,
        "cmdline": after.rstrip("\r\n"),
        "previous": before.rstrip("\r\n"),
    }
    if module._diff:
        result["diff"] = cmdline_diff(path, before, after)
    if result["changed"] and not module.check_mode:
        if module.params["backup"]:
            result["backup_file"] = _backup(module, path)
        fd, tmp = tempfile.mkstemp(dir=module.tmpdir)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(after)
        module.atomic_move(tmp, path)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
