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


def swarm_input_errors(
    managers, workers, mgr_group, wrk_group, labels_by_host, *, vars_by_host=None
):
    """Inventory and per-host variable errors. vars_by_host: host -> {availability,
    interface}, for every listed host (reached or not)."""
    errors = _swarm.validate_groups(list(managers), list(workers), mgr_group, wrk_group)
    for host, labels in sorted(dict(labels_by_host).items()):
        errors += _swarm.validate_labels(host, labels)
    for host, values in sorted(dict(vars_by_host or {}).items()):
        errors += _swarm.validate_host_vars(
            host, values.get("availability"), values.get("interface")
        )
    return errors


def swarm_host_vars(host_vars):
    """The per-host variables validate_host_vars checks, from one host's hostvars
    (None where the host does not set them: the role default applies)."""
    host_vars = host_vars or {}
    return {
        "availability": host_vars.get("swarm_node_availability"),
        "interface": host_vars.get("swarm_advertise_interface"),
    }


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
            "swarm_input_errors": swarm_input_errors,
            "swarm_labels": swarm_labels,
            "swarm_host_vars": swarm_host_vars,
            "swarm_summary": swarm_summary,
        }
