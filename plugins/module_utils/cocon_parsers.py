# -*- coding: utf-8 -*-
# Copyright: ecss.callapi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Parsers for ECSS-10 CoCon console output, one per output shape.

Every parser is a pure function of the text CoCon printed.  Each accepts both the real
multi-line output (CR LF or LF, cells padded with spaces) and the "flat" form in which a
copy-paste lost every line break (the user's document shows outputs that way).
Nothing here depends on column widths: tables are split on their box characters.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

# [seen] how a ".../set" command confirms its change.
SET_CONFIRMED_MARKER = "successfully changed"

_FOOTER_RE = re.compile(
    r"\[exec at: (?P<exec_at>[^,\]]+), exec time: (?P<exec_time_ms>\d+)\s*ms, nodes: (?P<nodes>[^\]]*)\]\s*$"
)
_API_KEY_RE = re.compile(r"API key:\s*(?P<key>[A-Za-z0-9]+)", re.IGNORECASE)
_ALIAS_SET_HEADER_RE = re.compile(
    r"There are aliases within domain (?P<domain>\S+) affected by settings property (?P<property>\S+?):"
)

# alias/set result flags (legend printed by CoCon after the alias lines)
ALIAS_FLAG_MEANINGS = {
    "": "successful setup",
    "a": "setup alias address",
    "i": "setup alias interface",
    "!": "setup broken: alias already exists",
    "*": "setup broken: alias does not exist",
    "L": "setup broken: no free subscriber licences",
    "x": "setup broken: unexpected error",
}
ALIAS_FAILURE_FLAGS = frozenset("!*Lx")
_FLAG_CHARS = "ai!*Lx"

_TABLE_TOP, _TABLE_SEP, _TABLE_BOTTOM = u"┌", u"├", u"└"
_BORDER_RE = re.compile(u"[┌├└][─┬┼┴]*[┐┤┘]")
_CELL_BAR = u"│"


def normalize_newlines(text):
    """CoCon may end lines with CR LF (interactive shell); keep LF only."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def parse_footer(text):
    """Split off the ``[exec at: ..., exec time: Nms, nodes: ...]`` footer.

    Returns ``(body, footer)`` where footer is a dict or None when absent.
    """
    text = normalize_newlines(text).rstrip()
    match = _FOOTER_RE.search(text)
    if not match:
        return text, None
    footer = {
        "exec_at": match.group("exec_at").strip(),
        "exec_time_ms": int(match.group("exec_time_ms")),
        "nodes": match.group("nodes").strip(),
    }
    return text[:match.start()].rstrip(), footer


def set_confirmed(text):
    """Whether a ``.../set`` answer says the change was made (only ever worth a warning when not)."""
    return SET_CONFIRMED_MARKER in text


def parse_box_table(text):
    """Parse the first box-drawn table in ``text`` into a list of row dicts keyed by header.

    Returns ``None`` when ``text`` holds no table.  Header names are stripped of padding.
    """
    text = normalize_newlines(text)
    start = text.find(_TABLE_TOP)
    if start == -1:
        return None
    region = text[start:]
    borders = []
    for border in _BORDER_RE.finditer(region):
        borders.append(border)
        if border.group(0).startswith(_TABLE_BOTTOM):
            break
    if not borders:
        return None
    region = region[:borders[-1].end()]
    column_count = borders[0].group(0).count(u"┬") + 1

    chunks = []
    for index, border in enumerate(borders):
        stop = borders[index + 1].start() if index + 1 < len(borders) else border.end()
        chunks.append(_rows_of_chunk(region[border.end():stop], column_count))
    header_rows = chunks[0]
    if not header_rows:
        return None
    header = [cell.strip() for cell in header_rows[0]]
    rows = []
    for chunk in chunks[1:]:
        for cells in chunk:
            rows.append(dict(zip(header, (cell.strip() for cell in cells))))
    return rows


def _rows_of_chunk(chunk, column_count):
    """Cells of the rows between two borders, in multi-line or flattened form."""
    rows = []
    lines = [line.strip() for line in chunk.split("\n") if _CELL_BAR in line]
    if len(lines) > 1:
        for line in lines:
            rows.append(line.strip(_CELL_BAR).split(_CELL_BAR))
        return rows
    flat = chunk.strip()
    if not flat:
        return rows
    pieces = flat[1:-1].split(_CELL_BAR) if flat.startswith(_CELL_BAR) else flat.split(_CELL_BAR)
    # A flattened table reads "│a│b│ │c│d│": each row's cells, then the gap between rows.
    step = column_count + 1
    for offset in range(0, len(pieces), step):
        cells = pieces[offset:offset + column_count]
        if len(cells) == column_count:
            rows.append(cells)
    return rows


def _column_key(name):
    return re.sub(r"[^a-z0-9]", "", name.lower())


def parse_new_api_key(text):
    """The key in the output of ``integrations/add`` (both layouts) or ``integrations/replace``."""
    body, _footer = parse_footer(text)
    match = _API_KEY_RE.search(body)
    return match.group("key") if match else None


def parse_domain_list(text):
    """Domain names from ``/domain/list``: the first column of its table, or one name per line."""
    body, _footer = parse_footer(text)
    rows = parse_box_table(body)
    if rows is not None:
        return [value for value in (list(row.values())[0] for row in rows if row) if value]
    return [line.strip() for line in body.split("\n") if line.strip() and " " not in line.strip()]


def parse_integrations_list(text):
    """Rows of ``integrations/list`` as dicts with ``client_id``, ``api_key`` and, when the
    console prints them, ``type`` and ``numbers``.  Columns are found by header name."""
    body, _footer = parse_footer(text)
    rows = parse_box_table(body)
    if rows is None:
        return []
    integrations = []
    for row in rows:
        fields = dict((_column_key(name), value) for name, value in row.items())
        client_id = fields.get("clientid")
        if not client_id:
            continue
        entry = {"client_id": client_id, "api_key": fields.get("apikey") or None}
        if "type" in fields:
            entry["type"] = fields["type"] or None
        if "numbers" in fields:
            entry["numbers"] = fields["numbers"] or None
        integrations.append(entry)
    return integrations


# [seen] what sip/user/info prints for a SIP user with no registered phone.
SIP_NO_CONTACTS_MARKER = "contacts list is empty"
_CONTACT_COLUMNS = ("contact", "contacts", "uri", "address")


def parse_sip_user_info(text):
    """Registration of a SIP user from ``/domain/<D>/sip/user/info <GROUP> <IFACE>``.

    Returns ``{"registration": state, "contacts": [{"uri", "expires"}]}``.  Only the
    [seen] sentence ``Contacts list is empty`` means ``unregistered``; a box table with a
    contact column and at least one row means ``registered`` (its layout is a [guess]).
    Anything else (no table, a table without rows or without a contact column, both the
    sentence and a table) is ``unknown``: nothing is concluded from it.
    """
    body, _footer = parse_footer(text)
    empty = SIP_NO_CONTACTS_MARKER in " ".join(body.lower().split())
    rows = parse_box_table(body)
    if empty and rows is None:
        return {"registration": "unregistered", "contacts": []}
    contacts = []
    for row in rows or []:
        fields = dict((_column_key(name), value) for name, value in row.items())
        uri = next((fields[key] for key in _CONTACT_COLUMNS if fields.get(key)), None)
        if uri:
            contacts.append({"uri": uri, "expires": fields.get("expires") or None})
    if contacts and not empty:
        return {"registration": "registered", "contacts": contacts}
    return {"registration": "unknown", "contacts": []}


def parse_alias_set(text):
    """Result of ``alias/set``: the domain, property and one entry per alias line.

    Each entry is ``{"alias", "hash", "flag", "failed", "meaning"}``; a flag out of
    ``ALIAS_FAILURE_FLAGS`` means that alias was not set even though the command "worked".
    Returns None when the output is not an ``alias/set`` report.
    """
    body, _footer = parse_footer(text)
    header = _ALIAS_SET_HEADER_RE.search(body)
    if not header:
        return None
    rest = body[header.end():].split("Legend:", 1)[0]
    tokens = rest.split()
    results = []
    consumed = 0
    for index, token in enumerate(tokens):
        if token != "<->" or index == 0 or index + 1 >= len(tokens):
            continue
        flag, alias = _split_flag(tokens[index - 1])
        if not flag and index - 2 >= consumed and tokens[index - 2] in _FLAG_CHARS:
            flag = tokens[index - 2]
        results.append({
            "alias": alias,
            "hash": tokens[index + 1],
            "flag": flag,
            "failed": flag in ALIAS_FAILURE_FLAGS,
            "meaning": ALIAS_FLAG_MEANINGS.get(flag, "unknown flag"),
        })
        consumed = index + 2
    return {"domain": header.group("domain"), "property": header.group("property"), "results": results}


def _split_flag(token):
    """``*240473`` -> (``*``, ``240473``); alias numbers start with a digit, flags do not."""
    if len(token) > 1 and token[0] in _FLAG_CHARS and (not token[0].isalnum() or token[1].isdigit()):
        return token[0], token[1:]
    return "", token


_KEY_COLUMN_HINTS = ("parameter", "param", "name", "property", "field", "key")
# "name: value" (or "name = value"); a name holds neither separator, a value may (IPv6, URIs).
_NAME_VALUE_RE = re.compile(r"^\s*([^:=\s][^:=]*?)\s*[:=][ \t]*(.*?)\s*$")
# Words of alias/info that name the alias and its interface, not a property.
_ALIAS_KEYS = ("alias", "number")
_INTERFACE_KEYS = ("interfacegroup", "ifacegroup", "group", "interface", "iface")


def normalized(value):
    """How two values compare: no surrounding or inner blanks, case-insensitive (``[a, b]`` == ``[a,b]``)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return re.sub(r"\s+", "", str(value)).lower()


def _name_value_lines(body):
    """``[(name, value)]`` when every non-blank line of ``body`` is ``name: value``, else None."""
    pairs = []
    for line in body.split("\n"):
        if not line.strip():
            continue
        match = _NAME_VALUE_RE.match(line)
        if not match:
            return None
        pairs.append((match.group(1), match.group(2)))
    return pairs or None


def parse_parameters(text):
    """``(layout, {parameter: value})`` from an ``info`` command such as ``/api/csta/info``.

    ``layout`` is ``table`` (a box table: key column found by header name, value column named
    ``value``, else the first and last columns), ``lines`` (``name: value`` lines), ``empty``
    (nothing but the footer) or ``unknown`` (anything else: nothing can be read from it).
    """
    body, _footer = parse_footer(text)
    rows = parse_box_table(body)
    if rows is not None and not rows:
        return "empty", {}
    if rows:
        names = list(rows[0].keys())
        key_column = next((n for n in names if _column_key(n) in _KEY_COLUMN_HINTS), names[0])
        value_column = next((n for n in names if _column_key(n) == "value"), names[-1])
        return "table", dict((row[key_column], row.get(value_column, "")) for row in rows if row.get(key_column))
    if not body.strip():
        return "empty", {}
    pairs = _name_value_lines(body)
    if pairs is None:
        return "unknown", {}
    return "lines", dict(pairs)


def parse_alias_info(text, default_alias=None):
    """``(layout, {alias: {property: value}})`` from ``alias/info`` (one alias or a range).

    An alias shown with no property set maps to ``{}``; an alias CoCon did not show is absent.
    The real layout is not confirmed, so three are read: ``table`` (a box table with property and
    value columns, and an ``Alias`` column unless one alias was asked: ``default_alias``),
    ``lines`` (``Alias: N`` then ``name: value`` lines per alias, properties that are not set
    left out) and ``empty`` (nothing shown).  Anything else is ``unknown`` and shows nothing.
    """
    body, _footer = parse_footer(text)
    rows = parse_box_table(body)
    aliases = {}
    if rows is not None:
        names = list(rows[0].keys()) if rows else []
        keyed = dict((_column_key(n), n) for n in names)
        alias_column = next((keyed[k] for k in _ALIAS_KEYS if k in keyed), None)
        property_column = keyed.get("property") or keyed.get("name") or keyed.get("parameter")
        value_column = keyed.get("value")
        if not rows:
            return "empty", aliases
        if property_column is None or value_column is None or (alias_column is None and default_alias is None):
            return "unknown", aliases
        for row in rows:
            alias = row.get(alias_column) if alias_column else default_alias
            if not alias:
                continue
            properties = aliases.setdefault(alias, {})
            if row.get(property_column):
                properties[row[property_column]] = row.get(value_column, "")
        return "table", aliases
    if not body.strip():
        return "empty", aliases
    pairs = _name_value_lines(body)
    if pairs is None:
        return "unknown", aliases
    alias = default_alias
    for name, value in pairs:
        key = _column_key(name)
        if key in _ALIAS_KEYS:
            alias = value
            aliases.setdefault(alias, {})
        elif key not in _INTERFACE_KEYS and alias is not None:
            aliases.setdefault(alias, {})[name] = value
    if not aliases:
        return "unknown", aliases
    return "lines", aliases
