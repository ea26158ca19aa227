# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The certificate filters on real certificates, read by community.crypto's x509_certificate_info filter."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import ipaddress

import pytest

from ansible.errors import AnsibleFilterError
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from ansible_collections.community.crypto.plugins.filter.x509_certificate_info import x509_certificate_info_filter
from ansible_collections.ecss.callapi.plugins.filter.certificate import (
    certificate_chain_problems,
    certificate_expiry,
    certificate_renew_reasons,
    certificate_uncovered_names,
    certificate_wanted_sans,
)

NOW = datetime.datetime(2026, 6, 1, 12, 0, tzinfo=datetime.timezone.utc)
DAY = datetime.timedelta(days=1)
NAMES = ["node1", "10.0.0.5", "ecss.example.test"]


def _name(common_name):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def issue(subject_key, common_name, sans=(), issuer=None, not_after_days=397, ca=False):
    """x509_certificate_info of a new certificate; ``issuer`` is (key, info) or None for self-signed."""
    issuer_key, issuer_name = (issuer[0], _name(issuer[1]["subject"]["commonName"])) if issuer else (
        subject_key, _name(common_name))
    builder = (x509.CertificateBuilder().subject_name(_name(common_name)).issuer_name(issuer_name)
               .public_key(subject_key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(NOW - DAY).not_valid_after(NOW + not_after_days * DAY)
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(subject_key.public_key()), critical=False)
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
                              critical=False))
    entries = [x509.IPAddress(ipaddress.ip_address(n)) if n[0].isdigit() else x509.DNSName(n) for n in sans]
    if entries:
        builder = builder.add_extension(x509.SubjectAlternativeName(entries), critical=False)
    pem = builder.sign(issuer_key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)
    return x509_certificate_info_filter(pem)


@pytest.fixture(scope="module")
def keys():
    return {"ecc": ec.generate_private_key(ec.SECP256R1()), "p384": ec.generate_private_key(ec.SECP384R1()),
            "rsa": rsa.generate_private_key(public_exponent=65537, key_size=2048),
            "ca": ec.generate_private_key(ec.SECP384R1()), "other_ca": ec.generate_private_key(ec.SECP384R1())}


def reasons(info, **keywords):
    arguments = dict(names=NAMES, renew_days=30, now=NOW)
    arguments.update(keywords)
    return certificate_renew_reasons(info, **arguments)


# -- wanted SANs --------------------------------------------------------------------------
def test_wanted_sans_keep_order_and_normalise():
    assert certificate_wanted_sans(["Node1.", "10.0.0.5", "::1", "node1", "[::1]", "*.Example.test"]) == [
        "DNS:node1", "IP:10.0.0.5", "IP:::1", "DNS:*.example.test"]


@pytest.mark.parametrize("names", [[], "node1", None, ["node 1"], ["node1;evil"], [""], [5], ["-node.example"],
                                   ["*.com"], ["a" * 64 + ".example"], ["node1/x"], ["$(id)"]])
def test_wanted_sans_reject_what_is_not_a_name_or_address(names):
    with pytest.raises(AnsibleFilterError, match="certificate_wanted_sans"):
        certificate_wanted_sans(names)


# -- uncovered names ----------------------------------------------------------------------
def test_uncovered_names_follow_rfc_6125_wildcards_and_compare_addresses_as_addresses():
    sans = ["DNS:*.example.com", "IP:10.0.0.5", "IP:0:0:0:0:0:0:0:1"]
    assert certificate_uncovered_names(
        sans, ["a.example.com", "a.b.example.com", "example.com", "10.0.0.5", "::1", "10.0.0.6"]) == [
        "a.b.example.com", "example.com", "10.0.0.6"]


def test_uncovered_names_take_a_certificate_info_and_a_single_name(keys):
    info = issue(keys["ecc"], "node1", ["node1", "10.0.0.5"])
    assert certificate_uncovered_names(info, "NODE1.") == []
    assert certificate_uncovered_names(info, ["ecss.example.test", "10.0.0.5"]) == ["ecss.example.test"]
    assert certificate_uncovered_names(issue(keys["ecc"], "node1"), ["node1"]) == ["node1"]


@pytest.mark.parametrize("certificate, names", [("DNS:x", ["x"]), ([1], ["x"]), (["DNS:x"], {"x": 1})])
def test_uncovered_names_reject_bad_input(certificate, names):
    with pytest.raises(AnsibleFilterError, match="certificate_uncovered_names"):
        certificate_uncovered_names(certificate, names)


# -- chain --------------------------------------------------------------------------------
def test_chain_in_order_has_no_problem_and_reversed_or_foreign_has(keys):
    ca = issue(keys["ca"], "Test CA", ca=True)
    leaf = issue(keys["ecc"], "node1", ["node1"], issuer=(keys["ca"], ca))
    assert certificate_chain_problems([leaf, ca]) == []
    assert certificate_chain_problems([leaf]) == []
    assert "is not issued by the next one" in certificate_chain_problems([ca, leaf])[0]
    same_name_other_key = issue(keys["other_ca"], "Test CA", ca=True)
    assert "authority key id" in certificate_chain_problems([leaf, same_name_other_key])[0]


