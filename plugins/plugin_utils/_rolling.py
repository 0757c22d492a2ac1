# Copyright: pifleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure planning for work that takes nodes down (a reboot, an engine
restart): in which batches, drained by which manager, whether a manager may
go now and when a node is back.

No I/O here: the node role's roll reads each node's `docker info` and a
manager's node list, and these functions turn that into its order.
"""

from __future__ import annotations

from ansible_collections.pifleet.swarm.plugins.plugin_utils._swarm import (
    host_state,
    node_summary,
    quorum,
)


def _member(swarm) -> dict:
    """What the roll needs of one node's `docker info` `.Swarm` ({} or None
    without an engine), read as the swarm role's plan reads it: its node id
    when it is an active Swarm member, and the ids of its managers."""
    swarm = swarm if isinstance(swarm, dict) else {}
    state = host_state({"Swarm": swarm})
    active = state["state"] == "active" and bool(state["node_id"])
    return {
        "node_id": state["node_id"] if active else "",
        "manager": active and state["is_manager"],
        "cluster": state["cluster_id"] if active else "",
        "managed_by": {m.get("NodeID", "") for m in swarm.get("RemoteManagers") or []},
    }


def roll_batches(nodes: list[dict], batch: int) -> list[dict]:
    """The batches in which the nodes that must go down (a reboot, an
    engine restart) go.

    nodes: in play order, {host, wanted, swarm} (swarm: that host's `docker
    info` `.Swarm`). Nodes outside a Swarm go first and together (nothing is
    scheduled there); then Swarm workers, `batch` at a time; then managers,
    one at a time, so a node that does not come back stops the roll with the
    managers untouched. Each batch names the manager of the play, in the
    same Swarm and outside the batch, that drains it and waits until it is
    Ready ("" when the play has none: the batch reboots without a drain);
    a lone manager of its Swarm drains itself. node_ids: each host's node id
    ("" outside a Swarm).
    """
    if not isinstance(batch, int) or isinstance(batch, bool) or batch < 1:
        raise ValueError(f"the batch size must be a whole number of at least 1, got {batch!r}")
    seen = {n["host"]: _member(n.get("swarm")) for n in nodes}
    managers = [(h, m) for h, m in seen.items() if m["manager"]]
    wanted = [n["host"] for n in nodes if n.get("wanted")]

    def drainer(host: str) -> str:
        me = seen[host]
        if me["manager"]:
            others = [h for h, m in managers if h != host and m["cluster"] == me["cluster"]]
            return others[0] if others else host
        return next((h for h, m in managers if m["node_id"] in me["managed_by"]), "")

    def one(hosts: list[str]) -> dict:
        return {
            "hosts": hosts,
            "manager": drainer(hosts[0]) if seen[hosts[0]]["node_id"] else "",
            "node_ids": {h: seen[h]["node_id"] for h in hosts},
        }

    outside = [h for h in wanted if not seen[h]["node_id"]]
    workers = [h for h in wanted if seen[h]["node_id"] and not seen[h]["manager"]]
    out = [one(outside)] if outside else []
    # Workers of one batch share the manager that drains them.
    by_drainer: dict[str, list[str]] = {}
    for host in workers:
        by_drainer.setdefault(drainer(host), []).append(host)
    for group in by_drainer.values():
        out += [one(group[i : i + batch]) for i in range(0, len(group), batch)]
    out += [one([h]) for h in wanted if seen[h]["manager"]]
    return out


def node_back(node: dict) -> bool:
    """Whether a node that went down is back for the Swarm: Ready, and a
    manager also Reachable in the Raft (which comes a few seconds after
    Ready; the next manager to go needs it)."""
    summary = node_summary(node)
    if summary["state"] != "ready":
        return False
    return summary["role"] != "manager" or summary["reachability"] == "reachable"


def manager_down_problem(nodes: list[dict], node_id: str) -> str:
    """Why the manager `node_id` must not go down now ("" when it may).

    nodes: a manager's node list (`docker node inspect` objects). With three
    managers or more, those still reachable without it must keep Raft's
    majority while it is away: otherwise a manager that does not come back
    leaves a Swarm no one can change. With one or two managers, any manager
    going down pauses the control plane until it is back (no order avoids
    that).
    """
    managers = [s for s in map(node_summary, nodes) if s["role"] == "manager"]
    if len(managers) < 3 or node_id not in {m["id"] for m in managers}:
        return ""
    others = [m for m in managers if m["id"] != node_id and m["reachability"] == "reachable"]
    need = quorum(len(managers))
    if len(others) >= need:
        return ""
    down = sorted(m["hostname"] or m["id"] for m in managers if m["reachability"] != "reachable")
    return (
        f"taking this manager down would leave {len(others)} of {len(managers)} managers "
        f"reachable, and the Swarm needs {need}; left as it is (bring back "
        f"{', '.join(down) or 'the unreachable managers'} first, then run again)"
    )
