# Copyright: pifleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test pifleet.swarm.swarm_node_back: whether a node that went down is back
for the Swarm (the rule lives in plugin_utils/_rolling.py, unit-tested)."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError
from ansible_collections.pifleet.swarm.plugins.plugin_utils._rolling import node_back


def swarm_node_back(node) -> bool:
    """docker_node_info's node is pifleet.swarm.swarm_node_back."""
    if not isinstance(node, dict):
        raise AnsibleFilterError("swarm_node_back wants one node of docker_node_info")
    return node_back(node)


class TestModule:
    def tests(self):
        return {"swarm_node_back": swarm_node_back}
