"""Each state module through real ansible-playbook runs against the simulator over SSH.

The community.crypto pattern: check, apply, check again, apply again must report
changed, changed, unchanged, unchanged; check mode sends read commands only, and the
simulator's state file shows the effect of the apply.
"""

import json

import pytest

from ansible_run import run_playbook
from cocon_simulator.dialects import DIALECTS

READ_ONLY = ("/api/csta/info", "/domain/list")


def is_read(command):
    return command in READ_ONLY or command.endswith("/integrations/list") or "/alias/info " in command


def four_passes(simulator, playbook, tmp_path, extra_vars=None):
    """Yield (pass name, run, result dict, commands the simulator received in that pass)."""
    result_file = tmp_path / "result.json"
    extra = dict(extra_vars or {}, result_file=str(result_file))
    seen = 0
    for name, args in (("check", ["--check", "--diff"]), ("apply", ["--diff"]),
                       ("check again", ["--check"]), ("apply again", [])):
        run = run_playbook(playbook, simulator, extra, args)
        assert run.rc == 0 and run.failed == 0, run
        commands = simulator.commands()
        yield name, run, json.loads(result_file.read_text()), commands[seen:]
        seen = len(commands)


def test_csta_four_passes(simulator, tmp_path):
    factory = simulator.state()["csta"]
    assert factory["enabled"] is False
    expected_changed = {"check": 1, "apply": 1, "check again": 0, "apply again": 0}
    for name, run, result, commands in four_passes(simulator, "csta.yml", tmp_path):
        assert run.changed == expected_changed[name], (name, run)
        assert all(is_read(c) for c in commands) or name == "apply", (name, commands)
        if name == "check":
            assert simulator.state()["csta"] == factory
            assert sorted(result["commands"]) == ["/api/csta/set enabled true", "/api/csta/set tcp_port 4731"]
            assert result["diff"] == {"before": {"enabled": "false", "tcp_port": "4721"},
                                      "after": {"enabled": "true", "tcp_port": "4731"}}
        if name == "apply":
            assert sorted(c for c in commands if not is_read(c)) == [
                "/api/csta/set enabled true", "/api/csta/set tcp_port 4731"]
            assert result["before"]["enabled"] == "false" and result["after"]["enabled"] == "true"
        if name.startswith("apply"):
            state = simulator.state()["csta"]
            assert state["enabled"] is True and int(state["tcp_port"]) == 4731
        if name in ("check again", "apply again"):
            assert result["commands"] == []


@pytest.mark.parametrize("integration_type", [None, "widget"])
def test_integration_four_passes(simulator, tmp_path, integration_type):
    extra = {"integration_type": integration_type} if integration_type else {}
    expected_changed = {"check": 1, "apply": 1, "check again": 0, "apply again": 0}
    keys = []
    for name, run, result, commands in four_passes(simulator, "integration.yml", tmp_path, extra):
        assert run.changed == expected_changed[name], (name, run)
        integrations = simulator.state()["domains"]["biysk.local"]["integrations"]
        if name == "check":
            assert integrations == {}
            assert all(is_read(c) for c in commands), commands
            assert result["api_key"] is None
            add = "/domain/biysk.local/integrations/add amocrm" + (" --widget" if integration_type else "")
            assert result["commands"] == [add]
            continue
        stored = integrations["amocrm"]
        assert stored["type"] == (integration_type or "plain")
        # The registered result carries the real key, and a re-run reads it back.
        assert result["api_key"] == stored["key"] and len(stored["key"]) == 64
        keys.append(result["api_key"])
        if name != "apply":
            assert all(is_read(c) for c in commands), commands
            assert result["commands"] == []
    assert len(set(keys)) == 1


