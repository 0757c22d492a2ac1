"""The bench's table (build/bench/bench.txt) and chart (bench.png), from the
data a run collected (bench.json). The table's numbers and columns are the
ones the README quotes."""

from __future__ import annotations

from pathlib import Path

from bench.settings import AGED_DAYS, DISTRIBUTION, PLAIN_DIFFERENCES, WAYS, Settings
from bench.stats import med

try:
    # Figure without pyplot: no GUI backend is ever looked for.
    from matplotlib.figure import Figure
except ImportError:  # the table and the JSON do not need it
    Figure = None


def fmt(value, unit: str = "") -> str:
    return "-" if value is None else f"{value}{unit}"


def nodes_of(data: dict, settings: Settings) -> list[int]:
    """The lab sizes of the run (the BENCH_NODES setting where it recorded none)."""
    return list(data.get("settings", {}).get("nodes", settings.nodes))


def joined(values: list) -> str:
    return ",".join(map(str, values)) or "-"


def pair(got: list | None) -> str:
    """A list of per-pair ratios: its median, then the list."""
    return f"{med(got, 2)} {got}" if got else "-"


def table_converge(data: dict, settings: Settings) -> list[str]:
    nodes = " ".join(map(str, nodes_of(data, settings)))
    runs = data.get("settings", {}).get("runs", settings.runs)
    lines = [
        f'pifleet.swarm bench, {data["started"]} (BENCH_RUNS={runs}, BENCH_NODES="{nodes}")',
        "medians; ratio = ours/this, per A-B pair (the list), median first;"
        " ways in rotated order each round",
        "",
        "| nodes | way | cold s | warm s | warm changed | warm apt-get updates"
        " | warm SSH calls/node | aged s | aged apt-get updates | aged/warm"
        " | ours/this cold | ours/this warm | ours/this aged |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in data["summary"]["rows"]:
        way = row["way"] + (f" ({row['failed']} failed)" if row["failed"] else "")
        cells = [str(row["nodes"]), way, fmt(row["cold"]), fmt(row["warm"])]
        cells += [joined(row["warm_changed"]), joined(row["warm_apt"])]
        cells += [fmt(row.get("warm_calls")), fmt(row.get("aged"))]
        cells += [joined(row.get("aged_apt", [])), pair(row.get("aged_vs_warm"))]
        cells += [pair(row.get(key)) for key in ("cold_ratio", "warm_ratio", "aged_ratio")]
        lines.append("| " + " | ".join(cells) + " |")
    lines += [
        "",
        "cold = fresh nodes to the site answering over HTTPS on every node (playbook + wait);",
        "warm = the same playbook again on the converged nodes; aged = once more, with",
        f"apt's lists and stamps dated {AGED_DAYS} days back (a re-run a week later);",
        "SSH calls = every ssh, sftp and scp Ansible ran (bench/calls), per node.",
    ]
    if any(row["way"] == "plain" for row in data["summary"]["rows"]):
        lines += ["", "What the plain way still does differently (bench/plain/site.yml):"]
        lines += [f"- {d}" for d in PLAIN_DIFFERENCES]
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


def table_load(ld: dict, settings: Settings) -> list[str]:
    if "error" in ld:
        return ["", f"load: {ld['error']}"]
    # Runs before the count of rounds was kept: the BENCH_LOAD_ROUNDS setting.
    rounds = ld.get("rounds", settings.load_rounds)
    lines = [
        "",
        f"load: wrk -t2 -c{ld['connections']} -d{ld['seconds']}s from this host to {ld['node']}, "
        f"HTTPS, median of {rounds} alternating rounds",
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


def table_vm(v: dict, settings: Settings) -> list[str]:
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
    lines += table_load(v["load"], settings)
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


def table(data: dict, settings: Settings) -> str:
    """The whole table; `settings` stand in for what an older run did not record."""
    lines = table_converge(data, settings)
    extras = data.get("extras", {})
    if extras:
        lines += table_images(extras)
        if "load" in extras:
            lines += table_load(extras["load"], settings)
    if "vm" in data:
        lines += table_vm(data["vm"], settings)
    if "knobs" in data:
        lines += table_knobs(data["knobs"])
    minutes = round(data["wall_seconds"] / 60, 1)
    lines += ["", f"total bench wall time: {data['wall_seconds']} s ({minutes} min)"]
    return "\n".join(lines)


def chart(data: dict, nodes: list[int], path: Path) -> None:
    rows = data["summary"]["rows"]
    fig = Figure(figsize=(8, 3.2), dpi=100)
    axes = fig.subplots(1, 2)
    colours = {"ours": "#c51a4a", "plain": "#6b6b6b", "floor": "#b0b0b0"}
    for ax, phase in zip(axes, ("cold", "warm"), strict=True):
        ways = [w for w in WAYS if any(r["way"] == w and r[phase] for r in rows)]
        width = 0.8 / max(1, len(ways))
        for i, way in enumerate(ways):
            xs, ys = [], []
            for j, n in enumerate(nodes):
                match = [r for r in rows if r["way"] == way and r["nodes"] == n and r[phase]]
                if match:
                    xs.append(j + i * width)
                    ys.append(match[0][phase])
            bars = ax.bar(xs, ys, width, label=way, color=colours[way])
            ax.bar_label(bars, fmt="%.0f", fontsize=7)
        ax.set_xticks([j + width * (len(ways) - 1) / 2 for j in range(len(nodes))])
        ax.set_xticklabels([f"{n} nodes" for n in nodes])
        ax.set_title(f"{phase} (median s)", fontsize=9)
        ax.tick_params(labelsize=8)
        if ways:
            ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path)


def render(data: dict, settings: Settings, out: Path) -> str:
    """The table, written to out/bench.txt, and the chart, to out/bench.png."""
    text = table(data, settings)
    (out / "bench.txt").write_text(text + "\n")
    if Figure is None:
        return text + "\n(no chart: matplotlib is not installed)"
    chart(data, nodes_of(data, settings), out / "bench.png")
    return text
