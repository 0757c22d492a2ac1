"""The order of a bench run (bench/cli.py): each round starts with another way."""

import pytest

from bench.cli import order

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
