#!/usr/bin/python
# Copyright: pifleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Documentation of the image_stream action (the work is done on the controller)."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: image_stream
short_description: Copy a Docker image from one node to this one over SSH, with no registry
version_added: 0.1.0
description:
  - Runs C(docker save) on the O(source) host and pipes it through the
    controller into C(docker load) on the target host, as the images role does
    to put a build on every node of its architecture.
  - Both hosts are reached with the options of Ansible's own ssh connection
    plugin, resolved for each host the way Ansible resolves them (inventory
    variables, C(ansible.cfg), environment, command line and play keywords). A
    port, user, key or C(ssh_args) (a ProxyJump, say) set for Ansible holds for
    the stream too.
  - A user other than C(root) runs C(docker) through C(sudo -n).
author:
  - pifleet developers
options:
  ref:
    description:
      - The image to copy, as C(docker save) takes it (C(name:tag)).
    type: str
    required: true
  source:
    description:
      - The inventory name of the host that has the image.
    type: str
    required: true
attributes:
  action:
    support: full
    description: Runs on the controller, which opens one SSH connection to each host.
  check_mode:
    support: full
    description: Reports the change and the command it would run, and runs nothing.
  diff_mode:
    support: none
    description: An image has no text to compare.
  idempotent:
    support: none
    description: Always copies; the images role calls it only for the images a node lacks.
notes:
  - Both hosts need the C(ssh) connection, key-based login (the stream runs
    with C(BatchMode=yes), so no password and no key given as text) and a
    Docker Engine.
"""

EXAMPLES = r"""
- name: Put the builder's image on the other arm64 nodes
  pifleet.swarm.image_stream:
    ref: caddy-php:2.10
    source: pi1
  when: inventory_hostname != 'pi1'
"""

RETURN = r"""
cmd:
  description: The pipe that ran (or would run, in check mode), shell-quoted.
  returned: always
  type: str
  sample: "ssh -o BatchMode=yes -o User=pi -- 192.168.1.11 'sudo -n docker save caddy:2' | ssh ..."
stdout:
  description: What C(docker load) printed.
  returned: when the stream ran
  type: str
  sample: "Loaded image: caddy:2"
stderr:
  description: What both ends printed on standard error.
  returned: when the stream ran
  type: str
rc:
  description: The exit status of C(docker save) if it failed, else that of C(docker load).
  returned: when the stream ran
  type: int
"""
