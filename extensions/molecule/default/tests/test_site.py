"""The demo site over HTTPS on every node, as a client on the LAN sees it."""

import json
import os
import shutil
import socket
import ssl
import subprocess
import threading
import time

import h3
import pytest
import testinfra
import testinfra.utils.ansible_runner
from cryptography import x509

from tests.support.ansible import adhoc, playbook

SITE = "demo.pifleet.lan"
# caddy_root_ca_dest in molecule.yml: the lab's own directory.
LAB_OUT = os.path.join(os.environ["MOLECULE_PROJECT_DIRECTORY"], "build", "lab")
CA = os.path.join(LAB_OUT, "pifleet-lab-mol-default", "root-ca.crt")


def curl(host, path, *extra, scheme="https"):
    address = host.ansible.get_variables()["ansible_host"]
    port = 443 if scheme == "https" else 80
    cmd = ["curl", "-sS", "--max-time", "10", "--resolve", f"{SITE}:{port}:{address}"]
    cmd += ["--cacert", CA, "-o", "-", "-w", "\n%{http_code}|%{content_type}|%{http_version}"]
    cmd += [*extra, f"{scheme}://{SITE}{path}"]
    out = subprocess.run(cmd, capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    body, _, meta = out.stdout.rpartition("\n")
    code, ctype, version = meta.split("|")
    return int(code), ctype, version, body


def test_php_page_runs_php_over_https(host):
    code, ctype, version, body = curl(host, "/")
    assert code == 200
    assert ctype.startswith("text/html")
    assert "Answered by" in body and "<?php" not in body
    assert version == "2"


def test_static_file_has_its_content_type(host):
    code, ctype, _, body = curl(host, "/style.css")
    assert code == 200
    assert ctype.startswith("text/css")
    assert "Raspberry red" in body


def test_dotfiles_are_never_served(host):
    # A .git or .env copied with a site (issue 18) answers 404, on every node.
    site = f"/srv/pifleet/sites/{SITE}"
    with host.sudo():
        host.run_expect([0], f"mkdir -p {site}/.git && echo SECRET=1 > {site}/.env")
        host.run_expect([0], f"echo ref > {site}/.git/HEAD")
    try:
        for path in ("/.env", "/.git/HEAD"):
            code, _, _, body = curl(host, path)
            assert code == 404 and "SECRET" not in body, (path, code)
        assert curl(host, "/style.css")[0] == 200
    finally:
        with host.sudo():
            host.run_expect([0], f"rm -rf {site}/.env {site}/.git")


def test_http3_answers_over_udp_with_the_stack_certificate(host):
    # QUIC on 443/udp (caddy_http3), verified against the stack's root only.
    address = host.ansible.get_variables()["ansible_host"]
    status, headers, body = h3.get(address, SITE, "/style.css", cafile=CA)
    assert status == 200
    assert headers[b"content-type"].startswith(b"text/css")
    assert b"Raspberry red" in body


def test_https_advertises_http3(host):
    # Browsers find HTTP/3 through Alt-Svc on their first HTTPS answer; -D -
    # puts the response headers ahead of the body.
    _, _, _, answer = curl(host, "/", "-D", "-")
    assert 'h3=":443"' in answer.lower(), answer[:2000]


def test_http_redirects_to_https(host):
    code, _, _, _ = curl(host, "/", scheme="http")
    assert code in (301, 308)


def test_certificate_is_from_the_stack_ca(host):
    # --cacert with only the stack's root: curl fails unless the chain ends there.
    code, *_ = curl(host, "/")
    assert code == 200


def test_the_root_vouches_for_lan_names_only(host):
    """The root clients trust carries a critical name constraint (LAN names
    and addresses; demo.pifleet.lan is under lan, and curl above checked the
    chain against it) and lets one intermediate, Caddy's, stand below it."""
    if host.backend.get_hostname() != "pi1":
        pytest.skip("one root for the stack")
    with open(CA, "rb") as f:
        root = x509.load_pem_x509_certificate(f.read())
    names = root.extensions.get_extension_for_class(x509.NameConstraints)
    assert names.critical
    permitted = {str(n.value) for n in names.value.permitted_subtrees}
    assert {"lan", "home.arpa", "192.168.0.0/16", "10.0.0.0/8", "fc00::/7"} <= permitted
    assert not {"com", "org", "0.0.0.0/0"} & permitted, permitted
    assert root.extensions.get_extension_for_class(x509.BasicConstraints).value.path_length == 1


@pytest.mark.parametrize("service", ["web_caddy", "web_php"])
def test_services_converged(host, service):
    if host.backend.get_hostname() != "pi1":
        pytest.skip("asked of the manager")
    with host.sudo():
        fmt = "'{{.Replicas}}'"
        out = host.check_output(f"docker service ls --filter name={service} --format {fmt}")
    running, _, wanted = out.partition("/")
    assert running == wanted.split()[0] and int(running) > 0
    # The pace molecule.yml sets (caddy_update_delay, caddy_update_monitor,
    # caddy_healthcheck_interval).
    with host.sudo():
        update = json.loads(host.check_output(f"docker service inspect {service}"))[0]
    pace = update["Spec"]["UpdateConfig"]
    assert (pace["Delay"], pace["Monitor"]) == (10**9, 5 * 10**9), pace
    health = update["Spec"]["TaskTemplate"]["ContainerSpec"]["Healthcheck"]
    assert health["Interval"] == 2 * 10**9, health
    # Placed only on nodes labelled as holding the site files (issue 18 item
    # 4), and every node is.
    placement = update["Spec"]["TaskTemplate"]["Placement"]["Constraints"]
    assert "node.labels.pifleet.caddy-sites.web == true" in placement, placement
    with host.sudo():
        fmt = "'{{ index .Spec.Labels \"pifleet.caddy-sites.web\" }}'"
        labels = host.check_output(f"docker node inspect --format {fmt} pi1 pi2 pi3 pi4")
    assert labels.split() == ["true"] * 4, labels


def test_admin_api_is_not_published(host):
    address = host.ansible.get_variables()["ansible_host"]
    out = subprocess.run(
        ["curl", "-sS", "--max-time", "3", f"http://{address}:2019/config/"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode != 0


def running(host, service):
    """`docker inspect` of this node's running containers of a stack service."""
    with host.sudo():
        ids = host.check_output(
            f"docker ps -q --filter label=com.docker.swarm.service.name={service}"
        ).split()
        return json.loads(host.check_output(f"docker inspect {' '.join(ids)}")) if ids else []


def status(host, container, *reader):
    """/proc/1/status of a container (its main process), read with its own tool."""
    with host.sudo():
        out = host.check_output(f"docker exec {container['Id']} {' '.join(reader)}")
    return dict(line.split(":\t", 1) for line in out.splitlines() if ":\t" in line)


PHP_READ = ("/usr/bin/php", "-r", "'echo file_get_contents(\"/proc/1/status\");'")
PHP_NET = ("/usr/bin/php", "-r", '\'echo implode(" ", scandir("/sys/class/net"));\'')
BACKEND = "web_backend_internal"  # the lab's kernel has no ESP: not encrypted


def test_caddy_keeps_only_the_power_to_bind_its_ports(host):
    """Every capability dropped but NET_BIND_SERVICE (bit 10), a read-only root."""
    caddy = running(host, "web_caddy")
    assert caddy, "no Caddy task runs on this node"
    for container in caddy:
        assert container["HostConfig"]["ReadonlyRootfs"], container["Name"]
        proc = status(host, container, "/bin/busybox", "cat", "/proc/1/status")
        assert int(proc["CapEff"], 16) == 1 << 10, proc["CapEff"]
        assert set(container["NetworkSettings"]["Networks"]) == {BACKEND, "web_edge"}


def test_php_fpm_runs_as_www_data_without_privileges_or_a_way_out(host):
    """No capability, uid 33 (master included), a read-only root, and one
    network interface: the internal backend's, none on docker_gwbridge."""
    php = running(host, "web_php")
    if not php:
        pytest.skip("no PHP-FPM task on this node (2 replicas on 4 nodes)")
    for container in php:
        assert container["HostConfig"]["ReadonlyRootfs"], container["Name"]
        proc = status(host, container, *PHP_READ)
        assert int(proc["CapEff"], 16) == 0, proc["CapEff"]
        assert proc["Uid"].split()[:2] == ["33", "33"], proc["Uid"]
        assert set(container["NetworkSettings"]["Networks"]) == {BACKEND}
        with host.sudo():
            links = host.check_output(f"docker exec {container['Id']} {' '.join(PHP_NET)}")
        assert sorted(links.split()) == [".", "..", "eth0", "lo"], links


def test_the_backend_is_internal(host):
    if host.backend.get_hostname() != "pi1":
        pytest.skip("asked of the manager")
    with host.sudo():
        backend = json.loads(host.check_output(f"docker network inspect {BACKEND}"))[0]
        names = host.check_output(
            "docker network ls -q --filter label=com.docker.stack.namespace=web"
            " --format '{{.Name}}'"
        ).split()
    assert backend["Internal"] and "encrypted" not in (backend["Options"] or {}), backend
    assert sorted(names) == [BACKEND, "web_edge"], names


# Changes, run once from the manager's test (they act on the whole stack).

# The stack alone, with the scenario's inventory (the earlier stages are done),
# by FQCN: from the collection as installed for this run.
CONVERGE = "pifleet.swarm.caddy"
DEMO = {"name": SITE, "src": "demo", "php": True}


def converge(host, extra):
    inventory = host.backend.ansible_inventory
    return playbook(CONVERGE, "-e", json.dumps(extra), inventory=inventory, timeout=None)


def nodes(host):
    inventory = host.backend.ansible_inventory
    names = testinfra.utils.ansible_runner.AnsibleRunner(inventory).get_hosts("all")
    return [testinfra.get_host(f"ansible://{n}", ansible_inventory=inventory) for n in names]


def addresses(host):
    return [node.ansible.get_variables()["ansible_host"] for node in nodes(host)]


def get(address, name, path="/"):
    """One HTTPS request to a node's address for `name` (SNI and Host), trusting only the CA."""
    context = ssl.create_default_context(cafile=CA)
    request = f"GET {path} HTTP/1.1\r\nHost: {name}\r\nConnection: close\r\n\r\n"
    with (
        socket.create_connection((address, 443), timeout=5) as raw,
        context.wrap_socket(raw, server_hostname=name) as tls,
    ):
        tls.sendall(request.encode())
        data = b""
        while chunk := tls.recv(65536):
            data += chunk
    return int(data.split(b" ", 2)[1]), data


@pytest.fixture
def manager(host):
    if host.backend.get_hostname() != "pi1":
        pytest.skip("changes to the stack run once, from the manager's test")
    return host


# Bad inputs to the stack are drill 7's cases (tests/drills/bad_inputs.py), run
# on this same fleet by `make test` after this verify step.


def test_broken_config_is_rejected_and_the_site_keeps_serving(manager):
    # Once Caddy's own validation stopped it; the e-mail with a newline that
    # put a global "admin 0.0.0.0:2019" into the Caddyfile (issue 18) passed
    # that. The role's rules now refuse both before any node changes.
    version = "docker service inspect web_caddy --format '{{.Version.Index}}'"
    with manager.sudo():
        before = manager.check_output(version)
    run = converge(manager, {"caddy_acme_email": "admin@example.org\nadmin 0.0.0.0:2019"})
    assert run.rc != 0
    assert "caddy_acme_email must be one e-mail address" in run.output
    with manager.sudo():
        after = manager.check_output(version)
    assert after == before, "the service must not have been touched"
    for address in addresses(manager):
        assert get(address, SITE)[0] == 200


VERSION = "docker service inspect web_caddy web_php --format '{{.Version.Index}}'"
REFUSING_IMAGE = "pifleet-test/caddy-refuses:1"


@pytest.fixture
def refusing_caddy(manager):
    """A Caddy image whose `caddy validate` refuses every Caddyfile, as a newer
    Caddy would refuse a directive an older one took: a refusal the role's
    input rules cannot foresee."""
    script = "echo Error: adapting config: refused by the test image >&2; exit 1"
    entrypoint = json.dumps(["/bin/busybox", "sh", "-c", script])
    dockerfile = f"FROM {CADDY_IMAGE}\\nENTRYPOINT {entrypoint}\\n"
    with manager.sudo():
        manager.run_test(f"printf '{dockerfile}' | docker build --quiet -t {REFUSING_IMAGE} -")
    yield REFUSING_IMAGE
    with manager.sudo():
        manager.run(f"docker image rm {REFUSING_IMAGE}")


def test_a_caddyfile_caddy_refuses_stops_every_run_before_the_deploy(manager, refusing_caddy):
    """Caddy's own validation is the last check, and it is skipped on a re-run
    only for a Caddyfile that the same image accepted: a refused one is not
    kept, so the next run with the same input is refused again rather than
    deployed."""
    with manager.sudo():
        before = manager.check_output(VERSION)
    for attempt in (1, 2):
        run = converge(manager, {"caddy_image": refusing_caddy})
        assert run.rc != 0, f"run {attempt} deployed a Caddyfile Caddy refused"
        assert "Caddy rejects the Caddyfile" in run.output, run.output[-3000:]
        assert "refused by the test image" in run.output
    with manager.sudo():
        assert manager.check_output(VERSION) == before, "the stack must not have been touched"


DEPLOY_TASK = "Deploy the stack (no registry is asked for images)"


CA_TASK = "Put it on the controller for clients to trust"
# What a deploy needs first; skipped when every service runs from this file.
PREPARE_TASKS = (
    "Keep the Caddyfile once the Caddy image accepts it",
    "Ship the Caddyfile as a content-named config",
    "Write the stack file",
)


def test_a_stack_not_deployed_from_this_file_is_deployed_again(manager, check_mode_run):
    """The converged stack is not deployed again: --check on the converged
    fleet (verify's check run, which takes the deploy decision as a re-run
    does, from the same read) skips the deploy. A service that does not run
    from the current stack file (a run cut off after writing it and before
    its deploy, an update Swarm rolled back) is deployed again, its
    Caddyfile validated, shipped and its stack file written first. The same
    holds for the root CA file on the controller: left alone when it holds
    the stack's root, written again when it does not."""
    for task in (DEPLOY_TASK, CA_TASK, *PREPARE_TASKS):
        assert check_mode_run.outcomes(task) == {"skipping"}, task
    with open(CA, encoding="utf-8") as handle:
        root = handle.read()
    with open(CA, "a", encoding="utf-8") as handle:
        handle.write("not the stack's root\n")
    label = "org.pifleet.caddy.stack"
    read = f"docker service inspect web_php --format '{{{{ index .Spec.Labels \"{label}\" }}}}'"
    with manager.sudo():
        digest = manager.check_output(read)
        manager.run_test(f"docker service update --quiet --label-add {label}=cut-off web_php")
    assert len(digest) == 16, digest
    again = converge(manager, {})
    assert again.rc == 0, again.output[-3000:]
    assert again.outcomes(DEPLOY_TASK) == {"changed"}
    for task in PREPARE_TASKS:
        assert again.outcomes(task) == {"ok"}, task
    with manager.sudo():
        assert manager.check_output(read) == digest
    assert again.outcomes(CA_TASK) == {"changed"}
    with open(CA, encoding="utf-8") as handle:
        assert handle.read() == root


@pytest.fixture
def hurried_site(tmp_path):
    """The demo site as a hurried user keeps a second one: a git checkout with
    a secret beside it, and a link to a file of its own (issue 18 item 15)."""
    src = tmp_path / "two"
    demo = os.path.join(os.environ["MOLECULE_PROJECT_DIRECTORY"], "roles/caddy/files/demo")
    shutil.copytree(demo, src)
    (src / ".env").write_text("DB_PASSWORD=two-site-secret\n")
    (src / ".git").mkdir()
    (src / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (src / "alias.css").symlink_to("style.css")
    return src


CADDY_IMAGE = "pifleet/caddy:2"


def image_id(node, ref=CADDY_IMAGE):
    with node.sudo():
        return node.check_output(f"docker image inspect --format '{{{{.Id}}}}' {ref}")


def caddy_runs(node):
    """The image id each running Caddy container of the stack on this node runs."""
    with node.sudo():
        names = node.check_output(
            "docker ps --filter label=com.docker.swarm.service.name=web_caddy --format '{{.ID}}'"
        ).split()
        return {node.check_output(f"docker inspect --format '{{{{.Image}}}}' {n}") for n in names}


@pytest.fixture
def upgraded(manager):
    """What an upgrade of the collection leaves: every node's pifleet/caddy:2
    replaced by a new build under the same tag (a recipe change; also what
    images_refresh does), and a network of the stack that the new release no
    longer names (the backend before it was internal). The new build stays:
    the same Caddy with one more label and the recipe's hash label, so the
    images role keeps it and later converges change nothing (rolling the old
    one back would cost a second rollout of every node)."""
    fleet = nodes(manager)
    for node in fleet:
        with node.sudo():
            node.run_test(
                f"printf 'FROM {CADDY_IMAGE}\\nLABEL org.pifleet.test=rebuilt\\n'"
                f" | docker build --quiet -t {CADDY_IMAGE} -"
            )
    with manager.sudo():
        manager.run_test(
            "docker network create -d overlay --label com.docker.stack.namespace=web web_backend"
        )
    return {n: image_id(n) for n in fleet}


def test_site_change_rolls_out_without_failed_requests(manager, hurried_site):
    """Add a site under light load: host-mode ports restart one node's Caddy at a
    time (stop-first), so the client does what browsers do with several
    addresses for a name: on a refused or reset connection it tries the next
    node. No request may fail on every node."""
    nodes = addresses(manager)
    outcomes = {"ok": 0, "retried": 0, "failed": 0}
    stop = threading.Event()

    def load():
        turn = 0
        deadline = time.monotonic() + 240  # bounded whatever happens
        while not stop.is_set() and time.monotonic() < deadline and sum(outcomes.values()) < 5000:
            turn += 1
            for attempt in range(len(nodes)):
                try:
                    status, _ = get(nodes[(turn + attempt) % len(nodes)], SITE, "/style.css")
                except OSError:
                    continue
                if status == 200:
                    outcomes["retried" if attempt else "ok"] += 1
                    break
            else:
                outcomes["failed"] += 1
            time.sleep(0.05)

    worker = threading.Thread(target=load)
    worker.start()
    try:
        two = {"name": "two.pifleet.lan", "src": str(hurried_site)}
        run = converge(manager, {"caddy_sites": [DEMO, two]})
    finally:
        stop.set()
        worker.join()
    assert run.rc == 0, run.output[-3000:]
    print(f"requests during the rollout: {outcomes}")
    assert outcomes["failed"] == 0, outcomes
    assert outcomes["ok"] > 0, outcomes
    for address in nodes:
        assert get(address, "two.pifleet.lan", "/style.css")[0] == 200
        assert get(address, "two.pifleet.lan", "/alias.css")[0] == 200
    site_files_stay_the_sources(manager, hurried_site)
    # The next test's converge brings the fleet back to the scenario's sites,
    # in the same roll as its new image (a roll of its own cost 40-50 s).


def test_an_upgrade_rolls_out_the_new_image_and_drops_the_old_network(manager, upgraded):
    """Only the image changed (rebuilt under the same tag): the next converge
    runs it on every node, where the stack alone (same tag, no registry
    asked) would keep the old. The network no service names is removed. The
    same converge is back at the scenario's sites: the site the test before
    added is no longer served."""
    run = converge(manager, {})
    assert run.rc == 0, run.output[-3000:]
    for address in addresses(manager):
        try:
            served = get(address, "two.pifleet.lan", "/style.css")[0] == 200
        except OSError:  # no certificate for a name Caddy no longer serves
            served = False
        assert not served, f"{address} still serves two.pifleet.lan"
    for node, new in upgraded.items():
        assert caddy_runs(node) == {new}, f"{node.backend.get_hostname()} runs the old image"
    with manager.sudo():
        assert manager.run("docker network inspect web_backend").rc != 0, "the old network stays"
        assert manager.run(f"docker network inspect {BACKEND}").rc == 0


def site_files_stay_the_sources(manager, src):
    """What the role copied for the second site: its files, the file its link
    points to, never its dot entries; and a file removed from src leaves
    every node on the next copy (through the same action and SSH)."""
    dest = "/srv/pifleet/sites/two.pifleet.lan"
    for node in nodes(manager):
        with node.sudo():
            assert not node.file(f"{dest}/.env").exists, node.backend.get_hostname()
            assert not node.file(f"{dest}/.git").exists
            alias = node.file(f"{dest}/alias.css")
            assert alias.is_file and not alias.is_symlink
            assert alias.content_string == (src / "style.css").read_text()
    (src / "alias.css").unlink()
    copy = json.dumps({"src": str(src), "dest": dest})
    args = ["-b", "-m", "pifleet.swarm.copy_tree", "-a", copy]
    inventory = manager.backend.ansible_inventory
    removed = adhoc("all", *args, inventory=inventory)
    assert removed.rc == 0, removed.output[-3000:]
    assert removed.output.count("CHANGED") == len(nodes(manager)), removed.output
    assert "two-site-secret" not in removed.output
    for node in nodes(manager):
        with node.sudo():
            assert not node.file(f"{dest}/alias.css").exists, node.backend.get_hostname()
            assert "alias.css" not in node.file(f"{dest}.shipped").content_string
    again = adhoc("all", *args, inventory=inventory)
    assert again.rc == 0 and "CHANGED" not in again.output, again.output
