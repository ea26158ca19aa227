"""rotate_keys.yml and remove.yml against the simulator (they leave TLS alone, so no nginx here)."""

import json
import os
import sys

import pytest

from ansible_run import run_playbook
from cocon_simulator import persistence

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


# -- issue 13, finding 1: a rotation never loses a key ------------------------------------------
TOMSK_KEY = "Tm5k" + "K" * 60
TWO_DOMAINS = [{"name": "biysk.local", "client_id": "amocrm", "group": "loc.gr", "subscribers": [{"number": "240473"}]},
               {"name": "tomsk.local", "client_id": "amocrm-tomsk", "group": "sip.gr", "subscribers": [{"number": "700101"}]}]


def two_domain_simulator(make_simulator, **knobs):
    return make_simulator(initial_state={"domains": {
        "biysk.local": {"integrations": {"amocrm": OLD_KEY}, "aliases": {"240473": {"group": "loc.gr"}}},
        "tomsk.local": {"integrations": {"amocrm-tomsk": TOMSK_KEY}, "aliases": {"700101": {"group": "sip.gr"}}},
    }}, **knobs)


def playbook_inventory(tmp_path, simulator, domains, settings_dir=None):
    path = inventory(tmp_path, simulator)
    data = json.loads(open(path).read())
    group_vars = data["all"]["children"]["ecss"]["vars"]
    group_vars["ecss_domains"] = domains
    if settings_dir is not None:
        group_vars["ecss_widget_settings_dir"] = str(settings_dir)
    with open(path, "w") as handle:
        json.dump(data, handle)
    return path


def keys(simulator):
    return {name: {client: item["key"] for client, item in domain["integrations"].items()}
            for name, domain in simulator.state()["domains"].items()}


def mutating(simulator):
    return [c for c in simulator.commands() if not c.endswith("/integrations/list") and "/alias/info " not in c]


def test_rotation_refuses_an_unusable_settings_directory_before_any_replace(make_simulator, tmp_path):
    simulator = two_domain_simulator(make_simulator)
    (tmp_path / "a-file").write_text("not a directory")
    hosts = playbook_inventory(tmp_path, simulator, TWO_DOMAINS, tmp_path / "a-file" / "settings")
    before = keys(simulator)
    run = run_playbook(os.path.join(PLAYBOOKS, "rotate_keys.yml"), simulator, None, ["-i", hosts])
    assert run.rc != 0, run
    assert "cannot be created: %s is not a directory" % (tmp_path / "a-file") in run.output, run
    assert keys(simulator) == before and mutating(simulator) == []


@pytest.mark.parametrize("missing, words", [
    ("domain", "domain nosuch.local: CoCon refused '/domain/nosuch.local/integrations/list': "
               "Command error: Domain nosuch.local does not exist"),
    ("integration", "domain tomsk.local has no integration 'amocrm-omsk' to rotate (it holds 'amocrm-tomsk')"),
])
def test_rotation_checks_every_domain_and_integration_before_any_replace(make_simulator, tmp_path, missing, words):
    simulator = two_domain_simulator(make_simulator)
    domains = [dict(TWO_DOMAINS[0]), dict(TWO_DOMAINS[1])]
    if missing == "domain":
        domains[1]["name"] = "nosuch.local"
    else:
        domains[1]["client_id"] = "amocrm-omsk"
    before = keys(simulator)
    run = run_playbook(os.path.join(PLAYBOOKS, "rotate_keys.yml"), simulator, None,
                       ["-i", playbook_inventory(tmp_path, simulator, domains)])
    assert run.rc != 0, run
    assert "Nothing was rotated: " + words in run.output, run
    assert keys(simulator) == before and mutating(simulator) == []
    assert not (tmp_path / "settings" / "biysk.local.json").exists()


def test_a_rotation_that_fails_midway_says_which_keys_changed_and_where_they_are(make_simulator, tmp_path):
    # list, list (checks); list, replace (biysk); list, replace (tomsk): the 6th command is dropped.
    simulator = two_domain_simulator(make_simulator, drop_after=6)
    settings = tmp_path / "settings"
    run = run_playbook(os.path.join(PLAYBOOKS, "rotate_keys.yml"), simulator, None,
                       ["-i", playbook_inventory(tmp_path, simulator, TWO_DOMAINS)])
    assert run.rc != 0, run
    now = keys(simulator)
    assert now["tomsk.local"]["amocrm-tomsk"] == TOMSK_KEY  # the dropped replace never ran
    new_key = now["biysk.local"]["amocrm"]
    assert new_key != OLD_KEY
    # biysk.local's new key reached its settings file before tomsk.local was touched
    assert json.loads((settings / "biysk.local.json").read_text())["api_key"] == new_key
    assert "Key rotation stopped: the connection to CoCon" in run.output, run
    assert ("Rotated, new key already in its settings files: biysk.local (%s/biysk.local.json and .yml)"
            % settings) in run.output, run
    assert "Maybe rotated (the replace did not finish): tomsk.local - run site.yml" in run.output, run
    assert new_key not in run.output and OLD_KEY not in run.output


