# Copyright: pifleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The filter the docker role builds daemon.json with.

``defaults | pifleet.swarm.docker_daemon_config(options)``: the merged daemon.json
(options over defaults, recursively; ``null`` removes a key; another ``log-driver``
drops the default ``log-opts``; ``log-opts`` values made strings).
"""

from __future__ import annotations

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError
from ansible_collections.pifleet.swarm.plugins.plugin_utils._docker_daemon import merge


def docker_daemon_config(defaults, options):
    for name, value in (("docker_daemon_defaults", defaults), ("docker_daemon_options", options)):
        if not isinstance(value, Mapping):
            raise AnsibleFilterError(f"{name} must be a mapping, got {type(value).__name__}")
    return merge(defaults, options)


class FilterModule:
    def filters(self):
        return {
            "docker_daemon_config": docker_daemon_config,
        }
