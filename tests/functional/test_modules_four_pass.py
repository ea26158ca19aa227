"""Each state module through real ansible-playbook runs against the simulator over SSH.

The community.crypto pattern: check, apply, check again, apply again must report
changed, changed, unchanged, unchanged; check mode sends read commands only, and the
simulator's state file shows the effect of the apply.
"""

import json

import pytest

from ansible_run import run_playbook

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
    # Mixed forms: bare numbers, integers, dicts with their own interface.
    aliases = numbers[:100] + [int(n) for n in numbers[100:110]] + [
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
            assert sets == result["commands"]
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
    assert "rejected the number range" in run.output
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