@pytest.mark.parametrize("chain", [None, "pem", [["not", "a dict"]]])
def test_chain_problems_reject_bad_input(chain):
    with pytest.raises(AnsibleFilterError, match="certificate_chain_problems"):
        certificate_chain_problems(chain)


# -- expiry -------------------------------------------------------------------------------
def test_expiry_counts_whole_days_and_flags_renewal_and_expiry():
    assert certificate_expiry({"not_after": "20260711120000Z"}, 30, now=NOW) == {
        "not_after": "2026-07-11T12:00:00Z", "days_left": 40, "expired": False, "renew_due": False}
    assert certificate_expiry({"not_after": "20260621120000Z"}, "30", now="2026-06-01T12:00:00Z")["renew_due"]
    gone = certificate_expiry({"not_after": "20260531120000Z"}, now=NOW)
    assert gone["expired"] and gone["days_left"] == -1


def test_expiry_of_a_real_certificate(keys):
    info = issue(keys["ecc"], "node1", ["node1"], not_after_days=10)
    assert certificate_expiry(info, 30, now=NOW)["days_left"] == 10
    assert certificate_expiry(info, 30, now=NOW)["renew_due"]
    assert not certificate_expiry(info, 5, now=NOW)["renew_due"]


@pytest.mark.parametrize("certificate, renew_days, words", [
    ({}, 30, "not_after"), ("20260101000000Z", 30, "not_after"),
    ({"not_after": "next year"}, 30, "is not a time"), ({"not_after": "20260101000000Z"}, "soon", "renew_days"),
])
def test_expiry_rejects_bad_input(certificate, renew_days, words):
    with pytest.raises(AnsibleFilterError, match=words):
        certificate_expiry(certificate, renew_days, now=NOW)


# -- renew reasons ------------------------------------------------------------------------
def test_a_fitting_self_signed_certificate_is_kept(keys):
    assert reasons(issue(keys["ecc"], "node1", ["NODE1", "10.0.0.5", "ecss.example.test."])) == []


def test_each_reason_to_replace_a_self_signed_certificate(keys):
    fitting = ["node1", "10.0.0.5", "ecss.example.test"]
    assert reasons({}) == ["no certificate on the node"]
    assert reasons(issue(keys["ecc"], "node1", fitting), key_matches=False) == [
        "the key beside it is missing, unreadable or not its own"]
    assert reasons(issue(keys["ecc"], "node1", fitting[:2])) == ["names differ"]
    assert reasons(issue(keys["ecc"], "node1", fitting, not_after_days=20)) == ["renewal due"]
    assert reasons(issue(keys["ecc"], "node1", fitting, not_after_days=20), renew_days=10) == []
    assert reasons(issue(keys["p384"], "node1", fitting)) == ["key type differs"]
    assert reasons(issue(keys["p384"], "node1", fitting), key_curve="secp384r1") == []
    assert reasons(issue(keys["rsa"], "node1", fitting)) == ["key type differs"]
    assert reasons(issue(keys["rsa"], "node1", fitting), key_type="RSA", key_size=2048) == []
    assert reasons(issue(keys["rsa"], "node1", fitting), key_type="RSA", key_size=3072) == ["key type differs"]
    ca = issue(keys["ca"], "Test CA", ca=True)
    assert reasons(issue(keys["ecc"], "node1", fitting, issuer=(keys["ca"], ca))) == ["not self-signed"]


def test_own_ca_certificates_must_come_from_that_ca(keys):
    fitting = ["node1", "10.0.0.5", "ecss.example.test"]
    ca = issue(keys["ca"], "Test CA", ca=True)
    signed = issue(keys["ecc"], "node1", fitting, issuer=(keys["ca"], ca))
    assert reasons(signed, issuer=ca) == []
    other_ca = issue(keys["other_ca"], "Test CA", ca=True)
    assert reasons(signed, issuer=other_ca) == ["not signed by the CA"]
    assert reasons(issue(keys["ecc"], "node1", fitting), issuer=ca) == ["not signed by the CA"]
    # In check mode before the CA exists there is nothing to compare with.
    assert reasons(signed, issuer={}) == ["not signed by the CA"]


def test_several_reasons_at_once(keys):
    info = issue(keys["rsa"], "node1", ["node1"], not_after_days=1)
    assert reasons(info, key_matches=False) == [
        "the key beside it is missing, unreadable or not its own", "names differ", "renewal due", "key type differs"]


def test_renew_reasons_reject_bad_input():
    with pytest.raises(AnsibleFilterError, match="certificate_renew_reasons"):
        reasons("-----BEGIN CERTIFICATE-----")
    with pytest.raises(AnsibleFilterError, match="certificate_wanted_sans"):
        reasons({"not_after": "20270101000000Z", "subject_alt_name": []}, names=["bad name"])
