"""The self_signed action: what the certificates say, and that the key never
reaches the output, whatever the task's verbosity or no_log."""

import datetime
import ipaddress

import pytest
from ansible_collections.pifleet.swarm.plugins.plugin_utils._tls import self_signed
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtendedKeyUsageOID

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
