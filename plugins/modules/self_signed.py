#!/usr/bin/python
# Copyright: pifleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Documentation of the self_signed action (the work is done on the controller)."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: self_signed
short_description: Make a key and a self-signed certificate in the controller's memory
version_added: 0.1.0
description:
  - Makes an ECDSA P-256 private key and a certificate it signs itself, on
    the controller, in memory; nothing is written to disk there, and no host
    is contacted. Meant to be handed straight to a Docker secret (the key)
    and a Docker config (the certificate), as the caddy role does with its
    internal CA and the images role with its registry's certificate.
  - With O(client_seed), derives a TLS client's Ed25519 key and certificate
    from that secret instead. The same seed and O(common_name) give the same
    key and certificate byte for byte, so the identity can be lent to hosts
    on every run without being stored anywhere, and a server configured with
    the certificate (as its only client CA) accepts exactly that client. The
    images role derives the fleet's identity for its registry from the
    Swarm's manager join token.
  - The result is hidden from output whatever the task says (as with
    C(no_log)), because it carries the private key.
author:
  - pifleet developers
options:
  common_name:
    description: The subject's and issuer's common name.
    type: str
    required: true
  subject_alt_name:
    description:
      - The names a client may reach the holder by. An IP address (also in
        brackets, V([fd00::5])) becomes an IP entry, anything else a DNS one.
    type: list
    elements: str
    default: []
  ca:
    description:
      - V(true) makes a root certificate that signs others (C(CA:TRUE),
        C(keyCertSign), C(cRLSign)); V(false) a server certificate
        (C(digitalSignature), C(serverAuth)).
    type: bool
    default: false
  valid_days:
    description:
      - Days the certificate is valid from now. Not with O(client_seed),
        whose certificate does not depend on the time (valid from 2000 on,
        with no expiry date).
    type: int
    default: 3650
  name_constraints:
    description:
      - With O(ca=true), the only names the CA may vouch for (a critical X.509
        name constraint, which browsers and OpenSSL enforce on every
        certificate below it). A network (V(192.168.0.0/16), V(fd00::/8)) or
        an address permits addresses, anything else a DNS name and every name
        under it (V(lan) permits V(pi.lan)). An empty list permits any name.
    type: list
    elements: str
    default: []
  path_length:
    description:
      - With O(ca=true), how many intermediate CAs may stand between it and a
        server certificate (Caddy's local CA signs through one); without it, any number.
    type: int
  client_seed:
    description:
      - A secret to derive a client identity from (C(clientAuth) only, its
        own trust anchor). Takes O(common_name) and nothing else.
      - Whoever knows the seed can derive the key, so use a secret that already
        grants as much, such as a join token.
    type: str
attributes:
  action:
    support: full
    description: Runs on the controller only; no connection to the host is made.
  check_mode:
    support: full
    description: Changes nothing anywhere, so it runs the same in check mode.
  diff_mode:
    support: none
  idempotent:
    support: partial
    description:
      - Every run makes a new key; call it only when none is stored yet.
      - With O(client_seed), the same seed gives the same key and certificate.
seealso:
  - module: community.crypto.x509_certificate_pipe
"""

EXAMPLES = r"""
- name: Make the stack's internal CA
  pifleet.swarm.self_signed:
    common_name: pifleet sites root CA
    ca: true
  register: ca

- name: Keep the CA's key as a Docker secret
  community.docker.docker_secret:
    name: sites_root_key
    data: "{{ ca.privatekey }}"
  no_log: true

- name: Derive the fleet's client identity for its registry
  pifleet.swarm.self_signed:
    common_name: pifleet-registry client
    client_seed: "{{ swarm.swarm_facts.JoinTokens.Manager }}"
  register: client
"""

RETURN = r"""
privatekey:
  description: The private key, PEM (PKCS#8, unencrypted).
  returned: success
  type: str
certificate:
  description: The certificate, PEM.
  returned: success
  type: str
"""
