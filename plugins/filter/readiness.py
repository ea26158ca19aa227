# -*- coding: utf-8 -*-
# Copyright: ecss.callapi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Will the amoCRM widget work? Verdicts from what the read-only tasks found, and the report.

Each check is ``{scope, node, domain, target, check, status, detail, fix}`` with ``status``
``ok``, ``warn`` (works only under a condition, or could not be decided) or ``fail``
(the widget does not work until the fix is made).  These filters only judge what they are
given; reading (``call_api_info``, ``subscriber_info``, ``integration_info``, ``csta`` in
check mode) is done by the tasks of ``playbooks/check.yml``.  No key ever reaches them:
keys are compared by fingerprint.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import html
import json

from ansible.errors import AnsibleFilterError

from ansible_collections.ecss.callapi.plugins.module_utils.cocon_module import key_fingerprint

STATUSES = ("ok", "warn", "fail")
CLUSTER_CHECKS = ("csta_enabled",)
NODE_CHECKS = ("site_file", "certificate_covers_public_host", "certificate_expiry", "certificate_trusted",
               "served_certificate_matches", "call_api_reachable")
# widget_settings_match only for a domain with an amoCRM widget code (ecss_amocrm_widget_code).
DOMAIN_CHECKS = ("integration_present", "settings_key_matches", "widget_settings_match")
SUBSCRIBER_CHECKS = ("alias_exists", "permission_enabled", "phone_registered", "amocrm_user_named")
WIDGET_PROPERTY = "api\\call\\enabled"
SITE_YML = "run playbooks/site.yml"
ROTATE_YML = "playbooks/rotate_keys.yml"


def _check(scope, target, name, status, detail, fix=None, node=None, domain=None):
    if status not in STATUSES:
        raise AnsibleFilterError("readiness: status %r of %s is not one of %s" % (status, name, ", ".join(STATUSES)))
    return dict(scope=scope, node=node, domain=domain, target=target, check=name, status=status,
                detail=detail, fix=fix if status != "ok" else None)


def _url(host, port, path="/"):
    host = "[%s]" % host if ":" in host else host
    return "https://%s:%s%s" % (host, port, path)


def _day(asn1_or_iso):
    """``2027-01-31`` from ``20270131120000Z`` or ``2027-01-31T12:00:00Z``."""
    text = str(asn1_or_iso or "")
    if len(text) >= 8 and text[:8].isdigit():
        return "%s-%s-%s" % (text[:4], text[4:6], text[6:8])
    return text[:10]


def _need(facts, keys, where):
    if not isinstance(facts, dict):
        raise AnsibleFilterError("%s: expected a dict, got %r" % (where, type(facts).__name__))
    missing = [key for key in keys if key not in facts]
    if missing:
        raise AnsibleFilterError("%s: missing %s" % (where, ", ".join(missing)))


# -- node -------------------------------------------------------------------------------------

def _site_file_check(facts, emit):
    path, port, site = facts["site_path"], facts["port"], facts.get("site")
    if facts.get("site_error") or site is None:
        return emit("site_file", "fail", "cannot read the Call API's site file %s: %s"
                    % (path, facts.get("site_error") or "no content"),
                    "%s (call_api_tls role), or point call_api_nginx_site at the Call API's site file" % SITE_YML)
    if not site.get("listens"):
        return emit("site_file", "fail", "no server block in %s listens on call_api_port %s" % (path, port),
                    "%s: it moves the Call API's server block to port %s (or correct call_api_port)" % (SITE_YML, port))
    if not site.get("tls"):
        return emit("site_file", "fail", "the server block on port %s in %s listens without TLS: browsers "
                    "cannot reach the Call API over https" % (port, path), SITE_YML)
    if site.get("ssl_on"):
        return emit("site_file", "warn", "%s switches TLS on with the obsolete 'ssl on;', which nginx 1.25 and "
                    "later refuse (nginx would not start after an upgrade)" % path,
                    "%s: it rewrites the block as 'listen %s ssl'" % (SITE_YML, port))
    cert = site.get("certificate")
    if cert and facts.get("cert_path") and cert != facts["cert_path"]:
        return emit("site_file", "warn", "the server block on port %s serves %s, not call_api_tls_cert_path %s"
                    % (port, cert, facts["cert_path"]),
                    "%s, or set call_api_tls_cert_path to the certificate nginx uses" % SITE_YML)
    return emit("site_file", "ok", "%s: the Call API's server block listens on port %s with TLS (certificate %s)"
                % (path, port, cert or "not named"))


