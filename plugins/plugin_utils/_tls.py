# Copyright: pifleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A self-signed certificate and its key, made in the controller's memory
(the caddy role's internal CA, the images role's registry certificate and
the fleet's client identity for it)."""

from __future__ import annotations

import datetime
import hashlib
import hmac
import ipaddress

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


def san_entry(name: str) -> x509.GeneralName:
    """``10.0.0.5`` or ``[fd00::5]`` -> an IP entry, anything else a DNS one
    (a client checks an address against IP entries only)."""
    try:
        return x509.IPAddress(ipaddress.ip_address(name.strip("[]")))
    except ValueError:
        return x509.DNSName(name)


def subtree(entry: str) -> x509.GeneralName:
    """A name constraint: ``10.0.0.0/8`` or ``fd00::/8`` (an address alone is
    its own /32 or /128) -> an IP subtree, anything else a DNS one (``lan``
    permits ``lan`` and every name under it)."""
    try:
        return x509.IPAddress(ipaddress.ip_network(entry.strip("[]"), strict=False))
    except ValueError:
        return x509.DNSName(entry.lower().rstrip("."))


def constraints(pem: str) -> tuple[list[str], list[str]] | None:
    """The DNS names and IP networks a CA certificate permits below it, None
    when it has no name constraints (it may vouch for any name)."""
    certificate = x509.load_pem_x509_certificate(pem.encode())
    try:
        extension = certificate.extensions.get_extension_for_class(x509.NameConstraints)
    except x509.ExtensionNotFound:
        return None
    permitted = extension.value.permitted_subtrees or []
    dns = [n.value for n in permitted if isinstance(n, x509.DNSName)]
    nets = [str(n.value) for n in permitted if isinstance(n, x509.IPAddress)]
    return dns, nets


def permits(dns: list[str], nets: list[str], name: str) -> bool:
    """Whether a name (a DNS name or an address) falls in the permitted subtrees."""
    try:
        address = ipaddress.ip_address(name.strip("[]"))
    except ValueError:
        lowered = name.lower().rstrip(".")
        return any(lowered == d or lowered.endswith("." + d) for d in dns)
    return any(address in ipaddress.ip_network(n) for n in nets)


_USAGES = (
    "digital_signature",
    "content_commitment",
    "key_encipherment",
    "data_encipherment",
    "key_agreement",
    "key_cert_sign",
    "crl_sign",
    "encipher_only",
    "decipher_only",
)


def key_usage(**wanted: bool) -> x509.KeyUsage:
    """KeyUsage with only the ``wanted`` bits set (x509 wants all nine named)."""
    return x509.KeyUsage(**{name: wanted.get(name, False) for name in _USAGES})


def pem(key, certificate: x509.Certificate) -> tuple[str, str]:
    """(private key PEM, unencrypted PKCS#8; certificate PEM)."""
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return key_pem, certificate.public_bytes(serialization.Encoding.PEM).decode()


def self_signed(
    common_name: str,
    names: list[str],
    *,
    ca: bool,
    days: int,
    now: datetime.datetime | None = None,
    permitted: list[str] | None = None,
    path_length: int | None = None,
) -> tuple[str, str]:
    """(private key PEM, certificate PEM): an ECDSA P-256 key and a certificate
    signed by it, valid ``days`` from now. ``ca``: a root that signs others
    (as Caddy's own), only for the ``permitted`` names (a critical name
    constraint) and through at most ``path_length`` intermediates, when given;
    else a server certificate for ``names``."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    start = now or datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        # An hour back: a node whose clock is a little behind still accepts it.
        .not_valid_before(start - datetime.timedelta(hours=1))
        .not_valid_after(start + datetime.timedelta(days=days))
        .add_extension(
            x509.BasicConstraints(ca=ca, path_length=path_length if ca else None), critical=True
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    if ca:
        usage = key_usage(key_cert_sign=True, crl_sign=True)
        if permitted:
            builder = builder.add_extension(
                x509.NameConstraints([subtree(p) for p in permitted], None), critical=True
            )
    else:
        usage = key_usage(digital_signature=True)
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
    builder = builder.add_extension(usage, critical=True)
    if names:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([san_entry(name) for name in names]), critical=False
        )
    certificate = builder.sign(key, hashes.SHA256())
    return pem(key, certificate)


# A client identity must come out the same on every run (the registry is
# configured with its certificate), so nothing in it may depend on the time.
CLIENT_NOT_BEFORE = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)
# RFC 5280's "no well-defined expiration date".
CLIENT_NOT_AFTER = datetime.datetime(9999, 12, 31, 23, 59, 59, tzinfo=datetime.UTC)


def client_identity(seed: str, common_name: str) -> tuple[str, str]:
    """(private key PEM, certificate PEM) of a TLS client, derived from
    ``seed``: the same seed and name give the same key and the same
    certificate byte for byte (Ed25519 signs deterministically; serial and
    dates are fixed), so whoever can read the seed can lend the identity
    again without storing its key anywhere. The certificate is self-signed,
    for client authentication only, and is its own trust anchor: the server
    trusts exactly it."""
    if not seed:
        raise ValueError("a client identity needs a non-empty seed")
    secret = hmac.new(
        seed.encode(), b"pifleet.swarm client identity\0" + common_name.encode(), hashlib.sha256
    ).digest()
    key = ed25519.Ed25519PrivateKey.from_private_bytes(secret)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    serial = int.from_bytes(hashlib.sha256(b"serial\0" + secret).digest()[:19], "big") | 1
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(CLIENT_NOT_BEFORE)
        .not_valid_after(CLIENT_NOT_AFTER)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(key_usage(digital_signature=True), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .sign(key, None)
    )
    return pem(key, certificate)
