# -*- coding: utf-8 -*-
# Copyright: ecss.callapi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Strict checks for every value that ends up on a CoCon command line.

CoCon splits a command line on whitespace and an interactive session ends a command at a
newline, so one stray character could smuggle a second argument or command.  Each kind of
identifier has an allow-list pattern (ASCII only, so look-alike Unicode letters fail too);
anything else is rejected with a message that names the option and the offending character.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import re
import unicodedata

_RANGE = r"\{[0-9]+-[0-9]+\}"

# kind -> (pattern, maximum length, what is allowed, in words)
IDENTIFIER_RULES = {
    "domain": (
        r"[A-Za-z0-9][A-Za-z0-9._-]*",
        253, "letters, digits, '.', '-' and '_', not starting with '.' or '-'"),
    "client_id": (
        r"[A-Za-z0-9][A-Za-z0-9._@-]*",
        128, "letters, digits, '.', '-', '_' and '@'"),
    "alias": (
        r"\+?[0-9A-Za-z*#][0-9A-Za-z*#._-]*",
        64, "digits, letters, '*', '#', '.', '-', '_' and a leading '+'"),
    "group": (
        r"[A-Za-z0-9][A-Za-z0-9._-]*",
        128, "letters, digits, '.', '-' and '_'"),
    "iface": (
        r"\+?[0-9A-Za-z*#][0-9A-Za-z*#._-]*(@[A-Za-z0-9][A-Za-z0-9._-]*)?",
        255, "a number or name, optionally '@' and a domain"),
    "property": (
        r"[A-Za-z0-9_][A-Za-z0-9_.-]*(\\[A-Za-z0-9_][A-Za-z0-9_.-]*)*",
        128, "names of letters, digits, '_', '.', '-' joined by single backslashes"),
    "value": (
        r"-?[0-9]+|[A-Za-z0-9_.:@+/][A-Za-z0-9_.:@+/-]*|\[[A-Za-z0-9_.:@+/,-]*\]",
        255, "letters, digits and '_', '.', ':', '@', '+', '/', '-', not starting with '-' "
             "(CoCon would read it as an option), or a [a,b] list"),
    "numbers": (
        r"[0-9+*#]*(" + _RANGE + r")?[0-9]*(,[0-9+*#]*(" + _RANGE + r")?[0-9]*)*",
        255, "digits with ECSS ranges such as 24010{0-1}, comma separated"),
    "csta_field": (
        r"[a-z][a-z0-9_]*",
        64, "lower-case letters, digits and '_'"),
    # Checked further by ipaddress: a plain IPv4 or IPv6 address, no scope id ("%eth0").
    "ip": (
        r"[0-9A-Fa-f.:]+",
        45, "a plain IPv4 or IPv6 address (no scope id)"),
}
# Kinds a YAML number may stand for without losing anything (a property value such as 5).
NUMBER_KINDS = ("value",)

RESERVED_DOMAIN_NAMES = ("undefined", "calendar", "properties")


class CoconInputError(ValueError):
    """A value that must not reach the CoCon command line."""


def _describe(char):
    names = {"\n": "a newline", "\r": "a carriage return", "\t": "a tab", " ": "a space", "\x00": "a NUL byte"}
    if char in names:
        return names[char]
    if unicodedata.category(char).startswith("C"):
        return "the control character U+%04X" % ord(char)
    if ord(char) > 127:
        return "the non-ASCII character %r (U+%04X)" % (char, ord(char))
    return "the character %r" % char


def cocon_value(value):
    """How CoCon prints (and takes) a value: ``true``/``false``, lists as ``[a,b]``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return "[%s]" % ",".join(cocon_value(item) for item in value)
    text = str(value)
    # A boolean that became text on the way (Jinja2 without native types prints "True").
    return text.lower() if text.lower() in ("true", "false") else text


def check_identifier(kind, value, option=None):
    """Return ``value`` as text if it is a safe ``kind`` identifier, else raise CoconInputError.

    Numbers, groups and interfaces are strings: a YAML integer or float is refused (an
    unquoted ``0240473`` reaches the module as 82235, ``240473.0`` as a float).
    """
    option = option or kind
    if value is None or isinstance(value, (dict, list, bool)):
        raise CoconInputError("%s must be a string, got %s" % (option, type(value).__name__))
    if isinstance(value, (int, float)) and kind not in NUMBER_KINDS:
        raise CoconInputError(
            "%s must be a string, got the number %r: quote it as dialled (for example \"0240473\"); unquoted, "
            "YAML turns 0240473 into 82235 and 240473.0 into a float" % (option, value))
    text = value if isinstance(value, str) else str(value)
    pattern, max_length, allowed = IDENTIFIER_RULES[kind]
    if not text:
        raise CoconInputError("%s must not be empty" % option)
    if len(text) > max_length:
        raise CoconInputError("%s is %d characters long; at most %d are allowed" % (option, len(text), max_length))
    if not re.match(r"\A(?:%s)\Z" % pattern, text, re.ASCII):
        bad = next((c for c in text if not re.match(r"[A-Za-z0-9._@+*#/:\[\],{}\\-]", c, re.ASCII)), None)
        reason = ("it contains %s" % _describe(bad)) if bad else "it is not well formed"
        raise CoconInputError("%s %r is not a valid %s: %s (allowed: %s)" % (
            option, text, kind.replace("_", " "), reason, allowed))
    if kind == "ip":
        try:
            text = str(ipaddress.ip_address(text))
        except ValueError:
            raise CoconInputError("%s %r is not a valid ip: it is not a plain IPv4 or IPv6 address" % (option, text))
    if kind == "domain" and text.lower() in RESERVED_DOMAIN_NAMES:
        raise CoconInputError("%s %r is a name ECSS-10 reserves and cannot be a domain" % (option, text))
    if kind == "numbers":
        for low, high in re.findall(r"\{([0-9]+)-([0-9]+)\}", text):
            if len(low) != len(high) or int(low) > int(high):
                raise CoconInputError("%s %r has a bad range {%s-%s}: both ends need the same number of digits, "
                                      "low end first" % (option, text, low, high))
    return text


_PATH_RE = re.compile(r"\A[A-Za-z0-9._/@+~,-]+\Z", re.ASCII)


def check_path(value, option="path"):
    """A local file path the modules write to (known_hosts): plain ASCII, no '..' segment."""
    text = value if isinstance(value, str) else str(value)
    if not text:
        raise CoconInputError("%s must not be empty" % option)
    if len(text) > 4096:
        raise CoconInputError("%s is %d characters long; at most 4096 are allowed" % (option, len(text)))
    if not _PATH_RE.match(text):
        bad = next((c for c in text if not _PATH_RE.match(c)), None)
        raise CoconInputError("%s %r is not an accepted path: it contains %s (allowed: letters, digits and . _ / @ + ~ , -)"
                              % (option, text, _describe(bad)))
    if ".." in text.split("/"):
        raise CoconInputError("%s %r has a '..' segment; give the path without it" % (option, text))
    return text


def check_port(value, option="port"):
    try:
        port = int(value)
    except (TypeError, ValueError):
        raise CoconInputError("%s must be a number from 1 to 65535, got %r" % (option, value))
    if isinstance(value, bool) or not 1 <= port <= 65535 or str(value) != str(port):
        raise CoconInputError("%s must be a number from 1 to 65535, got %r" % (option, value))
    return port