def _served_leaf(facts):
    chain = (facts.get("served") or {}).get("chain") or []
    return chain[0] if chain else None


def _not_served(facts):
    served = facts.get("served") or {}
    return "nginx on %s:%s served no certificate (%s)" % (
        facts["address"], facts["port"], served.get("error") or "no TLS answer")


def _covers_check(facts, emit):
    leaf, public = _served_leaf(facts), facts["public_host"]
    if leaf is None:
        return emit("certificate_covers_public_host", "fail", _not_served(facts),
                    "start nginx on %s, then run this check again" % facts["node"])
    names = ", ".join(leaf.get("subject_alt_name") or []) or "no subjectAltName at all"
    if facts.get("uncovered"):
        return emit("certificate_covers_public_host", "fail",
                    "the served certificate names %s, not %s: browsers reject %s for the widget"
                    % (names, public, _url(public, facts["port"])),
                    "add %s to call_api_tls_names and %s (provided mode: install a certificate that names it)"
                    % (public, SITE_YML))
    return emit("certificate_covers_public_host", "ok", "the served certificate covers %s (%s)" % (public, names))


def _expiry_check(facts, emit):
    expiry = facts.get("expiry")
    if expiry is None:
        return emit("certificate_expiry", "fail", _not_served(facts),
                    "start nginx on %s, then run this check again" % facts["node"])
    fix = "%s: selfsigned and ownca renew the certificate; provided: install the renewed one with " \
          "call_api_tls_cert_src" % SITE_YML
    leaf = _served_leaf(facts) or {}
    which = "the served certificate"
    if facts.get("expiry_of") and facts["expiry_of"] != leaf.get("subject_rfc4514"):
        which = "the served chain's certificate %s" % facts["expiry_of"]
    if expiry.get("expired"):
        return emit("certificate_expiry", "fail", "%s expired on %s: browsers refuse it"
                    % (which, _day(expiry.get("not_after"))), fix)
    if expiry.get("renew_due"):
        return emit("certificate_expiry", "warn", "%s expires on %s, in %s day(s), within call_api_tls_renew_days "
                    "(%s)" % (which, _day(expiry.get("not_after")), expiry.get("days_left"), facts.get("renew_days")),
                    fix)
    return emit("certificate_expiry", "ok", "valid until %s (%s days left)"
                % (_day(expiry.get("not_after")), expiry.get("days_left")))


def _trusted_check(facts, emit):
    leaf, mode = _served_leaf(facts), facts.get("mode") or "selfsigned"
    trust = (facts.get("served") or {}).get("trust") or {}
    public_url = _url(facts["public_host"], facts["port"])
    if leaf is None:
        return emit("certificate_trusted", "fail", _not_served(facts),
                    "start nginx on %s, then run this check again" % facts["node"])
    store = trust.get("store") or "the trusted CAs"
    if trust.get("verified") is None:
        return emit("certificate_trusted", "warn", "could not verify the served chain here: %s"
                    % (trust.get("error") or "no verdict"), "install cryptography 42 or later on the controller")
    if trust.get("verified"):
        whom = "browsers that imported the private CA's ca.crt" if mode == "ownca" else "browsers"
        return emit("certificate_trusted", "ok", "the served chain (issued by %s) leads to %s: %s accept it"
                    % (leaf.get("issuer_rfc4514"), store, whom))
    why = trust.get("error") or "not trusted"
    if mode == "selfsigned":
        return emit("certificate_trusted", "warn",
                    "the certificate is self-signed (call_api_tls_mode: selfsigned): a browser blocks the widget's "
                    "requests to %s without asking, until its user opens %s once and accepts the certificate; "
                    "some browsers forget that exception" % (public_url, public_url),
                    "switch to call_api_tls_mode: ownca (operators import ca.crt once) or provided, and %s" % SITE_YML)
    if mode == "ownca":
        return emit("certificate_trusted", "fail", "the served chain (issued by %s) does not lead to the private "
                    "CA %s: browsers that trust that CA still reject it (%s)" % (leaf.get("issuer_rfc4514"), store, why),
                    "%s: it signs the node's certificate with the private CA" % SITE_YML)
    return emit("certificate_trusted", "fail", "the served chain (issued by %s) does not lead to %s: browsers "
                "reject it (%s)" % (leaf.get("issuer_rfc4514"), store, why),
                "install the certificate with its intermediates (leaf first) from a CA browsers trust, and %s"
                % SITE_YML)


