# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Parsers against real CoCon transcripts (../fixtures, named after the command)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import io
import os

import pytest

from ansible_collections.ecss.callapi.plugins.module_utils import cocon_parsers as parsers

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures")

SEED_LIST = [
    ("asz", "2uKwuT5qxKB21uzPuTb518oxDB2qzuKLebfT17orDOG21zuuLL0efu1D06rrKcBZ"),
    ("sveta", "4lCyTODH1wfcG41yCytsUDCcfffvWANlyCUL4xcDH4cfyfcWvPNylyCUM1ycOD1H"),
    ("tester", "2hBqT4acTLhcvFq29qW429TF26cfv9Wqkzn4Ga4chYC2hyhT2WkdknnWC94dFTKC"),
]


def fixture(name):
    with io.open(os.path.join(FIXTURES, name), encoding="utf-8", newline="") as handle:
        return handle.read()


@pytest.mark.parametrize("name, exec_at, ms, nodes", [
    ("integrations_add.2019.txt", "22.12.2019 10:12:38", 28, "ds1@ecss1"),
    ("integrations_add.2019.flat.txt", "22.12.2019 10:12:38", 28, "ds1@ecss1"),
    ("integrations_add_widget.3.14.txt", "16.02.2021 16:06:33", 23, "ds1@ecss1 v.3.14.7.585"),
    ("alias_set.flagged.crlf.txt", "20.12.2019 22:42:09", 101, "ds1@ecss2"),
])
def test_footer_is_split_off(name, exec_at, ms, nodes):
    body, footer = parsers.parse_footer(fixture(name))
    assert footer == {"exec_at": exec_at, "exec_time_ms": ms, "nodes": nodes}
    assert "[exec at" not in body
    assert "\r" not in body


def test_footer_absent():
    assert parsers.parse_footer("ok\n") == ("ok", None)


@pytest.mark.parametrize("name, key", [
    ("integrations_add.2019.txt", "2hBqT4acTLhcvFq29qW429TF26cfv9Wqkzn4Ga4chYC2hyhT2WkdknnWC94dFTKC"),
    ("integrations_add.2019.flat.txt", "2hBqT4acTLhcvFq29qW429TF26cfv9Wqkzn4Ga4chYC2hyhT2WkdknnWC94dFTKC"),
    ("integrations_add_widget.3.14.txt", "rTDNoZ9aF9tErDT9ZQEU04qgSt9brFd9Z9QEZGHa9tgtB9drr0dTNZ9ohzE0Ga4q"),
    ("integrations_replace.2019.txt", "wT5neQJ1hykwvnTQeJ50ywKoFMizeAJcJwhcowFvV5eVe5zf5C1imCvoMFizAKQz"),
    ("integrations_replace.2019.flat.txt", "wT5neQJ1hykwvnTQeJ50ywKoFMizeAJcJwhcowFvV5eVe5zf5C1imCvoMFizAKQz"),
])
def test_new_api_key(name, key):
    assert parsers.parse_new_api_key(fixture(name)) == key


def test_no_key_in_remove_output():
    assert parsers.parse_new_api_key(fixture("integrations_remove.2019.txt")) is None


@pytest.mark.parametrize("name", ["integrations_list.2019.txt", "integrations_list.2019.flat.txt"])
def test_integrations_list_seed(name):
    rows = parsers.parse_integrations_list(fixture(name))
    assert [(row["client_id"], row["api_key"]) for row in rows] == SEED_LIST
    assert all(set(row) == {"client_id", "api_key"} for row in rows)


def test_integrations_list_with_type_columns():
    rows = parsers.parse_integrations_list(fixture("integrations_list.3.14.guess.txt"))
    assert rows == [
        {"client_id": "amocrm", "api_key": "rTDNoZ9aF9tErDT9ZQEU04qgSt9brFd9Z9QEZGHa9tgtB9drr0dTNZ9ohzE0Ga4q",
         "type": "widget", "numbers": None},
        {"client_id": "crm2", "api_key": "2hBqT4acTLhcvFq29qW429TF26cfv9Wqkzn4Ga4chYC2hyhT2WkdknnWC94dFTKC",
         "type": "service", "numbers": "24010{0-1}"},
    ]


