#!/usr/bin/python
# Copyright: pifleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Documentation of the check_inputs action (the work is done on the controller)."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: check_inputs
short_description: Refuse bad role inputs on the controller, before any host is touched
version_added: 0.1.0
description:
  - Judges the variables of the collection's roles as this host sees them
    (inventory, C(group_vars), C(host_vars), extra vars, and inside a role its
    defaults), and fails with every problem at once, naming each variable.
  - First each role's argument spec (its C(meta/argument_specs.yml), which
    C(ansible-doc -t role) shows) - types, choices, required keys and the keys
    of C(caddy_sites), C(images_recipes) and C(swarm_networks). A variable not
    set takes the spec's default.
  - Then what a spec cannot say, in one Python module per role under
    C(plugins/plugin_utils/) - ranges, patterns (kernel parameters, host,
    image and service names, durations), one value against another (a
    parameter both wanted and removed, a name served twice), the fleet's
    inventory groups and every fleet host's own C(swarm_*) variables, and
    C(docker_daemon_options) that cannot work on a Swarm node.
  - A list or mapping given as a string (C(-e docker_users=alice)) is refused, as
    the spec would split it but the role reads the string.
  - Each role calls it from its C(tasks/validate.yml); C(site.yml) calls it
    for every role first, so a bad input for the last stage fails the run
    before the first stage changes anything.
author:
  - pifleet developers
options:
  roles:
    description:
      - The roles whose inputs to judge.
    type: list
    elements: str
    required: true
    choices: [node, docker, swarm, images, caddy]
attributes:
  action:
    support: full
    description: Runs on the controller only; no connection to the host is made.
  check_mode:
    support: full
    description: Reads only; the same verdict in check mode.
  diff_mode:
    support: none
    description: Nothing changes.
  idempotent:
    support: full
    description: Never changes anything.
"""

EXAMPLES = r"""
- name: Refuse bad inputs for every stage before the first changes anything
  pifleet.swarm.check_inputs:
    roles: [node, docker, swarm, images, caddy]
  run_once: true

- name: Only the caddy role's
  pifleet.swarm.check_inputs:
    roles: caddy
  run_once: true
"""

RETURN = r"""
problems:
  description: The messages, per role that has any; empty when every input is fine.
  returned: always
  type: dict
  sample:
    caddy:
      - "caddy_sites[0] (demo.pifleet.lan): php is true but caddy_php_image is empty"
"""