def _matches_check(facts, emit):
    leaf, path = _served_leaf(facts), facts.get("cert_path")
    if leaf is None:
        return emit("served_certificate_matches", "fail", _not_served(facts),
                    "start nginx on %s, then run this check again" % facts["node"])
    disk = facts.get("disk_fingerprint")
    if not disk:
        return emit("served_certificate_matches", "fail", "cannot read the certificate file %s on %s: %s"
                    % (path, facts["node"], facts.get("disk_error") or "no certificate in it"), SITE_YML)
    served = leaf.get("fingerprints", {}).get("sha256")
    if served != disk:
        return emit("served_certificate_matches", "fail",
                    "nginx serves the certificate %s, but %s holds %s: nginx was not reloaded after the certificate "
                    "changed" % (served, path, disk),
                    "test and reload nginx on %s (nginx -t, then reload it), or %s" % (facts["node"], SITE_YML))
    return emit("served_certificate_matches", "ok", "nginx serves %s, the certificate in %s (%s)"
                % (served[:23] + "...", path, _day(leaf.get("not_after"))))


def _reachable_check(facts, emit):
    served = facts.get("served") or {}
    where = "%s:%s" % (facts["address"], facts["port"])
    path = facts.get("path") or "/"
    public_url = _url(facts["public_host"], facts["port"], path)
    answer = served.get("http")
    if served.get("stage") == "connect":
        return emit("call_api_reachable", "fail", "no connection from the controller to %s: %s"
                    % (where, served.get("error")),
                    "start nginx on %s and open port %s between the operators' browsers and the node"
                    % (facts["node"], facts["port"]))
    if served.get("stage") == "tls":
        return emit("call_api_reachable", "fail", "nginx on %s accepts connections but the TLS handshake fails: %s"
                    % (where, served.get("error")), SITE_YML)
    if answer is None:
        return emit("call_api_reachable", "fail", "no HTTP answer for %s through %s: %s"
                    % (public_url, where, served.get("error")),
                    "check the Call API's location in the site file and nginx's error log on %s" % facts["node"])
    status = int(answer.get("status") or 0)
    said = "%s %s" % (status, answer.get("reason") or "")
    if status in (502, 504):
        return emit("call_api_reachable", "fail",
                    "nginx answers %s for %s: the Call API service behind it is down or does not answer"
                    % (said.strip(), public_url),
                    "start the ecss-call-api service on %s (systemctl start ecss-call-api) and read its log"
                    % facts["node"])
    if status >= 500:
        return emit("call_api_reachable", "warn", "%s answered %s through nginx on %s"
                    % (public_url, said.strip(), where),
                    "read the ecss-call-api and nginx logs on %s" % facts["node"])
    return emit("call_api_reachable", "ok", "%s answered %s (through %s)" % (public_url, said.strip(), where))


def readiness_node_checks(facts):
    """The six node checks from one node's facts (see the filter's documentation)."""
    _need(facts, ("node", "port", "public_host", "address", "site_path", "cert_path", "served"),
          "readiness_node_checks")
    checks = []

    def emit(name, status, detail, fix=None):
        checks.append(_check("node", facts["node"], name, status, detail, fix, node=facts["node"]))

    for judge in (_site_file_check, _covers_check, _expiry_check, _trusted_check, _matches_check, _reachable_check):
        judge(facts, emit)
    return checks


# -- CoCon: cluster, domains, subscribers -------------------------------------------------------

def _csta_check(csta):
    fix = "%s (ecss_csta_enabled: true): without CSTA the widget misses calls not started from amoCRM" % SITE_YML
    if not csta or csta.get("failed"):
        return _check("cluster", "cluster", "csta_enabled", "fail", "cannot read the CSTA state from CoCon: %s"
                      % ((csta or {}).get("msg") or "no answer"), "check the CoCon connection settings")
    before = csta.get("before") or {}
    enabled = str(before.get("enabled", "")).strip().lower()
    if enabled == "true":
        return _check("cluster", "cluster", "csta_enabled", "ok", "CSTA is enabled")
    if enabled == "false":
        return _check("cluster", "cluster", "csta_enabled", "fail",
                      "CSTA is disabled: the widget does not see calls that were not started from amoCRM", fix)
    return _check("cluster", "cluster", "csta_enabled", "warn",
                  "this console does not show the CSTA state (/api/csta/info), so whether CSTA is on is unknown",
                  "%s; it sets enabled true whether or not it can read it" % SITE_YML)


