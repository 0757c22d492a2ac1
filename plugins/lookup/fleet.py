# Copyright: pifleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Lookup pifleet.swarm.fleet: the fleet's managers, workers, hosts or group names."""

from __future__ import annotations

DOCUMENTATION = r"""
---
name: fleet
short_description: The fleet's managers, workers, all its hosts, or its two group names
version_added: 0.1.0
description:
  - The fleet is the hosts of two inventory groups, C(swarm_managers) and
    C(swarm_workers) unless the variables C(swarm_managers_group) and
    C(swarm_workers_group) name others (set anywhere a variable can be, the
    inventory's group_vars included).
  - Every role and playbook of the collection asks this lookup, so the groups
    are renamed in one place and every stage follows.
options:
  _terms:
    description:
      - V(managers), V(workers), V(hosts) (managers then workers, each once) or
        V(groups) (the two group names, managers first). One term.
    type: list
    elements: str
    required: true
author:
  - pifleet developers
"""

EXAMPLES = r"""
- name: Run on the first manager of the fleet, whatever its groups are called
  ansible.builtin.command: docker node ls
  delegate_to: "{{ lookup('pifleet.swarm.fleet', 'managers') | first }}"
  run_once: true
  changed_when: false
"""

RETURN = r"""
_raw:
  description: Inventory host names in inventory order (or the two group names
    for V(groups)). A group that the inventory lacks has none.
  type: list
  elements: str
"""

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase
from ansible_collections.pifleet.swarm.plugins.plugin_utils._fleet import (
    GROUP_VARIABLES,
    fleet,
)


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        variables = variables or {}
        if len(terms) != 1:
            raise AnsibleLookupError(f"the fleet lookup takes one term, got {len(terms)}")
        settings = {
            name: self._templar.template(variables[name])
            for name in GROUP_VARIABLES.values()
            if name in variables
        }
        try:
            return fleet(str(terms[0]), settings, variables.get("groups") or {})
        except ValueError as exc:
            raise AnsibleLookupError(str(exc)) from exc
