"""What each node is after site.yml: a booted Pi-like host with a healthy engine."""

import pytest


def test_systemd_runs_and_nothing_failed(host):
    state = host.run("systemctl is-system-running").stdout.strip()
    failed = host.run("systemctl --failed --no-legend --plain").stdout
    assert state == "running", f"systemd is {state}; failed units:\n{failed}"


def test_sshd_and_python(host):
    assert host.service("ssh").is_running
    assert host.run("python3 -c 'import apt, docker'").rc == 0


def test_memory_cgroup_on_the_kernel_command_line(host):
    line = host.file("/boot/firmware/cmdline.txt").content_string
    assert line.count("\n") == 1
    assert line.split().count("cgroup_enable=memory") == 1


def test_engine_is_healthy_on_overlay2(host):
    with host.sudo():
        assert host.service("docker").is_running
        driver = host.check_output("docker info --format '{{.Driver}}'")
        swarm = host.check_output("docker info --format '{{.Swarm.LocalNodeState}}'")
    assert driver == "overlay2"
    assert swarm == "active"


# docker_engine_source: distro (molecule.yml): each release's own docker.io.
DEBIAN_ENGINE = {"bookworm": "20.10", "trixie": "26.1"}


def test_the_engine_is_the_releases_own_docker_io(host):
    engine = DEBIAN_ENGINE[host.system_info.codename]
    assert host.package("docker.io").version.startswith(engine)
    assert not host.package("docker-ce").is_installed
    assert not host.file("/etc/apt/sources.list.d/docker.sources").exists
    with host.sudo():
        assert host.check_output("docker version --format '{{.Server.Version}}'").startswith(engine)


def test_the_images_are_on_every_node(host):
    with host.sudo():
        for ref in ("pifleet/caddy:2", "pifleet/php-fpm:8"):
            assert host.run(f"docker image inspect {ref}").rc == 0, ref


def test_check_mode_on_the_converged_fleet_changes_nothing(host, check_mode_recap):
    """site.yml --check --diff on the converged fleet: every node predicts 0 changes."""
    if host.backend.get_hostname() != "pi1":
        pytest.skip("run once for the fleet")
    assert check_mode_recap == {"pi1": 0, "pi2": 0, "pi3": 0, "pi4": 0}, check_mode_recap
