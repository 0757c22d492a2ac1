"""What the bench reads from the tools it measures with: wrk's report
(bench/load.py) and the ansible.posix.json callback's task times
(bench/measure.py), on real output; and the direct containers' setup script,
which carries bench/direct/Caddyfile."""

import json
from pathlib import Path

import pytest

from bench import load, measure

TABLES = Path(__file__).resolve().parent / "bench_tables"


@pytest.mark.parametrize(
    ("name", "parsed"),
    [
        pytest.param(
            "wrk.txt",
            {"rps": 1057.42, "p99_ms": 12.89, "non_2xx": 0, "socket_errors": "", "timeouts": 0},
            id="clean",
        ),
        pytest.param(
            "wrk-404.txt",
            {"rps": 1571.19, "p99_ms": 7.81, "non_2xx": 1729, "socket_errors": "", "timeouts": 0},
            id="non-2xx",
        ),
    ],
)
def test_parse_wrk(name, parsed):
    assert load.parse_wrk((TABLES / name).read_text()) == parsed


@pytest.mark.parametrize(
    ("replace", "parsed"),
    [
        pytest.param(
            ("     99%   12.89ms", "     99%  650.00us"),
            {"p99_ms": 0.65},
            id="p99 in microseconds",
        ),
        pytest.param(("     99%   12.89ms", "     99%    1.20s"), {"p99_ms": 1200.0}, id="seconds"),
        pytest.param(
            (
                "Requests/sec:",
                "  Socket errors: connect 0, read 2, write 0, timeout 7\nRequests/sec:",
            ),
            {
                "socket_errors": "Socket errors: connect 0, read 2, write 0, timeout 7",
                "timeouts": 7,
            },
            id="socket errors and timeouts",
        ),
    ],
)
def test_parse_wrk_units_and_errors(replace, parsed):
    text = (TABLES / "wrk.txt").read_text().replace(*replace)
    assert load.parse_wrk(text).items() >= parsed.items()


@pytest.mark.parametrize(
    "output",
    ["unable to connect to 127.0.0.1:1 Connection refused\n", ""],
)
def test_parse_wrk_without_a_report(output):
    assert load.parse_wrk(output) is None


def test_the_direct_setup_carries_the_caddyfile():
    script = load.direct_setup()
    caddyfile = (Path(load.__file__).parent / "direct" / "Caddyfile").read_text()
    heredoc = script.split("<<'EOF'\n", 1)[1].split("\nEOF\n", 1)[0] + "\n"
    assert heredoc == caddyfile
    assert "demo.pifleet.lan:8443 {" in caddyfile
    assert script.startswith("set -e\n")
    assert "-p 8443:8443" in script


JSON_RUN = {
    "plays": [
        {
            "tasks": [
                {
                    "task": {
                        "name": "First build",
                        "duration": {
                            "start": "2026-11-29T10:00:00.000000Z",
                            "end": "2026-11-29T10:00:09.040000Z",
                        },
                    }
                },
                {
                    "task": {
                        "name": "Unchanged re-run",
                        "duration": {
                            "start": "2026-11-29T10:00:09.100000Z",
                            "end": "2026-11-29T10:00:09.480000Z",
                        },
                    }
                },
            ]
        }
    ]
}


def test_json_task_seconds():
    # profile_tasks' lines stand before the document.
    out = "Saturday 29 November 2026  10:00:00 +0000 (0:00:00.01) ***\n"
    out += json.dumps(JSON_RUN, indent=4) + "\n"
    assert measure.json_task_seconds(out) == {"First build": 9.0, "Unchanged re-run": 0.4}
