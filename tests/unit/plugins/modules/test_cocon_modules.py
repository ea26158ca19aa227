# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every CoCon module's main() against a fake console that answers from command-named fixtures."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.ecss.callapi.plugins.module_utils.cocon_errors import CoconConnectionError
from ansible_collections.ecss.callapi.plugins.modules import (
    alias_property,
    cocon_command,
    cocon_facts,
    csta,
    integration,
    integration_info,
)
from ansible_collections.ecss.callapi.tests.unit.plugins.modules.cocon_fake import FakeConsole, run_module, warnings

TESTER_KEY = "2hBqT4acTLhcvFq29qW429TF26cfv9Wqkzn4Ga4chYC2hyhT2WkdknnWC94dFTKC"
CSTA_INFO = "/api/csta/info"
SET_ENABLED = "/api/csta/set enabled true"
SET_PORT = "/api/csta/set tcp_port 4731"
RANGE_INFO = "/domain/biysk.local/alias/info 24047{3-5} loc.gr 24047{3-5}@biysk.local"
OFFICE = {"alias": "240480", "iface": "office480@biysk.local"}
ALIASES = ["240473", "240474", "240475", OFFICE]


def is_read(command):
    return command.split()[0].rsplit("/", 1)[-1] in ("info", "list")


# -- csta -------------------------------------------------------------------------------------
@pytest.mark.parametrize("dialect", [None, "csta_lines", "crlf_flat"])
def test_csta_sets_what_differs_and_reads_back(dialect, monkeypatch, capsys):
    console = FakeConsole(dialect)
    result = run_module(csta, {"parameters": {"tcp_port": 4731, "use_ssl": True}}, console, monkeypatch, capsys,
                        diff=True)
    assert result["changed"] is True and result["commands"] == [SET_ENABLED, SET_PORT]
    assert console.sent == [CSTA_INFO, SET_ENABLED, SET_PORT, CSTA_INFO]
    assert result["before"]["enabled"] == "false" and result["after"]["enabled"] == "true"
    assert result["diff"] == {"before": {"enabled": "false", "tcp_port": "4721"},
                              "after": {"enabled": "true", "tcp_port": "4731"}}
    assert result["capabilities"]["csta_info_layout"] == ("lines" if dialect == "csta_lines" else "table")


def test_csta_check_mode_reads_only_and_diff_only_when_asked(monkeypatch, capsys):
    console = FakeConsole()
    result = run_module(csta, {}, console, monkeypatch, capsys, check_mode=True)
    assert result["changed"] is True and result["commands"] == [SET_ENABLED]
    assert console.sent == [CSTA_INFO] and "diff" not in result


def test_csta_without_info_sets_unconditionally_and_says_so(monkeypatch, capsys):
    console = FakeConsole("csta_absent")
    result = run_module(csta, {"parameters": {"tcp_port": "4731"}}, console, monkeypatch, capsys)
    assert result["changed"] is True and console.sent == [CSTA_INFO, SET_ENABLED, SET_PORT]
    assert result["capabilities"]["csta_info_layout"] == "absent"
    assert any("could not read the CSTA state" in warning for warning in warnings(result))


def test_csta_info_in_an_unknown_layout_is_never_unchanged(monkeypatch, capsys):
    console = FakeConsole(answers={CSTA_INFO: "CSTA is on since Tuesday, tcp port 4721\n\n[exec at: 1, exec time: 3ms, nodes: n]"})
    result = run_module(csta, {"enabled": False}, console, monkeypatch, capsys)
    assert result["changed"] is True and result["commands"] == ["/api/csta/set enabled false"]
    assert result["capabilities"]["csta_info_layout"] == "unknown"
    assert any("layout this collection does not read" in warning for warning in warnings(result))


def test_csta_handed_an_absent_info_does_not_ask(monkeypatch, capsys):
    console = FakeConsole()
    result = run_module(csta, {"cocon_capabilities": {"csta_info_layout": "absent"}}, console, monkeypatch, capsys)
    assert console.sent == [SET_ENABLED] and result["changed"] is True


def test_csta_failing_half_way_reports_what_it_did(monkeypatch, capsys):
    console = FakeConsole(answers={SET_PORT: "Invalid command's arguments: 'tcp_port' is busy\n"})
    result = run_module(csta, {"parameters": {"tcp_port": 4731}}, console, monkeypatch, capsys)
    assert result["failed"] is True and result["changed"] is True
    assert result["commands"] == [SET_ENABLED, SET_PORT] and result["failed_command"] == SET_PORT
    assert "'tcp_port' is busy" in result["msg"]


