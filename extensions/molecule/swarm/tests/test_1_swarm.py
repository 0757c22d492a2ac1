"""After converge: 1 manager + 2 workers, Ready, labelled, with a working overlay."""

import json

import pytest
from conftest import case, node_exec, swarm_nodes

MODEL = "Raspberry Pi 4 Model B Rev 1.5"
IMAGE = "pifleet-test/busybox:local"


@pytest.fixture(scope="module")
def nodes():
    return swarm_nodes()


def test_docker_node_ls_shows_three_ready_nodes(nodes):
    # `docker node ls` itself, as a user would read it from the manager.
    lines = node_exec("pi1", "docker", "node", "ls", "--format", "{{json .}}").stdout.splitlines()
    rows = {r["Hostname"]: r for r in map(json.loads, lines)}
    assert sorted(rows) == ["pi1", "pi2", "pi3"]
    assert {r["Status"] for r in rows.values()} == {"Ready"}
    assert rows["pi1"]["ManagerStatus"] == "Leader"
    assert rows["pi2"]["ManagerStatus"] == rows["pi3"]["ManagerStatus"] == ""
    assert {r["Availability"] for r in rows.values()} == {"Active"}


def test_roles(nodes):
    assert {h: n["role"] for h, n in nodes.items()} == {
        "pi1": "manager",
        "pi2": "worker",
        "pi3": "worker",
    }


def test_labels_from_node_facts_and_inventory(nodes):
    for name, n in nodes.items():
        assert n["labels"]["arch"] == "x86_64", name
        assert n["labels"]["model"] == MODEL, name
    assert nodes["pi2"]["labels"]["zone"] == "shelf-a"
    assert "zone" not in nodes["pi3"]["labels"]
    assert nodes["pi2"]["labels"]["org.pifleet.swarm.managed"] == "arch,model,zone"


def test_overlay_networks():
    nets = json.loads(
        node_exec("pi1", "docker", "network", "inspect", "lab-overlay", "lab-secret").stdout
    )
    by_name = {n["Name"]: n for n in nets}
    assert by_name["lab-overlay"]["Driver"] == "overlay"
    assert by_name["lab-overlay"]["Scope"] == "swarm"
    assert by_name["lab-overlay"]["Attachable"] is True
    assert "encrypted" not in (by_name["lab-overlay"]["Options"] or {})
    # Set and inspectable; the lab kernel has no ESP to carry its traffic.
    assert "encrypted" in by_name["lab-secret"]["Options"]


def _image(host):
    # No registry: a one-file image from the node's own static busybox.
    node_exec(
        host,
        "sh",
        "-c",
        f"tar -C /bin -c busybox | docker import -c 'ENTRYPOINT [\"/busybox\"]' - {IMAGE}",
    )


def test_overlay_carries_traffic_between_nodes():
    for host in ("pi1", "pi2"):
        _image(host)
    node_exec("pi2", "docker", "rm", "-f", "overlay-web", check=False)
    try:
        node_exec(
            "pi2",
            "docker",
            "run",
            "-d",
            "--name",
            "overlay-web",
            "--network",
            "lab-overlay",
            IMAGE,
            "sh",
            "-c",
            "/busybox mkdir -p /w && echo overlay-ok > /w/index.html"
            " && exec /busybox httpd -f -p 8080 -h /w",
        )
        fmt = '{{ (index .NetworkSettings.Networks "lab-overlay").IPAddress }}'
        ip = node_exec("pi2", "docker", "inspect", "-f", fmt, "overlay-web").stdout.strip()
        assert ip, "the container on pi2 has no address on lab-overlay"
        client = ["docker", "run", "--rm", "--network", "lab-overlay", IMAGE]
        ping = node_exec("pi1", *client, "ping", "-c", "2", "-W", "5", ip, check=False)
        assert ping.returncode == 0, ping.stdout + ping.stderr
        got = node_exec("pi1", *client, "wget", "-q", "-T", "10", "-O", "-", f"http://{ip}:8080/")
        assert got.stdout.strip() == "overlay-ok"
    finally:
        node_exec("pi2", "docker", "rm", "-f", "overlay-web", check=False)


def test_a_network_in_use_is_never_removed():
    """Issue 18 item 9: encrypting lab-overlay (Docker removes and recreates a
    network for that), or removing it, while a service and a container use
    it: refused, and the network, the service and the container stay."""
    _image("pi1")
    node_exec("pi1", "docker", "rm", "-f", "net-user", check=False)
    node_exec("pi1", "docker", "service", "rm", "net-user-svc", check=False)
    node_exec(
        "pi1",
        "docker",
        "run",
        "-d",
        "--name",
        "net-user",
        "--network",
        "lab-overlay",
        IMAGE,
        "sleep",
        "600",
    )
    node_exec(
        "pi1",
        "docker",
        "service",
        "create",
        "--detach",
        "--name",
        "net-user-svc",
        "--network",
        "lab-overlay",
        "--constraint",
        "node.role==manager",
        "--no-resolve-image",
        IMAGE,
        "sleep",
        "600",
    )
    net_id = ["docker", "network", "inspect", "-f", "{{.Id}}", "lab-overlay"]
    before = node_exec("pi1", *net_id).stdout
    keep = {"pi2": {"zone": "shelf-a"}}
    try:
        for change, what in (
            ({"name": "lab-overlay", "encrypted": True}, "removed and created again"),
            ({"name": "lab-overlay", "state": "absent"}, "removed (state: absent)"),
        ):
            nets = [change, {"name": "lab-secret", "encrypted": True}]
            extra = json.dumps({"swarm_networks": nets})
            run = case(["pi1"], ["pi2", "pi3"], "-e", extra, labels=keep)
            assert run.rc != 0, run.output[-3000:]
            refusal = [ln for ln in run.output.splitlines() if "swarm_networks: lab-overlay" in ln]
            assert refusal, run.output[-3000:]
            assert f"swarm_networks: lab-overlay would be {what}" in refusal[0], refusal
            assert "net-user-svc, container net-user use it; nothing was changed" in refusal[0]
            assert node_exec("pi1", *net_id).stdout == before
            fmt = "{{json .NetworkSettings.Networks}}"
            attached = node_exec("pi1", "docker", "inspect", "-f", fmt, "net-user").stdout
            assert "lab-overlay" in json.loads(attached), attached
    finally:
        node_exec("pi1", "docker", "rm", "-f", "net-user", check=False)
        node_exec("pi1", "docker", "service", "rm", "net-user-svc", check=False)
