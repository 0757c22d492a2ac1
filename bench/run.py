#!/usr/bin/env python3
"""`make bench`: the collection's speed measured against the plain way and the raw floor.

On fresh lab nodes (labs named pifleet-lab-bench-n<N>, made and removed here with
lab/lab.sh), for every N in BENCH_NODES and BENCH_RUNS times, alternating:
  A  ours:  playbooks/site.yml cold, then the unchanged re-run (warm)
  B  plain: bench/plain/site.yml cold, then warm
  F  floor: bench/floor.sh (shell over SSH only), cold
Cold ends when the demo site answers over HTTPS on every node (curl --resolve
--cacert). Warm runs must report changed=0; an APT::Update::Pre-Invoke hook
counts apt-get update runs on the nodes. Once, on the ours lab: arm_image
timings, stream vs build distribution, image sizes and a bounded load test
(smallest N), and the Ansible knobs on the warm re-run (largest N).
First, unless BENCH_VM=0: one aarch64 VM under QEMU (lab/vm.sh, pifleet-lab-bench-vm)
gets site.yml with Caddy behind Swarm's ingress routing mesh, and the same load
test runs through the mesh and against containers run directly on the VM.

Writes build/bench/bench.json, bench.txt (the table) and bench.png; logs of every
run under build/bench/logs/. The machine is shared and noisy: read the medians
and the per-pair ratios, not single figures.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

try:
    # Figure without pyplot: no GUI backend is ever looked for.
    from matplotlib.figure import Figure
except ImportError:  # the table and the JSON do not need it
    Figure = None

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "build" / "bench"
LOGS = OUT / "logs"
BIN = Path(sys.executable).parent
LAB_PREFIX = "pifleet-lab-bench"
SITE = "demo.pifleet.lan"
IMAGES = ("pifleet/caddy:2", "pifleet/php-fpm:8")
APT_LOG = "/var/log/pifleet-bench-apt-updates.log"
# Every playbook and SSH command is bounded, so a stuck node cannot hang the bench.
PLAYBOOK_TIMEOUT = 3600
SSH_TIMEOUT = 900
SITE_TIMEOUT = 240

RECAP_RE = re.compile(
    r"^(\S+)\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M
)


def setting(name: str, default: str) -> str:
    return os.environ.get(name, "").strip() or default


RUNS = int(setting("BENCH_RUNS", "3"))
NODES = [int(n) for n in setting("BENCH_NODES", "3 12").split()]
KNOBS = setting("BENCH_KNOBS", "1") == "1"
EXTRAS = setting("BENCH_EXTRAS", "1") == "1"
WAYS = setting("BENCH_WAYS", "ours plain floor").split()
LOAD_SECONDS = int(setting("BENCH_LOAD_SECONDS", "10"))
LOAD_CONNECTIONS = int(setting("BENCH_LOAD_CONNECTIONS", "8"))
LOAD_ROUNDS = int(setting("BENCH_LOAD_ROUNDS", "2"))
# Seconds the direct Caddy gets to start (its internal CA; slow under emulation).
LOAD_START_WAIT = 300
VM = setting("BENCH_VM", "1") == "1"

# Log files are numbered in run order.
_SEQ = itertools.count(1)


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def ansible_env(extra: dict | None = None) -> dict:
    env = dict(os.environ)
    # The same settings `make` exports, so the driver also runs on its own.
    env.setdefault("ANSIBLE_CONFIG", str(ROOT / "ansible.cfg"))
    env.setdefault("ANSIBLE_COLLECTIONS_PATH", str(ROOT / "build" / "collections"))
    env.setdefault("ANSIBLE_TIMEOUT", "30")
    env["NO_COLOR"] = "1"
    env["ANSIBLE_FORCE_COLOR"] = "0"
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env.update(extra or {})
    return env


def logfile(label: str) -> Path:
    LOGS.mkdir(parents=True, exist_ok=True)
    return LOGS / f"{next(_SEQ):03d}-{label}.log"


def timed(label: str, argv: list[str], env: dict | None = None, timeout: int = PLAYBOOK_TIMEOUT):
    """Run argv, output to a log file; return (seconds, returncode, output)."""
    path = logfile(label)
    start = time.monotonic()
    # Straight to the log file, so a long run can be followed with tail -f.
    with path.open("w") as fh:
        try:
            rc = subprocess.run(
                argv,
                cwd=ROOT,
                env=env or ansible_env(),
                stdout=fh,
                stderr=subprocess.STDOUT,
                text=True,
                timeout=timeout,
                check=False,
            ).returncode
        except subprocess.TimeoutExpired:
            fh.write("\n[bench] TIMEOUT\n")
            rc = 124
    seconds = time.monotonic() - start
    out = path.read_text(errors="replace")
    return seconds, rc, out


class Lab:
    """One bench lab: lab/lab.sh up/down with LAB_NAME, SSH to its nodes."""

    script = "lab.sh"
    # caddy_publish_mode of the lab's inventory: the container lab has no IPVS.
    publish = "host"

    def __init__(self, n: int, name: str | None = None):
        self.n = n
        self.name = name or f"{LAB_PREFIX}-n{n}"
        self.dir = ROOT / "build" / "lab" / self.name
        self.inventory = self.dir / "inventory.yml"
        self.nodes: list[dict] = []

    def _lab(self, *args: str) -> None:
        env = dict(os.environ, LAB_NAME=self.name)
        subprocess.run(
            [str(ROOT / "lab" / self.script), *args], cwd=ROOT, env=env, check=True, timeout=1200
        )

    def up(self) -> float:
        start = time.monotonic()
        self._lab("up", str(self.n))
        self.nodes = json.loads((self.dir / "nodes.json").read_text())
        # Count every apt-get update from now on (the hook the docker scenario uses).
        hook = f'APT::Update::Pre-Invoke {{ "date +%s >> {APT_LOG}"; }};'
        self.ssh_all(f"printf '%s\\n' '{hook}' > /etc/apt/apt.conf.d/99pifleet-bench-count")
        return time.monotonic() - start

    def down(self) -> None:
        self._lab("down")

    def ssh(self, node: dict, script: str, check: bool = True) -> str:
        argv = [
            "ssh",
            "-i",
            str(self.dir / "id_ed25519"),
            "-o",
            "BatchMode=yes",
            "-o",
            "ConnectTimeout=5",
            "-o",
            "StrictHostKeyChecking=no",
            "-o",
            "UserKnownHostsFile=/dev/null",
            "-o",
            "LogLevel=ERROR",
            # VMs are reached on a forwarded port of 127.0.0.1, lab nodes on 22.
            "-p",
            str(node.get("ssh_port", 22)),
            f"{node['user']}@{node['address']}",
            "sudo -n sh -s",
        ]
        proc = subprocess.run(
            argv, input=script, capture_output=True, text=True, timeout=SSH_TIMEOUT, check=False
        )
        if check and proc.returncode != 0:
            raise RuntimeError(f"{node['host']}: {script!r} failed: {proc.stderr.strip()}")
        return proc.stdout

    def ssh_all(self, script: str, nodes: list[dict] | None = None) -> list[str]:
        todo = self.nodes if nodes is None else nodes
        with ThreadPoolExecutor(max_workers=max(1, len(todo))) as pool:
            return list(pool.map(lambda node: self.ssh(node, script), todo))

    def apt_updates(self) -> int:
        outs = self.ssh_all(f"if [ -f {APT_LOG} ]; then wc -l < {APT_LOG}; else echo 0; fi")
        return sum(int(o.strip() or 0) for o in outs)


class VmLab(Lab):
    """aarch64 VMs under QEMU: lab/vm.sh up/down; HTTPS on a forwarded port per VM."""

    script = "vm.sh"
    # A real kernel with IPVS: lab/vm.sh's inventory publishes through the mesh.
    publish = "ingress"

    def __init__(self, n: int):
        super().__init__(n, f"{LAB_PREFIX}-vm")


def recap(out: str) -> dict:
    hosts = {
        m[0]: {"changed": int(m[2]), "failed": int(m[4]) + int(m[3])} for m in RECAP_RE.findall(out)
    }
    return {
        "hosts": len(hosts),
        "changed": sum(h["changed"] for h in hosts.values()),
        "failed": sum(h["failed"] for h in hosts.values()),
    }


def site_url(node: dict, port_key: str = "https_port", port: int = 443) -> tuple[str, str]:
    """The site's base URL on a node, and curl's --resolve for it."""
    port = node.get(port_key, port)
    return f"https://{SITE}:{port}", f"{SITE}:{port}:{node['address']}"


def site_answers(node: dict, cacert: Path) -> bool:
    url, resolve = site_url(node)
    cmd = ["curl", "-sS", "--max-time", "5", "--resolve", resolve]
    cmd += ["--cacert", str(cacert), "-o", "-", "-w", "\n%{http_code}", f"{url}/"]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=30, check=False)
    return out.returncode == 0 and out.stdout.endswith("\n200") and "Answered by" in out.stdout


def wait_site(lab: Lab, cacert: Path) -> float:
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


# --- the three ways -----------------------------------------------------------


def playbook(label: str, lab: Lab, path: str, *args: str, env: dict | None = None) -> dict:
    argv = [str(BIN / "ansible-playbook"), "-i", str(lab.inventory), path, *args]
    seconds, rc, out = timed(label, argv, ansible_env(env))
    result = {"seconds": round(seconds, 1), "rc": rc, **recap(out)}
    log(f"  {label}: {seconds:.1f} s rc={rc} changed={result['changed']}")
    return result


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


def cacert(way: str, lab: Lab) -> Path:
    return lab.dir / "root-ca.crt" if way == "ours" else OUT / f"{way}-pki" / "ca.crt"


def converge(way: str, lab: Lab, tag: str, warm: bool = True) -> dict:
    """Fresh lab -> cold run -> site on every node -> warm run (not for the floor)."""
    result: dict = {"way": way, "nodes": lab.n, "up": round(lab.up(), 1)}
    for stale in ("plain-pki", "plain-artifacts", "floor-pki", "factcache"):
        shutil.rmtree(OUT / stale, ignore_errors=True)
    (lab.dir / "root-ca.crt").unlink(missing_ok=True)
    if way == "floor":
        seconds, rc, _ = timed(
            f"{tag}-cold",
            ["bash", "bench/floor.sh", str(lab.dir), str(OUT / "floor-pki")],
            ansible_env(),
        )
        cold = {"seconds": round(seconds, 1), "rc": rc}
        log(f"  {tag}-cold: {seconds:.1f} s rc={rc}")
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
    before = lab.apt_updates()
    cold["apt_updates"] = before
    path, *args = way_args(way)
    rerun = playbook(f"{tag}-warm", lab, path, *args)
    rerun["apt_updates"] = lab.apt_updates() - before
    result["warm"] = rerun
    if rerun["rc"] != 0 or rerun["changed"] != 0:
        result["error"] = f"warm run: rc={rerun['rc']} changed={rerun['changed']} (want 0)"
    return result


# --- extras on the ours lab --------------------------------------------------


def image_sizes(lab: Lab) -> dict:
    out = lab.ssh(lab.nodes[0], f"docker image inspect -f '{{{{.Size}}}}' {' '.join(IMAGES)}")
    return {ref: round(int(b) / 1e6, 1) for ref, b in zip(IMAGES, out.split(), strict=True)}


# How the images reach the nodes that lack them. The registry twice: the first
# run also builds the registry image and starts its service (once per fleet);
# the second finds the builds in the registry and only pulls.
DISTRIBUTION = (
    ("stream", "stream"),
    ("registry", "registry"),
    ("registry_again", "registry"),
    ("build", "build"),
)


def distribution(lab: Lab) -> dict:
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
    # The document starts with a "{" line; profile_tasks lines may come before it.
    start = re.search(r"^\{$", out, re.M)
    if not start:
        raise ValueError("no JSON document in the output")
    doc, _ = json.JSONDecoder().raw_decode(out[start.start() :])
    seconds = {}
    for play in doc["plays"]:
        for task in play["tasks"]:
            span = task["task"]["duration"]
            start = dt.datetime.fromisoformat(span["start"].replace("Z", "+00:00"))
            end = dt.datetime.fromisoformat(span["end"].replace("Z", "+00:00"))
            seconds[task["task"]["name"]] = round((end - start).total_seconds(), 1)
    return seconds


def arm_image(lab: Lab) -> dict:
    node = lab.nodes[-1]
    env = ansible_env({"ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json"})
    argv = [str(BIN / "ansible-playbook"), "-i", str(lab.inventory), "bench/arm_image.yml"]
    argv += ["-e", f"bench_host={node['host']}"]
    _, rc, out = timed(f"arm-image-n{lab.n}", argv, env)
    if rc != 0:
        return {"error": f"bench/arm_image.yml failed (rc={rc}), see {LOGS}"}
    tasks = json_task_seconds(out)
    result = {
        "node": node["host"],
        "first_build": tasks["First build"],
        "unchanged": tasks["Unchanged re-run"],
        "one_file_change": tasks["Rebuild after the one-file change"],
    }
    log(f"  arm_image on {node['host']}: {result}")
    return result


def ensure_wrk() -> str | None:
    if shutil.which("wrk"):
        return None
    if os.geteuid() != 0:
        return "wrk is not installed and this is not root (apt-get install wrk)"
    # As lab/host-engine.sh installs host packages: from Debian's archive.
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    install = ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "wrk"]
    if subprocess.run(install, env=env, capture_output=True, check=False).returncode != 0:
        subprocess.run(["apt-get", "update", "-qq"], env=env, check=False, timeout=600)
        subprocess.run(install, env=env, capture_output=True, check=False, timeout=600)
    return None if shutil.which("wrk") else "apt-get install wrk failed"


UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


def wrk(label: str, address: str, url: str) -> dict:
    # wrk sends the URL's host as SNI and Host: resolve the site's name to the
    # lab node in a private mount namespace (the host's /etc/hosts is untouched).
    hosts = OUT / "hosts"
    hosts.write_text(f"127.0.0.1 localhost\n{address} {SITE}\n")
    argv = ["unshare", "--mount", "sh", "-c", 'mount --bind "$0" /etc/hosts && exec wrk "$@"']
    argv += [str(hosts), "-t2", f"-c{LOAD_CONNECTIONS}", f"-d{LOAD_SECONDS}s"]
    argv += ["--timeout", "5s", "--latency", url]
    _, rc, out = timed(label, argv, timeout=LOAD_SECONDS + 60)
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    p99 = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    sock = re.search(r"Socket errors:.*", out)
    timeouts = re.search(r"Socket errors:.*timeout (\d+)", out)
    if rc != 0 or not rps or not p99:
        return {"error": f"wrk failed (rc={rc}), see {LOGS}"}
    return {
        "rps": float(rps[1]),
        "p99_ms": round(float(p99[1]) * UNITS[p99[2]], 2),
        "non_2xx": int(errors[1]) if errors else 0,
        "socket_errors": sock[0] if sock else "",
        "timeouts": int(timeouts[1]) if timeouts else 0,
    }


DIRECT_SETUP = """set -e
mkdir -p /var/lib/pifleet-bench/direct
cat > /var/lib/pifleet-bench/direct/Caddyfile <<'EOF'
{
	admin localhost:2019
}
demo.pifleet.lan:8443 {
	tls internal
	encode zstd gzip
	log
	root * /srv/sites/demo.pifleet.lan
	php_fastcgi pifleet-bench-php:9000
	file_server
}
EOF
docker rm -f pifleet-bench-caddy pifleet-bench-php >/dev/null 2>&1 || :
docker network rm pifleet-bench-direct >/dev/null 2>&1 || :
docker network create pifleet-bench-direct >/dev/null
docker run -d --name pifleet-bench-php --network pifleet-bench-direct \
  -v /srv/pifleet/sites:/srv/sites:ro pifleet/php-fpm:8 >/dev/null
