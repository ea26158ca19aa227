# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The probe's read commands from ecss_domains: what the collection relies on, each accepted by cocon_read."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.ecss.callapi.plugins.filter.probe import probe_commands
from ansible_collections.ecss.callapi.plugins.module_utils.cocon_read import check_read_command

RANGE_INFO = "/domain/biysk.local/alias/info 24047{3-5} loc.gr 24047{3-5}@biysk.local"


DOMAINS = [
    {"name": "biysk.local", "client_id": "amocrm", "group": "loc.gr",
     "subscribers": [{"number": "240480", "iface": "office480@biysk.local"}, {"number": "240473"},
                     {"number": "240474"}, {"number": "240475", "amocrm_user": "Ivan"}]},
    {"name": "tomsk.local", "client_id": "amocrm", "subscribers": [{"number": "700101", "group": "sip.gr"}]},
    {"name": "empty.local", "client_id": "amocrm"},
]


def test_probe_commands_read_what_the_collection_relies_on():
    assert probe_commands(DOMAINS) == [
        "/domain/list",
        "/api/csta/info",
        "/domain/biysk.local/integrations/list",
        "/domain/biysk.local/alias/info 240480 loc.gr office480@biysk.local",
        "/domain/biysk.local/sip/user/info loc.gr office480@biysk.local",
        RANGE_INFO,
        "/domain/tomsk.local/integrations/list",
        "/domain/tomsk.local/alias/info 700101 sip.gr 700101@tomsk.local",
        "/domain/tomsk.local/sip/user/info sip.gr 700101@tomsk.local",
        "/domain/empty.local/integrations/list",
    ]
    for command in probe_commands(DOMAINS):
        assert check_read_command(command) == command


def test_probe_commands_refuse_what_validation_would():
    with pytest.raises(AnsibleFilterError, match="ecss_domains_problems"):
        probe_commands([{"name": "biysk.local", "subscribers": [{"number": 240473, "group": "loc.gr"}]}])
