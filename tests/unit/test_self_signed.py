"""The self_signed action: what the certificates say, and that the key never
reaches the output, whatever the task's verbosity or no_log."""

import datetime
import ipaddress
import subprocess

import pytest
from ansible_collections.pifleet.swarm.plugins.plugin_utils._tls import (
    client_identity,
    constraints,
    permits,
    self_signed,
)
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tests.support import ansible

NOW = datetime.datetime(2026, 12, 5, tzinfo=datetime.UTC)


def _load(pair):
    key_pem, cert_pem = pair
    key = serialization.load_pem_private_key(key_pem.encode(), password=None)
    return key, x509.load_pem_x509_certificate(cert_pem.encode())


def test_a_root_ca_signs_others_and_itself():
    key, cert = _load(self_signed("pifleet sites root CA", [], ca=True, days=3650, now=NOW))
    assert cert.subject == cert.issuer
    assert cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is True
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.key_cert_sign and usage.crl_sign and not usage.digital_signature
    # Signed by its own key, which is the one returned.
    cert.verify_directly_issued_by(cert)
    assert key.public_key().public_numbers() == cert.public_key().public_numbers()
    assert cert.not_valid_after_utc - NOW == datetime.timedelta(days=3650)
    # A node whose clock is a little behind still accepts it.
    assert cert.not_valid_before_utc < NOW


@pytest.mark.parametrize(
    ("name", "entry"),
    [
        ("10.0.0.5", x509.IPAddress(ipaddress.ip_address("10.0.0.5"))),
        ("[fd00::5]", x509.IPAddress(ipaddress.ip_address("fd00::5"))),
        ("registry.lan", x509.DNSName("registry.lan")),
    ],
)
def test_a_server_certificate_names_its_address_as_clients_check_it(name, entry):
    _key, cert = _load(self_signed(name, [name], ca=False, days=1, now=NOW))
    assert cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert list(names) == [entry]
    usage = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(usage) == [ExtendedKeyUsageOID.SERVER_AUTH]


def test_each_call_makes_a_new_key():
    assert self_signed("a", [], ca=True, days=1)[0] != self_signed("a", [], ca=True, days=1)[0]


PLAYBOOK = """
- name: Make a certificate
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Make it (no no_log here on purpose)
      pifleet.swarm.self_signed:
        common_name: registry.lan
        subject_alt_name: [registry.lan]
      register: made

    - name: The registered result still holds both
      ansible.builtin.assert:
        that:
          - made.privatekey is search('BEGIN PRIVATE KEY')
          - made.certificate is search('BEGIN CERTIFICATE')
          - made is not changed
"""


def test_the_key_never_reaches_the_output(tmp_path):
    (tmp_path / "play.yml").write_text(PLAYBOOK)
    result = ansible.playbook(
        tmp_path / "play.yml",
        "-vvv",
        inventory="localhost,",
        env=ansible.checkout_env(),
        timeout=120,
    )
    assert result.rc == 0, result.output
    assert "PRIVATE KEY" not in result.output and "BEGIN CERTIFICATE" not in result.output
    assert "output has been hidden" in result.output


def test_a_common_name_x509_cannot_hold_is_refused_by_name(tmp_path):
    (tmp_path / "play.yml").write_text(
        PLAYBOOK.replace("common_name: registry.lan", "common_name: " + "a" * 65)
    )
    result = ansible.playbook(
        tmp_path / "play.yml", inventory="localhost,", env=ansible.checkout_env(), timeout=120
    )
    assert result.rc != 0
    assert "common_name must be 1 to 64 characters, got 65" in result.output, result.output


