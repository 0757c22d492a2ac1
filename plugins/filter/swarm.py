# Copyright: pifleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters pifleet.swarm.swarm_network_removals and swarm_network_problems:
which overlay networks Docker would remove, and why they must stay; and
swarm_summary: the fleet table from a node list already read (the rules
live in plugin_utils/_swarm.py, where they are unit-tested)."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError
from ansible_collections.pifleet.swarm.plugins.plugin_utils._swarm import (
    network_problems,
    network_removals,
    summary,
)


def _results(value, what: str) -> list:
    if isinstance(value, dict):
        # A loop skipped whole (a Swarm made in this run) registers no results.
        value = value.get("results", [] if value.get("skipped") else None)
    if not isinstance(value, list):
        raise AnsibleFilterError(f"{what} wants the registered results of a loop")
    return value


def swarm_network_removals(previews):
    """docker_network check-mode results -> names Docker would remove."""
    return network_removals(_results(previews, "swarm_network_removals"))


def swarm_network_problems(previews, networks, services):
    """previews | swarm_network_problems(network infos, verbose services) -> messages."""
    if not isinstance(services, list):
        raise AnsibleFilterError("swarm_network_problems wants docker_swarm_info's services")
    return network_problems(
        _results(previews, "swarm_network_problems"),
        _results(networks, "swarm_network_problems"),
        services,
    )


def swarm_summary(nodes, names=None):
    """A manager's node list (swarm_host's state.nodes) | swarm_summary(names)
    -> the rows pifleet.swarm.swarm_host returns as summary."""
    names = {} if names is None else names
    if not isinstance(nodes, list) or not isinstance(names, dict):
        raise AnsibleFilterError(
            "swarm_summary wants swarm_host's node list and a dict of node id -> name"
        )
    return summary(nodes, names)


class FilterModule:
    def filters(self):
        return {
            "swarm_network_removals": swarm_network_removals,
            "swarm_network_problems": swarm_network_problems,
            "swarm_summary": swarm_summary,
        }
