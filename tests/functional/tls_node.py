"""The call_api_tls role alone on one factory-state nginx, and what the node holds afterwards."""

import hashlib
import json
import os
import subprocess

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from ansible_run import PLAYBOOKS, PlaybookRun
from site_cluster import NginxNode

ROLE_PLAYBOOK = os.path.join(PLAYBOOKS, "call_api_tls.yml")


def _public_sha256(public_key):
    der = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(der).hexdigest()


class TlsNode(NginxNode):
    """A factory nginx plus an inventory that runs only the TLS role on it."""

    def __init__(self, root, name="node1"):
        super(TlsNode, self).__init__(root, name)
        self.root = str(root)
        self.inventory = os.path.join(self.root, name + "-inventory.json")

    def run_role(self, host_vars=None, env=None, args=(), timeout=300):
        hosts = {self.name: dict(self.host_vars(), **(host_vars or {}))}
        with open(os.open(self.inventory, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as handle:
            json.dump({"all": {"hosts": hosts}}, handle)
        environment = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0",
                           ANSIBLE_DEPRECATION_WARNINGS="false", ANSIBLE_RETRY_FILES_ENABLED="false")
        environment.update(env or {})
        command = ["ansible-playbook", "-i", self.inventory, ROLE_PLAYBOOK] + list(args)
        completed = subprocess.run(command, env=environment, capture_output=True, text=True, timeout=timeout,
                                   check=False, start_new_session=True)
        return PlaybookRun(completed)

    def key_path(self):
        return self.role_vars["call_api_tls_key_path"]

    def cert_path(self):
        return self.role_vars["call_api_tls_cert_path"]

    def key_public_sha256(self, path=None):
        """sha256 of the public half of the key file on disk."""
        with open(path or self.key_path(), "rb") as handle:
            key = serialization.load_pem_private_key(handle.read(), password=None)
        return _public_sha256(key.public_key())

    def served_public_sha256(self):
        """sha256 of the public key in the certificate nginx serves over a real TLS connection."""
        import ssl
        pem = ssl.get_server_certificate(("127.0.0.1", self.port))
        return _public_sha256(x509.load_pem_x509_certificate(pem.encode()).public_key())

    def snapshot(self):
        """What a failed or interrupted run must leave alone: served certificate, files, key mode."""
        state = dict(self.file_digests())
        state["served"] = self.served_sha256()
        state["served key"] = self.served_public_sha256()
        state["key on disk"] = self.key_public_sha256()
        return state
