#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ecss.callapi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: call_api_info
short_description: What the ECSS-10 Call API's TLS front serves to a browser, and whether the Call API answers
version_added: 0.1.0
description:
  - Connects to O(host):O(port) the way a browser that opens C(https://<server_name>:<port>/) does
    (SNI and C(Host) are O(server_name)), takes the certificate chain nginx sends, and asks for
    O(path) over the same connection.
  - Nothing is verified while connecting, so a wrong or expired certificate does not hide the HTTP
    answer. Instead the module returns the served chain (names, dates, fingerprints) and verifies it
    separately against O(ca_path) or the system's trusted CAs, with the rules browsers apply to
    web certificates (cryptography's web-PKI verifier), at a moment inside the chain's dates; whether
    the chain covers a given name and whether it has expired are other questions, answered by the
    filters P(ecss.callapi.certificate_uncovered_names#filter) and P(ecss.callapi.certificate_expiry#filter).
  - A connection or handshake failure is not a task failure; RV(error) and RV(stage) say what happened.
  - Usually run on the controller (C(delegate_to) C(localhost)), which is where it connects from.
author:
  - ecss.callapi contributors (@ecss)
requirements:
  - cryptography >= 42 (on the host that runs the module; older versions cannot verify the chain)
attributes:
  check_mode:
    description: Can run in check mode and return a prediction of C(changed) without changing anything.
    support: full
    details:
      - This module only reads; it runs the same in check mode.
  diff_mode:
    description: Returns details on what has changed (or would change in check mode) when run with C(--diff).
    support: N/A
    details:
      - This module only reads.
options:
  host:
    description: Address (or name) to connect to, e.g. the node's address.
    type: str
    required: true
  port:
    description: TLS port of the Call API (8088; 8089 from ECSS-10 3.16).
    type: int
    default: 8088
  server_name:
    description:
      - The name a browser uses (C(ecss_call_api_public_host)); sent as SNI (unless it is an address)
        and as the C(Host) header.
      - Default O(host).
    type: str
  path:
    description: Path asked for through the Call API's location. C(/) is the Call API's own test page.
    type: str
    default: /
  ca_path:
    description:
      - PEM file of the CAs to trust (for example the private CA's C(ca.crt)).
      - Default, the trusted CAs of the system that runs the module (C(/etc/ssl/certs/ca-certificates.crt) on Debian).
    type: path
  timeout:
    description: Seconds to wait for the connection, the handshake and the answer.
    type: float
    default: 10
"""

EXAMPLES = r"""
- name: What does node ecss1 serve to browsers that use ecss.example.com?
  ecss.callapi.call_api_info:
    host: 10.0.0.5
    port: 8088
    server_name: ecss.example.com
    ca_path: "{{ playbook_dir }}/ecss-call-api-ca/ca.crt"
  delegate_to: localhost
  register: served

- name: Say when nginx answers but the Call API behind it does not
  ansible.builtin.debug:
    msg: "the Call API service is down ({{ served.http.status }} from nginx)"
  when: served.http.status | default(0) in [502, 504]
"""

RETURN = r"""
connected:
  description: Whether the TCP connection was made.
  returned: always
  type: bool
stage:
  description: Where it went wrong, C(connect), C(tls) or C(http); null when everything answered.
  returned: always
  type: str
error:
  description: What went wrong, in words; null when everything answered.
  returned: always
  type: str
tls_version:
  description: The protocol the handshake agreed on.
  returned: always
  type: str
  sample: TLSv1.3
chain:
  description:
    - The certificates the server sent, leaf first, with the fields of
      M(community.crypto.x509_certificate_info) that describe them (and C(pem)).
  returned: always
  type: list
  elements: dict
  contains:
    subject:
      description: Subject, as a dict of attribute names.
      type: dict
    issuer:
      description: Issuer, as a dict of attribute names.
      type: dict
    subject_rfc4514:
      description: Subject as one string.
      type: str
    issuer_rfc4514:
      description: Issuer as one string.
      type: str
    self_signed:
      description: Whether subject and issuer are the same.
      type: bool
    subject_alt_name:
      description: C(DNS:name) and C(IP:address) entries.
      type: list
      elements: str
    not_before:
      description: Start of validity, C(YYYYMMDDHHMMSSZ).
      type: str
    not_after:
      description: End of validity, C(YYYYMMDDHHMMSSZ).
      type: str
    serial_number:
      description: Serial number.
      type: int
    fingerprints:
      description: C(sha256) fingerprint, colon-separated hex.
      type: dict
    pem:
      description: The certificate in PEM.
      type: str
trust:
  description: Whether the served chain leads to a trusted CA; null when nothing was served.
  returned: always
  type: dict
  contains:
    verified:
      description: True or false; null when this cryptography cannot verify.
      type: bool
    error:
      description: Why the chain is not trusted.
      type: str
    store:
      description: What was trusted.
      type: str
    verified_at:
      description: The moment verified for (now, or the nearest moment inside the chain's dates).
      type: str
http:
  description: The HTTP answer through the Call API location; null when none came.
  returned: always
  type: dict
  contains:
    status:
      description: HTTP status code; 502 or 504 from nginx means the Call API service behind it is down.
      type: int
    reason:
      description: HTTP reason phrase.
      type: str
    server:
      description: The C(Server) header.
      type: str
"""

import ssl

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.ecss.callapi.plugins.module_utils.tls_endpoint import (
    CRYPTOGRAPHY_IMPORT_ERROR,
    EndpointError,
    certificate_facts,
    chain_trust,
    load_trust,
    visit,
)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            host=dict(type="str", required=True),
            port=dict(type="int", default=8088),
            server_name=dict(type="str"),
            path=dict(type="str", default="/"),
            ca_path=dict(type="path"),
            timeout=dict(type="float", default=10.0),
        ),
        supports_check_mode=True,
    )
    if CRYPTOGRAPHY_IMPORT_ERROR is not None:
        module.fail_json(msg=missing_required_lib("cryptography"), exception=str(CRYPTOGRAPHY_IMPORT_ERROR))
    params = module.params
    if not 1 <= params["port"] <= 65535:
        module.fail_json(msg="port must be from 1 to 65535, got %d" % params["port"])
    if not params["path"].startswith("/") or any(c.isspace() or ord(c) < 32 for c in params["path"]):
        module.fail_json(msg="path must start with / and hold no blank or control character")
    if params["timeout"] <= 0:
        module.fail_json(msg="timeout must be a positive number of seconds")
    server_name = params["server_name"] or params["host"]
    try:
        store, anchors = load_trust(params["ca_path"])
    except EndpointError as exc:
        module.fail_json(msg=str(exc))

    answer = visit(params["host"], params["port"], server_name, params["path"], params["timeout"])
    chain = []
    for der in answer["chain"]:
        facts = certificate_facts(der)
        facts["pem"] = ssl.DER_cert_to_PEM_cert(der)
        chain.append(facts)
    trust = None
    if answer["chain"]:
        trust = dict(chain_trust(answer["chain"], anchors, server_name), store=store)
    module.exit_json(
        changed=False,
        connected=answer["connected"],
        stage=answer["stage"],
        error=answer["error"],
        tls_version=answer["tls_version"],
        chain=chain,
        trust=trust,
        http=answer["http"],
    )


if __name__ == "__main__":
    main()
