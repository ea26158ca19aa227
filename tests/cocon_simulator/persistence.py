"""Files the simulator keeps: state (JSON), host key, command log, ready file."""

import datetime
import json
import os
import tempfile

import paramiko
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519


def write_atomically(path, text, mode=0o600):
    """Temp file in the same directory + fsync + os.replace: readers never see half a file."""
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, temp_path = tempfile.mkstemp(prefix=".%s." % os.path.basename(path), dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            os.fchmod(handle.fileno(), mode)
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp_path, path)
    except BaseException:
        if os.path.exists(temp_path):
            os.unlink(temp_path)
        raise


def load_state(path, factory):
    """Parsed state file, or the factory state (written out at once) when it is missing."""
    if os.path.exists(path):
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    state = factory()
    save_state(path, state)
    return state


def save_state(path, state):
    # No indent: with it json uses its pure-Python encoder, five times slower on large states.
    write_atomically(path, json.dumps(state, sort_keys=True) + "\n")
    return file_stamp(path)


def file_stamp(path):
    """What changes whenever the file is rewritten (atomic writes always give a new inode)."""
    info = os.stat(path)
    return (info.st_ino, info.st_mtime_ns, info.st_size)


def load_or_create_host_key(path):
    """An ed25519 or RSA private key from ``path``; a new ed25519 one if the file is missing.

    Keeping the key on disk lets a known_hosts entry stay valid across restarts.
    """
    if not os.path.exists(path):
        key = ed25519.Ed25519PrivateKey.generate()
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.OpenSSH,
            serialization.NoEncryption(),
        ).decode()
        write_atomically(path, pem)
    return paramiko.PKey.from_path(path)


def known_hosts_line(host, port, key):
    name = host if port == 22 else "[%s]:%d" % (host, port)
    return "%s %s %s\n" % (name, key.get_name(), key.get_base64())


class CommandLog:
    """One JSON line per command received; append-only so a crash loses nothing before it."""

    def __init__(self, path):
        self.path = path
        if path:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            os.close(fd)

    def record(self, conn, mode, command, outcome):
        if not self.path:
            return
        entry = {
            "ts": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds"),
            "conn": conn,
            "mode": mode,
            "command": command,
            "outcome": outcome,
        }
        with open(self.path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(entry, ensure_ascii=False) + "\n")
            handle.flush()
