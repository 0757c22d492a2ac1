# Copyright: pifleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which directories on a node a role may own: a role mounts them into
containers (caddy_sites_dir) or removes what it did not ship from them
(images_build_dir), so a system directory there would be exposed or emptied."""

from __future__ import annotations

import posixpath

# Trees of the system and of Docker: a role's directory never lies in one.
SYSTEM_TREES = (
    "/bin",
    "/boot",
    "/dev",
    "/etc",
    "/lib",
    "/lib32",
    "/lib64",
    "/proc",
    "/run",
    "/sbin",
    "/sys",
    "/usr",
    "/var/lib/containerd",
    "/var/lib/docker",
)


def _within(path: str, tree: str) -> bool:
    return path == tree or path.startswith(tree + "/")


def dir_problem(name: str, value: str) -> str:
    """Why `value` cannot be the directory a role owns on a node ('' when it can).

    It must be absolute and plain (no '..', '.', '//' or trailing '/'), at
    least two levels deep (a whole /srv or /home is someone else's too), and
    neither inside a system tree nor a parent of one (/var/lib holds Docker's
    own state).
    """
    if not value.startswith("/") or any(c.isspace() or c in "\"'\\" for c in value):
        return f"{name} must be an absolute path without blanks or quotes, got {value!r}"
    if posixpath.normpath(value) != value:
        return f"{name} must be a plain path (no '..', '.', '//' or trailing '/'), got {value!r}"
    if value.count("/") < 2:
        return f"{name} must be at least two levels deep (like /srv/pifleet), got {value!r}"
    for tree in SYSTEM_TREES:
        if _within(value, tree) or _within(tree, value):
            return (
                f"{name} {value!r} is {'in' if _within(value, tree) else 'a parent of'} {tree}: "
                "a role would mount it into containers or remove what it did not put there; "
                "choose a directory of its own (like /srv/pifleet/...)"
            )
    return ""
