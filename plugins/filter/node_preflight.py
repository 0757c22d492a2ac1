# Copyright: pifleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter pifleet.swarm.node_preflight_problems: why a node is unfit, from its facts.

Runs on the controller (the clock comparison needs the controller's time
anyway); the rules live in plugin_utils/_preflight.py, where they are unit-tested.
"""

from __future__ import annotations

from ansible.errors import AnsibleFilterError
from ansible_collections.pifleet.swarm.plugins.plugin_utils._preflight import (
    preflight_problems,
)


def node_preflight_problems(facts, settings):
    """node_facts | pifleet.swarm.node_preflight_problems(settings) -> list of messages."""
    if not isinstance(facts, dict) or not isinstance(settings, dict):
        raise AnsibleFilterError("node_preflight_problems wants node_facts and a settings dict")
    return preflight_problems(facts, settings)


class FilterModule:
    def filters(self):
        return {"node_preflight_problems": node_preflight_problems}
