"""The measurements on a lab: each way converged on fresh nodes (cold, the wait
for the site, warm), and once on a converged lab the image sizes, the ways of
distributing images, arm_image's timings and the Ansible knobs. Every command
runs through tests.support's runner with its output in build/bench/logs/."""

from __future__ import annotations

import datetime as dt
import importlib.util
import itertools
import os
import shutil
import subprocess
import time
from dataclasses import replace
from pathlib import Path

from bench.lab import BenchLab, site_answers
from bench.settings import (
    AGED_DAYS,
    DISTRIBUTION,
    IMAGES,
    KNOB_TIMEOUT,
    LOGS,
    OUT,
    PLAYBOOK_TIMEOUT,
    SITE_TIMEOUT,
)
from bench.stats import recap_totals, remote_calls
from tests.support import ansible

# Log files are numbered in run order.
_SEQ = itertools.count(1)


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def logged(argv: list[str], label: str, env: dict | None = None, timeout=PLAYBOOK_TIMEOUT):
    """argv through the runner, its output in the next numbered log file (follow
    a long run with tail -f), with the settings `make` exports where the
    environment has none (so the bench also runs on its own). A run stopped at
    its timeout ends with 124, as timeout(1) says it."""
    LOGS.mkdir(parents=True, exist_ok=True)
    path = LOGS / f"{next(_SEQ):03d}-{label}.log"
    settings = {k: os.environ.get(k) or v for k, v in ansible.checkout_env().items()}
    settings["ANSIBLE_TIMEOUT"] = os.environ.get("ANSIBLE_TIMEOUT") or "30"
    result = ansible.run(argv, env={**settings, **(env or {})}, timeout=timeout, log=path)
    return replace(result, rc=124) if result.timed_out else result


CALLS = Path(__file__).parent / "calls"


def playbook(
    label: str,
    lab: BenchLab,
    path: str,
    *args: str,
    env: dict | None = None,
    timeout: float = PLAYBOOK_TIMEOUT,
) -> dict:
    """One ansible-playbook run on the lab: seconds, rc, the recap's totals and
    the SSH calls it made (every ssh, sftp and scp Ansible ran, per node)."""
    calls_log = LOGS / f"{label}.calls"
    calls_log.unlink(missing_ok=True)
    counting = {
        "ANSIBLE_SSH_EXECUTABLE": str(CALLS / "ssh"),
        "ANSIBLE_SFTP_EXECUTABLE": str(CALLS / "sftp"),
        "ANSIBLE_SCP_EXECUTABLE": str(CALLS / "scp"),
        "PIFLEET_BENCH_CALLS": str(calls_log),
    }
    argv = ["ansible-playbook", "-i", str(lab.inventory), path, *args]
    run = logged(argv, label, {**counting, **(env or {})}, timeout=timeout)
    result = {"seconds": round(run.seconds, 1), "rc": run.rc, **recap_totals(run.recap)}
    lines = calls_log.read_text().splitlines() if calls_log.exists() else []
    result["calls"] = remote_calls(lines, [n["address"] for n in lab.nodes])
    per_node = round(result["calls"]["total"] / max(1, lab.n), 1)
    log(
        f"  {label}: {run.seconds:.1f} s rc={run.rc} changed={result['changed']}"
        f" calls/node={per_node}"
    )
    return result


def guarded(func, *args) -> dict:
    """func(*args), or {"error": ...} if it failed: a one-off measurement that
    fails is recorded and the bench goes on."""
    try:
        return func(*args)
    except (RuntimeError, subprocess.SubprocessError, OSError, KeyError, ValueError) as exc:
        log(f"  ERROR in {func.__name__}: {exc}")
        return {"error": f"{func.__name__}: {exc}"}


# --- the three ways -----------------------------------------------------------


def way_args(way: str) -> list[str]:
    if way == "ours":
        return ["playbooks/site.yml"]
    pki = OUT / "plain-pki"
    return [
        "bench/plain/site.yml",
        "-e",
        "@bench/plain/lab-vars.yml",
        "-e",
        f"plain_pki_dir={pki}",
    ]


