"""images_distribution: registry, as converge's second play left it: pi1 built
pifleet-test/hello:1 and pushed it to the registry the role runs on the Swarm
(on pi1); pi2 and pi3 pulled it. Then what a user would do next."""

import json
import re

import pytest

from plugins.plugin_utils._tls import client_identity

HASH = "org.pifleet.arm_image.hash"
REF = "pifleet-test/hello:1"


def labels(host, ref):
    out = host.run(f"docker image inspect {ref}")
    assert out.rc == 0, f"{ref} missing on {host.backend.get_hostname()}: {out.stderr}"
    return json.loads(out.stdout)[0]["Config"]["Labels"]


def test_every_node_holds_the_build_under_its_own_name(host):
    builder = host.get_host("ansible://pi1", ansible_inventory=host.backend.ansible_inventory)
    with builder.sudo():
        built = labels(builder, REF)[HASH]
    with host.sudo():
        assert labels(host, REF)[HASH] == built
        assert host.check_output(f"docker run --rm {REF}") == "hello from the fleet's registry"
        # Only the stacks' name stays: the per-build registry names are dropped.
        names = host.check_output("docker image ls --format '{{.Repository}}:{{.Tag}}'")
        assert ":5000/" not in names


def test_the_registry_runs_on_the_manager_with_a_trusted_certificate(host):
    with host.sudo():
        trust = host.check_output("ls /etc/docker/certs.d")
        assert re.fullmatch(r"[0-9.]+:5000", trust), trust
        crt = host.file(f"/etc/docker/certs.d/{trust}/ca.crt")
        assert crt.exists and crt.mode == 0o644
        assert "BEGIN CERTIFICATE" in crt.content_string
        if host.backend.get_hostname() != "pi1":
            return
        service = json.loads(host.check_output("docker service inspect pifleet-registry"))[0]
        assert service["Spec"]["TaskTemplate"]["ContainerSpec"]["Image"] == "pifleet/registry:2"
        running = host.check_output(
            "docker service ps pifleet-registry --filter desired-state=running "
            "--format '{{.Node}} {{.CurrentState}}'"
        )
        assert running.startswith("pi1 Running"), running
        # The registry speaks TLS with that certificate, for that address,
        # and answers no client without the fleet's identity: the handshake
        # gets as far as the client certificate, then fails.
        script = (
            "import ssl, sys, urllib.request; "
            "c = ssl.create_default_context(cafile=sys.argv[1]); "
            "print(urllib.request.urlopen(sys.argv[2], context=c).read().decode())"
        )
        catalog = host.run(
            f'python3 -c "{script}" /etc/docker/certs.d/{trust}/ca.crt https://{trust}/v2/_catalog'
        )
        assert catalog.rc != 0, catalog.stdout
        assert re.search(r"CERTIFICATE_REQUIRED|BAD_CERTIFICATE|bad certificate", catalog.stderr), (
            catalog.stderr
        )


def test_the_key_is_only_a_docker_secret(host):
    """The registry's private key never lands in a file on a node, and the
    fleet's client key, lent for a run, is gone once the run is over."""
    with host.sudo():
        found = host.run(
            "grep -rl 'PRIVATE KEY' /etc/docker /var/lib/pifleet /root /home /run 2>/dev/null"
        )
        assert found.stdout.strip() == "", found.stdout
        lent = host.run("ls -A /run/pifleet-registry /etc/docker/certs.d/*/client.*")
        assert lent.stdout.strip() == "", lent.stdout


def test_no_engine_can_write_to_the_registry_between_runs(host):
    """Each node's engine trusts the registry, but between runs none holds the
    fleet's client identity: a push (the first thing someone on the LAN would
    try, with any engine) is refused at the TLS handshake. Before, anyone who
    trusted the certificate, or skipped the check, could push and delete."""
    if host.backend.get_hostname() != "pi2":
        pytest.skip("one node is enough")
    with host.sudo():
        registry = host.check_output("ls /etc/docker/certs.d")
        intruder = f"{registry}/pifleet-test/hello:intruder"
        host.run_test(f"docker tag {REF} {intruder}")
        push = host.run(f"docker push {intruder}")
        host.run_test(f"docker rmi {intruder}")
    assert push.rc != 0, push.stdout
    assert "bad certificate" in push.stderr + push.stdout, push.stderr


@pytest.fixture
def pi3_lost_its_copy(host):
    if host.backend.get_hostname() != "pi3":
        pytest.skip("one node is enough")
    with host.sudo():
        host.run_test(f"docker rmi {REF}")
    return host


def test_a_node_that_lost_the_image_pulls_it_again(pi3_lost_its_copy, converge_again):
    host = pi3_lost_its_copy
    run = converge_again()
    assert run.rc == 0, run.output[-3000:]
    # Only pi3 changes (pull, name, drop the registry name); the registry and
    # the builds on it were left as they were.
    changed = run.changed
    assert changed["pi3"] > 0 and changed["pi1"] == 0 and changed["pi2"] == 0, changed
    # The builds are up to date: one read each, no background job started.
    assert run.outcomes("Find the images out of date") == {"ok"}
    assert run.outcomes("Start the builds") == {"skipping"}
    with host.sudo():
        assert host.check_output(f"docker run --rm {REF}") == "hello from the fleet's registry"


