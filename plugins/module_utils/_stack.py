# Copyright: pifleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Whether a Swarm stack runs whole, from what the Engine API returns on a
manager (pure; the stack_status module reads the API and waits)."""

from __future__ import annotations

# A service update that is still going on; Swarm may yet roll it back.
UPDATING = ("updating", "rollback_started")
# An update that did not go through: Swarm went back to the previous spec, or stopped.
ROLLED_BACK = ("rollback_completed", "rollback_paused", "paused")


def rollout_seconds(service: dict) -> float:
    """How long a service's update under way is paced to take, from its own
    update (or rollback) config: its tasks in batches of Parallelism, each
    batch followed by Delay and watched for Monitor; 0 when none is under way.

    A wait on a stack must allow for it: a slow pace chosen on purpose (a long
    monitor on a big fleet) is not a stack that fails to converge.
    """
    state = (service.get("UpdateStatus") or {}).get("State")
    if state not in UPDATING:
        return 0.0
    spec = service.get("Spec") or {}
    config = spec.get("RollbackConfig" if state == "rollback_started" else "UpdateConfig") or {}
    tasks = int((service.get("ServiceStatus") or {}).get("DesiredTasks") or 0)
    # Parallelism 0 updates every task at once: one batch.
    batches = -(-tasks // config["Parallelism"]) if config.get("Parallelism") else 1
    pace_ns = int(config.get("Delay") or 0) + int(config.get("Monitor") or 0)
    return batches * pace_ns / 1e9


def services_of(raw_services: list[dict]) -> list[dict]:
    """{id, name, labels, desired, update_state, rollout_seconds} per
    `GET /services?status=true` entry.

    The wanted count is the daemon's own ServiceStatus.DesiredTasks: for a
    global service it leaves out nodes that are down, drained or excluded by a
    placement constraint.
    """
    out = []
    for s in raw_services:
        out.append(
            {
                "id": s.get("ID", ""),
                "name": (s.get("Spec") or {}).get("Name", ""),
                "labels": (s.get("Spec") or {}).get("Labels") or {},
                "desired": int((s.get("ServiceStatus") or {}).get("DesiredTasks") or 0),
                "update_state": (s.get("UpdateStatus") or {}).get("State") or "none",
                "rollout_seconds": rollout_seconds(s),
            }
        )
    return sorted(out, key=lambda s: s["name"])


def running_on_ready(service_id: str, tasks: list[dict], ready: set[str]) -> int:
    """Running tasks of a service on Ready nodes.

    Not the daemon's RunningTasks: a task on a node that went Down (powered
    off, unreachable) stays "running" there until the node comes back, so a
    node lost mid-run would make a stack look over-full, or whole while a task
    is missing.
    """
    return sum(
        1
        for t in tasks
        if t.get("ServiceID") == service_id
        and t.get("NodeID") in ready
        and (t.get("Status") or {}).get("State") == "running"
    )


def status(raw_nodes: list[dict], raw_services: list[dict], raw_tasks: list[dict]) -> dict:
    """services (with running counts), shortfall, updating, rolled_back and
    rollout_seconds."""
    ready = {n.get("ID") for n in raw_nodes if (n.get("Status") or {}).get("State") == "ready"}
    services = [
        {**s, "running": running_on_ready(s["id"], raw_tasks, ready)}
        for s in services_of(raw_services)
    ]
    shortfall = [
        f"{s['name']} {s['running']}/{s['desired']} running on Ready nodes"
        for s in services
        if s["desired"] == 0 or s["running"] != s["desired"]
    ]
    if not services:
        shortfall = ["no service of the stack is there yet"]
    return {
        "services": services,
        "shortfall": shortfall,
        "updating": [s["name"] for s in services if s["update_state"] in UPDATING],
        "rolled_back": [s["name"] for s in services if s["update_state"] in ROLLED_BACK],
        "rollout_seconds": sum(s["rollout_seconds"] for s in services),
    }
