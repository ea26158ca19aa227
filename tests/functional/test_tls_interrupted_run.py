"""A run that stops after the new certificate was signed leaves nginx serving the previous pair.

Two ways the certificate's copy fails after signing, both checked over a real TLS connection
and against the key file on disk:
- the certificate file cannot be replaced (immutable: `chattr +i`, a read-only target even
  for root): the role's rescue runs;
- the controller dies at that task (a test callback SIGKILLs ansible-playbook's process
  group): nothing of the role runs any more, so only files that were never live may differ.
A normal run afterwards recovers.
"""

import os
import subprocess

import pytest

from tls_node import TlsNode

FUNCTIONAL_DIR = os.path.dirname(os.path.abspath(__file__))
# The task that puts the new certificate on the node (whatever comes after signing).
CERTIFICATE_COPY_TASK = r"(?i)(write|stage) the new certificate"
NEW_NAMES = {"call_api_tls_names": ["node1", "127.0.0.1", "ecss.example.test", "renamed.example.test"]}


@pytest.fixture(params=["selfsigned", "ownca"])
def converged(request, tmp_path):
    node = TlsNode(tmp_path / "nodes").start()
    host_vars = {"call_api_tls_mode": request.param}
    if request.param == "ownca":
        host_vars.update(call_api_tls_ca_dir=str(tmp_path / "ca"), call_api_tls_ca_passphrase="functional-only-pass")
    run = node.run_role(host_vars)
    assert run.rc == 0, run
    yield node, host_vars
    node.stop()


def _ssl_dir_listing(node):
    directory = os.path.dirname(node.cert_path())
    return sorted(os.listdir(directory))


def _recovers(node, host_vars, before):
    run = node.run_role(dict(host_vars, **NEW_NAMES))
    assert run.rc == 0, run
    assert node.served_sha256() != before["served"]
    assert node.served_public_sha256() == node.key_public_sha256()


def test_unreplaceable_certificate_file_rolls_back(converged):
    node, host_vars = converged
    before, listing = node.snapshot(), _ssl_dir_listing(node)
    subprocess.run(["chattr", "+i", node.cert_path()], check=True)
    try:
        run = node.run_role(dict(host_vars, **NEW_NAMES))
    finally:
        subprocess.run(["chattr", "-i", node.cert_path()], check=True)

    assert run.rc != 0, run
    assert "restored the previous certificate" in run.output, run
    assert node.snapshot() == before
    assert _ssl_dir_listing(node) == listing
    _recovers(node, host_vars, before)


def test_controller_killed_at_the_certificate_copy_leaves_the_live_pair_alone(converged, tmp_path):
    node, host_vars = converged
    before = node.snapshot()
    marker = tmp_path / "interrupted-at"
    env = {"ANSIBLE_CALLBACK_PLUGINS": os.path.join(FUNCTIONAL_DIR, "callback_plugins"),
           "ANSIBLE_CALLBACKS_ENABLED": "interrupt_at_task",
           "ECSS_TEST_INTERRUPT_AT": CERTIFICATE_COPY_TASK, "ECSS_TEST_INTERRUPT_MARKER": str(marker)}

    run = node.run_role(dict(host_vars, **NEW_NAMES), env=env)

    assert run.rc == -9, run
    assert marker.exists(), "the run never reached the certificate copy"
    # Signing happened before the kill; the live key and certificate did not change.
    assert node.snapshot() == before
    for name in _ssl_dir_listing(node):
        path = os.path.join(os.path.dirname(node.key_path()), name)
        if "key" in name:
            assert oct(os.stat(path).st_mode & 0o777) == "0o600", name
    _recovers(node, host_vars, before)
