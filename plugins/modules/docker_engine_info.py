#!/usr/bin/python
# Copyright: pifleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read a node's Docker Engine and packages, and plan what apt must install."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: docker_engine_info
short_description: Read a node's Docker Engine and packages, and plan its apt installs
version_added: 0.1.0
description:
  - Reads, in one Python start (slow on a Pi), which Docker Engine packages
    and which of the wanted packages are installed, where C(dockerd) is and
    its version.
  - Returns the apt plan for O(source) as the C(pifleet.swarm.docker) role
    runs it, two transactions, C(libraries) (the Python libraries
    community.docker needs, with Debian's C(docker.io) for V(distro) and
    C(python3-debian) for V(docker)), then C(engine) (Docker's packages, for
    V(docker) only). Each lists only what is missing; a converged node's plan
    is empty.
  - Fails, before anything changes, when the installed engine does not fit
    O(source), as when C(docker-ce) would make apt remove a C(docker.io) engine, and
    C(docker.io) cannot be installed beside C(docker-ce).
  - Also reads what the role's configure steps would otherwise each ask the
    node for (whether C(/etc/docker) and the C(docker) group exist, whether
    the engine's unit is enabled and running, the stored repository key, what
    O(daemon_json) holds), so a converged node answers them all in this one
    call.
  - Reads with C(dpkg-query), so it needs no C(python3-apt), and runs the
    same in check mode.
author:
  - pifleet developers
options:
  source:
    description:
      - Where the engine comes from. V(docker) is Docker's apt repository
        (C(docker-ce)), V(distro) the distribution's C(docker.io), V(present)
        an engine already installed by other means, which is only configured.
    type: str
    choices: [docker, distro, present]
    required: true
  python_packages:
    description: The Python libraries community.docker needs on the node.
    type: list
    elements: str
    default: []
  distro_packages:
    description: The distribution's engine packages, installed for O(source=distro).
    type: list
    elements: str
    default: []
  ce_packages:
    description: Docker's packages, installed for O(source=docker).
    type: list
    elements: str
    default: []
  daemon_json:
    description:
      - The engine's configuration file, whose content checksum, mode and
        owner are returned as RV(daemon_json).
    type: path
    default: /etc/docker/daemon.json
attributes:
  check_mode:
    support: full
    description: Only reads; runs the same in check mode.
  diff_mode:
    support: none
  idempotent:
    support: full
seealso:
  - module: pifleet.swarm.apt_packages
"""

EXAMPLES = r"""
- name: Read the engine and plan the installs
  pifleet.swarm.docker_engine_info:
    source: distro
    python_packages: [python3-docker]
    distro_packages: [docker.io]
  register: engine

- name: Install what the plan lists
  pifleet.swarm.apt_packages:
    name: "{{ engine.plan.libraries }}"
  when: engine.plan.libraries | length > 0
"""

RETURN = r"""
installed:
  description: >-
    The installed version of every engine package and every wanted package
    that is installed.
  returned: always
  type: dict
  sample: {docker.io: 26.1.5+dfsg1-9+b9, python3-docker: 7.1.0-2}
plan:
  description: What each of the role's two apt transactions still has to install, in order.
  returned: always
  type: dict
  contains:
    libraries:
      description: >-
        Missing Python libraries (and for V(distro) the engine, for V(docker)
        C(python3-debian)).
      type: list
      elements: str
      sample: [python3-docker, docker.io]
    engine:
      description: Missing packages from Docker's repository (V(docker) only).
      type: list
      elements: str
      sample: [docker-ce, docker-ce-cli, containerd.io]
dockerd:
  description: The path of the engine's C(dockerd), empty when there is none.
  returned: always
  type: str
  sample: /usr/sbin/dockerd
dockerd_version:
  description: C(dockerd)'s version, empty when there is none.
  returned: always
  type: str
  sample: 26.1.5+dfsg1
repo_key:
  description: >-
    The key of Docker's repository that an earlier run stored in
    C(/etc/apt/keyrings), empty when there is none.
  returned: always
  type: str
  sample: /etc/apt/keyrings/docker.asc
etc_docker:
  description: Whether C(/etc/docker) is a directory.
  returned: always
  type: bool
