"""site.yml on a real aarch64 kernel: the VM as a 64-bit Pi, its engine, images and the mesh."""

import json
import os
import subprocess

import pytest

LAB = os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "lab")
CA = os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "root-ca.crt")
SITE = "demo.pifleet.lan"


def vm(host):
    """The VM's entry in lab/vm.sh's nodes.json: forwarded ports, console log."""
    with open(os.path.join(LAB, "nodes.json")) as f:
        nodes = {n["host"]: n for n in json.load(f)}
    return nodes[host.backend.get_hostname()]


def docker(host, *args):
    with host.sudo():
        return host.check_output("docker " + " ".join(args))


def test_a_real_aarch64_kernel(host):
    assert host.check_output("uname -m") == "aarch64"
    assert host.check_output("dpkg --print-architecture") == "arm64"
    # Not a container: systemd sees a VM (QEMU), not docker.
    assert host.run("systemd-detect-virt --container").rc != 0


def test_it_looks_like_64_bit_raspberry_pi_os(host):
    model = host.file("/proc/device-tree/model").content_string.rstrip("\0")
    assert model.startswith("Raspberry Pi")
    assert host.file("/etc/rpi-issue").exists
    assert "ID=debian" in host.file("/etc/os-release").content_string


def test_cmdline_txt_edited_and_the_vm_rebooted(host):
    line = host.file("/boot/firmware/cmdline.txt").content_string
    assert line.count("\n") == 1
    assert line.split().count("cgroup_enable=memory") == 1
    # The serial console log spans the whole life of the QEMU process: the
    # kernel booted once at `up` and again after the node role's reboot.
    with open(vm(host)["console"], errors="replace") as f:
        boots = f.read().count("Booting Linux on physical CPU")
    assert boots >= 2, f"the kernel booted {boots} time(s): the node role did not reboot the VM"


def test_memory_cgroup_controller_from_the_kernel(host):
    controllers = host.file("/sys/fs/cgroup/cgroup.controllers").content_string.split()
    assert "memory" in controllers


def test_systemd_runs_and_nothing_failed(host):
    state = host.run("systemctl is-system-running").stdout.strip()
    failed = host.run("systemctl --failed --no-legend --plain").stdout
    assert state == "running", f"systemd is {state}; failed units:\n{failed}"


def test_engine_is_native_arm64(host):
    assert docker(host, "info", "--format", "'{{.Architecture}}'") == "aarch64"
    assert docker(host, "info", "--format", "'{{.Driver}}'") == "overlay2"
    assert docker(host, "info", "--format", "'{{.Swarm.LocalNodeState}}'") == "active"


@pytest.mark.parametrize("ref", ["pifleet/caddy:2", "pifleet/php-fpm:8", "debian:bookworm-slim"])
def test_images_are_arm64(host, ref):
    assert docker(host, "image", "inspect", "--format", "'{{.Architecture}}'", ref) == "arm64"


def test_images_were_built_here(host):
    # arm_image's content hash label: the recipes were built on this node.
    for ref in ("pifleet/caddy:2", "pifleet/php-fpm:8"):
        label = docker(
            host,
            "image",
            "inspect",
            "--format",
            "'{{ index .Config.Labels \"org.pifleet.arm_image.hash\" }}'",
            ref,
        )
        assert len(label) >= 16, ref


@pytest.mark.parametrize("service", ["web_caddy", "web_php"])
def test_services_converged(host, service):
    out = docker(
        host, "service", "ls", "--filter", f"name={service}", "--format", "'{{.Replicas}}'"
    )
    running, _, wanted = out.partition("/")
    assert running == wanted.split()[0] and int(running) > 0


def test_caddy_is_behind_the_routing_mesh(host):
    spec = json.loads(
        docker(host, "service", "inspect", "web_caddy", "--format", "'{{json .Endpoint}}'")
    )
    assert spec["Spec"]["Mode"] == "vip"
    published = {p["TargetPort"]: p["PublishMode"] for p in spec["Ports"]}
    assert published.get(443) == "ingress"
    ingress = docker(host, "network", "inspect", "ingress", "--format", "'{{.Id}}'")
    assert any(v["NetworkID"] == ingress for v in spec["VirtualIPs"]), spec["VirtualIPs"]
    # The kernel's IPVS tables exist: the mesh balances with them.
    with host.sudo():
        assert host.file("/proc/net/ip_vs").exists


def curl(host, scheme, path="/"):
    port = vm(host)["https_port" if scheme == "https" else "http_port"]
    cmd = ["curl", "-sS", "--max-time", "30", "--resolve", f"{SITE}:{port}:127.0.0.1"]
    cmd += ["--cacert", CA, "-o", "-", "-w", "\n%{http_code}|%{content_type}"]
    cmd += [f"{scheme}://{SITE}:{port}{path}"]
    out = subprocess.run(cmd, capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    body, _, meta = out.stdout.rpartition("\n")
    code, ctype = meta.split("|")
    return int(code), ctype, body


def test_php_page_over_https_through_the_mesh(host):
    # QEMU forwards 127.0.0.1:<port> to the guest's 443, where only the
    # ingress mesh listens (no host-mode port): the answer came through IPVS.
    # --cacert holds only the stack's root: the chain must end there.
    code, ctype, body = curl(host, "https")
    assert code == 200
    assert ctype.startswith("text/html")
    assert "Answered by" in body and "<?php" not in body


def test_http_redirects_to_https(host):
    code, _, _ = curl(host, "http")
    assert code in (301, 308)
