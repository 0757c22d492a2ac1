"""What the node role must leave on each lab node, checked over the same SSH as Ansible."""

import pytest


def _node(os, arch, dpkg_arch, codename, platform):
    return {
        "os": os,
        "arch": arch,
        "dpkg_arch": dpkg_arch,
        "codename": codename,
        "platform": platform,
    }


EXPECTED = {
    "pi1": _node("raspios", "x86_64", "amd64", "trixie", "linux/amd64"),
    "pi2": _node("raspios", "x86_64", "amd64", "bookworm", "linux/amd64"),
    "pi3": _node("raspbian", "armv7l", "armhf", "bookworm", "linux/arm/v7"),
}
# prepare.yml made pi2's line untidy; this is what the role must make of it:
# cgroup_memory=0 replaced where it stood (pi2 also wants cgroup_memory=1, see
# molecule.yml), cgroup_disable=memory gone, cgroup_enable=memory appended.
PI2_AFTER = (
    "console=serial0,115200 console=tty1 cgroup_memory=1 root=PARTUUID=4e639091-02 "
    "rootfstype=ext4 fsck.repair=yes rootwait cgroup_enable=memory\n"
)
CMDLINE = "/boot/firmware/cmdline.txt"
RECORD = "/var/tmp/pifleet-molecule"


@pytest.fixture
def name(host):
    return host.backend.get_hostname()


def test_systemd_runs_and_nothing_failed(host):
    state = host.run("systemctl is-system-running").stdout.strip()
    failed = host.run("systemctl --failed --no-legend --plain").stdout
    assert state == "running", f"systemd is {state}; failed units:\n{failed}"


def test_ansible_and_the_node_agree_on_the_architecture(host, name):
    # uname -m on the node (under qemu-user for pi3) and Ansible's fact.
    assert host.system_info.arch == EXPECTED[name]["arch"]
    assert host.system_info.codename == EXPECTED[name]["codename"]
    facts = host.ansible("setup", "gather_subset=!all,!min,platform", check=False)["ansible_facts"]
    assert facts["ansible_architecture"] == EXPECTED[name]["arch"]


def test_the_node_started_bare_and_the_role_installed_what_ansible_needs(host):
    # prepare.yml recorded, before any role ran, which of these the image had:
    # none (lab/images.sh keeps node images as bare as a minimal image).
    assert host.file(f"{RECORD}/packages-before").content_string.split() == []
    for package in ("python3-apt", "iproute2"):
        assert host.package(package).is_installed, package
    assert host.run("python3 -c 'import apt'").rc == 0
    # Nothing the roles do not need came in with them.
    for package in ("gnupg", "curl"):
        assert not host.package(package).is_installed, package


def test_cmdline_is_one_line_with_each_parameter_once(host, name):
    text = host.file(CMDLINE).content_string
    assert text.endswith("\n") and text.count("\n") == 1
    params = text.split()
    assert params.count("cgroup_enable=memory") == 1
    assert "cgroup_disable=memory" not in params
    if name == "pi2":
        assert params.count("cgroup_memory=1") == 1
        assert not [p for p in params if p.startswith("cgroup_memory=") and p != "cgroup_memory=1"]


def test_rest_of_the_line_is_intact(host, name):
    before = host.file(f"{RECORD}/cmdline.txt.orig").content_string
    after = host.file(CMDLINE).content_string
    if name == "pi2":
        assert after == PI2_AFTER
    else:
        assert after == before[:-1] + " cgroup_enable=memory\n"


def test_a_backup_of_the_old_line_is_kept(host):
    # A FAT-safe name (the boot partition of a real Pi is FAT: no ':').
    backups = host.check_output(f"ls {CMDLINE}.*.bak").split()
    assert all(":" not in b for b in backups), backups
    assert len(backups) == 1
    assert (
        host.file(backups[0]).content_string
        == host.file(f"{RECORD}/cmdline.txt.orig").content_string
    )


def test_the_node_really_rebooted(host):
    before = host.file(f"{RECORD}/pid1-start").content_string.strip()
    now = host.file("/proc/1/stat").content_string.split(" ")[21]
    assert now != before, "PID 1 started when it did before the converge: no reboot"


def test_node_facts_per_node(host, name):
    facts = host.ansible("pifleet.swarm.node_facts", check=False)["ansible_facts"]["node_facts"]
    want = EXPECTED[name]
    assert facts["os"] == want["os"]
    assert facts["arch"] == want["arch"]
    assert facts["dpkg_arch"] == want["dpkg_arch"]
    assert facts["os_codename"] == want["codename"]
    assert facts["platform"] == want["platform"]
    assert facts["pi_model"] == "Raspberry Pi 4 Model B Rev 1.5"
    assert facts["cmdline_path"] == CMDLINE
    assert facts["is_pi"] is True
    assert facts["memory_cgroup"] is True
    assert facts["container"] == "docker"
    assert set(facts["disk_free_mb"]) == {"/", "/var/lib"}


def test_check_mode_on_the_converged_fleet_changes_nothing(host, name, check_mode_recap):
    """--check --diff of the whole converge on the converged nodes: 0 changes, 0 diffs."""
    if name != "pi1":
        pytest.skip("run once for the fleet")
    nodes = {h: changed for h, changed in check_mode_recap.items() if h.startswith("pi")}
    assert nodes == {"pi1": 0, "pi2": 0, "pi3": 0}, check_mode_recap


def test_a_line_already_right_starts_no_module(check_mode_run):
    """The role decides from the line node_facts read (the cmdline_edit
    filter, the module's rules): on the converged nodes it skips the module;
    side_effect's node_reboot case shows it still runs on a line to edit."""
    task = "Put the wanted kernel parameters on the single line of cmdline.txt"
    assert check_mode_run.outcomes(task) == {"skipping"}
