"""rotate_keys.yml and remove.yml against the simulator (they leave TLS alone, so no nginx here)."""

import json
import os
import sys

from ansible_run import run_playbook

PLAYBOOKS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "playbooks")
OLD_KEY = "2hBqT4acTLhcvFq29qW429TF26cfv9Wqkzn4Ga4chYC2hyhT2WkdknnWC94dFTKC"


def inventory(tmp_path, simulator):
    path = tmp_path / "inventory.json"
    path.write_text(json.dumps({"all": {"children": {"ecss": {"hosts": {"ecss1": {
        "ansible_host": "127.0.0.1", "ansible_connection": "local", "ansible_python_interpreter": sys.executable,
    }}, "vars": {
        "ecss_cocon_port": simulator.port,
        "ecss_cocon_known_hosts": simulator.known_hosts_path,
        "ecss_widget_settings_dir": str(tmp_path / "settings"),
        "ecss_domains": [{"name": "biysk.local", "client_id": "amocrm", "group": "loc.gr",
                          "subscribers": [{"number": "240473"}, {"number": "240474"}]}],
    }}}}}))
    return str(path)


def enabled(simulator):
    aliases = simulator.state()["domains"]["biysk.local"]["aliases"]
    return {n: a["properties"].get("api\\call\\enabled") for n, a in aliases.items() if n in ("240473", "240474")}


def test_rotate_then_remove(make_simulator, tmp_path):
    simulator = make_simulator(initial_state={"domains": {"biysk.local": {
        "integrations": {"amocrm": OLD_KEY},
        "aliases": {"240473": {"group": "loc.gr", "properties": {"api\\call\\enabled": "true"}},
                    "240474": {"group": "loc.gr", "properties": {"api\\call\\enabled": "true"}},
                    "240475": {"group": "loc.gr", "properties": {"api\\call\\enabled": "true"}}}}}})
    hosts = inventory(tmp_path, simulator)

    rotated = run_playbook(os.path.join(PLAYBOOKS, "rotate_keys.yml"), simulator, None, ["-i", hosts])
    assert rotated.rc == 0, rotated
    new_key = simulator.state()["domains"]["biysk.local"]["integrations"]["amocrm"]["key"]
    assert new_key != OLD_KEY and len(new_key) == 64
    settings = json.loads((tmp_path / "settings" / "biysk.local.json").read_text())
    assert settings["api_key"] == new_key
    assert oct((tmp_path / "settings" / "biysk.local.json").stat().st_mode & 0o777) == "0o600"
    assert new_key not in rotated.output and OLD_KEY not in rotated.output
    assert "/domain/biysk.local/integrations/replace amocrm" in simulator.commands()

    removed = run_playbook(os.path.join(PLAYBOOKS, "remove.yml"), simulator, None, ["-i", hosts])
    assert removed.rc == 0, removed
    state = simulator.state()["domains"]["biysk.local"]
    assert state["integrations"] == {}
    assert enabled(simulator) == {"240473": "false", "240474": "false"}
    assert state["aliases"]["240475"]["properties"]["api\\call\\enabled"] == "true"  # not listed, not touched
    assert not (tmp_path / "settings" / "biysk.local.json").exists()
    assert not (tmp_path / "settings" / "biysk.local.yml").exists()

    again = run_playbook(os.path.join(PLAYBOOKS, "remove.yml"), simulator, None, ["-i", hosts])
    assert again.rc == 0 and again.changed == 0, again


def test_bad_variables_fail_before_anything_is_sent(simulator, tmp_path):
    hosts = tmp_path / "inventory.json"
    hosts.write_text(json.dumps({"all": {"children": {"ecss": {"hosts": {"ecss1": {
        "ansible_connection": "local", "ansible_python_interpreter": sys.executable}}, "vars": {
        "ecss_cocon_port": simulator.port,
        "ecss_domains": [{"name": "biysk.local; domain/remove biysk.local", "client_id": "amocrm",
                          "subscribers": [{"number": "1234", "group": "loc.gr"}]}],
    }}}}}))
    for playbook in ("site.yml", "rotate_keys.yml", "remove.yml", "check.yml"):
        run = run_playbook(os.path.join(PLAYBOOKS, playbook), simulator, None, ["-i", str(hosts)])
        assert run.rc != 0, run
        assert "is not a valid domain" in run.output and "at least 5 digits" in run.output, run
    assert simulator.commands() == []
