# Copyright: pifleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The docker role's view of a node: which engine it has, whether that engine
fits the chosen source, and what apt must install (the docker_engine_info
module's logic, pure so the unit tests can table it)."""

from __future__ import annotations

import json
import os
import shutil
import stat

from ansible_collections.pifleet.swarm.plugins.module_utils._shipped import sha1_of

SOURCES = ("docker", "distro", "present")
# Engines from other sources that the chosen source must not silently replace.
MARKERS = ("docker-ce", "docker.io", "docker-engine", "moby-engine")
OTHER_ENGINES = ("docker.io", "docker-engine", "moby-engine")
# Where ansible.builtin.deb822_repository keeps the key of the source named
# docker: .asc for an armored key, .gpg for a binary one.
REPO_KEYS = ("/etc/apt/keyrings/docker.asc", "/etc/apt/keyrings/docker.gpg")


def wanted(source: str, python_packages, distro_packages, ce_packages) -> dict[str, list[str]]:
    """The packages a source needs, in the two apt transactions the role runs:
    the libraries (with Debian's docker.io for distro, and python3-debian, which
    adding Docker's source needs, for docker), then Docker's packages."""
    libraries = list(python_packages)
    if source == "docker":
        libraries.append("python3-debian")
    if source == "distro":
        libraries += list(distro_packages)
    return {
        "libraries": list(dict.fromkeys(libraries)),
        "engine": list(ce_packages) if source == "docker" else [],
    }


def plan(want: dict[str, list[str]], installed: dict[str, str]) -> dict[str, list[str]]:
    """What each transaction still has to install."""
    return {step: [name for name in names if name not in installed] for step, names in want.items()}


def conflicts(source: str, installed: dict[str, str], dockerd: str) -> list[str]:
    """Why the chosen source cannot be applied to what the node has (apt would
    replace or refuse an engine), with what to set instead."""
    others = [name for name in OTHER_ENGINES if name in installed]
    if source == "docker" and "docker-ce" not in installed and others:
        return [
            f"docker_engine_source=docker, but {', '.join(others)} is installed "
            f"(dockerd: {dockerd or 'not found'}): docker-ce conflicts with it and apt would "
            "remove that engine. Set docker_engine_source: present to configure the engine you "
            "have (a vendor image's, HypriotOS's), distro to keep Debian's docker.io, or remove "
            "it first to switch to Docker's packages."
        ]
    if source == "distro" and "docker-ce" in installed:
        return [
            f"docker_engine_source=distro, but docker-ce {installed['docker-ce']} from Docker's "
            "repository is installed: docker.io conflicts with it. Set docker_engine_source: "
            "docker (or present) to keep it, or remove docker-ce first."
        ]
    if source == "present" and not dockerd:
        return [
            "docker_engine_source=present, but no Docker Engine is installed (no dockerd in "
            "/usr/bin or /usr/sbin). Set docker_engine_source: docker or distro to install one."
        ]
    return []


def repo_key(keys=REPO_KEYS, is_file=os.path.isfile) -> str:
    """The path of Docker's repository key that an earlier run stored, empty
    when there is none (the role then downloads it)."""
    return next((k for k in keys if is_file(k)), "")


def parse_unit_state(enabled: str, active: str) -> dict[str, bool]:
    """`systemctl is-enabled` and `is-active` output -> whether the engine's
    unit is enabled at boot and running now (anything else, a unit that is
    not there included, is neither)."""
    return {
        "enabled": enabled.strip() in ("enabled", "enabled-runtime", "alias"),
        "active": active.strip() == "active",
    }


# `docker info --format` of what the role publishes; JSON strings, so an
# empty or odd value cannot shift the other.
ENGINE_FORMAT = "{{json .ServerVersion}} {{json .Driver}}"


def parse_engine(rc: int, out: str) -> dict[str, str]:
    """`docker info --format ENGINE_FORMAT` -> the running engine's version
    and storage driver; empty strings when it did not answer."""
    empty = {"version": "", "storage_driver": ""}
    if rc != 0:
        return empty
    try:
        version, driver = (json.loads(word) for word in out.split())
    except ValueError:
        return empty
    if not isinstance(version, str) or not isinstance(driver, str):
        return empty
    return {"version": version, "storage_driver": driver}


def file_state(path: str) -> dict:
    """What ansible.builtin.copy compares of a regular file (its content's
    SHA-1, its mode and owner), so the role can skip a copy that would find
    nothing to do; {} when path is not a regular file."""
    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode):
            return {}
        checksum = sha1_of(path)
    except OSError:
        return {}
    return {
        "checksum": checksum,
        "mode": f"{stat.S_IMODE(info.st_mode):04o}",
        "uid": info.st_uid,
        "gid": info.st_gid,
    }


def find_dockerd(path: str | None = None) -> str:
    """dockerd's path: docker.io puts it in /usr/sbin, docker-ce in /usr/bin,
    and a non-login PATH may lack sbin."""
    search = os.pathsep.join(
        [path if path is not None else os.environ.get("PATH", ""), "/usr/sbin:/usr/bin:/sbin:/bin"]
    )
    return shutil.which("dockerd", path=search) or ""


def parse_dockerd_version(text: str | None) -> str:
    """``Docker version 26.1.5+dfsg1, build a72d7cd`` -> ``26.1.5+dfsg1``; '' if unknown."""
    if not text:
        return ""
    words = text.replace(",", " ").split()
    for i, word in enumerate(words[:-1]):
        if word == "version":
            return words[i + 1]
    return ""


def can_validate(version: str | None) -> bool:
    """Whether this dockerd has ``--validate`` (Engine 23.0 and later; not 20.10)."""
    if not version:
        return False
    head = version.strip().split(".")
    try:
        return int(head[0]) >= 23
    except ValueError:
        return False
