# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Readiness verdicts: each condition turns exactly its own check, and the report tells it."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import re

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.ecss.callapi.plugins.filter.readiness import (
    NODE_CHECKS,
    readiness_cocon_checks,
    readiness_html,
    readiness_node_checks,
    readiness_report,
    readiness_sections,
)

FP = "ab:" * 31 + "cd"
OTHER_FP = "12:" * 31 + "34"
LEAF = {
    "subject_alt_name": ["DNS:node1", "IP:127.0.0.1", "DNS:ecss.example.test"],
    "not_after": "20271231000000Z", "issuer_rfc4514": "CN=ECSS-10 Call API private CA",
    "fingerprints": {"sha256": FP},
}
GOOD_NODE = {
    "node": "node1", "port": 8088, "public_host": "ecss.example.test", "address": "127.0.0.1", "mode": "ownca",
    "renew_days": 30, "path": "/", "site_path": "/etc/nginx/sites-available/ecss-call-api.conf",
    "site": {"listens": True, "tls": True, "ssl_on": False, "certificate": "/etc/ecss/ssl/call_api.crt"},
    "site_error": None, "cert_path": "/etc/ecss/ssl/call_api.crt", "disk_fingerprint": FP, "disk_error": None,
    "served": {"connected": True, "stage": None, "error": None, "chain": [LEAF],
               "trust": {"verified": True, "error": None, "store": "ca.crt (the given CA file)"},
               "http": {"status": 200, "reason": "OK"}},
    "expiry": {"not_after": "2027-12-31T00:00:00Z", "days_left": 396, "expired": False, "renew_due": False},
    "uncovered": [],
}


def statuses(checks):
    return dict((c["check"], c["status"]) for c in checks)


def node_with(**changes):
    facts = copy.deepcopy(GOOD_NODE)
    for path, value in changes.items():
        where = facts
        keys = path.split("__")
        for key in keys[:-1]:
            where = where[key]
        where[keys[-1]] = value
    return readiness_node_checks(facts)


def test_good_node_is_all_ok_and_fixes_are_empty():
    checks = readiness_node_checks(GOOD_NODE)
    assert [c["check"] for c in checks] == list(NODE_CHECKS)
    assert all(c["status"] == "ok" and c["fix"] is None and c["scope"] == "node" and c["node"] == "node1"
               for c in checks)


@pytest.mark.parametrize("changes, check, status", [
    ({"site__listens": False}, "site_file", "fail"),
    ({"site__tls": False}, "site_file", "fail"),
    ({"site__ssl_on": True}, "site_file", "warn"),
    ({"site__certificate": "/elsewhere.crt"}, "site_file", "warn"),
    ({"site": None, "site_error": "file not found"}, "site_file", "fail"),
    ({"uncovered": ["ecss.example.test"]}, "certificate_covers_public_host", "fail"),
    ({"expiry__expired": True, "expiry__days_left": -3}, "certificate_expiry", "fail"),
    ({"expiry__renew_due": True, "expiry__days_left": 7}, "certificate_expiry", "warn"),
    ({"served__trust__verified": False, "served__trust__error": "unknown issuer"}, "certificate_trusted", "fail"),
    ({"served__trust__verified": None}, "certificate_trusted", "warn"),
    ({"disk_fingerprint": OTHER_FP}, "served_certificate_matches", "fail"),
    ({"disk_fingerprint": None, "disk_error": "not found"}, "served_certificate_matches", "fail"),
    ({"served__http__status": 502, "served__http__reason": "Bad Gateway"}, "call_api_reachable", "fail"),
    ({"served__http__status": 504}, "call_api_reachable", "fail"),
    ({"served__http__status": 500}, "call_api_reachable", "warn"),
    ({"served__http__status": 404}, "call_api_reachable", "ok"),
    ({"served__http": None, "served__stage": "http", "served__error": "reset"}, "call_api_reachable", "fail"),
])
def test_one_condition_turns_only_its_check(changes, check, status):
    checks = node_with(**changes)
    expected = dict((name, "ok") for name in NODE_CHECKS)
    expected[check] = status
    assert statuses(checks) == expected
    turned = [c for c in checks if c["check"] == check][0]
    assert (turned["fix"] is None) == (status == "ok")


def test_backend_down_names_the_call_api_service():
    check = [c for c in node_with(served__http__status=502, served__http__reason="Bad Gateway")
             if c["check"] == "call_api_reachable"][0]
    assert "Call API service" in check["detail"] and "502 Bad Gateway" in check["detail"]
    assert "ecss-call-api" in check["fix"]


