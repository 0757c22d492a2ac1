# Copyright: pifleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a role copies from the controller into a directory on a node, and
what it may remove there again.

Beside each such directory (<dir>.shipped) a manifest lists the paths the
role copied: it removes only those, once their source no longer has them, so
whatever else the directory holds (a user's files, another tool's) is never
touched. The copy_tree action keeps one beside each directory it copies: a
site's (caddy role), a build context (images role).
"""

from __future__ import annotations

import hashlib
import os
import posixpath
import stat
from collections.abc import Mapping

MANIFEST_SUFFIX = ".shipped"
# The copy_tree options, checked by its action on the controller and again by
# its module on the node (which takes dest as a path there).
COPY_TREE_OPTIONS = {
    "src": {"type": "str", "required": True},
    "dest": {"type": "str", "required": True},
    "mode": {"type": "str", "default": "0644"},
    "directory_mode": {"type": "str", "default": "0755"},
    "owner": {"type": "str", "default": "root"},
    "group": {"type": "str", "default": "root"},
    "dotfiles": {"type": "bool", "default": False},
}
# mode: each file keeps the mode it has on the controller.
PRESERVE = "preserve"
MANIFEST_HEADER = (
    "# Written by pifleet.swarm: the paths it copied into the directory beside\n"
    "# this file. It removes only these, once their source no longer has them.\n"
)


def render_manifest(entries) -> str:
    """The manifest's text: one path per line, relative, directories ending in '/'."""
    return MANIFEST_HEADER + "".join(f"{entry}\n" for entry in sorted(set(entries)))


def read_manifest(text: str, where: str) -> list[str]:
    """The entries of a manifest; a line that would reach outside its
    directory (absolute, '..', not plain) fails the plan, naming the file."""
    entries = []
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        path = line.rstrip("/")
        if (
            not path
            or path.startswith("/")
            or posixpath.normpath(path) != path
            or path.startswith("..")
        ):
            raise ValueError(f"{where} lists {line!r}, which is not a path inside its directory")
        entries.append(line)
    return entries


def copy_plan(held: list[str], placed: list[str], shipped: list[str]) -> list[str]:
    """What to remove from one directory, relative to it: the paths the role
    placed (its manifest) that the source no longer ships and that are still
    there. A directory goes only when everything in it goes too; otherwise
    only its own stale files do. Nothing inside a removed directory is listed
    twice."""
    now = {p.rstrip("/") for p in shipped}
    gone = {p.rstrip("/") for p in placed} - now
    there = {p.rstrip("/"): p.endswith("/") for p in held}
    out: list[str] = []
    for path in sorted(p for p in there if p in gone):
        if any(path.startswith(done + "/") for done in out):
            continue
        inside = [p for p in there if p.startswith(path + "/")]
        if there[path] and not all(p in gone for p in inside):
            continue
        out.append(path)
    return out


def hidden(rel: str) -> bool:
    """Whether a relative path is, or lies in, a dot entry (.git, .env)."""
    return any(part.startswith(".") for part in rel.rstrip("/").split("/"))


def sha1_of(path: str) -> str:
    # sha1: what ansible.builtin.stat and find report too.
    digest = hashlib.sha1()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def local_tree(root: str, checksums: bool = True, dotfiles: bool = False) -> dict:
    """What a copy of the controller directory `root` ships.

    files: {relative path: {path (to read), sha1, mode}}; dirs: relative
    paths; left_out: the dot entries not shipped (a `.git` or `.env` stays on
    the controller, unless `dotfiles`: a build context's `.dockerignore`
    must travel); problems: what makes the copy refuse to run. A symlink
    ships the file it points to only if that file lies inside `root` (and,
    without `dotfiles`, outside its dot entries): anything else (a link to
    ~/.ssh, to a directory, a broken link) is a problem, named. Without
    checksums, sha1 is None (a check of the inputs reads no file's content).
    """
    real_root = os.path.realpath(root)
    out: dict = {"files": {}, "dirs": [], "left_out": [], "problems": []}

    def shipped(full: str) -> dict:
        return {
            "path": full,
            "sha1": sha1_of(full) if checksums else None,
            "mode": f"{stat.S_IMODE(os.stat(full).st_mode):04o}",
        }

    for here, dirs, files in os.walk(root, followlinks=False):
        base = os.path.relpath(here, root)
        base = "" if base == "." else base + "/"
        for name in sorted(dirs + files):
            rel, full = base + name, os.path.join(here, name)
            if name.startswith(".") and not dotfiles:
                is_dir = name in dirs and not os.path.islink(full)
                out["left_out"].append(rel + ("/" if is_dir else ""))
                continue
            if os.path.islink(full):
                target = os.path.realpath(full)
                inside = os.path.relpath(target, real_root)
                # ".." is a dot entry too: a target outside root is hidden().
                outside = inside.split("/")[0] == ".."
                if outside or (hidden(inside) and not dotfiles):
                    what = "outside it" if outside else "into a dot entry"
                    out["problems"].append(f"{rel} links to {target}, {what}")
                elif not os.path.exists(target):
                    out["problems"].append(f"{rel} is a broken link")
                elif os.path.isdir(target):
                    out["problems"].append(f"{rel} links to a directory ({inside})")
                else:
                    out["files"][rel] = shipped(full)
            elif name in dirs:
                out["dirs"].append(rel)
            elif os.path.isfile(full):
                out["files"][rel] = shipped(full)
            else:
                out["problems"].append(f"{rel} is neither a file nor a directory")
        dirs[:] = [
            d
            for d in dirs
            if (dotfiles or not d.startswith(".")) and not os.path.islink(os.path.join(here, d))
        ]
    return out