docker run -d --name pifleet-bench-caddy --network pifleet-bench-direct -p 8443:8443 \
  -v /srv/pifleet/sites:/srv/sites:ro \
  -v /var/lib/pifleet-bench/direct/Caddyfile:/etc/caddy/Caddyfile:ro pifleet/caddy:2 >/dev/null
"""

DIRECT_TEARDOWN = """docker rm -f pifleet-bench-caddy pifleet-bench-php >/dev/null 2>&1 || :
docker network rm pifleet-bench-direct >/dev/null 2>&1 || :
"""


def load(lab: Lab) -> dict:
    """Swarm service (as the lab publishes it) vs the same containers run directly."""
    problem = ensure_wrk()
    if problem:
        return {"error": problem}
    node = lab.nodes[0]
    # The stack's port, and 8443 for the direct Caddy (VMs forward both).
    swarm, _ = site_url(node)
    direct, resolve = site_url(node, "direct_port", 8443)
    lab.ssh(node, DIRECT_SETUP)
    try:
        # Caddy makes its internal CA at start: wait (bounded) for the direct one.
        curl_k = ["curl", "-sk", "--max-time", "3", "--resolve", resolve]
        for _ in range(LOAD_START_WAIT):
            probe = subprocess.run(
                [*curl_k, "-o", "/dev/null", "-w", "%{http_code}", f"{direct}/"],
                capture_output=True,
                text=True,
                check=False,
            )
            if probe.stdout == "200":
                break
            time.sleep(1)
        paths = {"static": "/style.css", "php": "/"}
        targets = {"swarm": swarm, "direct": direct}
        runs: dict = {f"{p}/{t}": [] for p in paths for t in targets}
        for r in range(LOAD_ROUNDS):
            for p, path in paths.items():
                for t, base in targets.items():
                    runs[f"{p}/{t}"].append(wrk(f"wrk-{p}-{t}-{r}", node["address"], base + path))
        result = {
            "node": node["host"],
            "publish": lab.publish,
            "connections": LOAD_CONNECTIONS,
            "seconds": LOAD_SECONDS,
        }
        for key, samples in runs.items():
            ok = [s for s in samples if "error" not in s]
            if not ok:
                result[key] = samples[0]
                continue
            result[key] = {
                "rps": round(statistics.median(s["rps"] for s in ok), 1),
                "p99_ms": round(statistics.median(s["p99_ms"] for s in ok), 2),
                "non_2xx": sum(s["non_2xx"] for s in ok),
                "timeouts": sum(s["timeouts"] for s in ok),
                "samples": ok,
            }
        return result
    finally:
        lab.ssh(node, DIRECT_TEARDOWN, check=False)


def guarded(func, *args) -> dict:
    try:
        return func(*args)
    except (RuntimeError, subprocess.SubprocessError, OSError, KeyError, ValueError) as exc:
        log(f"  ERROR in {func.__name__}: {exc}")
        return {"error": f"{func.__name__}: {exc}"}


def extras(lab: Lab) -> dict:
    return {
        "nodes": lab.n,
        "sizes": guarded(image_sizes, lab),
        "distribution": guarded(distribution, lab),
        "arm_image": guarded(arm_image, lab),
        "load": guarded(load, lab),
    }


def vm(lab: VmLab) -> dict:
    """site.yml on a fresh aarch64 VM, then the load through Swarm's ingress mesh.

    Emulated (TCG): the seconds say what this machine does, not what a Pi does;
    the ratio swarm/direct on the same VM is the figure to read. No warm re-run:
    under emulation it costs minutes and says nothing the container lab does not."""
    result = converge("ours", lab, "vm-site", warm=False)
    if "error" in result:
        return result
    result["sizes"] = guarded(image_sizes, lab)
    result["load"] = guarded(load, lab)
    return result


def knobs(lab: Lab, baseline: dict) -> dict:
    """The warm re-run under each Ansible knob, plus the cost of full fact gathering.

    The baseline is the lab's own warm run just before, with ansible.cfg as it is."""
    cache = OUT / "factcache"
    variants = [
        ("pipelining off", {"ANSIBLE_PIPELINING": "False"}),
        ("forks 5 (Ansible's default)", {"ANSIBLE_FORKS": "5"}),
        (
            "fact cache jsonfile + gathering smart",
            {
                "ANSIBLE_CACHE_PLUGIN": "ansible.builtin.jsonfile",
                "ANSIBLE_CACHE_PLUGIN_CONNECTION": str(cache),
                "ANSIBLE_GATHERING": "smart",
            },
        ),
    ]
    result: dict = {"nodes": lab.n, "warm": [{"knob": "recommended (ansible.cfg)", **baseline}]}
    for i, (name, env) in enumerate(variants):
        run = playbook(f"knob{i}-n{lab.n}", lab, "playbooks/site.yml", env=env)
        result["warm"].append({"knob": name, **run})
    adhoc = [str(BIN / "ansible"), "-i", str(lab.inventory), "all", "-m", "ansible.builtin.setup"]
    for name, extra in (
        ("all facts", []),
        ("network subset", ["-a", "gather_subset=!all,!min,network"]),
    ):
        seconds, rc, _ = timed(f"facts-{name.replace(' ', '-')}-n{lab.n}", adhoc + extra)
        result.setdefault("facts", []).append(
            {"gather": name, "seconds": round(seconds, 1), "rc": rc}
        )
    return result


