"""The images role's result on every node, and the arm_image module's cases on pi1."""

import json

import pytest

from tests.support.ansible import adhoc, json_document
from tests.support.lab import write_inventory

HASH = "org.pifleet.arm_image.hash"
RECIPE = "/tmp/arm-image-test"


def image(host, ref):
    out = host.run(f"docker image inspect {ref}")
    assert out.rc == 0, f"{ref} missing on {host.backend.get_hostname()}: {out.stderr}"
    return json.loads(out.stdout)[0]


def test_the_builder_built_both_recipes_at_once(host):
    """images_build_parallel (2): the build steps of both recipes ran side by side.

    Read from pi1's engine, which keeps its last 256 events: the converge's
    builds are among them (prepare, idempotence and check build nothing, and
    this test runs before the module cases below). Each build step (RUN) is a
    container that starts and dies; the most of them alive at one time, up to
    when both images were tagged, is how many builds ran at once.
    """
    if host.backend.get_hostname() != "pi1":
        pytest.skip("pi1 is the builder")
    with host.sudo():
        out = host.check_output(
            "docker events --since 0 --until \"$(date +%s)\" --format '{{json .}}'"
        )
    events = [json.loads(line) for line in out.splitlines()]
    wanted = {"pifleet/caddy:2", "pifleet/php-fpm:8"}
    started, alive, most = {}, 0, 0
    for event in sorted(events, key=lambda e: e["timeNano"]):
        kind, action = event["Type"], event["Action"]
        if kind == "image" and action == "tag":
            wanted.discard(event["Actor"]["Attributes"].get("name"))
            if not wanted:
                break
        elif kind == "container" and action == "start":
            started[event["Actor"]["ID"]] = True
            alive += 1
            most = max(most, alive)
        elif kind == "container" and action == "die" and started.pop(event["Actor"]["ID"], False):
            alive -= 1
    assert not wanted, f"no tag event for {wanted} in the engine's last {len(events)} events"
    assert most == 2, f"at most {most} build step(s) ran at once"


@pytest.mark.parametrize("ref", ["pifleet/caddy:2", "pifleet/php-fpm:8"])
def test_every_node_holds_the_same_build(host, ref):
    with host.sudo():
        mine = image(host, ref)
        assert mine["Architecture"] == "amd64"
        assert len(mine["Config"]["Labels"][HASH]) == 64
    builder = host.get_host("ansible://pi1", ansible_inventory=host.backend.ansible_inventory)
    with builder.sudo():
        assert image(builder, ref)["Config"]["Labels"][HASH] == mine["Config"]["Labels"][HASH]


def test_caddy_image_runs_caddy_v2(host):
    with host.sudo():
        assert host.check_output("docker run --rm pifleet/caddy:2 version").startswith("2.")


def test_php_fpm_image_runs_php(host):
    with host.sudo():
        out = host.check_output(
            "docker run --rm --entrypoint /usr/bin/php pifleet/php-fpm:8 -r 'echo 6*7;'"
        )
        assert out == "42"
        assert host.run("docker run --rm pifleet/php-fpm:8 --test").rc == 0


def setuid_files(host, ref):
    """Files of an image whose mode sets the user or group id on exec."""
    with host.sudo():
        container = host.check_output(f"docker create {ref}")
        try:
            listing = host.check_output(f"docker export {container} | tar -tvf -")
        finally:
            host.run(f"docker rm {container}")
    return [line for line in listing.splitlines() if line[3] in "sS" or line[6] in "sS"]


def test_nothing_in_the_images_raises_privileges(host):
    """No setuid or setgid file (the base image has several: the reading is
    real), and PHP-FPM's image runs as www-data, not root."""
    if host.backend.get_hostname() != "pi1":
        pytest.skip("the builder's builds; every node holds the same (hash label)")
    assert setuid_files(host, "debian:bookworm-slim"), "the listing found no setuid file"
    for ref in ("pifleet/caddy:2", "pifleet/php-fpm:8"):
        assert setuid_files(host, ref) == [], ref
    with host.sudo():
        assert image(host, "pifleet/php-fpm:8")["Config"]["User"] == "www-data"