def tree_plan(
    local: Mapping, held: Mapping, manifest: str | None, dest: str, attrs: Mapping
) -> dict:
    """What to do on a node so that `dest` holds what `local` (local_tree)
    ships, from what the node holds there (`held`: the copy_tree module's
    listing, relative path -> type, sha1, mode, owner, group; "." is `dest`
    itself) and the manifest's text (None when there is none yet).

    attrs: mode (an octal string, or "preserve": each file's own mode on
    the controller) and directory_mode, owner and group, for everything
    shipped. Returns send (files whose content differs or is missing), fix
    (entries whose content is right but not their mode or owner), modes (the
    mode each file sent or fixed gets), make (directories to create),
    replace (entries the role placed earlier as another type: removed before
    the copy), remove (placed entries the source no longer ships),
    manifest_first and manifest_last (texts to write before and after the
    copy, None when unchanged), foreign (dot entries on the node that the
    copy did not place) and problems.
    """
    where = dest + MANIFEST_SUFFIX
    placed = read_manifest(manifest, where) if manifest is not None else []
    ours = {p.rstrip("/") for p in placed}
    shipped = list(local["files"]) + [d + "/" for d in local["dirs"]]
    now_shipped = {p.rstrip("/") for p in shipped}
    out: dict = {"send": [], "fix": [], "make": [], "replace": [], "remove": [], "problems": []}

    def right(rel: str, kind: str) -> bool:
        there = held.get(rel)
        if there is None or there["type"] == kind:
            return True
        if rel in ours:
            out["replace"].append(rel)
        else:
            out["problems"].append(
                f"{dest}/{rel} is a {there['type']} on the node, which pifleet did not place "
                f"there; the source has a {kind} of that name: move it away"
            )
        return False

    def file_mode(rel: str) -> str:
        return local["files"][rel]["mode"] if attrs["mode"] == PRESERVE else attrs["mode"]

    def attrs_differ(rel: str, mode: str) -> bool:
        there = held[rel]
        want = (int(mode, 8), attrs["owner"], attrs["group"])
        return (int(there["mode"], 8), there["owner"], there["group"]) != want

    root = held.get(".")
    if root is not None and root["type"] != "dir":
        out["problems"].append(f"{dest} is a {root['type']} on the node, not a directory")
    elif root is not None and attrs_differ(".", attrs["directory_mode"]):
        out["fix"].append(".")
    for rel in sorted(local["dirs"]):
        if not right(rel, "dir") or rel not in held:
            out["make"].append(rel)
        elif attrs_differ(rel, attrs["directory_mode"]):
            out["fix"].append(rel)
    for rel, info in sorted(local["files"].items()):
        if not right(rel, "file") or rel not in held or held[rel].get("sha1") != info["sha1"]:
            out["send"].append(rel)
        elif attrs_differ(rel, file_mode(rel)):
            out["fix"].append(rel)
    entries = [rel + ("/" if h["type"] == "dir" else "") for rel, h in held.items() if rel != "."]
    out["remove"] = copy_plan(entries, placed, shipped)
    out["modes"] = {
        rel: file_mode(rel) for rel in out["send"] + out["fix"] if rel in local["files"]
    }
    out["foreign"] = sorted(
        rel
        for rel in (e.rstrip("/") for e in entries)
        if hidden(rel) and not hidden(posixpath.dirname(rel)) and rel not in now_shipped
    )
    first, last = render_manifest(placed + shipped), render_manifest(shipped)
    out["manifest_first"] = first if first != manifest else None
    out["manifest_last"] = last if last != first else None
    out["changed"] = bool(
        root is None
        or any(out[k] for k in ("send", "fix", "make", "replace", "remove"))
        or out["manifest_first"] is not None
        or out["manifest_last"] is not None
    )
    return out
