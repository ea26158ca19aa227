# -*- coding: utf-8 -*-
# Copyright: ecss.callapi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""SSH client for the ECSS-10 CoCon console (port 8023).

One TCP connection per module run, ``TCP_NODELAY`` on (otherwise every small exec request
waits for a delayed ACK, ~40 ms per command), one exec channel per command.  Whether the
real console accepts several exec channels on one connection is not confirmed, so in the
default ``auto`` mode a refused second channel switches the client to one connection per
command (what public scripts do, and confirmed to work); ``shell`` drives the interactive
console instead.  Failure markers raise :class:`CoconCommandError` with the command and
CoCon's own words; ``temporary locked`` is retried a bounded number of times with jitter.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import fcntl
import hashlib
import os
import random
import re
import socket
import time
import traceback

try:
    import paramiko
except ImportError:
    paramiko = None
    PARAMIKO_IMPORT_ERROR = traceback.format_exc()
else:
    PARAMIKO_IMPORT_ERROR = None

from ansible_collections.ecss.callapi.plugins.module_utils.cocon_parsers import (
    find_failure,
    is_locked,
    normalize_newlines,
    parse_footer,
)

EXEC_MODES = ("auto", "channels", "connection_per_command", "shell")
HOST_KEY_POLICIES = ("strict", "accept-new")
# The prompt differs between releases: "admin@ds1@ecss1:/$ ", "ssw@[mycelium@ecss3]:/#> ".
_PROMPT_RE = re.compile(r"(?:^|\n)[^\n]*@[^\n]*:[^\n]*(?:\$|#>|#) $")


class CoconError(Exception):
    """Any failure talking to CoCon.  ``command`` is the command being run, if any."""

    def __init__(self, message, command=None, output=None):
        super(CoconError, self).__init__(message)
        self.command = command
        self.output = output


class CoconConnectionError(CoconError):
    """Refused, unreachable or dropped connection."""


class CoconAuthError(CoconError):
    """The console rejected the user name or password."""


class CoconHostKeyError(CoconError):
    """The console's host key is unknown (strict policy) or differs from the recorded one."""


class CoconTimeoutError(CoconError):
    """CoCon did not answer within the timeout."""


class CoconCommandError(CoconError):
    """CoCon answered with a failure marker."""


class CoconLockedError(CoconCommandError):
    """The configuration stayed ``temporary locked`` through every retry."""


class CoconResult(object):
    """What one command printed: ``output`` (raw, LF only), ``body`` (footer removed), ``footer``."""

    def __init__(self, command, output):
        self.command = command
        self.output = normalize_newlines(output)
        self.body, self.footer = parse_footer(self.output)


def fingerprint_sha256(key):
    """OpenSSH-style ``SHA256:...`` fingerprint of a paramiko key."""
    digest = hashlib.sha256(key.asbytes()).digest()
    return "SHA256:" + base64.b64encode(digest).decode("ascii").rstrip("=")


def known_hosts_name(host, port):
    return host if int(port) == 22 else "[%s]:%d" % (host, int(port))


