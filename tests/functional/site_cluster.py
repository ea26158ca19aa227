"""site.yml on a throwaway cluster: one CoCon simulator, N nodes each with a factory-state nginx."""

import hashlib
import json
import os
import socket
import ssl
import subprocess
import sys

from ansible_run import PlaybookRun

FUNCTIONAL_DIR = os.path.dirname(os.path.abspath(__file__))
TESTS_DIR = os.path.dirname(FUNCTIONAL_DIR)
ROOT = os.path.dirname(TESTS_DIR)
SITE = os.path.join(ROOT, "playbooks", "site.yml")


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class NginxNode(object):
    """A factory-state nginx (tests/nginx_factory) for one inventory node."""

    def __init__(self, root, name):
        self.name = name
        self.prefix = os.path.join(str(root), name)
        self.port = free_port()

    def _factory(self, *args):
        return subprocess.run([sys.executable, "-m", "nginx_factory"] + list(args), capture_output=True, text=True,
                              env=dict(os.environ, PYTHONPATH=TESTS_DIR), check=False)

    def start(self):
        done = self._factory("start", "--prefix", self.prefix, "--port", str(self.port), "--server-name", self.name)
        assert done.returncode == 0, done.stdout + done.stderr
        self.role_vars = json.loads(done.stdout)["role_vars"]
        return self

    def stop(self):
        self._factory("stop", "--prefix", self.prefix)

    def path(self, *parts):
        return os.path.join(self.prefix, *parts)

    def host_vars(self):
        return dict(
            self.role_vars,
            ansible_host="127.0.0.1", ansible_connection="local", ansible_python_interpreter=sys.executable,
            call_api_tls_names=[self.name, "127.0.0.1", "ecss.example.test"],
            call_api_tls_verify_delay=0,
        )

    def served_sha256(self):
        pem = ssl.get_server_certificate(("127.0.0.1", self.port))
        return hashlib.sha256(ssl.PEM_cert_to_DER_cert(pem)).hexdigest()

    def file_digests(self):
        digests = {}
        for relative in ("ssl/call_api.crt", "ssl/call_api.key", "sites-available/ecss-call-api.conf"):
            with open(self.path(relative), "rb") as handle:
                digests[relative] = hashlib.sha256(handle.read()).hexdigest()
        digests["key mode"] = oct(os.stat(self.path("ssl/call_api.key")).st_mode & 0o777)
        return digests


DEFAULT_DOMAINS = [
    {"name": "biysk.local", "client_id": "amocrm",
     "subscribers": [{"number": "240473", "group": "loc.gr", "amocrm_user": "Ivan Petrov"},
                     {"number": "240474", "group": "loc.gr"}]},
    {"name": "tomsk.local", "client_id": "amocrm-tomsk", "integration_type": "widget", "group": "sip.gr",
     "subscribers": [{"number": "700101"}]},
]


class SiteCluster(object):
    """One CoCon simulator, N nodes with their own nginx, and the inventory site.yml needs."""

    def __init__(self, root, simulator, node_names=("node1",), domains=None, group_vars=None):
        self.root = str(root)
        self.simulator = simulator
        self.nodes = [NginxNode(self.root, name) for name in node_names]
        self.settings_dir = os.path.join(self.root, "widget-settings")
        self.group_vars = {
            "call_api_tls_mode": "selfsigned",
            "ecss_cocon_port": simulator.port,
            "ecss_cocon_known_hosts": simulator.known_hosts_path,
            "ecss_call_api_public_host": "ecss.example.test",
            "ecss_widget_settings_dir": self.settings_dir,
            "ecss_domains": domains or DEFAULT_DOMAINS,
        }
        self.group_vars.update(group_vars or {})
        self.inventory = os.path.join(self.root, "inventory.json")

    def start(self):
        for node in self.nodes:
            node.start()
        self.write_inventory()
        return self

    def stop(self):
        for node in self.nodes:
            node.stop()

    def write_inventory(self):
        inventory = {"ecss": {"hosts": dict((n.name, n.host_vars()) for n in self.nodes), "vars": self.group_vars}}
        with open(os.open(self.inventory, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as handle:
            json.dump(inventory, handle)

    def command(self, playbook=SITE, args=(), extra_vars_file=None):
        command = ["ansible-playbook", "-i", self.inventory, playbook]
        if extra_vars_file:
            command += ["-e", "@" + extra_vars_file]
        return command + list(args)

    def environment(self, env=None, password=True):
        environment = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0",
                           ANSIBLE_DEPRECATION_WARNINGS="false", ANSIBLE_RETRY_FILES_ENABLED="false")
        environment.update(self.simulator.connection_env())
        if not password:
            del environment["ECSS_COCON_PASSWORD"]
        environment.update(env or {})
        return environment

    def extra_vars_file(self, extra_vars, name="extra-vars.json"):
        path = os.path.join(self.root, name)
        with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as handle:
            json.dump(extra_vars, handle)
        return path

    def run(self, playbook=SITE, extra_vars=None, args=(), env=None, timeout=300, cwd=None):
        extra = self.extra_vars_file(extra_vars) if extra_vars else None
        completed = subprocess.run(self.command(playbook, args, extra), env=self.environment(env), cwd=cwd,
                                   capture_output=True, text=True, timeout=timeout, check=False)
        return PlaybookRun(completed)

    def settings(self, domain):
        with open(os.path.join(self.settings_dir, domain + ".json"), encoding="utf-8") as handle:
            return json.load(handle)