@pytest.mark.parametrize("address", ["fe80::1%x --force", "fe80::1%eth0", u"１0.0.0.1"])
def test_csta_address_with_a_scope_fails_before_anything_is_sent(address, monkeypatch, capsys):
    console = FakeConsole()
    result = run_module(csta, {"parameters": {"tcp_ip": address}}, console, monkeypatch, capsys)
    assert result["failed"] is True and "parameters.tcp_ip" in result["msg"] and console.sent == []


def test_csta_bad_capabilities_fail_clearly(monkeypatch, capsys):
    console = FakeConsole()
    result = run_module(csta, {"cocon_capabilities": {"csta_info_layout": "grid"}}, console, monkeypatch, capsys)
    assert result["failed"] is True and "cocon_capabilities.csta_info_layout must be one of" in result["msg"]
    assert console.sent == []


# -- integration, integration_info ------------------------------------------------------------
def test_integration_reads_an_existing_key_back(monkeypatch, capsys):
    console = FakeConsole()
    result = run_module(integration, {"domain": "biysk.local", "client_id": "tester"}, console, monkeypatch, capsys)
    assert result["changed"] is False and result["api_key"] == TESTER_KEY and result["commands"] == []
    assert console.sent == ["/domain/biysk.local/integrations/list"]


def test_integration_add_returns_the_new_key(monkeypatch, capsys):
    console = FakeConsole()
    result = run_module(integration, {"domain": "biysk.local", "client_id": "amocrm"}, console, monkeypatch, capsys,
                        diff=True)
    assert result["changed"] is True and result["commands"] == ["/domain/biysk.local/integrations/add amocrm"]
    assert result["api_key"] == TESTER_KEY  # the seed's add transcript prints this key
    assert TESTER_KEY not in repr(result["diff"]) and result["diff"]["before"] == {"present": False}


def test_integration_check_mode_knows_no_key(monkeypatch, capsys):
    console = FakeConsole()
    result = run_module(integration, {"domain": "biysk.local", "client_id": "amocrm", "type": "widget"}, console,
                        monkeypatch, capsys, check_mode=True)
    assert result["changed"] is True and result["api_key"] is None
    assert result["commands"] == ["/domain/biysk.local/integrations/add amocrm --widget"]
    assert console.sent == ["/domain/biysk.local/integrations/list"]


@pytest.mark.parametrize("args, command, key", [
    ({"rotate": True}, "/domain/biysk.local/integrations/replace tester",
     "wT5neQJ1hykwvnTQeJ50ywKoFMizeAJcJwhcowFvV5eVe5zf5C1imCvoMFizAKQz"),
    ({"state": "absent"}, "/domain/biysk.local/integrations/remove tester", None),
])
def test_integration_rotate_and_remove(args, command, key, monkeypatch, capsys):
    console = FakeConsole()
    result = run_module(integration, dict(args, domain="biysk.local", client_id="tester"), console, monkeypatch,
                        capsys)
    assert result["changed"] is True and result["commands"] == [command] and result["api_key"] == key


@pytest.mark.parametrize("force", [False, True])
def test_integration_absent_client_id_among_others_is_a_typo_unless_forced(force, monkeypatch, capsys):
    console = FakeConsole()
    result = run_module(integration, {"domain": "biysk.local", "client_id": "testr", "state": "absent",
                                      "force": force}, console, monkeypatch, capsys)
    assert result.get("failed", False) is not force and result["changed"] is False and result["commands"] == []
    words = "client id 'testr' does not exist in biysk.local, which holds integrations for asz, sveta, tester"
    assert words in (result["msg"] if not force else warnings(result)[0])


def test_integration_info_hides_keys_unless_asked(monkeypatch, capsys):
    hidden = run_module(integration_info, {"domain": "biysk.local"}, FakeConsole(), monkeypatch, capsys)
    assert [i["client_id"] for i in hidden["integrations"]] == ["asz", "sveta", "tester"]
    assert all("api_key" not in i and i["api_key_fingerprint"].startswith("sha256:") for i in hidden["integrations"])
    shown = run_module(integration_info, {"domain": "biysk.local", "reveal_keys": True}, FakeConsole(), monkeypatch,
                       capsys)
    assert shown["integrations"][2]["api_key"] == TESTER_KEY and shown["changed"] is False


def test_integration_numbers_need_a_service_type(monkeypatch, capsys):
    console = FakeConsole()
    result = run_module(integration, {"domain": "biysk.local", "client_id": "c", "numbers": "24010{0-1}"}, console,
                        monkeypatch, capsys)
    assert result["failed"] is True and "numbers only applies to type=service" in result["msg"]
    assert console.sent == []


# -- alias_property ---------------------------------------------------------------------------
def alias_args(**extra):
    return dict(dict(domain="biysk.local", group="loc.gr", aliases=ALIASES, parallel_connections=1), **extra)