def test_integration_rotate_and_absent(simulator, tmp_path):
    run = run_playbook("integration.yml", simulator, {"result_file": str(tmp_path / "r.json")})
    assert run.rc == 0, run
    first = simulator.state()["domains"]["biysk.local"]["integrations"]["amocrm"]["key"]
    rotate = tmp_path / "rotate.yml"
    rotate.write_text("""
- hosts: localhost
  gather_facts: false
  tasks:
    - ecss.callapi.integration: {domain: biysk.local, client_id: amocrm, rotate: true}
      register: rotated
    - ecss.callapi.integration: {domain: biysk.local, client_id: amocrm, state: absent}
      register: removed
    - ecss.callapi.integration: {domain: biysk.local, client_id: amocrm, state: absent}
      register: removed_again
    - ansible.builtin.assert:
        that:
          - rotated is changed
          - rotated.api_key | length == 64
          - rotated.commands == ['/domain/biysk.local/integrations/replace amocrm']
          - removed is changed and removed.api_key is none
          - removed_again is not changed and removed_again.commands == []
""")
    run = run_playbook(str(rotate), simulator)
    assert run.rc == 0, run
    assert "amocrm" not in simulator.state()["domains"]["biysk.local"]["integrations"]
    assert first not in run.output


def biysk_with_aliases(count, start=240500):
    aliases = {str(n): {"group": "loc.gr"} for n in range(start, start + count)}
    return {"domains": {"biysk.local": {"aliases": aliases}}}


@pytest.mark.parametrize("use_ranges", [True, False])
def test_alias_property_four_passes(make_simulator, tmp_path, use_ranges):
    simulator = make_simulator(initial_state=biysk_with_aliases(120))
    numbers = [str(n) for n in range(240500, 240620)]
    # Mixed forms: bare numbers, dicts, dicts with their own interface.
    aliases = numbers[:100] + [{"alias": n} for n in numbers[100:110]] + [
        {"alias": n, "group": "loc.gr", "iface": "%s@biysk.local" % n} for n in numbers[110:]]
    expected_changed = {"check": 1, "apply": 1, "check again": 0, "apply again": 0}
    extra = {"aliases": aliases, "use_ranges": use_ranges}
    for name, run, result, commands in four_passes(simulator, "alias_property.yml", tmp_path, extra):
        assert run.changed == expected_changed[name], (name, run)
        properties = [a["properties"].get("api\\call\\enabled")
                      for a in simulator.state()["domains"]["biysk.local"]["aliases"].values()]
        if name == "check":
            assert all(is_read(c) for c in commands), commands
            assert properties == [None] * 120
            assert sorted(result["changed_aliases"]) == numbers
        elif name == "apply":
            assert sorted(result["changed_aliases"]) == numbers
            sets = [c for c in commands if not is_read(c)]
            # Two connections share 120 commands: the console receives them in its own order.
            assert sorted(sets) == sorted(result["commands"])
            assert len(sets) == (1 if use_ranges else 120), sets  # 240{500-619}
        else:
            assert all(is_read(c) for c in commands), commands
            assert result["changed_aliases"] == [] and result["commands"] == []
        if name.startswith("apply"):
            assert properties == ["true"] * 120


def test_alias_property_falls_back_when_ranges_are_rejected(make_simulator, tmp_path):
    simulator = make_simulator(initial_state=biysk_with_aliases(30), dialect="ranges_invalid")
    numbers = [str(n) for n in range(240500, 240530)]
    run = run_playbook("alias_property.yml", simulator,
                       {"aliases": numbers, "result_file": str(tmp_path / "r.json")})
    assert run.rc == 0, run
    assert "did not show every member of the number range" in run.output
    result = json.loads((tmp_path / "r.json").read_text())
    assert sorted(result["changed_aliases"]) == numbers
    assert len(result["commands"]) == 30 and all("{" not in c for c in result["commands"])
    assert all(a["properties"]["api\\call\\enabled"] == "true"
               for a in simulator.state()["domains"]["biysk.local"]["aliases"].values())


