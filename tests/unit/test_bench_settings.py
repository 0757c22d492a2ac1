"""The BENCH_* settings (bench/settings.py): read when a run starts, from the
environment it is given, never at import."""

import os
import subprocess
import sys

import pytest

from bench.settings import Settings
from tests.support import REPO


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        pytest.param({}, Settings(), id="defaults"),
        pytest.param(
            {"BENCH_RUNS": "1", "BENCH_NODES": "3", "BENCH_VM": "0"},
            Settings(runs=1, nodes=(3,), vm=False),
            id="make bench BENCH_RUNS=1 BENCH_NODES=3 BENCH_VM=0",
        ),
        pytest.param(
            {"BENCH_RUNS": "0", "BENCH_NODES": " 3 12 ", "BENCH_EXTRAS": "0", "BENCH_KNOBS": "0"},
            Settings(runs=0, extras=False, knobs=False),
            id="the VM part alone",
        ),
        pytest.param(
            {"BENCH_WAYS": "floor ours", "BENCH_LOAD_SECONDS": "5"},
            Settings(ways=("floor", "ours"), load_seconds=5),
            id="ways as given",
        ),
        pytest.param(
            {
                "BENCH_LOAD_CONNECTIONS": "16",
                "BENCH_LOAD_ROUNDS": "3",
                "BENCH_KNOBS": "yes",
                "BENCH_RUNS": "",
            },
            Settings(load_connections=16, load_rounds=3, knobs=False),
            id="only 1 switches on; empty keeps the default",
        ),
    ],
)
def test_from_env(environ, expected):
    assert Settings.from_env(environ) == expected


def test_nothing_reads_them_at_import():
    # A setting that cannot be read fails the run that reads it, not an import
    # of the bench's modules (the unit tests import them with no BENCH_*).
    env = {**os.environ, "BENCH_RUNS": "three", "BENCH_NODES": "x"}
    modules = "bench, bench.cli, bench.lab, bench.load, bench.measure, bench.report, bench.stats"

    def python(code):
        argv = [sys.executable, "-c", code]
        return subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True, check=False)

    imported = python(f"import {modules}")
    assert imported.returncode == 0, imported.stderr
    read = python("from bench.settings import Settings; Settings.from_env()")
    assert read.returncode == 1
    assert "invalid literal for int() with base 10: 'three'" in read.stderr