@pytest.mark.parametrize("dialect", [None, "alias_lines", "crlf_flat"])
def test_alias_property_reads_a_range_once_proven(dialect, monkeypatch, capsys):
    console = FakeConsole(dialect)
    result = run_module(alias_property, alias_args(), console, monkeypatch, capsys)
    assert console.sent[:2] == [RANGE_INFO, "/domain/biysk.local/alias/info 240480 loc.gr office480@biysk.local"]
    assert sorted(result["changed_aliases"]) == ["240473", "240475", "240480"]
    assert result["commands"] == [c for c in console.sent if not is_read(c)]
    capabilities = result["capabilities"]
    assert capabilities["number_ranges"] is True and capabilities["number_ranges_tested"] is True
    assert capabilities["alias_info_layout"] == ("lines" if dialect == "alias_lines" else "table")


def test_alias_property_sets_with_a_range_and_checks_every_member(monkeypatch, capsys):
    console = FakeConsole()
    result = run_module(alias_property, alias_args(aliases=ALIASES[:3], value=False), console, monkeypatch, capsys)
    assert result["commands"] == [
        "/domain/biysk.local/alias/set 24047{3-5} loc.gr 24047{3-5}@biysk.local api\\call\\enabled false"]
    assert sorted(result["changed_aliases"]) == ["240473", "240474", "240475"]
    assert result["capabilities"]["alias_set_ranges"] is True


def test_alias_property_falls_back_when_the_range_is_not_expanded(monkeypatch, capsys):
    console = FakeConsole("ranges_literal")
    result = run_module(alias_property, alias_args(), console, monkeypatch, capsys)
    assert console.sent[0] == RANGE_INFO
    assert all("{" not in command for command in console.sent[1:])
    assert sorted(result["changed_aliases"]) == ["240473", "240475", "240480"]
    assert result["capabilities"]["number_ranges"] is False and result["capabilities"]["number_ranges_tested"]
    assert any("did not show every member of the number range" in w for w in warnings(result))


def test_alias_property_sets_members_the_report_leaves_out_on_their_own(monkeypatch, capsys):
    # Reads expand the range (proven); alias/set takes it as one literal alias, as ranges_read_only does.
    range_set = "/domain/biysk.local/alias/set 24047{3-5} loc.gr 24047{3-5}@biysk.local api\\call\\enabled false"
    singles = ["/domain/biysk.local/alias/set %s loc.gr %s@biysk.local api\\call\\enabled false" % (n, n)
               for n in ("240473", "240474", "240475")]
    report = "There are aliases within domain biysk.local affected by settings property api\\call\\enabled:\n  %s <-> 0a\n"
    answers = dict((command, report % command.split()[1]) for command in singles)
    answers[range_set] = report % "*24047{3-5}"
    console = FakeConsole(answers=answers)
    result = run_module(alias_property, alias_args(aliases=ALIASES[:3], value="false"), console, monkeypatch, capsys)
    assert result["commands"] == [range_set] + singles and not result.get("failed")
    assert sorted(result["changed_aliases"]) == ["240473", "240474", "240475"]
    assert result["capabilities"]["alias_set_ranges"] is False
    assert any("did not list every member" in warning for warning in warnings(result))


def test_alias_property_check_mode_reads_only(monkeypatch, capsys):
    console = FakeConsole()
    result = run_module(alias_property, alias_args(), console, monkeypatch, capsys, check_mode=True, diff=True)
    assert all(is_read(command) for command in console.sent)
    assert sorted(result["changed_aliases"]) == ["240473", "240475", "240480"] and result["changed"] is True
    assert result["diff"]["before"] == {"240473": None, "240475": None, "240480": None}


def test_alias_property_unreadable_answers_are_set_and_reported_changed(monkeypatch, capsys):
    single = "/domain/biysk.local/alias/info 240474 loc.gr 240474@biysk.local"
    console = FakeConsole(answers={single: "Alias 240474 has api\\call\\enabled set\n\n[exec at: 1, exec time: 2ms, nodes: n]"})
    result = run_module(alias_property, alias_args(aliases=["240474"]), console, monkeypatch, capsys,
                        check_mode=True)
    assert result["changed_aliases"] == ["240474"] and result["capabilities"]["alias_info_layout"] == "unknown"
    assert any("does not read" in warning for warning in warnings(result))


def test_alias_property_yaml_boolean_value_is_lower_case(monkeypatch, capsys):
    console = FakeConsole()
    result = run_module(alias_property, alias_args(aliases=["240473"], value=True), console, monkeypatch, capsys)
    assert result["commands"] == [
        "/domain/biysk.local/alias/set 240473 loc.gr 240473@biysk.local api\\call\\enabled true"]