def test_not_reloaded_names_both_fingerprints():
    check = [c for c in node_with(disk_fingerprint=OTHER_FP) if c["check"] == "served_certificate_matches"][0]
    assert FP in check["detail"] and OTHER_FP in check["detail"] and "reload" in check["fix"]


def test_selfsigned_is_a_warning_that_says_what_the_browser_does():
    facts = copy.deepcopy(GOOD_NODE)
    facts["mode"] = "selfsigned"
    facts["served"]["trust"] = {"verified": False, "error": "unknown issuer", "store": "system"}
    check = [c for c in readiness_node_checks(facts) if c["check"] == "certificate_trusted"][0]
    assert check["status"] == "warn"
    assert "blocks the widget's requests" in check["detail"] and "https://ecss.example.test:8088" in check["detail"]


def test_nothing_served_fails_every_certificate_check_and_reachability():
    facts = copy.deepcopy(GOOD_NODE)
    facts["served"] = {"connected": False, "stage": "connect", "error": "connection refused", "chain": [],
                       "trust": None, "http": None}
    facts["expiry"] = facts["uncovered"] = None
    assert statuses(readiness_node_checks(facts)) == dict(
        site_file="ok", certificate_covers_public_host="fail", certificate_expiry="fail", certificate_trusted="fail",
        served_certificate_matches="fail", call_api_reachable="fail")


def test_node_facts_must_be_complete():
    with pytest.raises(AnsibleFilterError, match="missing served"):
        readiness_node_checks(dict((k, v) for k, v in GOOD_NODE.items() if k != "served"))


DOMAINS = [{"name": "biysk.local", "client_id": "amocrm", "group": "loc.gr",
            "subscribers": [{"number": "240473", "amocrm_user": "Ivan Petrov"},
                            {"number": "240474", "amocrm_user": "Maria <b>Sidorova</b>"}]}]
GOOD_COCON = dict(
    csta={"before": {"enabled": "true"}},
    integrations={"biysk.local": {"integrations": [{"client_id": "amocrm", "api_key_fingerprint": "sha256:aaaa"}]}},
    records={"biysk.local": {"exists": True, "client_id": "amocrm", "api_key_fingerprint": "sha256:aaaa",
                             "path": "/srv/w/biysk.local.json"}},
    subscribers={"biysk.local": {"subscribers": [
        {"alias": "240473", "exists": True, "properties": {"api\\call\\enabled": "true"},
         "registration": "registered", "contacts": [{"uri": "sip:240473@10.0.0.7", "expires": "600"}]},
        {"alias": "240474", "exists": True, "properties": {"api\\call\\enabled": "true"},
         "registration": "registered", "contacts": [{"uri": "sip:240474@10.0.0.8", "expires": None}]},
    ]}},
)


def cocon(**changes):
    inputs = copy.deepcopy(GOOD_COCON)
    for path, value in changes.items():
        where = inputs
        keys = path.split("__")
        for key in keys[:-1]:
            where = where[int(key)] if isinstance(where, list) else where[key]
        where[keys[-1]] = value
    return readiness_cocon_checks(DOMAINS, **inputs)


def failing(checks):
    return sorted((c["target"], c["check"], c["status"]) for c in checks if c["status"] != "ok")


def test_good_cocon_is_all_ok():
    checks = cocon()
    assert failing(checks) == []
    assert [c["scope"] for c in checks] == ["cluster", "domain", "domain"] + ["subscriber"] * 8


@pytest.mark.parametrize("changes, expected", [
    ({"csta__before__enabled": "false"}, [("cluster", "csta_enabled", "fail")]),
    ({"csta__before": {}}, [("cluster", "csta_enabled", "warn")]),
    ({"integrations__biysk.local__integrations": []},
     [("biysk.local", "integration_present", "fail"), ("biysk.local", "settings_key_matches", "warn")]),
    ({"records__biysk.local__api_key_fingerprint": "sha256:bbbb"}, [("biysk.local", "settings_key_matches", "fail")]),
    ({"records__biysk.local__exists": False}, [("biysk.local", "settings_key_matches", "fail")]),
    ({"subscribers__biysk.local__subscribers__1__properties": {}}, [("240474", "permission_enabled", "fail")]),
    ({"subscribers__biysk.local__subscribers__0__registration": "unregistered"},
     [("240473", "phone_registered", "fail")]),
    ({"subscribers__biysk.local__subscribers__0__registration": "unknown"}, [("240473", "phone_registered", "warn")]),
    ({"subscribers__biysk.local__subscribers__1__exists": False},
     [("240474", "alias_exists", "fail"), ("240474", "permission_enabled", "warn"),
      ("240474", "phone_registered", "warn")]),
])
def test_each_cocon_condition(changes, expected):
    assert failing(cocon(**changes)) == sorted(expected)