def test_recipes_only_on_the_builder(host):
    on_builder = host.backend.get_hostname() == "pi1"
    assert host.file("/var/lib/pifleet/recipes/pifleet_caddy/Dockerfile").exists == on_builder


def test_the_builder_removed_only_what_the_role_had_placed(host):
    """prepare.yml left pi1's caddy context as an earlier recipe (its manifest
    listing old.txt and retired/old.conf) and the node's owner (two notes) left it."""
    if host.backend.get_hostname() != "pi1":
        pytest.skip("the builder's copy")
    context = "/var/lib/pifleet/recipes/pifleet_caddy"
    with host.sudo():
        assert not host.file(f"{context}/old.txt").exists
        assert not host.file(f"{context}/retired/old.conf").exists
        # Not the role's: kept, and so is the directory that holds one.
        assert host.file(f"{context}/owners-note.txt").exists
        assert host.file(f"{context}/retired/owners.conf").exists
        manifest = host.file(f"{context}.shipped").content_string
    assert [line for line in manifest.splitlines() if not line.startswith("#")] == ["Dockerfile"]


# The module's own cases, on the builder (it holds the base image).


class ModuleFailed(Exception):
    def __init__(self, result):
        super().__init__(result.get("msg"))
        self.result = result


def run_module(host, module, args, check=False, inventories=()):
    """Run a module of the collection on the host from the controller, as a play would.

    testinfra's host.ansible cannot tell a failed module here: with
    ansible-core 2.19 its --tree output has no `failed` key. The json
    callback keeps it, and keeps the module's `diff` too. More inventory
    sources (later ones win) stand in for what a user sets in theirs.
    """
    name = host.backend.get_hostname()
    argv = ["-m", module, "-a", json.dumps(args), "--become"]
    argv += ["--check", "--diff"] if check else []
    env = {"ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json"}
    env |= {"ANSIBLE_LOAD_CALLBACK_PLUGINS": "1", "ANSIBLE_CALLBACKS_ENABLED": "ansible.posix.json"}
    sources = [host.backend.ansible_inventory, *inventories]
    run = adhoc(name, *argv, inventory=sources, env=env, timeout=None)
    result = json_document(run.output)["plays"][0]["tasks"][0]["hosts"][name]
    if result.get("failed"):
        raise ModuleFailed(result)
    return result


def build(host, check=False, **args):
    """arm_image on the host with the test recipe."""
    args = {"name": "pifleet-test/recipe", "path": RECIPE, "pull": "never", **args}
    return run_module(host, "pifleet.swarm.arm_image", args, check=check)


def test_a_node_that_lost_an_image_gets_it_streamed_again(host, tmp_path):
    """The image_stream action on its own: check mode predicts and loads
    nothing; the real run puts the builder's build back. pi1, the source, is
    reachable only through what Ansible's ssh plugin takes from its
    ansible_ssh_args (a HostName under an address that does not resolve), as
    a user's ProxyJump or ssh config would be: the stream must use them too."""
    if host.backend.get_hostname() != "pi2":
        pytest.skip("one receiver is enough")
    ref = "pifleet/caddy:2"
    builder = host.get_host("ansible://pi1", ansible_inventory=host.backend.ansible_inventory)
    address = builder.ansible.get_variables()["ansible_host"]
    only_via_ssh_args = write_inventory(
        tmp_path / "pi1-via-ssh-args.yml",
        {"pi1": {"ansible_host": "pi1.invalid", "ansible_ssh_args": f"-o HostName={address}"}},
    )
    with builder.sudo():
        wanted = image(builder, ref)["Config"]["Labels"][HASH]
    with host.sudo():
        host.run_test(f"docker rmi {ref}")

    stream = {"ref": ref, "source": "pi1"}
    predicted = run_module(host, "pifleet.swarm.image_stream", stream, True, [only_via_ssh_args])
    assert predicted["changed"], predicted
    assert predicted["msg"] == f"would stream {ref} from pi1"
    assert f"HostName={address}" in predicted["cmd"], predicted["cmd"]
    with host.sudo():
        assert host.run(f"docker image inspect {ref}").rc != 0, "check mode loaded the image"

    done = run_module(host, "pifleet.swarm.image_stream", stream, False, [only_via_ssh_args])
    assert done["changed"] and done["rc"] == 0, done
    assert f"Loaded image: {ref}" in done["stdout"], done
    with host.sudo():
        assert image(host, ref)["Config"]["Labels"][HASH] == wanted


