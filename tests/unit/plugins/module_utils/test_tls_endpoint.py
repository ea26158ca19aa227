# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Chain trust judges the chain only (dates and names are other checks); facts match x509_certificate_info."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import ipaddress

import pytest

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from ansible_collections.ecss.callapi.plugins.module_utils import tls_endpoint

NOW = datetime.datetime.now(datetime.timezone.utc)
DAY = datetime.timedelta(days=1)


def _name(common_name):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def make_ca(common_name="Test CA", not_before=NOW - 900 * DAY, not_after=NOW + 900 * DAY, issuer=None):
    key = ec.generate_private_key(ec.SECP256R1())
    signer_key, signer_name = (issuer[0], issuer[1].subject) if issuer else (key, _name(common_name))
    cert = (x509.CertificateBuilder().subject_name(_name(common_name)).issuer_name(signer_name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(not_before).not_valid_after(not_after)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(signer_key.public_key()), critical=False)
            .sign(signer_key, hashes.SHA256()))
    return key, cert


def make_leaf(ca, names=("node1", "127.0.0.1"), not_before=NOW - DAY, not_after=NOW + 90 * DAY, sans=True):
    key = ec.generate_private_key(ec.SECP256R1())
    builder = (x509.CertificateBuilder().subject_name(_name(names[0])).issuer_name(ca[1].subject)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(not_before).not_valid_after(not_after)
               .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
               .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca[0].public_key()), critical=False))
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(
            [x509.IPAddress(ipaddress.ip_address(n)) if n[0].isdigit() else x509.DNSName(n) for n in names]),
            critical=False)
    return builder.sign(ca[0], hashes.SHA256())


def der(cert):
    return cert.public_bytes(serialization.Encoding.DER)


def trust(chain, anchors):
    return tls_endpoint.chain_trust([der(c) for c in chain], [a[1] for a in anchors], "node1")


def test_a_chain_to_the_anchor_is_trusted_another_ca_is_not():
    ca, other = make_ca(), make_ca("Other CA")
    assert trust([make_leaf(ca)], [ca])["verified"] is True
    refused = trust([make_leaf(ca)], [other])
    assert refused["verified"] is False and refused["error"]


def test_dates_are_not_judged_here():
    ca = make_ca()
    expired = make_leaf(ca, not_before=NOW - 100 * DAY, not_after=NOW - DAY)
    not_yet = make_leaf(ca, not_before=NOW + DAY, not_after=NOW + 100 * DAY)
    assert trust([expired], [ca])["verified"] is True
    assert trust([not_yet], [ca])["verified"] is True


def test_intermediates_are_followed_and_required():
    root = make_ca("Root")
    intermediate = make_ca("Intermediate", issuer=root)
    leaf = make_leaf(intermediate)
    assert trust([leaf, intermediate[1]], [root])["verified"] is True
    assert trust([leaf], [root])["verified"] is False


def test_browser_rules_apply_a_leaf_without_subject_alt_name_is_refused():
    ca = make_ca()
    refused = trust([make_leaf(ca, sans=False)], [ca])
    assert refused["verified"] is False and "subjectAltName" in refused["error"]


def test_self_signed_leaf_is_not_trusted_by_an_unrelated_store():
    own = make_ca("node1")
    assert trust([own[1]], [make_ca()])["verified"] is False


def test_facts_look_like_x509_certificate_info():
    ca = make_ca()
    facts = tls_endpoint.certificate_facts(der(make_leaf(ca, names=("node1", "ecss.example.test", "127.0.0.1"))))
    assert facts["subject"] == {"commonName": "node1"} and facts["issuer"] == {"commonName": "Test CA"}
    assert facts["subject_alt_name"] == ["DNS:node1", "DNS:ecss.example.test", "IP:127.0.0.1"]
    assert len(facts["not_after"]) == 15 and facts["not_after"].endswith("Z")
    assert len(facts["fingerprints"]["sha256"].split(":")) == 32
    assert facts["self_signed"] is False


def test_bundle_loading_skips_what_it_cannot_read(tmp_path):
    ca = make_ca()
    bundle = tmp_path / "bundle.pem"
    bundle.write_bytes(b"-----BEGIN CERTIFICATE-----\nbroken\n-----END CERTIFICATE-----\n"
                       + ca[1].public_bytes(serialization.Encoding.PEM))
    description, anchors = tls_endpoint.load_trust(str(bundle))
    assert anchors == [ca[1]] and "the given CA file" in description
    empty = tmp_path / "empty.pem"
    empty.write_text("nothing here\n")
    with pytest.raises(tls_endpoint.EndpointError, match="holds no PEM certificate"):
        tls_endpoint.load_trust(str(empty))


def test_visit_tells_where_it_failed():
    answer = tls_endpoint.visit("127.0.0.1", 9, "ecss.example.test", timeout=2)  # discard port: nothing listens
    assert answer["connected"] is False and answer["stage"] == "connect" and answer["http"] is None
