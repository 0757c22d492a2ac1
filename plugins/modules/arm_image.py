#!/usr/bin/python
# Copyright: pifleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Build a Docker image natively on the node, for the node's own architecture."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: arm_image
short_description: Build a Docker image natively on the node, adapting the recipe to its arch
version_added: 0.1.0
description:
  - Builds an image from a build context directory and Dockerfile on the node, with the
    node's own Docker Engine (through the Docker SDK for Python), so an ARM image is
    built on ARM hardware without emulation.
  - Adapts the recipe first. O(base_images) maps base images to their counterpart for
    each architecture and every C(FROM) line is rewritten accordingly (multi-stage
    builds, C(ARG)-based bases and C(--platform) flags included). This is the trick
    of swapping an x86 base for an ARM one, made general.
  - Idempotent by content. A hash of the context files (after C(.dockerignore)), the
    rewritten Dockerfile, the build args, the labels, the architecture and the id of every
    base image is stored as the image label C(org.pifleet.arm_image.hash). When the
    image already carries that hash, nothing is sent to the engine and the module
    reports no change.
author:
  - pifleet developers
requirements:
  - The Docker SDK for Python on the node (Debian and Raspberry Pi OS package C(python3-docker)).
options:
  name:
    description: Image name (repository), without tag.
    type: str
    required: true
  tag:
    description: Tag to build.
    type: str
    default: latest
  path:
    description: Build context directory on the node.
    type: path
    required: true
  dockerfile:
    description: Dockerfile, relative to O(path) or absolute.
    type: str
    default: Dockerfile
  base_images:
    description:
      - Base image mapping. Keys are base image references as written in C(FROM) (after
        C(ARG) expansion), or just their repository (then the original tag is kept).
      - A value is one reference for every architecture, or a dictionary from architecture
        (V(aarch64)/V(arm64), V(armv7l)/V(armhf), V(armv6l), V(x86_64)/V(amd64)) to a
        reference. An architecture missing from that dictionary, or mapped to C(null), has
        no image and the build fails naming the C(FROM) line.
      - Bases not in the mapping are used as written.
    type: dict
    default: {}
  build_args:
    description: Build-time variables (C(--build-arg)).
    type: dict
    default: {}
  labels:
    description: Labels to set on the image.
    type: dict
    default: {}
  arch:
    description:
      - The architecture to adapt the recipe for. Defaults to this node's userland
        architecture (C(dpkg --print-architecture) wins over the kernel's C(uname -m),
        as on 32-bit Raspberry Pi OS with a 64-bit kernel).
    type: str
  pull:
    description:
      - When to pull base images. V(missing) pulls a base that is not on the node,
        V(never) fails naming it instead (offline fleets, or images distributed without a
        registry), V(always) pulls before every hash check.
    type: str
    choices: [missing, never, always]
    default: missing
  force:
    description: Build even when an image with the same hash exists.
    type: bool
    default: false
  nocache:
    description: Do not use the engine's build cache for this build.
    type: bool
    default: false
  max_age:
    description:
      - Rebuild, without the engine's build cache, an image whose hash matches but
        that was built more than this many days ago, so that the packages its recipe
        installs are current (Docker's cache keeps an C(apt-get) layer as long as the
        recipe does not change). V(0) never rebuilds for age.
    type: int
    default: 0
  timeout:
    description: Seconds to wait for the engine API on each call (a build on a Pi is slow).
    type: int
    default: 1800
  docker_host:
    description: The Docker Engine API to use.
    type: str
    default: unix:///var/run/docker.sock
  log_lines:
    description: How many of the last build log lines to return when the build fails.
    type: int
    default: 40
attributes:
  check_mode:
    support: full
    description: Computes the hash and reports whether a build would happen; builds nothing.
  diff_mode:
    support: full
    description: Shows the image hash and base images before and after.
  idempotent:
    support: full
notes:
  - The Docker API version is negotiated with the engine, so the module works with Debian's
    docker.io 20.10 as with Docker Engine 29, which refuses API versions below 1.44.
  - The build uses the engine's classic builder API; C(RUN --mount) and other BuildKit-only
    syntax is not supported.
seealso:
  - module: community.docker.docker_image_build
"""

EXAMPLES = r"""
- name: Build the Caddy image natively on each Pi
  pifleet.swarm.arm_image:
    name: pifleet/caddy
    tag: "2.6"
    path: /opt/pifleet/recipes/caddy

- name: An x86-only recipe made ARM, the way the 2017 arm-caddy image was
  pifleet.swarm.arm_image:
    name: local/whoami
    path: /srv/recipes/whoami
    base_images:
      # FROM alpine:3.20 -> arm64v8/alpine:3.20 on a 64-bit Pi, arm32v7/alpine:3.20 on 32-bit
      alpine:
        aarch64: arm64v8/alpine
        armv7l: arm32v7/alpine
        x86_64: alpine
    build_args:
      VERSION: "1.10"
  register: whoami

- name: Show what was built
  ansible.builtin.debug:
    msg: "{{ whoami.image.tags }} {{ whoami.image.architecture }} rebuilt={{ whoami.rebuilt }}"
