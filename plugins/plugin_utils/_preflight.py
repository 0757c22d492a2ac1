# Copyright: pifleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What makes a node unfit for Docker and Swarm, as a pure function of its facts.

The node role fails on the first run with every message this returns, before
it changes anything, so a user learns all that is wrong with a node at once.
"""

from __future__ import annotations

from typing import Any

ARMV6_MESSAGE = (
    "this is an ARMv6 board ({model}: Raspberry Pi 1 or Zero/Zero W): Docker Engine 29 and "
    "later publish no package for it (armhf packages need ARMv7) and Swarm images rarely "
    "carry linux/arm/v6. Use a Pi 2 or newer (a Zero 2 W is fine), or take this host out "
    "of swarm_managers/swarm_workers."
)


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
