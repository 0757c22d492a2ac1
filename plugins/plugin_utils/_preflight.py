# Copyright: pifleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The node role's rules: which inputs it refuses, and what makes a node unfit
for Docker and Swarm (a pure function of its facts).

The role fails on the first run with every message these return, before it
changes anything, so a user learns all that is wrong at once.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ansible_collections.pifleet.swarm.plugins.module_utils._cmdline import (
    param_key,
    param_problems,
)

# What hostnamectl and a DHCP server accept: one RFC 1123 label.
_HOSTNAME = re.compile(r"[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?")

ARMV6_MESSAGE = (
    "this is an ARMv6 board ({model}: Raspberry Pi 1 or Zero/Zero W): Docker Engine 29 and "
    "later publish no package for it (armhf packages need ARMv7) and Swarm images rarely "
    "carry linux/arm/v6. Use a Pi 2 or newer (a Zero 2 W is fine), or take this host out "
    "of swarm_managers/swarm_workers."
)


def input_problems(values: Mapping[str, Any], context) -> list[str]:
    """The node role's inputs the argument spec has accepted, judged together.

    The cmdline module applies the same parameter rules on the node; here they
    stop the run on the controller, before any node is read.
    """
    wanted, unwanted = values["node_cmdline_params"], values["node_cmdline_remove"]
    out = param_problems(wanted, "node_cmdline_params: parameter")
    out += param_problems(unwanted, "node_cmdline_remove: parameter")
    clash = [p for p in wanted if p in unwanted or param_key(p) in unwanted]
    if clash:
        out.append(f"node_cmdline_remove names what node_cmdline_params wants: {', '.join(clash)}")
    disk = values["node_min_free_disk_mb"]
    if disk < 0:
        out.append(f"node_min_free_disk_mb must be 0 (no check) or more, not {disk}")
    for name in ("node_max_clock_skew", "node_reboot_timeout"):
        if values[name] <= 0:
            out.append(f"{name} must be more than 0 seconds, not {values[name]}")
    if values["node_roll_batch"] < 1:
        out.append(
            f"node_roll_batch must be 1 or more Swarm workers, not {values['node_roll_batch']}"
        )
    if not values["node_reboot_boot_time_command"].strip():
        out.append("node_reboot_boot_time_command must not be empty")
    if not values["node_supported_os"]:
        out.append("node_supported_os must name at least one OS family")
    if values["node_set_hostname"] and not _HOSTNAME.fullmatch(context.host):
        out.append(
            f"node_set_hostname is true but the inventory name {context.host} is not a valid "
            "hostname (letters, digits and -, at most 63)"
        )
    return out


def clock_skew(node_time: float, before: float, after: float) -> float:
    """How far the node's clock is outside the controller's [before, after] window.

    The node read its clock at some moment between the controller's two readings,
    so this is a lower bound of the real offset: never a false alarm, however
    slow the node (or its emulated Python) is to answer.
    """
    if node_time < before:
        return before - node_time
    if node_time > after:
        return node_time - after
    return 0.0


def preflight_problems(facts: dict[str, Any], settings: dict[str, Any]) -> list[str]:
    """Every reason this node cannot become a healthy Docker/Swarm node.

    facts: node_facts (arch, os, os_id, os_codename, pi_model, disk_free_mb, clock).
    settings: supported_os (list), min_free_disk_mb (int), max_clock_skew (seconds),
      clock_before/clock_after (the controller's epoch seconds around the facts run).
    """
    problems: list[str] = []
    if facts.get("arch") == "armv6l":
        problems.append(ARMV6_MESSAGE.format(model=facts.get("pi_model") or "no Pi model"))

    supported = settings.get("supported_os") or []
    if facts.get("os") not in supported:
        problems.append(
            f"unsupported OS {facts.get('os')!r} (os-release ID={facts.get('os_id')!r}, "
            f"{facts.get('os_codename') or 'no codename'}): node_supported_os allows "
            f"{', '.join(supported)}. Install Raspberry Pi OS Lite, or add the OS to "
            "node_supported_os if you know Docker works there."
        )

    minimum = settings.get("min_free_disk_mb") or 0
    for path, free in sorted((facts.get("disk_free_mb") or {}).items()):
        if free is not None and free < minimum:
            problems.append(
                f"only {free} MB free on {path}; node_min_free_disk_mb asks for {minimum} MB "
                "(Docker keeps images and containers under /var/lib). Free some space "
                "(apt-get clean, old images) or use a larger card."
            )

    node_time = facts.get("clock")
    before, after = settings.get("clock_before"), settings.get("clock_after")
    limit = settings.get("max_clock_skew")
    if None not in (node_time, before, after, limit):
        skew = clock_skew(float(node_time), float(before), float(after))
        if skew > float(limit):
            side = "behind" if float(node_time) < float(before) else "ahead of"
            problems.append(
                f"the node's clock is at least {skew:.0f} s {side} the controller's "
                f"(node_max_clock_skew: {limit} s): Swarm's mutual TLS rejects certificates "
                "from a skewed clock. Synchronise it (timedatectl set-ntp true; check "
                "`timedatectl timesync-status`) and run again."
            )
    return problems
