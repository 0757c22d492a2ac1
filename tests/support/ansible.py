"""Every ansible-playbook and ansible run of the harnesses goes through run():
its output streams to an optional log file as it comes, a callback may act on
each line, and the whole process group is killed when it outlives its timeout.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from tests.support import REPO, recap

# The venv of the interpreter running this: its ansible-playbook, whatever
# PATH says (the bench may run outside make).
BIN = Path(sys.executable).parent


@dataclass
class Result:
    argv: list[str]
    rc: int  # -9 when the run was killed (see timed_out)
    output: str  # stdout and stderr together, as they came
    seconds: float
    log: Path | None = None
    timed_out: bool = False

    @property
    def recap(self) -> dict[str, dict[str, int]]:
        """host -> {ok, changed, unreachable, failed, skipped, rescued, ignored}."""
        return recap.parse(self.output)

    @property
    def changed(self) -> dict[str, int]:
        """host -> changed count, from the recap."""
        return recap.changed(self.recap)

    def outcomes(self, task: str) -> set[str]:
        """What the default callback printed for the first task whose name
        ends with `task` (header "TASK [role : name]"): any of ok, changed,
        skipping, failed; empty when no such task was shown."""
        marker = f"{task}]"
        if marker not in self.output:
            return set()
        shown = self.output.split(marker, 1)[1].split("TASK [", 1)[0]
        words = {"ok": "ok", "changed": "changed", "skipping": "skipping", "fatal": "failed"}
        return {word for printed, word in words.items() if f"{printed}: [" in shown}


def checkout_env() -> dict[str, str]:
    """The settings `make` exports, for runs that must use this checkout's
    ansible.cfg and collection link whatever the caller's environment says
    (molecule points ANSIBLE_CONFIG at a file of its own)."""
    return {
        "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"),
        "ANSIBLE_COLLECTIONS_PATH": str(REPO / "build" / "collections"),
    }


def environment(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """This process's environment for a run, colour off (the recap and the
    messages the tests look for are read as text), then `extra`."""
    env = dict(os.environ)
    env.update(NO_COLOR="1", ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0")
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env.update(extra or {})
    return env


def run(
    argv: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    timeout: float | None = 900,
    log: Path | None = None,
    on_line: Callable[[str, subprocess.Popen], None] | None = None,
    cwd: Path = REPO,
) -> Result:
    """Run argv (stdout and stderr together) with environment(env).

    With `log`, the command line and then each line go there as they come, so
    a long run can be followed with tail -f. on_line(line, proc) sees each
    line, so a caller can act mid-run (pause a node, kill the run). The run
    is a session of its own: a timeout, or a caller that kills it, ends its
    whole process group (forks and SSH clients too), as a closed laptop would.
    """
    argv = [str(a) for a in argv]
    start = time.monotonic()
    lines: list[str] = []
    proc = subprocess.Popen(
        argv,
        cwd=cwd,
        env=environment(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
        start_new_session=True,
    )
    timed_out = threading.Event()

    def guard() -> None:
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out.set()
            _kill_group(proc)

    watchdog = threading.Thread(target=guard, daemon=True)
    watchdog.start()
    with (log or Path(os.devnull)).open("w", encoding="utf-8") as sink:
        sink.write("$ " + " ".join(argv) + "\n")
        try:
            for line in proc.stdout:
                lines.append(line)
                sink.write(line)
                sink.flush()
                if on_line:
                    on_line(line, proc)
        except BaseException:
            # The caller's action failed mid-run: the run must not go on unseen.
            _kill_group(proc)
            proc.wait()
            raise
        rc = proc.wait()
        watchdog.join(timeout=5)
        if timed_out.is_set():
            sink.write(f"\n[killed: still running after {timeout} s]\n")
    return Result(argv, rc, "".join(lines), time.monotonic() - start, log, timed_out.is_set())


def _kill_group(proc: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):  # it ended meanwhile
        os.killpg(proc.pid, signal.SIGKILL)


def _inventory_args(inventory: str | Path | Sequence[str | Path]) -> list[str]:
    sources = [inventory] if isinstance(inventory, (str, Path)) else list(inventory)
    return [arg for source in sources for arg in ("-i", str(source))]


def playbook(
    path: str | Path, *args: str, inventory: str | Path | Sequence[str | Path], **kwargs
) -> Result:
    """ansible-playbook -i INVENTORY... PATH ARGS, through run() (same keywords)."""
    return run(["ansible-playbook", *_inventory_args(inventory), str(path), *args], **kwargs)


def adhoc(
    pattern: str, *args: str, inventory: str | Path | Sequence[str | Path], **kwargs
) -> Result:
    """ansible -i INVENTORY... PATTERN ARGS, through run() (same keywords)."""
    return run(["ansible", *_inventory_args(inventory), pattern, *args], **kwargs)


def json_document(output: str) -> dict:
    """The document the ansible.posix.json stdout callback prints: it starts
    at a line holding only "{"; profile_tasks' lines and warnings may stand
    before it."""
    start = re.search(r"^\{$", output, re.MULTILINE)
    if not start:
        raise ValueError("no JSON document in the output")
    document, _ = json.JSONDecoder().raw_decode(output[start.start() :])
    return document
