# Copyright: pifleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read one engine's place in a Swarm (and, on a manager, the Swarm's nodes)
with community.docker's modules, and keep what the swarm role plans with."""

from __future__ import annotations

from ansible.plugins.action import ActionBase
from ansible_collections.pifleet.swarm.plugins.plugin_utils import _swarm


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(("advertise_addr", "list_nodes", "names"))

    def _module(self, name: str, task_vars: dict) -> dict:
        return self._execute_module(
            module_name=f"community.docker.{name}", module_args={}, task_vars=task_vars
        )

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        _, args = self.validate_argument_spec(
            argument_spec={
                "advertise_addr": {"type": "str", "default": ""},
                "list_nodes": {"type": "bool", "default": False},
                "names": {"type": "dict", "default": {}},
            }
        )
        info = self._module("docker_host_info", task_vars)
        if info.get("failed"):
            return {**result, **info}
        state = _swarm.host_state(info.get("host_info"), args["advertise_addr"])
        nodes = []
        # Only a manager can list the nodes; a worker's engine refuses.
        if args["list_nodes"] and state["is_manager"] and state["state"] == "active":
            listed = self._module("docker_node_info", task_vars)
            if listed.get("failed"):
                return {**result, **listed}
            nodes = [_swarm.node_summary(n) for n in listed.get("nodes") or []]
        return {
            **result,
            "changed": False,
            "state": {**state, "nodes": nodes},
            "summary": _swarm.summary(nodes, args["names"]),
        }
