# -*- coding: utf-8 -*-
# Copyright: ecss.callapi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a certificate must cover and why it no longer fits: names, chain order, expiry, renewal.

The inputs are the dicts community.crypto's ``x509_certificate_info`` (module or filter)
returns, so the same checks serve the call_api_tls role before it installs a certificate
and any read-only check of what a node has or serves. No key material passes through here.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import ipaddress
import re

from ansible.errors import AnsibleFilterError

# RFC 1123 labels (underscore tolerated: internal DNS has them), optional leading wildcard.
_DNS_LABEL = re.compile(r"^(?!-)[A-Za-z0-9_-]{1,63}(?<!-)$")
_ASN1_TIME = "%Y%m%d%H%M%SZ"


def _ip(value):
    try:
        return ipaddress.ip_address(value.strip("[]"))
    except ValueError:
        return None


def _dns_name(name, where):
    text = name.rstrip(".")
    labels = text.split(".")
    if labels[0] == "*" and len(labels) > 2:
        labels = labels[1:]
    if len(text) > 253 or not all(_DNS_LABEL.match(label) for label in labels):
        raise AnsibleFilterError("%s: %r is neither an IP address nor a DNS name" % (where, name))
    return text.lower()


def certificate_wanted_sans(names):
    """subjectAltName entries (``DNS:x`` / ``IP:y``) for DNS names and addresses, in order, without repeats."""
    if not isinstance(names, (list, tuple)) or not names:
        raise AnsibleFilterError("certificate_wanted_sans: expected a non-empty list of names and addresses, got %r"
                                 % (names,))
    sans = []
    for name in names:
        if not isinstance(name, str) or not name.strip():
            raise AnsibleFilterError("certificate_wanted_sans: %r is not a name or an address" % (name,))
        address = _ip(name.strip())
        entry = "IP:%s" % address if address else "DNS:%s" % _dns_name(name.strip(), "certificate_wanted_sans")
        if entry not in sans:
            sans.append(entry)
    return sans


def _sans_of(certificate, where):
    """The subjectAltName list of an x509_certificate_info result (or the list itself)."""
    if isinstance(certificate, dict):
        certificate = certificate.get("subject_alt_name") or []
    if not isinstance(certificate, (list, tuple)) or not all(isinstance(s, str) for s in certificate):
        raise AnsibleFilterError("%s: expected a certificate info dict or its subject_alt_name list, got %r"
                                 % (where, certificate))
    return list(certificate)


def _normalized_sans(sans):
    """DNS and IP entries written the way certificate_wanted_sans writes them; other kinds dropped."""
    normalized = set()
    for entry in sans:
        kind, _sep, value = entry.partition(":")
        address = _ip(value) if kind == "IP" else None
        if address:
            normalized.add("IP:%s" % address)
        elif kind == "DNS":
            normalized.add("DNS:%s" % value.lower().rstrip("."))
    return normalized


def _dns_covers(pattern, name):
    pattern, name = pattern.lower().rstrip("."), name.lower().rstrip(".")
    if pattern == name:
        return True
    # RFC 6125: a wildcard covers exactly one leftmost label.
    return pattern.startswith("*.") and "." in name and name.split(".", 1)[1] == pattern[2:]


def certificate_uncovered_names(certificate, names):
    """The names and addresses of ``names`` that the certificate's subjectAltNames do not cover."""
    sans = _sans_of(certificate, "certificate_uncovered_names")
    if isinstance(names, str):
        names = [names]
    if not isinstance(names, (list, tuple)):
        raise AnsibleFilterError("certificate_uncovered_names: names must be a list, got %r" % (names,))
    dns = [entry[4:] for entry in sans if entry.startswith("DNS:")]
    addresses = set(_ip(entry[3:]) for entry in sans if entry.startswith("IP:"))
    uncovered = []
    for name in names:
        name = str(name)
        address = _ip(name)
        covered = address in addresses if address else any(_dns_covers(pattern, name) for pattern in dns)
        if not covered:
            uncovered.append(name)
    return uncovered


