# Copyright: pifleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Plan a run of the swarm role on the controller (the rules:
plugin_utils/_swarm.py), and refuse a plan that would break the Swarm."""

from __future__ import annotations

from ansible.plugins.action import ActionBase
from ansible_collections.pifleet.swarm.plugins.plugin_utils import _swarm


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(("hosts", "wants", "managers", "workers", "prune", "complete"))
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        _, args = self.validate_argument_spec(
            argument_spec={
                "hosts": {"type": "dict", "required": True},
                "wants": {"type": "dict", "required": True},
                "managers": {"type": "list", "elements": "str", "required": True},
                "workers": {"type": "list", "elements": "str", "default": []},
                "prune": {"type": "bool", "default": False},
                "complete": {"type": "bool", "default": True},
            }
        )
        planned = _swarm.run_plan(
            args["managers"],
            args["workers"],
            args["hosts"],
            args["wants"],
            prune=args["prune"],
            complete=args["complete"],
        )
        # Under "warnings" Ansible would print them itself, wrapped; the role prints them.
        planned["risks"] = planned.pop("warnings")
        if planned["errors"]:
            return {
                **result,
                **planned,
                "failed": True,
                "msg": "; ".join(planned["errors"]),
            }
        return {**result, **planned, "changed": False, "msg": _swarm.plan_line(planned)}
