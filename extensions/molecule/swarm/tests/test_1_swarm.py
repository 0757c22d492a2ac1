"""After converge: 1 manager + 2 workers, Ready, labelled, with a working overlay."""

import json

import pytest
from conftest import node_exec, swarm_nodes

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
