# Copyright: pifleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters pifleet.swarm.reboot_batches and manager_reboot_problem: the order
of a rolling reboot and the quorum guard before a manager goes (the rules
live in plugin_utils/_rolling.py, where they are unit-tested)."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError
from ansible_collections.pifleet.swarm.plugins.plugin_utils._rolling import (
    manager_reboot_problem as _manager_reboot_problem,
)
from ansible_collections.pifleet.swarm.plugins.plugin_utils._rolling import (
    reboot_batches as _reboot_batches,
)


def reboot_batches(nodes, batch=1):
    """[{host, wanted, swarm}] | pifleet.swarm.reboot_batches(batch) -> batches."""
    if not isinstance(nodes, list) or not all(isinstance(n, dict) and "host" in n for n in nodes):
        raise AnsibleFilterError("reboot_batches wants a list of {host, wanted, swarm}")
    try:
        return _reboot_batches(nodes, batch)
    except ValueError as e:
        raise AnsibleFilterError(f"reboot_batches: {e}") from e


def manager_reboot_problem(nodes, node_id):
    """docker_node_info nodes | pifleet.swarm.manager_reboot_problem(node id) -> '' or why not."""
    if not isinstance(nodes, list):
        raise AnsibleFilterError("manager_reboot_problem wants docker_node_info's nodes")
    return _manager_reboot_problem(nodes, node_id)


class FilterModule:
    def filters(self):
        return {
            "reboot_batches": reboot_batches,
            "manager_reboot_problem": manager_reboot_problem,
        }