def certificate_chain_problems(chain):
    """Why certificate infos (leaf first) are not a chain in order: each must be issued by the next."""
    if not isinstance(chain, (list, tuple)) or not all(isinstance(c, dict) for c in chain):
        raise AnsibleFilterError("certificate_chain_problems: expected a list of x509_certificate_info results, got %r"
                                 % (chain,))
    problems = []
    for position, (child, parent) in enumerate(zip(chain, chain[1:]), start=1):
        if child.get("issuer") != parent.get("subject"):
            problems.append("certificate %d (%s) is not issued by the next one in the file (%s)"
                            % (position, child.get("subject"), parent.get("subject")))
            continue
        aki, ski = child.get("authority_key_identifier"), parent.get("subject_key_identifier")
        if aki and ski and aki != ski:
            problems.append("certificate %d's authority key id %s does not match the next certificate's "
                            "subject key id %s" % (position, aki, ski))
    return problems


def _utc(value, where):
    if isinstance(value, datetime.datetime):
        return value if value.tzinfo else value.replace(tzinfo=datetime.timezone.utc)
    for layout in (_ASN1_TIME, "%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%M:%S"):
        try:
            return datetime.datetime.strptime(str(value), layout).replace(tzinfo=datetime.timezone.utc)
        except ValueError:
            continue
    raise AnsibleFilterError("%s: %r is not a time (YYYYMMDDHHMMSSZ or ISO 8601)" % (where, value))


def certificate_expiry(certificate, renew_days=0, now=None):
    """When the certificate expires, how many whole days are left, whether it has expired or is due for renewal."""
    if not isinstance(certificate, dict) or not certificate.get("not_after"):
        raise AnsibleFilterError("certificate_expiry: expected an x509_certificate_info result with not_after, got %r"
                                 % (certificate,))
    try:
        renew_days = int(renew_days)
    except (TypeError, ValueError):
        raise AnsibleFilterError("certificate_expiry: renew_days must be a number of days, got %r"
                                 % (renew_days,)) from None
    not_after = _utc(certificate["not_after"], "certificate_expiry")
    now = _utc(now, "certificate_expiry") if now else datetime.datetime.now(datetime.timezone.utc)
    left = not_after - now
    return {
        "not_after": not_after.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "days_left": left.days,
        "expired": left <= datetime.timedelta(0),
        "renew_due": left < datetime.timedelta(days=renew_days),
    }


def certificate_renew_reasons(certificate, names, renew_days, key_matches=True, key_type="ECC",
                              key_curve="secp256r1", key_size=3072, issuer=None, now=None):
    """Why a generated certificate must be replaced; empty while it still fits.

    ``certificate`` is the current certificate's info (empty when there is none),
    ``key_matches`` whether the key beside it is its own, ``issuer`` the info of the CA
    that must have signed it (None: it must be self-signed).
    """
    if not certificate:
        return ["no certificate on the node"]
    if not isinstance(certificate, dict):
        raise AnsibleFilterError("certificate_renew_reasons: expected an x509_certificate_info result, got %r"
                                 % (certificate,))
    reasons = []
    if not key_matches:
        reasons.append("the key beside it is missing, unreadable or not its own")
    if _normalized_sans(_sans_of(certificate, "certificate_renew_reasons")) != set(certificate_wanted_sans(names)):
        reasons.append("names differ")
    if certificate_expiry(certificate, renew_days, now)["renew_due"]:
        reasons.append("renewal due")
    key_data = certificate.get("public_key_data") or {}
    if (certificate.get("public_key_type") != key_type
            or (key_type == "ECC" and key_data.get("curve") != key_curve)
            or (key_type == "RSA" and int(key_data.get("size") or 0) != int(key_size))):
        reasons.append("key type differs")
    if issuer is None:
        if certificate.get("issuer") != certificate.get("subject"):
            reasons.append("not self-signed")
    elif (certificate.get("issuer") != issuer.get("subject")
          or certificate.get("authority_key_identifier") != issuer.get("subject_key_identifier")):
        reasons.append("not signed by the CA")
    return reasons


class FilterModule(object):

    def filters(self):
        return {
            "certificate_wanted_sans": certificate_wanted_sans,
            "certificate_uncovered_names": certificate_uncovered_names,
            "certificate_chain_problems": certificate_chain_problems,
            "certificate_expiry": certificate_expiry,
            "certificate_renew_reasons": certificate_renew_reasons,
        }