# --- the table ----------------------------------------------------------------


def med(values: list[float], digits: int = 1) -> float | None:
    values = [v for v in values if v is not None]
    return round(statistics.median(values), digits) if values else None


def fmt(value, unit: str = "") -> str:
    return "-" if value is None else f"{value}{unit}"


def ratios(ours: list[dict], other: list[dict], phase: str) -> list[float]:
    out = []
    for a, b in zip(ours, other, strict=False):
        va = a.get(phase, {}).get("total" if phase == "cold" else "seconds")
        vb = b.get(phase, {}).get("total" if phase == "cold" else "seconds")
        if va and vb and "error" not in a and "error" not in b:
            out.append(round(va / vb, 2))
    return out


def summarise(data: dict) -> dict:
    rows = []
    for n in NODES:
        by_way = {
            w: [r for r in data["runs"] if r["nodes"] == n and r["way"] == w]
            for w in ("ours", "plain", "floor")
        }
        for way, runs in by_way.items():
            if not runs:
                continue
            good = [r for r in runs if "error" not in r]
            row = {
                "nodes": n,
                "way": way,
                "runs": len(runs),
                "failed": len(runs) - len(good),
                "cold": med([r["cold"].get("total") for r in good]),
                "warm": med([r["warm"]["seconds"] for r in good if "warm" in r]),
                "warm_changed": [r["warm"]["changed"] for r in runs if "warm" in r],
                "warm_apt": [r["warm"]["apt_updates"] for r in runs if "warm" in r],
            }
            if way != "ours":
                row["cold_ratio"] = ratios(by_way["ours"], runs, "cold")
                row["warm_ratio"] = ratios(by_way["ours"], runs, "warm") if way == "plain" else []
            rows.append(row)
    return {"rows": rows}


