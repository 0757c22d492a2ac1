#!/usr/bin/python
# Copyright: pifleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Gather what kind of node this is, in one round trip."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: node_facts
short_description: Tell what kind of node a host is (OS family, architecture, Raspberry Pi model)
version_added: 0.1.0
description:
  - Reads C(/etc/os-release), the device-tree model, C(dpkg --print-architecture),
    the kernel's cgroup state and the Pi firmware's C(cmdline.txt) location, and
    returns them as one fact, C(node_facts).
  - One module instead of several C(slurp)/C(command) tasks, because Python on a
    Pi (and more so under emulation) is slow to start; one round trip per node.
  - Changes nothing.
author:
  - pifleet developers
options:
  cmdline_paths:
    description:
      - Candidate locations of the firmware's kernel command line, in order of
        preference. The first one that exists is reported as C(cmdline_path).
    type: list
    elements: path
    default: [/boot/firmware/cmdline.txt, /boot/cmdline.txt]
  model_paths:
    description:
      - Candidate files holding the device-tree model string (NUL-terminated).
    type: list
    elements: path
    default: [/sys/firmware/devicetree/base/model, /proc/device-tree/model]
  disk_paths:
    description:
      - Paths whose free space is reported in C(disk_free_mb).
    type: list
    elements: path
    default: [/, /var/lib]
attributes:
  check_mode:
    support: full
    description: Only reads; runs the same in check mode.
  diff_mode:
    support: none
  idempotent:
    support: full
  facts:
    support: full
notes:
  - 32-bit Raspberry Pi OS reports C(ansible_distribution=Debian); only
    os-release (C(ID=raspbian)) tells it apart, which is what C(os) uses.
"""

EXAMPLES = r"""
- name: Learn what kind of node this is
  pifleet.swarm.node_facts:

- name: Show the Pi model
  ansible.builtin.debug:
    msg: "{{ node_facts.pi_model | default('not a Pi', true) }}"