def _integration_of(result, client_id):
    return next((entry for entry in result.get("integrations") or [] if entry.get("client_id") == client_id), None)


def _domain_checks(domain, integrations, record):
    name, client_id = domain["name"], domain["client_id"]
    checks = []

    def emit(check, status, detail, fix=None):
        checks.append(_check("domain", name, check, status, detail, fix, domain=name))

    integration = None
    if integrations is None or integrations.get("failed"):
        emit("integration_present", "fail", "cannot list the integrations of %s: %s"
             % (name, (integrations or {}).get("msg") or "no answer"),
             "check that domain %s exists in ECSS-10 and the CoCon connection settings" % name)
    else:
        integration = _integration_of(integrations, client_id)
        if integration is None:
            held = ", ".join(sorted(e.get("client_id") for e in integrations.get("integrations") or [])) or "none"
            emit("integration_present", "fail", "domain %s has no integration for client id %s (it has: %s): the "
                 "widget cannot log in to the Call API" % (name, client_id, held),
                 "%s: it creates the integration and writes the widget settings" % SITE_YML)
        else:
            emit("integration_present", "ok", "integration %s exists (%s, key %s)"
                 % (client_id, integration.get("type") or "plain", integration.get("api_key_fingerprint")))

    record = record or {}
    path = record.get("path") or "%s.json" % name
    if integration is None:
        emit("settings_key_matches", "warn", "not compared: domain %s has no integration %s to compare %s with"
             % (name, client_id, path), "fix integration_present first")
    elif record.get("error"):
        emit("settings_key_matches", "fail", "cannot read %s: %s" % (path, record["error"]),
             "%s: it writes the settings file again with CoCon's current key" % SITE_YML)
    elif not record.get("exists"):
        emit("settings_key_matches", "fail", "there is no widget settings file %s: the operator has no key to type "
             "into the amoCRM widget" % path, "%s: it writes the settings file" % SITE_YML)
    elif record.get("client_id") != client_id:
        emit("settings_key_matches", "fail", "%s is for client id %s, not %s" % (path, record.get("client_id"),
                                                                                 client_id),
             "%s: it writes the settings of %s" % (SITE_YML, client_id))
    elif record.get("api_key_fingerprint") != integration.get("api_key_fingerprint"):
        emit("settings_key_matches", "fail",
             "the key in %s (%s) is not the key CoCon holds (%s): the key was rotated behind the settings file, and "
             "a widget set up from that file is refused" % (path, record.get("api_key_fingerprint"),
                                                            integration.get("api_key_fingerprint")),
             "%s: it writes CoCon's current key to the settings file; then type that key into the amoCRM widget's "
             "settings" % SITE_YML)
    else:
        emit("settings_key_matches", "ok", "%s holds the key CoCon holds (%s)"
             % (path, integration.get("api_key_fingerprint")))
    return checks


def _keys_named(keys, fields):
    """``ecss_secret (api_key)``: a template key and the collection's value it holds."""
    source = dict((key, name) for name, key in (fields or {}).items() if key)
    return ", ".join("%s (%s)" % (key, source[key]) if key in source else key for key in keys)


