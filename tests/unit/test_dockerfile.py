"""FROM rewriting: the 2017 base-image swap, made general."""

import pytest
from ansible_collections.pifleet.swarm.plugins.module_utils._dockerfile import (
    RecipeError,
    logical_lines,
    map_base,
    normalize_arch,
    rewrite,
    split_ref,
    substitute,
)

ARM = {"aarch64": "arm64v8/alpine", "armv7l": "arm32v7/alpine", "x86_64": "alpine"}


@pytest.mark.parametrize(
    ("name", "canonical"),
    [
        ("aarch64", "aarch64"),
        ("arm64", "aarch64"),
        ("linux/arm64", "aarch64"),
        ("armhf", "armv7l"),
        ("ARMv7l", "armv7l"),
        ("linux/arm/v7", "armv7l"),
        ("armv6l", "armv6l"),
        ("amd64", "x86_64"),
    ],
)
def test_arch_aliases(name, canonical):
    assert normalize_arch(name) == canonical


def test_unknown_arch_is_named():
    with pytest.raises(RecipeError, match="unknown architecture 'sparc'"):
        normalize_arch("sparc")


def test_single_stage_swap_keeps_tag():
    text, bases = rewrite("FROM alpine:3.20\nRUN echo hi\n", "arm64", {"alpine": ARM})
    assert text == "FROM arm64v8/alpine:3.20\nRUN echo hi\n"
    assert bases == [
        {"line": 1, "original": "alpine:3.20", "image": "arm64v8/alpine:3.20", "key": "alpine"}
    ]


def test_exact_reference_wins_over_repository():
    mapping = {"alpine": ARM, "alpine:3.20": "my/alpine:armbuild"}
    text, _ = rewrite("FROM alpine:3.20\n", "aarch64", mapping)
    assert text == "FROM my/alpine:armbuild\n"


def test_unmapped_base_is_kept_and_reported():
    text, bases = rewrite("FROM debian:bookworm-slim\n", "aarch64", {"alpine": ARM})
    assert text == "FROM debian:bookworm-slim\n"
    assert bases[0]["key"] is None
    assert bases[0]["image"] == "debian:bookworm-slim"


def test_multi_stage_leaves_stage_references_and_scratch_alone():
    recipe = (
        "FROM golang:1.22 AS build\n"
        "RUN go build -o /app\n"
        "FROM build AS test\n"
        "RUN /app -test\n"
        "FROM scratch\n"
        "COPY --from=build /app /app\n"
        "FROM alpine:3.20 as final\n"
    )
    mapping = {"golang": {"aarch64": "arm64v8/golang"}, "alpine": ARM}
    text, bases = rewrite(recipe, "aarch64", mapping)
    assert "FROM arm64v8/golang:1.22 AS build\n" in text
    assert "FROM build AS test\n" in text
    assert "FROM scratch\n" in text
    assert "FROM arm64v8/alpine:3.20 AS final\n" in text
    assert [b["line"] for b in bases] == [1, 7]


def test_platform_flags_are_dropped_for_a_native_build():
    recipe = "FROM --platform=$BUILDPLATFORM alpine:3.20 AS a\nFROM --platform=linux/amd64 alpine\n"
    text, bases = rewrite(recipe, "armv7l", {"alpine": ARM})
    assert text == "FROM arm32v7/alpine:3.20 AS a\nFROM arm32v7/alpine\n"
    assert len(bases) == 2


def test_arg_based_base_with_build_arg_override():
    recipe = "ARG BASE=alpine\nARG TAG=3.19\nFROM ${BASE}:${TAG}\n"
    text, bases = rewrite(recipe, "aarch64", {"alpine": ARM}, {"TAG": "3.20"})
    assert text.endswith("FROM arm64v8/alpine:3.20\n")
    assert bases[0]["original"] == "alpine:3.20"
    # The ARG lines themselves stay: later stages may use them.
    assert text.startswith("ARG BASE=alpine\nARG TAG=3.19\n")


def test_arg_default_syntax():
    assert substitute("${X:-debian}:${Y:+slim}", {}) == "debian:"
    assert substitute("${X:-debian}:${Y:+slim}", {"X": "ubuntu", "Y": "1"}) == "ubuntu:slim"
    assert substitute("$X/$Y", {"X": "a", "Y": "b"}) == "a/b"


def test_arg_after_from_does_not_feed_from():
    recipe = "FROM alpine\nARG BASE=debian\nFROM ${BASE:-busybox}\n"
    _, bases = rewrite(recipe, "aarch64", {})
    assert [b["original"] for b in bases] == ["alpine", "busybox"]


def test_missing_arch_names_the_from_line_and_arch():
    with pytest.raises(RecipeError) as err:
        rewrite("RUN true\nFROM golang:1.22 AS b\n", "armv6l", {"golang": {"aarch64": "x"}})
    message = str(err.value)
    assert "line 2" in message
    assert "FROM golang:1.22 AS b" in message
    assert "armv6l" in message


def test_null_means_no_image_for_that_arch():
    with pytest.raises(RecipeError, match="no base image for armv7l"):
        rewrite("FROM x\n", "armhf", {"x": {"armhf": None, "arm64": "y"}})


def test_continuation_lines_are_one_instruction():
    recipe = "FROM \\\n  # a comment inside\n  alpine:3.20 \\\n  AS base\nRUN a \\\n  b\n"
    assert logical_lines(recipe) == [(1, "FROM alpine:3.20 AS base"), (5, "RUN a b")]
    text, _ = rewrite(recipe, "aarch64", {"alpine": ARM})
    assert text == "FROM arm64v8/alpine:3.20 AS base\nRUN a \\\n  b\n"


def test_digest_and_registry_port_references():
    assert split_ref("registry:5000/alpine") == ("registry:5000/alpine", "")
    assert split_ref("registry:5000/alpine:3") == ("registry:5000/alpine", ":3")
    assert split_ref("alpine@sha256:abc") == ("alpine", "@sha256:abc")
    assert map_base("alpine@sha256:abc", "aarch64", {"alpine": ARM})[0] == (
        "arm64v8/alpine@sha256:abc"
    )


def test_mapped_target_with_its_own_tag_is_not_retagged():
    assert map_base("debian:bookworm", "aarch64", {"debian": "local/base:v1"})[0] == (
        "local/base:v1"
    )


def test_from_without_image_is_an_error():
    with pytest.raises(RecipeError, match="names no image"):
        rewrite("ARG BASE\nFROM ${BASE}\n", "aarch64", {})