@pytest.mark.parametrize("alias", [240473, 240473.0])
def test_alias_property_number_must_be_quoted(alias, monkeypatch, capsys):
    console = FakeConsole()
    result = run_module(alias_property, alias_args(aliases=[alias]), console, monkeypatch, capsys)
    assert result["failed"] is True and "aliases[0] must be a string" in result["msg"] and "quote it" in result["msg"]
    assert console.sent == []


def test_alias_property_names_flagged_aliases_and_reports_the_others_changed(monkeypatch, capsys):
    flagged = "/domain/biysk.local/alias/set 240475 loc.gr 240475@biysk.local api\\call\\enabled true"
    console = FakeConsole(answers={flagged: "There are aliases within domain biysk.local affected by settings "
                                            "property api\\call\\enabled:\n  L240475 <-> 0a\n"})
    result = run_module(alias_property, alias_args(aliases=["240473", "240475"]), console, monkeypatch, capsys)
    assert result["failed"] is True and result["changed"] is True and result["changed_aliases"] == ["240473"]
    assert result["failed_aliases"] == [{"alias": "240475", "flag": "L",
                                         "meaning": "setup broken: no free subscriber licences"}]


def test_alias_property_dropped_connection_says_where_it_stopped(monkeypatch, capsys):
    dropped = "/domain/biysk.local/alias/set 240475 loc.gr 240475@biysk.local api\\call\\enabled true"
    console = FakeConsole(answers={dropped: CoconConnectionError("the connection was dropped", dropped)})
    result = run_module(alias_property, alias_args(aliases=["240473", "240475"]), console, monkeypatch, capsys)
    assert result["failed"] is True and result["changed"] is True and result["failed_command"] == dropped
    assert "Stopped there: 1 alias(es) were set before" in result["msg"]


# -- cocon_command ----------------------------------------------------------------------------
def test_cocon_command_masks_keys(monkeypatch, capsys):
    console = FakeConsole()
    result = run_module(cocon_command, {"commands": ["/domain/biysk.local/integrations/list"]}, console, monkeypatch,
                        capsys)
    assert result["changed"] is True and TESTER_KEY not in repr(result) and "********" in result["results"][0]["stdout"]


def test_cocon_command_failure_reports_what_ran_before(monkeypatch, capsys):
    console = FakeConsole(answers={"/domain/nowhere/integrations/list": "Command error: Domain nowhere does not exist\n"})
    result = run_module(cocon_command, {"commands": [SET_ENABLED, "/domain/nowhere/integrations/list", "/domain/list"]},
                        console, monkeypatch, capsys)
    assert result["failed"] is True and result["changed"] is True
    assert result["commands"] == [SET_ENABLED, "/domain/nowhere/integrations/list"]
    assert [r["command"] for r in result["results"]] == [SET_ENABLED]
    assert "Command error: Domain nowhere does not exist" in result["msg"]


# -- cocon_facts ------------------------------------------------------------------------------
@pytest.mark.parametrize("dialect, ranges, csta_layout, alias_layout", [
    (None, True, "table", "table"), ("ranges_literal", False, "table", "table"),
    ("csta_lines", True, "lines", "table"), ("csta_absent", True, "absent", "table"),
    ("alias_lines", True, "table", "lines")])
def test_cocon_facts(dialect, ranges, csta_layout, alias_layout, monkeypatch, capsys):
    console = FakeConsole(dialect)
    result = run_module(cocon_facts, {"group": "loc.gr", "aliases": ALIASES,
                                      "cocon_capabilities": {"number_ranges": not ranges}},
                        console, monkeypatch, capsys, check_mode=True)
    facts = result["cocon_capabilities"]
    assert result["changed"] is False and all(is_read(command) for command in console.sent)
    assert facts["number_ranges"] is ranges and facts["number_ranges_tested"] is True
    assert facts["csta_info_layout"] == csta_layout and facts["alias_info_layout"] == alias_layout
    assert (facts["node"], facts["version"], facts["exec_time_ms_median"]) == ("ds1@ecss1", "3.14.7.585", 25)
    assert result["domain"] == "biysk.local" and result["domains"] == ["biysk.local", "tomsk.local"]


def test_cocon_facts_without_aliases_does_not_test_ranges(monkeypatch, capsys):
    result = run_module(cocon_facts, {}, FakeConsole(), monkeypatch, capsys)
    facts = result["cocon_capabilities"]
    assert facts["number_ranges"] is False and facts["number_ranges_tested"] is False
    assert facts["alias_info_layout"] == "unknown"
    assert "no aliases given" in result["notes"][0]