def _issue(issuer_key, issuer, subject, *, ca, san=None):
    """A certificate signed by issuer_key, as Caddy's local CA issues them:
    an intermediate (ca) below the root, a server certificate below that."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - datetime.timedelta(days=1))
        .not_valid_after(NOW + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if san:
        builder = builder.add_extension(x509.SubjectAlternativeName([san]), critical=False)
    return key, builder.sign(issuer_key, hashes.SHA256())


def _verify(tmp_path, root, chain, leaf):
    """openssl verify, as curl checks a site: the root trusted, the rest untrusted."""
    pem = serialization.Encoding.PEM
    (tmp_path / "root.pem").write_bytes(root.public_bytes(pem))
    (tmp_path / "chain.pem").write_bytes(b"".join(c.public_bytes(pem) for c in chain))
    (tmp_path / "leaf.pem").write_bytes(leaf.public_bytes(pem))
    when = str(int(NOW.timestamp()))
    argv = ["openssl", "verify", "-attime", when, "-CAfile", tmp_path / "root.pem"]
    argv += ["-untrusted", tmp_path / "chain.pem", tmp_path / "leaf.pem"]
    out = subprocess.run(argv, capture_output=True, text=True, check=False)
    return out.returncode == 0, out.stdout + out.stderr


LAN_ONLY = ["lan", "home.arpa", "192.168.0.0/16", "fd00::/8", "pi"]


@pytest.mark.parametrize(
    ("san", "trusted"),
    [
        (x509.DNSName("demo.pifleet.lan"), True),
        (x509.DNSName("lan"), True),
        (x509.DNSName("nas.home.arpa"), True),
        (x509.DNSName("pi"), True),
        (x509.IPAddress(ipaddress.ip_address("192.168.1.10")), True),
        (x509.IPAddress(ipaddress.ip_address("fd00::5")), True),
        (x509.DNSName("bank.example.com"), False),
        (x509.DNSName("evil-lan"), False),
        (x509.DNSName("pi.evil.com"), False),
        (x509.IPAddress(ipaddress.ip_address("8.8.8.8")), False),
    ],
)
def test_a_constrained_root_vouches_only_for_its_names(tmp_path, san, trusted):
    key_pem, cert_pem = self_signed(
        "root", [], ca=True, days=10, now=NOW, permitted=LAN_ONLY, path_length=1
    )
    root_key, root = _load((key_pem, cert_pem))
    inter_key, inter = _issue(root_key, root, "intermediate", ca=True)
    _, leaf = _issue(inter_key, inter, "site", ca=False, san=san)
    ok, out = _verify(tmp_path, root, [inter], leaf)
    assert ok == trusted, out
    if not trusted:
        assert "subtree violation" in out, out


def test_one_intermediate_at_most_below_the_root(tmp_path):
    root_key, root = _load(self_signed("root", [], ca=True, days=10, now=NOW, path_length=1))
    inter_key, inter = _issue(root_key, root, "intermediate", ca=True)
    deeper_key, deeper = _issue(inter_key, inter, "deeper", ca=True)
    _, leaf = _issue(deeper_key, deeper, "site", ca=False, san=x509.DNSName("a.lan"))
    assert _verify(tmp_path, root, [inter], _issue(inter_key, inter, "s", ca=False)[1])[0]
    ok, out = _verify(tmp_path, root, [inter, deeper], leaf)
    assert not ok and "path length" in out, out


def test_constraints_read_back():
    _, cert = self_signed("root", [], ca=True, days=1, now=NOW, permitted=LAN_ONLY)
    dns, nets = constraints(cert)
    assert dns == ["lan", "home.arpa", "pi"] and nets == ["192.168.0.0/16", "fd00::/8"]
    assert constraints(self_signed("root", [], ca=True, days=1, now=NOW)[1]) is None
    assert permits(dns, nets, "Demo.Pifleet.LAN.") and permits(dns, nets, "[fd00::1]")
    assert not permits(dns, nets, "example.com") and not permits(dns, nets, "10.0.0.1")


def test_constraints_on_a_server_certificate_are_refused(tmp_path):
    (tmp_path / "play.yml").write_text(
        PLAYBOOK.replace(
            "subject_alt_name: [registry.lan]",
            "subject_alt_name: [registry.lan]\n        name_constraints: [lan]",
        )
    )
    result = ansible.playbook(
        tmp_path / "play.yml", inventory="localhost,", env=ansible.checkout_env(), timeout=120
    )
    assert result.rc != 0
    assert "name_constraints and path_length apply to a CA only" in result.output, result.output


# Any secret string; deliberately not shaped like a join token, which drill 8
# searches every output and disk for.
SEED = "tests-only-seed-0123456789abcdef-not-a-join-token"


def test_a_client_identity_is_the_same_for_the_same_seed_and_name():
    """The registry is configured with the certificate and nodes are lent the
    key on every run: derived again, both must be identical."""
    assert client_identity(SEED, "pifleet-registry client") == client_identity(
        SEED, "pifleet-registry client"
    )
    other_seed = client_identity(SEED + "x", "pifleet-registry client")
    other_name = client_identity(SEED, "another client")
    mine = client_identity(SEED, "pifleet-registry client")
    assert len({mine[0], other_seed[0], other_name[0]}) == 3
    with pytest.raises(ValueError):
        client_identity("", "pifleet-registry client")


def test_a_client_identity_authenticates_a_client_and_nothing_else(tmp_path):
    key, cert = _load(client_identity(SEED, "pifleet-registry client"))
    assert isinstance(key, ed25519.Ed25519PrivateKey)
    assert key.public_key().public_bytes_raw() == cert.public_key().public_bytes_raw()
    cert.verify_directly_issued_by(cert)
    assert cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False
    usage = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(usage) == [ExtendedKeyUsageOID.CLIENT_AUTH]
    # As a server checks it, the certificate its own anchor: good for a
    # client, refused as a server's (or anyone's CA).
    (tmp_path / "client.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    pem = str(tmp_path / "client.pem")

    def verify(purpose):
        argv = ["openssl", "verify", "-purpose", purpose, "-CAfile", pem, pem]
        return subprocess.run(argv, capture_output=True, text=True, check=False).returncode

    assert verify("sslclient") == 0
    assert verify("sslserver") != 0


CLIENT_PLAYBOOK = """
- name: Derive a client identity
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Derive it twice (no no_log here on purpose)
      pifleet.swarm.self_signed:
        common_name: pifleet-registry client
        client_seed: "{{ seed }}"
      register: made
      loop: [1, 2]

    - name: Both the same, and a client's
      ansible.builtin.assert:
        that:
          - made.results[0].privatekey == made.results[1].privatekey
          - made.results[0].certificate == made.results[1].certificate
          - made.results[0].privatekey is search('BEGIN PRIVATE KEY')
