# Copyright: pifleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure helpers that tell what kind of node this is: OS, architecture, Pi model.

No I/O here: callers read the files and pass their text, so every rule can be
unit-tested with the exact bytes a real Pi, a Debian box or HypriotOS shows.
"""

from __future__ import annotations

import shlex

# uname -m -> (normalised arch, Docker platform, dpkg arch a plain Debian uses).
# armv8l is what a 64-bit kernel reports to a 32-bit userland (Pi OS 32-bit on a
# Pi 4 with arm_64bit=1): the userland, and so Docker, is still 32-bit ARMv7.
_MACHINES = {
    "aarch64": ("aarch64", "linux/arm64", "arm64"),
    "arm64": ("aarch64", "linux/arm64", "arm64"),
    "armv8l": ("armv7l", "linux/arm/v7", "armhf"),
    "armv7l": ("armv7l", "linux/arm/v7", "armhf"),
    "armv6l": ("armv6l", "linux/arm/v6", "armhf"),
    "x86_64": ("x86_64", "linux/amd64", "amd64"),
    "amd64": ("x86_64", "linux/amd64", "amd64"),
}

# dpkg arch -> the arch Docker images are built for in that userland. A 64-bit
# kernel may run a 32-bit userland: the userland decides what runs.
_DPKG = {
    "arm64": ("aarch64", "linux/arm64"),
    "armhf": ("armv7l", "linux/arm/v7"),
    "armel": ("armv6l", "linux/arm/v6"),
    "amd64": ("x86_64", "linux/amd64"),
}


def parse_os_release(text: str) -> dict[str, str]:
    """Parse os-release(5): KEY=value lines, values optionally shell-quoted."""
    out: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        try:
            parts = shlex.split(value)
        except ValueError:
            parts = [value.strip("\"'")]
        out[key.strip()] = parts[0] if parts else ""
    return out


def parse_model(raw: bytes | str | None) -> str:
    """Device-tree model: NUL-terminated bytes -> clean string ('' if absent)."""
    if raw is None:
        return ""
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", "replace")
    return raw.replace("\x00", "").strip()


def is_raspberry_pi(model: str) -> bool:
    return model.startswith("Raspberry Pi")


def classify_os(os_release: dict[str, str], *, rpi_issue: bool, hypriot: bool) -> str:
    """One name per OS family the roles treat differently.

    raspios: Raspberry Pi OS 64-bit (os-release says plain Debian; /etc/rpi-issue tells)
    raspbian: Raspberry Pi OS 32-bit (ID=raspbian; Ansible still reports "Debian")
    hypriotos, debian, ubuntu; anything else is returned as its os-release ID.
    """
    os_id = os_release.get("ID", "").lower()
    if hypriot or any(k.startswith("HYPRIOT_") for k in os_release):
        return "hypriotos"
    if os_id == "raspbian":
        return "raspbian"
    if os_id == "debian" and rpi_issue:
        return "raspios"
    return os_id or "unknown"


def arch_info(machine: str, dpkg_arch: str | None = None) -> dict[str, str]:
    """Normalised architecture facts from `uname -m` and `dpkg --print-architecture`.

    The userland (dpkg) wins where the two disagree: a 64-bit Pi kernel under a
    32-bit Pi OS reports aarch64 but runs armhf binaries and images.
    """
    machine = machine.strip()
    arch, platform, default_dpkg = _MACHINES.get(machine, (machine, f"linux/{machine}", machine))
    dpkg = (dpkg_arch or "").strip() or default_dpkg
    if dpkg in _DPKG and _DPKG[dpkg][0] != arch and not (machine == "armv6l" and dpkg == "armhf"):
        arch, platform = _DPKG[dpkg]
    return {"arch": arch, "machine": machine, "dpkg_arch": dpkg, "platform": platform}


def cmdline_path(candidates: dict[str, bool]) -> str:
    """The kernel command line file the Pi firmware reads.

    Bookworm and later keep it in /boot/firmware; older releases in /boot. On
    those newer releases /boot/cmdline.txt still exists as a stub that says
    "DO NOT EDIT": the first existing path of the ordered candidates wins.
    """
    for path, exists in candidates.items():
        if exists:
            return path
    return ""


def memory_cgroup(cgroup2_controllers: str | None, proc_cgroups: str | None) -> dict[str, object]:
    """Whether the kernel's memory cgroup controller is usable, and on which hierarchy."""
    if cgroup2_controllers is not None:
        return {"version": 2, "enabled": "memory" in cgroup2_controllers.split()}
    if proc_cgroups is not None:
        for line in proc_cgroups.splitlines():
            fields = line.split()
            if len(fields) >= 4 and fields[0] == "memory":
                return {"version": 1, "enabled": fields[3] == "1"}
        return {"version": 1, "enabled": False}
    return {"version": 0, "enabled": False}


def swap_devices(proc_swaps: str | None) -> list[str]:
    """Active swap areas from /proc/swaps (its first line is a header)."""
    if not proc_swaps:
        return []
    return [line.split()[0] for line in proc_swaps.splitlines()[1:] if line.split()]


# What Docker needs of the kernel for an encrypted overlay network: IPsec ESP
# for the VXLAN traffic, and the iptables matches of its rules (policy, and u32
# since Engine 23). A kernel without them cannot carry that network's traffic.
ENCRYPTED_OVERLAY_MODULES = ("esp4", "xt_policy", "xt_u32")


def _module_name(path: str) -> str:
    # kernel/net/ipv4/esp4.ko.xz -> esp4; the kernel treats - and _ alike.
    return path.rsplit("/", 1)[-1].split(".ko", 1)[0].replace("-", "_")


def kernel_modules(proc_modules: str | None, builtin: str | None, dep: str | None) -> set[str]:
    """The modules the running kernel has: loaded (/proc/modules), built in
    (modules.builtin) or loadable (modules.dep, which the kernel autoloads
    from when Docker asks for an IPsec state)."""
    names = {
        line.split()[0].replace("-", "_")
        for line in (proc_modules or "").splitlines()
        if line.split()
    }
    names |= {_module_name(line.strip()) for line in (builtin or "").splitlines() if line.strip()}
    names |= {
        _module_name(line.split(":", 1)[0]) for line in (dep or "").splitlines() if ":" in line
    }
    return names


def encrypted_overlay(modules: set[str]) -> bool:
    """Whether a kernel with these modules can carry an encrypted overlay."""
    return all(m in modules for m in ENCRYPTED_OVERLAY_MODULES)
