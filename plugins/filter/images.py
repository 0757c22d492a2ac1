# Copyright: pifleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter pifleet.swarm.images_registry_manifests: whether the fleet's
registry holds each build as its builder made it (the rule lives in
plugin_utils/_images.py, where it is unit-tested)."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError
from ansible_collections.pifleet.swarm.plugins.plugin_utils._images import registry_manifests


def images_registry_manifests(answers):
    if isinstance(answers, dict):
        # A loop skipped whole (check mode before the registry exists) registers no results.
        answers = answers.get("results", [] if answers.get("skipped") else None)
    if not isinstance(answers, list):
        raise AnsibleFilterError(
            "images_registry_manifests wants the registered results of a uri loop over builds"
        )
    return registry_manifests([a for a in answers if not a.get("skipped")])


class FilterModule:
    def filters(self):
        return {"images_registry_manifests": images_registry_manifests}