def table_converge(data: dict) -> list[str]:
    nodes = " ".join(map(str, NODES))
    runs = data.get("settings", {}).get("runs", RUNS)
    lines = [
        f'pifleet.swarm bench, {data["started"]} (BENCH_RUNS={runs}, BENCH_NODES="{nodes}")',
        "medians; ratio = ours/this, per A-B pair (the list), median first",
        "",
        "| nodes | way | cold s | warm s | warm changed | warm apt-get updates"
        " | ours/this cold | ours/this warm |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in data["summary"]["rows"]:
        way = row["way"] + (f" ({row['failed']} failed)" if row["failed"] else "")
        changed = ",".join(map(str, row["warm_changed"])) or "-"
        apt = ",".join(map(str, row["warm_apt"])) or "-"
        cells = [str(row["nodes"]), way, fmt(row["cold"]), fmt(row["warm"]), changed, apt]
        for key in ("cold_ratio", "warm_ratio"):
            got = row.get(key)
            cells.append(f"{med(got, 2)} {got}" if got else "-")
        lines.append("| " + " | ".join(cells) + " |")
    lines += [
        "",
        "cold = fresh nodes to the site answering over HTTPS on every node (playbook + wait);",
        "warm = the same playbook again on the converged nodes.",
    ]
    return lines


def table_images(extras: dict) -> list[str]:
    lines = [""]
    a = extras.get("arm_image")
    if a and "error" in a:
        lines.append(f"arm_image: {a['error']}")
    elif a:
        lines.append(
            f"arm_image (pifleet/caddy recipe on {a['node']}): first build (no cache) "
            f"{a['first_build']} s, unchanged re-run {a['unchanged']} s, "
            f"one-file change {a['one_file_change']} s"
        )
    for d, n in ((extras.get("distribution"), extras.get("nodes")), *large_distribution(extras)):
        lines += table_distribution(d, n)
    if "error" in extras.get("sizes", {}):
        lines.append(f"image sizes: {extras['sizes']['error']}")
    elif "sizes" in extras:
        sizes = ", ".join(f"{k} {v} MB" for k, v in extras["sizes"].items())
        lines.append(f"image sizes (amd64): {sizes}")
    return lines


def large_distribution(extras: dict) -> list[tuple]:
    large = extras.get("large") or {}
    return [(large.get("distribution"), large.get("nodes"))] if large else []


def table_distribution(d: dict | None, n: int | None) -> list[str]:
    """images.yml with the images missing on every node but the builder, per way."""
    if not d:
        return []
    if "error" in d:
        return [f"distribution on {n} nodes: {d['error']}"]
    build = d.get("build", {}).get("seconds")
    parts = []
    for label, _ in DISTRIBUTION:
        if label not in d:
            continue
        run = d[label]
        ratio = ""
        if build and label != "build":
            ratio = f", {round(run['seconds'] / build, 2)} of build"
        parts.append(f"{label.replace('_', ' ')} {run['seconds']} s (rc={run['rc']}{ratio})")
    return [f"images.yml on {n} nodes, images missing on {n - 1}: " + "; ".join(parts)]


def table_load(ld: dict) -> list[str]:
    if "error" in ld:
        return ["", f"load: {ld['error']}"]
    lines = [
        "",
        f"load: wrk -t2 -c{ld['connections']} -d{ld['seconds']}s from this host to {ld['node']}, "
        f"HTTPS, median of {LOAD_ROUNDS} alternating rounds",
        "| path | requests/s | p99 ms | non-2xx | timeouts |",
        "|---|---|---|---|---|",
    ]
    publish = {"host": "host-mode port", "ingress": "ingress routing mesh"}
    names = {
        "swarm": f"Swarm service ({publish[ld.get('publish', 'host')]})",
        "direct": "containers run directly",
    }
    for key in ("static/swarm", "static/direct", "php/swarm", "php/direct"):
        v = ld[key]
        page, target = key.split("/")
        what = f"{'/style.css' if page == 'static' else '/ (PHP)'}: {names[target]}"
        if "error" in v:
            lines.append(f"| {what} | {v['error']} | | | |")
        else:
            cells = [v["rps"], v["p99_ms"], v["non_2xx"], v.get("timeouts", "-")]
            lines.append(f"| {what} | " + " | ".join(map(str, cells)) + " |")
    for page in ("static", "php"):
        sw, di = ld[f"{page}/swarm"], ld[f"{page}/direct"]
        if "rps" in sw and "rps" in di:
            lines.append(
                f"{page}: swarm/direct requests/s {round(sw['rps'] / di['rps'], 2)}, "
                f"p99 {round(sw['p99_ms'] / di['p99_ms'], 2)}"
            )
    return lines


def table_vm(v: dict) -> list[str]:
    lines = ["", "aarch64 VM (QEMU TCG on this host, 1 VM, Caddy behind the ingress routing mesh):"]
    cold = v.get("cold")
    if cold:
        wait = f" + {cold['site_wait']} s until HTTPS answered" if "site_wait" in cold else ""
        lines.append(
            f"booted in {v['up']} s; site.yml cold {cold['seconds']} s (rc={cold['rc']}){wait}"
        )
    if "error" in v:
        return [*lines, f"error: {v['error']}"]
    if "error" in v.get("sizes", {}):
        lines.append(f"image sizes: {v['sizes']['error']}")
    else:
        sizes = ", ".join(f"{k} {mb} MB" for k, mb in v["sizes"].items())
        lines.append(f"image sizes (arm64): {sizes}")
    lines += table_load(v["load"])
    if "error" not in v["load"]:
        lines.append("(both paths go through QEMU's port forwarding from 127.0.0.1 to the VM)")
    return lines


def table_knobs(k: dict) -> list[str]:
    if "error" in k:
        return ["", f"knobs: {k['error']}"]
    base = med([w["seconds"] for w in k["warm"] if w["knob"].startswith("recommended")])
    lines = [
        "",
        f"Ansible knobs, warm re-run of site.yml on {k['nodes']} nodes (one run each):",
        "| knob | warm s | vs recommended | changed |",
        "|---|---|---|---|",
    ]
    for w in k["warm"]:
        if w["rc"] != 0:
            lines.append(f"| {w['knob']} | not measured (rc={w['rc']}) | | |")
            continue
        ratio = round(w["seconds"] / base, 2) if base else None
        lines.append(f"| {w['knob']} | {w['seconds']} | {fmt(ratio, 'x')} | {w['changed']} |")
    lines += [
        f"| ad-hoc setup on all nodes, {f['gather']} | {f['seconds']} | | |"
        for f in k.get("facts", [])
    ]
    return lines


def table(data: dict) -> str:
    lines = table_converge(data)
    extras = data.get("extras", {})
    if extras:
        lines += table_images(extras)
        if "load" in extras:
            lines += table_load(extras["load"])
    if "vm" in data:
        lines += table_vm(data["vm"])
    if "knobs" in data:
        lines += table_knobs(data["knobs"])
    minutes = round(data["wall_seconds"] / 60, 1)
    lines += ["", f"total bench wall time: {data['wall_seconds']} s ({minutes} min)"]
    return "\n".join(lines)


def chart(data: dict, path: Path) -> None:
    rows = data["summary"]["rows"]
    fig = Figure(figsize=(8, 3.2), dpi=100)
    axes = fig.subplots(1, 2)
    colours = {"ours": "#c51a4a", "plain": "#6b6b6b", "floor": "#b0b0b0"}
    for ax, phase in zip(axes, ("cold", "warm"), strict=True):
        ways = [
            w for w in ("ours", "plain", "floor") if any(r["way"] == w and r[phase] for r in rows)
        ]
        width = 0.8 / max(1, len(ways))
        for i, way in enumerate(ways):
            xs, ys = [], []
            for j, n in enumerate(NODES):
                match = [r for r in rows if r["way"] == way and r["nodes"] == n and r[phase]]
                if match:
                    xs.append(j + i * width)
                    ys.append(match[0][phase])
            bars = ax.bar(xs, ys, width, label=way, color=colours[way])
            ax.bar_label(bars, fmt="%.0f", fontsize=7)
        ax.set_xticks([j + width * (len(ways) - 1) / 2 for j in range(len(NODES))])
        ax.set_xticklabels([f"{n} nodes" for n in NODES])
        ax.set_title(f"{phase} (median s)", fontsize=9)
        ax.tick_params(labelsize=8)
        if ways:
            ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path)


