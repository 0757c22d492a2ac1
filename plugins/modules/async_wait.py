#!/usr/bin/python
# Copyright: pifleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Wait on the node for a job started with async and poll: 0, and return its result."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: async_wait
short_description: Wait on the node for a background job and return its result
version_added: 0.1.0
description:
  - Waits for a job that a task started with O(ignore:async) and O(ignore:poll=0), watching
    its results file on the node every half second in one Python process,
    and returns the job's own result as M(ansible.builtin.async_status) would.
  - One connection per call however long it waits, where
    M(ansible.builtin.async_status) under C(until) costs a connection per poll and
    learns that the job ended only at the next poll.
  - Returns with RV(finished=false) after O(timeout) seconds if the job still
    runs, so C(until) calls it again; a long job is then not one SSH session
    of an hour.
  - Fails with the job's own message and result when the job failed.
author:
  - pifleet developers
options:
  results_file:
    description:
      - The job's results file, as the task that started it registered it
        (C(results_file)).
    type: path
    required: true
  timeout:
    description: Seconds to wait in this call.
    type: int
    default: 60
  cleanup:
    description:
      - Remove the results file once the job's result is read (what
        M(ansible.builtin.async_status) does with V(mode=cleanup)).
    type: bool
    default: true
attributes:
  check_mode:
    support: full
    description: Only reads; leaves the results file in check mode.
  diff_mode:
    support: none
  idempotent:
    support: full
    description: Reads a result; removing the file it read changes nothing a later run depends on.
notes:
  - Run it with the same O(ignore:become) as the task that started the job,
    whose results file is in that user's async directory.
seealso:
  - module: ansible.builtin.async_status
"""

EXAMPLES = r"""
- name: Start the builds
  pifleet.swarm.arm_image:
    name: "{{ item }}"
    path: "/srv/recipes/{{ item }}"
  loop: [caddy, php]
  async: 3600
  poll: 0
  register: started

- name: Wait for the builds
  pifleet.swarm.async_wait:
    results_file: "{{ item.results_file }}"
  loop: "{{ started.results }}"
  register: finished
  until: finished is finished
  retries: 61
  delay: 0
"""

RETURN = r"""
finished:
  description: Whether the job ended; its own result's keys come with it when it did.
  returned: always
  type: bool
started:
  description: Always true (the job was started).
  returned: always
  type: bool
ansible_job_id:
  description: The job's id (the results file's name).
  returned: always
  type: str
waited:
  description: Seconds waited in this call.
  returned: always
  type: float
"""

import json
import os
import time

from ansible.module_utils.basic import AnsibleModule

# Between two reads of the results file.
INTERVAL = 0.5
# What the job's result may carry that is not ours to hand on as data (the
# job's own invocation, which cores before 2.21 write, would stand in for
# this module's).
HANDLED = ("invocation", "warnings", "deprecations", "started", "finished", "ansible_job_id")


def read(path: str) -> dict | None:
    """The job's result once it ended, None while it runs. async_wrapper
    writes a {"started": 1, ...} file first and replaces it (a .tmp file
    renamed) with the module's result; a file that does not parse is taken
    as a job still running, as async_status takes it."""
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except ValueError:
        return None
    if not isinstance(data, dict) or ("started" in data and not data.get("finished")):
        return None
    return data


def warning_text(warning) -> str:
    """A warning of the job's result as text: a string up to ansible-core
    2.18, a serialized summary with its event's msg from 2.19 on."""
    if isinstance(warning, dict):
        event = warning.get("event")
        return str((event if isinstance(event, dict) else warning).get("msg", warning))
    return str(warning)


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "results_file": {"type": "path", "required": True},
            "timeout": {"type": "int", "default": 60},
            "cleanup": {"type": "bool", "default": True},
        },
        supports_check_mode=True,
    )
    path = module.params["results_file"]
    jid = os.path.basename(path)
    timeout = max(module.params["timeout"], 0)
    start = time.monotonic()
    while True:
        if not os.path.isfile(path):
            module.fail_json(
                msg=f"could not find job {jid} ({path}): it was never started as this user, "
                "or its result was already read and removed",
                ansible_job_id=jid,
                started=True,
                finished=True,
            )
        data = read(path)
        waited = round(time.monotonic() - start, 1)
        if data is not None or waited >= timeout:
            break
        time.sleep(INTERVAL)
    if data is None:
        module.exit_json(
            changed=False, started=True, finished=False, ansible_job_id=jid, waited=waited
        )
    if module.params["cleanup"] and not module.check_mode:
        os.unlink(path)
    for warning in data.get("warnings") or []:
        module.warn(warning_text(warning))
    result = {key: value for key, value in data.items() if key not in HANDLED}
    result.update(started=True, finished=True, ansible_job_id=jid, waited=waited)
    if result.pop("failed", False):
        module.fail_json(msg=result.pop("msg", f"job {jid} failed"), **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