"""


def test_a_client_identity_and_its_seed_never_reach_the_output(tmp_path):
    (tmp_path / "play.yml").write_text(CLIENT_PLAYBOOK)
    result = ansible.playbook(
        tmp_path / "play.yml",
        "-vvv",
        "-e",
        f"seed={SEED}",
        inventory="localhost,",
        env=ansible.checkout_env(),
        timeout=120,
    )
    assert result.rc == 0, result.output
    assert "PRIVATE KEY" not in result.output and "BEGIN CERTIFICATE" not in result.output
    # The seed is on the command line (as -e), so only the task's output may not show it.
    assert result.output.count(SEED) <= 1, result.output


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("valid_days: 30", "takes a non-empty seed and common_name only, not valid_days"),
        ("ca: true", "takes a non-empty seed and common_name only, not ca"),
        ("subject_alt_name: [a.lan]", "not subject_alt_name"),
    ],
)
def test_a_client_identity_takes_nothing_that_would_change_it(tmp_path, extra, message):
    play = CLIENT_PLAYBOOK.replace(
        "      register: made\n      loop: [1, 2]", f"        {extra}\n      register: made"
    )
    (tmp_path / "play.yml").write_text(play)
    result = ansible.playbook(
        tmp_path / "play.yml",
        "-e",
        f"seed={SEED}",
        inventory="localhost,",
        env=ansible.checkout_env(),
        timeout=120,
    )
    assert result.rc != 0
    assert message in result.output, result.output