def test_rotated_key_is_told_by_fingerprints_only():
    checks = cocon(**{"records__biysk.local__api_key_fingerprint": "sha256:bbbb"})
    check = [c for c in checks if c["check"] == "settings_key_matches"][0]
    assert "sha256:aaaa" in check["detail"] and "sha256:bbbb" in check["detail"] and "rotated" in check["detail"]


def test_unnamed_amocrm_user_is_a_warning():
    domains = copy.deepcopy(DOMAINS)
    del domains[0]["subscribers"][0]["amocrm_user"]
    checks = readiness_cocon_checks(domains, **copy.deepcopy(GOOD_COCON))
    assert failing(checks) == [("240473", "amocrm_user_named", "warn")]


def test_failed_subscriber_read_is_never_ok():
    checks = cocon(**{"subscribers__biysk.local": {"failed": True, "msg": "Command error: Domain does not exist"}})
    read = ("alias_exists", "permission_enabled", "phone_registered")
    assert all(c["status"] == "warn" for c in checks if c["check"] in read)


def report_of(node_checks, cocon_checks, unreached=None):
    return readiness_report(node_checks + cocon_checks, "2026-11-30T10:00:00Z", unreached=unreached)


def test_report_ready_and_counts():
    report = report_of(readiness_node_checks(GOOD_NODE), cocon())
    assert report["ready"] is True and report["counts"] == {"ok": 17, "warn": 0, "fail": 0}
    assert [c["scope"] for c in report["checks"]][:7] == ["cluster"] + ["node"] * 6
    assert set(report["checks"][0]) == {"scope", "node", "domain", "target", "check", "status", "detail", "fix"}
    broken = report_of(node_with(served__http__status=502), cocon())
    assert broken["ready"] is False and broken["counts"]["fail"] == 1


def test_unreached_node_is_reported_not_left_out():
    report = report_of([], cocon(), unreached=["node2"])
    mine = [c for c in report["checks"] if c["node"] == "node2"]
    assert [c["check"] for c in mine] == list(NODE_CHECKS) and all(c["status"] == "warn" for c in mine)


def test_sections_list_what_is_not_ok_and_count_the_rest():
    report = report_of(node_with(served__http__status=502), cocon(**{"csta__before__enabled": "false"}))
    sections = readiness_sections(report)
    assert [s["section"] for s in sections] == ["cluster and nodes", "domain biysk.local"]
    assert sections[0]["lines"][-1] == "5 check(s) ok" and len(sections[0]["lines"]) == 3
    assert sections[0]["lines"][0].startswith("FAIL cluster csta_enabled: CSTA is disabled")
    assert sections[1]["lines"] == ["10 check(s) ok"]


def test_html_is_self_contained_escaped_and_has_a_row_per_subscriber():
    report = report_of(node_with(served__http__status=502), cocon())
    page = readiness_html(report, DOMAINS)
    assert "<script" not in page.lower() and not re.search(r"(src|href)\s*=", page, re.IGNORECASE)
    assert "@import" not in page and "url(" not in page
    assert page.count('<tr class="subscriber"') == 2
    assert 'id="subscriber-biysk.local-240473"' in page
    assert "Maria &lt;b&gt;Sidorova&lt;/b&gt;" in page and "<b>Sidorova" not in page
    assert 'class="fail" data-check="call_api_reachable"' in page
    assert "Not ready" in page


def test_settings_record_keeps_only_the_fingerprint():
    from ansible_collections.ecss.callapi.plugins.filter.readiness import widget_settings_record
    key = "2hBqT4acTLhcvFq29qW429TF26cfv9Wqkzn4Ga4chYC2hyhT2WkdknnWC94dFTKC"
    record = widget_settings_record('{"client_id": "amocrm", "api_key": "%s"}' % key, "/w/biysk.local.json")
    assert record["exists"] and record["client_id"] == "amocrm" and record["api_key_fingerprint"].startswith("sha256:")
    assert key not in repr(record)
    assert widget_settings_record(None, "/w/x.json")["exists"] is False
    assert widget_settings_record("{not json", "/w/x.json")["error"] == "not a JSON settings file"


