# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.ecss.callapi.plugins.filter.widget import (
    removal_confirmed,
    subscriber_aliases,
    widget_integration_problems,
    widget_rotation_report,
    widget_settings,
    widget_summary,
)

KEY = "2hBqT4acTLhcvFq29qW429TF26cfv9Wqkzn4Ga4chYC2hyhT2WkdknnWC94dFTKC"
DOMAIN = {"name": "biysk.local", "client_id": "amocrm",
          "subscribers": [{"number": 240473, "group": "loc.gr", "amocrm_user": "Ivan Petrov"},
                          {"number": "240474", "iface": "240474@biysk.local"}]}


def test_subscriber_aliases_leave_out_what_is_unset():
    assert subscriber_aliases(DOMAIN["subscribers"]) == [
        {"alias": "240473", "group": "loc.gr"}, {"alias": "240474", "iface": "240474@biysk.local"}]
    assert subscriber_aliases(None) == []


def test_widget_settings():
    settings = widget_settings(DOMAIN, KEY, "ecss.example.com", "8088")
    assert settings == {
        "domain": "biysk.local", "client_id": "amocrm", "api_key": KEY, "integration_type": "plain",
        "call_api_host": "ecss.example.com", "call_api_port": 8088, "call_api_url": "https://ecss.example.com:8088",
        "users": [{"name": "Ivan Petrov", "phone": "240473"}, {"name": None, "phone": "240474"}],
    }
    assert widget_settings(DOMAIN, KEY, "fd00::5", 8089)["call_api_url"] == "https://[fd00::5]:8089"


def test_summary_masks_the_key():
    results = [{"widget_setup_domain": DOMAIN, "api_key": KEY, "api_key_fingerprint": "sha256:0011"},
               {"widget_setup_domain": dict(DOMAIN, name="new.local"), "api_key": None, "api_key_fingerprint": None}]
    summary = widget_summary(results, "/srv/settings/", "ecss.example.com", 8088)
    assert KEY not in repr(summary)
    assert summary["biysk.local"]["api_key"] == "2hBq********FTKC"
    assert summary["biysk.local"]["settings_files"] == ["/srv/settings/biysk.local.json", "/srv/settings/biysk.local.yml"]
    assert "check mode cannot know it" in summary["new.local"]["api_key"]


def listing(name, client_id, *client_ids, **extra):
    return dict({"widget_setup_domain": {"name": name, "client_id": client_id},
                 "integrations": [{"client_id": c} for c in client_ids]}, **extra)


def test_rotation_needs_every_domain_and_integration():
    results = [listing("biysk.local", "amocrm", "amocrm"),
               listing("tomsk.local", "crm", "other"),
               dict(listing("nosuch.local", "crm"), failed=False, msg="CoCon refused it")]
    del results[2]["integrations"]
    assert widget_integration_problems(results, "rotate") == [
        "domain tomsk.local has no integration 'crm' to rotate (it holds 'other'); run site.yml to create it",
        "domain nosuch.local: CoCon refused it"]


def test_removal_tells_a_typo_from_a_removal_on_record():
    results = [listing("a.local", "amocmr", "amocrm"),        # typo, no record
               listing("b.local", "amocmr", "amocrm"),        # typo, settings file says otherwise
               listing("c.local", "amocrm", "bitrix"),        # removed before, settings file kept
               listing("d.local", "amocrm", "bitrix"),        # removed before, removal recorded
               listing("e.local", "amocrm"),                  # nothing left in the domain
               listing("f.local", "amocrm", "amocrm", "x")]   # there: will be removed
    records = {"b.local": {"settings_client_id": "amocrm"}, "c.local": {"settings_client_id": "amocrm"},
               "d.local": {"removed_client_id": "amocrm"}}
    assert widget_integration_problems(results, "remove", records) == [
        "domain a.local has no integration 'amocmr' but it holds 'amocrm' - a typo? (Nothing on record says "
        "that 'amocmr' was removed before.)",
        "domain b.local: client_id 'amocmr', but b.local.json (written by site.yml) records 'amocrm' - a typo?"]
    assert removal_confirmed(records["c.local"], "amocrm") and removal_confirmed(records["d.local"], "amocrm")
    assert not removal_confirmed(None, "amocrm") and not removal_confirmed(records["b.local"], "amocmr")


def test_rotation_report_says_where_every_key_is():
    domains = [{"name": n} for n in ("a.local", "b.local", "c.local")]
    done = [{"widget_setup_domain": {"name": "a.local"}}]
    report = widget_rotation_report(done, {"domain": "b.local", "replaced": True}, "/srv/s/", domains)
    assert report == (
        "Rotated, new key already in its settings files: a.local (/srv/s/a.local.json and .yml). "
        "Rotated, but the new key could NOT be written: b.local - CoCon holds it; run site.yml, which reads "
        "existing keys back (never issues new ones) and writes the settings files. "
        "Not rotated, old key still valid: c.local.")
    assert "Maybe rotated (the replace did not finish): b.local" in widget_rotation_report(
        done, {"domain": "b.local", "replaced": False}, "/srv/s", domains)
    assert widget_rotation_report([], {}, "/srv/s", domains) == (
        "Not rotated, old key still valid: a.local, b.local, c.local.")