@pytest.fixture
def recipe(host):
    if host.backend.get_hostname() != "pi1":
        pytest.skip("module cases run on the builder")
    with host.sudo():
        host.run_test(f"rm -rf {RECIPE} && mkdir -p {RECIPE}")
        host.run_test(
            f"printf 'FROM debian:bookworm-slim\\nCOPY data.txt /data.txt\\n"
            f"RUN cat /data.txt\\n' > {RECIPE}/Dockerfile"
        )
        host.run_test(f"echo one > {RECIPE}/data.txt && echo '*.tmp' > {RECIPE}/.dockerignore")
        host.run("docker rmi -f pifleet-test/recipe:latest")
    yield RECIPE
    with host.sudo():
        host.run(f"rm -rf {RECIPE}; docker rmi -f pifleet-test/recipe:latest")


def test_build_then_nothing_then_rebuild_on_change(host, recipe):
    predicted = build(host, check=True)
    assert predicted["changed"] and predicted["rebuilt"]
    with host.sudo():
        assert host.run("docker image inspect pifleet-test/recipe:latest").rc != 0

    first = build(host)
    assert first["changed"] and first["rebuilt"]
    assert first["image"]["architecture"] == "amd64"
    assert first["image"]["tags"] == ["pifleet-test/recipe:latest"]

    again = build(host)
    assert not again["changed"] and not again["rebuilt"]
    assert again["hash"] == first["hash"]
    assert again["image"]["id"] == first["image"]["id"]
    assert not build(host, check=True)["changed"]

    with host.sudo():
        host.run_test(f"echo noise > {recipe}/ignored.tmp")
    assert not build(host)["changed"], "a .dockerignored file must not trigger a build"

    with host.sudo():
        host.run_test(f"echo two > {recipe}/data.txt")
    predicted = build(host, check=True)
    assert predicted["changed"]
    assert predicted["diff"]["before"]["hash"] == first["hash"]
    assert predicted["diff"]["after"]["hash"] != first["hash"]
    rebuilt = build(host)
    assert rebuilt["changed"] and rebuilt["image"]["id"] != first["image"]["id"]

    forced = build(host, force=True)
    assert forced["changed"] and forced["rebuilt"]


# Docker takes an image's Created from its config: rewritten in a saved
# image, it makes a build look as old as wanted, labels and layers unchanged.
AGE_IMAGE = r"""
import hashlib, json, os, subprocess, sys, tarfile, tempfile
ref, created = sys.argv[1], sys.argv[2]
with tempfile.TemporaryDirectory() as tmp:
    subprocess.run(f"docker save {ref} | tar -x -C {tmp}", shell=True, check=True)
    manifest = json.load(open(f"{tmp}/manifest.json"))
    config = json.load(open(f"{tmp}/{manifest[0]['Config']}"))
    config["created"] = created
    blob = json.dumps(config).encode()
    name = hashlib.sha256(blob).hexdigest() + ".json"
    open(f"{tmp}/{name}", "wb").write(blob)
    os.remove(f"{tmp}/{manifest[0]['Config']}")
    manifest[0]["Config"] = name
    json.dump(manifest, open(f"{tmp}/manifest.json", "w"))
    with tarfile.open(f"{tmp}.tar", "w") as tar:
        for entry in os.listdir(tmp):
            tar.add(f"{tmp}/{entry}", entry)
    subprocess.run(["docker", "load", "-i", f"{tmp}.tar"], check=True)
    os.remove(f"{tmp}.tar")
"""