def test_alias_property_names_each_flagged_alias_after_applying_the_others(make_simulator, tmp_path):
    state = biysk_with_aliases(10)
    state["licences"] = {"api\\call\\enabled": 8}
    simulator = make_simulator(initial_state=state)
    numbers = [str(n) for n in range(240500, 240510)] + ["240999"]
    run = run_playbook("alias_property.yml", simulator, {"aliases": numbers, "result_file": str(tmp_path / "r.json")})
    assert run.rc != 0 and run.failed == 1, run
    # check mode already knows 240999 does not exist; the real run names the licence failures too
    assert "240999 (setup broken: alias does not exist)" in run.output
    assert "240508 (setup broken: no free subscriber licences)" in run.output
    assert "240509 (setup broken: no free subscriber licences)" in run.output
    enabled = sorted(n for n, a in simulator.state()["domains"]["biysk.local"]["aliases"].items()
                     if a["properties"].get("api\\call\\enabled") == "true")
    assert enabled == numbers[:8]


# -- every dialect of DIALECTS.md ---------------------------------------------------------------
DIALECT_ALIASES = ["240473", "240474", "240475", "240476", "240477", "240479"]
RANGE_SET = "/domain/biysk.local/alias/set 24047{3-7} loc.gr 24047{3-7}@biysk.local api\\call\\enabled true"


def single_set(number):
    return "/domain/biysk.local/alias/set %s loc.gr %s@biysk.local api\\call\\enabled true" % (number, number)


def expected_capabilities(dialect):
    """The truth about each dialect, written from DIALECTS.md (not from what the code found)."""
    return {
        "number_ranges": dialect not in ("ranges_literal", "ranges_invalid"),
        "number_ranges_tested": True,
        "alias_set_ranges": None,
        "exec_channels_per_connection": "one" if dialect.startswith("one_channel_") else "many",
        # Tested only where exec channels are one per connection; the simulator serves the session.
        "interactive_shell": True if dialect.startswith("one_channel_") else None,
        "csta_info_layout": {"csta_lines": "lines", "csta_absent": "absent"}.get(dialect, "table"),
        "alias_info_layout": "lines" if dialect == "alias_lines" else "table",
        "nodes": "ds1@ecss1 v.3.14.7.585",
        "node": "ds1@ecss1",
        "version": "3.14.7.585",
    }


def expected_sets(dialect):
    """The alias/set commands the apply pass sends: ranges only where reads proved them, members
    a literal range report left out set again one by one."""
    singles = [single_set(n) for n in DIALECT_ALIASES]
    if dialect in ("ranges_literal", "ranges_invalid"):
        return singles[:1] + sorted(singles[1:])
    if dialect == "ranges_read_only":
        return [RANGE_SET] + singles
    return [RANGE_SET, single_set("240479")]


