# -*- coding: utf-8 -*-
# Copyright: ecss.callapi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Secrets out of CoCon answers before they leave a module: each becomes ``<redacted:XXXXXXXX>``.

``XXXXXXXX`` is the first 8 hex digits of the secret's SHA-256: a reader can tell that two
places hold the same secret, and nothing usable is left.  What counts as a secret:

- what the caller knows is one (the CoCon password);
- what follows ``API key:``; the values of a table column or a ``name: value`` line whose name
  speaks of a key, password, secret, token or auth (the ``API Key`` column of
  ``integrations/list``); the value of a table row whose parameter or property has such a name
  (values of 4 characters or more that are not a flag such as ``true`` or ``[]``);
- any run of 40 or more letters and digits that mixes both (the shape of an API key), wherever
  it is.

A secret found in one answer is replaced in every answer of the run (:meth:`Redactor.learn`
every answer first, then :meth:`Redactor.redact`), on word boundaries.  A secret that fills a
padded table cell is padded back to its width, so tables keep their shape.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import re

from ansible_collections.ecss.callapi.plugins.module_utils.cocon_parsers import parse_box_table, parse_footer

REDACTED_RE = re.compile(r"<redacted:[0-9a-f]{8}>")
_SECRET_NAME_RE = re.compile(r"(?i)key|passw|secret|token|auth")
# Columns that name a parameter or property: their cells are names, not secrets.
_NAME_COLUMNS = ("parameter", "param", "name", "property", "field", "key")
_API_KEY_RE = re.compile(r"(?i)API key:[ \t]*([^\s│]+)")
_NAME_VALUE_RE = re.compile(r"^[ \t]*([^:=\s│][^:=│\n]*?)[ \t]*[:=][ \t]*(\S.*?)[ \t]*$", re.M)
_KEY_SHAPED_RE = re.compile(r"(?<![A-Za-z0-9])(?=[A-Za-z0-9]*[A-Za-z])(?=[A-Za-z0-9]*[0-9])[A-Za-z0-9]{40,}(?![A-Za-z0-9])")
# How far a cell's padding may reach on either side of a secret.
_CELL_WINDOW = 256
# A shorter value under a secret's name is a flag or a count ("auth: 1"); replacing it in every answer
# would wreck them. A known secret (the CoCon password) is replaced whatever its length.
_SHORTEST_SECRET = 4
# Values that hold nothing secret whatever their name says (an empty auth list, a flag).
_NOT_SECRETS = frozenset(["", "[]", "{}", "-", "none", "null", "undefined", "true", "false", "yes", "no",
                          "not set", "<not set>", "empty"])


def redaction(secret):
    """What ``secret`` becomes in a redacted text."""
    return "<redacted:%s>" % hashlib.sha256(secret.encode("utf-8")).hexdigest()[:8]


def _column_key(name):
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _is_secret_name(name):
    return bool(_SECRET_NAME_RE.search(name)) and _column_key(name) not in _NAME_COLUMNS


def _table_secrets(body):
    rows = parse_box_table(body) or []
    found = []
    for row in rows:
        names = list(row)
        name_columns = [n for n in names if _column_key(n) in _NAME_COLUMNS]
        value_column = next((n for n in names if _column_key(n) == "value"), names[-1] if names else None)
        for name in names:
            if _is_secret_name(name):
                found.append(row[name])
        if value_column and any(_SECRET_NAME_RE.search(row.get(n) or "") for n in name_columns):
            found.append(row[value_column])
    return found


def _worth_hiding(value):
    return len(value) >= _SHORTEST_SECRET and value.lower() not in _NOT_SECRETS and not REDACTED_RE.match(value)


def find_secrets(text):
    """The secrets one CoCon answer shows."""
    body, _footer = parse_footer(text)
    found = [match.group(1) for match in _API_KEY_RE.finditer(body)]
    found.extend(value for name, value in _NAME_VALUE_RE.findall(body) if _is_secret_name(name))
    found.extend(_table_secrets(body))
    found.extend(match.group(0) for match in _KEY_SHAPED_RE.finditer(body))
    return set(value.strip() for value in found if _worth_hiding(value.strip()))


class Redactor(object):
    """Collects the secrets of a run's answers, then replaces every one of them in each answer."""

    def __init__(self, known=()):
        self.secrets = set(secret for secret in known if secret)

    def learn(self, text):
        if text:
            self.secrets.update(find_secrets(text))

    def redact(self, text):
        """``text`` with every secret known so far, and any key-shaped run, replaced."""
        if not text:
            return text
        self.learn(text)
        if not self.secrets:
            return text
        # Longest first: a secret that holds another one is replaced whole.
        alternatives = "|".join(re.escape(secret) for secret in sorted(self.secrets, key=len, reverse=True))
        pattern = re.compile(r"(?<![A-Za-z0-9])(?:%s)(?![A-Za-z0-9])" % alternatives)
        return pattern.sub(lambda match: self._replacement(match, text), text)

    @staticmethod
    def _replacement(match, text):
        token = redaction(match.group(0))
        before = text[max(0, match.start() - _CELL_WINDOW):match.start()].rstrip(" ")
        after = text[match.end():match.end() + _CELL_WINDOW]
        fills_a_cell = before.endswith(u"│") and after.lstrip(" ").startswith(u"│")
        if fills_a_cell and len(match.group(0)) > len(token):
            return token + " " * (len(match.group(0)) - len(token))
        return token