def _widget_check(domain, widget):
    """widget_settings_match: does the domain's widget in amoCRM hold what its settings file says?

    ``widget``: ``code``, ``fields`` (ecss_amocrm_widget_fields), ``settings_file``, ``record_file``,
    ``read`` (the ``amocrm_widget_info`` result: ``failed``, ``msg``, ``found``, ``widget``,
    ``recorded``) and ``match`` (``amocrm_widget_settings_match`` of the file's values; None when
    not compared). Template keys are named, values never (the inputs hold fingerprints only).
    """
    name = domain["name"]
    code, fields = widget.get("code"), widget.get("fields") or {}
    read, match = widget.get("read") or {}, widget.get("match")
    path = widget.get("settings_file") or "%s.json" % name
    record_file = widget.get("record_file") or "%s.amocrm_widget.json" % name

    def check(status, detail, fix=None):
        return _check("domain", name, "widget_settings_match", status, detail, fix, domain=name)

    if read.get("failed") or "found" not in read:
        return check("warn", "cannot read widget %s from amoCRM, so whether it holds the settings of %s is unknown: %s"
                     % (code, path, read.get("msg") or "no answer"),
                     "check that the controller reaches the amoCRM account (ecss_amocrm_base_url or "
                     "ecss_amocrm_subdomain, ecss_amocrm_accounts) and that the token is an account administrator's; "
                     "then run this check again")
    if not read.get("found"):
        return check("fail", "the amoCRM account has no widget with code %s: operators get no ECSS-10 widget" % code,
                     "set ecss_amocrm_widget_code (or ecss_amocrm_accounts[%s].widget_code) to the widget's code "
                     "(ecss.callapi.amocrm_widget_info name=ecss finds it), then %s" % (name, SITE_YML))
    if match is None:
        return check("warn", "not compared: %s holds no settings to compare widget %s with" % (path, code),
                     "fix settings_key_matches first")
    if not match.get("installed"):
        return check("fail", "widget %s is not installed in the amoCRM account: operators have no ECSS-10 widget"
                     % code, "%s: it installs the widget with the settings of %s" % (SITE_YML, path))

    observed = (read.get("widget") or {}).get("settings") or {}
    recorded = read.get("recorded") or {}
    verified = match.get("verified") or {}
    differences = match.get("differences") or []
    # amocrm_widget lets the record vouch for a secret amoCRM shows differently (a masked value
    # must not make every run send again); the widget works with what amoCRM holds, so here a
    # secret amoCRM shows with another fingerprint differs, whatever the record says.
    overruled = sorted(k for k, how in verified.items() if how == "record" and k in observed)
    shown = [k for k in differences if k in observed]
    stale = [k for k in differences if k not in observed and k in recorded]
    unknown = [k for k in differences if k not in observed and k not in recorded]
    if not differences and not overruled:
        by_amocrm = [k for k in sorted(verified) if verified[k] == "amocrm"]
        by_record = [k for k in sorted(verified) if verified[k] == "record"]
        how = []
        if by_amocrm:
            how.append("%s as amoCRM shows them" % _keys_named(by_amocrm, fields))
        if by_record:
            how.append("%s by the fingerprints %s recorded when they were sent (amoCRM does not show them, so a "
                       "change made in amoCRM's interface would not be seen)"
                       % (_keys_named(by_record, fields), record_file))
        return check("ok", "widget %s holds the settings of %s: %s" % (code, path, "; ".join(how) or "nothing to compare"))

    problems = []
    if shown or overruled:
        problems.append("amoCRM shows other values than %s for %s" % (path, _keys_named(sorted(shown + overruled), fields)))
    if stale:
        problems.append("%s holds other values than were last sent to the widget (fingerprints in %s) for %s"
                        % (path, record_file, _keys_named(stale, fields)))
    if unknown:
        problems.append("amoCRM does not show and %s does not record %s, so they cannot be compared"
                        % (record_file, _keys_named(unknown, fields)))
    if match.get("unresolved_users"):
        problems.append("amoCRM has no user %s" % ", ".join(match["unresolved_users"]))
    detail = "widget %s: %s" % (code, "; ".join(problems))
    if not (shown or overruled or stale or match.get("unresolved_users")):
        return check("warn", detail, "%s: it sends the settings once more and records their fingerprints in %s"
                     % (SITE_YML, record_file))
    fix = "%s: it sends the values of %s to the widget" % (SITE_YML, path)
    if overruled:
        # site.yml would believe its record for these keys and send nothing.
        fix = "delete %s, then %s" % (record_file, fix)
    if fields.get("api_key") in shown + overruled + stale:
        fix += (" (CoCon's key included); if the key was changed in amoCRM on purpose, give CoCon, the settings "
                "file and the widget one new key with %s instead" % ROTATE_YML)
    return check("fail", detail, fix)


