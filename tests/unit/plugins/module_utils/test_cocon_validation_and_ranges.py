# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import random

import pytest

from ansible_collections.ecss.callapi.plugins.module_utils.cocon_ranges import compress, expand
from ansible_collections.ecss.callapi.plugins.module_utils.cocon_validation import (
    CoconInputError,
    check_identifier,
    check_port,
    cocon_value,
)


@pytest.mark.parametrize("kind, value", [
    ("domain", "biysk.local"), ("client_id", "amocrm"), ("client_id", "crm@office-1"), ("alias", "240473"),
    ("alias", "+74951234567"), ("group", "loc.gr"), ("iface", "240473@biysk.local"), ("property", "api\\call\\enabled"),
    ("value", "true"), ("value", "-1"), ("value", "[a,b]"), ("value", "0.0.0.0"), ("numbers", "24010{0-1}"),
    ("numbers", "240100,24020{00-99}"), ("csta_field", "tcp_port"),
])
def test_valid_identifiers_pass_unchanged(kind, value):
    assert check_identifier(kind, value) == value


@pytest.mark.parametrize("kind, value, words", [
    ("domain", "a b", "a space"), ("domain", "a\nb", "a newline"), ("domain", "undefined", "reserves"),
    ("domain", ".hidden", "not well formed"), ("domain", u"\u0430.local", "non-ASCII"), ("domain", "", "must not be empty"),
    ("client_id", "a;b", "the character ';'"), ("alias", "1\x00", "NUL"), ("group", "x" * 129, "characters long"),
    ("property", "api\\\\call", "not well formed"), ("value", "--force", "not well formed"),
    ("numbers", "24010{1-0}", "bad range"), ("numbers", "24010{0-10}", "bad range"), ("iface", "a\x1bb", "U+001B"),
    ("domain", None, "must be a string"), ("alias", ["1"], "must be a string"),
])
def test_hostile_identifiers_fail_with_the_reason(kind, value, words):
    with pytest.raises(CoconInputError) as error:
        check_identifier(kind, value, "opt")
    assert words in str(error.value)


@pytest.mark.parametrize("kind", ["alias", "group", "iface", "domain", "client_id", "numbers"])
@pytest.mark.parametrize("number", [240473, 82235, 240473.0])
def test_yaml_numbers_are_refused_with_advice_to_quote(kind, number):
    with pytest.raises(CoconInputError) as error:
        check_identifier(kind, number, "subscribers[0].number")
    message = str(error.value)
    assert message.startswith("subscribers[0].number must be a string, got the number %r" % number)
    assert "quote it" in message


def test_a_property_value_may_be_a_number():
    assert check_identifier("value", 5) == "5"


@pytest.mark.parametrize("value, canonical", [
    ("10.0.0.5", "10.0.0.5"), ("0.0.0.0", "0.0.0.0"), ("::1", "::1"), ("FE80:0:0:0:0:0:0:1", "fe80::1")])
def test_plain_ip_addresses(value, canonical):
    assert check_identifier("ip", value) == canonical


@pytest.mark.parametrize("value, words", [
    ("fe80::1%x --force", "the character '%'"), ("fe80::1%eth0", "the character '%'"), (u"１0.0.0.1", "non-ASCII"),
    ("10.0.0", "not a plain IPv4 or IPv6"), ("::g", "not well formed"), (u"10.0.0.1\u0085", "U+0085"),
    (167772161, "must be a string"),
])
def test_ip_addresses_with_a_scope_or_anything_else_are_refused(value, words):
    with pytest.raises(CoconInputError) as error:
        check_identifier("ip", value, "parameters.tcp_ip")
    assert words in str(error.value)


@pytest.mark.parametrize("value, text", [
    (True, "true"), (False, "false"), ("False", "false"), ("TRUE", "true"), (["a", True], "[a,true]"), (5, "5"),
    ("yes", "yes")])
def test_values_as_cocon_takes_them(value, text):
    assert cocon_value(value) == text


@pytest.mark.parametrize("value", [0, 65536, "80 ", "8023;", True, None, "x"])
def test_bad_ports(value):
    with pytest.raises(CoconInputError):
        check_port(value)


def test_port():
    assert check_port("8023") == 8023


def test_expand():
    assert expand("24010{0-1}") == ["240100", "240101"]
    assert expand("2404{98-99}@d") == ["240498@d", "240499@d"]
    assert expand("1{0-1}{0-1}") == ["100", "101", "110", "111"]
    assert expand("240473") == ["240473"]


def test_compress_round_trips():
    rng = random.Random(5)
    for _attempt in range(500):
        numbers = [str(rng.randint(1, 3000)) for _item in range(rng.randint(1, 60))] + ["abc"]
        covered = []
        for pattern, run in compress(numbers):
            assert expand(pattern) == run
            covered += run
        assert sorted(covered) == sorted(set(numbers))


def test_compress_makes_ranges_of_consecutive_numbers_only():
    assert compress(["240473", "240474", "240475", "240480", "999", "1000", "1001"]) == [
        ("999", ["999"]), ("100{0-1}", ["1000", "1001"]), ("24047{3-5}", ["240473", "240474", "240475"]),
        ("240480", ["240480"])]
    assert len(compress([str(n) for n in range(100000, 101200)], max_run=500)) == 3
