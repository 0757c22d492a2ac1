"""Rules that tell nodes apart, fed the exact bytes real systems show."""

import pytest
from ansible_collections.pifleet.swarm.plugins.module_utils._node import (
    arch_info,
    classify_os,
    cmdline_path,
    encrypted_overlay,
    is_raspberry_pi,
    kernel_modules,
    memory_cgroup,
    parse_model,
    parse_os_release,
    swap_devices,
)

RASPIOS_64 = """PRETTY_NAME="Debian GNU/Linux 13 (trixie)"
NAME="Debian GNU/Linux"
VERSION_ID="13"
VERSION="13 (trixie)"
VERSION_CODENAME=trixie
DEBIAN_VERSION_FULL=13.2
ID=debian
HOME_URL="https://www.debian.org/"
"""

RASPBIAN_32 = """PRETTY_NAME="Raspbian GNU/Linux 12 (bookworm)"
NAME="Raspbian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=raspbian
ID_LIKE=debian
"""

HYPRIOT = """PRETTY_NAME="Raspbian GNU/Linux 10 (buster)"
ID=raspbian
HYPRIOT_OS="HypriotOS/armhf"
HYPRIOT_OS_VERSION="v2.0.1"
"""

UBUNTU = """NAME="Ubuntu"
VERSION="24.04.1 LTS (Noble Numbat)"
ID=ubuntu
ID_LIKE=debian
VERSION_CODENAME=noble
"""


def test_os_release_quoting_and_comments():
    parsed = parse_os_release("# comment\nNAME='Odd \\'x\\''\nEMPTY=\nID=debian\n\nGARBAGE\n")
    assert parsed["ID"] == "debian"
    assert parsed["EMPTY"] == ""
    assert "GARBAGE" not in parsed


def test_os_release_unbalanced_quote_is_kept_not_fatal():
    assert parse_os_release('NAME="broken\n')["NAME"] == "broken"


@pytest.mark.parametrize(
    ("text", "rpi_issue", "hypriot", "expected"),
    [
        (RASPIOS_64, True, False, "raspios"),
        (RASPIOS_64, False, False, "debian"),
        (RASPBIAN_32, True, False, "raspbian"),
        (RASPBIAN_32, False, False, "raspbian"),
        (HYPRIOT, False, False, "hypriotos"),
        (RASPIOS_64, True, True, "hypriotos"),
        (UBUNTU, False, False, "ubuntu"),
        ("", False, False, "unknown"),
    ],
)
def test_classify_os(text, rpi_issue, hypriot, expected):
    assert classify_os(parse_os_release(text), rpi_issue=rpi_issue, hypriot=hypriot) == expected


def test_model_is_nul_terminated_on_a_pi():
    model = parse_model(b"Raspberry Pi 5 Model B Rev 1.0\x00")
    assert model == "Raspberry Pi 5 Model B Rev 1.0"
    assert is_raspberry_pi(model)


@pytest.mark.parametrize("raw", [None, b"", "linux,dummy-virt\x00", b"\x00"])
def test_not_a_pi(raw):
    assert not is_raspberry_pi(parse_model(raw))


@pytest.mark.parametrize(
    ("machine", "dpkg", "arch", "platform", "dpkg_arch"),
    [
        ("aarch64", "arm64", "aarch64", "linux/arm64", "arm64"),
        # 64-bit kernel, 32-bit Pi OS userland: the userland decides.
        ("aarch64", "armhf", "armv7l", "linux/arm/v7", "armhf"),
        ("armv8l", "armhf", "armv7l", "linux/arm/v7", "armhf"),
        ("armv7l", "armhf", "armv7l", "linux/arm/v7", "armhf"),
        # Pi 1 / Zero: Raspbian's armhf is ARMv6 there; still an ARMv6 machine.
        ("armv6l", "armhf", "armv6l", "linux/arm/v6", "armhf"),
        ("x86_64", "amd64", "x86_64", "linux/amd64", "amd64"),
        ("x86_64", "", "x86_64", "linux/amd64", "amd64"),
        ("riscv64", None, "riscv64", "linux/riscv64", "riscv64"),
    ],
)
def test_arch_info(machine, dpkg, arch, platform, dpkg_arch):
    info = arch_info(machine, dpkg)
    assert (info["arch"], info["platform"], info["dpkg_arch"]) == (arch, platform, dpkg_arch)
    assert info["machine"] == machine


