"""site.yml with the CoCon modules running on the node itself (ecss_cocon_run_on: node).

The node is reached over real SSH (a private sshd on 127.0.0.1), its nginx runs from a
factory-state prefix, and the CoCon modules run there against CoCon on 127.0.0.1.
"""

import json
import re
import os
import shutil
import signal
import socket
import subprocess
import time

import pytest

from ansible_run import run_playbook
from site_cluster import SITE, NginxNode, free_port

SSHD = shutil.which("sshd") or "/usr/sbin/sshd"


@pytest.fixture
def ssh_node(tmp_path):
    """A private sshd accepting a fresh key for the current user; yields (port, private key path)."""
    if not os.path.exists(SSHD):
        pytest.fail("sshd is missing: apt-get install openssh-server (the test command's .ci/run does)")
    home = tmp_path / "sshd"
    home.mkdir()
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(home / "host_key")], check=True)
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(home / "client_key")], check=True)
    (home / "authorized_keys").write_text((home / "client_key.pub").read_text())
    port = free_port()
    (home / "sshd_config").write_text("\n".join([
        "Port %d" % port, "ListenAddress 127.0.0.1", "HostKey %s" % (home / "host_key"),
        "PidFile %s" % (home / "sshd.pid"), "AuthorizedKeysFile %s" % (home / "authorized_keys"),
        "PermitRootLogin prohibit-password", "PasswordAuthentication no", "KbdInteractiveAuthentication no",
        "StrictModes no", "UsePAM no", "Subsystem sftp internal-sftp", "",
    ]))
    os.makedirs("/run/sshd", exist_ok=True)
    process = subprocess.Popen([SSHD, "-D", "-e", "-f", str(home / "sshd_config")],
                               stdout=subprocess.DEVNULL, stderr=open(home / "sshd.log", "w"))
    deadline = time.time() + 10
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            time.sleep(0.1)
    yield port, home / "client_key"
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=10)


@pytest.fixture
def factory_nginx(tmp_path):
    node = NginxNode(tmp_path, "node1").start()
    yield node
    node.stop()


def test_cocon_modules_run_on_the_node_over_ssh(simulator, ssh_node, factory_nginx, tmp_path):
    ssh_port, client_key = ssh_node
    node_vars = dict(factory_nginx.host_vars(), ansible_port=ssh_port, ansible_user="root",
                     ansible_ssh_private_key_file=str(client_key),
                     ansible_ssh_common_args="-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null")
    del node_vars["ansible_connection"]  # ssh, to the private sshd
    inventory = {"all": {"children": {"ecss": {"hosts": {"node1": node_vars}, "vars": {
        "ecss_cocon_run_on": "node",
        "ecss_cocon_port": simulator.port,
        "ecss_cocon_password": simulator.password,   # the node does not see the controller's environment
        "ecss_cocon_known_hosts": simulator.known_hosts_path,
        "ecss_widget_settings_dir": str(tmp_path / "settings"),
        "ecss_domains": [{"name": "biysk.local", "client_id": "amocrm",
                          "subscribers": [{"number": "240473", "group": "loc.gr"}]}],
    }}}}}
    inventory_path = tmp_path / "inventory.json"
    inventory_path.write_text(json.dumps(inventory))
    env = {"ECSS_COCON_PASSWORD": "", "ECSS_COCON_HOST": "", "ECSS_COCON_PORT": "", "ECSS_COCON_KNOWN_HOSTS": ""}
    first = run_playbook(SITE,
                         None, None, ["-i", str(inventory_path)], env=env)
    assert first.rc == 0, first
    # The CoCon tasks (cocon_facts, CSTA, integrations, permissions) ran on the node itself, not delegated.
    cocon_tasks = re.findall(r"TASK \[ecss\.callapi\.widget_setup : CoCon \|[^\n]*\n(changed|ok): \[([^\]]+)\]", first.stdout)
    assert len(cocon_tasks) == 4 and all(host == "node1" for _status, host in cocon_tasks), cocon_tasks
    state = simulator.state()
    assert state["csta"]["enabled"] is True
    key = state["domains"]["biysk.local"]["integrations"]["amocrm"]["key"]
    assert json.loads((tmp_path / "settings" / "biysk.local.json").read_text())["api_key"] == key
    assert key not in first.output and simulator.password not in first.output
    second = run_playbook(SITE,
                          None, None, ["-i", str(inventory_path)], env=env)
    assert second.rc == 0 and "changed=0" in second.stdout, second
