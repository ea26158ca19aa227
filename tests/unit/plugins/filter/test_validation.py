# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.ecss.callapi.plugins.filter.validation import (
    cocon_identifier_problem,
    ecss_domains_problems,
    free_text_problems,
    local_path_problem,
)

GOOD = [{
    "name": "biysk.local", "client_id": "amocrm", "integration_type": "widget",
    "subscribers": [{"number": "240473", "group": "loc.gr", "amocrm_user": "Ivan Petrov"},
                    {"number": "240474", "group": "loc.gr", "iface": "240474@biysk.local"}],
}, {
    "name": "tomsk.local", "client_id": "crm", "integration_type": "service", "numbers": "70010{0-9}",
    "group": "sip.gr", "subscribers": [{"number": "700101"}],
}]


def test_good_domains_have_no_problem():
    assert ecss_domains_problems(GOOD) == []


@pytest.mark.parametrize("domains, words", [
    (None, "must be a non-empty list"),
    ([], "must be a non-empty list"),
    (["biysk.local"], "ecss_domains[0] must be a dict"),
    ([{"name": "biysk.local; x", "client_id": "a"}], "ecss_domains[0].name 'biysk.local; x' is not a valid domain"),
    ([{"name": "a.local", "client_id": "a"}, {"name": "a.local", "client_id": "b"}], "domain a.local is listed twice"),
    ([{"name": "a.local", "client_id": "a b"}], "ecss_domains[0].client_id"),
    ([{"name": "a.local", "client_id": "a", "integration_type": "widgets"}], "integration_type must be widget, service"),
    ([{"name": "a.local", "client_id": "a", "numbers": "1{0-9}"}], "numbers only applies to integration_type: service"),
    ([{"name": "a.local", "client_id": "a", "clientid": "x"}], "unknown key(s) clientid"),
    ([{"name": "a.local", "client_id": "a", "subscribers": [{"number": "1234", "group": "g"}]}],
     "amoCRM needs a phone number of at least 5 digits"),
    ([{"name": "a.local", "client_id": "a", "subscribers": [{"number": "12345"}]}], "has no group"),
    ([{"name": "a.local", "client_id": "a", "group": "g",
       "subscribers": [{"number": "12345"}, {"number": "12345"}]}], "12345 is listed twice"),
    ([{"name": "a.local", "client_id": "a", "group": "g", "subscribers": [{"number": "12345\n"}]}], "a newline"),
    ([{"name": "a.local", "client_id": "a", "group": "g", "subscribers": [{"number": "12345", "iface": "x y"}]}],
     "subscribers[0].iface"),
    ([{"name": "a.local", "client_id": "a", "group": "g", "subscribers": [{"number": "12345", "amocrm_user": ""}]}],
     "amocrm_user must be non-empty text"),
    ([{"name": "a.local", "client_id": "a", "subscribers": "12345"}], "subscribers must be a list"),
])
def test_each_problem_is_named(domains, words):
    problems = ecss_domains_problems(domains)
    assert problems and any(words in problem for problem in problems), problems


def test_identifier_problem_matches_the_modules():
    assert cocon_identifier_problem("biysk.local", "domain") == ""
    assert "a space" in cocon_identifier_problem("a b", "group", "ecss_domains[0].group")
    assert "ecss_domains[0].group" in cocon_identifier_problem("a b", "group", "ecss_domains[0].group")


def domain_with(**subscriber):
    return [{"name": "biysk.local", "client_id": "amocrm", "group": "loc.gr",
             "subscribers": [dict({"number": "240473"}, **subscriber)]}]


@pytest.mark.parametrize("number, words", [
    (0o240473, "ecss_domains[0].subscribers[0].number (domain biysk.local) is the integer 82235, not text"),
    (240473.0, "ecss_domains[0].subscribers[0].number (domain biysk.local) is the float 240473.0, not text"),
    (240473, "is the integer 240473, not text"),
])
def test_yaml_numbers_are_refused_with_advice_to_quote_them(number, words):
    (problem,) = ecss_domains_problems(domain_with(number=number))
    assert words in problem and "Quote it as written" in problem


@pytest.mark.parametrize("field", ["group", "iface"])
def test_every_subscriber_field_must_be_text(field):
    (problem,) = ecss_domains_problems(domain_with(**{field: 12345}))
    assert "subscribers[0].%s (domain biysk.local) is the integer 12345" % field in problem


@pytest.mark.parametrize("field, value", [("name", 12345), ("client_id", 1.5), ("group", 100)])
def test_every_domain_field_must_be_text(field, value):
    domains = domain_with()
    domains[0][field] = value
    assert any("ecss_domains[0].%s is the" % field in problem for problem in ecss_domains_problems(domains))


def test_unhashable_names_and_numbers_are_problems_not_crashes():
    domains = [{"name": ["x"], "client_id": "a", "group": "g", "subscribers": [{"number": ["1"]}, {"number": {}}]}]
    problems = ecss_domains_problems(domains)
    assert "ecss_domains[0].name must be a string, got list" in problems
    assert "ecss_domains[0].subscribers[1].number must be a string, got dict" in problems


@pytest.mark.parametrize("char", [u"\x85", u"\x00", u"\n", u"\x1b", u"\u2028", u"\u2029", u"\u202e", u"\u200b", u"\ufeff",
                                  u"\u00ad", u"\x9b"])
def test_invisible_and_line_breaking_characters_in_names_are_refused(char):
    (problem,) = ecss_domains_problems(domain_with(amocrm_user=u"Ivan" + char + u"Petrov"))
    assert u"amocrm_user contains the invisible or line-breaking character U+%04X" % ord(char) in problem


def test_ordinary_names_pass():
    for name in (u"Ivan Petrov", u"Иван Петров", u"Zoë O'Brien-Smith", u"李雷"):
        assert ecss_domains_problems(domain_with(amocrm_user=name)) == []


def test_free_texts_and_paths():
    assert free_text_problems({"a": "fine", "b": "two\u2028lines", "c": 5, "d": ""}) == [
        "b contains the invisible or line-breaking character U+2028 (LINE SEPARATOR, category Zl); remove it",
        "c is the integer 5, not text: YAML reads unquoted digits as a number (a leading 0 makes it octal, "
        "so 0240473 arrives as 82235). Quote it as written, e.g. \"0240473\"",
        "d must be non-empty text, got ''"]
    assert local_path_problem("/srv/ecss widget/settings") == ""
    assert "U+0085" in local_path_problem(u"/srv/a\x85b", "ecss_widget_settings_dir")
    assert "must be a non-empty path" in local_path_problem(None)
