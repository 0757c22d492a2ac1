"""Drill 7's cases: one bad input each, the playbook that meets it, and the words
the failure must say. `kind` is where the mistake sits: the inventory (an extra
-i file from inventories/), a role variable (-e), or a module option (ad-hoc).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Case:
    id: str
    kind: str  # inventory | variable | module
    playbook: str  # stage playbook, or the module for kind=module
    expect: str  # must appear in the run's output
    inventory: str = ""  # inventories/<name>.yml, added after the lab's
    extra: dict = field(default_factory=dict)  # -e, as JSON
    args: dict = field(default_factory=dict)  # module options for kind=module

    def describe(self) -> str:
        if self.kind == "inventory":
            return f"inventories/{self.inventory}.yml"
        if self.kind == "module":
            return f"{self.playbook} {json.dumps(self.args)}"
        return json.dumps(self.extra)


DEMO = {"name": "demo.pifleet.lan", "src": "demo", "php": True}

CASES = [
    # --- the inventory
    Case(
        "both-groups",
        "inventory",
        "swarm.yml",
        "host(s) in both 'swarm_managers' and 'swarm_workers': pi4",
        inventory="both_groups",
    ),
    Case(
        "malformed-label",
        "inventory",
        "swarm.yml",
        "pi4: swarm_node_labels key 'bad key' is malformed",
        inventory="malformed_label",
    ),
    Case(
        "reserved-label",
        "inventory",
        "swarm.yml",
        "pi3: swarm_node_labels key 'arch' is set by the role itself",
        inventory="reserved_label",
    ),
    Case(
        "host-availability",
        "inventory",
        "swarm.yml",
        "swarm_node_availability",
        inventory="bad_availability",
    ),
    Case("group-reboot-flag", "inventory", "nodes.yml", "node_reboot", inventory="bad_group_vars"),
    Case(
        "group-engine-source",
        "inventory",
        "docker.yml",
        "docker_engine_source",
        inventory="bad_engine_source",
    ),
    # --- role variables
    Case(
        "no-managers",
        "variable",
        "swarm.yml",
        "no managers: the group 'spare_pis' is empty or missing",
        extra={"swarm_managers_group": "spare_pis"},
    ),
    Case(
        "advertise-interface",
        "variable",
        "swarm.yml",
        "swarm_advertise_interface wlan9 is not an interface",
        extra={"swarm_advertise_interface": "wlan9"},
    ),
    Case(
        "network-without-name",
        "variable",
        "swarm.yml",
        "swarm_networks",
        extra={"swarm_networks": [{"attachable": True}]},
    ),
    Case(
        "disk-size-word",
        "variable",
        "nodes.yml",
        "node_min_free_disk_mb",
        extra={"node_min_free_disk_mb": "ten"},
    ),
    Case(
        "two-params-in-one",
        "variable",
        "nodes.yml",
        "node_cmdline_params",
        extra={"node_cmdline_params": ["cgroup_enable=memory quiet"]},
    ),
    # Issue 18: inputs that once left the fleet damaged with rc=0.
    Case(
        "cmdline-remove-root",
        "variable",
        "nodes.yml",
        "node_cmdline_remove: parameter 'root' touches root, which the Pi needs to boot",
        extra={"node_cmdline_remove": ["root"]},
    ),
    Case(
        "acme-email-newline",
        "variable",
        "caddy.yml",
        "caddy_acme_email must be one e-mail address",
        extra={"caddy_acme_email": "me@example.org\n\tadmin 0.0.0.0:2019"},
    ),
    Case(
        "sites-dir-root",
        "variable",
        "caddy.yml",
        "caddy_sites_dir must be at least two levels deep",
        extra={"caddy_sites_dir": "/"},
    ),
    Case(
        "live-restore-on-swarm",
        "variable",
        "docker.yml",
        "live-restore: true is incompatible with Docker Swarm",
        extra={"docker_daemon_options": {"live-restore": True}},
    ),
    Case(
        "publish-mode",
        "variable",
        "caddy.yml",
        "caddy_publish_mode",
        extra={"caddy_publish_mode": "mesh"},
    ),
    Case(
        "port-word",
        "variable",
        "caddy.yml",
        "caddy_https_port",
        extra={"caddy_https_port": "https"},
    ),
    Case(
        "site-twice",
        "variable",
        "caddy.yml",
        "is already served by caddy_sites[0]",
        extra={"caddy_sites": [DEMO, DEMO]},
    ),
    Case(
        "site-name",
        "variable",
        "caddy.yml",
        "'not a name' is not a host name or IP address",
        extra={"caddy_sites": [{"name": "not a name", "src": "demo"}]},
    ),
    Case(
        # The stack's CA may certify LAN names only (and those of its first
        # sites): a public name with tls: internal is refused before copying.
        "internal-tls-public-name",
        "variable",
        "caddy.yml",
        "intranet.example.com is outside them",
        extra={"caddy_sites": [DEMO, {**DEMO, "name": "intranet.example.com", "tls": "internal"}]},
    ),
    Case(
        "php-without-image",
        "variable",
        "caddy.yml",
        "php is true but caddy_php_image is empty",
        extra={"caddy_php_image": ""},
    ),
    Case(
        "healthcheck-duration",
        "variable",
        "caddy.yml",
        "caddy_healthcheck_timeout must be a Docker duration",
        extra={"caddy_healthcheck_timeout": "ten seconds"},
    ),
    Case(
        "images-distribution",
        "variable",
        "images.yml",
        "images_distribution",
        extra={"images_distribution": "carrier-pigeon"},
    ),
    # --- module options
    Case(
        "arm-image-no-path",
        "module",
        "pifleet.swarm.arm_image",
        "missing required arguments: path",
        args={"name": "local/whoami"},
    ),
    Case(
        "arm-image-pull",
        "module",
        "pifleet.swarm.arm_image",
        "value of pull must be one of: missing, never, always, got: sometimes",
        args={"name": "local/whoami", "path": "/srv/recipes/whoami", "pull": "sometimes"},
    ),
    Case(
        "cmdline-two-in-one",
        "module",
        "pifleet.swarm.cmdline",
        "cgroup_enable=memory quiet",
        args={"path": "/boot/firmware/cmdline.txt", "present": ["cgroup_enable=memory quiet"]},
    ),
    Case(
        "node-facts-unknown-option",
        "module",
        "pifleet.swarm.node_facts",
        "Unsupported parameters for (pifleet.swarm.node_facts) module: bogus",
        args={"bogus": True},
    ),
]