def cacert(way: str, lab: BenchLab) -> Path:
    return lab.dir / "root-ca.crt" if way == "ours" else OUT / f"{way}-pki" / "ca.crt"


def wait_site(lab: BenchLab, cacert: Path) -> float:
    """Seconds until the demo site answers over HTTPS (PHP ran) on every node."""
    start = time.monotonic()
    pending = list(lab.nodes)
    while pending and time.monotonic() - start < SITE_TIMEOUT:
        if cacert.exists():
            pending = [n for n in pending if not site_answers(n, cacert)]
        if pending:
            time.sleep(1)
    if pending:
        raise RuntimeError(f"no HTTPS answer from {[n['host'] for n in pending]}")
    return time.monotonic() - start


def converge(way: str, lab: BenchLab, tag: str, warm: bool = True) -> dict:
    """Fresh lab -> cold run -> site on every node -> warm run -> aged run (the
    warm run again with apt's lists a week old); the floor has no re-run."""
    result: dict = {"way": way, "nodes": lab.n, "up": round(lab.up(), 1)}
    for stale in ("plain-pki", "plain-artifacts", "floor-pki", "factcache"):
        shutil.rmtree(OUT / stale, ignore_errors=True)
    (lab.dir / "root-ca.crt").unlink(missing_ok=True)
    if way == "floor":
        run = logged(
            ["bash", "bench/floor.sh", str(lab.dir), str(OUT / "floor-pki")], f"{tag}-cold"
        )
        cold = {"seconds": round(run.seconds, 1), "rc": run.rc}
        log(f"  {tag}-cold: {run.seconds:.1f} s rc={run.rc}")
    else:
        path, *args = way_args(way)
        cold = playbook(f"{tag}-cold", lab, path, *args)
    result["cold"] = cold
    if cold["rc"] != 0:
        result["error"] = f"cold run failed (rc={cold['rc']}), see {LOGS}"
        return result
    try:
        cold["site_wait"] = round(wait_site(lab, cacert(way, lab)), 1)
    except RuntimeError as exc:
        result["error"] = str(exc)
        return result
    cold["total"] = round(cold["seconds"] + cold["site_wait"], 1)
    if way == "floor" or not warm:
        return result
    cold["apt_updates"] = lab.apt_updates()
    for phase in ("warm", "aged"):
        if phase == "aged":
            # A week later, as far as apt can tell: every list and stamp it
            # dates its cache by is older than any valid time.
            lab.age_apt_lists(AGED_DAYS)
        before = lab.apt_updates()
        path, *args = way_args(way)
        rerun = playbook(f"{tag}-{phase}", lab, path, *args)
        rerun["apt_updates"] = lab.apt_updates() - before
        result[phase] = rerun
        if rerun["rc"] != 0 or rerun["changed"] != 0:
            result["error"] = f"{phase} run: rc={rerun['rc']} changed={rerun['changed']} (want 0)"
            break
    return result


# --- once, on a converged ours lab --------------------------------------------


def image_sizes(lab: BenchLab) -> dict:
    first = lab.nodes[0]["host"]
    out = lab.ssh(first, f"docker image inspect -f '{{{{.Size}}}}' {' '.join(IMAGES)}").stdout
    return {ref: round(int(b) / 1e6, 1) for ref, b in zip(IMAGES, out.split(), strict=True)}


def distribution(lab: BenchLab) -> dict:
    """images.yml after the images were removed from the non-builders, per way."""
    result = {}
    for label, mode in DISTRIBUTION:
        # Builders hold the copied recipes; untag the images everywhere else.
        lab.ssh_all(
            f"[ -d /var/lib/pifleet/recipes ] || docker rmi -f {' '.join(IMAGES)} >/dev/null"
        )
        run = playbook(
            f"images-{label}-n{lab.n}",
            lab,
            "playbooks/images.yml",
            "-e",
            f"images_distribution={mode}",
        )
        result[label] = run
    return result


