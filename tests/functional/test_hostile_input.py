"""Hostile identifiers are rejected before anything reaches CoCon (the simulator's command log proves it)."""

import contextlib
import importlib
import io
import json
import os
import subprocess
import sys

import pytest

from ansible_run import FUNCTIONAL_DIR, run_playbook

ROOT = os.path.dirname(os.path.dirname(FUNCTIONAL_DIR))
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
            + [{"property": "api\\\\call"}, {"value": "true;false"}, {"alias_entry": {"alias": "240473", "evil": "x"}}]
            # YAML numbers: 0240473 unquoted arrives as 82235, 240473.0 as a float.
            + [{"alias_entry": 82235}, {"alias_entry": 240473.0}, {"alias_entry": {"alias": 240473}}]),
        "domains": domains,
        "csta_cases": [{"tcp_port": "4721; exit"}, {"tcp_ip": "0.0.0.0\n"}, {"bad field": 1}, {"enabled": False},
                       {"tcp_ip": "fe80::1%x --force"}, {"ssl_ip": "fe80::1%eth0"}, {"tcp_ip": u"１0.0.0.1"}],
        "result_file": str(tmp_path / "messages.json")})
    assert run.rc == 0, run
    assert simulator.commands() == [], "hostile input reached CoCon"
    messages = json.loads((tmp_path / "messages.json").read_text())
    assert len(messages) >= 36
    numbers = [m for m in messages if "got the number" in m]
    assert len(numbers) == 3 and all("quote it" in m for m in numbers), numbers
    assert len([m for m in messages if m.startswith("parameters.tcp_ip") or m.startswith("parameters.ssl_ip")]) == 4
    for message in messages:
        assert message and any(word in message for word in (
            "is not a valid", "must not be empty", "characters long", "reserves", "bad range", "unknown key",
            "must be", "newline or control character", "not in parameters",
        )), message


# -- ports, file paths, number ranges and site.yml variables (issue #5) ------------------------
HOSTILE_PORTS = list(HOSTILE) + [
    "0", "-1", "65536", "99999999999999999999", "8023.5", "0x1f47", "8023 8024", "1e3", "+8023 ", "８０２３"]
# Relative to a sandbox under the test's tmp_path: an implementation that wrongly accepts one
# (accept-new appends a host key to it) writes inside the test's own directory, nowhere else.
HOSTILE_PATH_TAILS = [
    "known/../../../escaped", "sub/../../escaped", "../escaped", "..", "a\x00b", "a\nb", "a\rb", "a\tb",
    "a\x1bb", "a\x7fb", "x" * 5000, " lead", "trail ", "$(id)", "`id`", "a;rm", "a&&b", "a|b", "\u2215etc",
    "\u202eexe", "a\u200bb", "a\u2028b", "a\u0085b", "./../escaped", "known/..",
]
HOSTILE_RANGES = HOSTILE + [
    "24010{1-0}", "24010{0-10}", "2401{00-9}", "{}", "{0-}", "{-9}", "24010{0-1", "240100-240199", "2401{0-9}{0-9}x",
    "24010{0-1};", "24010{0-1}\n", "24010{0--1}", "24010{0-1}{", "{0-9" + "9" * 300 + "}",
]


def test_hostile_ports_are_rejected_by_every_module(simulator):
    modules = (
        ("integration", {"domain": "biysk.local", "client_id": "amocrm"}),
        ("integration_info", {"domain": "biysk.local"}),
        ("alias_property", {"domain": "biysk.local", "group": "loc.gr", "aliases": ["240473"]}),
        ("csta", {"enabled": True}),
        ("cocon_command", {"commands": ["/domain/list"]}),
    )
    checked = 0
    for value in HOSTILE_PORTS:
        for module, args in modules:
            result = run_module(module, dict(args, cocon_port=value), simulator)
            assert result.get("failed") and "cocon_port" in result["msg"], (module, value, result)
            checked += 1
    assert checked >= 60 * len(modules)
    assert simulator.commands() == [], "a hostile port reached CoCon"


def test_hostile_known_hosts_paths_are_rejected_before_anything_is_written(simulator, tmp_path, monkeypatch):
    """accept-new would append a host key to this file: a hostile path must not get that far."""
    sandbox = tmp_path / "sandbox" / "inner"
    sandbox.mkdir(parents=True)
    monkeypatch.chdir(sandbox)
    checked = 0
    for tail in HOSTILE_PATH_TAILS:
        for value in (tail, "%s/%s" % (sandbox, tail)):
            args = {"domain": "biysk.local", "cocon_known_hosts": value, "cocon_host_key_policy": "accept-new"}
            result = run_module("integration_info", args, simulator)
            assert result.get("failed") and "cocon_known_hosts" in result["msg"], (value, result)
            checked += 1
    assert checked >= 50
    assert simulator.commands() == []
    written = [os.path.join(d, f) for d, _dirs, files in os.walk(str(tmp_path)) for f in files
               if "cocon-sim" not in d]
    assert written == [], written