def render(data: dict) -> str:
    """The table (and the chart) from the collected data; also for --table."""
    text = table(data)
    (OUT / "bench.txt").write_text(text + "\n")
    if Figure is None:
        return text + "\n(no chart: matplotlib is not installed)"
    chart(data, OUT / "bench.png")
    return text


def converge_all(data: dict, labs: dict, ways: list[str]) -> None:
    """Every way on every lab size, BENCH_RUNS times; one-off extras on run 1."""
    for r in range(RUNS):
        for n in NODES:
            lab = labs[n]
            for way in ways:
                log(f"run {r + 1}/{RUNS}, {n} nodes, {way}")
                result = converge(way, lab, f"{way}-n{n}-r{r + 1}")
                result["run"] = r + 1
                data["runs"].append(result)
                if "error" in result:
                    log(f"  ERROR: {result['error']}")
                    continue
                if way != "ours" or r != 0:
                    continue
                # One-off measurements on the converged ours lab; a failure is
                # recorded and the bench goes on.
                if EXTRAS and n == min(NODES):
                    log("  extras: image sizes, stream vs build, arm_image, load")
                    data["extras"] = extras(lab)
                if EXTRAS and n == max(NODES) and n != min(NODES):
                    log("  extras: stream vs registry vs build on the large lab")
                    data["extras"]["large"] = {
                        "nodes": n,
                        "distribution": guarded(distribution, lab),
                    }
                if KNOBS and n == max(NODES):
                    log("  knobs: warm re-run under each Ansible setting")
                    data["knobs"] = guarded(knobs, lab, result["warm"])


