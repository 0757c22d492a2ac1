"""Helpers for the swarm scenario's verify step: converge the lab regrouped,
read the Swarm.

The Swarm is read from the host engine with `docker exec` into the lab node
containers (pifleet-lab-mol-swarm-piN), so the checks stay right when a
change case recreates a node at a new address.
"""

import json
from pathlib import Path

from tests.support.ansible import Result, checkout_env, playbook
from tests.support.lab import Lab

SCENARIO = Path(__file__).resolve().parents[1]
# resources/create.yml has lab/lab.sh make it, with its files where any lab's go.
LAB = Lab("pifleet-lab-mol-swarm")
node_exec = LAB.exec
swarm_nodes = LAB.swarm_nodes


def play(path, *args, inventory=None, log_path=None) -> Result:
    """ansible-playbook on the lab, with this checkout's ansible.cfg."""
    env = {**checkout_env(), "ANSIBLE_TIMEOUT": "60"}
    if log_path:
        env["ANSIBLE_LOG_PATH"] = str(log_path)
    return playbook(path, *args, inventory=inventory or LAB.inventory, env=env, timeout=900)


def case(managers, workers, *args, labels=None, availability=None, log_path=None) -> Result:
    """Converge the lab regrouped: these managers and workers (see case.yml), with
    per-host swarm_node_labels and swarm_node_availability."""
    data = {"case_managers": managers, "case_workers": workers, "case_labels": labels or {}}
    data["case_availability"] = availability or {}
    return play(
        SCENARIO / "case.yml",
        "-e",
        json.dumps(data),
        "-e",
        "swarm_managers_group=case_managers",
        "-e",
        "swarm_workers_group=case_workers",
        *args,
        log_path=log_path,
    )


def nodes_changed(result: Result) -> dict[str, int]:
    """node -> changed count from the recap (localhost only regroups: add_host
    reports a change every time)."""
    return {host: count for host, count in result.changed.items() if host != "localhost"}
