"""stack_status's wait: how long it waits on a stack that is not whole yet.
The engine and the clock are fakes (the reads are _stack.status's output, which
test_stack.py covers); the molecule scenarios run the module on a real Swarm."""

import itertools
import json

import pytest
from ansible.module_utils.testing import patch_module_args
from ansible_collections.pifleet.swarm.plugins.modules import stack_status

WHOLE = {"services": [], "shortfall": [], "updating": [], "rolled_back": [], "rollout_seconds": 0.0}


def updating(pace: float) -> dict:
    return {**WHOLE, "updating": ["web_caddy"], "rollout_seconds": pace}


def short(pace: float = 0.0) -> dict:
    return {**WHOLE, "shortfall": ["web_caddy 3/4 running on Ready nodes"], "rollout_seconds": pace}


class Clock:
    """time for the module: sleep() moves monotonic() on, nothing really waits."""

    def __init__(self):
        self.now = 0.0

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def run(monkeypatch, capsys):
    """Run the module against reads that follow `script`, a function of the
    seconds waited; return its result and the reads' times."""

    def _run(script, timeout: int) -> tuple[dict, list[float]]:
        clock, seen = Clock(), []

        def read(api, name):
            seen.append(clock.now)
            return script(clock.now)

        monkeypatch.setattr(stack_status, "time", clock)
        monkeypatch.setattr(stack_status, "read", read)
        monkeypatch.setattr(stack_status.docker, "APIClient", lambda **kw: object())
        with patch_module_args({"name": "web", "timeout": timeout}), pytest.raises(SystemExit):
            stack_status.main()
        return json.loads(capsys.readouterr().out), seen

    return _run


def test_a_whole_stack_ends_the_wait_at_once(run):
    result, seen = run(lambda t: WHOLE, timeout=30)
    assert not result.get("failed") and result["waited"] == 0.0 and seen == [0.0]


def test_an_update_paced_past_the_timeout_is_waited_for(run):
    # 30 s allowed, but the update under way is paced to take 100 s and ends at 90 s.
    result, _ = run(lambda t: updating(100.0) if t < 90 else WHOLE, timeout=30)
    assert not result.get("failed"), result["msg"]
    assert result["waited"] == 90.0


def test_the_pace_seen_stays_owed_when_the_update_ends(run):
    # Paced 20 s at first, then the update is over but a task is still missing:
    # the wait stays timeout + 20 s.
    result, seen = run(lambda t: updating(20.0) if t < 4 else short(), timeout=10)
    assert result["failed"] is True
    assert seen[-1] == 30.0
    assert "web_caddy 3/4 running" in result["msg"] and "after 30 s" in result["msg"]


def test_a_stack_that_never_converges_fails_after_timeout_and_pace(run):
    result, seen = run(lambda t: updating(10.0), timeout=30)
    assert result["failed"] is True
    assert seen[-1] == 40.0
    assert {b - a for a, b in itertools.pairwise(seen)} == {stack_status.INTERVAL}
    assert "web_caddy still updating" in result["msg"]
    assert "docker stack ps web --no-trunc" in result["msg"]


def test_without_an_update_the_timeout_is_the_wait(run):
    result, seen = run(lambda t: short(), timeout=6)
    assert result["failed"] is True and seen[-1] == 6.0
