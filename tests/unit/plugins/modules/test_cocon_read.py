# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""cocon_read: allow-listed reads only, answers as received, secrets redacted inside the module,
failures recorded as what they are."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest

from ansible_collections.ecss.callapi.plugins.module_utils.cocon_errors import CoconAuthError, CoconTimeoutError
from ansible_collections.ecss.callapi.plugins.module_utils.cocon_read import check_read_command
from ansible_collections.ecss.callapi.plugins.module_utils.cocon_redact import redaction
from ansible_collections.ecss.callapi.plugins.module_utils.cocon_validation import CoconInputError
from ansible_collections.ecss.callapi.plugins.modules import cocon_read
from ansible_collections.ecss.callapi.tests.unit.plugins.modules.cocon_fake import (
    PASSWORD,
    FakeConsole,
    run_module,
)

TESTER_KEY = "2hBqT4acTLhcvFq29qW429TF26cfv9Wqkzn4Ga4chYC2hyhT2WkdknnWC94dFTKC"
LIST = "/domain/biysk.local/integrations/list"
RANGE_INFO = "/domain/biysk.local/alias/info 24047{3-5} loc.gr 24047{3-5}@biysk.local"
READS = ["/domain/list", "/api/csta/info", LIST, "/domain/biysk.local/alias/info 240473 loc.gr 240473@biysk.local",
         RANGE_INFO, "/domain/biysk.local/sip/user/info loc.gr 240473@biysk.local"]


def fixture(command, dialect=None):
    """The answer as that dialect's console sends it (the fixtures on disk are LF; crlf_flat adds the CR)."""
    return FakeConsole(dialect).answer(command)


@pytest.mark.parametrize("command", READS)
def test_the_read_commands_pass(command):
    assert check_read_command(command) == command


@pytest.mark.parametrize("command, words", [
    ("/api/csta/set enabled true", "is not one of the read commands"),
    ("/domain/biysk.local/alias/set 240473 loc.gr 240473@biysk.local api\\call\\enabled true", "is not one of"),
    ("/domain/biysk.local/integrations/add amocrm", "is not one of"),
    ("/domain/biysk.local/integrations/list --force", "takes 0 argument(s)"),
    ("domain/list", "is not one of"),
    ("/domain/list ", "takes 0 argument(s)"),
    ("/domain/biysk.local/alias/info 240473  loc.gr 240473@biysk.local", "takes 3 argument(s)"),
    ("/domain/biysk.local;x/integrations/list", "is not a valid domain"),
    ("/domain/../integrations/list", "is not a valid domain"),
    ("/domain/biysk.local/alias/info 240473 loc.gr 240473@biysk.local\n/api/csta/set enabled true", "U\\+000A"),
    ("/domain/biysk.local/sip/user/info loc.gr 24047{3-5}@biysk.local", "is not a valid iface"),
    ("/domain/biysk.local/alias/info 24047{3-5}{1-2} loc.gr x", "is not a number range"),
    ("/domain/list\x00", "U\\+0000"),
    (u"/domain/\u0431iysk.local/integrations/list", "U\\+0431"),
])
def test_anything_else_is_refused(command, words):
    with pytest.raises(CoconInputError, match=words.replace("(", r"\(").replace(")", r"\)")):
        check_read_command(command)


def test_a_refused_command_sends_nothing(monkeypatch, capsys):
    console = FakeConsole()
    result = run_module(cocon_read, {"commands": ["/domain/list", "/api/csta/set enabled true"]}, console,
                        monkeypatch, capsys)
    assert result["failed"] is True and console.sent == [] and "is not one of the read commands" in result["msg"]


@pytest.mark.parametrize("check_mode", [False, True])
def test_answers_as_received_keys_redacted_in_check_mode_too(monkeypatch, capsys, check_mode):
    console = FakeConsole("crlf_flat", answers={
        LIST: fixture(LIST).replace("\n", "\r\n"),
        READS[-1]: "SIP user: 240473@biysk.local\r\nContacts list is empty\r\n\r\n"
                   "[exec at: 16.02.2021 15:20:33, exec time: 25ms, nodes: ds1@ecss1 v.3.14.7.585]\r\n"})
    result = run_module(cocon_read, {"commands": READS, "cocon_capabilities": {"exec_channels_per_connection": "many"}},
                        console, monkeypatch, capsys, check_mode=check_mode)
    assert result["changed"] is False and result["commands"] == [] and console.sent == READS
    assert [r["command"] for r in result["results"]] == READS and {r["status"] for r in result["results"]} == {"ok"}
    outputs = dict((r["command"], r["output"]) for r in result["results"])
    assert outputs["/api/csta/info"] == fixture("/api/csta/info", "crlf_flat")
    assert outputs[RANGE_INFO] == fixture(RANGE_INFO, "crlf_flat")
    assert "\r\n" in outputs[LIST] and redaction(TESTER_KEY) in outputs[LIST]
    assert result["results"][0]["footer"] == {"exec_at": "16.02.2021 15:20:33", "exec_time_ms": 25,
                                              "nodes": "ds1@ecss1 v.3.14.7.585"}
    printed = json.dumps(result)
    assert TESTER_KEY not in printed and TESTER_KEY[:20] not in printed and PASSWORD not in printed


def test_failures_are_results_not_crashes(monkeypatch, capsys):
    console = FakeConsole("csta_absent", answers={
        LIST: "Command error: Domain biysk.local has no integrations, key " + TESTER_KEY + "\n",
        READS[-1]: CoconTimeoutError("CoCon did not answer within 30s", READS[-1])})
    result = run_module(cocon_read, {"commands": READS[:3] + READS[-1:]}, console, monkeypatch, capsys)
    assert not result.get("failed")
    statuses = [(r["status"], r["words"]) for r in result["results"]]
    assert statuses[0] == ("ok", None)
    assert statuses[1] == ("no_such_command", "There is no such command: /api/csta/info")
    assert statuses[2] == ("command_error", "Command error: Domain biysk.local has no integrations, key "
                           + redaction(TESTER_KEY))
    assert statuses[3][0] == "timeout" and result["results"][3]["output"] == ""
    assert TESTER_KEY not in json.dumps(result)


def test_a_console_that_cannot_be_reached_fails_with_the_answers_before(monkeypatch, capsys):
    console = FakeConsole(answers={LIST: CoconAuthError("rejected the login", LIST)})
    result = run_module(cocon_read, {"commands": ["/domain/list", LIST, "/api/csta/info"]}, console, monkeypatch, capsys)
    assert result["failed"] is True and "rejected the login" in result["msg"]
    assert [r["command"] for r in result["results"]] == ["/domain/list"] and console.sent == ["/domain/list", LIST]
