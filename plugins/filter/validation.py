# -*- coding: utf-8 -*-
# Copyright: ecss.callapi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The CoCon modules' input checks, for playbooks that validate before anything changes."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import unicodedata

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


# Unicode categories of characters that are invisible or break a line: C0/C1 controls (Cc, U+0085
# included), format characters (Cf: bidi overrides, zero-width), surrogates, line/paragraph separators.
CONTROL_CATEGORIES = ("Cc", "Cf", "Cs", "Zl", "Zp")


def control_character(text):
    """The first control, format or separator character of ``text``, or None."""
    return next((char for char in text if unicodedata.category(char) in CONTROL_CATEGORIES), None)


def _control_problem(text, option):
    char = control_character(text)
    if char is None:
        return ""
    name = unicodedata.name(char, "")
    return "%s contains the invisible or line-breaking character U+%04X (%scategory %s); remove it" % (
        option, ord(char), name + ", " if name else "", unicodedata.category(char))


def _number_problem(value, option, context=""):
    """YAML turns unquoted digits into numbers: 0240473 becomes the octal 82235, 240473.0 a float."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return ("%s%s is the %s %r, not text: YAML reads unquoted digits as a number (a leading 0 makes it "
                "octal, so 0240473 arrives as 82235). Quote it as written, e.g. \"0240473\""
                % (option, context, "integer" if isinstance(value, int) else "float", value))
    return ""


def free_text_problem(value, option="value", max_length=255):
    """'' when ``value`` is one line of visible text (a name, a label), else the reason."""
    problem = _number_problem(value, option)
    if problem:
        return problem
    if not isinstance(value, str) or not value.strip():
        return "%s must be non-empty text, got %r" % (option, value)
    if len(value) > max_length:
        return "%s is %d characters long; at most %d are allowed" % (option, len(value), max_length)
    return _control_problem(value, option)


def free_text_problems(texts):
    """One problem per entry of ``{option: text}`` that is not one line of visible text."""
    if not isinstance(texts, dict):
        raise AnsibleFilterError("free_text_problems: give a dict of option name to text, got %s" % type(texts).__name__)
    return [problem for problem in (free_text_problem(value, option) for option, value in sorted(texts.items())) if problem]


def local_path_problem(value, option="path"):
    """'' when ``value`` can name a controller file or directory, else the reason."""
    if not isinstance(value, str) or not value:
        return "%s must be a non-empty path, got %r" % (option, value)
    if len(value) > 4096:
        return "%s is %d characters long; at most 4096 are allowed" % (option, len(value))
    return _control_problem(value, option)


def _identifier_problem(value, kind, option, context=""):
    """cocon_identifier_problem, with a readable word for numbers YAML made out of unquoted text."""
    return _number_problem(value, option, context) or cocon_identifier_problem(value, kind, option)


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
        problems.append(_identifier_problem(name, "domain", where + ".name"))
        if isinstance(name, str):
            if name in seen_names:
                problems.append("%s: domain %s is listed twice" % (where, name))
            seen_names.add(name)
        problems.append(_identifier_problem(domain.get("client_id"), "client_id", where + ".client_id"))
        integration_type = domain.get("integration_type")
        if integration_type not in INTEGRATION_TYPES:
            problems.append("%s.integration_type must be widget, service or unset (plain add), got %r"
                            % (where, integration_type))
        if domain.get("numbers") is not None:
            if integration_type != "service":
                problems.append("%s.numbers only applies to integration_type: service" % where)
            problems.append(_identifier_problem(domain["numbers"], "numbers", where + ".numbers"))
        if domain.get("group") is not None:
            problems.append(_identifier_problem(domain["group"], "group", where + ".group"))
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
    name = domain.get("name")
    context = " (domain %s)" % name if isinstance(name, str) else ""
    for index, subscriber in enumerate(subscribers):
        at = "%s.subscribers[%d]" % (where, index)
        if not isinstance(subscriber, dict):
            problems.append("%s must be a dict with number and group" % at)
            continue
        problems.append(_unknown_keys_problem(subscriber, SUBSCRIBER_KEYS, at))
        number = subscriber.get("number")
        problem = _identifier_problem(number, "alias", at + ".number", context)
        if problem:
            problems.append(problem)
        elif not number.isdigit() or len(number) < AMOCRM_MIN_PHONE_LENGTH:
            problems.append("%s.number %r: amoCRM needs a phone number of at least %d digits"
                            % (at, number, AMOCRM_MIN_PHONE_LENGTH))
        elif number in numbers:
            problems.append("%s.number %s is listed twice" % (at, number))
        else:
            numbers.add(number)
        group = subscriber.get("group", domain.get("group"))
        if group is None:
            problems.append("%s has no group (the SIP user group, e.g. loc.gr); set it here or on the domain" % at)
        else:
            problems.append(_identifier_problem(group, "group", at + ".group", context))
        if subscriber.get("iface") is not None:
            problems.append(_identifier_problem(subscriber["iface"], "iface", at + ".iface", context))
        if subscriber.get("amocrm_user") is not None:
            problems.append(free_text_problem(subscriber["amocrm_user"], at + ".amocrm_user"))
    return problems


class FilterModule(object):

    def filters(self):
        return {
            "cocon_identifier_problem": cocon_identifier_problem,
            "ecss_domains_problems": ecss_domains_problems,
            "free_text_problems": free_text_problems,
            "local_path_problem": local_path_problem,
        }
