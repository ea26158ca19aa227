"""The node's private key is born on the node: no file in the controller's temp dirs ever holds one.

The role runs (real ansible-playbook, real nginx) with ANSIBLE_LOCAL_TEMP, ANSIBLE_REMOTE_TEMP
and TMPDIR inside a directory that temp_watch.TempWatch reads on every write (inotify) and
walks every 10 ms. With the local connection the "node" and the controller share the
machine, so the remote temp dir (where module wrappers and their arguments land) is
watched as well: a key passed to any module, or copied through a temp file, is caught.
"""

import json
import os
import time

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from temp_watch import TempWatch
from tls_node import TlsNode


def _watched_env(root):
    env = {}
    for variable, name in (("ANSIBLE_LOCAL_TEMP", "local"), ("ANSIBLE_REMOTE_TEMP", "remote"), ("TMPDIR", "tmp")):
        path = os.path.join(str(root), name)
        os.makedirs(path, mode=0o700)
        env[variable] = path
    return env


@pytest.fixture
def node(tmp_path):
    started = TlsNode(tmp_path / "nodes").start()
    yield started
    started.stop()


def test_the_watch_catches_a_key_that_lives_a_tenth_of_a_second(tmp_path):
    """Positive control: the watch sees a key written into a brand-new subdirectory and gone 0.1 s later.

    A module's argument file lives at least as long as the module's Python takes to start (0.1 s
    and more). 1 ms was too short for the watch's thread on a busy 2-core machine: it missed files
    in CI (the other test worker beside it) and in 3 runs of 10 with three busy processes beside it;
    0.1 s passed 10 runs of 10 that way.
    """
    key = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption())
    root = tmp_path / "watched"
    root.mkdir()
    with TempWatch([root]) as watch:
        for index in range(4):
            directory = root / ("ansible-tmp-%d" % index)
            directory.mkdir()
            path = directory / "source"
            if index == 2:  # a key inside JSON module arguments
                path.write_text(json.dumps({"privatekey_content": key.decode()}))
            elif index == 3:  # ...as an AnsiballZ wrapper embeds them (escaped twice)
                path.write_text("params=%r" % json.dumps({"privatekey_content": key.decode()}))
            else:
                path.write_bytes(key)
            time.sleep(0.1)
            path.unlink()
            directory.rmdir()
            time.sleep(0.05)
    assert sorted(os.path.basename(os.path.dirname(p)) for p in watch.findings) == [
        "ansible-tmp-0", "ansible-tmp-1", "ansible-tmp-2", "ansible-tmp-3"]
    assert set(watch.findings.values()) == {"EC PRIVATE KEY"}


@pytest.mark.parametrize("mode", ["selfsigned", "ownca"])
def test_no_private_key_ever_lands_in_the_controllers_temp_dirs(node, tmp_path, mode):
    env = _watched_env(tmp_path / "watched")
    host_vars = {"call_api_tls_mode": mode}
    if mode == "ownca":
        host_vars.update(call_api_tls_ca_dir=str(tmp_path / "ca"), call_api_tls_ca_passphrase="functional-only-pass")
    factory_key = node.key_public_sha256()

    with TempWatch(sorted(env.values())) as watch:
        run = node.run_role(host_vars, env=env)

    assert run.rc == 0, run
    # The run really used the watched directories (module wrappers, copied content).
    assert watch.in_root(env["ANSIBLE_LOCAL_TEMP"]), "nothing was written to ANSIBLE_LOCAL_TEMP"
    assert watch.in_root(env["ANSIBLE_REMOTE_TEMP"]), "nothing was written to ANSIBLE_REMOTE_TEMP"
    assert watch.scans > 10
    assert watch.findings == {}, "private keys passed through the controller's temp dirs: %s" % watch.findings
    # ...and a new key was made: nginx serves a certificate for the key now on disk, mode 0600.
    assert node.key_public_sha256() != factory_key
    assert node.served_public_sha256() == node.key_public_sha256()
    assert oct(os.stat(node.key_path()).st_mode & 0o777) == "0o600"
    if mode == "ownca":
        with open(str(tmp_path / "ca" / "ca.key"), "rb") as handle:
            assert b"ENCRYPTED" in handle.read()
