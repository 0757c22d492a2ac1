# Copyright: pifleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What dpkg has installed and what apt can offer, read with dpkg-query and
apt-cache: a minimal image (debootstrap minbase, DietPi, Armbian) may not have
python3-apt yet, and these two answer in check mode too. Shared by the
apt_packages and docker_engine_info modules."""

from __future__ import annotations

import os
import re
import time

# The package lists' age, the way ansible.builtin.apt's cache_valid_time reads
# it: Ubuntu's stamp if there is one, else the lists directory (apt-get update
# renames new lists into it).
LIST_STAMPS = ("/var/lib/apt/periodic/update-success-stamp", "/var/lib/apt/lists")
DPKG_FORMAT = "${Package}\t${db:Status-Abbrev}\t${Version}\n"
C_LOCALE = {"LC_ALL": "C", "LANG": "C"}
# A package name as Debian policy allows it, with an optional :arch.
NAME = re.compile(r"[a-z0-9][a-z0-9+.-]+(:[a-z0-9-]+)?")


def parse_installed(text: str, names: list[str]) -> dict[str, str]:
    """dpkg-query lines -> {name: version} of the names installed ("ii", or "hi": held)."""
    installed = {}
    for line in text.splitlines():
        name, status, version = [*line.split("\t"), "", ""][:3]
        if status.strip() in ("ii", "hi") and name in names:
            installed[name] = version
    return installed


def parse_candidates(text: str, names: list[str]) -> dict[str, str | None]:
    """apt-cache policy's blocks -> {name: candidate version, or None}.

    A package apt knows gets a block ("name:" then "  Candidate: version" or
    "(none)"); one it does not know (yet: no lists, a source not fetched) gets
    none, and stays None here.
    """
    candidates: dict[str, str | None] = dict.fromkeys(names)
    current = None
    for line in text.splitlines():
        header = re.match(r"^(\S+):$", line)
        if header:
            current = header.group(1)
            continue
        found = re.match(r"^\s+Candidate:\s+(\S+)", line)
        if found and current in candidates:
            candidates[current] = None if found.group(1) == "(none)" else found.group(1)
    return candidates


def lists_age(paths=LIST_STAMPS, now: float | None = None) -> float | None:
    """Seconds since the package lists were last fetched; None if never."""
    for path in paths:
        try:
            return (time.time() if now is None else now) - os.stat(path).st_mtime
        except OSError:
            continue
    return None


def needs_refresh(
    missing: list[str], candidates: dict[str, str | None], age: float | None, valid_time: int
) -> bool:
    """Whether installing ``missing`` needs an apt-get update first: a package
    apt cannot offer yet (a fresh image has no lists; a new source has none),
    or lists older than ``valid_time`` seconds (their .debs may be gone from the
    mirror). Nothing missing: never."""
    if not missing:
        return False
    if any(candidates.get(name) is None for name in missing):
        return True
    return age is None or age > valid_time


def read_installed(module, names: list[str]) -> dict[str, str]:
    """The installed versions of ``names`` (unknown names only add to stderr)."""
    if not names:
        return {}
    _rc, out, _err = module.run_command(
        ["dpkg-query", "-W", "-f", DPKG_FORMAT, *names], environ_update=C_LOCALE
    )
    return parse_installed(out, names)


def read_candidates(module, names: list[str]) -> dict[str, str | None]:
    """apt's candidate version of each of ``names``; None where it has none."""
    if not names:
        return {}
    _rc, out, _err = module.run_command(["apt-cache", "policy", *names], environ_update=C_LOCALE)
    return parse_candidates(out, names)