"""

RETURN = r"""
image:
  description: The image as the engine reports it after the run (or, in check mode, as it is now).
  returned: success, when an image exists
  type: dict
  contains:
    id:
      description: Image id.
      type: str
      sample: sha256:3f1c...
    tags:
      description: Its tags.
      type: list
      elements: str
      sample: [pifleet/caddy:2.6]
    size:
      description: Size in bytes.
      type: int
      sample: 41943040
    architecture:
      description: Architecture recorded in the image (V(arm64), V(arm), V(amd64)).
      type: str
      sample: arm64
hash:
  description: The content hash of the recipe for this node.
  returned: always
  type: str
  sample: 5d2c0e...
rebuilt:
  description: Whether the image was built in this run (in check mode, whether it would be).
  returned: always
  type: bool
refreshed:
  description:
    - Whether it was rebuilt only because it was older than O(max_age) days (then
      without the build cache).
  returned: always
  type: bool
arch:
  description: The architecture the recipe was adapted for.
  returned: always
  type: str
  sample: aarch64
bases:
  description: One entry per C(FROM) of an external image.
  returned: always
  type: list
  elements: dict
  contains:
    line:
      description: Line number of the C(FROM) in the original Dockerfile.
      type: int
    original:
      description: The base as written (ARGs expanded).
      type: str
    image:
      description: The base used on this node.
      type: str
    id:
      description: The base image id (empty in check mode when it would be pulled).
      type: str
dockerfile:
  description: The Dockerfile as rewritten for this architecture.
  returned: always
  type: str
build_log:
  description: The last O(log_lines) lines of the build output, on a failed build.
  returned: failure of a build step
  type: list
  elements: str
