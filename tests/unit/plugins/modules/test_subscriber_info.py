# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""subscriber_info's main() against the fake console: reads only; registration only from the seen sentence or a table."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import io
import os

import pytest

from ansible_collections.ecss.callapi.plugins.module_utils.cocon_errors import CoconCommandError
from ansible_collections.ecss.callapi.plugins.modules import subscriber_info
from ansible_collections.ecss.callapi.tests.unit.plugins.modules.cocon_fake import FakeConsole, run_module

PARSER_FIXTURES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "module_utils", "fixtures")
SIP = "/domain/biysk.local/sip/user/info loc.gr %s@biysk.local"


def parser_fixture(name):
    with io.open(os.path.join(PARSER_FIXTURES, name), encoding="utf-8", newline="") as handle:
        return handle.read()


def sip_answers(**by_number):
    return dict((SIP % number, parser_fixture(name) if name.endswith(".txt") else name)
                for number, name in by_number.items())


def by_alias(result):
    return dict((s["alias"], s) for s in result["subscribers"])


@pytest.mark.parametrize("dialect", [None, "ranges_literal", "alias_lines", "crlf_flat"])
def test_exists_permission_and_registration(dialect, monkeypatch, capsys):
    answers = sip_answers(**{"240473": "sip_user_info.empty.txt", "240474": "sip_user_info.contacts.guess.txt",
                             "240475": "sip_user_info.contact_lines.guess.txt"})
    console = FakeConsole(dialect, answers=answers)
    result = run_module(subscriber_info, {"domain": "biysk.local", "group": "loc.gr",
                                          "aliases": ["240473", "240474", "240475"]}, console, monkeypatch, capsys,
                        check_mode=True)
    assert result["changed"] is False and result["commands"] == []
    assert all(command.split()[0].rsplit("/", 1)[-1] in ("info", "list") for command in console.sent), console.sent
    found = by_alias(result)
    assert [found[n]["exists"] for n in ("240473", "240474", "240475")] == [True, True, True]
    assert found["240474"]["properties"].get("api\\call\\enabled") == "true"
    assert found["240473"]["properties"].get("api\\call\\enabled") is None
    assert found["240473"]["registration"] == "unregistered"
    assert found["240474"]["registration"] == "registered" and len(found["240474"]["contacts"]) == 2
    assert found["240475"]["registration"] == "unknown" and "does not read" in found["240475"]["registration_error"]


def test_missing_alias_is_not_asked_about_and_refusals_stay_unknown(monkeypatch, capsys):
    answers = sip_answers(**{"240473": "sip_user_info.empty.txt"})
    answers[SIP % "240474"] = CoconCommandError("CoCon refused", SIP % "240474", "",
                                                "Command error: SIP user 240474@biysk.local does not exist in group loc.gr")
    answers["/domain/biysk.local/alias/info 240499 loc.gr 240499@biysk.local"] = \
        "\n[exec at: 16.02.2021 15:20:33, exec time: 25ms, nodes: ds1@ecss1 v.3.14.7.585]\n"
    console = FakeConsole(answers=answers)
    result = run_module(subscriber_info, {"domain": "biysk.local", "group": "loc.gr",
                                          "aliases": ["240473", "240474", "240499"], "use_ranges": False},
                        console, monkeypatch, capsys)
    found = by_alias(result)
    assert found["240499"]["exists"] is False and found["240499"]["registration"] is None
    assert SIP % "240499" not in console.sent
    assert found["240474"]["registration"] == "unknown"
    assert "does not exist in group" in found["240474"]["registration_error"]


def test_registration_can_be_left_out(monkeypatch, capsys):
    console = FakeConsole()
    result = run_module(subscriber_info, {"domain": "biysk.local", "group": "loc.gr", "aliases": ["240473"],
                                          "registration": False, "use_ranges": False}, console, monkeypatch, capsys)
    assert not any("sip/user/info" in command for command in console.sent)
    assert by_alias(result)["240473"]["registration"] is None
