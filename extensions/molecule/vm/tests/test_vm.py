"""site.yml on a real aarch64 kernel: the VM as a 64-bit Pi, its engine, images and the mesh."""

import json
import os
import re
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


def test_the_lab_kernel_runs_without_page_table_isolation(host):
    # lab/vm.sh boots with kpti=0 (why: there).
    with open(vm(host)["console"], errors="replace") as f:
        console = f.read()
    assert "page table isolation forced OFF by kpti command line option" in console
    assert "Kernel page table isolation (KPTI)" not in console


def test_it_looks_like_64_bit_raspberry_pi_os(host):
    model = host.file("/proc/device-tree/model").content_string.rstrip("\0")
    assert model.startswith("Raspberry Pi")
    assert host.file("/etc/rpi-issue").exists
    assert "ID=debian" in host.file("/etc/os-release").content_string


def first_boot(host):
    """What prepare read on the VM's first boot, before any role ran."""
    name = f"{host.backend.get_hostname()}.first-boot.json"
    with open(os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], name)) as f:
        return json.load(f)


def boot_lines(host):
    """The line lab/vm.sh's supervisor read from the FAT image before each boot."""
    with open(vm(host)["cmdlines"]) as f:
        return f.read().splitlines()


def evidence(host, text):
    """Print it, and keep it in build/logs for the record of this run."""
    print(text)
    logs = os.path.join(os.environ["MOLECULE_PROJECT_DIRECTORY"], "build", "logs")
    os.makedirs(logs, exist_ok=True)
    with open(os.path.join(logs, "vm-boot.txt"), "a") as f:
        f.write(f"{host.backend.get_hostname()}: {text}\n")


def test_boot_partition_is_fat32_at_boot_firmware(host):
    mount = host.check_output("findmnt -n -o SOURCE,FSTYPE /boot/firmware").split()
    assert mount[1] == "vfat", mount
    assert host.file("/boot/firmware/config.txt").contains("arm_64bit=1")


def test_each_boot_took_the_line_cmdline_txt_had(host):
    # lab/vm.sh's supervisor logs the line it read from the FAT image before
    # each boot: the stock one, then the one the node role left.
    lines = boot_lines(host)
    assert len(lines) >= 2, f"booted {len(lines)} time(s): the node role did not reboot the VM"
    assert "cgroup_disable=memory" in lines[0].split()
    now = host.file("/boot/firmware/cmdline.txt").content_string
    assert now.count("\n") == 1
    assert lines[-1] == now.rstrip("\n")
    assert now.split().count("cgroup_enable=memory") == 1
    assert "cgroup_disable=memory" not in now.split()
    # What the running kernel got: this machine's few parameters, then the line.
    assert host.file("/proc/cmdline").content_string.rstrip("\n").endswith(lines[-1])
    boot_id = host.file("/proc/sys/kernel/random/boot_id").content_string.strip()
    assert boot_id != first_boot(host)["boot_id"]
    evidence(host, f"cmdline.txt at each boot: {lines}")


def test_memory_controller_missing_before_and_present_after(host):
    before = first_boot(host)["controllers"]
    after = host.file("/sys/fs/cgroup/cgroup.controllers").content_string.strip()
    assert "memory" not in before.split()
    assert "memory" in after.split()
    evidence(host, f"cgroup.controllers before: {before!r}; after: {after!r}")


def test_the_old_line_is_kept_on_the_fat_partition(host):
    names = host.check_output("ls -1 /boot/firmware").split()
    backups = [n for n in names if re.fullmatch(r"cmdline\.txt\.\d{8}-\d{6}\.bak", n)]
    assert len(backups) == 1, names
    stock = host.file(f"/boot/firmware/{backups[0]}").content_string.rstrip("\n")
    assert stock == boot_lines(host)[0], stock
    evidence(host, f"backup on the FAT partition: /boot/firmware/{backups[0]}")


def test_time_sync_runs_and_swap_stays_off_after_the_reboot(host):
    assert first_boot(host)["swap"] == "/var/swap"
    assert host.check_output("systemctl is-active systemd-timesyncd") == "active"
    assert host.file("/proc/swaps").content_string.splitlines()[1:] == []
    assert host.check_output("systemctl is-enabled dphys-swapfile || true") == "disabled"


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


def test_the_backend_is_encrypted_where_the_kernel_has_esp(host):
    """This kernel has ESP and the policy and u32 matches (as modules), so
    caddy_backend_encryption auto encrypts the network Caddy reaches PHP-FPM
    on; the PHP page below crosses it. One VM: Docker makes the network and
    its rules, but no IPsec state is needed until a second node joins."""
    with host.sudo():
        facts = host.ansible("pifleet.swarm.node_facts", check=False)["ansible_facts"]
    assert facts["node_facts"]["encrypted_overlay"], facts["node_facts"]
    backend = json.loads(docker(host, "network", "inspect", "web_backend_encrypted"))[0]
    assert backend["Internal"] and "encrypted" in backend["Options"], backend
    for service in ("web_caddy", "web_php"):
        spec = json.loads(docker(host, "service", "inspect", service))[0]["Spec"]
        targets = {n["Target"] for n in spec["TaskTemplate"]["Networks"]}
        assert backend["Id"] in targets, service


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
