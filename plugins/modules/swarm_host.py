#!/usr/bin/python
# Copyright: pifleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Documentation of the swarm_host action (it runs community.docker's modules on the host)."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: swarm_host
short_description: Read where one Docker Engine stands in a Swarm
version_added: 0.1.0
description:
  - Asks the host's Docker Engine (with M(community.docker.docker_host_info))
    whether it is in a Swarm, as what, in which cluster, and under which node
    id; on a Swarm manager, when O(list_nodes) is set, also lists the Swarm's
    nodes (with M(community.docker.docker_node_info)).
  - Returns only what the M(pifleet.swarm.swarm_plan) action plans with and
    what the swarm role's summary prints. Nothing in it is a secret (join
    tokens are not part of C(docker info)).
author:
  - pifleet developers
options:
  advertise_addr:
    description: The address this host advertises to the Swarm; returned in RV(state.addr).
    type: str
    default: ""
  list_nodes:
    description:
      - List the Swarm's nodes too, when this engine is an active Swarm
        manager (a worker or a free engine cannot; RV(state.nodes) is then
        empty).
    type: bool
    default: false
  names:
    description:
      - Inventory names to show the listed nodes by, keyed by node id; a node
        not in it is shown by its hostname.
    type: dict
    default: {}
attributes:
  action:
    support: full
    description: >-
      Runs community.docker's modules on the host and trims their results on
      the controller.
  check_mode:
    support: full
    description: Only reads, so it runs the same in check mode.
  diff_mode:
    support: none
  idempotent:
    support: full
    description: Changes nothing.
requirements:
  - community.docker and, on the host, the Docker SDK for Python (the docker role installs it).
seealso:
  - module: pifleet.swarm.swarm_plan
  - module: community.docker.docker_host_info
  - module: community.docker.docker_node_info
"""

EXAMPLES = r"""
- name: Ask the engine whether it is in a Swarm (a manager also lists the nodes)
  pifleet.swarm.swarm_host:
    advertise_addr: "{{ ansible_facts['default_ipv4']['address'] }}"
    list_nodes: true
  register: engine

- name: Say which Swarm it is in
  ansible.builtin.debug:
    msg: >-
      {{ inventory_hostname }} is {{ engine.state.state }}
      in {{ engine.state.cluster_id or 'no Swarm' }}
"""

RETURN = r"""
state:
  description: Where the engine stands.
  returned: success
  type: dict
  contains:
    node_id:
      description: Its Swarm node id, empty outside a Swarm.
      type: str
    state:
      description: C(inactive), C(pending), C(active), C(error) or C(locked).
      type: str
    is_manager:
      description: Whether it is a manager that can take part in the Raft.
      type: bool
    cluster_id:
      description: The Swarm's id, known only on a manager.
      type: str
    remote_managers:
      description: Addresses of the managers it knows, sorted.
      type: list
      elements: str
    hostname:
      description: The engine's hostname.
      type: str
    engine:
      description: The engine's version.
      type: str
    addr:
      description: O(advertise_addr), as given.
      type: str
    nodes:
      description:
        - The Swarm's nodes as this manager lists them (id, hostname, role,
          availability, state, addr, reachability, leader, labels, arch,
          engine); empty unless O(list_nodes) is set and the engine is an
          active manager.
      type: list
      elements: dict
summary:
  description:
    - One row per listed node for display, sorted by name (node, id,
      hostname, role, leader, availability, state, arch, model, engine), the
      arch and model taken from the node's labels where it has them.
  returned: success
  type: list
  elements: dict
"""
