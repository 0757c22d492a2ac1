"""async_wait: what it makes of a job's results file while the job runs, when
it ended, failed or was never there. Real files; the clock is a fake, so a
wait takes no time (the images scenario runs the module on real builds)."""

import json

import pytest
from ansible.module_utils.testing import patch_module_args
from ansible_collections.pifleet.swarm.plugins.modules import async_wait

RUNNING = {"started": True, "finished": False, "ansible_job_id": "j1"}


class Clock:
    """time for the module: sleep() moves monotonic() on and runs what the
    test scheduled for that moment (a job ending)."""

    def __init__(self, events):
        self.now, self.events = 0.0, dict(events)

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds
        for at in [t for t in self.events if t <= self.now]:
            self.events.pop(at)()


@pytest.fixture
def job(tmp_path):
    path = tmp_path / "j1"

    def write(data) -> None:
        path.write_text(data if isinstance(data, str) else json.dumps(data))

    write(RUNNING)
    return path, write


@pytest.fixture
def run(monkeypatch, capsys):
    def _run(path, events=(), check_mode=False, **args) -> dict:
        clock = Clock(events)
        monkeypatch.setattr(async_wait, "time", clock)
        module_args = {"results_file": str(path), **args}
        if check_mode:
            module_args["_ansible_check_mode"] = True
        with patch_module_args(module_args), pytest.raises(SystemExit):
            async_wait.main()
        return json.loads(capsys.readouterr().out)

    return _run


def test_a_job_that_ended_is_returned_at_once_and_its_file_removed(job, run):
    path, write = job
    write({"changed": True, "rebuilt": True, "image_id": "sha256:1", "invocation": {"x": 1}})
    result = run(path)
    assert result["finished"] is True and result["changed"] is True and result["rebuilt"] is True
    assert result["waited"] == 0.0 and result["ansible_job_id"] == "j1"
    assert "failed" not in result or not result["failed"]
    assert not path.exists()


def test_the_end_of_a_job_is_seen_within_half_a_second(job, run):
    path, write = job
    result = run(path, events={7.2: lambda: write({"changed": False})}, timeout=60)
    assert result["finished"] is True and result["waited"] == 7.5


def test_a_job_still_running_at_the_timeout_is_left_for_the_next_call(job, run):
    path, _ = job
    result = run(path, timeout=3)
    assert result["finished"] is False and result["waited"] == 3.0 and not result["changed"]
    assert json.loads(path.read_text()) == RUNNING


def test_a_file_being_written_counts_as_running(job, run):
    path, write = job
    write('{"changed": tr')
    assert run(path, timeout=1)["finished"] is False


def test_a_failed_job_fails_with_its_own_message_and_result(job, run):
    path, write = job
    write({"failed": True, "msg": "step 3 failed", "log_tail": ["E: no such package"]})
    result = run(path)
    assert result["failed"] is True and result["finished"] is True
    assert result["msg"] == "step 3 failed" and result["log_tail"] == ["E: no such package"]


def test_a_job_past_its_async_time_fails_as_async_wrapper_wrote_it(job, run):
    path, write = job
    write({"msg": "Timeout exceeded", "failed": True, "child_pid": 42})
    result = run(path)
    assert result["failed"] is True and result["msg"] == "Timeout exceeded"


def test_no_results_file_fails_clearly_and_ends_the_until_loop(tmp_path, run):
    result = run(tmp_path / "nope")
    assert result["failed"] is True and result["finished"] is True
    assert "could not find job nope" in result["msg"]


def test_check_mode_and_cleanup_false_leave_the_file(job, run):
    path, write = job
    write({"changed": False})
    assert run(path, check_mode=True)["finished"] is True and path.exists()
    assert run(path, cleanup=False)["finished"] is True and path.exists()


@pytest.mark.parametrize(
    "warning",
    ["old style", {"event": {"msg": "old style", "__ansible_type": "Event"}}],
    ids=["up to 2.18", "2.19 on"],
)
def test_the_jobs_warnings_are_handed_on_as_text(warning):
    assert async_wait.warning_text(warning) == "old style"
