# Copyright: pifleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters the swarm role plans with; the rules live in plugin_utils/_swarm.py."""

from __future__ import annotations

from ansible_collections.pifleet.swarm.plugins.plugin_utils import _swarm


def swarm_host_state(info, addr=None):
    """`docker info` of one host -> what the plan reads (no secrets in there)."""
    return _swarm.host_state(info, addr)


def swarm_nodes(raw):
    """`docker node inspect` objects -> what the plan reads."""
    return [_swarm.node_summary(n) for n in raw or []]


def swarm_bootstrap(hosts, managers):
    return _swarm.bootstrap(list(managers), dict(hosts))


def swarm_plan(
    hosts, managers, workers, nodes, boot, *, prune=False, force_rejoin=False, complete=True
):
    return _swarm.plan(
        list(managers),
        list(workers),
        dict(hosts),
        list(nodes),
        dict(boot),
        prune=bool(prune),
        force_rejoin=bool(force_rejoin),
        complete=bool(complete),
    )


def swarm_labels(current, fact_labels, user_labels):
    return _swarm.label_plan(current, dict(fact_labels), user_labels)


def swarm_summary(nodes, hosts):
    return _swarm.summary(list(nodes), dict(hosts))


class FilterModule:
    def filters(self):
        return {
            "swarm_host_state": swarm_host_state,
            "swarm_nodes": swarm_nodes,
            "swarm_bootstrap": swarm_bootstrap,
            "swarm_plan": swarm_plan,
            "swarm_labels": swarm_labels,
            "swarm_summary": swarm_summary,
        }
