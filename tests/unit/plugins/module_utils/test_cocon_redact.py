# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Secrets become <redacted:first 8 hex of their SHA-256>, in every layout, and nothing else changes."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import io
import os

import pytest

from ansible_collections.ecss.callapi.plugins.module_utils.cocon_parsers import (
    parse_alias_info,
    parse_footer,
    parse_integrations_list,
    parse_parameters,
)
from ansible_collections.ecss.callapi.plugins.module_utils.cocon_redact import Redactor, find_secrets, redaction

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures")
KEYS_2019 = ("2uKwuT5qxKB21uzPuTb518oxDB2qzuKLebfT17orDOG21zuuLL0efu1D06rrKcBZ",
             "4lCyTODH1wfcG41yCytsUDCcfffvWANlyCUL4xcDH4cfyfcWvPNylyCUM1ycOD1H",
             "2hBqT4acTLhcvFq29qW429TF26cfv9Wqkzn4Ga4chYC2hyhT2WkdknnWC94dFTKC")
FOOTER = "\n\n[exec at: 16.02.2021 15:20:33, exec time: 25ms, nodes: ds1@ecss1 v.3.14.7.585]\n"


def fixture(name):
    with io.open(os.path.join(FIXTURES, name), encoding="utf-8", newline="") as handle:
        return handle.read()


def test_the_token_is_the_first_8_hex_digits_of_the_sha256():
    assert redaction("secret") == "<redacted:%s>" % hashlib.sha256(b"secret").hexdigest()[:8]


@pytest.mark.parametrize("name", ["integrations_list.2019.txt", "integrations_list.2019.flat.txt"])
def test_keys_of_integrations_list_are_redacted_and_the_table_still_reads(name):
    text = fixture(name)
    redacted = Redactor().redact(text)
    for key in KEYS_2019:
        assert key not in redacted and redaction(key) in redacted
    rows = parse_integrations_list(redacted)
    assert [(row["client_id"], row["api_key"]) for row in rows] == [
        ("asz", redaction(KEYS_2019[0])), ("sveta", redaction(KEYS_2019[1])), ("tester", redaction(KEYS_2019[2]))]
    assert parse_footer(redacted)[1] == parse_footer(text)[1] and parse_footer(text)[1] is not None


def test_a_padded_cell_keeps_its_width():
    text = fixture("integrations_list.3.14.guess.txt")
    redacted = Redactor().redact(text)
    assert [len(line) for line in redacted.splitlines()] == [len(line) for line in text.splitlines()]
    assert [row["type"] for row in parse_integrations_list(redacted)] == ["widget", "service"]


def test_a_key_learnt_in_one_answer_is_redacted_in_every_other():
    redactor = Redactor()
    redactor.learn(fixture("integrations_list.2019.txt"))
    mention = "Old key was replaced with new one, was " + KEYS_2019[2][:50] + "... and " + KEYS_2019[2] + FOOTER
    redacted = redactor.redact(mention)
    assert KEYS_2019[2] not in redacted and redaction(KEYS_2019[2]) in redacted


@pytest.mark.parametrize("name", ["integrations_add.2019.txt", "integrations_add_widget.3.14.txt",
                                  "integrations_replace.2019.txt", "integrations_add.2019.flat.txt"])
def test_api_key_lines_are_redacted(name):
    text = fixture(name)
    found = find_secrets(text)
    assert len(found) == 1
    redacted = Redactor().redact(text)
    assert found.pop() not in redacted and "<redacted:" in redacted


def test_known_secrets_and_named_values_are_redacted_but_flags_and_names_are_not():
    text = (u"SIP user: 240473@biysk.local\nPassword: s3cr3t-pw\nauth: []\nauth_retries: 3\ntoken = abc.def\nenabled: true\n"
            u"┌──────────┬──────────┐\n│Parameter │Value     │\n├──────────┼──────────┤\n"
            u"│secret    │hunter22  │\n│enabled   │false     │\n└──────────┴──────────┘" + FOOTER)
    redacted = Redactor(["C0con-pass"]).redact(text + "login with C0con-pass done\n")
    for secret in ("s3cr3t-pw", "abc.def", "hunter22", "C0con-pass"):
        assert secret not in redacted and redaction(secret) in redacted
    for kept in ("SIP user: 240473@biysk.local", "auth: []", "auth_retries: 3", "enabled: true", u"│enabled   │false     │",
                 u"│secret    │", "Password: "):
        assert kept in redacted


def test_a_secret_is_replaced_on_word_boundaries_only():
    redacted = Redactor(["loc"]).redact("loc.gr loc 2loc loca" + FOOTER)
    assert redacted.startswith(redaction("loc") + ".gr " + redaction("loc") + " 2loc loca")


def test_key_shaped_runs_are_redacted_wherever_they_are():
    key = "Zz9" * 20
    redacted = Redactor().redact("Something new: %s\nhash 062743c44271f9e7 %s\n" % (key, "1" * 50) + FOOTER)
    assert key not in redacted and "062743c44271f9e7" in redacted and "1" * 50 in redacted


@pytest.mark.parametrize("name, line_end", [
    ("api_csta_info.guess.txt", "\n"), ("api_csta_info.lines.txt", "\n"), ("api_csta_info.flat.txt", "\r\n"),
    ("alias_info.guess.txt", "\n"), ("alias_info.lines.txt", "\n"), ("alias_info.flat.txt", "\r\n"),
    ("alias_set.2019.txt", "\n"), ("no_such_command.txt", "\n")])
def test_answers_without_secrets_are_left_byte_for_byte(name, line_end):
    # CR LF consoles: the fixtures stay LF on disk (sanity's line-endings test), the CR is added here.
    text = fixture(name).replace("\n", line_end)
    assert find_secrets(text) == set()
    assert Redactor(["not-in-there"]).redact(text) == text


def test_redacted_answers_still_parse():
    csta = Redactor().redact(fixture("api_csta_info.guess.txt"))
    assert parse_parameters(csta)[0] == "table"
    assert parse_alias_info(Redactor().redact(fixture("alias_info.lines.txt")), "240473")[0] == "lines"