def test_integrations_list_empty_table_and_crlf():
    empty = u"┌─────────┬───────┐\r\n│Client id│API Key│\r\n├─────────┼───────┤\r\n└─────────┴───────┘\r\n\r\n" \
            u"[exec at: 22.12.2019 10:14:13, exec time: 12ms, nodes: ds1@ecss1]\r\n"
    assert parsers.parse_integrations_list(empty) == []
    assert parsers.parse_integrations_list("ok\n") == []


def test_flattened_table_with_empty_cells_keeps_columns():
    flat = u"┌──┬──┬──┐ │a │b │c │ ├──┼──┼──┤ │1 │ │3 │ │ │5 │ │ └──┴──┴──┘"
    assert parsers.parse_box_table(flat) == [{"a": "1", "b": "", "c": "3"}, {"a": "", "b": "5", "c": ""}]


def test_table_absent():
    assert parsers.parse_box_table("New integration was added.") is None


@pytest.mark.parametrize("name", ["alias_set.2019.txt", "alias_set.2019.flat.txt"])
def test_alias_set_seed(name):
    result = parsers.parse_alias_set(fixture(name))
    assert result["domain"] == "biysk.local"
    assert result["property"] == "api\\call\\enabled"
    assert result["results"] == [{
        "alias": "240473", "hash": "062743c44271f9e7", "flag": "", "failed": False,
        "meaning": "successful setup",
    }]


def test_alias_set_flags():
    result = parsers.parse_alias_set(fixture("alias_set.flagged.crlf.txt"))
    assert [(r["alias"], r["flag"], r["failed"]) for r in result["results"]] == [
        ("240473", "", False), ("240499", "*", True), ("240474", "L", True),
    ]
    assert result["results"][1]["meaning"] == "setup broken: alias does not exist"


def test_alias_set_flag_as_separate_token():
    text = ("There are aliases within domain d.local affected by settings property p: "
            "240473 <-> 0a * 240474 <-> 0b x 240475 <-> 0c i 240476 <-> 0d Legend: a: Setup alias address")
    results = parsers.parse_alias_set(text)["results"]
    assert [(r["alias"], r["flag"]) for r in results] == [
        ("240473", ""), ("240474", "*"), ("240475", "x"), ("240476", "i")]
    assert [r["failed"] for r in results] == [False, True, True, False]


def test_alias_set_not_a_report():
    assert parsers.parse_alias_set(fixture("no_such_command.txt")) is None


def test_csta_parameters():
    layout, params = parsers.parse_parameters(fixture("api_csta_info.guess.txt"))
    assert layout == "table"
    assert params == {"enabled": "false", "auth": "[]", "tcp_ip": "0.0.0.0", "tcp_port": "4721",
                      "ssl_ip": "0.0.0.0", "ssl_port": "4722", "use_ssl": "true", "use_tcp": "true"}


@pytest.mark.parametrize("name", ["api_csta_info.lines.txt", "api_csta_info.flat.crlf.txt"])
def test_csta_parameters_in_other_layouts(name):
    layout, params = parsers.parse_parameters(fixture(name))
    assert layout == ("lines" if "lines" in name else "table")
    assert params["enabled"] == "false" and params["tcp_port"] == "4721" and params["auth"] == "[]"
    assert params["tcp_ip"] == "0.0.0.0" and len(params) == 8


def test_parameters_from_plain_lines():
    assert parsers.parse_parameters("enabled: true\ntcp_port = 4721\n\n[exec at: 1, exec time: 1ms, nodes: x]") == (
        "lines", {"enabled": "true", "tcp_port": "4721"})


