"""The PLAY RECAP of an ansible-playbook run, per host."""

from __future__ import annotations

import re

# What the recap counts for each host, in the order Ansible prints them.
COUNTS = ("ok", "changed", "unreachable", "failed", "skipped", "rescued", "ignored")

# Molecule forces colour on its own runs; a run that inherits that paints the
# recap's names and non-zero counts.
_COLOUR = re.compile(r"\x1b\[[0-9;]*m")
# Names of up to 26 characters are padded to 26; longer ones are not.
_HOST_LINE = re.compile(r"^(?P<host>\S+)\s+:\s+(?P<counts>ok=\d+(?:\s+[a-z_]+=\d+)*)\s*$")


def parse(output: str) -> dict[str, dict[str, int]]:
    """host -> {ok, changed, unreachable, failed, skipped, rescued, ignored} from the
    recap lines of `output` (stdout, or stdout and stderr together).

    Only lines after a PLAY RECAP header count, so a task's output that looks
    like a recap line does not. Output that holds several runs' recaps (one
    log of several runs) adds them up per host: a change in any run shows."""
    hosts: dict[str, dict[str, int]] = {}
    in_recap = False
    for line in _COLOUR.sub("", output).splitlines():
        if line.startswith("PLAY RECAP"):
            in_recap = True
            continue
        match = _HOST_LINE.match(line) if in_recap else None
        if not match:
            continue
        counts = hosts.setdefault(match["host"], dict.fromkeys(COUNTS, 0))
        for pair in match["counts"].split():
            key, _, value = pair.partition("=")
            counts[key] = counts.get(key, 0) + int(value)
    return hosts


def changed(recap: dict[str, dict[str, int]], ignore: tuple[str, ...] = ()) -> dict[str, int]:
    """host -> changed count, but for the hosts in `ignore`."""
    return {host: counts["changed"] for host, counts in recap.items() if host not in ignore}