def main() -> int:
    if sys.argv[1:] == ["--table"]:
        # Render again from build/bench/bench.json, without running anything,
        # with the settings that run used (BENCH_* when it did not record them).
        data = json.loads((OUT / "bench.json").read_text())
        NODES[:] = data.get("settings", {}).get("nodes", NODES)
        print(render(data))
        return 0
    OUT.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(LOGS, ignore_errors=True)
    started = time.monotonic()
    data: dict = {
        "started": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "settings": {"runs": RUNS, "nodes": NODES, "ways": WAYS},
        "runs": [],
        "extras": {},
    }
    # BENCH_RUNS=0: the VM part alone, no container lab made or removed.
    labs = {n: Lab(n) for n in NODES} if RUNS else {}
    ways = [w for w in ("ours", "plain", "floor") if w in WAYS]
    try:
        if VM:
            # First: the VM's converge is the longest single step, and a VM that
            # cannot boot or converge shows before the hour of container runs.
            log("aarch64 VM: site.yml (ingress publishing), image sizes, load through the mesh")
            vm_lab = VmLab(1)
            try:
                data["vm"] = guarded(vm, vm_lab)
            finally:
                vm_lab.down()
        converge_all(data, labs, ways)
    finally:
        for lab in labs.values():
            lab.down()
        data["wall_seconds"] = round(time.monotonic() - started, 1)
        data["summary"] = summarise(data)
        (OUT / "bench.json").write_text(json.dumps(data, indent=2) + "\n")
        print(render(data), flush=True)
    bad = [r for r in data["runs"] if "error" in r]
    return 1 if bad or "error" in data.get("vm", {}) else 0


if __name__ == "__main__":
    sys.exit(main())