@pytest.mark.parametrize("text, layout", [
    ("\n[exec at: 1, exec time: 1ms, nodes: x]", "empty"),
    (u"┌─────────┬─────┐\n│Parameter│Value│\n└─────────┴─────┘\n", "empty"),
    ("CSTA is on, port 4721 and nothing else\n", "unknown"),
    ("enabled: true\nsomething without a separator\n", "unknown"),
])
def test_parameters_that_cannot_be_read_say_so(text, layout):
    assert parsers.parse_parameters(text) == (layout, {})


def test_alias_info_table_with_alias_column():
    assert parsers.parse_alias_info(fixture("alias_info.guess.txt")) == (
        "table", {"240473": {"api\\call\\enabled": "true", "cfu\\number": "1000"}, "240474": {}})


@pytest.mark.parametrize("name, layout", [
    ("alias_info.lines.txt", "lines"), ("alias_info.flat.crlf.txt", "table")])
def test_alias_info_range_in_other_layouts(name, layout):
    # 240473 has the property set, 240474 has none: the lines layout leaves it out.
    assert parsers.parse_alias_info(fixture(name)) == (
        layout, {"240473": {"api\\call\\enabled": "true"}, "240474": {}})


def test_alias_info_property_table_without_alias_column():
    text = u"┌────────────────┬─────┐\n│Property        │Value│\n├────────────────┼─────┤\n" \
           u"│api\\call\\enabled│false│\n└────────────────┴─────┘\n"
    assert parsers.parse_alias_info(text, default_alias="7") == ("table", {"7": {"api\\call\\enabled": "false"}})
    # Without an alias column only a single alias's answer can be attributed.
    assert parsers.parse_alias_info(text) == ("unknown", {})


def test_alias_info_plain_lines_and_empty():
    assert parsers.parse_alias_info("api\\call\\enabled: true\n", default_alias="7") == (
        "lines", {"7": {"api\\call\\enabled": "true"}})
    assert parsers.parse_alias_info("\n[exec at: 1, exec time: 1ms, nodes: x]", default_alias="7") == ("empty", {})
    empty_table = u"┌─────┬─────────┬─────┐\n│Alias│Property │Value│\n└─────┴─────────┴─────┘\n"
    assert parsers.parse_alias_info(empty_table) == ("empty", {})


@pytest.mark.parametrize("text", [
    "Alias 24047{3-4} is a pattern\n",
    u"┌──────┬─────┐\n│Alias │Flags│\n├──────┼─────┤\n│240473│x    │\n└──────┴─────┘\n",
    "api\\call\\enabled: true\n",  # no alias named and none asked for
])
def test_alias_info_not_understood_shows_nothing(text):
    assert parsers.parse_alias_info(text) == ("unknown", {})


def test_an_echoed_range_is_one_alias_not_its_members():
    layout, aliases = parsers.parse_alias_info("Alias: 24047{3-4}\nInterface group: loc.gr\n")
    assert layout == "lines" and list(aliases) == ["24047{3-4}"]


def test_domain_list():
    table = u"┌───────────┐\n│  Domain   │\n├───────────┤\n│biysk.local│\n│tomsk.local│\n└───────────┘\n\n" \
            u"[exec at: 1, exec time: 1ms, nodes: x]"
    assert parsers.parse_domain_list(table) == ["biysk.local", "tomsk.local"]
    assert parsers.parse_domain_list("biysk.local\ntomsk.local\n") == ["biysk.local", "tomsk.local"]


@pytest.mark.parametrize("value, same", [
    ("true", " True "), ("[a, b]", "[a,b]"), (True, "true"), (False, "FALSE"), ("4721", "4721")])
def test_normalized_values_compare_equal(value, same):
    assert parsers.normalized(value) == parsers.normalized(same)
    assert parsers.normalized("true") != parsers.normalized("false") and parsers.normalized(None) is None


def test_set_confirmation():
    assert parsers.set_confirmed("Parameter 'enabled' successfully changed\n")
    assert not parsers.set_confirmed("ok\n")
