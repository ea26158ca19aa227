# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.ecss.callapi.plugins.filter.validation import (
    cocon_identifier_problem,
    ecss_domains_problems,
)

GOOD = [{
    "name": "biysk.local", "client_id": "amocrm", "integration_type": "widget",
    "subscribers": [{"number": "240473", "group": "loc.gr", "amocrm_user": "Ivan Petrov"},
                    {"number": 240474, "group": "loc.gr", "iface": "240474@biysk.local"}],
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
     "amocrm_user must be a non-empty name"),
    ([{"name": "a.local", "client_id": "a", "subscribers": "12345"}], "subscribers must be a list"),
])
def test_each_problem_is_named(domains, words):
    problems = ecss_domains_problems(domains)
    assert problems and any(words in problem for problem in problems), problems


def test_identifier_problem_matches_the_modules():
    assert cocon_identifier_problem("biysk.local", "domain") == ""
    assert "a space" in cocon_identifier_problem("a b", "group", "ecss_domains[0].group")
    assert "ecss_domains[0].group" in cocon_identifier_problem("a b", "group", "ecss_domains[0].group")
