#!/usr/bin/python
# Copyright: pifleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Install the Debian packages a node lacks; touch apt only then."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: apt_packages
short_description: Install the Debian packages a node lacks, touching apt only when one is missing
version_added: 0.1.0
description:
  - Asks dpkg which of O(name) are installed. When all are, nothing else runs
    (no C(apt-get update), however old the package lists), so a converged Pi
    costs one Python start, the same day and a week later.
  - When some are missing, the package lists are fetched first if apt cannot
    offer one of them yet (a freshly flashed image has no lists; a source added
    this run has none) or if they are older than O(cache_valid_time); then
    C(apt-get install) installs only the missing ones.
  - A failed update or install (a Pi on Wi-Fi loses a mirror now and then, a
    .deb gone from it) is retried O(retries) times, O(delay) seconds apart,
    fetching the lists again first. apt and dpkg locks held by another apt
    (C(apt-daily) on a freshly booted image) are waited for.
  - Reads with C(dpkg-query) and C(apt-cache), so it needs no C(python3-apt)
    and predicts in check mode on any node, also for packages apt cannot offer
    before the lists are fetched.
  - Installs only; never upgrades or removes. M(ansible.builtin.apt) is the
    module for versions, upgrades and removals.
author:
  - pifleet developers
options:
  name:
    description:
      - Packages that must be installed (names, optionally with C(:arch)).
    type: list
    elements: str
    required: true
  install_recommends:
    description:
      - Install the missing packages' recommended packages too (apt's default).
    type: bool
    default: true
  cache_valid_time:
    description:
      - When a package is missing, fetch the lists first if they are older
        than this many seconds. Lists are never fetched when nothing is missing.
    type: int
    default: 86400
  retries:
    description:
      - How many times a failed C(apt-get update) or C(apt-get install) is tried again.
    type: int
    default: 3
  delay:
    description:
      - Seconds between tries.
    type: int
    default: 10
attributes:
  check_mode:
    support: full
    description: >-
      Reports what it would install (and whether the lists would be fetched
      first) and runs nothing.
  diff_mode:
    support: none
  idempotent:
    support: full
notes:
  - Runs C(apt-get) with C(DEBIAN_FRONTEND=noninteractive) and keeps a
    changed configuration file's old version (C(--force-confold)).
seealso:
  - module: ansible.builtin.apt
"""

EXAMPLES = r"""
- name: Install what docker_stack needs
  pifleet.swarm.apt_packages:
    name: [python3-jsondiff, python3-yaml]

- name: Install what Ansible's modules need, without their recommendations
  pifleet.swarm.apt_packages:
    name: [python3-apt, iproute2]
    install_recommends: false
"""

RETURN = r"""
missing:
  description: >-
    The packages that were not installed before this task (those it
    installed, or in check mode would install).
  returned: always
  type: list
  elements: str
  sample: [python3-jsondiff]
installed:
  description: >-
    Every package of O(name) that is installed now, with its version (in
    check mode, before any change).
  returned: always
  type: dict
  sample: {python3-jsondiff: 1.3.1-3, python3-yaml: 6.0.1-3}
cache_updated:
  description: Whether the package lists were fetched (in check mode, whether they would be).
  returned: always
  type: bool
  sample: true
"""

import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.pifleet.swarm.plugins.module_utils._apt import (
    C_LOCALE,
    NAME,
    lists_age,
    needs_refresh,
    read_candidates,
    read_installed,
)

APT_ENV = {**C_LOCALE, "DEBIAN_FRONTEND": "noninteractive"}
# Wait for a lock another apt holds (apt-daily on a fresh image) instead of failing at once.
APT_OPTIONS = ["-o", "DPkg::Lock::Timeout=300"]


def _apt_get(module, args: list[str]) -> tuple[int, str]:
    rc, out, err = module.run_command(["apt-get", *APT_OPTIONS, *args], environ_update=APT_ENV)
    return rc, (err or out).strip()


def _install(module, missing: list[str], refresh: bool) -> tuple[bool, str]:
    """Fetch the lists if asked, then install; retried. Returns (lists fetched, last error)."""
    params = module.params
    install = ["install", "-y", "-q", "-o", "Dpkg::Options::=--force-confold"]
    if not params["install_recommends"]:
        install.append("--no-install-recommends")
    fetched = False
    error = ""
    for attempt in range(params["retries"] + 1):
        if attempt:
            time.sleep(params["delay"])
            # A .deb that 404s is usually a mirror that moved on: fetch again.
            refresh = True
        if refresh:
            rc, error = _apt_get(module, ["update", "-q"])
            if rc != 0:
                error = f"apt-get update failed: {error}"
                continue
            fetched = True
        rc, error = _apt_get(module, [*install, *missing])
        if rc == 0:
            return fetched, ""
        error = f"apt-get install {' '.join(missing)} failed: {error}"
    return fetched, error


def main():
    module = AnsibleModule(
        argument_spec={
            "name": {"type": "list", "elements": "str", "required": True},
            "install_recommends": {"type": "bool", "default": True},
            "cache_valid_time": {"type": "int", "default": 86400},
            "retries": {"type": "int", "default": 3},
            "delay": {"type": "int", "default": 10},
        },
        supports_check_mode=True,
    )
    names = list(dict.fromkeys(module.params["name"]))
    bad = [name for name in names if not NAME.fullmatch(name)]
    if bad:
        module.fail_json(msg=f"name: not a Debian package name: {', '.join(map(repr, bad))}")
    for key in ("cache_valid_time", "retries", "delay"):
        if module.params[key] < 0:
            module.fail_json(msg=f"{key} must be 0 or more, got {module.params[key]}")

    installed = read_installed(module, names)
    missing = [name for name in names if name not in installed]
    result = {
        "changed": bool(missing),
        "missing": missing,
        "installed": installed,
        "cache_updated": False,
    }
    if not missing:
        module.exit_json(**result)

    refresh = needs_refresh(
        missing, read_candidates(module, missing), lists_age(), module.params["cache_valid_time"]
    )
    if module.check_mode:
        result["cache_updated"] = refresh
        module.exit_json(**result)

    result["cache_updated"], error = _install(module, missing, refresh)
    if error:
        module.fail_json(msg=error, **result)
    result["installed"] = read_installed(module, names)
    still = [name for name in missing if name not in result["installed"]]
    if still:
        module.fail_json(
            msg=f"apt-get reported success, but these are not installed: {', '.join(still)}",
            **result,
        )
    module.exit_json(**result)


if __name__ == "__main__":
    main()
