# -*- coding: utf-8 -*-
# Copyright: ecss.callapi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The CoCon modules' input checks, for playbooks that validate before anything changes."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.ecss.callapi.plugins.module_utils.cocon_validation import (
    IDENTIFIER_RULES,
    CoconInputError,
    check_identifier,
)


def cocon_identifier_problem(value, kind, option=None):
    """'' when ``value`` is a safe ``kind`` identifier, else the reason (as the modules would say it)."""
    if kind not in IDENTIFIER_RULES:
        raise AnsibleFilterError("cocon_identifier_problem: unknown kind %r; one of %s"
                                 % (kind, ", ".join(sorted(IDENTIFIER_RULES))))
    try:
        check_identifier(kind, value, option or kind)
    except CoconInputError as exc:
        return str(exc)
    return ""


INTEGRATION_TYPES = (None, "plain", "widget", "service")
SUBSCRIBER_KEYS = {"number", "group", "iface", "amocrm_user"}
DOMAIN_KEYS = {"name", "client_id", "integration_type", "numbers", "group", "subscribers"}
AMOCRM_MIN_PHONE_LENGTH = 5


def ecss_domains_problems(domains):
    """Every problem in an ``ecss_domains`` list (see playbooks/site.yml), as readable sentences."""
    if not isinstance(domains, list) or not domains:
        return ["ecss_domains must be a non-empty list of domains (name, client_id, subscribers)"]
    problems = []
    seen_names = set()
    for index, domain in enumerate(domains):
        where = "ecss_domains[%d]" % index
        if not isinstance(domain, dict):
            problems.append("%s must be a dict with name, client_id and subscribers" % where)
            continue
        problems.append(_unknown_keys_problem(domain, DOMAIN_KEYS, where))
        name = domain.get("name")
        problems.append(cocon_identifier_problem(name, "domain", where + ".name"))
        if name in seen_names:
            problems.append("%s: domain %s is listed twice" % (where, name))
        seen_names.add(name)
        problems.append(cocon_identifier_problem(domain.get("client_id"), "client_id", where + ".client_id"))
        integration_type = domain.get("integration_type")
        if integration_type not in INTEGRATION_TYPES:
            problems.append("%s.integration_type must be widget, service or unset (plain add), got %r"
                            % (where, integration_type))
        if domain.get("numbers") is not None:
            if integration_type != "service":
                problems.append("%s.numbers only applies to integration_type: service" % where)
            problems.append(cocon_identifier_problem(domain["numbers"], "numbers", where + ".numbers"))
        if domain.get("group") is not None:
            problems.append(cocon_identifier_problem(domain["group"], "group", where + ".group"))
        problems.extend(_subscriber_problems(domain, where))
    return [problem for problem in problems if problem]


def _unknown_keys_problem(item, known, where):
    unknown = sorted(set(item) - known)
    if not unknown:
        return ""
    return "%s has unknown key(s) %s (known: %s)" % (where, ", ".join(unknown), ", ".join(sorted(known)))


def _subscriber_problems(domain, where):
    subscribers = domain.get("subscribers", [])
    if not isinstance(subscribers, list):
        return ["%s.subscribers must be a list" % where]
    problems = []
    numbers = set()
    for index, subscriber in enumerate(subscribers):
        at = "%s.subscribers[%d]" % (where, index)
        if not isinstance(subscriber, dict):
            problems.append("%s must be a dict with number and group" % at)
            continue
        problems.append(_unknown_keys_problem(subscriber, SUBSCRIBER_KEYS, at))
        number = subscriber.get("number")
        number = str(number) if isinstance(number, int) and not isinstance(number, bool) else number
        problem = cocon_identifier_problem(number, "alias", at + ".number")
        if problem:
            problems.append(problem)
        elif not number.isdigit() or len(number) < AMOCRM_MIN_PHONE_LENGTH:
            problems.append("%s.number %r: amoCRM needs a phone number of at least %d digits"
                            % (at, number, AMOCRM_MIN_PHONE_LENGTH))
        elif number in numbers:
            problems.append("%s.number %s is listed twice" % (at, number))
        numbers.add(number)
        group = subscriber.get("group", domain.get("group"))
        if group is None:
            problems.append("%s has no group (the SIP user group, e.g. loc.gr); set it here or on the domain" % at)
        else:
            problems.append(cocon_identifier_problem(group, "group", at + ".group"))
        if subscriber.get("iface") is not None:
            problems.append(cocon_identifier_problem(subscriber["iface"], "iface", at + ".iface"))
        user = subscriber.get("amocrm_user")
        if user is not None and (not isinstance(user, str) or not user.strip() or len(user) > 255):
            problems.append("%s.amocrm_user must be a non-empty name (at most 255 characters)" % at)
    return problems


class FilterModule(object):

    def filters(self):
        return {
            "cocon_identifier_problem": cocon_identifier_problem,
            "ecss_domains_problems": ecss_domains_problems,
        }
