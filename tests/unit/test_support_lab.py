"""The lab helpers (tests/support/lab.py) without a lab: the inventory writer
read back by ansible-inventory, nodes.json, the Swarm as `docker node inspect`
reports it, and lab/lab.sh refusing a lab name."""

import json
import subprocess

import pytest

from tests.support import REPO, ansible
from tests.support.lab import Lab, write_inventory

NODES = [
    {"host": "pi1", "address": "172.30.0.2", "user": "pi"},
    {"host": "pi2", "address": "127.0.0.1", "user": "pi", "ssh_port": 2222, "https_port": 8443},
]


@pytest.fixture
def lab(tmp_path):
    lab = Lab("pifleet-lab-unit")
    lab.dir = tmp_path
    (tmp_path / "nodes.json").write_text(json.dumps(NODES))
    return lab


def test_where_a_lab_keeps_its_files():
    lab = Lab("pifleet-lab-drills")
    assert lab.dir == REPO / "build" / "lab" / "pifleet-lab-drills"
    assert lab.inventory == lab.dir / "inventory.yml"
    assert lab.key == lab.dir / "id_ed25519"
    assert lab.container("pi3") == "pifleet-lab-drills-pi3"


def test_nodes_as_the_lab_wrote_them(lab):
    assert lab.nodes == NODES
    assert lab.address("pi2") == "127.0.0.1"
    assert lab.node("pi2")["ssh_port"] == 2222
    # A recreated node comes back at a new address: read anew each time.
    (lab.dir / "nodes.json").write_text(json.dumps([{**NODES[0], "address": "172.30.0.9"}]))
    assert lab.address("pi1") == "172.30.0.9"


INSPECT = [
    {
        "ID": "a1",
        "Description": {"Hostname": "pi1"},
        "Spec": {"Role": "manager", "Availability": "active", "Labels": {"zone": "a"}},
        "Status": {"State": "ready"},
        "ManagerStatus": {"Leader": True, "Reachability": "reachable"},
    },
    {
        "ID": "b2",
        "Description": {"Hostname": "pi4"},
        "Spec": {"Role": "worker", "Availability": "drain"},
        "Status": {"State": "down"},
    },
    {
        "ID": "c3",
        "Description": {"Hostname": "pi4"},
        "Spec": {"Role": "worker", "Availability": "active", "Labels": None},
        "Status": {"State": "ready"},
    },
]


def test_swarm_nodes_from_docker_node_inspect(lab, monkeypatch):
    calls = []

    def fake_exec(host, *argv, check=True, timeout=120):
        calls.append((host, argv))
        out = "a1\nb2\nc3\n" if argv[:3] == ("docker", "node", "ls") else json.dumps(INSPECT)
        return subprocess.CompletedProcess(argv, 0, out, "")

    monkeypatch.setattr(lab, "exec", fake_exec)
    nodes = lab.swarm_nodes("pi2")
    assert calls == [
        ("pi2", ("docker", "node", "ls", "-q")),
        ("pi2", ("docker", "node", "inspect", "a1", "b2", "c3")),
    ]
    assert nodes == {
        "pi1": {
            "id": "a1",
            "role": "manager",
            "availability": "active",
            "status": "ready",
            "reachability": "reachable",
            "leader": True,
            "labels": {"zone": "a"},
        },
        "pi4": {
            "id": "b2",
            "role": "worker",
            "availability": "drain",
            "status": "down",
            "reachability": "",
            "leader": False,
            "labels": {},
        },
        # The same hostname again: a node that came back as a new member.
        "pi4#c3": {
            "id": "c3",
            "role": "worker",
            "availability": "active",
            "status": "ready",
            "reachability": "",
            "leader": False,
            "labels": {},
        },
    }


def test_the_inventory_writer_as_ansible_reads_it(tmp_path):
    path = write_inventory(
        tmp_path / "extra.yml",
        {"pi1": {"ansible_host": "pi1.invalid", "ansible_ssh_args": "-o HostName=10.0.0.1"}},
        groups={"swarm_workers": ["pi1", "pi2"]},
    )
    listed = ansible.run(
        ["ansible-inventory", "-i", str(path), "--list"], env=ansible.checkout_env()
    )
    assert listed.rc == 0, listed.output
    # Python warnings may stand before the document: ansible-core 2.20 with
    # today's cryptography (51) warns that DSA is deprecated on stderr.
    seen = ansible.json_document(listed.output)
    # Some settings add variables of their own (make's ANSIBLE_INJECT_FACT_VARS
    # adds ansible_local): the file's must be there as written.
    wanted = {"ansible_host": "pi1.invalid", "ansible_ssh_args": "-o HostName=10.0.0.1"}
    assert seen["_meta"]["hostvars"]["pi1"].items() >= wanted.items()
    assert sorted(seen["swarm_workers"]["hosts"]) == ["pi1", "pi2"]


def test_the_inventory_writer_without_groups(tmp_path):
    path = write_inventory(tmp_path / "one.yml", {"pi1": {"ansible_port": 2222}})
    assert json.loads(path.read_text()) == {"all": {"hosts": {"pi1": {"ansible_port": 2222}}}}


def test_a_failing_lab_script_says_why():
    # lab.sh refuses a name it could not clean up after, before touching the engine.
    with pytest.raises(RuntimeError, match="LAB_NAME must start with 'pifleet-lab'"):
        Lab("not-a-lab").control("ls")
