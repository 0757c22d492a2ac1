# Copyright: pifleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure rules of the images role: which recipes are valid, who builds what,
how the controller reaches two nodes to stream an image between them, and
what a build is called in the fleet's registry."""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping

from ansible_collections.pifleet.swarm.plugins.plugin_utils._paths import dir_problem

# Docker's reference grammar, reduced to what a local image name needs:
# lowercase path components separated by / (an optional registry host:port first).
# Matched whole (fullmatch): "$" would let a trailing newline through.
_NAME = re.compile(
    r"(?:[a-zA-Z0-9.-]+(?::[0-9]+)?/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
    r"(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*"
)
_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
_DIGEST = re.compile(r"sha256:[0-9a-f]{64}")
# The registry's service name starts its Docker config names,
# "<service>_client_<12 hex>" the longest, and Docker caps those at 64.
_SERVICE = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9_.-]{0,43}")


def is_image_ref(ref: str) -> bool:
    """name[:tag][@sha256:digest], as `docker run` takes it (never an option)."""
    ref, _, digest = ref.partition("@")
    if digest and not _DIGEST.fullmatch(digest):
        return False
    name, colon, tag = ref.rpartition(":")
    if not colon or "/" in tag:  # no tag, or the colon was a registry port
        name, tag = ref, "latest"
    return bool(_NAME.fullmatch(name) and _TAG.fullmatch(tag))


def input_problems(values: Mapping, context) -> list[str]:
    """The images role's inputs the argument spec has accepted (keys, types,
    recipe or src), judged together."""
    out: list[str] = []
    seen: set[str] = set()
    for index, recipe in enumerate(values["images_recipes"]):
        name, tag = recipe["name"], str(recipe.get("tag") or "latest")
        where = f"images_recipes[{index}] ({name})"
        if not _NAME.fullmatch(name):
            out.append(f"{where}: name '{name}' is not a valid image name (lowercase, a/b)")
        if not _TAG.fullmatch(tag):
            out.append(f"{where}: tag '{tag}' is not a valid image tag")
        if recipe.get("src") is not None and not str(recipe["src"]).startswith("/"):
            out.append(f"{where}: src must be an absolute path on the controller")
        if f"{name}:{tag}" in seen:
            out.append(f"{where}: {name}:{tag} is listed twice")
        seen.add(f"{name}:{tag}")
    for name, least in (
        ("images_stream_parallel", 1),
        ("images_build_parallel", 1),
        ("images_build_timeout", 60),
        ("images_max_age_days", 0),
    ):
        if values[name] < least:
            unit = " seconds" if name.endswith("timeout") else ""
            out.append(f"{name} must be {least}{unit} or more, got {values[name]}")
    if problem := dir_problem("images_build_dir", values["images_build_dir"]):
        out.append(problem)
    if values["images_distribution"] == "registry":
        out += _registry_problems(values, context)
    return out


def _registry_problems(values: Mapping, context) -> list[str]:
    out = []
    # Unset, the registry runs on the manager the swarm role led from, else
    # on the first manager (the role's vars say which).
    node = values["images_registry_node"]
    if not node and not (context.extra.get("swarm_manager_host") or context.managers):
        out.append(
            "images_distribution: registry needs a Swarm manager to run the registry on: set "
            f"images_registry_node, or put a host in {context.groups[0]}"
        )
    elif node and node not in context.inventory:
        out.append(f"images_registry_node '{node}' is not a host of the inventory")
    port = values["images_registry_port"]
    if not 1 <= port <= 65535:
        out.append(f"images_registry_port must be a TCP port (1-65535), got {port}")
    if not _SERVICE.fullmatch(values["images_registry_service"]):
        out.append(
            f"images_registry_service '{values['images_registry_service']}' is not a valid Docker "
            "service name of 44 characters at most (letters, digits, '_', '.', '-'; its TLS "
            "certificates are Docker configs named after it)"
        )
    return out


def builders(arch_by_host: Mapping[str, str]) -> dict[str, str]:
    """One builder per architecture: the first host of it, by name."""
    plan: dict[str, str] = {}
    for host in sorted(arch_by_host):
        plan.setdefault(arch_by_host[host], host)
    return plan


def with_dirs(recipes: list[Mapping], build_dir: str, recipes_dir: str) -> list[dict]:
    """Each recipe, plus where its files are on the controller (source_dir: its
    `src`, or the shipped recipe of that name under recipes_dir) and where the
    builder keeps its copy, the build context (context_dir: one directory per
    image name under build_dir)."""
    out = []
    for recipe in recipes:
        source = recipe["src"] if "src" in recipe else f"{recipes_dir}/{recipe['recipe']}"
        context = f"{build_dir.rstrip('/')}/{recipe['name'].replace('/', '_')}"
        ref = f"{recipe['name']}:{recipe.get('tag', 'latest')}"
        out.append({**recipe, "ref": ref, "source_dir": source.rstrip("/"), "context_dir": context})
    return out


def wanted(refs: list[str], results: list[Mapping]) -> list[dict[str, str]]:
    """{ref, hash, id} of each image a builder made, in recipe order. The id
    (the digest of the image's config, so of its whole content) is what a
    node checks a copy from the registry against; empty before a first build
    in check mode."""
    return [
        {"ref": ref, "hash": result["hash"], "id": (result.get("image") or {}).get("id", "")}
        for ref, result in zip(refs, results, strict=True)
    ]


