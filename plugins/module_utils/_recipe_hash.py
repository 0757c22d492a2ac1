# Copyright: pifleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The content hash that decides whether an image must be rebuilt.

It covers everything that changes the image: the files sent as build context
(after .dockerignore), the Dockerfile as rewritten for this architecture, the
build args, the labels, the architecture and the id of every base image. The
same inputs in any order give the same hash; anything else gives another.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
from datetime import datetime

HASH_LABEL = "org.pifleet.arm_image.hash"
# Bumped when what goes into the hash changes, so old images are rebuilt once.
HASH_SCHEME = "1"


def file_digest(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def context_entries(root: str, relpaths: list[str] | set[str]) -> list[tuple[str, str, str]]:
    """(path, kind+mode, content digest) for each context path, sorted by path.

    The mode matters (an executable bit changes the image); modification
    times do not (a fresh checkout must not rebuild).
    """
    entries = []
    for rel in sorted(relpaths):
        full = os.path.join(root, rel)
        st = os.lstat(full)
        if stat.S_ISLNK(st.st_mode):
            kind, content = "l", os.readlink(full)
        elif stat.S_ISDIR(st.st_mode):
            kind, content = "d", ""
        else:
            kind, content = "f", file_digest(full)
        entries.append((rel.replace(os.sep, "/"), f"{kind}{stat.S_IMODE(st.st_mode):o}", content))
    return entries


def recipe_hash(
    *,
    entries: list[tuple[str, str, str]],
    dockerfile: str,
    build_args: dict | None,
    labels: dict | None,
    arch: str,
    base_ids: list[str],
) -> str:
    """sha256 over a canonical JSON document of every input."""
    document = {
        "scheme": HASH_SCHEME,
        "context": sorted([list(e) for e in entries]),
        "dockerfile": dockerfile,
        "build_args": {str(k): str(v) for k, v in sorted((build_args or {}).items())},
        "labels": {str(k): str(v) for k, v in sorted((labels or {}).items())},
        "arch": arch,
        "bases": list(base_ids),
    }
    blob = json.dumps(document, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(blob).hexdigest()


# Docker's Created: RFC 3339 in UTC, with up to nanoseconds.
_CREATED = re.compile(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.\d+)?(Z|[+-]\d\d:\d\d)")


def built_at(created) -> float | None:
    """Seconds since the epoch of an image's `Created`, None when unreadable."""
    match = _CREATED.fullmatch(str(created or ""))
    if not match:
        return None
    zone = "+00:00" if match.group(2) == "Z" else match.group(2)
    return datetime.fromisoformat(match.group(1) + zone).timestamp()


def too_old(created, max_age_days: int, now: float) -> bool:
    """Whether an image built at `created` is past `max_age_days` (0: never).

    The hash says the recipe is the same; its packages are as old as the
    build, since Docker's cache keeps the apt layer while the recipe does not
    change. An image whose age cannot be read counts as old (one rebuild).
    """
    if max_age_days <= 0:
        return False
    when = built_at(created)
    return when is None or now - when > max_age_days * 86400
