"""Every role's inputs, judged as pifleet.swarm.check_inputs judges them: the
role's own meta/argument_specs.yml first, then the role's rules in
plugin_utils. One row per rule; the rules' own helpers (swarm groups and
labels, daemon.json, kernel parameters) are tested beside them."""

import dataclasses
from pathlib import Path

import pytest
from ansible_collections.pifleet.swarm.plugins.plugin_utils._inputs import (
    ROLES,
    Context,
    check,
    role_spec,
)

FLEET = Context(
    host="pi1",
    managers=("pi1",),
    workers=("pi2",),
    inventory=frozenset({"pi1", "pi2", "spare"}),
)
SITE = {"name": "a.lan", "src": "a"}
RECIPE = {"name": "x", "recipe": "caddy"}


@pytest.mark.parametrize("role", ROLES)
def test_the_defaults_pass(role):
    assert check(role, {}, FLEET) == []


GOOD = [
    (
        "caddy",
        {
            "caddy_sites": [
                {
                    "name": "blog.example.org",
                    "src": "/srv/blog",
                    "php": True,
                    "aliases": ["www.e.org"],
                },
                {"name": "pi.lan", "reverse_proxy": "whoami:80", "tls": "acme"},
                {"name": "10.0.0.5", "src": "site", "php": "yes"},
            ]
        },
    ),
    (
        "images",
        {
            "images_recipes": [
                {"name": "pifleet/caddy", "tag": 2, "recipe": "caddy"},
                {"name": "registry.lan:5000/me/app", "src": "/srv/app", "build_args": {"A": 1}},
            ],
            "images_distribution": "registry",
            "images_registry_node": "spare",
        },
    ),
    (
        "node",
        {"node_cmdline_params": ["cgroup_enable=memory", "quiet"], "node_min_free_disk_mb": 0},
    ),
    ("node", {"node_set_hostname": True}),
    ("docker", {"docker_daemon_options": {"log-opts": {"max-size": 10}}, "docker_users": ["pi"]}),
]


@pytest.mark.parametrize(("role", "values"), GOOD)
def test_good_inputs_pass(role, values):
    assert check(role, values, FLEET) == []