@pytest.fixture
def forged(host):
    """A node that holds the fleet's identity (during a run, or someone who
    took it from a node) pushes another image under the build's registry
    tag, its labels (the hash label too) copied from the build. The identity
    is derived here as the role derives it, and lent to pi1's engine for the
    push only. pi3 lost its copy."""
    if host.backend.get_hostname() != "pi3":
        pytest.skip("one node is enough")
    builder = host.get_host("ansible://pi1", ansible_inventory=host.backend.ansible_inventory)
    with builder.sudo():
        registry = builder.check_output("ls /etc/docker/certs.d")
        token = builder.check_output("docker swarm join-token -q manager")
        key, cert = client_identity(token, "pifleet.swarm registry client")
        certs = f"/etc/docker/certs.d/{registry}"
        build = json.loads(builder.check_output(f"docker image inspect {REF}"))[0]
        remote = f"{registry}/{REF}-{build['Config']['Labels'][HASH][:12]}"
        builder.run_test(
            f"printf 'FROM {REF}\\nLABEL org.pifleet.test=forged\\n'"
            f" | docker build --quiet -t {remote} -"
        )
        forgery = builder.check_output(f"docker image inspect --format '{{{{.Id}}}}' {remote}")
        builder.run_test(
            f"mkdir -m 0700 /run/forger && printf '%s' '{cert}' > /run/forger/client.cert"
            f" && (umask 077 && printf '%s' '{key}' > /run/forger/client.key)"
            f" && ln -s /run/forger/client.cert /run/forger/client.key {certs}/"
        )
        try:
            builder.run_test(f"docker push {remote} && docker rmi {remote}")
        finally:
            builder.run(f"rm -rf /run/forger {certs}/client.cert {certs}/client.key")
    with host.sudo():
        host.run_test(f"docker rmi {REF}")
    return build["Id"], forgery


def test_a_forged_build_in_the_registry_is_pushed_over_not_pulled(host, forged, converge_again):
    """The builder sees that the manifest under the build's tag names another
    image than its own and pushes the build again; pi3 pulls it by the
    digest of the manifest it checked. Before, the builder saw a manifest
    there (HEAD 200) and pushed nothing, and pi3 pulled the forgery by tag."""
    built, forgery = forged
    assert built != forgery
    run = converge_again()
    assert run.rc == 0, run.output[-3000:]
    assert run.changed["pi1"] > 0, "the builder did not push its build again"
    with host.sudo():
        assert host.check_output(f"docker image inspect --format '{{{{.Id}}}}' {REF}") == built
        names = host.check_output("docker image ls --format '{{.Repository}}:{{.Tag}}'")
        assert ":5000/" not in names, names


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"images_registry_port": 70000}, "images_registry_port must be a TCP port (1-65535)"),
        ({"images_registry_service": "-bad name"}, "is not a valid Docker service name"),
        ({"images_registry_node": "nowhere"}, "images_registry_node 'nowhere' is not a host"),
    ],
)
def test_bad_registry_settings_are_refused_before_any_change(host, extra, message, converge_again):
    if host.backend.get_hostname() != "pi1":
        pytest.skip("the check runs once for the play")
    run = converge_again("-e", json.dumps({"images_distribution": "registry", **extra}))
    assert run.rc != 0
    assert message in run.output, run.output[-3000:]
    assert run.changed and set(run.changed.values()) == {0}, run.output[-3000:]


def test_check_mode_before_the_first_real_run_predicts_and_changes_nothing(host, converge_again):
    """A registry that does not exist yet (another name, another port): check
    mode predicts its certificate, service and every push and pull, fails on
    nothing, and leaves no trace."""
    if host.backend.get_hostname() != "pi1":
        pytest.skip("one play for the fleet")
    fresh = {"images_registry_service": "pifleet-registry-check", "images_registry_port": 5001}
    pi3 = host.get_host("ansible://pi3", ansible_inventory=host.backend.ansible_inventory)
    # The name gone (pi1 would build it again, pi3 pull it again), the image
    # kept under another name to put back after: a real run in its place
    # would cost a build and a pull and prove nothing more.
    kept = f"{REF}-kept"
    for node in (host, pi3):
        with node.sudo():
            node.run_test(f"docker tag {REF} {kept} && docker rmi {REF}")
    run = converge_again("--check", "-e", json.dumps(fresh))
    out = run.output
    assert run.rc == 0, out[-3000:]
    assert "would create the TLS certificate of the registry" in out
    assert "would start the registry service pifleet-registry-check" in out
    assert re.search(r"would push \S+:5001/pifleet-test/hello:1-[0-9a-f]{12}", out), out[-3000:]
    assert re.search(r"would pull \S+:5001/pifleet-test/hello:1-[0-9a-f]{12}", out), out[-3000:]
    with host.sudo():
        assert host.run("docker service inspect pifleet-registry-check").rc != 0
        assert host.run("docker config ls -q --filter name=pifleet-registry-check").stdout == ""
        assert host.run(f"docker image inspect {REF}").rc != 0
    with pi3.sudo():
        assert pi3.run(f"docker image inspect {REF}").rc != 0
    # Put back what the other tests expect.
    for node in (host, pi3):
        with node.sudo():
            node.run_test(f"docker tag {kept} {REF} && docker rmi {kept}")
