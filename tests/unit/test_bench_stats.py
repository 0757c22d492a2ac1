"""The bench's figures (bench/stats.py) on small hand-made data, each expected
value worked out by hand."""

import json
from pathlib import Path

import pytest

from bench import stats

TABLES = Path(__file__).resolve().parent / "bench_tables"


@pytest.mark.parametrize(
    ("values", "digits", "median"),
    [
        pytest.param([3.0, 1.0, 2.0], 1, 2.0, id="odd"),
        pytest.param([1.0, 2.0], 1, 1.5, id="even: the mean of the middle two"),
        pytest.param([137.5, None, 140.0], 1, 138.8, id="a failed run left out, rounded"),
        pytest.param([1.37, 1.36, 1.38], 2, 1.37, id="ratios, two digits"),
        pytest.param([], 1, None, id="none"),
        pytest.param([None, None], 1, None, id="only failures"),
    ],
)
def test_med(values, digits, median):
    assert stats.med(values, digits) == median


def run(way, cold=None, warm=None, *, error=False, changed=0, apt=0, aged=None, calls=None):
    """A converge result: cold total, warm seconds, aged seconds (None: that
    phase is missing), the warm run's SSH calls in all (None: not counted)."""
    result = {"way": way, "nodes": 3}
    if cold is not None:
        result["cold"] = {"total": cold}
    if warm is not None:
        result["warm"] = {"seconds": warm, "changed": changed, "apt_updates": apt}
        if calls is not None:
            result["warm"]["calls"] = {"total": calls, "per_node": {}, "other": 0}
    if aged is not None:
        result["aged"] = {"seconds": aged, "changed": 0, "apt_updates": 3 if way == "plain" else 0}
    if error:
        result["error"] = "failed"
    return result


OURS = [run("ours", 140, 28), run("ours", 120, 30)]
PLAIN = [run("plain", 100, 20), run("plain", 80, 15)]


@pytest.mark.parametrize(
    ("ours", "other", "phase", "expected"),
    [
        pytest.param(OURS, PLAIN, "cold", [1.4, 1.5], id="cold: pair by pair"),
        pytest.param(OURS, PLAIN, "warm", [1.4, 2.0], id="warm: seconds"),
        pytest.param(
            [run("ours", 140, 28), run("ours", 120, 30, error=True), run("ours", 90, 20)],
            [run("plain", 100, 20), run("plain", 80, 15), run("plain", 60, 10, error=True)],
            "cold",
            [1.4],
            id="a pair with a failure on either side gives none",
        ),
        pytest.param(OURS, [run("floor", 70)], "cold", [2.0], id="pairs as far as both went"),
        pytest.param(
            [run("ours", 140, 28)], [run("floor", 70)], "warm", [], id="the floor has no warm"
        ),
        pytest.param([run("ours", 140)], [run("plain", 0.0)], "cold", [], id="zero is no figure"),
    ],
)
def test_ratios(ours, other, phase, expected):
    assert stats.ratios(ours, other, phase) == expected


def test_summarise():
    data = {
        "runs": [
            {**run("ours", 140, 28, apt=0, aged=28, calls=114), "nodes": 3},
            {**run("plain", 100, 20, apt=1, aged=25, calls=96), "nodes": 3},
            {**run("floor", 70), "nodes": 3},
            {**run("ours", 120, 30, apt=0, aged=33, calls=117), "nodes": 3},
            {**run("plain", 80, 16, changed=2, error=True), "nodes": 3},
            {**run("floor", 60), "nodes": 3},
            {**run("ours", 300, 80), "nodes": 12},
            # A run on a size the settings do not list is left out.
            {**run("ours", 1, 1), "nodes": 5},
        ]
    }
    assert stats.summarise(data, [3, 12]) == {
        "rows": [
            {
                "nodes": 3,
                "way": "ours",
                "runs": 2,
                "failed": 0,
                "cold": 130.0,
                "warm": 29.0,
                "warm_changed": [0, 0],
                "warm_apt": [0, 0],
                # 114 and 117 calls on 3 nodes: 38.0 and 39.0.
                "warm_calls": 38.5,
                "aged": 30.5,
                "aged_apt": [0, 0],
                "aged_vs_warm": [1.0, 1.1],
            },
            {
                "nodes": 3,
                "way": "plain",
                "runs": 2,
                "failed": 1,
                # Medians of the runs that succeeded; the lists show every run.
                "cold": 100.0,
                "warm": 20.0,
                "warm_changed": [0, 2],
                "warm_apt": [1, 0],
                "warm_calls": 32.0,
                "aged": 25.0,
                "aged_apt": [3],
                "aged_vs_warm": [1.25],
                "cold_ratio": [1.4],
                "warm_ratio": [1.4],
                "aged_ratio": [1.12],
            },
            {
                "nodes": 3,
                "way": "floor",
                "runs": 2,
                "failed": 0,
                "cold": 65.0,
                "warm": None,
                "warm_changed": [],
                "warm_apt": [],
                "warm_calls": None,
                "aged": None,
                "aged_apt": [],
                "aged_vs_warm": [],
                "cold_ratio": [2.0, 2.0],
                "warm_ratio": [],
                "aged_ratio": [],
            },
            {
                "nodes": 12,
                "way": "ours",
                "runs": 1,
                "failed": 0,
                "cold": 300.0,
                "warm": 80.0,
                "warm_changed": [0],
                "warm_apt": [0],
                "warm_calls": None,
                "aged": None,
                "aged_apt": [],
                "aged_vs_warm": [],
            },
        ]
    }