def ssh_argv(options: Mapping, remote: str) -> list[str]:
    """The argv of an ``ssh`` that runs `remote` on a host the way Ansible reaches it.

    `options` are the host's resolved options of Ansible's ssh connection
    plugin (inventory variables, ansible.cfg, environment, command line and
    play keywords already weighed), so a user's ssh_args, port, user and key
    hold here too. A non-root user runs `remote` through ``sudo -n``.
    """
    if options.get("password") or options.get("private_key"):
        raise ValueError(
            f"{options['host']}: streaming images runs plain ssh, which cannot take a password "
            "or a key given as text (ansible_password, ansible_private_key); use a key file "
            "or an agent, or set images_distribution: build"
        )
    # In the order Ansible's ssh plugin builds its command line: ssh takes the
    # first value of an option, so ssh_args win over what the inventory gives,
    # and that over ssh_common_args and ssh_extra_args.
    argv = [
        str(options.get("ssh_executable") or "ssh"),
        *shlex.split(str(options.get("ssh_args") or "")),
    ]
    if not options.get("host_key_checking", True):
        argv += ["-o", "StrictHostKeyChecking=no"]
    argv += ["-o", "BatchMode=yes"]
    if options.get("port"):
        argv += ["-o", f"Port={options['port']}"]
    if options.get("private_key_file"):
        argv += ["-o", f"IdentityFile={options['private_key_file']}"]
    user = options.get("remote_user")
    if user:
        argv += ["-o", f"User={user}"]
    if options.get("timeout"):
        argv += ["-o", f"ConnectTimeout={options['timeout']}"]
    for name in ("ssh_common_args", "ssh_extra_args"):
        argv += shlex.split(str(options.get(name) or ""))
    if user and user != "root":
        remote = f"sudo -n {remote}"
    return [*argv, "--", str(options["host"]), remote]


def _path_in_registry(name: str) -> str:
    """The repository path of a local image name, without a registry host.

    Docker reads a first component with a dot or a port, or ``localhost``, as
    a registry host; in the fleet's registry the image lives under the rest.
    """
    first, _, rest = name.partition("/")
    if rest and ("." in first or ":" in first or first == "localhost"):
        return rest
    return name


def registry_refs(wanted_builds: list[Mapping], registry: str) -> list[dict[str, str]]:
    """{ref, hash, id, remote, path, tag} per build: where it lives in the registry.

    Each build gets its own tag, the image's tag plus the first 12 hex digits
    of its content hash (name:2 -> registry/name:2-<hash12>), so "the registry
    holds this build" is one manifest lookup, builds of different
    architectures never overwrite each other, and a rebuild never moves a tag
    a node is pulling.
    """
    out = []
    for build in wanted_builds:
        name, _, tag = str(build["ref"]).rpartition(":")
        path = _path_in_registry(name)
        # Docker tags stop at 128 characters: keep room for "-" and the hash.
        remote_tag = f"{tag[:115]}-{str(build['hash'])[:12]}"
        out.append(
            {
                "ref": build["ref"],
                "hash": build["hash"],
                "id": build.get("id", ""),
                "remote": f"{registry}/{path}:{remote_tag}",
                "path": path,
                "tag": remote_tag,
            }
        )
    return out


def plan(
    recipes: list[Mapping] | None = None,
    build_dir: str = "",
    recipes_dir: str = "",
    *,
    archs: Mapping[str, str] | None = None,
    built: list[Mapping] | None = None,
    refs: list[str] | None = None,
    registry: str = "",
) -> dict:
    """What the images role does, as far as the inputs given tell: with the
    recipes, their directories and refs; with archs (host -> architecture),
    the builders; with
    built (a builder's arm_image results) and the refs (in the same, recipe,
    order), the builds, named in the registry when it is given."""
    out: dict = {}
    if recipes is not None:
        out["recipes"] = with_dirs(recipes, build_dir, recipes_dir)
    if archs is not None:
        out["builders"] = builders(archs)
    if built is not None and refs is not None:
        builds = wanted(refs, built)
        out["builds"] = registry_refs(builds, registry) if registry else builds
    return out


def registry_manifests(answers: list[Mapping]) -> list[dict]:
    """Each build of a loop that asked the registry for its manifest, with
    `held` (the registry holds the build as its builder made it) and, when it
    does, `pull`: the build by the digest of that manifest.

    A manifest names its image's config by digest, and that digest is the
    image's id, the same on every engine that holds the image. So a manifest
    whose config is not the builder's image id (someone else pushed under the
    build's tag, or a push stopped half-way) is not the build, whatever its
    labels say; and pulling by the manifest's digest makes the engine refuse
    anything else than what was checked. An engine with the containerd image
    store (Docker 29's default on fresh installs) names an image by the
    digest of its manifest or index instead: that digest is then the id."""
    out = []
    for answer in answers:
        build = answer["item"]
        config = ((answer.get("json") or {}).get("config") or {}).get("digest", "")
        digest = answer.get("docker_content_digest", "")
        named = bool(build.get("id")) and build["id"] in (config, digest)
        held = answer.get("status") == 200 and named
        registry = build["remote"].split("/", 1)[0]
        pull = f"{registry}/{build['path']}@{digest}" if held and digest else ""
        out.append({**build, "held": held and bool(pull), "pull": pull})
    return out