# -- widget_settings_match: the widget in amoCRM against the settings file -------------------------

KEY = "2hBqT4acTLhcvFq29qW429TF26cfv9Wqkzn4Ga4chYC2hyhT2WkdknnWC94dFTKC"
FIELDS = {"client_id": "ecss_client", "api_key": "ecss_secret", "call_api_host": "ecss_host",
          "call_api_port": "ecss_port", "domain": "ecss_vpbx", "users": "ecss_phones"}
TEMPLATE = [{"key": "ecss_client", "type": "text"}, {"key": "ecss_secret", "type": "pass"},
            {"key": "ecss_host", "type": "text"}, {"key": "ecss_port", "type": "text"},
            {"key": "ecss_vpbx", "type": "text"}, {"key": "ecss_phones", "type": "users"}]


def settings_file(key=KEY):
    """What site.yml wrote to biysk.local.json."""
    from ansible_collections.ecss.callapi.plugins.filter.widget import widget_settings
    return widget_settings(DOMAINS[0], key, "ecss.example.test", 8088)


def widget_read(key=KEY, installed=True, shown=None, recorded=True, **changes):
    """An amocrm_widget_info result for the widget site.yml installed from settings_file(key):
    amoCRM shows the text values and the users, never the pass value; the record holds its fingerprint."""
    from ansible_collections.ecss.callapi.plugins.module_utils.amocrm import fingerprint
    settings = {"ecss_client": "amocrm", "ecss_host": "ecss.example.test", "ecss_port": "8088",
                "ecss_vpbx": "biysk.local", "ecss_phones": {"5001": "240473", "5002": "240474"}}
    settings.update(shown or {})
    sent = dict(settings, ecss_secret=key)
    read = {"failed": False, "found": True,
            "widget": {"code": "ecss10_call_api", "installed": installed, "template": TEMPLATE,
                       "settings": settings if installed else None, "secret_keys": ["ecss_secret"]},
            "recorded": dict((k, fingerprint(v)) for k, v in sent.items()) if recorded else None,
            "user_ids": {"Ivan Petrov": 5001, "Maria <b>Sidorova</b>": 5002}}
    read.update(changes)
    return read


def widget_checks(read, wanted_key=KEY, compared=True):
    """readiness_cocon_checks with the widget of biysk.local compared as check.yml compares it."""
    from ansible_collections.ecss.callapi.plugins.filter.amocrm_widget import (
        amocrm_widget_settings, amocrm_widget_settings_match)
    match = None
    if compared and read.get("found"):
        wanted = amocrm_widget_settings(settings_file(wanted_key), FIELDS)
        match = amocrm_widget_settings_match(wanted, read, ["ecss_secret"])
    widget = {"code": "ecss10_call_api", "fields": FIELDS, "settings_file": "/srv/w/biysk.local.json",
              "record_file": "/srv/w/biysk.local.amocrm_widget.json",
              "read": dict((k, v) for k, v in read.items() if k != "user_ids"), "match": match}
    return readiness_cocon_checks(DOMAINS, widgets={"biysk.local": widget}, **copy.deepcopy(GOOD_COCON))


def widget_check_of(checks):
    found = [c for c in checks if c["check"] == "widget_settings_match"]
    assert len(found) == 1 and found[0]["scope"] == "domain" and found[0]["target"] == "biysk.local"
    assert found[0]["domain"] == "biysk.local" and found[0]["node"] is None
    return found[0]


def test_no_widget_code_no_widget_check():
    assert [c for c in cocon() if c["check"] == "widget_settings_match"] == []


def test_widget_holding_the_settings_file_is_ok_and_says_how_it_was_verified():
    checks = widget_checks(widget_read())
    assert failing(checks) == []
    assert [c["check"] for c in checks if c["scope"] == "domain"] == [
        "integration_present", "settings_key_matches", "widget_settings_match"]
    check = widget_check_of(checks)
    assert check["fix"] is None
    assert "ecss_client (client_id), ecss_host (call_api_host)" in check["detail"]
    assert "ecss_secret (api_key) by the fingerprints /srv/w/biysk.local.amocrm_widget.json recorded" in check["detail"]


