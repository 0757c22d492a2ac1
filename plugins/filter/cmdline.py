# Copyright: pifleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter pifleet.swarm.cmdline_edit: a kernel command line as the cmdline
module would leave it, computed on the controller from the line node_facts
read, so the node role starts no module on a node whose line is already right.
The rules are plugins/module_utils/_cmdline.py's, the module's own."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError
from ansible_collections.pifleet.swarm.plugins.module_utils._cmdline import (
    CmdlineError,
    edit_cmdline,
)


def cmdline_edit(line, present, absent=()):
    """line | pifleet.swarm.cmdline_edit(present, absent) -> the edited line, or
    None when the module would refuse it (it then runs and says why)."""
    if not isinstance(line, str):
        raise AnsibleFilterError(
            f"cmdline_edit wants the line as a string, got {type(line).__name__}"
        )
    try:
        return edit_cmdline(line, list(present), list(absent))
    except CmdlineError:
        return None


class FilterModule:
    def filters(self):
        return {"cmdline_edit": cmdline_edit}
