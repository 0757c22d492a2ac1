# Copyright: pifleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters pifleet.swarm.roll_batches and manager_down_problem: the order
in which nodes go down (reboots, engine restarts) and the quorum guard
before a manager goes (the rules live in plugin_utils/_rolling.py, where
they are unit-tested)."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError
from ansible_collections.pifleet.swarm.plugins.plugin_utils._rolling import (
    manager_down_problem as _manager_down_problem,
)
from ansible_collections.pifleet.swarm.plugins.plugin_utils._rolling import (
    roll_batches as _roll_batches,
)


def roll_batches(nodes, batch=1):
    """[{host, wanted, swarm}] | pifleet.swarm.roll_batches(batch) -> batches."""
    if not isinstance(nodes, list) or not all(isinstance(n, dict) and "host" in n for n in nodes):
        raise AnsibleFilterError("roll_batches wants a list of {host, wanted, swarm}")
    try:
        return _roll_batches(nodes, batch)
    except ValueError as e:
        raise AnsibleFilterError(f"roll_batches: {e}") from e


def manager_down_problem(nodes, node_id):
    """docker_node_info nodes | pifleet.swarm.manager_down_problem(node id) -> '' or why not."""
    if not isinstance(nodes, list):
        raise AnsibleFilterError("manager_down_problem wants docker_node_info's nodes")
    return _manager_down_problem(nodes, node_id)


class FilterModule:
    def filters(self):
        return {
            "roll_batches": roll_batches,
            "manager_down_problem": manager_down_problem,
        }
