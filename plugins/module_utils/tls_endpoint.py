# -*- coding: utf-8 -*-
# Copyright: ecss.callapi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a TLS front serves and whether a browser's trust store accepts it (no Ansible in here).

:func:`visit` opens one TLS connection the way a browser does (SNI = the name it was given),
takes the certificate chain the server sends, then asks for a page over the same connection.
Nothing is verified while connecting: the questions "is this chain trusted", "does it cover
the name", "has it expired" are answered separately, so each gets its own verdict.

:func:`chain_trust` verifies a served chain against trust anchors with cryptography's
web-PKI verifier (the rules browsers apply: subjectAltName, CA basic constraints, key
usage...), at a moment inside the chain's validity so that expiry stays a verdict of its own.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import hashlib
import ipaddress
import os
import socket
import ssl

try:
    from http.client import HTTPException, HTTPResponse
except ImportError:  # Python 2: the module refuses to run there (see the module's requirements).
    HTTPException = HTTPResponse = None

CRYPTOGRAPHY_IMPORT_ERROR = None
try:
    from cryptography import x509
except ImportError as exc:  # reported by the module with missing_required_lib
    CRYPTOGRAPHY_IMPORT_ERROR = exc

try:
    from cryptography.x509 import verification
except ImportError:  # cryptography < 42: no web-PKI verifier
    verification = None

ASN1_TIME = "%Y%m%d%H%M%SZ"
# Where Debian/Ubuntu, RHEL/Fedora, SUSE and Alpine keep the system's trusted CAs, after
# what OpenSSL itself was built to use.
SYSTEM_BUNDLES = (
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/ca-bundle.pem",
    "/etc/ssl/cert.pem",
)
RESPONSE_HEAD_LIMIT = 65536


class EndpointError(Exception):
    """Bad input (a trust file that cannot be read...), reported as the task's failure."""


def _utc_now():
    return datetime.datetime.now(tz=datetime.timezone.utc).replace(tzinfo=None)


def _name_dict(name):
    result = {}
    for attribute in name:
        key = getattr(attribute.oid, "_name", None) or attribute.oid.dotted_string
        if key == "Unknown OID":
            key = attribute.oid.dotted_string
        result[key] = attribute.value if isinstance(attribute.value, str) else repr(attribute.value)
    return result


def _not_before(certificate):
    value = getattr(certificate, "not_valid_before_utc", None)
    return value.replace(tzinfo=None) if value is not None else certificate.not_valid_before


def _not_after(certificate):
    value = getattr(certificate, "not_valid_after_utc", None)
    return value.replace(tzinfo=None) if value is not None else certificate.not_valid_after


def subject_alt_names(certificate):
    """``DNS:name`` / ``IP:address`` entries, as community.crypto.x509_certificate_info writes them."""
    try:
        extension = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    names = ["DNS:%s" % name for name in extension.get_values_for_type(x509.DNSName)]
    names += ["IP:%s" % address for address in extension.get_values_for_type(x509.IPAddress)]
    return names


def sha256_fingerprint(der):
    digest = hashlib.sha256(der).hexdigest()
    return ":".join(digest[i:i + 2] for i in range(0, len(digest), 2))


def certificate_facts(der):
    """The fields of community.crypto.x509_certificate_info that the checks use, from DER bytes."""
    certificate = x509.load_der_x509_certificate(der)
    return dict(
        subject=_name_dict(certificate.subject),
        issuer=_name_dict(certificate.issuer),
        subject_rfc4514=certificate.subject.rfc4514_string(),
        issuer_rfc4514=certificate.issuer.rfc4514_string(),
        self_signed=certificate.subject == certificate.issuer,
        subject_alt_name=subject_alt_names(certificate),
        not_before=_not_before(certificate).strftime(ASN1_TIME),
        not_after=_not_after(certificate).strftime(ASN1_TIME),
        serial_number=certificate.serial_number,
        fingerprints=dict(sha256=sha256_fingerprint(der)),
    )


def pem_certificates(data):
    """Every certificate of a PEM bundle (bytes), skipping blocks this cryptography cannot load."""
    loaded = []
    marker = b"-----END CERTIFICATE-----"
    for block in data.split(marker)[:-1]:
        start = block.find(b"-----BEGIN CERTIFICATE-----")
        if start == -1:
            continue
        try:
            loaded.append(x509.load_pem_x509_certificate(block[start:] + marker + b"\n"))
        except ValueError:
            continue  # one odd certificate in a system bundle must not hide all the others
    return loaded


def system_bundle():
    """The path of this machine's trusted CA bundle (what its TLS clients trust), or None."""
    paths = ssl.get_default_verify_paths()
    for candidate in (paths.cafile, paths.openssl_cafile) + SYSTEM_BUNDLES:
        if candidate and os.path.isfile(candidate):
            return candidate
    return None


def load_trust(ca_path=None):
    """``(description, anchors)``: the certificates of ``ca_path``, or of the system bundle."""
    path = ca_path or system_bundle()
    if path is None:
        raise EndpointError("no system CA bundle found (looked at %s); give ca_path" % ", ".join(SYSTEM_BUNDLES))
    try:
        with open(path, "rb") as handle:
            anchors = pem_certificates(handle.read())
    except (IOError, OSError) as exc:
        raise EndpointError("cannot read the trusted certificates in %s: %s" % (path, exc))
    if not anchors:
        raise EndpointError("%s holds no PEM certificate" % path)
    return ("%s (%s)" % (path, "the given CA file" if ca_path else "the system's trusted CAs"), anchors)