def _subscriber_checks(domain, subscriber, reading):
    name = domain["name"]
    number = str(subscriber["number"])
    group = subscriber.get("group") or domain.get("group")
    iface = subscriber.get("iface") or "%s@%s" % (number, name)
    checks = []

    def emit(check, status, detail, fix=None):
        checks.append(_check("subscriber", number, check, status, detail, fix, domain=name))

    reading = reading or {}
    exists = reading.get("exists")
    if exists is True:
        emit("alias_exists", "ok", "alias %s exists (group %s, interface %s)" % (number, group, iface))
    elif exists is False:
        emit("alias_exists", "fail", "alias %s does not exist in domain %s with group %s and interface %s%s"
             % (number, name, group, iface, ": %s" % reading["error"] if reading.get("error") else ""),
             "create the subscriber in ECSS-10, or correct its number, group or iface in ecss_domains")
    else:
        emit("alias_exists", "warn", "could not read alias %s: %s"
             % (number, reading.get("error") or "alias/info answered in a layout this collection does not read"),
             "check the alias in CoCon by hand (alias/info %s %s %s)" % (number, group, iface))

    value = (reading.get("properties") or {}).get(WIDGET_PROPERTY)
    if exists is not True:
        emit("permission_enabled", "warn", "not checked: alias %s could not be read" % number,
             "fix alias_exists first")
    elif str(value).strip().lower() == "true":
        emit("permission_enabled", "ok", "%s is true" % WIDGET_PROPERTY)
    else:
        emit("permission_enabled", "fail", "%s is %s on %s: the widget cannot log in to the Call API for this number"
             % (WIDGET_PROPERTY, "not set" if value is None else value, number),
             "%s: it sets %s true on every listed subscriber" % (SITE_YML, WIDGET_PROPERTY))

    registration = reading.get("registration") or "unknown"
    contacts = reading.get("contacts") or []
    if exists is False:
        emit("phone_registered", "warn", "not checked: alias %s does not exist" % number, "fix alias_exists first")
    elif registration == "registered":
        emit("phone_registered", "ok", "registered: %s" % ", ".join(
            "%s (expires %s)" % (c.get("uri"), c.get("expires")) if c.get("expires") else str(c.get("uri"))
            for c in contacts))
    elif registration == "unregistered":
        emit("phone_registered", "fail", "no phone is registered for %s (Contacts list is empty): the widget "
             "cannot place or show its calls" % iface,
             "register the phone: the user switches on the phone or softphone of %s and checks its SIP account "
             "settings" % number)
    else:
        emit("phone_registered", "warn", "could not tell whether a phone is registered for %s: %s"
             % (iface, reading.get("registration_error")
                or "sip/user/info answered in a layout this collection does not read"),
             "look at /domain/%s/sip/user/info %s %s in CoCon" % (name, group, iface))

    user = subscriber.get("amocrm_user")
    if user:
        emit("amocrm_user_named", "ok", "amoCRM user %s enters %s in their amoCRM profile" % (user, number))
    else:
        emit("amocrm_user_named", "warn", "no amoCRM user is named for %s: no one may have entered this number in "
             "their amoCRM profile" % number,
             "set amocrm_user for %s in ecss_domains and have that user enter %s in their amoCRM profile"
             % (number, number))
    return checks


def widget_settings_record(text, path=None):
    """What a widget settings file (``<domain>.json``) records; its key only as a fingerprint.

    ``text`` None (or empty) means there is no such file.
    """
    record = dict(exists=bool(text), path=path, client_id=None, api_key_fingerprint=None, error=None)
    if not text:
        return record
    try:
        data = json.loads(text)
    except ValueError:
        return dict(record, error="not a JSON settings file")
    if not isinstance(data, dict) or not isinstance(data.get("api_key"), str):
        return dict(record, error="no api_key in it")
    return dict(record, client_id=data.get("client_id"), api_key_fingerprint=key_fingerprint(data["api_key"]))


