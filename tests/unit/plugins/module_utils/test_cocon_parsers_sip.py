# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""sip/user/info: only the seen sentence means "not registered", only a contacts table "registered"."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import io
import os

import pytest

from ansible_collections.ecss.callapi.plugins.module_utils.cocon_parsers import parse_sip_user_info

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures")
TWO_CONTACTS = [
    {"uri": "sip:240474@192.0.2.7:5060", "expires": "600"},
    {"uri": "sip:240474@198.51.100.9:5062;transport=tcp", "expires": "3600"},
]


def fixture(name):
    with io.open(os.path.join(FIXTURES, name), encoding="utf-8", newline="") as handle:
        return handle.read()


@pytest.mark.parametrize("name", ["sip_user_info.empty.txt", "sip_user_info.empty.crlf.txt"])
def test_empty_contacts_list_is_unregistered(name):
    assert parse_sip_user_info(fixture(name)) == {"registration": "unregistered", "contacts": []}


@pytest.mark.parametrize("name", ["sip_user_info.contacts.guess.txt", "sip_user_info.contacts.flat.crlf.txt"])
def test_contacts_table_is_registered(name):
    assert parse_sip_user_info(fixture(name)) == {"registration": "registered", "contacts": TWO_CONTACTS}


@pytest.mark.parametrize("name", [
    "sip_user_info.contact_lines.guess.txt",      # a layout nobody has seen: not read
    "sip_user_info.no_rows.guess.txt",            # a contacts table with no row is not the seen sentence
    "sip_user_info.no_contact_column.guess.txt",  # a table, but of something else
    "no_such_command.txt",
    "invalid_arguments.txt",
])
def test_anything_else_is_unknown(name):
    assert parse_sip_user_info(fixture(name)) == {"registration": "unknown", "contacts": []}


@pytest.mark.parametrize("text", ["", "\n", "Contacts: 1\n", "contacts list is EMPTY?\n┌─┐\n│a│\n├─┤\n│b│\n└─┘\n"])
def test_odd_answers_are_unknown(text):
    assert parse_sip_user_info(text)["registration"] == "unknown"


def test_sentence_wrapped_over_lines_still_counts():
    assert parse_sip_user_info("Contacts list\r\n is empty\r\n")["registration"] == "unregistered"
