# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.ecss.callapi.plugins.filter.widget import (
    subscriber_aliases,
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
