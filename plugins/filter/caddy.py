# Copyright: pifleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters the caddy role uses; the rules live in plugin_utils/_caddy.py.

- ``name | pifleet.swarm.caddy_tls_mode(wanted)``: ``internal`` or ``acme`` for a site name.
- ``networks | pifleet.swarm.caddy_networks_left(services)``: the stack's
  networks no service (nor a rollback) uses.
- ``sites | pifleet.swarm.caddy_ca_permitted``: what a new CA may certify.
- ``root_pem | pifleet.swarm.caddy_ca_outside(sites)``: names the CA may not certify.
"""

from __future__ import annotations

from ansible.errors import AnsibleFilterError
from ansible_collections.pifleet.swarm.plugins.plugin_utils._caddy import (
    ca_outside,
    ca_permitted,
    networks_left,
    tls_mode,
)


def caddy_tls_mode(name, wanted="auto"):
    return tls_mode(str(name), str(wanted))


def caddy_networks_left(networks, services):
    if not isinstance(networks, list) or not isinstance(services, list):
        raise AnsibleFilterError(
            "caddy_networks_left wants docker_host_info's networks and docker_swarm_info's"
            " services, both with verbose_output"
        )
    return networks_left(networks, services)


def caddy_ca_permitted(sites):
    return ca_permitted(list(sites))


def caddy_ca_outside(root_pem, sites):
    try:
        return ca_outside(str(root_pem), list(sites))
    except ValueError as err:
        raise AnsibleFilterError(f"caddy_ca_outside: not a PEM certificate ({err})") from err


class FilterModule:
    def filters(self):
        return {
            "caddy_tls_mode": caddy_tls_mode,
            "caddy_networks_left": caddy_networks_left,
            "caddy_ca_permitted": caddy_ca_permitted,
            "caddy_ca_outside": caddy_ca_outside,
        }