def test_an_image_is_rebuilt_without_the_cache_for_current_packages(host, recipe):
    """An image younger than max_age is left alone; an older one with the
    same recipe is rebuilt without the cache, so its RUN step runs again
    (the apt-get layer of a real recipe), and so does images_refresh (force
    and nocache); force alone takes the cached steps."""
    first = build(host)
    young = build(host, max_age=1)
    assert not young["changed"] and not young["refreshed"], young
    assert young["diff"]["before"]["created"].startswith("20"), young["diff"]
    cached = build(host, force=True)
    assert cached["image"]["id"] == first["image"]["id"], "a cached rebuild is the same image"

    with host.sudo():
        host.run_test(
            "python3 -c %s pifleet-test/recipe:latest 2020-01-01T00:00:00Z",
            AGE_IMAGE,
        )
    aged = build(host, max_age=30)
    assert aged["changed"] and aged["refreshed"], aged
    assert aged["diff"]["before"]["created"].startswith("2020-01-01"), aged["diff"]
    assert aged["hash"] == first["hash"]
    assert aged["image"]["id"] != first["image"]["id"], "the RUN step ran from the cache"
    assert not build(host, max_age=30)["changed"], "a fresh build is rebuilt again"

    refreshed = build(host, force=True, nocache=True)
    assert refreshed["changed"] and refreshed["hash"] == first["hash"]
    assert refreshed["image"]["id"] not in (first["image"]["id"], aged["image"]["id"])


def test_base_mapping_and_missing_arch(host, recipe):
    mapped = build(host, base_images={"debian": {"x86_64": "debian", "aarch64": "arm64v8/debian"}})
    assert mapped["bases"][0]["image"] == "debian:bookworm-slim"
    with pytest.raises(ModuleFailed) as err:
        build(host, base_images={"debian": {"aarch64": "arm64v8/debian"}})
    message = err.value.result["msg"]
    assert "line 1" in message and "FROM debian:bookworm-slim" in message
    assert "x86_64" in message


def test_failing_step_returns_the_log_tail(host, recipe):
    with host.sudo():
        host.run_test(
            f"printf 'FROM debian:bookworm-slim\\nRUN echo tell-me-why; exit 3\\n' "
            f"> {recipe}/Dockerfile"
        )
    with pytest.raises(ModuleFailed) as err:
        build(host)
    result = err.value.result
    assert "returned a non-zero code: 3" in result["msg"]
    assert "tell-me-why" in result["build_log"]


def test_clear_errors(host, recipe):
    with pytest.raises(ModuleFailed) as err:
        build(host, dockerfile="Nope.Dockerfile")
    assert "does not exist" in err.value.result["msg"]
    with pytest.raises(ModuleFailed) as err:
        build(host, docker_host="unix:///run/nothing-here.sock")
    assert "Cannot reach the Docker Engine" in err.value.result["msg"]
    with pytest.raises(ModuleFailed) as err:
        build(host, base_images={"debian": "pifleet-test/not-here:1"})
    assert "not on this node and pull is 'never'" in err.value.result["msg"]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"images_build_parallel": 0}, "images_build_parallel must be 1 or more, got 0"),
        ({"images_build_timeout": 5}, "images_build_timeout must be 60 seconds or more, got 5"),
        ({"images_max_age_days": -1}, "images_max_age_days must be 0 or more, got -1"),
    ],
)
def test_bad_build_settings_are_refused_before_any_change(host, extra, message, converge_again):
    if host.backend.get_hostname() != "pi1":
        pytest.skip("the check runs once for the play")
    run = converge_again("-e", json.dumps(extra))
    assert run.rc != 0
    assert message in run.output, run.output[-3000:]
    assert run.changed and set(run.changed.values()) == {0}, run.output[-3000:]