daemon_json:
  description:
    - What O(daemon_json) holds, as M(ansible.builtin.copy) compares a file
      (its content's SHA-1, its mode and owner); empty when it is not a
      regular file.
  returned: always
  type: dict
  sample: {checksum: 5f6e1b0c2a3d4e5f60718293a4b5c6d7e8f90a1b, mode: "0644", uid: 0, gid: 0}
docker_group:
  description: Whether the C(docker) group exists.
  returned: always
  type: bool
unit:
  description: The engine's C(docker.service), as C(systemctl) reports it.
  returned: always
  type: dict
  contains:
    enabled:
      description: Enabled at boot.
      type: bool
    active:
      description: Running now.
      type: bool
engine:
  description: >-
    The running engine as C(docker info) reports it; empty strings when
    C(docker.service) is not running or the engine does not answer.
  returned: always
  type: dict
  contains:
    version:
      description: The engine's version (C(ServerVersion)).
      type: str
      sample: 26.1.5+dfsg1
    storage_driver:
      description: Its storage driver.
      type: str
      sample: overlay2
validates_config:
  description: >-
    Whether this C(dockerd) can check a C(daemon.json) without starting
    (C(--validate), Engine 23 and later).
  returned: always
  type: bool
  sample: true
"""

import grp
import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.pifleet.swarm.plugins.module_utils._apt import C_LOCALE, read_installed
from ansible_collections.pifleet.swarm.plugins.module_utils._docker_engine import (
    ENGINE_FORMAT,
    MARKERS,
    SOURCES,
    can_validate,
    conflicts,
    file_state,
    find_dockerd,
    parse_dockerd_version,
    parse_engine,
    parse_unit_state,
    plan,
    repo_key,
    wanted,
)


def group_exists(name: str) -> bool:
    try:
        grp.getgrnam(name)
    except KeyError:
        return False
    return True


def unit_state(module) -> dict[str, bool]:
    systemctl = module.get_bin_path("systemctl")
    states = []
    for verb in ("is-enabled", "is-active"):
        out = ""
        if systemctl:
            _rc, out, _err = module.run_command(
                [systemctl, verb, "docker.service"], environ_update=C_LOCALE
            )
        states.append(out)
    return parse_unit_state(*states)


def engine_state(module, unit: dict[str, bool]) -> dict[str, str]:
    """The running engine's version and storage driver (parse_engine)."""
    docker = module.get_bin_path("docker")
    if not (docker and unit["active"]):
        return parse_engine(1, "")
    rc, out, _err = module.run_command(
        [docker, "info", "--format", ENGINE_FORMAT], environ_update=C_LOCALE
    )
    return parse_engine(rc, out)


def main():
    packages = {"type": "list", "elements": "str", "default": []}
    module = AnsibleModule(
        argument_spec={
            "source": {"type": "str", "choices": list(SOURCES), "required": True},
            "python_packages": packages,
            "distro_packages": packages,
            "ce_packages": packages,
            "daemon_json": {"type": "path", "default": "/etc/docker/daemon.json"},
        },
        supports_check_mode=True,
    )
    params = module.params
    want = wanted(
        params["source"],
        params["python_packages"],
        params["distro_packages"],
        params["ce_packages"],
    )
    names = list(dict.fromkeys([*MARKERS, *want["libraries"], *want["engine"]]))
    installed = read_installed(module, names)

    dockerd = find_dockerd()
    version = ""
    if dockerd:
        _rc, out, _err = module.run_command([dockerd, "--version"], environ_update=C_LOCALE)
        version = parse_dockerd_version(out)
    unit = unit_state(module)
    result = {
        "changed": False,
        "installed": installed,
        "plan": plan(want, installed),
        "dockerd": dockerd,
        "dockerd_version": version,
        "validates_config": can_validate(version),
        "repo_key": repo_key(),
        "etc_docker": os.path.isdir("/etc/docker"),
        "daemon_json": file_state(params["daemon_json"]),
        "docker_group": group_exists("docker"),
        "unit": unit,
        "engine": engine_state(module, unit),
    }
    problems = conflicts(params["source"], installed, dockerd)
    if problems:
        module.fail_json(msg=" ".join(problems), **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
