#!/usr/bin/python
# Copyright: pifleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Documentation of the images_plan action (it runs on the controller only)."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: images_plan
short_description: Plan the images role's builds, copies and registry names
version_added: 0.1.0
description:
  - The images role's planner, on the controller. From the recipes (as
    C(images_recipes) takes them) it returns, as far as the options given
    tell, each recipe's directories and reference, one builder per
    architecture, what to remove from a builder's copy of a recipe (only
    paths the role placed there itself, as the manifest beside the copy
    lists them, that the recipe no longer ships) and the manifests to write,
    and each build's content-named reference in the fleet's registry.
  - Contacts no host.
author:
  - pifleet developers
options:
  recipes:
    description:
      - The recipes, as the C(images_recipes) variable of the images role
        takes them (with O(build_dir) and O(recipes_dir); RV(recipes)).
    type: list
    elements: dict
  build_dir:
    description: Where the builders keep one build context per image name.
    type: str
  recipes_dir:
    description: Where the recipes the role ships are (for recipes named by C(recipe)).
    type: str
  archs:
    description:
      - Each host's architecture; the first host of each, by name, builds for
        it (RV(builders)).
    type: dict
  built:
    description:
      - A builder's M(pifleet.swarm.arm_image) results, in recipe order
        (with O(refs); RV(builds)).
    type: list
    elements: dict
  refs:
    description: The recipes' C(name:tag), in the order of O(built).
    type: list
    elements: str
  registry:
    description: The fleet registry's C(host:port), to name the O(built) images in it.
    type: str
    default: ""
attributes:
  action:
    support: full
    description: Runs on the controller only; no connection to the host is made.
  check_mode:
    support: full
    description: Changes nothing anywhere, so it runs the same in check mode.
  diff_mode:
    support: none
  idempotent:
    support: full
    description: Changes nothing.
seealso:
  - module: pifleet.swarm.arm_image
"""

EXAMPLES = r"""
- name: Choose one builder per architecture
  pifleet.swarm.images_plan:
    recipes: [{name: pifleet/caddy, tag: "2", recipe: caddy}]
    build_dir: /srv/pifleet/build
    recipes_dir: "{{ role_path }}/files/recipes"
    archs: >-
      {{ dict(ansible_play_hosts | zip(ansible_play_hosts
         | map('extract', hostvars, ['ansible_facts', 'architecture']))) }}
  run_once: true
  register: images
"""

RETURN = r"""
recipes:
  description:
    - Each recipe, with its C(ref) (C(name:tag)), C(source_dir) (on the
      controller) and C(context_dir) (its copy on a builder).
  returned: when O(recipes) is given
  type: list
  elements: dict
builders:
  description: The builder of each architecture.
  returned: when O(archs) is given
  type: dict
  sample: {aarch64: pi1, armv7l: pi4}
builds:
  description:
    - C(ref) and content C(hash) of each build; with O(registry), also its
      C(remote) reference there, its C(path) and its C(tag) (the image's tag
      plus the first 12 hex digits of the hash, so a rebuild never moves a
      tag a node pulls, and architectures never share one).
  returned: when O(built) and O(refs) are given
  type: list
  elements: dict
"""
