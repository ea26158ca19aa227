# -*- coding: utf-8 -*-
# Copyright: ecss.callapi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Set the TLS directives of one server block in an nginx site file, and keep every other byte."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible.errors import AnsibleFilterError

# One directive per line, the layout of the seed's site file. Comments after it are kept.
_DIRECTIVE = re.compile(
    r"^(?P<indent>[ \t]*)(?P<name>[A-Za-z_]+)(?P<sep>[ \t]+)(?P<args>[^;#{}]*?)[ \t]*;"
    r"(?P<trail>[ \t]*(?:#.*)?)$"
)
_OWNED_PATH = re.compile(r"^[^\s;{}'\"$#\\]+$")
_PROTOCOLS = {"SSLv2", "SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"}


def _listen_port(address):
    """Port a `listen` address token refers to, or None for unix sockets."""
    if address.startswith("unix:"):
        return None
    if address.startswith("["):
        rest = address.partition("]")[2]
        return int(rest[1:]) if rest.startswith(":") and rest[1:].isdigit() else 80
    if address.isdigit():
        return int(address)
    host, sep, port = address.rpartition(":")
    if sep and port.isdigit():
        return int(port)
    return 80


def _set_listen_port(address, port):
    if address.startswith("["):
        return address.partition("]")[0] + f"]:{port}"
    if address.isdigit():
        return str(port)
    host, sep, old = address.rpartition(":")
    return f"{host}:{port}" if sep and old.isdigit() else f"{address}:{port}"


def _strip_comment(line):
    out, quote = [], None
    for char in line:
        if quote:
            if char == quote:
                quote = None
        elif char in "'\"":
            quote = char
        elif char == "#":
            break
        out.append(char)
    return "".join(out)


def _server_blocks(lines):
    """(first, last) line indexes of each top-level `server {` ... `}` block."""
    blocks, depth, start = [], 0, None
    for index, line in enumerate(lines):
        code = _strip_comment(line)
        for match in re.finditer(r"[{}]|\bserver\s*\{", code):
            token = match.group(0)
            if token.startswith("server"):
                if depth == 0:
                    start = index
                depth += 1
            elif token == "{":
                depth += 1
            else:
                depth -= 1
                if depth == 0 and start is not None:
                    blocks.append((start, index))
                    start = None
        if depth < 0:
            raise AnsibleFilterError("nginx_site_tls_edit: site file has an unbalanced '}'")
    if depth != 0:
        raise AnsibleFilterError("nginx_site_tls_edit: site file has an unclosed '{'")
    return blocks


def _block_statements(lines, first, last):
    """Indexes and parsed directives of the lines directly inside a server block."""
    found, depth = [], 0
    for index in range(first, last + 1):
        code = _strip_comment(lines[index])
        if depth == 1:
            match = _DIRECTIVE.match(lines[index].rstrip("\r\n"))
            if match:
                found.append((index, match))
        depth += code.count("{") - code.count("}")
    return found


