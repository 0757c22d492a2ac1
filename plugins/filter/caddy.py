# Copyright: pifleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters the caddy role uses; the rules live in plugin_utils/_caddy.py.

- ``name | pifleet.swarm.caddy_tls_mode(wanted)``: ``internal`` or ``acme`` for a site name.
"""

from __future__ import annotations

from ansible_collections.pifleet.swarm.plugins.plugin_utils._caddy import tls_mode


def caddy_tls_mode(name, wanted="auto"):
    return tls_mode(str(name), str(wanted))


class FilterModule:
    def filters(self):
        return {
            "caddy_tls_mode": caddy_tls_mode,
        }