def _verification_times(chain, anchors):
    """Now, and the nearest moments at which the chain and a root that may have issued it are all valid.

    Expiry is judged on its own (certificate_expiry); here only whether the chain leads to a root.
    """
    now = _utc_now()
    times = [now]
    roots = [anchor for anchor in anchors if anchor.subject == chain[-1].issuer][:4]
    for certificates in [chain + [root] for root in roots] + [chain]:
        start = max(_not_before(c) for c in certificates)
        end = min(_not_after(c) for c in certificates)
        if start <= end:
            moment = min(max(now, start), end)
            if moment not in times:
                times.append(moment)
    return times


def _verifier_subject(leaf, fallback):
    """A name the leaf itself claims: verification here judges the chain, not the name."""
    for entry in subject_alt_names(leaf):
        kind, _sep, value = entry.partition(":")
        if kind == "DNS" and not value.startswith("*."):
            return verification.DNSName(value)
        if kind == "IP":
            return verification.IPAddress(ipaddress.ip_address(value))
    try:
        return verification.IPAddress(ipaddress.ip_address(fallback))
    except ValueError:
        return verification.DNSName(fallback)


def chain_trust(chain_der, anchors, fallback_name):
    """Whether the served chain (leaf first) leads to one of ``anchors`` under web-PKI rules.

    Returns ``{"verified": bool or None, "error": str or None, "verified_at": ASN.1 time}``;
    ``verified`` None means it could not be decided here (cryptography too old).
    """
    if verification is None:
        return dict(verified=None, error="cryptography >= 42 is needed to verify a chain", verified_at=None)
    chain = [x509.load_der_x509_certificate(der) for der in chain_der]
    result = None
    for moment in _verification_times(chain, anchors):
        try:
            verifier = verification.PolicyBuilder().store(verification.Store(anchors)).time(moment) \
                .build_server_verifier(_verifier_subject(chain[0], fallback_name))
            verifier.verify(chain[0], chain[1:])
        except (verification.VerificationError, ValueError) as exc:  # ValueError: a name the verifier does not take
            result = result or dict(verified=False, error=str(exc), verified_at=moment.strftime(ASN1_TIME))
            continue
        return dict(verified=True, error=None, verified_at=moment.strftime(ASN1_TIME))
    return result


def _is_address(name):
    try:
        ipaddress.ip_address(name.strip("[]"))
    except ValueError:
        return False
    return True


def _served_chain(tls_socket):
    """DER certificates the server sent, leaf first (only the leaf where Python cannot tell more)."""
    sslobj = getattr(tls_socket, "_sslobj", None)
    if sslobj is not None and hasattr(sslobj, "get_unverified_chain"):
        chain = sslobj.get_unverified_chain() or []
        return [cert.public_bytes(ssl._ssl.ENCODING_DER) for cert in chain]
    leaf = tls_socket.getpeercert(binary_form=True)
    return [leaf] if leaf else []


def visit(host, port, server_name, path="/", timeout=10.0):
    """Connect like a browser to ``host:port`` as ``server_name``; what was served and answered.

    Returns ``{"connected", "tls_version", "chain" (DER list), "http": {"status", "reason",
    "server"} or None, "error": None or what went wrong, "stage": connect|tls|http|None}``.
    """
    result = dict(connected=False, tls_version=None, chain=[], http=None, error=None, stage=None)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    # Nothing is verified here: trust, names and dates each get their own verdict.
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    sni = None if _is_address(server_name) else server_name
    try:
        raw = socket.create_connection((host, int(port)), timeout=timeout)
    except (socket.error, OSError) as exc:
        result.update(error="cannot connect to %s:%s: %s" % (host, port, exc), stage="connect")
        return result
    result["connected"] = True
    try:
        tls = context.wrap_socket(raw, server_hostname=sni)
    except (ssl.SSLError, socket.error, OSError) as exc:
        raw.close()
        result.update(error="TLS handshake with %s:%s failed: %s" % (host, port, exc), stage="tls")
        return result
    try:
        result["tls_version"] = tls.version()
        result["chain"] = _served_chain(tls)
        host_header = server_name if not _is_address(server_name) or ":" not in server_name \
            else "[%s]" % server_name.strip("[]")
        request = "GET %s HTTP/1.1\r\nHost: %s:%s\r\nUser-Agent: ecss.callapi readiness check\r\n" \
                  "Accept: */*\r\nConnection: close\r\n\r\n" % (path, host_header, port)
        tls.sendall(request.encode("ascii"))
        response = HTTPResponse(tls, method="GET")
        response.begin()
        result["http"] = dict(status=response.status, reason=response.reason,
                              server=response.getheader("Server"))
        response.read(RESPONSE_HEAD_LIMIT)
    except (HTTPException, ssl.SSLError, socket.error, OSError) as exc:
        result.update(error="no HTTP answer from %s:%s%s: %s" % (host, port, path, exc or type(exc).__name__),
                      stage="http")
    finally:
        tls.close()
    return result
