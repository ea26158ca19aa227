"""The simulated switch: state (JSON-able dict) and the commands that read and change it.

Pure logic, no I/O: ``Console.run(line)`` returns the answer body (without the footer)
and whether the state changed; the SSH server adds the frame and persists.
"""

import copy
import hashlib
import ipaddress
import re
import secrets
import string

from cocon_simulator import dialects, formatting, ranges

CSTA_DEFAULTS = {
    "enabled": False,
    "auth": [],
    "tcp_ip": "0.0.0.0",
    "ssl_ip": "0.0.0.0",
    "tcp_port": 4721,
    "ssl_port": 4722,
    "use_ssl": True,
    "use_tcp": True,
}
CSTA_BOOLEANS = ("enabled", "use_ssl", "use_tcp")
CSTA_ADDRESSES = ("tcp_ip", "ssl_ip")
CSTA_PORTS = ("tcp_port", "ssl_port")

INTEGRATION_TYPES = ("plain", "widget", "service")
KEY_ALPHABET = string.ascii_letters + string.digits
LOCKED_MESSAGE = "Command error: Configuration is temporary locked by another session, try again later"
CONTACT_EXPIRES = 3600

# The seed's own example keeps its real hash, so the alias/set fixture can be reproduced.
_SEED_HASHES = {("biysk.local", "240473"): "062743c44271f9e7"}
_CLIENT_ID = re.compile(r"^[A-Za-z0-9_.@-]+$")
_AUTH_ITEM = re.compile(r"^[A-Za-z0-9_.:@/-]+$")


def new_api_key():
    return "".join(secrets.choice(KEY_ALPHABET) for _position in range(64))


def alias_hash(domain, alias):
    known = _SEED_HASHES.get((domain, alias))
    if known:
        return known
    return hashlib.sha256(("%s/%s" % (domain, alias)).encode()).hexdigest()[:16]


def _alias(domain, number, group):
    return {
        "group": group,
        "iface": "%s@%s" % (number, domain),
        "hash": alias_hash(domain, number),
        "properties": {},
        "contacts": [],
    }


def normalize_contact(contact, expires=CONTACT_EXPIRES):
    """A registered contact as stored: ``{"uri", "expires"}``; a bare URI string is fine."""
    if isinstance(contact, str):
        contact = {"uri": contact}
    contact = dict(contact)
    if not contact.get("uri"):
        raise ValueError("a contact needs a uri: %r" % (contact,))
    contact["expires"] = int(contact.get("expires", expires))
    return contact


def factory_state():
    biysk = {str(n): _alias("biysk.local", str(n), "loc.gr") for n in range(240473, 240480)}
    tomsk = {str(n): _alias("tomsk.local", str(n), "sip.gr") for n in range(700101, 700104)}
    return {
        "csta": copy.deepcopy(CSTA_DEFAULTS),
        "licences": {},
        "domains": {
            "biysk.local": {"aliases": biysk, "integrations": {}},
            "tomsk.local": {"aliases": tomsk, "integrations": {}},
        },
    }


def normalize_state(state):
    """Fill what a hand-written initial state leaves out, so tests can give only what matters.

    Missing CSTA fields take factory defaults; an alias may omit iface (number@domain),
    hash, properties and contacts (a contact may be a bare URI string); an integration may
    be given as a bare key string.
    """
    state = copy.deepcopy(state)
    csta = copy.deepcopy(CSTA_DEFAULTS)
    csta.update(state.get("csta") or {})
    state["csta"] = csta
    state["licences"] = dict(state.get("licences") or {})
    domains = {}
    for name, domain in (state.get("domains") or {}).items():
        domain = domain or {}
        aliases = {}
        for number, alias in (domain.get("aliases") or {}).items():
            number = str(number)
            alias = dict(alias or {})
            alias.setdefault("group", "loc.gr")
            alias.setdefault("iface", "%s@%s" % (number, name))
            alias.setdefault("hash", alias_hash(name, number))
            alias["properties"] = {str(k): str(v) for k, v in (alias.get("properties") or {}).items()}
            alias["contacts"] = [normalize_contact(c) for c in alias.get("contacts") or []]
            aliases[number] = alias
        integrations = {}
        for client_id, integration in (domain.get("integrations") or {}).items():
            if isinstance(integration, str):
                integration = {"key": integration}
            integration = dict(integration)
            integration.setdefault("key", new_api_key())
            integration.setdefault("type", "plain")
            integration.setdefault("numbers", None)
            integrations[client_id] = integration
        domains[name] = {"aliases": aliases, "integrations": integrations}
    state["domains"] = domains
    return state