# (role, values, context, words the message must hold)
BAD = [
    # --- any role: a list or mapping typed as a string (-e name=value)
    ("docker", {"docker_users": "alice,bob"}, FLEET, "docker_users must be a list (YAML or JSON)"),
    ("docker", {"docker_daemon_options": "a=b"}, FLEET, "docker_daemon_options must be a mapping"),
    # --- node
    ("node", {"node_reboot": "perhaps"}, FLEET, "node_reboot"),
    ("node", {"node_cmdline_params": {"a": "b"}}, FLEET, "node_cmdline_params"),
    (
        "node",
        {"node_cmdline_params": ["a b"]},
        FLEET,
        "node_cmdline_params: parameter 'a b' contains blanks",
    ),
    ("node", {"node_cmdline_params": ['a="b']}, FLEET, "contains a double quote"),
    (
        "node",
        {"node_cmdline_remove": ["=x"]},
        FLEET,
        "node_cmdline_remove: parameter '=x' has no name",
    ),
    ("node", {"node_cmdline_params": [""]}, FLEET, "must be a non-empty string"),
    (
        "node",
        {"node_cmdline_remove": ["root"]},
        FLEET,
        "node_cmdline_remove: parameter 'root' touches root, which the Pi needs to boot",
    ),
    (
        "node",
        {"node_cmdline_params": ["init=/bin/sh"]},
        FLEET,
        "node_cmdline_params: parameter 'init=/bin/sh' touches init, which the Pi needs to boot",
    ),
    (
        "node",
        {"node_cmdline_remove": ["cgroup_enable=memory"]},
        FLEET,
        "node_cmdline_remove names what node_cmdline_params wants: cgroup_enable=memory",
    ),
    (
        "node",
        {"node_cmdline_remove": ["cgroup_enable"]},
        FLEET,
        "names what node_cmdline_params wants",
    ),
    (
        "node",
        {"node_min_free_disk_mb": -1},
        FLEET,
        "node_min_free_disk_mb must be 0 (no check) or more",
    ),
    ("node", {"node_max_clock_skew": 0}, FLEET, "node_max_clock_skew must be more than 0 seconds"),
    ("node", {"node_reboot_timeout": -5}, FLEET, "node_reboot_timeout must be more than 0 seconds"),
    ("node", {"node_roll_batch": 0}, FLEET, "node_roll_batch must be 1 or more Swarm workers"),
    (
        "node",
        {"node_reboot_boot_time_command": " "},
        FLEET,
        "node_reboot_boot_time_command must not be empty",
    ),
    (
        "node",
        {"node_supported_os": []},
        FLEET,
        "node_supported_os must name at least one OS family",
    ),
    (
        "node",
        {"node_set_hostname": True},
        Context(host="pi_1"),
        "the inventory name pi_1 is not a valid hostname",
    ),
    # --- docker (the daemon.json rules themselves: test_docker_daemon.py)
    (
        "docker",
        {"docker_daemon_options": {"live-restore": True}},
        Context(host="pi2", workers=("pi2",)),
        "live-restore: true is incompatible with Docker Swarm",
    ),
    ("docker", {"docker_engine_source": "snap"}, FLEET, "docker_engine_source"),
    # --- swarm (the group and label rules themselves: test_swarm_plan.py)
    ("swarm", {}, Context(), "no managers: the group 'swarm_managers' is empty or missing"),
    (
        "swarm",
        {},
        Context(
            managers=("pi1",),
            workers=("pi2",),
            host_var=lambda host, name: (
                {"swarm_node_availability": "off"}.get(name) if host == "pi2" else None
            ),
        ),
        "pi2: swarm_node_availability must be one of active, pause, drain, got 'off'",
    ),
    (
        "swarm",
        {},
        Context(
            managers=("pi1",),
            host_var=lambda host, name: {"bad key": 1} if name == "swarm_node_labels" else None,
        ),
        "pi1: swarm_node_labels key 'bad key' is malformed",
    ),
    ("swarm", {"swarm_networks": [{"name": "n", "driver": "bridge"}]}, FLEET, "driver"),
    (
        "swarm",
        {"swarm_networks": [{"name": "ingress"}]},
        FLEET,
        "swarm_networks[0]: ingress is Docker's own network",
    ),
    ("swarm", {"swarm_networks": [{"name": "a b"}]}, FLEET, "'a b' is not a network name"),
    ("swarm", {"swarm_networks": [{"name": "n"}, {"name": "n"}]}, FLEET, "n is listed twice"),
    (
        "docker",
        {"docker_daemon_options": {"hosts": ["unix:///var/run/docker.sock", "tcp://0.0.0.0:2375"]}},
        FLEET,
        "docker_daemon_options: hosts is refused",
    ),
    # --- images
    ("images", {"images_recipes": "caddy"}, FLEET, "images_recipes must be a list"),
    ("images", {"images_recipes": ["caddy"]}, FLEET, "images_recipes"),
    (
        "images",
        {"images_recipes": [{"name": "Caddy", "recipe": "caddy"}]},
        FLEET,
        "'Caddy' is not a valid image name",
    ),
    (
        "images",
        {"images_recipes": [{**RECIPE, "tag": "-bad"}]},
        FLEET,
        "tag '-bad' is not a valid image tag",
    ),
    (
        "images",
        {"images_recipes": [{"name": "x"}]},
        FLEET,
        "one of the following is required: recipe, src",
    ),
    (
        "images",
        {"images_recipes": [{**RECIPE, "src": "/a"}]},
        FLEET,
        "mutually exclusive: recipe|src",
    ),
    (
        "images",
        {"images_recipes": [{"name": "x", "recipe": "nginx"}]},
        FLEET,
        "caddy, php-fpm, registry, got: nginx",
    ),
    (
        "images",
        {"images_recipes": [{"name": "x", "src": "rel/dir"}]},
        FLEET,
        "src must be an absolute path",
    ),
    ("images", {"images_recipes": [{**RECIPE, "labels": ["a"]}]}, FLEET, "labels"),
    ("images", {"images_recipes": [{**RECIPE, "tga": "1"}]}, FLEET, "tga"),
    (
        "images",
        {"images_recipes": [RECIPE, {"name": "x", "tag": "latest", "src": "/a"}]},
        FLEET,
        "x:latest is listed twice",
    ),
    (
        "images",
        {"images_stream_parallel": 0},
        FLEET,
        "images_stream_parallel must be 1 or more, got 0",
    ),
    ("images", {"images_build_parallel": 0}, FLEET, "images_build_parallel must be 1 or more"),
    (
        "images",
        {"images_build_timeout": 59},
        FLEET,
        "images_build_timeout must be 60 seconds or more",
    ),
    (
        "images",
        {"images_distribution": "registry"},
        Context(groups=("pis", "w")),
        "registry needs a Swarm manager to run the registry on: set images_registry_node, "
        "or put a host in pis",
    ),
    (
        "images",
        {"images_distribution": "registry", "images_registry_node": "pi9"},
        FLEET,
        "images_registry_node 'pi9' is not a host of the inventory",
    ),
    (
        "images",
        {"images_distribution": "registry", "images_registry_port": 70000},
        FLEET,
        "images_registry_port must be a TCP port (1-65535), got 70000",
    ),
    (
        "images",
        {"images_distribution": "registry", "images_registry_service": "a b"},
        FLEET,
        "images_registry_service 'a b' is not a valid Docker service name",
    ),
    (
        # A valid service name, but the client certificate's config would
        # be named past Docker's 64 characters, after the images were built.
        "images",
        {"images_distribution": "registry", "images_registry_service": "r" * 45},
        FLEET,
        "is not a valid Docker service name of 44 characters at most",
    ),
    # --- caddy
    ("caddy", {"caddy_sites": []}, FLEET, "caddy_sites must list at least one site"),
    ("caddy", {"caddy_sites": "pi.lan"}, FLEET, "caddy_sites must be a list"),
    (
        "caddy",
        {"caddy_sites": [{"name": "not a host", "src": "a"}]},
        FLEET,
        "'not a host' is not a host name or IP",
    ),
    (
        "caddy",
        {"caddy_sites": [SITE, {"name": "A.lan", "src": "b"}]},
        FLEET,
        "'A.lan' is already served by caddy_sites[0]",
    ),
    ("caddy", {"caddy_sites": [{**SITE, "aliases": ["b.lan", "a.lan"]}]}, FLEET, "already served"),
    (
        "caddy",
        {"caddy_sites": [{**SITE, "php": True}], "caddy_php_image": ""},
        FLEET,
        "php is true but caddy_php_image is empty",
    ),
    (
        "caddy",
        {"caddy_sites": [{"name": "a.lan"}]},
        FLEET,
        "one of the following is required: src, reverse_proxy",
    ),
    (
        "caddy",
        {"caddy_sites": [{**SITE, "reverse_proxy": "x:80"}]},
        FLEET,
        "mutually exclusive: reverse_proxy|src",
    ),
    (
        "caddy",
        {"caddy_sites": [{"name": "a.lan", "reverse_proxy": "x:80", "php": True}]},
        FLEET,
        "mutually exclusive: reverse_proxy|php",
    ),
    (
        "caddy",
        {"caddy_sites": [{"name": "a.lan", "reverse_proxy": "http://x y"}]},
        FLEET,
        "must be an upstream",
    ),
    ("caddy", {"caddy_sites": [{**SITE, "tls": "off"}]}, FLEET, "auto, internal, acme, got: off"),
    ("caddy", {"caddy_sites": [{**SITE, "php": "maybe"}]}, FLEET, "php"),
    ("caddy", {"caddy_sites": [{**SITE, "root": "/x"}]}, FLEET, "root"),
    (
        "caddy",
        {"caddy_healthcheck_interval": "10"},
        FLEET,
        "caddy_healthcheck_interval must be a Docker duration",
    ),
    (
        "caddy",
        {"caddy_healthcheck_start_period": "1 m"},
        FLEET,
        "caddy_healthcheck_start_period must be",
    ),
    ("caddy", {"caddy_update_monitor": "20"}, FLEET, "caddy_update_monitor must be a Docker"),
    ("caddy", {"caddy_update_delay": "5s; rm"}, FLEET, "caddy_update_delay must be a Docker"),
    ("caddy", {"caddy_publish_mode": "nat"}, FLEET, "caddy_publish_mode"),
    # Values that become paths, Docker names or Caddyfile / stack scalars (issue 18).
    ("caddy", {"caddy_stack": "../../.."}, FLEET, "caddy_stack must be a Docker stack name"),
    ("caddy", {"caddy_stack": "web\n"}, FLEET, "caddy_stack must be a Docker stack name"),
    ("caddy", {"caddy_sites_dir": "/"}, FLEET, "caddy_sites_dir must be at least two levels"),
    ("caddy", {"caddy_sites_dir": "/srv"}, FLEET, "caddy_sites_dir must be at least two levels"),
    (
        "caddy",
        {"caddy_sites_dir": "/etc/pifleet"},
        FLEET,
        "caddy_sites_dir '/etc/pifleet' is in /etc",
    ),
    ("caddy", {"caddy_sites_dir": "/var/lib"}, FLEET, "is a parent of /var/lib/containerd"),
    ("caddy", {"caddy_sites_dir": "/srv/a/../../etc"}, FLEET, "must be a plain path"),
    ("caddy", {"caddy_sites_dir": "srv/sites"}, FLEET, "must be an absolute path"),
    (
        "caddy",
        {"caddy_acme_email": "me@example.org\nadmin 0.0.0.0:2019"},
        FLEET,
        "caddy_acme_email must be one e-mail address",
    ),
    ("caddy", {"caddy_acme_email": "me@example.org\n"}, FLEET, "caddy_acme_email must be one"),
    ("caddy", {"caddy_acme_ca": "https://x/ {\n"}, FLEET, "caddy_acme_ca must be an http(s) URL"),
    ("caddy", {"caddy_image": "--privileged"}, FLEET, "caddy_image must be an image reference"),
    ("caddy", {"caddy_php_image": "php fpm"}, FLEET, "caddy_php_image must be an image reference"),
    ("caddy", {"caddy_data_label": "a label"}, FLEET, "caddy_data_label must be a node label key"),
    (
        "caddy",
        {"caddy_sites": [{"name": "fe80::1%eth0 admin", "src": "a"}]},
        FLEET,
        "is not a host name or IP",
    ),
    (
        "caddy",
        {"caddy_sites": [{"name": "a.lan\n", "src": "a"}]},
        FLEET,
        "is not a host name or IP",
    ),
    (
        "caddy",
        {"caddy_sites": [{"name": "a.lan", "reverse_proxy": "x:80\n"}]},
        FLEET,
        "must be an upstream",
    ),
    ("caddy", {"caddy_healthcheck_timeout": "10s\n"}, FLEET, "caddy_healthcheck_timeout must be"),
    (
        "images",
        {"images_build_dir": "/var/lib"},
        FLEET,
        "images_build_dir '/var/lib' is a parent of",
    ),
    ("images", {"images_build_dir": "/"}, FLEET, "images_build_dir must be at least two levels"),
    (
        "images",
        {"images_recipes": [{"name": "x\n", "recipe": "caddy"}]},
        FLEET,
        "is not a valid image name",
    ),
    (
        "swarm",
        {},
        Context(
            managers=("pi1",),
            host_var=lambda host, name: {"zone\n": 1} if name == "swarm_node_labels" else None,
        ),
        "pi1: swarm_node_labels key 'zone\\n' is malformed",
    ),
]


