# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure logic of the CoCon modules: argument shapes to CoCon command arguments."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.ecss.callapi.plugins.module_utils.cocon_alias import Batch, batches, subscriber_list
from ansible_collections.ecss.callapi.plugins.module_utils.cocon_csta import wanted_parameters
from ansible_collections.ecss.callapi.plugins.module_utils.cocon_integration import add_command, integration_state
from ansible_collections.ecss.callapi.plugins.module_utils.cocon_raw import mask_keys
from ansible_collections.ecss.callapi.plugins.module_utils.cocon_validation import CoconInputError

KEY = "2hBqT4acTLhcvFq29qW429TF26cfv9Wqkzn4Ga4chYC2hyhT2WkdknnWC94dFTKC"


def test_subscriber_list_defaults_and_repeats():
    entries = subscriber_list(["240473", "240474", {"alias": "240480", "group": "office.gr"}, "240473"],
                              "biysk.local", "loc.gr")
    assert entries == [
        {"alias": "240473", "group": "loc.gr", "iface": "240473@biysk.local"},
        {"alias": "240474", "group": "loc.gr", "iface": "240474@biysk.local"},
        {"alias": "240480", "group": "office.gr", "iface": "240480@biysk.local"},
    ]


@pytest.mark.parametrize("aliases, group, words", [
    (["240473"], None, "has no group"),
    ([{"alias": "1", "iface": "1@x", "colour": "red"}], "g", "unknown key(s) colour"),
    ([{"group": "g"}], "g", "needs an alias"),
    ([True], "g", "aliases[0] must be a string, got bool"),
    ([240474], "g", "aliases[0] must be a string, got the number 240474: quote it"),
    ([{"alias": 240474.0}], "g", "aliases[0].alias must be a string, got the number 240474.0"),
    ([{"alias": "1", "iface": "1@a"}, {"alias": "1", "iface": "1@b"}], "g", "listed twice"),
    (["1 2"], "g", "a space"),
])
def test_subscriber_list_rejects(aliases, group, words):
    with pytest.raises(CoconInputError) as error:
        subscriber_list(aliases, "biysk.local", group)
    assert words in str(error.value)


def test_batches_range_only_what_ecss_can_express():
    entries = subscriber_list(["240473", "240474", "240475", {"alias": "240476", "iface": "custom@biysk.local"},
                               {"alias": "240477", "group": "other.gr"}], "biysk.local", "loc.gr")
    assert batches(entries, "biysk.local", True) == [
        Batch("240476", "loc.gr", "custom@biysk.local", ["240476"]),
        Batch("24047{3-5}", "loc.gr", "24047{3-5}@biysk.local", ["240473", "240474", "240475"]),
        Batch("240477", "other.gr", "240477@biysk.local", ["240477"]),
    ]
    assert [b.alias_arg for b in batches(entries, "biysk.local", False)] == [
        "240473", "240474", "240475", "240476", "240477"]


def test_csta_wanted_parameters_are_typed():
    assert wanted_parameters({"enabled": True, "parameters": {"tcp_port": "4731", "use_tcp": False,
                                                              "ssl_ip": "10.0.0.5", "auth": ["a", "b"]}}) == {
        "enabled": "true", "tcp_port": "4731", "use_tcp": "false", "ssl_ip": "10.0.0.5", "auth": "[a,b]"}
    for bad in ({"tcp_port": "80 80"}, {"use_ssl": "yes please"}, {"tcp_ip": "10.0.0"}, {"auth": "a"},
                {"enabled": True}, {"Bad Field": 1}, {"tcp_ip": "fe80::1%x --force"}, {"ssl_ip": "fe80::1%eth0"}):
        with pytest.raises(CoconInputError):
            wanted_parameters({"enabled": True, "parameters": bad})


def test_integration_add_forms():
    assert add_command("biysk.local", "amocrm", None, None) == "/domain/biysk.local/integrations/add amocrm"
    assert add_command("d", "c", "widget", None) == "/domain/d/integrations/add c --widget"
    assert add_command("d", "c", "service", "24010{0-1}") == "/domain/d/integrations/add c --service --numbers 24010{0-1}"


def test_integration_state_never_holds_the_key():
    state = integration_state({"client_id": "amocrm", "api_key": KEY, "type": "widget"})
    assert state["present"] and state["type"] == "widget"
    assert KEY not in repr(state) and state["api_key_fingerprint"].startswith("sha256:")
    assert integration_state(None) == {"present": False}


def test_raw_output_keys_are_masked():
    table = u"│amocrm   │%s│\n" % KEY
    assert KEY not in mask_keys(table) and "********" in mask_keys(table)
    assert mask_keys("New integration was added. API key: %s" % KEY) == "New integration was added. API key: ********"
