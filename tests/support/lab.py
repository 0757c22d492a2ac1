"""A lab fleet as lab/lab.sh (Pi-like containers on the host engine) or
lab/vm.sh (aarch64 VMs under QEMU) makes it: its files under build/lab/<name>
(inventory.yml, nodes.json, the SSH key), its nodes reached with `docker exec`
or over SSH, and the Swarm they form; plus the one writer of the extra
inventory files the tests add to a lab's."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from tests.support import REPO

# A lab node's host key is new with every node: nothing to check it against.
SSH_OPTIONS = (
    *("-o", "BatchMode=yes", "-o", "ConnectTimeout=5", "-o", "StrictHostKeyChecking=no"),
    *("-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR"),
)


class Lab:
    def __init__(self, name: str, script: str = "lab.sh", settings: Mapping | None = None):
        """The lab LAB_NAME=name of lab/<script>, with more of its settings
        (LAB_MANAGERS, LAB_IMAGE, ...) for `control`."""
        self.name = name
        self.script = script
        self.settings = dict(settings or {})
        self.dir = REPO / "build" / "lab" / name

    @property
    def inventory(self) -> Path:
        return self.dir / "inventory.yml"

    @property
    def key(self) -> Path:
        return self.dir / "id_ed25519"

    def control(self, *args: str, timeout: float = 600, quiet: bool = True) -> str:
        """lab/<script> ARGS (up N, down, recreate HOST) for this lab; its output
        (unless not quiet: then it goes to this process's). Raises on failure."""
        env = {**os.environ, **self.settings, "LAB_NAME": self.name}
        done = subprocess.run(
            [str(REPO / "lab" / self.script), *args],
            cwd=REPO,
            env=env,
            capture_output=quiet,
            text=True,
            timeout=timeout,
            check=False,
        )
        if done.returncode != 0:
            tail = (done.stdout or "")[-2000:] + (done.stderr or "")[-2000:]
            what = f"lab/{self.script} {' '.join(args)}"
            raise RuntimeError(f"{what}: exit {done.returncode}\n{tail}")
        return done.stdout or ""

    @property
    def nodes(self) -> list[dict]:
        """nodes.json as the lab last wrote it (a recreated node has a new address):
        host, address, user, and ssh_port/https_port/... where they are not the usual."""
        return json.loads((self.dir / "nodes.json").read_text())

    def node(self, host: str) -> dict:
        return next(n for n in self.nodes if n["host"] == host)

    def address(self, host: str) -> str:
        return self.node(host)["address"]

    def container(self, host: str) -> str:
        return f"{self.name}-{host}"

    def exec(self, host: str, *argv: str, check: bool = True, timeout: float = 120):
        """Run a command inside a container node, as root, through the host engine."""
        return subprocess.run(
            ["docker", "exec", self.container(host), *argv],
            capture_output=True,
            text=True,
            check=check,
            timeout=timeout,
        )

    def ssh(self, host: str, script: str, *, check: bool = True, timeout: float = 900):
        """Run a shell script on a node over SSH as its user, with sudo, as Ansible
        reaches it. With check, a failure raises RuntimeError with its stderr."""
        node = self.node(host)
        argv = ["ssh", "-i", str(self.key), *SSH_OPTIONS]
        # VMs are reached on a forwarded port of 127.0.0.1, lab nodes on 22.
        argv += ["-p", str(node.get("ssh_port", 22)), f"{node['user']}@{node['address']}"]
        done = subprocess.run(
            [*argv, "sudo -n sh -s"],
            input=script,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if check and done.returncode != 0:
            raise RuntimeError(f"{host}: {script!r} failed: {done.stderr.strip()}")
        return done

    def swarm_nodes(self, manager: str = "pi1") -> dict[str, dict]:
        """hostname -> {id, role, status, availability, reachability, leader, labels}
        as the manager's engine sees the Swarm. A hostname seen twice (a node that
        came back as a new member) keeps both: the second as hostname#id."""
        ids = self.exec(manager, "docker", "node", "ls", "-q").stdout.split()
        raw = json.loads(self.exec(manager, "docker", "node", "inspect", *ids).stdout)
        out = {}
        for n in raw:
            name = n["Description"]["Hostname"]
            key = name if name not in out else f"{name}#{n['ID']}"
            managed = n.get("ManagerStatus") or {}
            out[key] = {
                "id": n["ID"],
                "role": n["Spec"]["Role"],
                "availability": n["Spec"]["Availability"],
                "status": n["Status"]["State"],
                "reachability": managed.get("Reachability", ""),
                "leader": managed.get("Leader", False),
                "labels": n["Spec"].get("Labels") or {},
            }
        return out


def write_inventory(
    path: Path,
    hosts: Mapping[str, Mapping[str, object]],
    groups: Mapping[str, Sequence[str]] | None = None,
) -> Path:
    """An inventory file of `hosts` (name -> variables) and `groups` (name -> host
    names), to add with a second -i to a lab's: what a user sets in theirs. JSON,
    which Ansible's YAML inventory reads as it is."""
    data: dict = {"all": {"hosts": {name: dict(variables) for name, variables in hosts.items()}}}
    if groups:
        data["all"]["children"] = {
            group: {"hosts": dict.fromkeys(members, None)} for group, members in groups.items()
        }
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return path