# -- issue 13, finding 5: a mistyped client id removes nothing -----------------------------------
def test_remove_with_a_mistyped_client_id_changes_nothing(make_simulator, tmp_path):
    simulator = make_simulator(initial_state={"domains": {"biysk.local": {
        "integrations": {"amocrm": OLD_KEY},
        "aliases": {"240473": {"group": "loc.gr", "properties": {"api\\call\\enabled": "true"}},
                    "240474": {"group": "loc.gr", "properties": {"api\\call\\enabled": "true"}}}}}})
    hosts = inventory(tmp_path, simulator)
    assert run_playbook(os.path.join(PLAYBOOKS, "rotate_keys.yml"), simulator, None, ["-i", hosts]).rc == 0
    settings = tmp_path / "settings" / "biysk.local.json"
    written = settings.read_text()
    typo = [dict(TWO_DOMAINS[0], client_id="amocmr", subscribers=[{"number": "240473"}, {"number": "240474"}])]
    typo_hosts = playbook_inventory(tmp_path, simulator, typo)
    commands_before = len(simulator.commands())

    run = run_playbook(os.path.join(PLAYBOOKS, "remove.yml"), simulator, None, ["-i", typo_hosts])
    assert run.rc != 0, run
    assert ("Nothing was removed: domain biysk.local: client_id 'amocmr', but biysk.local.json (written by site.yml) "
            "records 'amocrm' - a typo?") in run.output, run
    assert enabled(simulator) == {"240473": "true", "240474": "true"}
    assert "amocrm" in keys(simulator)["biysk.local"] and settings.read_text() == written
    assert all(c.endswith("/integrations/list") for c in simulator.commands()[commands_before:])

    # Without the settings file only CoCon can tell: it holds another client id.
    settings.unlink()
    (tmp_path / "settings" / "biysk.local.yml").unlink()
    run = run_playbook(os.path.join(PLAYBOOKS, "remove.yml"), simulator, None, ["-i", typo_hosts])
    assert run.rc != 0, run
    assert "domain biysk.local has no integration 'amocmr' but it holds 'amocrm' - a typo?" in run.output, run
    assert enabled(simulator) == {"240473": "true", "240474": "true"}
    assert "amocrm" in keys(simulator)["biysk.local"]


def test_remove_completes_an_interrupted_removal_and_stays_idempotent(make_simulator, tmp_path):
    """The domain keeps another integration; the settings files record what was ours."""
    simulator = make_simulator(initial_state={"domains": {"biysk.local": {
        "integrations": {"amocrm": OLD_KEY, "bitrix": TOMSK_KEY},
        "aliases": {"240473": {"group": "loc.gr", "properties": {"api\\call\\enabled": "true"}},
                    "240474": {"group": "loc.gr", "properties": {"api\\call\\enabled": "true"}}}}}})
    hosts = inventory(tmp_path, simulator)
    assert run_playbook(os.path.join(PLAYBOOKS, "rotate_keys.yml"), simulator, None, ["-i", hosts]).rc == 0
    # An earlier remove died right after removing the integration.
    state = simulator.state()
    del state["domains"]["biysk.local"]["integrations"]["amocrm"]
    simulator.stop()
    persistence.save_state(simulator.state_path, state)
    simulator.start()

    run = run_playbook(os.path.join(PLAYBOOKS, "remove.yml"), simulator, None, ["-i", hosts, "-v"])
    assert run.rc == 0, run
    assert "nothing was removed (force: true)" in run.output, run
    assert enabled(simulator) == {"240473": "false", "240474": "false"}
    assert sorted(os.listdir(str(tmp_path / "settings"))) == ["biysk.local.removed.json"]
    assert keys(simulator)["biysk.local"] == {"bitrix": TOMSK_KEY}

    again = run_playbook(os.path.join(PLAYBOOKS, "remove.yml"), simulator, None, ["-i", hosts])
    assert again.rc == 0 and again.changed == 0, again
    assert keys(simulator)["biysk.local"] == {"bitrix": TOMSK_KEY}
