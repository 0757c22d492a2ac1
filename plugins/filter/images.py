# Copyright: pifleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters the images role uses; the rules live in plugin_utils/_images.py.

- ``{host: arch} | pifleet.swarm.images_builders``: {arch: builder host}.
- ``recipes | pifleet.swarm.images_recipe_dirs(build_dir, recipes_dir)``: each recipe with its
  source_dir (controller) and context_dir (builder).
- ``find_results | pifleet.swarm.images_stale_files(shipped_find_results)``: absolute paths on
  the node that the recipes no longer ship (both are ansible.builtin.find loops over the
  recipes of images_recipe_dirs: each result's item says which directories were listed).
- ``refs | pifleet.swarm.images_wanted(arm_image_results)``: [{ref, hash}] the builder made.
- ``wanted | pifleet.swarm.images_registry_refs('10.0.0.1:5000')``: [{ref, hash, remote, path,
  tag}], where each build lives in the fleet's registry.
"""

from __future__ import annotations

from ansible_collections.pifleet.swarm.plugins.plugin_utils._images import (
    builders,
    registry_refs,
    stale_files,
    wanted,
    with_dirs,
)


def images_builders(arch_by_host):
    return builders(dict(arch_by_host))


def images_recipe_dirs(recipes, build_dir, recipes_dir):
    return with_dirs(list(recipes), str(build_dir), str(recipes_dir))


def images_stale_files(held_results, shipped_results):
    # The roots come from each loop item (images_recipe_dirs): a registered
    # result carries no module arguments on ansible-core 2.21.
    out = []
    for held, shipped in zip(held_results, shipped_results, strict=True):
        held_root = held["item"]["context_dir"]
        shipped_root = shipped["item"]["source_dir"]
        relative = [f["path"][len(shipped_root) + 1 :] for f in shipped["files"]]
        held_rel = [f["path"][len(held_root) + 1 :] for f in held["files"]]
        out += [f"{held_root}/{p}" for p in stale_files(relative, held_rel)]
    return out


def images_wanted(refs, results):
    return wanted(list(refs), list(results))


def images_registry_refs(wanted_builds, registry):
    return registry_refs(list(wanted_builds), str(registry))


class FilterModule:
    def filters(self):
        return {
            "images_recipe_dirs": images_recipe_dirs,
            "images_builders": images_builders,
            "images_registry_refs": images_registry_refs,
            "images_stale_files": images_stale_files,
            "images_wanted": images_wanted,
        }