@pytest.mark.parametrize("dialect", sorted(DIALECTS))
def test_state_modules_four_passes_and_facts_in_every_dialect(make_simulator, tmp_path, dialect):
    """check, apply, check, apply: changed, changed, unchanged, unchanged; check mode sends reads only.

    csta on a console without /api/csta/info cannot see the state: it sets it every time and says so.
    """
    simulator = make_simulator(dialect=dialect)
    blind_csta = dialect == "csta_absent"
    expected = {"check": (True, True, True), "apply": (True, True, True),
                "check again": (blind_csta, False, False), "apply again": (blind_csta, False, False)}
    keys = set()
    for name, run, result, commands in four_passes(simulator, "dialect_modules.yml", tmp_path,
                                                   {"aliases": DIALECT_ALIASES}):
        changed = tuple(result[module]["changed"] for module in ("csta", "integration", "alias"))
        assert changed == expected[name], (dialect, name, changed)
        assert run.changed == sum(changed), (dialect, name, run)
        assert result["facts"]["changed"] is False
        facts = result["facts"]["cocon_capabilities"]
        truth = expected_capabilities(dialect)
        assert dict((key, facts[key]) for key in truth) == truth, (dialect, facts)
        assert (facts["exec_time_ms_median"] >= 100) == (dialect == "slow"), facts
        # What each module found out by itself agrees with cocon_facts.
        alias_capabilities = result["alias"]["capabilities"]
        assert alias_capabilities["number_ranges"] is truth["number_ranges"], alias_capabilities
        assert result["csta"]["capabilities"]["csta_info_layout"] == truth["csta_info_layout"]
        if name.startswith("check"):
            assert all(is_read(c) for c in commands), (dialect, name, commands)
        if name == "apply":
            sets = [c for c in commands if "/alias/set " in c]
            assert sets == result["alias"]["commands"], (dialect, sets)
            # The order of the one-by-one commands is the pool's; the range (if any) comes first.
            assert sets[:1] + sorted(sets[1:]) == expected_sets(dialect), (dialect, sets)
            assert alias_capabilities["alias_set_ranges"] is {
                "reference": True, "ranges_read_only": False}.get(dialect, None if not truth["number_ranges"] else True)
        if name.startswith("apply"):
            state = simulator.state()
            assert state["csta"]["enabled"] is True and int(state["csta"]["tcp_port"]) == 4731
            aliases = state["domains"]["biysk.local"]["aliases"]
            assert [aliases[n]["properties"].get("api\\call\\enabled") for n in DIALECT_ALIASES] == ["true"] * 6
            assert aliases["240478"]["properties"] == {}
            keys.add(result["integration"]["api_key"])
            assert state["domains"]["biysk.local"]["integrations"]["amocrm"]["key"] in keys
    assert len(keys) == 1


# -- issue 13: what a failed run did, and booleans as CoCon writes them ------------------------
def test_csta_failing_after_a_change_reports_it(simulator, tmp_path):
    # The simulator takes IPv4 only: 'enabled true' is applied, then 'tcp_ip ::1' is refused.
    playbook = tmp_path / "csta_half.yml"
    playbook.write_text("""
- hosts: localhost
  gather_facts: false
  tasks:
    - ecss.callapi.csta: {enabled: true, parameters: {tcp_ip: "::1"}}
      register: half
      ignore_errors: true
    - ansible.builtin.copy: {content: "{{ half | to_json }}", dest: "%s", mode: "0600"}
""" % (tmp_path / "r.json"))
    run = run_playbook(str(playbook), simulator)
    result = json.loads((tmp_path / "r.json").read_text())
    assert result["failed"] is True and result["changed"] is True, result
    assert result["commands"] == ["/api/csta/set enabled true", "/api/csta/set tcp_ip ::1"]
    assert result["failed_command"] == "/api/csta/set tcp_ip ::1" and "Invalid command's arguments" in result["msg"]
    assert simulator.state()["csta"]["enabled"] is True and "ignored=1" in run.stdout


def test_alias_property_yaml_false_is_sent_as_false(simulator, tmp_path):
    playbook = tmp_path / "revoke.yml"
    playbook.write_text("""
- hosts: localhost
  gather_facts: false
  tasks:
    - ecss.callapi.alias_property: {domain: biysk.local, group: loc.gr, aliases: ["240473", "240474"], value: false}
      register: revoked
    - ecss.callapi.alias_property: {domain: biysk.local, group: loc.gr, aliases: ["240473", "240474"], value: false}
      register: again
    - ansible.builtin.assert:
        that: [revoked is changed, again is not changed]
""")
    run = run_playbook(str(playbook), simulator)
    assert run.rc == 0, run
    sets = [c for c in simulator.commands() if "/alias/set " in c]
    assert sets and all(c.endswith(" api\\call\\enabled false") for c in sets), sets
    aliases = simulator.state()["domains"]["biysk.local"]["aliases"]
    assert [aliases[n]["properties"]["api\\call\\enabled"] for n in ("240473", "240474")] == ["false", "false"]
