"""The bench's labs: fresh container labs (lab/lab.sh) and the aarch64 VM lab
(lab/vm.sh), each node with a hook that counts its apt-get updates, and where
the demo site answers on a node."""

from __future__ import annotations

import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench.settings import APT_LOG, LAB_PREFIX, SITE, SSH_TIMEOUT
from tests.support.lab import Lab


class BenchLab(Lab):
    """A lab of n nodes, made fresh by up() and removed by down()."""

    script = "lab.sh"
    # caddy_publish_mode of the lab's inventory: the container lab has no IPVS.
    publish = "host"

    def __init__(self, n: int, name: str | None = None):
        super().__init__(name or f"{LAB_PREFIX}-n{n}", self.script)
        self.n = n

    def up(self) -> float:
        """Seconds to bring up n fresh nodes (the lab script's output shows)."""
        start = time.monotonic()
        self.control("up", str(self.n), timeout=1200, quiet=False)
        # Count every apt-get update from now on (the hook the docker scenario uses).
        hook = f'APT::Update::Pre-Invoke {{ "date +%s >> {APT_LOG}"; }};'
        self.ssh_all(f"printf '%s\\n' '{hook}' > /etc/apt/apt.conf.d/99pifleet-bench-count")
        return time.monotonic() - start

    def down(self) -> None:
        self.control("down", timeout=1200, quiet=False)

    def ssh_all(self, script: str) -> list[str]:
        """The script on every node at once (sudo); each node's stdout."""
        hosts = [n["host"] for n in self.nodes]
        with ThreadPoolExecutor(max_workers=max(1, len(hosts))) as pool:
            done = pool.map(lambda host: self.ssh(host, script, timeout=SSH_TIMEOUT), hosts)
            return [d.stdout for d in done]

    def age_apt_lists(self, days: int) -> None:
        """apt's lists, its update stamps and caches dated `days` back: what
        cache_valid_time (Ansible's apt, apt_packages) reads to decide on an
        apt-get update. Nothing else on the node changes."""
        paths = "/var/lib/apt/lists /var/lib/apt/periodic /var/cache/apt"
        self.ssh_all(f"find {paths} -maxdepth 1 -exec touch -h -d '{days} days ago' {{}} +")

    def apt_updates(self) -> int:
        outs = self.ssh_all(f"if [ -f {APT_LOG} ]; then wc -l < {APT_LOG}; else echo 0; fi")
        return sum(int(o.strip() or 0) for o in outs)


class VmLab(BenchLab):
    """aarch64 VMs under QEMU: HTTPS on a forwarded port per VM."""

    script = "vm.sh"
    # A real kernel with IPVS: lab/vm.sh's inventory publishes through the mesh.
    publish = "ingress"

    def __init__(self, n: int):
        super().__init__(n, f"{LAB_PREFIX}-vm")


def site_url(node: dict, port_key: str = "https_port", port: int = 443) -> tuple[str, str]:
    """The site's base URL on a node, and curl's --resolve for it."""
    port = node.get(port_key, port)
    return f"https://{SITE}:{port}", f"{SITE}:{port}:{node['address']}"


def site_answers(node: dict, cacert: Path) -> bool:
    """The PHP page over HTTPS from the node, trusting only `cacert`."""
    url, resolve = site_url(node)
    cmd = ["curl", "-sS", "--max-time", "5", "--resolve", resolve]
    cmd += ["--cacert", str(cacert), "-o", "-", "-w", "\n%{http_code}", f"{url}/"]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=30, check=False)
    return out.returncode == 0 and out.stdout.endswith("\n200") and "Answered by" in out.stdout