def test_hostile_number_ranges_are_rejected(simulator):
    checked = 0
    for value in HOSTILE_RANGES:
        args = {"domain": "biysk.local", "client_id": "svc", "type": "service", "numbers": value}
        result = run_module("integration", args, simulator)
        assert result.get("failed") and "numbers" in result["msg"], (value, result)
        checked += 1
    assert checked >= 60
    assert simulator.commands() == []


def _site_variable_cases():
    """(variable path, ecss_domains or None, extra vars) for hostile values of every site.yml variable."""
    from ansible_collections.ecss.callapi.plugins.filter.validation import ecss_domains_problems

    def domain(**overrides):
        base = {"name": "biysk.local", "client_id": "amocrm",
                "subscribers": [{"number": "240473", "group": "loc.gr"}]}
        base.update(overrides)
        return base

    for value in HOSTILE:
        subscriber = {"number": "240473", "group": "loc.gr"}
        yield "ecss_domains[].name", [domain(name=value)]
        yield "ecss_domains[].client_id", [domain(client_id=value)]
        yield "ecss_domains[].group", [domain(group=value)]
        yield "ecss_domains[].numbers", [domain(integration_type="service", numbers=value)]
        yield "ecss_domains[].integration_type", [domain(integration_type=value)]
        yield "subscribers[].number", [domain(subscribers=[dict(subscriber, number=value)])]
        yield "subscribers[].group", [domain(subscribers=[dict(subscriber, group=value)])]
        yield "subscribers[].iface", [domain(subscribers=[dict(subscriber, iface=value)])]
    assert ecss_domains_problems


def test_every_hostile_site_variable_is_a_validation_problem():
    from ansible_collections.ecss.callapi.plugins.filter.validation import ecss_domains_problems

    checked = 0
    for where, domains in _site_variable_cases():
        value = json.dumps(domains)
        if where == "ecss_domains[].numbers" and domains[0]["numbers"] in LEGAL_BY_OPTION.get("numbers", ()):
            continue
        problems = ecss_domains_problems(domains)
        assert problems and all(isinstance(p, str) and p for p in problems), (where, value)
        checked += 1
    assert checked >= 60 * 8


def test_hostile_site_variables_stop_site_yml_before_anything_is_sent_or_written(simulator, tmp_path):
    """Real site.yml runs: the first play's checks fail; no CoCon command, no file on the node."""
    cluster_root = tmp_path / "cluster"
    node_dir = tmp_path / "node-files"
    settings = tmp_path / "settings"
    inventory = tmp_path / "inventory.json"
    node = {
        "ansible_host": "127.0.0.1", "ansible_connection": "local", "ansible_python_interpreter": sys.executable,
        "call_api_nginx_site": str(node_dir / "site.conf"), "call_api_tls_cert_path": str(node_dir / "c.crt"),
        "call_api_tls_key_path": str(node_dir / "c.key"), "call_api_tls_backup_dir": str(node_dir / "backup"),
        "call_api_tls_names": ["node1", "127.0.0.1"],
    }
    good_domains = [{"name": "biysk.local", "client_id": "amocrm",
                     "subscribers": [{"number": "240473", "group": "loc.gr"}]}]
    cases = [
        {"ecss_domains": [dict(good_domains[0], name="biysk.local; domain/remove x")]},
        {"ecss_domains": [dict(good_domains[0], client_id="amocrm\n/domain/biysk.local/integrations/remove a")]},
        {"ecss_domains": [dict(good_domains[0], subscribers=[{"number": "240473 240474", "group": "loc.gr"}])]},
        {"ecss_domains": [dict(good_domains[0], subscribers=[{"number": "240473", "group": "loc.gr`id`"}])]},
        {"ecss_domains": [dict(good_domains[0], integration_type="service", numbers="24010{0-1};exit")]},
        {"ecss_domains": good_domains, "ecss_cocon_port": "8023; id"},
        {"ecss_domains": good_domains, "ecss_cocon_port": 70000},
        {"ecss_domains": good_domains, "ecss_call_api_public_host": "$(id).example"},
        {"ecss_domains": good_domains, "ecss_cocon_host_key_policy": "none"},
    ]
    os.makedirs(str(cluster_root))
    for index, case in enumerate(cases):
        group_vars = {"ecss_cocon_known_hosts": simulator.known_hosts_path, "ecss_cocon_port": simulator.port,
                      "ecss_widget_settings_dir": str(settings), "ecss_call_api_public_host": "node1"}
        group_vars.update(case)
        with open(str(inventory), "w") as handle:
            json.dump({"ecss": {"hosts": {"node1": node}, "vars": group_vars}}, handle)
        completed = subprocess.run(
            ["ansible-playbook", "-i", str(inventory), os.path.join(ROOT, "playbooks", "site.yml")],
            env=dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_RETRY_FILES_ENABLED="false",
                     **simulator.connection_env()),
            capture_output=True, text=True, check=False, timeout=120)
        output = completed.stdout + completed.stderr
        assert completed.returncode != 0, (index, output[-3000:])
        assert "Validate" in output and "fatal" in output, (index, output[-3000:])
        assert "Trusted TLS certificate" not in output, (index, output[-3000:])
    assert simulator.commands() == []
    assert not node_dir.exists() and not settings.exists()
