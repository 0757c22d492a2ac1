"""An arm64 lab node after the node stage, checked over the same SSH as Ansible uses."""

import pytest

EXPECTED = {"pi1": {"arch": "aarch64", "codename": "bookworm"}}


@pytest.fixture
def name(host):
    return host.backend.get_hostname()


def test_systemd_is_pid_1_and_running(host):
    assert host.file("/proc/1/comm").content_string.strip() == "systemd" or host.check_output(
        "readlink -f /proc/1/exe"
    ).endswith("/systemd")
    state = host.run("systemctl is-system-running").stdout.strip()
    failed = host.run("systemctl --failed --no-legend --plain").stdout
    assert state == "running", f"systemd is {state}; failed units:\n{failed}"


def test_sshd_serves(host):
    assert host.service("ssh").is_running
    assert host.socket("tcp://0.0.0.0:22").is_listening


def test_python3(host):
    assert host.exists("python3")
    assert host.run("python3 -c 'import apt, json'").rc == 0


def test_architecture_and_release(host, name):
    assert host.system_info.arch == EXPECTED[name]["arch"]
    assert host.system_info.codename == EXPECTED[name]["codename"]


def test_ansible_sees_the_architecture(host, name):
    facts = host.ansible("setup", "gather_subset=!all,!min,platform", check=False)["ansible_facts"]
    assert facts["ansible_architecture"] == EXPECTED[name]["arch"]


def test_looks_like_a_pi(host):
    model = host.file("/sys/firmware/devicetree/base/model").content
    assert model.startswith(b"Raspberry Pi ") and model.endswith(b"\0")
    assert host.file("/boot/firmware/cmdline.txt").contains("rootwait")
    assert host.file("/etc/rpi-issue").exists


def test_docker_volume_is_its_own(host):
    # Each node's /var/lib/docker is a volume of its own, so an inner engine
    # can use overlay2 (overlay on the container's overlay root is refused).
    mounts = host.check_output("findmnt -n -o TARGET /var/lib/docker")
    assert mounts.strip() == "/var/lib/docker"


def test_node_facts_module(host, name):
    facts = host.ansible("pifleet.swarm.node_facts", check=False)["ansible_facts"]["node_facts"]
    assert facts["os"] == "raspios"
    assert facts["is_pi"] is True
    assert facts["pi_model"] == "Raspberry Pi 4 Model B Rev 1.5"
    assert facts["arch"] == EXPECTED[name]["arch"]
    assert facts["dpkg_arch"] == "arm64"
    assert facts["platform"] == "linux/arm64"
    assert facts["os_codename"] == EXPECTED[name]["codename"]
    assert facts["cmdline_path"] == "/boot/firmware/cmdline.txt"
    assert "rootwait" in facts["cmdline"]
    # The node role put the memory cgroup on the kernel command line, once.
    assert facts["cmdline"].split().count("cgroup_enable=memory") == 1
    assert facts["cgroup_version"] in (1, 2)
