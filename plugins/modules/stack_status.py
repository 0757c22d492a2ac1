#!/usr/bin/python
# Copyright: pifleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Wait until a Swarm stack runs whole on the Ready nodes, its updates over."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: stack_status
short_description: Wait until a Swarm stack runs whole on the Ready nodes
version_added: 0.1.0
description:
  - Reads, on a Swarm manager, every service of a stack, how many tasks the
    Swarm wants of each (its own count, which for a global service leaves out
    nodes that are down, drained or excluded by a constraint), how many run on
    nodes that are Ready, and the state of each service's last update.
  - A task on a node that went Down stays C(running) in the Swarm's books
    until the node comes back; such tasks are not counted, so a lost node
    neither makes a stack look over-full nor hides a missing task.
  - Waits until every service runs whole and no update is under way, asking
    the engine every 2 seconds in one Python process (one connection to the
    node, however long it waits). Fails, naming the services that fall short,
    when that does not happen in time.
  - In time means O(timeout) seconds plus what the updates under way are paced
    to take, read from each updating service (its tasks in batches of its
    update parallelism, each batch followed by its delay and monitor), so a
    slow pace chosen on purpose is not taken for a stack that fails.
author:
  - pifleet developers
options:
  name:
    description: The stack's name (its services carry the label C(com.docker.stack.namespace)).
    type: str
    required: true
  timeout:
    description:
      - Seconds to wait beyond the pace of the updates under way; V(0) with no update under way
        reads once and fails if the stack is not whole.
    type: int
    default: 180
  docker_host:
    description: The engine's API address.
    type: str
    default: unix:///var/run/docker.sock
attributes:
  check_mode:
    support: full
    description: Only reads; runs the same in check mode.
  diff_mode:
    support: none
  idempotent:
    support: full
    description: Changes nothing.
requirements:
  - The Docker SDK for Python on the node (C(python3-docker); the docker role installs it).
  - The node is a Swarm manager.
seealso:
  - module: community.docker.docker_stack
"""

EXAMPLES = r"""
- name: Deploy the stack
  community.docker.docker_stack:
    name: web
    compose: [/srv/web/stack.yml]
  register: deployed

- name: Wait until it runs whole
  pifleet.swarm.stack_status:
    name: web
  register: web

- name: Fail when Swarm rolled the update back
  ansible.builtin.fail:
    msg: "Swarm rolled back {{ web.rolled_back | join(', ') }}"
  when: web.rolled_back | length > 0 and deployed is changed
"""

RETURN = r"""
services:
  description: Each service of the stack, by name.
  returned: success
  type: list
  elements: dict
  contains:
    id:
      description: The service's id.
      type: str
    name:
      description: The service's name.
      type: str
    labels:
      description: The service's labels (not its containers').
      type: dict
    desired:
      description: Tasks the Swarm wants of it.
      type: int
    running:
      description: Its tasks running on Ready nodes.
      type: int
    update_state:
      description: The state of its last update (C(none) when it was never updated).
      type: str
    rollout_seconds:
      description: Seconds its update under way is paced to take (0 when none is).
      type: float
shortfall:
  description: What keeps the stack from running whole, a line per service; empty when whole.
  returned: always
  type: list
  elements: str
updating:
  description: Services whose update is still going on.
  returned: always
  type: list
  elements: str
rolled_back:
  description: Services whose last update Swarm rolled back or paused.
  returned: always
  type: list
  elements: str
rollout_seconds:
  description: Seconds the updates under way at the last read are paced to take (0 when none is).
  returned: always
  type: float
waited:
  description: Seconds waited.
  returned: always
  type: float
"""

import json
import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.pifleet.swarm.plugins.module_utils._docker_sdk import docker, require
from ansible_collections.pifleet.swarm.plugins.module_utils._stack import status

# Between two reads of the engine while waiting.
INTERVAL = 2.0


def read(api, stack: str) -> dict:
    label = {"label": [f"com.docker.stack.namespace={stack}"]}
    # status=true (ServiceStatus) is in the API since 1.41, but the SDK's
    # services() takes it only from 6.0 on; Debian bookworm ships 5.0.3.
    raw_services = api._result(
        api._get(api._url("/services"), params={"filters": json.dumps(label), "status": "true"}),
        True,
    )
    ids = [s["ID"] for s in raw_services]
    tasks = api.tasks(filters={"service": ids, "desired-state": "running"}) if ids else []
    return status(api.nodes(), raw_services, tasks)


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "name": {"type": "str", "required": True},
            "timeout": {"type": "int", "default": 180},
            "docker_host": {"type": "str", "default": "unix:///var/run/docker.sock"},
        },
        supports_check_mode=True,
    )
    require(module)
    name, timeout = module.params["name"], max(module.params["timeout"], 0)
    start = time.monotonic()
    # The longest pace seen: an update that ends early does not shorten it.
    paced = 0.0
    try:
        api = docker.APIClient(base_url=module.params["docker_host"], version="auto")
        while True:
            now = read(api, name)
            waited = round(time.monotonic() - start, 1)
            if not now["shortfall"] and not now["updating"]:
                module.exit_json(changed=False, waited=waited, **now)
            paced = max(paced, now["rollout_seconds"])
            if waited >= timeout + paced:
                break
            time.sleep(INTERVAL)
    except docker.errors.DockerException as exc:
        module.fail_json(
            msg=f"Cannot read the stack {name} from the engine at "
            f"{module.params['docker_host']}: {exc} (is this node a Swarm manager?)"
        )
    module.fail_json(
        msg=(
            f"The stack {name} is not running whole after {waited:.0f} s: "
            + "; ".join(now["shortfall"] + [f"{s} still updating" for s in now["updating"]])
            + f". See `docker stack ps {name} --no-trunc` on this node."
        ),
        waited=waited,
        **now,
    )


if __name__ == "__main__":
    main()