def test_cmdline_path_prefers_firmware_dir_over_stub():
    assert (
        cmdline_path({"/boot/firmware/cmdline.txt": True, "/boot/cmdline.txt": True})
        == "/boot/firmware/cmdline.txt"
    )
    assert (
        cmdline_path({"/boot/firmware/cmdline.txt": False, "/boot/cmdline.txt": True})
        == "/boot/cmdline.txt"
    )
    assert cmdline_path({"/boot/firmware/cmdline.txt": False}) == ""


PROC_CGROUPS_OFF = """#subsys_name\thierarchy\tnum_cgroups\tenabled
cpuset\t0\t1\t1
memory\t0\t1\t0
"""


def test_memory_cgroup_v2():
    assert memory_cgroup("cpuset cpu io memory pids\n", PROC_CGROUPS_OFF) == {
        "version": 2,
        "enabled": True,
    }
    # Pi OS default: the memory controller is not offered on cgroup v2.
    assert memory_cgroup("cpuset cpu io pids\n", None) == {"version": 2, "enabled": False}


def test_memory_cgroup_v1():
    assert memory_cgroup(None, PROC_CGROUPS_OFF) == {"version": 1, "enabled": False}
    assert memory_cgroup(None, PROC_CGROUPS_OFF.replace("1\t0", "1\t1")) == {
        "version": 1,
        "enabled": True,
    }
    assert memory_cgroup(None, "#subsys_name\n") == {"version": 1, "enabled": False}
    assert memory_cgroup(None, None) == {"version": 0, "enabled": False}


def test_swap_devices():
    assert swap_devices(None) == []
    assert swap_devices("Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n") == []
    text = (
        "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n"
        "/var/swap                               file\t\t524284\t\t0\t\t-2\n"
        "/dev/zram0                              partition\t2097148\t\t0\t\t100\n"
    )
    assert swap_devices(text) == ["/var/swap", "/dev/zram0"]


# The Debian arm64 kernel of the vm scenario (6.1.0-57-arm64): all three loadable.
DEP = """kernel/net/ipv4/esp4.ko.xz: kernel/net/xfrm/xfrm_algo.ko.xz
kernel/net/netfilter/xt_policy.ko.xz:
kernel/net/netfilter/xt_u32.ko:
kernel/drivers/net/vxlan/vxlan.ko.xz: kernel/net/ipv4/udp_tunnel.ko.xz
"""


def test_kernel_modules_read_loaded_builtin_and_loadable():
    loaded = "xt_u32 16384 1 - Live 0x0000000000000000\nbr_netfilter 32768 0 - Live 0x0\n"
    builtin = "kernel/net/ipv4/esp4.ko\nkernel/net/xfrm/xfrm-user.ko\n"
    names = kernel_modules(loaded, builtin, DEP)
    assert {"xt_u32", "br_netfilter", "esp4", "xfrm_user", "xt_policy", "vxlan"} <= names
    assert "xfrm_algo" not in names, "a dependency listed after the colon is not a module line"


def test_encrypted_overlay_needs_all_three():
    assert encrypted_overlay(kernel_modules(None, None, DEP))
    # The lab's nodes: containers on a host kernel without ESP, no /lib/modules.
    assert not encrypted_overlay(kernel_modules("xt_u32 16384 1 - Live 0x0\n", None, None))
    without_u32 = DEP.replace("kernel/net/netfilter/xt_u32.ko:\n", "")
    assert not encrypted_overlay(kernel_modules(None, None, without_u32))
    assert not encrypted_overlay(kernel_modules(None, None, None))
