# Copyright: pifleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Edit the single line of a Raspberry Pi's cmdline.txt, as pure functions.

The firmware passes the first line of cmdline.txt to the kernel, after the
parameters the device tree carries; a second line or a lost parameter can
leave a Pi unbootable. So edits here touch only the parameters they are asked
about: every other byte of the line (order, spacing, quoting, the trailing
newline) stays as it was, and applying the same edit twice changes nothing.
"""

from __future__ import annotations

import re

# One kernel parameter: a run of non-blanks, where a double-quoted part may hold
# blanks (the kernel accepts param="a b").
_TOKEN = re.compile(r'(?:[^\s"]+|"[^"]*"?)+')


# Parameters the kernel collects from every occurrence (cgroup_enable=cpuset
# cgroup_enable=memory, two consoles): a wanted value is added next to the
# others instead of replacing them.
REPEATABLE = frozenset({"console", "cgroup_enable", "cgroup_disable"})


# What decides whether a Pi boots and comes back on the network by itself: a
# wrong value here needs the SD card in another computer, so no edit may set
# or remove any of these (the line's own values stay as they are).
BOOT_CRITICAL = frozenset(
    {
        "root",
        "rootfstype",
        "rootflags",
        "rootwait",
        "rootdelay",
        "init",
        "rdinit",
        "nfsroot",
        "ip",
        "systemd.unit",
        "single",
        "emergency",
        "rescue",
        "S",
        "1",
    }
)


class CmdlineError(ValueError):
    """The file or the request cannot be edited safely."""


def param_key(param: str) -> str:
    """The name of a parameter: `cgroup_enable` for `cgroup_enable=memory`, `quiet` for `quiet`."""
    return param.partition("=")[0]


def param_problems(params: list[str], what: str = "parameter") -> list[str]:
    """Why these parameters cannot go on a kernel command line ([] when they can)."""
    problems = []
    for param in params:
        if not isinstance(param, str) or not param:
            problems.append(f"{what} {param!r} must be a non-empty string")
        elif re.search(r"\s", param):
            problems.append(f"{what} {param!r} contains blanks: give one parameter per item")
        elif '"' in param:
            problems.append(f"{what} {param!r} contains a double quote")
        elif param.startswith("="):
            problems.append(f"{what} {param!r} has no name before '='")
        elif param_key(param) in BOOT_CRITICAL:
            problems.append(
                f"{what} {param!r} touches {param_key(param)}, which the Pi needs to boot: "
                "it is never edited (change cmdline.txt by hand if you must)"
            )
    return problems


def split_text(text: str) -> tuple[str, str]:
    """The line and what follows it (its newline), refusing a file of several lines."""
    line = text.rstrip("\r\n")
    if "\n" in line or "\r" in line:
        count = len([x for x in line.splitlines() if x.strip()])
        raise CmdlineError(
            f"cmdline.txt must hold a single line, it holds {count} non-empty lines: "
            "the firmware reads only the first, so fix it by hand"
        )
    return line, text[len(line) :]


def edit_cmdline(
    text: str,
    present: list[str],
    absent: list[str] | tuple = (),
    repeatable: frozenset[str] | set[str] = REPEATABLE,
) -> str:
    """The file's text with every `present` parameter exactly once and no `absent` one.

    present: `key=value` or bare flags. A token with the same key and another
      value is replaced in place (its first occurrence; later ones are dropped,
      since the kernel would let them win); a missing one is appended. Names in
      `repeatable` are only added when that exact parameter is missing.
    absent: `key=value` removes that exact token, a bare `key` every token named so.
    """
    problems = param_problems(list(present)) + param_problems(list(absent), "absent parameter")
    if problems:
        raise CmdlineError("; ".join(problems))
    absent_tokens = {a for a in absent if "=" in a}
    absent_keys = {a for a in absent if "=" not in a}
    clash = {p for p in present if p in absent_tokens or param_key(p) in absent_keys}
    if clash:
        raise CmdlineError(f"parameters both wanted and unwanted: {', '.join(sorted(clash))}")

    line, trailer = split_text(text)
    matches = list(_TOKEN.finditer(line))
    if not any(param_key(m.group()) == "root" for m in matches):
        # Every Pi boot line names its root filesystem; without one this is
        # not a line to build on (an emptied or foreign file).
        raise CmdlineError(
            "the line has no root= parameter, which every Pi needs to boot: "
            "it is left alone; restore it by hand (root=PARTUUID=<your SD card's partition>)"
        )
    # Each token with the blanks before it; the blanks after the last stay at the end.
    tokens: list[list[str]] = []
    prev = 0
    for match in matches:
        tokens.append([line[prev : match.start()], match.group()])
        prev = match.end()
    tail = line[prev:]
    leading = tokens[0][0] if tokens else ""

    keep = [not (tok in absent_tokens or param_key(tok) in absent_keys) for _, tok in tokens]
    appended: list[str] = []
    for param in present:
        key = param_key(param)
        same = [i for i, (_, tok) in enumerate(tokens) if keep[i] and param_key(tok) == key]
        if key in repeatable:
            same = [i for i in same if tokens[i][1] == param]
        if not same:
            if param not in appended:
                appended.append(param)
            continue
        exact = [i for i in same if tokens[i][1] == param]
        first = exact[0] if exact else same[0]
        tokens[first][1] = param
        for i in same:
            if i != first:
                keep[i] = False

    kept = [pair for pair, wanted in zip(tokens, keep, strict=True) if wanted]
    if kept and kept[0] is not (tokens[0] if tokens else None):
        kept[0] = [leading, kept[0][1]]
    out = "".join(gap + tok for gap, tok in kept)
    for param in appended:
        out += " " + param
    return out + tail + trailer


def cmdline_diff(path: str, before: str, after: str) -> dict[str, str]:
    """Ansible's diff structure for the file."""
    return {
        "before_header": f"{path} (content)",
        "after_header": f"{path} (content)",
        "before": before,
        "after": after,
    }
