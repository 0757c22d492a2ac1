"""Helpers for the swarm scenario's verify step: run plays, read the Swarm.

The Swarm is read from the host engine with `docker exec` into the lab node
containers (named pifleet-lab-mol-swarm-piN), so the checks stay right when a
change case recreates a node at a new address.
"""

import json
import os
import subprocess
from pathlib import Path

SCENARIO = Path(__file__).resolve().parents[1]
REPO = SCENARIO.parents[2]
LAB = "pifleet-lab-mol-swarm"
# Where resources/create.yml has lab/lab.sh write the lab's inventory and key.
LAB_OUT = REPO / "build" / "lab" / LAB


def node_exec(host: str, *argv: str, check: bool = True) -> subprocess.CompletedProcess:
    """Run a command inside a lab node (as root) through the host engine."""
    return subprocess.run(
        ["docker", "exec", f"{LAB}-{host}", *argv],
        capture_output=True,
        text=True,
        check=check,
        timeout=120,
    )


def env(**extra) -> dict:
    out = dict(os.environ)
    out.update(
        ANSIBLE_CONFIG=str(REPO / "ansible.cfg"),
        ANSIBLE_COLLECTIONS_PATH=str(REPO / "build" / "collections"),
        ANSIBLE_FORCE_COLOR="0",
        NO_COLOR="1",
        ANSIBLE_TIMEOUT="60",
    )
    out.update(extra)
    return out


def play(playbook, *args, inventory=None, log_path=None) -> subprocess.CompletedProcess:
    """ansible-playbook on the lab; stdout and stderr together."""
    inv = inventory or str(LAB_OUT / "inventory.yml")
    extra = {"ANSIBLE_LOG_PATH": str(log_path)} if log_path else {}
    return subprocess.run(
        ["ansible-playbook", "-i", inv, str(playbook), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env(**extra),
        cwd=REPO,
        timeout=900,
        check=False,
    )


def case(
    managers, workers, *args, labels=None, availability=None, log_path=None
) -> subprocess.CompletedProcess:
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


def swarm_nodes(manager: str = "pi1") -> dict:
    """hostname -> {role, status, availability, reachability, leader, labels, id}."""
    ids = node_exec(manager, "docker", "node", "ls", "-q").stdout.split()
    raw = json.loads(node_exec(manager, "docker", "node", "inspect", *ids).stdout)
    out = {}
    for n in raw:
        name = n["Description"]["Hostname"]
        key = name if name not in out else f"{name}#{n['ID']}"
        out[key] = {
            "id": n["ID"],
            "role": n["Spec"]["Role"],
            "availability": n["Spec"]["Availability"],
            "status": n["Status"]["State"],
            "reachability": (n.get("ManagerStatus") or {}).get("Reachability", ""),
            "leader": (n.get("ManagerStatus") or {}).get("Leader", False),
            "labels": n["Spec"].get("Labels") or {},
        }
    return out


def recap_changed(output: str) -> dict:
    """node -> changed count from the PLAY RECAP lines (localhost only regroups)."""
    out = {}
    for line in output.splitlines():
        parts = line.split()
        if parts and parts[0] == "localhost":
            continue
        if len(parts) > 2 and parts[1] == ":" and any(p.startswith("changed=") for p in parts):
            changed = next(p for p in parts if p.startswith("changed="))
            out[parts[0]] = out.get(parts[0], 0) + int(changed.split("=")[1])
    return out