def readiness_cocon_checks(domains, csta=None, integrations=None, records=None, subscribers=None, widgets=None):
    """Cluster, domain and subscriber checks from what CoCon, the settings files and amoCRM showed.

    ``integrations`` and ``subscribers`` map a domain name to the result of
    ``integration_info`` and ``subscriber_info``; ``records`` a domain name to what its widget
    settings file holds (``exists``, ``client_id``, ``api_key_fingerprint``, ``path``, ``error``);
    ``widgets`` a domain with an amoCRM widget code to what ``_widget_check`` reads (a domain
    not in it gets no widget_settings_match).
    """
    if not isinstance(domains, list):
        raise AnsibleFilterError("readiness_cocon_checks: expected ecss_domains (a list), got %r" % (domains,))
    integrations, records, subscribers, widgets = integrations or {}, records or {}, subscribers or {}, widgets or {}
    checks = [_csta_check(csta)]
    for domain in domains:
        name = domain["name"]
        checks.extend(_domain_checks(domain, integrations.get(name), records.get(name)))
        if widgets.get(name):
            checks.append(_widget_check(domain, widgets[name]))
        result = subscribers.get(name) or {}
        readings = dict((str(entry.get("alias")), entry) for entry in result.get("subscribers") or [])
        for subscriber in domain.get("subscribers") or []:
            reading = readings.get(str(subscriber["number"]))
            if reading is None and result.get("failed"):
                reading = dict(exists=None, error=result.get("msg"), registration_error=result.get("msg"))
            checks.extend(_subscriber_checks(domain, subscriber, reading))
    return checks


# -- the report ---------------------------------------------------------------------------------

def readiness_counts(checks):
    counts = dict((status, 0) for status in STATUSES)
    for check in checks:
        counts[check["status"]] += 1
    return counts


def readiness_report(checks, generated_at, unreached=None):
    """``{ready, generated_at, counts, checks}``: ready when no check failed.

    ``unreached``: nodes Ansible could not run on; each of their checks is a warning saying so."""
    if not isinstance(checks, list) or not all(isinstance(c, dict) and c.get("status") in STATUSES for c in checks):
        raise AnsibleFilterError("readiness_report: expected a list of checks with status ok, warn or fail")
    missing = [_check("node", node, name, "warn", "not checked: Ansible could not run on node %s" % node,
                      "make %s reachable for Ansible (see the play's error for it) and run this check again" % node,
                      node=node)
               for node in unreached or [] for name in NODE_CHECKS]
    order = {"cluster": 0, "node": 1}
    checks = sorted(checks + missing, key=lambda c: order.get(c["scope"], 2))
    counts = readiness_counts(checks)
    return dict(ready=counts["fail"] == 0, generated_at=str(generated_at), counts=counts, checks=list(checks))


def _line(check):
    where = check["target"] if check["scope"] != "subscriber" else "subscriber %s" % check["target"]
    text = "%s %s %s: %s" % (check["status"].upper(), where, check["check"], check["detail"])
    return text + (" -> fix: %s" % check["fix"] if check.get("fix") else "")


def readiness_sections(report):
    """Play output: per section (cluster and nodes, then each domain) the lines of checks that are not ok,
    then how many are."""
    cluster, nodes, by_domain = _grouped(report["checks"])
    groups = [("cluster and nodes", cluster + [c for checks in nodes.values() for c in checks])]
    groups += [("domain %s" % domain, own + [c for by_name in subscribers.values() for c in by_name.values()])
               for domain, (own, subscribers) in by_domain.items()]
    sections = []
    for title, checks in groups:
        lines = [_line(c) for c in checks if c["status"] != "ok"]
        ok = len(checks) - len(lines)
        lines.append("%d check(s) ok" % ok if ok else "no check ok")
        sections.append(dict(section=title, lines=lines))
    return sections


# -- readiness.html -----------------------------------------------------------------------------

_CSS = """
body{font-family:-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;margin:2em;color:#1d1d1f;background:#fff}
h1{font-size:1.5em;margin-bottom:.2em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ccc}
.verdict{font-size:1.2em;font-weight:bold;padding:.4em .8em;display:inline-block;border-radius:4px}
table{border-collapse:collapse;margin:.6em 0;width:100%}
th,td{border:1px solid #bbb;padding:.35em .5em;text-align:left;vertical-align:top;font-size:.92em}
th{background:#f0f0f0}
td.ok,span.ok{background:#d9f2dd}td.warn,span.warn{background:#fff1c2}td.fail,span.fail{background:#f8d3d3}
.status{font-weight:bold;text-transform:uppercase;font-size:.85em}
.fix{margin-top:.3em;font-style:italic}.fix:before{content:"Fix: ";font-weight:bold;font-style:normal}
.muted{color:#555}
""".strip()


def _e(text):
    return html.escape("" if text is None else str(text), quote=True)