def json_task_seconds(out: str) -> dict:
    """Task name -> seconds, from the ansible.posix.json callback's output."""
    seconds = {}
    for play in ansible.json_document(out)["plays"]:
        for task in play["tasks"]:
            span = task["task"]["duration"]
            start = dt.datetime.fromisoformat(span["start"].replace("Z", "+00:00"))
            end = dt.datetime.fromisoformat(span["end"].replace("Z", "+00:00"))
            seconds[task["task"]["name"]] = round((end - start).total_seconds(), 1)
    return seconds


def arm_image(lab: BenchLab) -> dict:
    node = lab.nodes[-1]
    env = {"ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json"}
    argv = ["ansible-playbook", "-i", str(lab.inventory), "bench/arm_image.yml"]
    argv += ["-e", f"bench_host={node['host']}"]
    run = logged(argv, f"arm-image-n{lab.n}", env)
    if run.rc != 0:
        return {"error": f"bench/arm_image.yml failed (rc={run.rc}), see {LOGS}"}
    tasks = json_task_seconds(run.output)
    result = {
        "node": node["host"],
        "first_build": tasks["First build"],
        "unchanged": tasks["Unchanged re-run"],
        "one_file_change": tasks["Rebuild after the one-file change"],
    }
    log(f"  arm_image on {node['host']}: {result}")
    return result


def mitogen_env() -> dict | None:
    """The settings that run a playbook under Mitogen's linear strategy, or
    None when this Python has no ansible_mitogen (requirements.txt has it)."""
    spec = importlib.util.find_spec("ansible_mitogen")
    if spec is None or not spec.submodule_search_locations:
        return None
    plugins = Path(next(iter(spec.submodule_search_locations))) / "plugins" / "strategy"
    return {
        "ANSIBLE_STRATEGY_PLUGINS": str(plugins),
        "ANSIBLE_STRATEGY": "mitogen_linear",
        # Mitogen checks host keys itself, past the lab's ssh_common_args.
        "ANSIBLE_HOST_KEY_CHECKING": "False",
    }


def knobs(lab: BenchLab, baseline: dict) -> dict:
    """The warm re-run under each Ansible knob, plus the cost of full fact gathering.

    The baseline is the lab's own warm run, with ansible.cfg as it is. No fact
    cache: every play gathers nothing (gather_facts: false) and each role reads
    the facts it needs in one module call, so a cache has nothing to save."""
    variants = [
        ("pipelining off", {"ANSIBLE_PIPELINING": "False"}),
        ("forks 5 (Ansible's default)", {"ANSIBLE_FORKS": "5"}),
    ]
    mitogen = mitogen_env()
    if mitogen:
        variants.append(("Mitogen (strategy mitogen_linear)", mitogen))
    result: dict = {"nodes": lab.n, "warm": [{"knob": "recommended (ansible.cfg)", **baseline}]}
    # A knob that hangs (Mitogen's async jobs, see docs/bench.md) is stopped
    # long before PLAYBOOK_TIMEOUT: five times the baseline is plenty.
    timeout = max(KNOB_TIMEOUT, 5 * baseline["seconds"])
    for i, (name, env) in enumerate(variants):
        run = playbook(f"knob{i}-n{lab.n}", lab, "playbooks/site.yml", env=env, timeout=timeout)
        result["warm"].append({"knob": name, **run})
    adhoc = ["ansible", "-i", str(lab.inventory), "all", "-m", "ansible.builtin.setup"]
    for name, extra in (
        ("all facts", []),
        ("network subset", ["-a", "gather_subset=!all,!min,network"]),
    ):
        run = logged(adhoc + extra, f"facts-{name.replace(' ', '-')}-n{lab.n}")
        result.setdefault("facts", []).append(
            {"gather": name, "seconds": round(run.seconds, 1), "rc": run.rc}
        )
    return result