class CoconClient(object):
    """Run CoCon commands over SSH.  Use as a context manager; ``close()`` ends the session."""

    def __init__(self, host="127.0.0.1", port=8023, user="admin", password=None, timeout=30.0,
                 known_hosts="~/.ssh/known_hosts", host_key_policy="strict", exec_mode="auto",
                 locked_retries=5, locked_delay=(0.3, 1.5)):
        if paramiko is None:
            raise ImportError("paramiko is required to talk to CoCon")
        if exec_mode not in EXEC_MODES:
            raise ValueError("exec_mode must be one of %s" % ", ".join(EXEC_MODES))
        if host_key_policy not in HOST_KEY_POLICIES:
            raise ValueError("host_key_policy must be one of %s" % ", ".join(HOST_KEY_POLICIES))
        self.host = host
        self.port = int(port)
        self.user = user
        self._password = password
        self.timeout = float(timeout)
        self.known_hosts = os.path.expanduser(known_hosts) if known_hosts else None
        self.host_key_policy = host_key_policy
        self.exec_mode = exec_mode
        self.locked_retries = int(locked_retries)
        self.locked_delay = locked_delay
        self.warnings = []
        self.commands_sent = 0
        self.connections_opened = 0
        self._transport = None
        self._shell = None
        self._channels_refused = exec_mode == "connection_per_command"

    # -- context manager -------------------------------------------------------------------
    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def close(self):
        if self._shell is not None:
            try:
                self._shell.send("exit\n")
            except Exception:  # the session may already be gone; closing is best effort
                pass
            self._shell.close()
            self._shell = None
        if self._transport is not None:
            self._transport.close()
            self._transport = None

    @property
    def mode_used(self):
        if self.exec_mode == "shell":
            return "shell"
        return "connection_per_command" if self._channels_refused else "channels"

    # -- connecting ------------------------------------------------------------------------
    def _where(self):
        return "CoCon at %s:%d" % (self.host, self.port)

    def _open_transport(self, command=None):
        try:
            sock = socket.create_connection((self.host, self.port), timeout=self.timeout)
        except socket.timeout:
            raise CoconTimeoutError("%s did not accept a connection within %ss" % (self._where(), self.timeout),
                                    command)
        except (OSError, socket.error) as exc:
            raise CoconConnectionError("cannot connect to %s: %s" % (self._where(), exc.strerror or exc), command)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        transport = paramiko.Transport(sock)
        try:
            transport.start_client(timeout=self.timeout)
            self._verify_host_key(transport.get_remote_server_key())
            transport.auth_password(self.user, self._password or "")
        except paramiko.AuthenticationException:
            transport.close()
            raise CoconAuthError("%s rejected the login of user %r (wrong user name or password)"
                                 % (self._where(), self.user), command)
        except CoconError:
            transport.close()
            raise
        except (paramiko.SSHException, EOFError, OSError, socket.error) as exc:
            transport.close()
            raise CoconConnectionError("SSH session to %s failed: %s" % (self._where(), exc or type(exc).__name__),
                                       command)
        self.connections_opened += 1
        return transport

    def _verify_host_key(self, key):
        name = known_hosts_name(self.host, self.port)
        fingerprint = fingerprint_sha256(key)
        recorded = None
        if self.known_hosts and os.path.exists(self.known_hosts):
            host_keys = paramiko.HostKeys()
            host_keys.load(self.known_hosts)
            recorded = host_keys.lookup(name)
        if recorded:
            if recorded.get(key.get_name()) == key:
                return
            raise CoconHostKeyError(
                "the host key of %s has CHANGED (it now offers %s %s, which differs from the key recorded in %s). "
                "If the console was reinstalled, remove the old entry for %s and connect again; "
                "otherwise someone may be intercepting the connection."
                % (self._where(), key.get_name(), fingerprint, self.known_hosts, name))
        if self.host_key_policy != "accept-new":
            raise CoconHostKeyError(
                "the host key of %s (%s %s) is not in %s. Verify the fingerprint and add it "
                "(ssh-keyscan -p %d %s >> %s), or set cocon_host_key_policy=accept-new to record it on first use."
                % (self._where(), key.get_name(), fingerprint, self.known_hosts or "any known_hosts file",
                   self.port, self.host, self.known_hosts))
        self._record_host_key(name, key)
        self.warnings.append("recorded the new host key of %s (%s %s) in %s"
                             % (self._where(), key.get_name(), fingerprint, self.known_hosts))

    def _record_host_key(self, name, key):
        if not self.known_hosts:
            raise CoconHostKeyError("cocon_host_key_policy=accept-new needs a cocon_known_hosts file to record into")
        directory = os.path.dirname(self.known_hosts)
        if directory and not os.path.isdir(directory):
            os.makedirs(directory, 0o700)
        fd = os.open(self.known_hosts, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        with os.fdopen(fd, "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            handle.write("%s %s %s\n" % (name, key.get_name(), key.get_base64()))

    def connect(self):
        if self._transport is None or not self._transport.is_active():
            self._transport = self._open_transport()
        return self

    # -- running commands --------------------------------------------------------------------
    def run(self, command):
        """Run one command; return a :class:`CoconResult` or raise a :class:`CoconError`.

        ``temporary locked`` answers are retried up to ``locked_retries`` times.
        """
        attempt = 0
        while True:
            output = self._send(command)
            if not is_locked(output):
                break
            attempt += 1
            if attempt > self.locked_retries:
                raise CoconLockedError(
                    "CoCon kept answering 'temporary locked' to %r after %d retries: %s"
                    % (command, self.locked_retries, find_failure(output) or output.strip()), command, output)
            low, high = self.locked_delay
            time.sleep(random.uniform(low, high) * min(attempt, 3))
        failure = find_failure(output)
        if failure:
            raise CoconCommandError("CoCon refused %r: %s" % (command, failure), command, output)
        return CoconResult(command, output)

    def _send(self, command):
        if "\n" in command or "\r" in command:
            raise ValueError("a CoCon command must be a single line")
        self.commands_sent += 1
        if self.exec_mode == "shell":
            return self._send_shell(command)
        if self._channels_refused:
            return self._send_on_new_connection(command)
        if self._transport is None or not self._transport.is_active():
            if self._transport is not None:
                raise CoconConnectionError("the connection to %s was dropped before %r" % (self._where(), command),
                                           command)
            self._transport = self._open_transport(command)
        return self._exec(self._transport, command, may_refuse=self.exec_mode == "auto")

    def _exec(self, transport, command, may_refuse=False):
        try:
            channel = transport.open_session(timeout=self.timeout)
        except paramiko.ChannelException as exc:
            if not may_refuse:
                raise CoconConnectionError("%s refused a session channel for %r: %s" % (self._where(), command, exc),
                                           command)
            self._channels_refused = True
            self.warnings.append("%s refused a second exec channel on one connection; "
                                 "continued with one connection per command" % self._where())
            transport.close()
            self._transport = None
            return self._send_on_new_connection(command)
        except (paramiko.SSHException, EOFError, OSError) as exc:
            raise CoconConnectionError("the connection to %s was dropped before %r: %s"
                                       % (self._where(), command, exc or type(exc).__name__), command)
        with channel:
            channel.settimeout(self.timeout)
            channel.set_combine_stderr(True)
            try:
                channel.exec_command(command)
                output = self._read_until_closed(channel, command)
            except socket.timeout:
                raise CoconTimeoutError("CoCon did not answer %r within %ss" % (command, self.timeout), command)
            except (paramiko.SSHException, EOFError, OSError) as exc:
                raise CoconConnectionError("the connection to %s was dropped while running %r: %s"
                                           % (self._where(), command, exc or type(exc).__name__), command)
            # Every CoCon answer ends with its footer; no footer and no exit status means the
            # connection went away mid-command (paramiko reports -1 then).
            if channel.exit_status == -1 and parse_footer(output)[1] is None:
                raise CoconConnectionError("the connection to %s was dropped while running %r"
                                           % (self._where(), command), command, output)
        return output

    def _send_on_new_connection(self, command):
        transport = self._open_transport(command)
        try:
            return self._exec(transport, command)
        finally:
            transport.close()

    def _read_until_closed(self, channel, command):
        deadline = time.time() + self.timeout
        chunks = []
        while True:
            if time.time() > deadline:
                raise socket.timeout()
            data = channel.recv(65536)
            if not data:
                break
            chunks.append(data)
        return b"".join(chunks).decode("utf-8", "replace")

    # -- interactive shell mode ----------------------------------------------------------------
    def _send_shell(self, command):
        if self._shell is None:
            if self._transport is None:
                self._transport = self._open_transport(command)
            try:
                self._shell = self._transport.open_session(timeout=self.timeout)
                self._shell.settimeout(self.timeout)
                self._shell.get_pty(term="dumb", width=4000, height=1000)
                self._shell.invoke_shell()
                self._read_to_prompt(command)
            except (paramiko.SSHException, EOFError, OSError) as exc:
                raise CoconConnectionError("cannot open an interactive session on %s: %s"
                                           % (self._where(), exc or type(exc).__name__), command)
        try:
            self._shell.send(command + "\n")
            text = self._read_to_prompt(command)
        except (paramiko.SSHException, EOFError, OSError) as exc:
            raise CoconConnectionError("the connection to %s was dropped while running %r: %s"
                                       % (self._where(), command, exc or type(exc).__name__), command)
        text = normalize_newlines(text)
        first_newline = text.find("\n")
        # The console echoes the command line first and prints the next prompt last.
        body = text[first_newline + 1:] if first_newline != -1 and command in text[:first_newline + 1] else text
        prompt = _PROMPT_RE.search(body)
        return body[:prompt.start()] if prompt else body

    def _read_to_prompt(self, command):
        deadline = time.time() + self.timeout
        buffer = ""
        while not _PROMPT_RE.search(buffer):
            if time.time() > deadline:
                raise CoconTimeoutError("CoCon did not answer %r within %ss" % (command, self.timeout), command)
            try:
                data = self._shell.recv(65536)
            except socket.timeout:
                raise CoconTimeoutError("CoCon did not answer %r within %ss" % (command, self.timeout), command)
            if not data:
                raise CoconConnectionError("the connection to %s was dropped while running %r"
                                           % (self._where(), command), command, buffer)
            buffer += data.decode("utf-8", "replace")
        return buffer