def nginx_site_tls_edit(text, port, cert_path, key_path, protocols):
    """Return `text` with the server block that serves `port` (the Call API's) set up for TLS.

    The server block is the top-level one with a `listen` on `port`; when no block
    listens there and the file holds exactly one server block, that block is taken
    and its listen lines move to `port`. In it: every `listen` gains the `ssl`
    parameter (address and other parameters kept), `ssl on|off;` goes away (nginx
    1.25 rejects it), and `ssl_certificate`, `ssl_certificate_key`, `ssl_protocols`
    are set in place or added after the last `listen`. Nothing else changes.
    """
    if not isinstance(text, str):
        raise AnsibleFilterError("nginx_site_tls_edit: the site file must be text, got %r" % (text,))
    try:
        port = int(port)
    except (TypeError, ValueError):
        raise AnsibleFilterError("nginx_site_tls_edit: port must be a number, got %r" % (port,)) from None
    if not 0 < port < 65536:
        raise AnsibleFilterError("nginx_site_tls_edit: port %d is out of range" % port)
    if isinstance(protocols, str) or not isinstance(protocols, (list, tuple)):
        raise AnsibleFilterError("nginx_site_tls_edit: protocols must be a list, got %r" % (protocols,))
    for label, path in (("certificate", cert_path), ("key", key_path)):
        if not _OWNED_PATH.match(str(path)):
            raise AnsibleFilterError(
                f"nginx_site_tls_edit: {label} path {path!r} cannot go into an nginx directive unquoted"
            )
    protocols = [str(p) for p in protocols]
    unknown = sorted(set(protocols) - _PROTOCOLS)
    if not protocols or unknown:
        raise AnsibleFilterError(f"nginx_site_tls_edit: unknown ssl_protocols value(s): {unknown or 'none given'}")

    lines = text.splitlines(keepends=True)
    blocks = _server_blocks(lines)
    chosen, move_port = None, False
    for first, last in blocks:
        for _index, match in _block_statements(lines, first, last):
            if match["name"] == "listen" and _listen_port(match["args"].split()[0]) == port:
                chosen = (first, last)
                break
        if chosen:
            break
    if chosen is None:
        if len(blocks) != 1:
            raise AnsibleFilterError(
                f"nginx_site_tls_edit: no server block listens on port {port} and the site file has "
                f"{len(blocks)} server blocks: cannot tell which one is the Call API's"
            )
        chosen, move_port = blocks[0], True

    wanted = {
        "ssl_certificate": str(cert_path),
        "ssl_certificate_key": str(key_path),
        "ssl_protocols": " ".join(protocols),
    }
    statements = _block_statements(lines, *chosen)
    drop, seen, last_listen, indent = set(), set(), None, "    "
    eol = "\r\n" if text.count("\r\n") * 2 > text.count("\n") else "\n"
    for index, match in statements:
        name, args = match["name"], match["args"]
        newline = lines[index][len(lines[index].rstrip("\r\n")):]
        prefix = match["indent"] + name + match["sep"]
        if name == "listen":
            tokens = args.split()
            address = tokens[0]
            if move_port and _listen_port(address) is not None:
                address = _set_listen_port(address, port)
            if _listen_port(address) == port:
                params = tokens[1:]
                if "ssl" not in params:
                    params.insert(0, "ssl")
                lines[index] = prefix + " ".join([address, *params]) + ";" + match["trail"] + newline
            last_listen, indent = index, match["indent"]
        elif name == "ssl" and args.strip() in ("on", "off"):
            drop.add(index)
        elif name in wanted:
            if name in seen:
                drop.add(index)  # a second certificate pair would not match the new key
            else:
                seen.add(name)
                lines[index] = prefix + wanted[name] + ";" + match["trail"] + newline
    if last_listen is None:
        raise AnsibleFilterError(f"nginx_site_tls_edit: the server block has no listen on port {port}")
    missing = [f"{indent}{name} {wanted[name]};{eol}" for name in wanted if name not in seen]
    result = []
    for index, line in enumerate(lines):
        if index not in drop:
            result.append(line)
        if index == last_listen:
            result.extend(missing)
    return "".join(result)


def nginx_site_tls_state(text, port):
    """How the server block on ``port`` serves TLS, read-only: the verdicts of ``playbooks/check.yml``.

    ``{listens, tls, ssl_on, certificate, certificate_key, error}``: ``listens`` when a
    top-level server block has a ``listen`` on ``port``; ``tls`` when every such listen carries
    ``ssl`` or the block says ``ssl on;`` (``ssl_on``: the obsolete form); the paths of its
    ``ssl_certificate`` and ``ssl_certificate_key``. A file that cannot be read as a site file
    gives ``error`` instead of failing.
    """
    state = dict(listens=False, tls=False, ssl_on=False, certificate=None, certificate_key=None, error=None)
    if not isinstance(text, str):
        raise AnsibleFilterError("nginx_site_tls_state: the site file must be text, got %r" % (text,))
    try:
        port = int(port)
    except (TypeError, ValueError):
        raise AnsibleFilterError("nginx_site_tls_state: port must be a number, got %r" % (port,)) from None
    lines = text.splitlines(keepends=True)
    try:
        blocks = _server_blocks(lines)
    except AnsibleFilterError as exc:
        return dict(state, error=str(exc).replace("nginx_site_tls_edit: ", ""))
    for first, last in blocks:
        statements = [match for _index, match in _block_statements(lines, first, last)]
        listens = [m["args"].split() for m in statements
                   if m["name"] == "listen" and _listen_port(m["args"].split()[0]) == port]
        if not listens:
            continue
        values = dict((m["name"], m["args"].strip()) for m in statements)
        ssl_on = values.get("ssl") == "on"
        return dict(state, listens=True, ssl_on=ssl_on, tls=ssl_on or all("ssl" in tokens[1:] for tokens in listens),
                    certificate=values.get("ssl_certificate"), certificate_key=values.get("ssl_certificate_key"))
    return state


class FilterModule(object):

    def filters(self):
        return {"nginx_site_tls_edit": nginx_site_tls_edit, "nginx_site_tls_state": nginx_site_tls_state}
