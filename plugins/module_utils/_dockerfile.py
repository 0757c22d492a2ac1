# Copyright: pifleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Rewrite the FROM lines of a Dockerfile for the architecture it is built on.

The 2017 trick behind arm-caddy: take an x86 recipe and swap its base image
for an ARM one. Here that is general: a `base_images` mapping names, per
architecture, what each base becomes. Pure functions, no I/O.
"""

from __future__ import annotations

import re

# Canonical arch names (as `uname -m` says them on each kind of Pi userland)
# and the other spellings users write in mappings.
ARCH_ALIASES = {
    "aarch64": "aarch64",
    "arm64": "aarch64",
    "arm64v8": "aarch64",
    "linux/arm64": "aarch64",
    "armv7l": "armv7l",
    "armv7": "armv7l",
    "armhf": "armv7l",
    "arm": "armv7l",
    "arm32v7": "armv7l",
    "linux/arm/v7": "armv7l",
    "armv6l": "armv6l",
    "armv6": "armv6l",
    "armel": "armv6l",
    "arm32v6": "armv6l",
    "linux/arm/v6": "armv6l",
    "x86_64": "x86_64",
    "amd64": "x86_64",
    "linux/amd64": "x86_64",
}

PLATFORMS = {
    "aarch64": "linux/arm64",
    "armv7l": "linux/arm/v7",
    "armv6l": "linux/arm/v6",
    "x86_64": "linux/amd64",
}

# Docker's own name for each (what `docker image inspect` reports as Architecture).
DOCKER_ARCH = {"aarch64": "arm64", "armv7l": "arm", "armv6l": "arm", "x86_64": "amd64"}


class RecipeError(ValueError):
    """A recipe cannot be built for this architecture; the message says why."""


def normalize_arch(name: str) -> str:
    key = str(name).strip().lower()
    if key not in ARCH_ALIASES:
        known = ", ".join(sorted(set(ARCH_ALIASES.values())))
        raise RecipeError(f"unknown architecture '{name}' (known: {known} and their aliases)")
    return ARCH_ALIASES[key]


def logical_lines(text: str) -> list[tuple[int, str]]:
    """Dockerfile instructions as (first line number, joined text).

    Joins backslash continuations and drops comment lines inside them, as
    Docker's parser does; blank lines and comments are not instructions.
    """
    out: list[tuple[int, str]] = []
    buf: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), 1):
        stripped = raw.strip()
        if buf and stripped.startswith("#"):
            continue
        if not buf:
            if not stripped or stripped.startswith("#"):
                continue
            start = number
        if stripped.endswith("\\"):
            buf.append(stripped[:-1].strip())
            continue
        buf.append(stripped)
        out.append((start, " ".join(part for part in buf if part)))
        buf = []
    if buf:
        out.append((start, " ".join(part for part in buf if part)))
    return out


_VAR = re.compile(r"\$(?:\{(\w+)(?::?([-+])([^}]*))?\}|(\w+))")


def substitute(value: str, env: dict[str, str]) -> str:
    """Expand $VAR, ${VAR}, ${VAR:-default} and ${VAR:+alt} as Docker does."""

    def repl(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(4)
        op, word = match.group(2), match.group(3)
        current = env.get(name, "")
        if op == "-":
            return current or word
        if op == "+":
            return word if current else ""
        return current

    return _VAR.sub(repl, value)


def split_ref(ref: str) -> tuple[str, str]:
    """'repo[:tag][@digest]' -> (repo, suffix with its ':' or '@')."""
    if "@" in ref:
        repo, _, digest = ref.partition("@")
        return repo, "@" + digest
    slash = ref.rfind("/")
    colon = ref.rfind(":")
    if colon > slash:
        return ref[:colon], ref[colon:]
    return ref, ""


def map_base(ref: str, arch: str, base_images: dict) -> tuple[str, str | None]:
    """What `ref` becomes on `arch`: (new ref, the mapping key that matched or None).

    A key matches the whole reference first, then its repository alone (the
    original tag is then kept: `debian` -> `arm64v8/debian` turns
    `debian:bookworm` into `arm64v8/debian:bookworm`). A value is a reference
    for every arch, or a dict arch -> reference; an arch missing from that
    dict, or mapped to null, has no image: RecipeError.
    """
    repo, suffix = split_ref(ref)
    for key, keep_suffix in ((ref, False), (repo, True)):
        if key not in base_images:
            continue
        value = base_images[key]
        if isinstance(value, dict):
            per_arch = {normalize_arch(k): v for k, v in value.items()}
            if not per_arch.get(arch):
                raise RecipeError(f"no base image for {arch}: base_images['{key}'] has none")
            value = per_arch[arch]
        target = str(value)
        if keep_suffix and suffix and not split_ref(target)[1]:
            target += suffix
        return target, key
    return ref, None


def _parse_from(args: str) -> tuple[list[str], str, str | None]:
    """FROM arguments -> (flags, image, stage name or None)."""
    words = args.split()
    flags = [w for w in words if w.startswith("--")]
    rest = [w for w in words if not w.startswith("--")]
    if not rest:
        raise RecipeError("FROM without an image")
    image = rest[0]
    stage = None
    if len(rest) >= 3 and rest[1].lower() == "as":
        stage = rest[2]
    return flags, image, stage


def rewrite(
    text: str,
    arch: str,
    base_images: dict | None = None,
    build_args: dict | None = None,
) -> tuple[str, list[dict]]:
    """Rewrite every FROM for `arch`; return the new Dockerfile and what changed.

    - ARGs declared before the first FROM (and overridden by build_args) are
      expanded in FROM lines, so `FROM ${BASE}` is mapped like a literal base.
    - References to earlier stages and `scratch` are left alone.
    - `--platform=` flags are dropped: the build runs natively on this node, and
      the classic builder does not define $BUILDPLATFORM/$TARGETPLATFORM.
    Returns (dockerfile text, bases), one base entry per external FROM:
    {line, original, image, key} where `image` is what will be used.
    """
    arch = normalize_arch(arch)
    base_images = base_images or {}
    build_args = {k: str(v) for k, v in (build_args or {}).items()}
    platform = PLATFORMS[arch]
    env = {"BUILDPLATFORM": platform, "TARGETPLATFORM": platform}
    stages: set[str] = set()
    seen_from = False
    bases: list[dict] = []
    replacements: dict[int, str] = {}

    for number, line in logical_lines(text):
        keyword, _, args = line.partition(" ")
        keyword = keyword.upper()
        if keyword == "ARG" and not seen_from:
            for decl in args.split():
                name, has_default, default = decl.partition("=")
                value = build_args.get(name, default.strip("\"'") if has_default else "")
                env[name] = substitute(value, env)
            continue
        if keyword != "FROM":
            continue
        seen_from = True
        flags, image, stage = _parse_from(args)
        resolved = substitute(image, env)
        if not resolved:
            raise RecipeError(f"line {number}: '{line}' names no image once ARGs are expanded")
        new_image = resolved
        if resolved.lower() != "scratch" and resolved not in stages:
            try:
                new_image, key = map_base(resolved, arch, base_images)
            except RecipeError as exc:
                raise RecipeError(f"line {number}: '{line}': {exc}") from exc
            bases.append({"line": number, "original": resolved, "image": new_image, "key": key})
        if stage:
            stages.add(stage)
        kept = [f for f in flags if not f.lower().startswith("--platform")]
        new_line = " ".join(["FROM", *kept, new_image] + (["AS", stage] if stage else []))
        if new_line != line:
            replacements[number] = new_line

    return _apply(text, replacements), bases


def _apply(text: str, replacements: dict[int, str]) -> str:
    """Replace the (possibly continued) lines starting at the given numbers."""
    if not replacements:
        return text
    lines = text.splitlines(keepends=True)
    out: list[str] = []
    skipping = False
    for number, raw in enumerate(lines, 1):
        if skipping:
            skipping = raw.rstrip().endswith("\\") or raw.strip().startswith("#")
            continue
        if number in replacements:
            out.append(replacements[number] + "\n")
            skipping = raw.rstrip().endswith("\\")
            continue
        out.append(raw)
    return "".join(out)