def _cell(check, with_name=False):
    if check is None:
        return '<td class="muted">not checked</td>'
    inner = '<span class="status">%s</span>%s<div class="detail">%s</div>' % (
        _e(check["status"]), " " + _e(check["check"]) if with_name else "", _e(check["detail"]))
    if check.get("fix"):
        inner += '<div class="fix">%s</div>' % _e(check["fix"])
    return '<td class="%s" data-check="%s">%s</td>' % (_e(check["status"]), _e(check["check"]), inner)


def _check_rows(checks, row_class):
    rows = []
    for check in checks:
        rows.append('<tr class="%s"><th scope="row">%s</th>%s</tr>' % (row_class, _e(check["check"]), _cell(check)))
    return "\n".join(rows)


def _grouped(checks):
    """One pass: cluster checks, node -> checks, domain -> (its checks, number -> {check name: check})."""
    cluster, nodes, domains = [], {}, {}
    for check in checks:
        if check["scope"] == "cluster":
            cluster.append(check)
        elif check["scope"] == "node":
            nodes.setdefault(check["node"], []).append(check)
        else:
            own, subscribers = domains.setdefault(check["domain"], ([], {}))
            if check["scope"] == "domain":
                own.append(check)
            else:
                subscribers.setdefault(check["target"], {})[check["check"]] = check
    return cluster, nodes, domains


def readiness_html(report, domains=None, title="ECSS-10 and the amoCRM widget: readiness"):
    """readiness.html: one self-contained page (inline CSS, no script, no external asset).

    ``domains`` (ecss_domains) adds each subscriber's amoCRM user under the number."""
    names = dict((d["name"], dict((str(s["number"]), s.get("amocrm_user")) for s in d.get("subscribers") or []))
                 for d in domains or [])
    counts = report["counts"]
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>%s</title>" % _e(title),
        "<style>%s</style></head><body>" % _CSS,
        "<h1>%s</h1>" % _e(title),
        '<p class="muted">Generated %s by playbooks/check.yml (ecss.callapi.check); read-only.</p>'
        % _e(report["generated_at"]),
        '<p><span id="verdict" class="verdict %s">%s</span> %d ok, %d warning(s), %d failure(s)</p>'
        % ("ok" if report["ready"] else "fail",
           "Ready: the widget's conditions are met" if report["ready"] else "Not ready: see the failures below",
           counts["ok"], counts["warn"], counts["fail"]),
    ]
    cluster, nodes, by_domain = _grouped(report["checks"])
    if cluster:
        parts.append('<h2>Cluster</h2><table id="cluster"><tr><th>Check</th><th>Result</th></tr>%s</table>'
                     % _check_rows(cluster, "cluster-check"))
    for node, checks in nodes.items():
        parts.append('<h2>Node %s</h2><table class="node" id="node-%s"><tr><th>Check</th><th>Result</th></tr>%s</table>'
                     % (_e(node), _e(node), _check_rows(checks, "node-check")))
    header = "".join("<th>%s</th>" % _e(name) for name in SUBSCRIBER_CHECKS)
    for domain, (own, subscribers) in by_domain.items():
        parts.append('<h2>Domain %s</h2><table class="domain" id="domain-%s"><tr><th>Check</th><th>Result</th></tr>'
                     '%s</table>' % (_e(domain), _e(domain), _check_rows(own, "domain-check")))
        if not subscribers:
            continue
        users = names.get(domain) or {}
        rows = ['<tr class="subscriber" id="subscriber-%s-%s" data-domain="%s" data-number="%s">'
                '<th scope="row">%s<div class="muted">%s</div></th>%s</tr>'
                % (_e(domain), _e(number), _e(domain), _e(number), _e(number), _e(users.get(number) or ""),
                   "".join(_cell(by_name.get(name)) for name in SUBSCRIBER_CHECKS))
                for number, by_name in subscribers.items()]
        parts.append('<table class="subscribers" id="subscribers-%s"><tr><th>Subscriber</th>%s</tr>\n%s</table>'
                     % (_e(domain), header, "\n".join(rows)))
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


class FilterModule(object):

    def filters(self):
        return {
            "readiness_node_checks": readiness_node_checks,
            "readiness_cocon_checks": readiness_cocon_checks,
            "readiness_report": readiness_report,
            "readiness_sections": readiness_sections,
            "readiness_html": readiness_html,
            "widget_settings_record": widget_settings_record,
        }