class CommandFailure(Exception):
    """An answer that carries one of CoCon's failure markers."""

    def __init__(self, text):
        super().__init__(text)
        self.text = text


def _invalid(details):
    return CommandFailure("Invalid command's arguments: %s" % details)


def _error(reason):
    return CommandFailure("Command error: %s" % reason)


def _expand(token):
    if not ranges.has_range(token):
        return [token]
    try:
        return ranges.expand(token)
    except ranges.RangeError as exc:
        raise _invalid("%s" % exc) from None


def _bool_text(value):
    return "true" if value else "false"


def csta_value_text(value):
    if isinstance(value, bool):
        return _bool_text(value)
    if isinstance(value, list):
        return "[" + ",".join(str(item) for item in value) + "]"
    return str(value)


class Console:
    """One simulated CoCon speaking ``dialect`` (dialects.Dialect; default: the reference).

    Not thread-safe: the server serialises calls.
    """

    def __init__(self, state, dialect=None):
        self.state = normalize_state(state)
        self.dialect = dialect or dialects.Dialect()

    # -- dispatch ---------------------------------------------------------------------
    def run(self, line):
        """Return (answer body, state_changed) for one command line."""
        tokens = line.split()
        if not tokens:
            return "", False
        path, args = tokens[0], tokens[1:]
        if self.dialect.ranges == "invalid" and any(ranges.has_range(arg) for arg in args):
            return "Invalid command's arguments: number ranges are not supported\n", False
        parts = path.strip("/").split("/")
        try:
            handler, handler_args = self._route(parts)
        except LookupError:
            return "There is no such command: %s\n" % path, False
        try:
            return handler(*handler_args, args)
        except CommandFailure as failure:
            return failure.text + "\n", False

    def _route(self, parts):
        if parts == ["api", "csta", "info"] and self.dialect.csta_info != "absent":
            return self._csta_info, ()
        if parts == ["api", "csta", "set"]:
            return self._csta_set, ()
        if parts == ["api", "csta", "clean"]:
            return self._csta_clean, ()
        if parts == ["domain", "list"]:
            return self._domain_list, ()
        if len(parts) >= 3 and parts[0] == "domain":
            domain, rest = parts[1], parts[2:]
            table = {
                ("integrations", "add"): self._integration_add,
                ("integrations", "list"): self._integration_list,
                ("integrations", "remove"): self._integration_remove,
                ("integrations", "replace"): self._integration_replace,
                ("alias", "info"): self._alias_info,
                ("alias", "set"): self._alias_set,
                ("sip", "user", "info"): self._sip_user_info,
            }
            handler = table.get(tuple(rest))
            if handler is not None and domain:
                return handler, (domain,)
        raise LookupError(parts)

    def _table(self, header, rows):
        table = formatting.box_table(header, rows)
        return formatting.flatten_table(table) if self.dialect.crlf_flat else table

    def _domain(self, name):
        domain = self.state["domains"].get(name)
        if domain is None:
            raise _error("Domain %s does not exist" % name)
        return domain

    # -- CSTA -------------------------------------------------------------------------
    def _csta_info(self, args):
        if args:
            raise _invalid("info takes no arguments")
        csta = self.state["csta"]
        rows = [[field, csta_value_text(csta[field])] for field in CSTA_DEFAULTS]
        if self.dialect.csta_info == "lines":
            return formatting.name_value_lines(rows), False
        return self._table(["Parameter", "Value"], rows), False

    def _csta_set(self, args):
        if len(args) != 2:
            raise _invalid("expected <FIELD> <VALUE>")
        field, text = args
        if field not in CSTA_DEFAULTS:
            raise _invalid("unknown field '%s'; known: %s" % (field, ", ".join(CSTA_DEFAULTS)))
        if field in CSTA_BOOLEANS:
            if text not in ("true", "false"):
                raise _invalid("'%s' expects true or false, got '%s'" % (field, text))
            value = text == "true"
        elif field in CSTA_PORTS:
            if not text.isdigit() or not 0 < int(text) < 65536:
                raise _invalid("'%s' expects a port number, got '%s'" % (field, text))
            value = int(text)
        elif field in CSTA_ADDRESSES:
            try:
                value = str(ipaddress.IPv4Address(text))
            except ValueError:
                raise _invalid("'%s' expects an IPv4 address, got '%s'" % (field, text)) from None
        else:
            if not (text.startswith("[") and text.endswith("]")):
                raise _invalid("'%s' expects a list like [a,b], got '%s'" % (field, text))
            items = [item for item in text[1:-1].split(",") if item]
            if not all(_AUTH_ITEM.match(item) for item in items):
                raise _invalid("'%s' expects a list like [a,b], got '%s'" % (field, text))
            value = items
        self.state["csta"][field] = value
        return "Parameter '%s' successfully changed\n" % field, True

    def _csta_clean(self, args):
        fields = [arg for arg in args if arg != "--force"]
        if len(fields) > 1:
            raise _invalid("expected [<FIELD>] [--force]")
        if fields and fields[0] not in CSTA_DEFAULTS:
            raise _invalid("unknown field '%s'" % fields[0])
        for field in fields or list(CSTA_DEFAULTS):
            self.state["csta"][field] = copy.deepcopy(CSTA_DEFAULTS[field])
        return "ok\n", True

    # -- domains ----------------------------------------------------------------------
    def _domain_list(self, args):
        if args:
            raise _invalid("list takes no arguments")
        rows = [[name] for name in sorted(self.state["domains"])]
        return self._table(["Domain"], rows), False

    # -- integrations -----------------------------------------------------------------
    def _integration_add(self, name, args):
        domain = self._domain(name)
        positional, kind, numbers = [], "plain", None
        remaining = list(args)
        while remaining:
            arg = remaining.pop(0)
            if arg == "--widget" and kind == "plain":
                kind = "widget"
            elif arg == "--service" and kind == "plain":
                kind = "service"
            elif arg == "--numbers":
                if kind != "service" or numbers is not None or not remaining:
                    raise _invalid("--numbers <RANGE> goes only with --service")
                numbers = remaining.pop(0)
                _expand(numbers)
                if not all(ch.isdigit() for ch in numbers if ch not in "{}-,"):
                    raise _invalid("bad number range '%s'" % numbers)
            elif arg.startswith("--"):
                raise _invalid("unexpected option '%s'" % arg)
            else:
                positional.append(arg)
        if len(positional) != 1:
            raise _invalid("expected <CLIENT_ID> [--widget] [--service [--numbers <RANGE>]]")
        client_id = positional[0]
        if not _CLIENT_ID.match(client_id):
            raise _invalid("bad client id '%s'" % client_id)
        if client_id in domain["integrations"]:
            raise _error("Integration for client '%s' already exists" % client_id)
        key = new_api_key()
        domain["integrations"][client_id] = {"key": key, "type": kind, "numbers": numbers}
        if kind == "plain":
            return "New integration was added. API key: %s\n" % key, True
        return "New integration was added.\nAPI key: %s\n" % key, True

    def _integration_list(self, name, args):
        domain = self._domain(name)
        if args:
            raise _invalid("list takes no arguments")
        integrations = domain["integrations"]
        typed = any(item["type"] != "plain" for item in integrations.values())
        header = ["Client id", "API Key"] + (["Type", "Numbers"] if typed else [])
        rows = []
        for client_id in sorted(integrations):
            item = integrations[client_id]
            row = [client_id, item["key"]]
            if typed:
                row += [item["type"], item["numbers"] or ""]
            rows.append(row)
        return self._table(header, rows), False

    def _existing_integration(self, name, args):
        domain = self._domain(name)
        if len(args) != 1:
            raise _invalid("expected <CLIENT_ID>")
        if args[0] not in domain["integrations"]:
            raise _error("Integration for client '%s' does not exist" % args[0])
        return domain, args[0]

    def _integration_remove(self, name, args):
        domain, client_id = self._existing_integration(name, args)
        del domain["integrations"][client_id]
        return "ok\n", True

    def _integration_replace(self, name, args):
        domain, client_id = self._existing_integration(name, args)
        key = new_api_key()
        domain["integrations"][client_id]["key"] = key
        return "Old key was replaced with new one. New API key: %s\n" % key, True

    # -- aliases ----------------------------------------------------------------------
    @staticmethod
    def _alias_targets(alias_token, iface_token, expand_ranges):
        """(number, interface) pairs; without ``expand_ranges`` a range is one literal alias."""
        if not expand_ranges:
            return [(alias_token, iface_token)]
        aliases = _expand(alias_token)
        ifaces = _expand(iface_token)
        if len(ifaces) == 1:
            ifaces = ifaces * len(aliases)
        if len(ifaces) != len(aliases):
            raise _invalid(
                "alias range gives %d numbers but interface range gives %d" % (len(aliases), len(ifaces))
            )
        return list(zip(aliases, ifaces))

    @staticmethod
    def _matching(domain, number, group, iface):
        alias = domain["aliases"].get(number)
        if alias and alias["group"] == group and alias["iface"] == iface:
            return alias
        return None

    def _alias_info(self, name, args):
        domain = self._domain(name)
        if len(args) != 3:
            raise _invalid("expected <ALIAS> <IFACE_GROUP> <IFACE>")
        alias_token, group, iface_token = args
        expand_ranges = self.dialect.expands_ranges_in_info
        found = []
        for number, iface in self._alias_targets(alias_token, iface_token, expand_ranges):
            alias = self._matching(domain, number, group, iface)
            if alias is not None:
                found.append((number, iface, sorted(alias["properties"].items())))
        if not found and not expand_ranges:
            raise _error("Alias %s not found" % alias_token)
        if self.dialect.alias_info == "lines":
            blocks = [
                formatting.name_value_lines([("Alias", number), ("Interface group", group), ("Interface", iface)]
                                            + properties)
                for number, iface, properties in found
            ]
            return "\n".join(blocks), False
        rows = [
            [number, group, iface, prop, value]
            for number, iface, properties in found
            for prop, value in properties or [("", "")]
        ]
        header = ["Alias", "Interface group", "Interface", "Property", "Value"]
        return self._table(header, rows), False

    def _licence_holders(self, prop):
        return sum(
            1
            for domain in self.state["domains"].values()
            for alias in domain["aliases"].values()
            if alias["properties"].get(prop) == "true"
        )

    def _alias_set(self, name, args):
        domain = self._domain(name)
        if len(args) != 5:
            raise _invalid("expected <ALIAS> <IFACE_GROUP> <IFACE> <PROPERTY> <VALUE>")
        alias_token, group, iface_token, prop, value = args
        limit = self.state["licences"].get(prop)
        results, changed = [], False
        expand_ranges = self.dialect.expands_ranges_in_set
        for number, iface in self._alias_targets(alias_token, iface_token, expand_ranges):
            alias = self._matching(domain, number, group, iface)
            if alias is None:
                results.append(("*", number, alias_hash(name, number)))
                continue
            takes_licence = value == "true" and alias["properties"].get(prop) != "true"
            if takes_licence and limit is not None and self._licence_holders(prop) >= limit:
                results.append(("L", number, alias["hash"]))
                continue
            if alias["properties"].get(prop) != value:
                alias["properties"][prop] = value
                changed = True
            results.append(("", number, alias["hash"]))
        return formatting.alias_set_report(name, prop, results), changed

    def _sip_user_info(self, name, args):
        domain = self._domain(name)
        if len(args) != 2:
            raise _invalid("expected <IFACE_GROUP> <USER>@<DOMAIN>")
        group, user = args
        alias = self._matching(domain, user.split("@")[0], group, user) or next(
            (a for a in domain["aliases"].values() if a["group"] == group and a["iface"] == user), None
        )
        if alias is None:
            raise _error("SIP user %s does not exist in group %s" % (user, group))
        head = "SIP user: %s\nGroup: %s\nDomain: %s\n" % (user, group, name)
        if not alias["contacts"]:
            return head + "Contacts list is empty\n", False
        rows = [[contact["uri"], str(contact["expires"])] for contact in alias["contacts"]]
        return head + "Contacts:\n" + self._table(["Contact", "Expires"], rows), False
