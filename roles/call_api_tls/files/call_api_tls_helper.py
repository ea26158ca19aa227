"""Text and data helpers of the call_api_tls role, run on the controller.

The role pipes one JSON request into this script (with the playbook's Python) and reads
one JSON answer: collection roles cannot carry their own filter plugins, and this logic
is too fiddly for Jinja. It never sees key material: only the site file, names and
certificate metadata. Request ops and answers:

- {"op": "site_edit", "text", "port", "cert_path", "key_path", "protocols"}
  -> {"text": new site text}
- {"op": "names", "names", "sans", "certs": [x509_certificate_info results, leaf first]}
  -> {"wanted_sans", "normalized_sans", "uncovered", "chain_problems", "sni"}
- on bad input: {"failed": true, "msg": "..."} and exit status 1.

Functions:

- call_api_tls_site_edit: set the directives the role owns inside the Call API's
  server block of an nginx site file and keep every other byte.
- call_api_tls_pem_certs: split a PEM bundle into its certificates.
- call_api_tls_normalize_sans: the same form for a certificate's own SANs.
- call_api_tls_uncovered: which wanted names/addresses a certificate's SANs miss.
- call_api_tls_wanted_sans: turn names/addresses into subjectAltName entries.
- call_api_tls_chain_problems: why a list of certificate infos is not a chain in order.
"""

import ipaddress
import json
import re
import sys


class SiteError(ValueError):
    """The site file or the requested settings cannot be handled safely."""


_PEM_CERT = re.compile(
    r"-----BEGIN CERTIFICATE-----\s.*?-----END CERTIFICATE-----", re.DOTALL
)
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
            raise SiteError("site file has an unbalanced '}'")
    if depth != 0:
        raise SiteError("site file has an unclosed '{'")
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


def call_api_tls_site_edit(text, port, cert_path, key_path, protocols):
    """Return `text` with the Call API server block set up for TLS on `port`.

    The server block is the top-level one with a `listen` on `port`; when no block
    listens there and the file holds exactly one server block, that block is taken
    and its listen lines move to `port`. In it: every `listen` gains the `ssl`
    parameter (address and other parameters kept), `ssl on|off;` goes away (nginx
    1.25 rejects it), and `ssl_certificate`, `ssl_certificate_key`, `ssl_protocols`
    are set in place or added after the last `listen`. Nothing else changes.
    """
    port = int(port)
    for label, path in (("certificate", cert_path), ("key", key_path)):
        if not _OWNED_PATH.match(str(path)):
            raise SiteError(
                f"{label} path {path!r} cannot go into an nginx directive unquoted"
            )
    protocols = [str(p) for p in protocols]
    unknown = sorted(set(protocols) - _PROTOCOLS)
    if not protocols or unknown:
        raise SiteError(f"unknown ssl_protocols value(s): {unknown or 'none given'}")

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
            raise SiteError(
                f"no server block listens on port {port} and the site file has "
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
        raise SiteError(f"the Call API server block has no listen on port {port}")
    missing = [f"{indent}{name} {wanted[name]};{eol}" for name in wanted if name not in seen]
    result = []
    for index, line in enumerate(lines):
        if index not in drop:
            result.append(line)
        if index == last_listen:
            result.extend(missing)
    return "".join(result)


def call_api_tls_pem_certs(text):
    """Certificates of a PEM bundle, in file order, each ending with a newline."""
    return [block.strip() + "\n" for block in _PEM_CERT.findall(text or "")]


def _parse_ip(value):
    try:
        return ipaddress.ip_address(str(value).strip("[]"))
    except ValueError:
        return None


def call_api_tls_wanted_sans(names):
    """subjectAltName entries (`DNS:x` / `IP:y`) for names and addresses, deduplicated."""
    sans = []
    for name in names:
        address = _parse_ip(name)
        entry = f"IP:{address}" if address else f"DNS:{str(name).lower().rstrip('.')}"
        if entry not in sans:
            sans.append(entry)
    return sans


def call_api_tls_normalize_sans(sans):
    """subjectAltName entries as call_api_tls_wanted_sans writes them, others dropped."""
    names = [s.split(":", 1)[1] for s in sans or [] if s.startswith(("DNS:", "IP:"))]
    return call_api_tls_wanted_sans(names)


def call_api_tls_first_dns(names):
    """The first entry of `names` that is a DNS name (for SNI), or an empty string."""
    return next((str(n) for n in names or [] if not _parse_ip(n)), "")


def _dns_matches(pattern, name):
    pattern, name = pattern.lower().rstrip("."), name.lower().rstrip(".")
    if pattern == name:
        return True
    # RFC 6125: a wildcard covers exactly one leftmost label.
    if pattern.startswith("*.") and "." in name:
        return name.split(".", 1)[1] == pattern[2:]
    return False


def call_api_tls_uncovered(names, sans):
    """The names/addresses in `names` that no subjectAltName in `sans` covers."""
    sans = sans or []
    dns = [s[4:] for s in sans if s.startswith("DNS:")]
    ips = {_parse_ip(s[3:]) for s in sans if s.startswith("IP:")}
    missing = []
    for name in names:
        address = _parse_ip(name)
        covered = address in ips if address else any(_dns_matches(p, str(name)) for p in dns)
        if not covered:
            missing.append(str(name))
    return missing


def call_api_tls_chain_problems(infos):
    """Why certificate infos (x509_certificate_info results, leaf first) are out of order."""
    problems = []
    for position, (child, parent) in enumerate(zip(infos, infos[1:]), start=1):
        if child.get("issuer") != parent.get("subject"):
            problems.append(
                f"certificate {position} ({child.get('subject')}) is not issued by the "
                f"next one in the file ({parent.get('subject')})"
            )
            continue
        aki, ski = child.get("authority_key_identifier"), parent.get("subject_key_identifier")
        if aki and ski and aki != ski:
            problems.append(
                f"certificate {position}'s authority key id {aki} does not match the "
                f"next certificate's subject key id {ski}"
            )
    return problems


def handle(request):
    op = request.get("op")
    if op == "site_edit":
        return {"text": call_api_tls_site_edit(
            request["text"], request["port"], request["cert_path"], request["key_path"],
            request["protocols"])}
    if op == "names":
        names = request.get("names") or []
        certs = request.get("certs") or []
        return {
            "wanted_sans": call_api_tls_wanted_sans(names),
            "normalized_sans": call_api_tls_normalize_sans(request.get("sans")),
            "uncovered": call_api_tls_uncovered(
                names, certs[0].get("subject_alt_name") if certs else request.get("sans")),
            "chain_problems": call_api_tls_chain_problems(certs),
            "sni": call_api_tls_first_dns(names),
        }
    raise SiteError(f"unknown op {op!r}")


def main(stdin=sys.stdin, stdout=sys.stdout):
    try:
        answer = handle(json.load(stdin))
        status = 0
    except (SiteError, KeyError, TypeError, ValueError) as exc:
        answer, status = {"failed": True, "msg": f"{type(exc).__name__}: {exc}"}, 1
    json.dump(answer, stdout)
    return status


if __name__ == "__main__":
    sys.exit(main())
