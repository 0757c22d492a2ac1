# Copyright: pifleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure rules of the caddy role: which inputs it refuses and how each site
gets TLS (when a deployed stack runs whole: module_utils/_stack.py)."""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from pathlib import Path

from ansible_collections.pifleet.swarm.plugins.module_utils._shipped import local_tree
from ansible_collections.pifleet.swarm.plugins.plugin_utils._images import is_image_ref
from ansible_collections.pifleet.swarm.plugins.plugin_utils._paths import dir_problem
from ansible_collections.pifleet.swarm.plugins.plugin_utils._swarm import is_label_key
from ansible_collections.pifleet.swarm.plugins.plugin_utils._tls import constraints, permits

# Names no public CA will certify: they get Caddy's internal CA.
LAN_SUFFIXES = (".lan", ".local", ".home.arpa", ".internal", ".localhost", ".test")
# Every pattern is matched whole (fullmatch): "$" would let a trailing newline
# through, and these values land in the Caddyfile and the stack file.
_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")
_UPSTREAM = re.compile(r"[A-Za-z0-9._-]+(:[0-9]{1,5})?")
# A stack name prefixes its services, networks, secrets and a directory.
_STACK = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,49}")
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")
_URL = re.compile(r"https?://[A-Za-z0-9._~:/?#@!$&()*+,;=%-]+")


def is_ip(name: str) -> bool:
    if "%" in name:  # an IPv6 scope id takes any text, and a site has no scope
        return False
    try:
        ipaddress.ip_address(name.strip("[]"))
    except ValueError:
        return False
    return True


def is_hostname(name: str) -> bool:
    name = name.rstrip(".").lower()
    if name.startswith("*."):  # a wildcard certificate name
        name = name[2:]
    return 0 < len(name) <= 253 and all(_LABEL.fullmatch(label) for label in name.split("."))


def tls_mode(name: str, wanted: str = "auto") -> str:
    """`internal` or `acme` for a site name; `auto` decides by the name."""
    if wanted != "auto":
        return wanted
    lowered = name.lower().rstrip(".")
    if is_ip(lowered) or "." not in lowered or lowered.endswith(LAN_SUFFIXES):
        return "internal"
    return "acme"


# How long Docker's healthcheck and update options may be: Go durations.
_DURATION = re.compile(r"([0-9]+(ns|us|ms|s|m|h))+")
_DURATIONS = (
    "caddy_healthcheck_interval",
    "caddy_healthcheck_timeout",
    "caddy_healthcheck_start_period",
    "caddy_update_delay",
    "caddy_update_monitor",
)


# The role's own files (the demo site): copy_tree finds a relative src there
# first, then beside the playbook, as ansible.builtin.copy would.
ROLE_DIR = Path(__file__).resolve().parents[2] / "roles" / "caddy"


def src_problems(src: str, playbook_dir: str) -> list[str]:
    """Why a site's src cannot be copied, found where copy_tree will look for
    it: a missing directory, a link out of it (checked before any node is
    touched, not when the caddy role gets to it). Nothing is looked for when
    the playbook's directory is unknown (a check outside a play)."""
    if not playbook_dir:
        return []
    if os.path.isabs(src):
        places = [src]
    else:
        places = [str(ROLE_DIR / "files" / src), str(ROLE_DIR / src)]
        places += [os.path.join(playbook_dir, "files", src), os.path.join(playbook_dir, src)]
    found = next((p for p in places if os.path.isdir(p)), None)
    if found is None:
        return [f"src '{src}' is not a directory (looked for {', '.join(places)})"]
    return [f"src {problem}" for problem in local_tree(found, checksums=False)["problems"]]