@pytest.mark.parametrize("read, wanted_key, status, named", [
    # Changed by hand in amoCRM: a value amoCRM shows.
    (widget_read(shown={"ecss_host": "old.example.test"}), KEY, "fail", "amoCRM shows other values"),
    # The settings file got another key than the widget was last sent (the record tells).
    (widget_read(), "new" + KEY, "fail", "holds other values than were last sent"),
    # A user's phone changed in amoCRM.
    (widget_read(shown={"ecss_phones": {"5001": "240473"}}), KEY, "fail", "ecss_phones (users)"),
    # No record and amoCRM does not show the key: cannot be decided.
    (widget_read(recorded=False), KEY, "warn", "cannot be compared"),
])
def test_each_widget_difference_names_its_keys_never_values(read, wanted_key, status, named):
    checks = widget_checks(read, wanted_key)
    assert failing(checks) == [("biysk.local", "widget_settings_match", status)]
    check = widget_check_of(checks)
    assert named in check["detail"] and check["fix"].startswith("run playbooks/site.yml")
    for secret in (KEY, "new" + KEY, "old.example.test", "240473"):
        assert secret not in check["detail"] + check["fix"]


def test_a_changed_key_names_the_key_field_and_rotation():
    check = widget_check_of(widget_checks(widget_read(), "new" + KEY))
    assert "ecss_secret (api_key)" in check["detail"] and "ecss_client" not in check["detail"]
    assert "rotate_keys.yml" in check["fix"]
    assert "rotate_keys.yml" not in widget_check_of(
        widget_checks(widget_read(shown={"ecss_port": "9999"})))["fix"]


def test_a_key_typed_text_is_compared_by_fingerprint_where_amocrm_shows_it():
    """A template that types the key text: amoCRM shows it (as a fingerprint, by secret_keys), so a key
    changed in amoCRM behind the record's back is seen."""
    from ansible_collections.ecss.callapi.plugins.module_utils.amocrm import fingerprint
    template = [dict(f, type="text") if f["key"] == "ecss_secret" else f for f in TEMPLATE]
    read = widget_read(shown={"ecss_secret": fingerprint("changed in amoCRM")})
    read["widget"]["template"] = template
    check = widget_check_of(widget_checks(read))
    assert check["status"] == "fail"
    assert "amoCRM shows other values than /srv/w/biysk.local.json for ecss_secret (api_key)" in check["detail"]
    # amocrm_widget believes its record for such a key: the fix removes the record first.
    assert check["fix"].startswith("delete /srv/w/biysk.local.amocrm_widget.json, then run playbooks/site.yml")
    assert "rotate_keys.yml" in check["fix"]
    read["widget"]["settings"]["ecss_secret"] = fingerprint(KEY)
    assert widget_check_of(widget_checks(read))["status"] == "ok"


def test_widget_not_installed_or_unknown_fails():
    check = widget_check_of(widget_checks(widget_read(installed=False, recorded=False)))
    assert check["status"] == "fail" and "not installed" in check["detail"] and "site.yml" in check["fix"]
    check = widget_check_of(widget_checks({"failed": False, "found": False, "widget": None}))
    assert check["status"] == "fail" and "no widget with code ecss10_call_api" in check["detail"]
    assert "ecss_amocrm_widget_code" in check["fix"]


@pytest.mark.parametrize("read", [
    {"failed": True, "msg": "amoCRM answered HTTP 401 Unauthorized: Invalid user name or password"},
    {"failed": True, "msg": "cannot reach https://mycompany.amocrm.ru: Connection refused"},
    {},
])
def test_amocrm_unreadable_is_a_warning_that_says_why(read):
    check = widget_check_of(widget_checks(read, compared=False))
    assert check["status"] == "warn"
    assert (read.get("msg") or "no answer") in check["detail"] and "run this check again" in check["fix"]


def test_no_settings_file_leaves_the_widget_uncompared():
    check = widget_check_of(widget_checks(widget_read(), compared=False))
    assert check["status"] == "warn" and "not compared" in check["detail"]
    assert check["fix"] == "fix settings_key_matches first"


def test_widget_check_in_the_report_sections_and_html():
    report = report_of([], widget_checks(widget_read(shown={"ecss_host": "old.example.test"})))
    assert report["ready"] is False
    lines = [s for s in readiness_sections(report) if s["section"] == "domain biysk.local"][0]["lines"]
    assert lines[0].startswith("FAIL biysk.local widget_settings_match: widget ecss10_call_api: amoCRM shows")
    page = readiness_html(report, DOMAINS)
    assert 'class="fail" data-check="widget_settings_match"' in page and "old.example.test" not in page
