"""Hostile identifiers are rejected before anything reaches CoCon (the simulator's command log proves it)."""

import contextlib
import importlib
import io
import json
import os
import sys

import pytest

from ansible_run import FUNCTIONAL_DIR, run_playbook

sys.path.insert(0, os.path.join(FUNCTIONAL_DIR, "..", "..", ".build", "collections"))

from ansible.module_utils.testing import patch_module_args  # noqa: E402

# Each would split a CoCon command line, add an argument or command, or smuggle look-alike text.
HOSTILE = [
    "biysk.local; domain/remove x", "biysk.local\n/domain/remove x", "biysk.local\r\nexit", "a b", "a\tb",
    "a&&b", "a||b", "a|b", "`id`", "$(id)", "${IFS}", "'quoted'", '"quoted"', "a\x00b", "a\x1bb", "a\x7fb",
    "a\x08b", "../../etc/passwd", "a>b", "a<b", " leading", "trailing ", "", "x" * 300, "a\vb", "a\fb",
    u"biysk\u2024local", u"\u0430mocrm", u"240\u0664", u"a\u200bb", u"a\u2028b", u"a\u00a0b", u"ａｍｏ",
    "a#b c", "--force", "-rf", "a=b c", "a\\", "{0-9}x;", "a%0ab", "a\\nb c", "a\nb", "\n", ";", "&", "|",
    "a'b", 'a"b', "a`b", "a$b", "a(b)", "a!b", "a?b", "a~b", "a^b", "a,b c", "a\u0085b", "a\x9bb",
    "/domain/remove", "a\x01", "a\x1f", "%s%n", "a\r", "y\nyes",
]
assert len(HOSTILE) >= 60


def run_module(name, args, simulator):
    """Run a module's main() in this process, as Ansible would on the controller."""
    module = importlib.import_module("ansible_collections.ecss.callapi.plugins.modules." + name)
    stdout = io.StringIO()
    os.environ.update(simulator.connection_env())
    with patch_module_args(args), contextlib.redirect_stdout(stdout), pytest.raises(SystemExit):
        module.main()
    return json.loads(stdout.getvalue())


def cases():
    """(module, option, value, args) for each hostile value of each identifier option."""
    base = {"alias": "240473", "group": "loc.gr", "iface": "240473@biysk.local"}
    for value in HOSTILE:
        yield "integration", "domain", value, {"domain": value, "client_id": "amocrm"}
        yield "integration", "client_id", value, {"domain": "biysk.local", "client_id": value}
        yield "integration", "numbers", value, {"domain": "biysk.local", "client_id": "c", "type": "service", "numbers": value}
        yield "integration_info", "domain", value, {"domain": value}
        yield "alias_property", "domain", value, {"domain": value, "group": "loc.gr", "aliases": ["240473"]}
        yield "alias_property", "alias", value, {"domain": "biysk.local", "group": "loc.gr", "aliases": [value]}
        yield "alias_property", "group", value, {"domain": "biysk.local", "aliases": [dict(base, group=value)]}
        yield "alias_property", "iface", value, {"domain": "biysk.local", "aliases": [dict(base, iface=value)]}
        one_alias = {"domain": "biysk.local", "group": "loc.gr", "aliases": ["240473"]}
        yield "alias_property", "property", value, dict(one_alias, property=value)
        yield "alias_property", "value", value, dict(one_alias, value=value)
        yield "csta", "parameters.tcp_port", value, {"parameters": {"tcp_port": value}}
        yield "csta", "parameters.tcp_ip", value, {"parameters": {"tcp_ip": value}}
        yield "csta", "parameters key", value, {"parameters": {value: "1"}}
        yield "cocon_command", "commands", value, {"commands": ["/domain/list" + value[:1] + "\n/domain/list"]}
        yield "integration", "cocon_port", value, {"domain": "biysk.local", "client_id": "c", "cocon_port": value}


LEGAL_BY_OPTION = {
    # A lone '*' or '-rf' is one harmless token for these; CoCon itself rejects it.
    "value": {"../../etc/passwd", "/domain/remove"},
}


def test_every_identifier_option_rejects_every_hostile_value(simulator):
    checked = 0
    for module, option, value, args in cases():
        if value in LEGAL_BY_OPTION.get(option, ()):
            continue
        result = run_module(module, args, simulator)
        assert result.get("failed"), (module, option, args, result)
        assert result["msg"], (module, option, args)
        checked += 1
    assert checked > 60 * 14
    assert simulator.commands() == [], "hostile input reached CoCon"


def test_hostile_values_through_ansible_playbook(simulator, tmp_path):
    """A sample of the same, through real ansible-playbook runs of every module."""
    sample = HOSTILE[:24]
    domains = sample + ["undefined", "calendar", "properties", ".hidden", "-dash"]
    run = run_playbook("hostile.yml", simulator, {
        "integration_cases": (
            [{"domain": v} for v in sample[:6]] + [{"client_id": v} for v in sample[6:12]]
            + [{"numbers": v} for v in ("24010{1-0}", "24010{0-10}", "1 2")]),
        "alias_cases": (
            [{"alias_entry": v} for v in sample[12:18]] + [{"group": v} for v in sample[18:21]]
            + [{"property": "api\\\\call"}, {"value": "true;false"}, {"alias_entry": {"alias": "240473", "evil": "x"}}]),
        "domains": domains,
        "csta_cases": [{"tcp_port": "4721; exit"}, {"tcp_ip": "0.0.0.0\n"}, {"bad field": 1}, {"enabled": False}],
        "result_file": str(tmp_path / "messages.json")})
    assert run.rc == 0, run
    assert simulator.commands() == [], "hostile input reached CoCon"
    messages = json.loads((tmp_path / "messages.json").read_text())
    assert len(messages) >= 30
    for message in messages:
        assert message and any(word in message for word in (
            "is not a valid", "must not be empty", "characters long", "reserves", "bad range", "unknown key",
            "must be", "newline or control character", "not in parameters",
        )), message