"""

import os
import re
import tempfile
import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.pifleet.swarm.plugins.module_utils._docker_sdk import docker, require
from ansible_collections.pifleet.swarm.plugins.module_utils._dockerfile import (
    RecipeError,
    normalize_arch,
    rewrite,
)
from ansible_collections.pifleet.swarm.plugins.module_utils._node import arch_info
from ansible_collections.pifleet.swarm.plugins.module_utils._recipe_hash import (
    HASH_LABEL,
    context_entries,
    recipe_hash,
    too_old,
)


def read_dockerignore(context: str) -> list[str]:
    path = os.path.join(context, ".dockerignore")
    if not os.path.exists(path):
        return []
    with open(path) as handle:
        return [line.strip() for line in handle if line.strip() and not line.startswith("#")]


def image_summary(image) -> dict:
    attrs = image.attrs
    return {
        "id": image.id,
        "tags": list(image.tags),
        "size": attrs.get("Size", 0),
        "architecture": attrs.get("Architecture", ""),
    }


# The classic builder colours a step's stderr with terminal escapes.
ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def log_text(chunk: dict) -> list[str]:
    text = chunk.get("stream") or chunk.get("error") or chunk.get("status") or ""
    text = ANSI_ESCAPE.sub("", str(text))
    return [line.rstrip() for line in text.splitlines() if line.strip()]


class Builder:
    def __init__(self, module: AnsibleModule):
        self.module = module
        self.params = module.params
        try:
            self.client = docker.DockerClient(
                base_url=self.params["docker_host"], version="auto", timeout=self.params["timeout"]
            )
            self.client.ping()
        except docker.errors.DockerException as exc:
            module.fail_json(
                msg=(
                    f"Cannot reach the Docker Engine at {self.params['docker_host']}: {exc}. "
                    "Is it installed and running (systemctl status docker), and may this user "
                    "use it (root, or a member of the docker group)?"
                )
            )

    def node_arch(self) -> str:
        if self.params["arch"]:
            return normalize_arch(self.params["arch"])
        dpkg = self.module.get_bin_path("dpkg")
        dpkg_arch = ""
        if dpkg:
            rc, out, _ = self.module.run_command([dpkg, "--print-architecture"])
            dpkg_arch = out.strip() if rc == 0 else ""
        return normalize_arch(arch_info(os.uname().machine, dpkg_arch)["arch"])

    def base_id(self, ref: str, line: int, original: str, arch: str) -> str:
        """Id of a base image on this node, pulling it as the pull policy allows."""
        policy = self.params["pull"]
        if policy != "always":
            try:
                return self.client.images.get(ref).id
            except docker.errors.ImageNotFound:
                pass
        origin = f" (mapped from {original} for {arch})" if ref != original else ""
        if policy == "never":
            self.module.fail_json(
                msg=(
                    f"Dockerfile line {line}: base image {ref}{origin} is not on this node "
                    "and pull is 'never'."
                )
            )
        if self.module.check_mode:
            return ""
        try:
            return self.client.images.pull(ref).id
        except (docker.errors.APIError, docker.errors.DockerException) as exc:
            self.module.fail_json(
                msg=f"Dockerfile line {line}: cannot pull base image {ref}{origin}: {exc}"
            )
        return ""  # not reached: fail_json exits

    def current(self, ref: str):
        try:
            return self.client.images.get(ref)
        except docker.errors.ImageNotFound:
            return None

    def build(
        self, context: str, dockerfile_text: str, ref: str, labels: dict, *, nocache: bool
    ) -> None:
        log: list[str] = []
        # The rewritten Dockerfile lives outside the context; the SDK then sends
        # it inside the context tarball under a private name.
        with tempfile.NamedTemporaryFile("w", prefix="arm_image.", suffix=".Dockerfile") as df:
            df.write(dockerfile_text)
            df.flush()
            try:
                stream = self.client.api.build(
                    path=context,
                    dockerfile=df.name,
                    tag=ref,
                    buildargs={k: str(v) for k, v in self.params["build_args"].items()},
                    labels=labels,
                    rm=True,
                    forcerm=True,
                    pull=False,
                    nocache=nocache,
                    decode=True,
                )
                for chunk in stream:
                    log.extend(log_text(chunk))
                    if "error" in chunk:
                        self.fail_build(chunk.get("error", "").strip(), log)
            except docker.errors.APIError as exc:
                log.append(str(exc))
                self.fail_build(str(exc.explanation or exc), log)

    def fail_build(self, error: str, log: list[str]) -> None:
        self.module.fail_json(
            msg=f"Building {self.params['name']}:{self.params['tag']} failed: {error}",
            build_log=log[-self.params["log_lines"] :],
        )

    def run(self) -> dict:
        p = self.params
        context = os.path.abspath(p["path"])
        if not os.path.isdir(context):
            self.module.fail_json(msg=f"Build context {context} is not a directory on this node")
        dockerfile_path = (
            p["dockerfile"]
            if os.path.isabs(p["dockerfile"])
            else os.path.join(context, p["dockerfile"])
        )
        if not os.path.isfile(dockerfile_path):
            self.module.fail_json(msg=f"Dockerfile {dockerfile_path} does not exist on this node")
        with open(dockerfile_path) as handle:
            original = handle.read()

        arch = self.node_arch()
        try:
            dockerfile_text, bases = rewrite(original, arch, p["base_images"], p["build_args"])
        except RecipeError as exc:
            self.module.fail_json(msg=f"{dockerfile_path}: {exc}", arch=arch)
        for base in bases:
            base["id"] = self.base_id(base["image"], base["line"], base["original"], arch)

        # The same file list the SDK will send: its own .dockerignore matcher.
        relative_df = os.path.relpath(dockerfile_path, context)
        files = docker.utils.build.exclude_paths(
            context, read_dockerignore(context), dockerfile=relative_df
        )
        entries = context_entries(context, files)
        digest = recipe_hash(
            entries=entries,
            dockerfile=dockerfile_text,
            build_args=p["build_args"],
            labels=p["labels"],
            arch=arch,
            base_ids=[b["id"] or b["image"] for b in bases],
        )
        ref = f"{p['name']}:{p['tag']}"
        before = self.current(ref)
        before_hash = ((before.labels if before else None) or {}).get(HASH_LABEL, "")
        created = before.attrs.get("Created", "") if before else ""
        aged = before_hash == digest and too_old(created, p["max_age"], time.time())
        rebuild = p["force"] or before_hash != digest or aged

        result = {
            "changed": rebuild,
            "rebuilt": rebuild,
            # Rebuilt only because the image was past max_age (without the cache).
            "refreshed": aged and not p["force"],
            "hash": digest,
            "arch": arch,
            "bases": bases,
            "dockerfile": dockerfile_text,
            "diff": {
                "before": {
                    "hash": before_hash,
                    "image": before.id if before else "",
                    "created": created,
                },
                "after": {
                    "hash": digest,
                    "bases": [f"{b['original']} -> {b['image']}" for b in bases],
                },
            },
        }
        if rebuild and not self.module.check_mode:
            labels = {**p["labels"], HASH_LABEL: digest}
            self.build(context, dockerfile_text, ref, labels, nocache=p["nocache"] or aged)
            before = self.current(ref)
            if before is None:
                self.module.fail_json(msg=f"The build reported success but {ref} is not there")
            result["diff"]["after"]["image"] = before.id
        if before is not None:
            result["image"] = image_summary(before)
        return result


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "name": {"type": "str", "required": True},
            "tag": {"type": "str", "default": "latest"},
            "path": {"type": "path", "required": True},
            "dockerfile": {"type": "str", "default": "Dockerfile"},
            "base_images": {"type": "dict", "default": {}},
            "build_args": {"type": "dict", "default": {}},
            "labels": {"type": "dict", "default": {}},
            "arch": {"type": "str"},
            "pull": {
                "type": "str",
                "choices": ["missing", "never", "always"],
                "default": "missing",
            },
            "force": {"type": "bool", "default": False},
            "nocache": {"type": "bool", "default": False},
            "max_age": {"type": "int", "default": 0},
            "timeout": {"type": "int", "default": 1800},
            "docker_host": {"type": "str", "default": "unix:///var/run/docker.sock"},
            "log_lines": {"type": "int", "default": 40},
        },
        supports_check_mode=True,
    )
    require(module)
    module.exit_json(**Builder(module).run())


if __name__ == "__main__":
    main()
