"""The load test: wrk from this host against the stack's Caddy (the Swarm
service, published as the lab publishes it) and against the same images run
as plain containers on the same node (bench/direct/Caddyfile), alternating."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from pathlib import Path

from bench.lab import BenchLab, site_url
from bench.measure import logged
from bench.settings import LOAD_START_WAIT, LOGS, OUT, SITE, Settings
from bench.stats import load_summary

CADDYFILE = Path(__file__).resolve().parent / "direct" / "Caddyfile"
UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}
PATHS = {"static": "/style.css", "php": "/"}

DIRECT_TEARDOWN = """docker rm -f pifleet-bench-caddy pifleet-bench-php >/dev/null 2>&1 || :
docker network rm pifleet-bench-direct >/dev/null 2>&1 || :
"""


def direct_setup() -> str:
    """The script that starts the direct containers on a node, the Caddyfile in it."""
    return f"""set -e
mkdir -p /var/lib/pifleet-bench/direct
cat > /var/lib/pifleet-bench/direct/Caddyfile <<'EOF'
{CADDYFILE.read_text()}EOF
{DIRECT_TEARDOWN}docker network create pifleet-bench-direct >/dev/null
docker run -d --name pifleet-bench-php --network pifleet-bench-direct \\
  -v /srv/pifleet/sites:/srv/sites:ro pifleet/php-fpm:8 >/dev/null
docker run -d --name pifleet-bench-caddy --network pifleet-bench-direct -p 8443:8443 \\
  -v /srv/pifleet/sites:/srv/sites:ro \\
  -v /var/lib/pifleet-bench/direct/Caddyfile:/etc/caddy/Caddyfile:ro pifleet/caddy:2 >/dev/null
"""


def ensure_wrk() -> str | None:
    """None once wrk is there, or why it is not."""
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


def parse_wrk(output: str) -> dict | None:
    """requests/s, p99 in ms, non-2xx responses, socket errors and timeouts from
    wrk --latency's report; None when it has no rate or no p99."""
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    p99 = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)\s*$", output, re.M)
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    sock = re.search(r"Socket errors:.*", output)
    timeouts = re.search(r"Socket errors:.*timeout (\d+)", output)
    if not rps or not p99:
        return None
    return {
        "rps": float(rps[1]),
        "p99_ms": round(float(p99[1]) * UNITS[p99[2]], 2),
        "non_2xx": int(errors[1]) if errors else 0,
        "socket_errors": sock[0] if sock else "",
        "timeouts": int(timeouts[1]) if timeouts else 0,
    }


def wrk(label: str, address: str, url: str, settings: Settings) -> dict:
    # wrk sends the URL's host as SNI and Host: resolve the site's name to the
    # lab node in a private mount namespace (the host's /etc/hosts is untouched).
    hosts = OUT / "hosts"
    hosts.write_text(f"127.0.0.1 localhost\n{address} {SITE}\n")
    argv = ["unshare", "--mount", "sh", "-c", 'mount --bind "$0" /etc/hosts && exec wrk "$@"']
    argv += [str(hosts), "-t2", f"-c{settings.load_connections}", f"-d{settings.load_seconds}s"]
    argv += ["--timeout", "5s", "--latency", url]
    run = logged(argv, label, timeout=settings.load_seconds + 60)
    parsed = parse_wrk(run.output)
    if run.rc != 0 or not parsed:
        return {"error": f"wrk failed (rc={run.rc}), see {LOGS}"}
    return parsed


def load(lab: BenchLab, settings: Settings) -> dict:
    """Swarm service (as the lab publishes it) vs the same containers run directly."""
    problem = ensure_wrk()
    if problem:
        return {"error": problem}
    node = lab.nodes[0]
    # The stack's port, and 8443 for the direct Caddy (VMs forward both).
    swarm, _ = site_url(node)
    direct, resolve = site_url(node, "direct_port", 8443)
    lab.ssh(node["host"], direct_setup())
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
        targets = {"swarm": swarm, "direct": direct}
        runs: dict = {f"{p}/{t}": [] for p in PATHS for t in targets}
        for r in range(settings.load_rounds):
            for p, path in PATHS.items():
                for t, base in targets.items():
                    label = f"wrk-{p}-{t}-{r}"
                    runs[f"{p}/{t}"].append(wrk(label, node["address"], base + path, settings))
        result = {
            "node": node["host"],
            "publish": lab.publish,
            "connections": settings.load_connections,
            "seconds": settings.load_seconds,
            "rounds": settings.load_rounds,
        }
        for key, samples in runs.items():
            result[key] = load_summary(samples)
        return result
    finally:
        lab.ssh(node["host"], DIRECT_TEARDOWN, check=False)
