"""The rebuild decision: same inputs -> same hash; any real change -> another."""

import os
from datetime import UTC, datetime

import pytest
from ansible_collections.pifleet.swarm.plugins.module_utils._recipe_hash import (
    built_at,
    context_entries,
    recipe_hash,
    too_old,
)
from docker.utils.build import exclude_paths


@pytest.fixture
def context(tmp_path):
    (tmp_path / "Dockerfile").write_text("FROM debian:bookworm-slim\nCOPY . /src\n")
    (tmp_path / "app.py").write_text("print('hi')\n")
    (tmp_path / "static").mkdir()
    (tmp_path / "static" / "index.html").write_text("<h1>pi</h1>\n")
    (tmp_path / "notes.log").write_text("noise\n")
    (tmp_path / ".dockerignore").write_text("*.log\n")
    return tmp_path


def digest(root, **over):
    patterns = (root / ".dockerignore").read_text().split()
    files = exclude_paths(str(root), patterns, dockerfile="Dockerfile")
    args = {
        "entries": context_entries(str(root), files),
        "dockerfile": (root / "Dockerfile").read_text(),
        "build_args": {"A": "1", "B": "2"},
        "labels": {"x": "y"},
        "arch": "aarch64",
        "base_ids": ["sha256:base"],
    }
    args.update(over)
    return recipe_hash(**args)


def test_stable_and_order_independent(context):
    first = digest(context)
    assert first == digest(context)
    entries = context_entries(str(context), ["app.py", "static/index.html", "Dockerfile"])
    reordered = context_entries(str(context), ["static/index.html", "Dockerfile", "app.py"])
    assert entries == reordered
    assert digest(context, build_args={"B": "2", "A": "1"}) == first
    assert digest(context, labels={"x": "y"}) == first


def test_ignored_files_do_not_count(context):
    before = digest(context)
    (context / "notes.log").write_text("other noise\n")
    (context / "more.log").write_text("new\n")
    assert digest(context) == before


def test_every_real_input_counts(context):
    before = digest(context)
    assert digest(context, build_args={"A": "1", "B": "3"}) != before
    assert digest(context, labels={"x": "z"}) != before
    assert digest(context, arch="armv7l") != before
    assert digest(context, base_ids=["sha256:other"]) != before
    assert digest(context, dockerfile="FROM arm64v8/debian\n") != before
    (context / "static" / "index.html").write_text("<h1>changed</h1>\n")
    assert digest(context) != before


def test_mode_counts_but_mtime_does_not(context):
    before = digest(context)
    os.utime(context / "app.py", (1, 1))
    assert digest(context) == before
    (context / "app.py").chmod(0o755)
    assert digest(context) != before


def test_symlink_target_counts(context):
    (context / "link").symlink_to("app.py")
    before = digest(context)
    (context / "link").unlink()
    (context / "link").symlink_to("static")
    assert digest(context) != before


NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC).timestamp()


@pytest.mark.parametrize(
    ("created", "expected"),
    [
        ("2026-12-07T04:05:37.539675152Z", datetime(2026, 12, 7, 4, 5, 37, tzinfo=UTC)),
        ("2026-12-07T04:05:37Z", datetime(2026, 12, 7, 4, 5, 37, tzinfo=UTC)),
        ("2026-12-07T05:05:37+01:00", datetime(2026, 12, 7, 4, 5, 37, tzinfo=UTC)),
    ],
)
def test_built_at_reads_dockers_created(created, expected):
    assert built_at(created) == expected.timestamp()


@pytest.mark.parametrize(
    "created", ["", None, "yesterday", "2026-12-07 04:05:37", "2026-12-07T04:05:37"]
)
def test_an_unreadable_created_is_none(created):
    assert built_at(created) is None


def test_too_old_past_the_days_only():
    assert not too_old("2026-11-08T12:00:01Z", 30, NOW)
    assert too_old("2026-11-07T11:59:59Z", 30, NOW)


def test_no_limit_and_unreadable_ages():
    assert not too_old("2000-01-01T00:00:00Z", 0, NOW)
    assert too_old("garbage", 30, NOW)
    assert not too_old("garbage", 0, NOW)
