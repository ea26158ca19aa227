# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the settings files hold: byte for byte what the role's copy tasks wrote before, so no file changes on upgrade."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest
import yaml

from ansible.errors import AnsibleActionFail
from ansible.plugins.filter.core import to_nice_json, to_nice_yaml

from ansible_collections.ecss.callapi.plugins.action.widget_settings_files import settings_files
from ansible_collections.ecss.callapi.plugins.filter.widget import widget_settings

KEY = "2hBqT4acTLhcvFq29qW429TF26cfv9Wqkzn4Ga4chYC2hyhT2WkdknnWC94dFTKC"
BIYSK = {"name": "biysk.local", "client_id": "amocrm", "subscribers": [{"number": "240473", "amocrm_user": "Ivan"}]}
TOMSK = {"name": "tomsk.local", "client_id": "amocrm-tomsk", "integration_type": "plain", "subscribers": []}


def test_each_domain_with_a_key_gets_json_and_yml():
    files, without_key = settings_files([BIYSK, TOMSK], {"biysk.local": KEY, "tomsk.local": None},
                                        "callapi.example.org", 8088, "/srv/settings")
    assert [path for path, _data in files] == ["/srv/settings/biysk.local.json", "/srv/settings/biysk.local.yml"]
    assert without_key == ["tomsk.local"]
    settings = widget_settings(BIYSK, KEY, "callapi.example.org", 8088)
    assert files[0][1] == (to_nice_json(settings, indent=2) + "\n").encode()
    assert files[1][1] == to_nice_yaml(settings, indent=2).encode()
    assert json.loads(files[0][1]) == yaml.safe_load(files[1][1]) == settings
    assert json.loads(files[0][1])["api_key"] == KEY and json.loads(files[0][1])["call_api_url"] == "https://callapi.example.org:8088"


def test_a_domain_missing_from_the_keys_gets_no_files():
    files, without_key = settings_files([BIYSK], {}, "h", 8088, "/d")
    assert files == [] and without_key == ["biysk.local"]


@pytest.mark.parametrize("domain", [{"client_id": "amocrm"}, {"name": "biysk.local"}, {}])
def test_a_domain_without_name_or_client_id_is_an_error(domain):
    with pytest.raises(AnsibleActionFail, match="needs a name and a client_id"):
        settings_files([domain], {"biysk.local": KEY}, "h", 8088, "/d")
