"""The demo site over HTTPS on every node, as a client on the LAN sees it."""

import os
import subprocess

import pytest

SITE = "demo.pifleet.lan"
CA = os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "root-ca.crt")


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


def test_http_redirects_to_https(host):
    code, _, _, _ = curl(host, "/", scheme="http")
    assert code in (301, 308)


def test_certificate_is_from_the_stack_ca(host):
    # --cacert with only the stack's root: curl fails unless the chain ends there.
    code, *_ = curl(host, "/")
    assert code == 200


@pytest.mark.parametrize("service", ["web_caddy", "web_php"])
def test_services_converged(host, service):
    if host.backend.get_hostname() != "pi1":
        pytest.skip("asked of the manager")
    with host.sudo():
        fmt = "'{{.Replicas}}'"
        out = host.check_output(f"docker service ls --filter name={service} --format {fmt}")
    running, _, wanted = out.partition("/")
    assert running == wanted.split()[0] and int(running) > 0


def test_admin_api_is_not_published(host):
    address = host.ansible.get_variables()["ansible_host"]
    out = subprocess.run(
        ["curl", "-sS", "--max-time", "3", f"http://{address}:2019/config/"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode != 0
