"""The bench's report (bench/report.py): fixed result sets, as bench.json holds
them, rendered and compared with the tables the bench printed for them before
it was split by job (bench_tables/*.txt: the README quotes these columns)."""

import json
from pathlib import Path

import pytest

from bench import report
from bench.settings import Settings

TABLES = Path(__file__).resolve().parent / "bench_tables"


def data(name: str) -> dict:
    return json.loads((TABLES / f"{name}.json").read_text())


def expected(name: str) -> str:
    return (TABLES / f"{name}.txt").read_text().removesuffix("\n")


@pytest.mark.parametrize(
    "name",
    [
        # 3 nodes, 2 runs of each way, a plain run failed on its warm re-run;
        # every extra, the VM and the knobs (one not measured), a wrk path failed.
        "small",
        # 3 and 12 nodes; on 12 the plain run failed cold; every extra failed
        # but the large lab's distribution; the VM's converge and the knobs failed.
        "two-sizes",
        # BENCH_RUNS=0: the VM part alone, its sizes and load failed.
        "vm-only",
    ],
)
def test_table(name):
    assert report.table(data(name), Settings()) == expected(name)


def test_the_rounds_a_run_recorded_win_over_the_setting():
    result = data("small")
    result["extras"]["load"]["rounds"] = 3
    text = report.table(result, Settings(load_rounds=5))
    assert "to pi1, HTTPS, median of 3 alternating rounds" in text
    # The VM's load recorded none (an older bench.json): the setting says.
    assert "to pi1, HTTPS, median of 5 alternating rounds" in text


def test_settings_stand_in_for_what_a_run_did_not_record():
    result = data("vm-only")
    del result["settings"]
    header = report.table(result, Settings(runs=5, nodes=(7, 9))).splitlines()[0]
    assert (
        header == 'pifleet.swarm bench, 2026-11-30 12:00:00 UTC (BENCH_RUNS=5, BENCH_NODES="7 9")'
    )


def test_render_writes_the_table_and_the_chart(tmp_path):
    # The ansible-core matrix venvs carry no matplotlib; the project venv does.
    pytest.importorskip("matplotlib")
    text = report.render(data("small"), Settings(), tmp_path)
    assert text == expected("small")
    assert (tmp_path / "bench.txt").read_text() == expected("small") + "\n"
    assert (tmp_path / "bench.png").read_bytes().startswith(b"\x89PNG")


def test_render_without_matplotlib(tmp_path, monkeypatch):
    monkeypatch.setattr(report, "Figure", None)
    text = report.render(data("small"), Settings(), tmp_path)
    assert text == expected("small") + "\n(no chart: matplotlib is not installed)"
    assert not (tmp_path / "bench.png").exists()


@pytest.mark.parametrize(
    ("value", "unit", "shown"),
    [(None, "", "-"), (None, "x", "-"), (0, "", "0"), (1.21, "x", "1.21x"), (27.5, "", "27.5")],
)
def test_fmt(value, unit, shown):
    assert report.fmt(value, unit) == shown