@pytest.mark.parametrize("name", ["small", "two-sizes", "vm-only"])
def test_summarise_gives_what_the_report_tests_show(name):
    """The summaries in bench_tables/ are what the bench computed for that data."""
    data = json.loads((TABLES / f"{name}.json").read_text())
    assert stats.summarise(data, data["settings"]["nodes"]) == data["summary"]


def counts(ok=1, changed=0, unreachable=0, failed=0):
    return {"ok": ok, "changed": changed, "unreachable": unreachable, "failed": failed}


@pytest.mark.parametrize(
    ("recap", "totals"),
    [
        pytest.param({}, {"hosts": 0, "changed": 0, "failed": 0}, id="no recap"),
        pytest.param(
            {"pi1": counts(changed=3), "pi2": counts(changed=2), "pi3": counts()},
            {"hosts": 3, "changed": 5, "failed": 0},
            id="changes add up",
        ),
        pytest.param(
            {"pi1": counts(failed=1), "pi2": counts(unreachable=1), "pi3": counts(changed=1)},
            {"hosts": 3, "changed": 1, "failed": 2},
            id="unreachable counts as failed",
        ),
    ],
)
def test_recap_totals(recap, totals):
    assert stats.recap_totals(recap) == totals


def sample(rps, p99, non_2xx=0, timeouts=0):
    return {"rps": rps, "p99_ms": p99, "non_2xx": non_2xx, "timeouts": timeouts}


@pytest.mark.parametrize(
    ("samples", "summary"),
    [
        pytest.param(
            [sample(100.0, 10.0, 1), sample(140.0, 20.0, 0, 2)],
            {"rps": 120.0, "p99_ms": 15.0, "non_2xx": 1, "timeouts": 2},
            id="medians and sums",
        ),
        pytest.param(
            [sample(100.04, 1.234), {"error": "wrk failed"}, sample(200.0, 3.0)],
            {"rps": 150.0, "p99_ms": 2.12, "non_2xx": 0, "timeouts": 0},
            id="a failed round left out",
        ),
        pytest.param(
            [{"error": "first"}, {"error": "second"}],
            {"error": "first"},
            id="every round failed: the first failure",
        ),
    ],
)
def test_load_summary(samples, summary):
    got = stats.load_summary(samples)
    kept = got.pop("samples", [])
    assert got == summary
    assert kept == [s for s in samples if "error" not in s]


def test_remote_calls_are_counted_per_node_address():
    lines = [
        "ssh -C -o ControlMaster=auto -o User=pi 172.18.0.2 /bin/sh -c 'python3'",
        "sftp -b - -C -o ControlMaster=auto [172.18.0.3]",
        "ssh -C -o User=pi 172.18.0.3 /bin/sh -c 'python3'",
        "scp -o User=pi /tmp/x pi@172.18.0.2:/tmp/y",
        # An address that only starts like a node's is another host.
        "ssh -o User=pi 172.18.0.20 true",
    ]
    counted = stats.remote_calls(lines, ["172.18.0.2", "172.18.0.3", "172.18.0.4"])
    assert counted == {
        "total": 4,
        "per_node": {"172.18.0.2": 2, "172.18.0.3": 2, "172.18.0.4": 0},
        "other": 1,
    }
