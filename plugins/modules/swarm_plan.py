#!/usr/bin/python
# Copyright: pifleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Documentation of the swarm_plan action (it runs on the controller only)."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: swarm_plan
short_description: Plan a Swarm run, and refuse a plan that would break the Swarm
version_added: 0.1.0
description:
  - From what M(pifleet.swarm.swarm_host) read on every reached host and what
    the inventory wants, decides which manager leads (the first listed one
    that manages a Swarm, or else the first free one inits a Swarm, but only
    when every listed manager answered), who joins as what, who is promoted
    or demoted, which node entries are stale or pruned, and the labels and
    availability to set on each node.
  - Fails, naming the reason, when no manager can lead, a host is in another
    Swarm, or demotions and removals would leave the Swarm without quorum;
    nothing has been changed then.
  - This is the swarm role's planner; it contacts no host.
author:
  - pifleet developers
options:
  hosts:
    description:
      - Per reached inventory host, the RV(pifleet.swarm.swarm_host#module:state)
        it returned. A listed host missing here was not reached this run and
        is left as it is.
    type: dict
    required: true
  wants:
    description:
      - Per reached host, C(facts) (the C(arch) and C(model) labels),
        C(labels) (its C(swarm_node_labels)), C(availability) and
        C(force_rejoin) (whether it may leave another Swarm to join this one;
        never a manager of a Swarm with other members, which would dissolve it).
    type: dict
    required: true
  managers:
    description: The inventory hosts that are to be managers, in order of preference to lead.
    type: list
    elements: str
    required: true
  workers:
    description: The inventory hosts that are to be workers.
    type: list
    elements: str
    default: []
  prune:
    description: Plan to drain and remove nodes no inventory host owns (only when O(complete)).
    type: bool
    default: false
  complete:
    description: Whether the play reached every listed host (no C(--limit), none down).
    type: bool
    default: true
attributes:
  action:
    support: full
    description: Runs on the controller only; no connection to the host is made.
  check_mode:
    support: full
    description: Changes nothing anywhere, so it runs the same in check mode.
  diff_mode:
    support: none
  idempotent:
    support: full
    description: Changes nothing.
seealso:
  - module: pifleet.swarm.swarm_host
"""

EXAMPLES = r"""
- name: Plan the run
  pifleet.swarm.swarm_plan:
    # engine: each host's registered swarm_host result; wanted: a fact each host set.
    hosts: >-
      {{ dict(ansible_play_hosts | zip(ansible_play_hosts
         | map('extract', hostvars, ['engine', 'state']))) }}
    wants: >-
      {{ dict(ansible_play_hosts | zip(ansible_play_hosts
         | map('extract', hostvars, 'wanted'))) }}
    managers: "{{ groups['swarm_managers'] }}"
    workers: "{{ groups['swarm_workers'] }}"
  run_once: true
  register: plan
"""

RETURN = r"""
msg:
  description: The plan in one line, or why it is refused.
  returned: always
  type: str
leader:
  description:
    - The manager that leads (C(host)), whether it already manages a Swarm
      (C(existing)) and its C(cluster_id).
  returned: always
  type: dict
join:
  description: Host to join, and as what (C(manager) or C(worker)).
  returned: success
  type: dict
leave:
  description: Hosts that leave another Swarm first (O(force_rejoin)).
  returned: success
  type: list
  elements: str
promote:
  description: Hosts to promote to manager.
  returned: success
  type: list
  elements: str
demote:
  description: Hosts to demote to worker.
  returned: success
  type: list
  elements: str
stale:
  description: Node entries an inventory host left behind (wiped or re-joined), to remove.
  returned: success
  type: list
  elements: dict
prune:
  description: Node entries of no inventory host, to drain and remove (O(prune)).
  returned: success
  type: list
  elements: dict
updates:
  description:
    - Per host whose node needs it, the C(labels) to set, the label keys to
      C(remove) and the C(availability).
  returned: success
  type: dict
reshape:
  description:
    - Whether anyone joins, leaves, is promoted, demoted or removed, or the
      Swarm is made in this run; false on a converged fleet.
  returned: success
  type: bool
unready:
  description: Hosts whose node is not Ready in the leader's list, or joins this run.
  returned: success
  type: list
  elements: str
nodes:
  description: The leader's node list the plan was made from.
  returned: success
  type: list
  elements: dict
quorum:
  description: Manager counts now, at the run's peak and after it, and the quorum needed.
  returned: success
  type: dict
risks:
  description: Risks the plan takes (an even manager count, pruning skipped), for the play to print.
  returned: always
  type: list
  elements: str
errors:
  description: Why the plan is refused; empty on success.
  returned: always
  type: list
  elements: str
"""