def input_problems(values: Mapping, context) -> list[str]:
    """The caddy role's inputs the argument spec has accepted (keys, types,
    tls, src or reverse_proxy), judged together."""
    sites = values["caddy_sites"]
    out: list[str] = [] if sites else ["caddy_sites must list at least one site"]
    seen: dict[str, int] = {}
    for index, site in enumerate(sites):
        where = f"caddy_sites[{index}] ({site['name']})"
        for name in [site["name"], *(site.get("aliases") or [])]:
            if not (is_hostname(name) or is_ip(name)):
                out.append(f"{where}: '{name}' is not a host name or IP address")
            elif name.lower() in seen:
                out.append(
                    f"{where}: '{name}' is already served by caddy_sites[{seen[name.lower()]}]"
                )
            else:
                seen[name.lower()] = index
        proxy = site.get("reverse_proxy")
        if proxy is not None and not _UPSTREAM.fullmatch(proxy):
            out.append(f"{where}: reverse_proxy must be an upstream like 'service:port'")
        if site.get("php") and not values["caddy_php_image"]:
            out.append(f"{where}: php is true but caddy_php_image is empty")
        if site.get("src") is not None:
            out += [f"{where}: {p}" for p in src_problems(site["src"], context.playbook_dir)]
    # Docker would refuse them only at deploy, after the site files changed.
    out += [
        f"{name} must be a Docker duration such as 10s or 1m30s, not '{values[name]}'"
        for name in _DURATIONS
        if not _DURATION.fullmatch(values[name])
    ]
    return out + _scalar_problems(values)


def _scalar_problems(values: Mapping) -> list[str]:
    """Values that become a path, a Docker object name or a Caddyfile or stack
    file scalar, matched whole."""
    out = []
    if not _STACK.fullmatch(values["caddy_stack"]):
        out.append(
            f"caddy_stack must be a Docker stack name (letters, digits, '_', '-'; 50 at most), "
            f"got {values['caddy_stack']!r}"
        )
    if problem := dir_problem("caddy_sites_dir", values["caddy_sites_dir"]):
        out.append(problem)
    for name in ("caddy_image", "caddy_php_image"):
        if values[name] and not is_image_ref(values[name]):
            out.append(
                f"{name} must be an image reference like pifleet/caddy:2, got {values[name]!r}"
            )
    email = values["caddy_acme_email"]
    if email and not _EMAIL.fullmatch(email):
        out.append(f"caddy_acme_email must be one e-mail address, got {email!r}")
    if not _URL.fullmatch(values["caddy_acme_ca"]):
        out.append(f"caddy_acme_ca must be an http(s) URL, got {values['caddy_acme_ca']!r}")
    if not is_label_key(values["caddy_data_label"]):
        out.append(
            f"caddy_data_label must be a node label key (letters, digits, '.', '_', '-'), "
            f"got {values['caddy_data_label']!r}"
        )
    return out


def networks_left(networks: list[Mapping], services: list[Mapping]) -> list[str]:
    """Names of the stack's networks that no service of it names, in its spec
    or in the spec a rollback returns to (PreviousSpec): what an earlier
    setting of the stack made (Docker never changes a network; a new setting
    names a new one). `networks`: the Docker API's network objects carrying
    the stack's namespace label; `services`: its service objects."""
    named = set()
    for service in services:
        for spec in (service.get("Spec"), service.get("PreviousSpec")):
            template = (spec or {}).get("TaskTemplate") or {}
            named |= {n.get("Target") for n in template.get("Networks") or []}
    return sorted(n["Name"] for n in networks if not {n.get("Id"), n["Name"]} & named)


# The LAN's addresses: private, shared (CGNAT, tailnets), loopback, link-local.
LAN_NETWORKS = (
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "100.64.0.0/10",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "fc00::/7",
    "fe80::/10",
    "::1/128",
)


def internal_names(sites: list[Mapping]) -> list[str]:
    """Every name (and alias) the stack's CA certifies, in the order listed."""
    return [
        name
        for site in sites
        if tls_mode(str(site["name"]), str(site.get("tls") or "auto")) == "internal"
        for name in [site["name"], *(site.get("aliases") or [])]
    ]


def ca_permitted(sites: list[Mapping]) -> list[str]:
    """What a new CA of the stack may certify: LAN names and addresses, and
    each name it certifies now that is outside them (a name without a dot,
    an address on the Internet, a public name with tls: internal)."""
    dns = [suffix.lstrip(".") for suffix in LAN_SUFFIXES]
    outside = [n for n in internal_names(sites) if not permits(dns, list(LAN_NETWORKS), n)]
    return dns + list(LAN_NETWORKS) + sorted({n.lower().rstrip(".").strip("[]") for n in outside})


def ca_outside(root_pem: str, sites: list[Mapping]) -> list[str] | None:
    """The names the stack's CA would certify but may not (its name
    constraints exclude them: browsers would refuse their certificates);
    None when the CA has no constraints (made before they existed)."""
    permitted = constraints(root_pem)
    if permitted is None:
        return None
    return [n for n in internal_names(sites) if not permits(*permitted, n)]
