"""The order of a bench run (bench/cli.py): each round starts with another way."""

import pytest

from bench import cli
from bench.cli import order
from bench.settings import Settings

WAYS = ["ours", "plain", "floor"]


@pytest.mark.parametrize(
    ("r", "expected"),
    [
        (0, ["ours", "plain", "floor"]),
        (1, ["plain", "floor", "ours"]),
        (2, ["floor", "ours", "plain"]),
        (3, ["ours", "plain", "floor"]),
    ],
)
def test_each_round_rotates_the_ways(r, expected):
    assert order(WAYS, r) == expected


def test_over_as_many_rounds_as_ways_each_way_runs_first_and_last_once():
    rounds = [order(WAYS, r) for r in range(len(WAYS))]
    assert sorted(r[0] for r in rounds) == sorted(WAYS)
    assert sorted(r[-1] for r in rounds) == sorted(WAYS)


def test_some_ways_only():
    assert order(["ours", "plain"], 1) == ["plain", "ours"]
    assert order([], 2) == []


class Lab:
    """What converge_all and one_offs need of a lab: its size."""

    def __init__(self, n):
        self.n = n


@pytest.fixture
def recorded(monkeypatch):
    """converge_all with every measurement replaced by a note of what ran."""
    calls = []

    def converge(way, lab, tag, warm=True):
        calls.append(tag)
        return {"way": way, "nodes": lab.n, "warm": {"seconds": 20.0, "tag": tag}}

    def knobs(lab, warm):
        calls.append(f"knobs after {warm['tag']}")
        return {}

    monkeypatch.setattr(cli.measure, "converge", converge)
    monkeypatch.setattr(cli.measure, "knobs", knobs)
    monkeypatch.setattr(cli, "extras", lambda lab, settings: calls.append("extras") or {})
    return calls


def run_all(runs):
    settings = Settings(runs=runs, nodes=(3,))
    data = {"runs": [], "extras": {}}
    cli.converge_all(data, {3: Lab(3)} if runs else {}, settings)
    return data


def test_the_one_offs_follow_every_round_on_the_lab_ours_converged_last(recorded):
    run_all(2)
    assert recorded == [
        "ours-n3-r1",
        "plain-n3-r1",
        "floor-n3-r1",
        "plain-n3-r2",
        "floor-n3-r2",
        "ours-n3-r2",
        "extras",
        "knobs after ours-n3-r2",
    ]


def test_ours_converges_again_for_the_one_offs_when_another_way_ran_last(recorded):
    run_all(3)
    assert recorded[-5:] == [
        "ours-n3-r3",
        "plain-n3-r3",
        "ours-n3-one-offs",
        "extras",
        "knobs after ours-n3-one-offs",
    ]


def test_no_rounds_no_lab_and_no_one_offs(recorded):
    # BENCH_RUNS=0: the VM part alone.
    assert run_all(0)["runs"] == []
    assert recorded == []
