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


def converge_all(data: dict, labs: dict, settings: Settings) -> None:
    """Every way on every lab size, BENCH_RUNS times; one-off extras on run 1."""
    ways = [w for w in WAYS if w in settings.ways]
    smallest, largest = min(settings.nodes), max(settings.nodes)
    for r in range(settings.runs):
        for n in settings.nodes:
            lab = labs[n]
            for way in ways:
                log(f"run {r + 1}/{settings.runs}, {n} nodes, {way}")
                result = measure.converge(way, lab, f"{way}-n{n}-r{r + 1}")
                result["run"] = r + 1
                data["runs"].append(result)
                if "error" in result:
                    log(f"  ERROR: {result['error']}")
                    continue
                if way != "ours" or r != 0:
                    continue
                # One-off measurements on the converged ours lab; a failure is
                # recorded and the bench goes on.
                if settings.extras and n == smallest:
                    log("  extras: image sizes, stream vs build, arm_image, load")
                    data["extras"] = extras(lab, settings)
                if settings.extras and n == largest and n != smallest:
                    log("  extras: stream vs registry vs build on the large lab")
                    data["extras"]["large"] = {
                        "nodes": n,
                        "distribution": guarded(measure.distribution, lab),
                    }
                if settings.knobs and n == largest:
                    log("  knobs: warm re-run under each Ansible setting")
                    data["knobs"] = guarded(measure.knobs, lab, result["warm"])


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
