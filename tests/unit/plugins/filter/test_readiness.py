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
