"""Every playbook checks its inputs before it reads or writes anything (issue 13, findings 2, 4, 6, 7).

Real ansible-playbook runs of site.yml, rotate_keys.yml, remove.yml, call_history.yml and check.yml with a
YAML inventory (so YAML's own typing applies), against the simulator: each run must stop with a
sentence that names the problem, send no CoCon command, and write no file.
"""

import os
import stat
import subprocess
import sys

import pytest

from ansible_run import FUNCTIONAL_DIR

ROOT = os.path.dirname(os.path.dirname(FUNCTIONAL_DIR))
PLAYBOOKS = ["site.yml", "rotate_keys.yml", "remove.yml", "call_history.yml", "check.yml"]
NOBODY = 65534

# Unquoted YAML numbers, an invisible NEXT LINE in a name, a domain that climbs out of the directory.
BAD_DOMAINS = """\
    ecss_domains:
      - name: biysk.local
        client_id: amocrm
        group: loc.gr
        subscribers:
          - {number: 0240473, amocrm_user: Ivan Petrov}
          - {number: 240474.0}
          - {number: "240475", amocrm_user: "Maria\\x85Sidorova"}
      - name: ../victimdir/evil
        client_id: amocrm
        subscribers: []
"""
GOOD_DOMAINS = """\
    ecss_domains:
      - name: biysk.local
        client_id: amocrm
        group: loc.gr
        subscribers:
          - {number: "240473", amocrm_user: Ivan Petrov}
"""


def run(playbook, simulator, tmp_path, domains, settings_dir):
    inventory = tmp_path / "inventory.yml"
    inventory.write_text("""\
ecss:
  hosts:
    node1:
      ansible_host: 127.0.0.1
      ansible_connection: local
      ansible_python_interpreter: %s
      call_api_nginx_site: %s/node/site.conf
      call_api_tls_cert_path: %s/node/c.crt
      call_api_tls_key_path: %s/node/c.key
      call_api_tls_backup_dir: %s/node/backup
      call_api_tls_names: [node1, 127.0.0.1]
  vars:
    ecss_cocon_port: %d
    ecss_cocon_known_hosts: %s
    ecss_call_api_public_host: node1
    ecss_widget_settings_dir: %s
%s""" % (sys.executable, tmp_path, tmp_path, tmp_path, tmp_path, simulator.port, simulator.known_hosts_path,
         settings_dir, domains))
    completed = subprocess.run(
        ["ansible-playbook", "-i", str(inventory), os.path.join(ROOT, "playbooks", playbook)],
        env=dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_RETRY_FILES_ENABLED="false", **simulator.connection_env()),
        capture_output=True, text=True, check=False, timeout=180)
    return completed.returncode, completed.stdout + completed.stderr


def files_under(path):
    return sorted(os.path.relpath(os.path.join(d, f), str(path)) for d, _dirs, files in os.walk(str(path)) for f in files)


@pytest.mark.parametrize("playbook", PLAYBOOKS)
def test_bad_domains_are_named_before_anything_happens(playbook, simulator, tmp_path):
    (tmp_path / "victimdir").mkdir()
    settings = tmp_path / "settings"
    rc, output = run(playbook, simulator, tmp_path, BAD_DOMAINS, settings)
    assert rc != 0, output[-3000:]
    for words in (
            # 0240473 is octal in YAML 1.1: the switch would have been sent alias 82235
            "subscribers[0].number (domain biysk.local) is the integer 82235, not text",
            "subscribers[1].number (domain biysk.local) is the float 240474.0, not text",
            "Quote it as written",
            "subscribers[2].amocrm_user contains the invisible or line-breaking character U+0085",
            "ecss_domains[1].name '../victimdir/evil' is not a valid domain"):
        assert words in output, (words, output[-3000:])
    assert "AttributeError" not in output and "Traceback" not in output
    assert simulator.commands() == []
    assert files_under(tmp_path / "victimdir") == [] and not settings.exists()
    assert not (tmp_path / "node").exists()


def shared_directory(tmp_path):
    """Like /tmp: sticky, world-writable, someone else's file inside."""
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "their-notes.txt").write_text("not ours")
    os.chown(str(shared / "their-notes.txt"), NOBODY, NOBODY)
    os.chmod(str(shared), 0o1777)
    return shared


@pytest.mark.parametrize("playbook", PLAYBOOKS)
def test_a_shared_settings_directory_is_refused_and_left_as_it_was(playbook, simulator, tmp_path):
    shared = shared_directory(tmp_path)
    rc, output = run(playbook, simulator, tmp_path, GOOD_DOMAINS, shared)
    assert rc != 0, output[-3000:]
    assert "has the sticky bit (mode 1777)" in output and "is writable by everyone" in output, output[-3000:]
    assert "their-notes.txt" in output and "Nothing was changed" in output
    assert stat.S_IMODE(os.stat(str(shared)).st_mode) == 0o1777
    assert files_under(shared) == ["their-notes.txt"]
    assert simulator.commands() == []


@pytest.mark.parametrize("playbook", PLAYBOOKS)
def test_a_symlinked_settings_directory_is_refused_and_its_target_left_as_it_was(playbook, simulator, tmp_path):
    target = tmp_path / "somewhere"
    target.mkdir(mode=0o755)
    os.chmod(str(target), 0o755)
    link = tmp_path / "settings-link"
    link.symlink_to(target)
    rc, output = run(playbook, simulator, tmp_path, GOOD_DOMAINS, link)
    assert rc != 0, output[-3000:]
    assert "%s is a symbolic link (to %s)" % (link, target) in output, output[-3000:]
    assert stat.S_IMODE(os.stat(str(target)).st_mode) == 0o755
    assert files_under(target) == []
    assert simulator.commands() == []


def test_check_refuses_a_shared_report_directory_and_leaves_it_as_it_was(simulator, tmp_path):
    shared = shared_directory(tmp_path)
    rc, output = run("check.yml", simulator, tmp_path, GOOD_DOMAINS + "    ecss_report_dir: %s\n" % shared,
                     tmp_path / "settings")
    assert rc != 0, output[-3000:]
    assert "ecss_report_dir: " in output and "has the sticky bit (mode 1777)" in output, output[-3000:]
    assert stat.S_IMODE(os.stat(str(shared)).st_mode) == 0o1777
    assert files_under(shared) == ["their-notes.txt"]
    assert simulator.commands() == []
