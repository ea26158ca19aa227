# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.ecss.callapi.plugins.filter.amocrm_widget import (
    amocrm_widget_settings, amocrm_widget_settings_match)
from ansible_collections.ecss.callapi.plugins.filter.widget import widget_settings
from ansible_collections.ecss.callapi.plugins.module_utils.amocrm import fingerprint

KEY = "2hBqT4acTLhcvFq29qW429TF26cfv9Wqkzn4Ga4chYC2hyhT2WkdknnWC94dFTKC"
DOMAIN = {"name": "biysk.local", "client_id": "amocrm",
          "subscribers": [{"number": "240473", "amocrm_user": "Ivan Petrov"}, {"number": "240474"}]}
IDENTITY = dict((f, f) for f in ("client_id", "api_key", "call_api_host", "call_api_port", "domain", "users"))


def test_the_settings_filters_output_maps_to_template_keys():
    settings = amocrm_widget_settings(widget_settings(DOMAIN, KEY, "ecss.example.com", 8088), IDENTITY)
    assert settings == {"client_id": "amocrm", "api_key": KEY, "call_api_host": "ecss.example.com",
                        "call_api_port": "8088", "domain": "biysk.local", "users": {"Ivan Petrov": "240473"}}


def test_a_bad_field_map_is_a_filter_error():
    with pytest.raises(AnsibleFilterError, match="unknown field"):
        amocrm_widget_settings({}, {"apikey": "x"})


def test_settings_match_compares_fingerprints_only():
    info = {"widget": {"installed": True, "secret_keys": ["apikey"],
                       "template": [{"key": "apikey", "type": "pass"}, {"key": "phones", "type": "users"}],
                       "settings": {"phones": {"20": "240473"}}},
            "recorded": {"apikey": fingerprint(KEY)}, "user_ids": {"Ivan Petrov": 20}}
    result = amocrm_widget_settings_match({"apikey": KEY, "phones": {"Ivan Petrov": "240473"}}, info)
    assert result == {"match": True, "installed": True, "differences": [], "unresolved_users": [],
                      "verified": {"apikey": "record", "phones": "amocrm"}}
    assert KEY not in repr(amocrm_widget_settings_match({"apikey": "x" + KEY}, info))


def test_two_domains_may_not_share_one_widget_of_one_account():
    from ansible_collections.ecss.callapi.plugins.filter.amocrm_widget import amocrm_widget_conflicts

    domains = [{"name": "a.local"}, {"name": "b.local"}, {"name": "c.local"}, {"name": "d.local"}]
    defaults = {"subdomain": "acme", "widget_code": "ecss", "base_url": ""}
    accounts = {"c.local": {"base_url": "https://other.amocrm.ru/"}, "d.local": {"widget_code": ""}}
    assert amocrm_widget_conflicts(domains, accounts, defaults) == [
        "domains a.local and b.local and d.local all configure widget ecss of the amoCRM account at "
        "https://acme.amocrm.ru, which holds one copy of its settings: give each domain its own account or widget "
        "code in ecss_amocrm_accounts"]
    assert amocrm_widget_conflicts(domains[:1] + domains[2:3], accounts, defaults) == []
    assert amocrm_widget_conflicts(domains, {}, {"widget_code": ""}) == []
