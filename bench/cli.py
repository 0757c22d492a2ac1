"""The order of a bench run, and its command line: `python -m bench` runs the
bench with the BENCH_* settings; `python -m bench --table` renders the table
and the chart again from build/bench/bench.json, running nothing."""

from __future__ import annotations

import json
import shutil
import sys
import time

from bench import load, measure, report, stats
from bench.lab import BenchLab, VmLab
from bench.measure import guarded, log
from bench.settings import LOGS, OUT, WAYS, Settings


def extras(lab: BenchLab, settings: Settings) -> dict:
    return {
        "nodes": lab.n,
        "sizes": guarded(measure.image_sizes, lab),
        "distribution": guarded(measure.distribution, lab),
        "arm_image": guarded(measure.arm_image, lab),
        "load": guarded(load.load, lab, settings),
    }


def vm(lab: VmLab, settings: Settings) -> dict:
    """site.yml on a fresh aarch64 VM, then the load through Swarm's ingress mesh.

    Emulated (TCG): the seconds say what this machine does, not what a Pi does;
    the ratio swarm/direct on the same VM is the figure to read. No warm re-run:
    under emulation it costs minutes and says nothing the container lab does not."""
    result = measure.converge("ours", lab, "vm-site", warm=False)
    if "error" in result:
        return result
    result["sizes"] = guarded(measure.image_sizes, lab)
    result["load"] = guarded(load.load, lab, settings)
    return result


def order(ways: list[str], r: int) -> list[str]:
    """The ways of round r (0-based), rotated by one each round: no way always
    runs first on a cold machine or right after another's load."""
    k = r % len(ways) if ways else 0
    return ways[k:] + ways[:k]


def converge_all(data: dict, labs: dict, settings: Settings) -> None:
    """Every way on every lab size, BENCH_RUNS times in rotated order; the
    one-off extras and knobs after all of them, on a lab ours converged last
    (again, untimed, if the last round did not end with ours)."""
    ways = [w for w in WAYS if w in settings.ways]
    for r in range(settings.runs):
        for n in settings.nodes:
            for way in order(ways, r):
                log(f"run {r + 1}/{settings.runs}, {n} nodes, {way}")
                result = measure.converge(way, labs[n], f"{way}-n{n}-r{r + 1}")
                result["run"] = r + 1
                data["runs"].append(result)
                if "error" in result:
                    log(f"  ERROR: {result['error']}")
    if settings.runs and "ours" in ways and (settings.extras or settings.knobs):
        one_offs(data, labs, settings, last=order(ways, settings.runs - 1)[-1])


def one_offs(data: dict, labs: dict, settings: Settings, last: str) -> None:
    """Image sizes, distribution, arm_image and load on the smallest lab; the
    distribution again and the Ansible knobs on the largest. A failure is
    recorded and the bench goes on."""
    smallest, largest = min(settings.nodes), max(settings.nodes)
    for n in sorted({smallest, largest}):
        lab = labs[n]
        prev = next(
            (r for r in reversed(data["runs"]) if r["way"] == "ours" and r["nodes"] == n), None
        )
        if last == "ours" and prev and "error" not in prev:
            warm = prev["warm"]
        else:
            log(f"one-offs: ours converged again on {n} nodes (untimed)")
            again = measure.converge("ours", lab, f"ours-n{n}-one-offs")
            if "error" in again:
                log(f"  ERROR: {again['error']}")
                data["extras"]["error"] = again["error"]
                continue
            warm = again["warm"]
        if settings.extras and n == smallest:
            log("  extras: image sizes, stream vs build, arm_image, load")
            data["extras"].update(extras(lab, settings))
        if settings.extras and n == largest and n != smallest:
            log("  extras: stream vs registry vs build on the large lab")
            data["extras"]["large"] = {
                "nodes": n,
                "distribution": guarded(measure.distribution, lab),
            }
        if settings.knobs and n == largest:
            log("  knobs: warm re-run under each Ansible setting")
            data["knobs"] = guarded(measure.knobs, lab, warm)


def run(settings: Settings) -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(LOGS, ignore_errors=True)
    started = time.monotonic()
    data: dict = {
        "started": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "settings": {
            "runs": settings.runs,
            "nodes": list(settings.nodes),
            "ways": list(settings.ways),
        },
        "runs": [],
        "extras": {},
    }
    # BENCH_RUNS=0: the VM part alone, no container lab made or removed.
    labs = {n: BenchLab(n) for n in settings.nodes} if settings.runs else {}
    try:
        if settings.vm:
            # First: the VM's converge is the longest single step, and a VM that
            # cannot boot or converge shows before the hour of container runs.
            log("aarch64 VM: site.yml (ingress publishing), image sizes, load through the mesh")
            vm_lab = VmLab(1)
            try:
                data["vm"] = guarded(vm, vm_lab, settings)
            finally:
                vm_lab.down()
        converge_all(data, labs, settings)
    finally:
        for lab in labs.values():
            lab.down()
        data["wall_seconds"] = round(time.monotonic() - started, 1)
        data["summary"] = stats.summarise(data, settings.nodes)
        (OUT / "bench.json").write_text(json.dumps(data, indent=2) + "\n")
        print(report.render(data, settings, OUT), flush=True)
    bad = [r for r in data["runs"] if "error" in r]
    return 1 if bad or "error" in data.get("vm", {}) else 0


def main(argv: list[str]) -> int:
    settings = Settings.from_env()
    if argv == ["--table"]:
        data = json.loads((OUT / "bench.json").read_text())
        print(report.render(data, settings, OUT))
        return 0
    if argv:
        print(__doc__, file=sys.stderr)
        return 2
    return run(settings)