"""

RETURN = r"""
ansible_facts:
  description: Facts added to the host.
  returned: always
  type: dict
  contains:
    node_facts:
      description: What kind of node this is.
      type: dict
      contains:
        os:
          description: >-
            OS family: V(raspios) (Raspberry Pi OS 64-bit), V(raspbian) (32-bit),
            V(hypriotos), V(debian), V(ubuntu), or the os-release C(ID).
          type: str
          sample: raspios
        os_id:
          description: C(ID) from os-release.
          type: str
          sample: debian
        os_codename:
          description: C(VERSION_CODENAME) from os-release.
          type: str
          sample: trixie
        os_version_id:
          description: C(VERSION_ID) from os-release.
          type: str
          sample: "13"
        arch:
          description: >-
            Userland architecture, normalised
            (V(aarch64), V(armv7l), V(armv6l), V(x86_64)).
          type: str
          sample: aarch64
        machine:
          description: The kernel's C(uname -m).
          type: str
          sample: aarch64
        dpkg_arch:
          description: The dpkg architecture (V(arm64), V(armhf), V(amd64)).
          type: str
          sample: arm64
        platform:
          description: Docker platform string for images that run here.
          type: str
          sample: linux/arm64
        is_pi:
          description: Whether the device tree names a Raspberry Pi.
          type: bool
          sample: true
        pi_model:
          description: Device-tree model, empty when there is none.
          type: str
          sample: Raspberry Pi 4 Model B Rev 1.5
        cmdline_path:
          description: The firmware's kernel command line file, empty when none exists.
          type: str
          sample: /boot/firmware/cmdline.txt
        cmdline:
          description: Its single line, empty when there is no such file.
          type: str
        cgroup_version:
          description: 2 on the unified hierarchy, 1 on the legacy one.
          type: int
          sample: 2
        memory_cgroup:
          description: Whether the memory cgroup controller is enabled in the running kernel.
          type: bool
          sample: true
        encrypted_overlay:
          description: >-
            Whether the kernel has what an encrypted Docker overlay network
            needs (IPsec ESP, the iptables policy and u32 matches), loaded,
            built in or loadable. In a container, the host's loaded modules.
          type: bool
          sample: true
        container:
          description: >-
            The container manager when the node runs in a container (then the
            clock, swap and kernel are the host's), empty on a real machine.
          type: str
          sample: docker
        time_sync_services:
          description: >-
            Installed time synchronisation services (systemd unit names without
            C(.service)) among chrony, ntpsec, ntp, openntpd and systemd-timesyncd.
          type: list
          elements: str
          sample: [systemd-timesyncd]
        swap_devices:
          description: Active swap areas from C(/proc/swaps).
          type: list
          elements: str
          sample: [/var/swap]
        dphys_swapfile:
          description: Whether Raspberry Pi OS's C(dphys-swapfile) is installed.
          type: bool
          sample: true
        python3_apt:
          description: >-
            Whether the system Python can import C(apt) (Debian's
            C(python3-apt)), which M(ansible.builtin.apt) needs. Minimal images
            (debootstrap minbase, some vendor images) lack it; the node role
            installs it before any role uses that module.
          type: bool
          sample: true
        base_packages_missing:
          description: >-
            Debian packages that Ansible's own modules need and the node lacks:
            C(python3-apt) (M(ansible.builtin.apt)) and C(iproute2) (the
            C(ip) command, which network facts are read with). The node role
            installs them.
          type: list
          elements: str
          sample: [python3-apt, iproute2]
        disk_free_mb:
          description: >-
            Free space (for unprivileged users, as Docker sees it) in MB per
            path of O(disk_paths); null for a path that does not exist.
          type: dict
          sample: {"/": 24500, "/var/lib": 24500}
        clock:
          description: >-
            The node's clock (seconds since the epoch) when the module ran; the
            node role compares it with the controller's.
          type: float
          sample: 1795884000.12
"""

import importlib.util
import os
import platform
import time

from ansible.module_utils.basic import AnsibleModule
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


def _read(path: str, mode: str = "r") -> str | bytes | None:
    try:
        with open(path, mode) as handle:
            return handle.read()
    except OSError:
        return None


# Unit names of the time services a node may already run (chrony before
# timesyncd: installing chrony removes systemd-timesyncd on Debian).
_TIME_SERVICES = ("chrony", "ntpsec", "ntp", "openntpd", "systemd-timesyncd")
_UNIT_DIRS = ("/etc/systemd/system", "/usr/lib/systemd/system", "/lib/systemd/system")


def _container() -> str:
    """The container manager, as systemd records it (or the engines' own marker files)."""
    marker = _read("/run/systemd/container")
    if isinstance(marker, str) and marker.strip():
        return marker.strip()
    if os.path.exists("/.dockerenv"):
        return "docker"
    if os.path.exists("/run/.containerenv"):
        return "podman"
    return ""


def _free_mb(path: str) -> int | None:
    try:
        stat = os.statvfs(path)
    except OSError:
        return None
    return stat.f_bavail * stat.f_frsize // (1024 * 1024)


def gather(module: AnsibleModule) -> dict[str, object]:
    os_release = parse_os_release(_read("/etc/os-release") or _read("/usr/lib/os-release") or "")
    dpkg_arch = ""
    dpkg = module.get_bin_path("dpkg")
    if dpkg:
        rc, out, _ = module.run_command([dpkg, "--print-architecture"])
        dpkg_arch = out.strip() if rc == 0 else ""
    model = ""
    for path in module.params["model_paths"]:
        model = parse_model(_read(path, "rb"))
        if model:
            break
    cmdline_file = cmdline_path({p: os.path.isfile(p) for p in module.params["cmdline_paths"]})
    python3_apt = _has_python3_apt()
    # get_bin_path looks in PATH and the sbin directories, where ip lives.
    ip = module.get_bin_path("ip")
    release = platform.release()
    cgroups = memory_cgroup(_read("/sys/fs/cgroup/cgroup.controllers"), _read("/proc/cgroups"))
    facts: dict[str, object] = {
        "os": classify_os(
            os_release,
            rpi_issue=os.path.exists("/etc/rpi-issue"),
            hypriot=os.path.exists("/etc/hypriot_release"),
        ),
        "os_id": os_release.get("ID", ""),
        "os_codename": os_release.get("VERSION_CODENAME", ""),
        "os_version_id": os_release.get("VERSION_ID", ""),
        "is_pi": is_raspberry_pi(model),
        "pi_model": model,
        "cmdline_path": cmdline_file,
        "cmdline": ((_read(cmdline_file) or "").strip() if cmdline_file else ""),
        "cgroup_version": cgroups["version"],
        "memory_cgroup": cgroups["enabled"],
        "encrypted_overlay": encrypted_overlay(
            kernel_modules(
                _read("/proc/modules"),
                _read(f"/lib/modules/{release}/modules.builtin"),
                _read(f"/lib/modules/{release}/modules.dep"),
            )
        ),
        "container": _container(),
        "time_sync_services": [
            name
            for name in _TIME_SERVICES
            if any(os.path.exists(f"{d}/{name}.service") for d in _UNIT_DIRS)
        ],
        "swap_devices": swap_devices(_read("/proc/swaps")),
        "dphys_swapfile": any(
            os.path.exists(p) for p in ("/sbin/dphys-swapfile", "/usr/sbin/dphys-swapfile")
        ),
        "python3_apt": python3_apt,
        "base_packages_missing": [
            pkg
            for pkg, present in (("python3-apt", python3_apt), ("iproute2", bool(ip)))
            if not present
        ],
        "disk_free_mb": {path: _free_mb(path) for path in module.params["disk_paths"]},
        "clock": time.time(),
    }
    facts.update(arch_info(platform.machine(), dpkg_arch))
    return facts


def _has_python3_apt() -> bool:
    # The apt module looks for the bindings in the running interpreter, then in
    # /usr/bin/python3 (which it respawns under): either one is enough.
    if importlib.util.find_spec("apt") is not None:
        return True
    return os.path.isdir("/usr/lib/python3/dist-packages/apt")


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "cmdline_paths": {
                "type": "list",
                "elements": "path",
                "default": ["/boot/firmware/cmdline.txt", "/boot/cmdline.txt"],
            },
            "model_paths": {
                "type": "list",
                "elements": "path",
                "default": ["/sys/firmware/devicetree/base/model", "/proc/device-tree/model"],
            },
            "disk_paths": {"type": "list", "elements": "path", "default": ["/", "/var/lib"]},
        },
        supports_check_mode=True,
    )
    module.exit_json(changed=False, ansible_facts={"node_facts": gather(module)})


if __name__ == "__main__":
    main()