@pytest.mark.parametrize(
    ("role", "values", "context", "expected"),
    BAD,
    ids=[f"{row[0]}-{index}-{row[3][:40]}" for index, row in enumerate(BAD)],
)
def test_bad_inputs_are_named(role, values, context, expected):
    problems = check(role, values, context)
    assert any(expected in message for message in problems), problems


def test_every_problem_of_a_role_at_once():
    problems = check(
        "images",
        {
            "images_stream_parallel": 0,
            "images_build_timeout": 1,
            "images_recipes": [RECIPE, RECIPE],
        },
        FLEET,
    )
    assert len(problems) == 3, problems


def test_the_shipped_recipes_are_the_specs_choices():
    recipes = Path(__file__).resolve().parents[2] / "roles" / "images" / "files" / "recipes"
    choices = role_spec("images")["images_recipes"]["options"]["recipe"]["choices"]
    assert sorted(choices) == sorted(p.name for p in recipes.iterdir() if p.is_dir())


def test_an_unknown_role_is_refused():
    with pytest.raises(ValueError, match="the collection's roles are node, docker"):
        check("web", {}, FLEET)


# A site's src, found where copy_tree will look for it: checked with the other
# inputs, before the first stage of site.yml changes anything (issue 18 item 10).
@pytest.fixture
def playbook_dir(tmp_path):
    (tmp_path / "files" / "blog").mkdir(parents=True)
    (tmp_path / "files" / "blog" / "index.html").write_text("<h1>blog</h1>\n")
    (tmp_path / "shop").mkdir()
    (tmp_path / "shop" / "key.pem").symlink_to("/etc/ssl/private/shop.pem")
    return tmp_path


def sites_problems(playbook_dir, *sites):
    context = dataclasses.replace(FLEET, playbook_dir=str(playbook_dir))
    return check("caddy", {"caddy_sites": list(sites)}, context)


def test_a_site_src_is_found_where_copy_tree_looks(playbook_dir):
    # The role's demo, files/ beside the playbook, an absolute path.
    found = [{"name": "a.lan", "src": "demo"}, {"name": "b.lan", "src": "blog"}]
    found.append({"name": "c.lan", "src": str(playbook_dir / "files" / "blog")})
    assert sites_problems(playbook_dir, *found) == []


def test_a_missing_src_or_a_link_out_of_it_is_refused_before_any_change(playbook_dir):
    problems = sites_problems(
        playbook_dir, {"name": "a.lan", "src": "blgo"}, {"name": "b.lan", "src": "shop"}
    )
    assert len(problems) == 2, problems
    assert problems[0].startswith("caddy_sites[0] (a.lan): src 'blgo' is not a directory")
    assert problems[1] == (
        "caddy_sites[1] (b.lan): src key.pem links to /etc/ssl/private/shop.pem, outside it"
    )
