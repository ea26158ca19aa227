# -*- coding: utf-8 -*-
# Copyright: ecss.callapi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""SSH client for the ECSS-10 CoCon console (port 8023).

One TCP connection per module run, ``TCP_NODELAY`` on (otherwise every small exec request
waits for a delayed ACK, ~40 ms per command), one exec channel per command.  Whether the
real console serves several exec channels on one connection is not confirmed, so in the
default ``auto`` mode the first time a second channel is needed the client asks a harmless
read (``/domain/list``) on it with a short timeout.  A channel that is refused, closed
without a word or left unanswered makes every connection of the run (they share one
:class:`CoconCapabilities`) stop using second channels.

After that fallback each connection carries its commands through one interactive console
session ([seen]: batch use of the interactive shell works), opened as the first channel of a
fresh connection: one login per connection instead of one per command.  Whether the console's
interactive session works is decided once per run (``interactive_shell``), by behaviour: a
prompt must come, and ``/domain/list`` sent through it must come back with a footer and the
next prompt, each within a short timeout (at least 5 s: see SHELL_PROBE_TIMEOUT_MIN).  A
session that is refused, closed, silent or answers without a footer makes the run go on with
one connection per command, as public scripts do, with a warning.

Which command may be sent again after a bad channel:
- refused, or closed before any byte and without an exit status while the connection stays
  up: the console never ran it (CoCon prints at least its footer for every command it runs),
  so it is sent again, through an interactive session or on a fresh connection;
- unanswered (hung): only ever the probe read above, whose answer nobody needs; any other
  command that is not answered within ``timeout`` fails the task and is never sent again,
  because it may still run;
- in an interactive session, only the probe read may be abandoned: a command written to a
  session whose answer and next prompt did not come back fails the task (it may have run);
  a session found closed before a command was written is opened again for it;
- a connection that drops in the middle of a command: the task fails naming the command.

``shell`` drives the interactive console from the start, without the test.  Failure markers
raise the typed errors of ``cocon_errors`` (selected in that one place); ``temporary locked``
is retried a bounded number of times with jitter.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import codecs
import fcntl
import hashlib
import logging
import os
import random
import re
import socket
import threading
import time
import traceback

try:
    import paramiko
except ImportError:
    paramiko = None
    PARAMIKO_IMPORT_ERROR = traceback.format_exc()
else:
    PARAMIKO_IMPORT_ERROR = None

from ansible_collections.ecss.callapi.plugins.module_utils.cocon_capabilities import CoconCapabilities
from ansible_collections.ecss.callapi.plugins.module_utils.cocon_errors import (
    CoconAuthError,
    CoconChannelError,
    CoconConnectionError,
    CoconError,
    CoconHostKeyError,
    CoconLockedError,
    CoconTimeoutError,
    error_for_answer,
)
from ansible_collections.ecss.callapi.plugins.module_utils.cocon_parsers import (
    normalize_newlines,
    parse_footer,
)

EXEC_MODES = ("auto", "channels", "connection_per_command", "shell")
HOST_KEY_POLICIES = ("strict", "accept-new")
# [seen] read-only and present on every release: asked on a second channel to test it.
CHANNEL_PROBE_COMMAND = "/domain/list"
# The shortest wait for a test's answer weighs what a wrong verdict costs. A second channel
# wrongly found unserved costs little (the run goes on through interactive sessions); a session
# wrongly found unusable costs one SSH login per command for the rest of the run, so a busy
# controller or a slow link must not decide it.
CHANNEL_PROBE_TIMEOUT_MIN = 1.0
SHELL_PROBE_TIMEOUT_MIN = 5.0
CHANNEL_PROBE_TIMEOUT_FACTOR = 5
TRANSPORT_THREAD_EXIT_WAIT = 5.0
SHELL_PTY = dict(term="dumb", width=4000, height=1000)
# paramiko logs a refused channel at ERROR level; with no handler Python would print it on stderr.
logging.getLogger("paramiko").addHandler(logging.NullHandler())
# The prompt differs between releases: "admin@ds1@ecss1:/$ ", "ssw@[mycelium@ecss3]:/#> ".
_PROMPT_RE = re.compile(r"(?:^|\n)[^\n]*@[^\n]*:[^\n]*(?:\$|#>|#) $")


class CoconResult(object):
    """What one command printed: ``raw`` (as received), ``output`` (LF only), ``body`` (footer removed), ``footer``."""

    def __init__(self, command, output):
        self.command = command
        self.raw = output
        self.output = normalize_newlines(output)
        self.body, self.footer = parse_footer(self.output)


def fingerprint_sha256(key):
    """OpenSSH-style ``SHA256:...`` fingerprint of a paramiko key."""
    digest = hashlib.sha256(key.asbytes()).digest()
    return "SHA256:" + base64.b64encode(digest).decode("ascii").rstrip("=")


def known_hosts_name(host, port):
    return host if int(port) == 22 else "[%s]:%d" % (host, int(port))


def close_transport(transport):
    """Close an SSH connection once paramiko's thread for it has let go of the socket.

    ``Transport.close()`` frees the socket's descriptor while that thread may still be about
    to read or write it.  With one connection per command, several at once, the number goes
    straight to a new connection, which then gets the old session's bytes (seen against the
    simulator: garbage read as the new connection's banner and the connection reset, about once
    in 5,000 connections opened 8 at a time on a busy machine).  Shut down first, the thread
    sees the end of the stream, stops and closes the socket itself.
    """
    try:
        transport.sock.shutdown(socket.SHUT_RDWR)
    except (OSError, socket.error):
        pass  # not connected (any more): nothing to wait for
    if transport.is_alive() and transport is not threading.current_thread():
        transport.join(TRANSPORT_THREAD_EXIT_WAIT)
    transport.close()


class _Watchdog(object):
    """Closes ``channel`` after ``timeout`` seconds: paramiko waits for the answer to a channel
    request (exec, pty, shell) without a timeout of its own, and a closed channel wakes it."""

    def __init__(self, channel, timeout):
        self.expired = False
        self._channel = channel
        self._timer = threading.Timer(timeout, self._expire)
        self._timer.daemon = True

    def _expire(self):
        self.expired = True
        try:
            self._channel.close()
        except (paramiko.SSHException, EOFError, OSError):
            pass  # the connection is gone already; the reader sees that

    def __enter__(self):
        self._timer.start()
        return self

    def __exit__(self, *exc_info):
        self._timer.cancel()


class CoconClient(object):
    """Run CoCon commands over SSH.  Use as a context manager; ``close()`` ends the session.

    Clients of one module run share ``capabilities`` (what the console was seen to do) and,
    through it, their warnings.
    """

    def __init__(self, host="127.0.0.1", port=8023, user="admin", password=None, timeout=30.0,
                 known_hosts="~/.ssh/known_hosts", host_key_policy="strict", exec_mode="auto",
                 locked_retries=5, locked_delay=(0.3, 1.5), capabilities=None):
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
        self.capabilities = capabilities if capabilities is not None else CoconCapabilities()
        self.commands_sent = 0
        self.connections_opened = 0
        self._transport = None
        self._channels_served = 0
        self._shell = None
        self._slowest_answer = 0.0
        self._trusted_key = None

    @property
    def warnings(self):
        """Warnings gathered so far by every client sharing these capabilities (not consumed)."""
        return self.capabilities.pending_warnings()

    # -- context manager -------------------------------------------------------------------
    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def close(self):
        self._close_shell(say_exit=True)
        self._drop_transport()

    def _close_shell(self, say_exit=False):
        shell, self._shell = self._shell, None
        if shell is None:
            return
        if say_exit:
            try:
                shell.sendall(b"exit\n")
            except Exception:  # the session may already be gone; closing is best effort
                pass
        shell.close()

    def _drop_transport(self):
        if self._transport is not None:
            close_transport(self._transport)
            self._transport = None
        self._channels_served = 0

    @property
    def uses_shell(self):
        """True when commands go through an interactive session (chosen, or after a fallback while it works)."""
        return self.exec_mode == "shell" or (
            self.exec_mode == "auto" and self.capabilities.exec_channels_per_connection == "one"
            and self.capabilities.interactive_shell is not False)

    @property
    def per_command(self):
        """True when every command goes on a connection of its own (chosen, or after both fallbacks)."""
        return self.exec_mode == "connection_per_command" or (
            self.exec_mode == "auto" and self.capabilities.exec_channels_per_connection == "one"
            and self.capabilities.interactive_shell is False)

    @property
    def mode_used(self):
        if self.uses_shell:
            return "shell"
        return "connection_per_command" if self.per_command else "channels"

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
            close_transport(transport)
            raise CoconAuthError("%s rejected the login of user %r (wrong user name or password)"
                                 % (self._where(), self.user), command)
        except CoconError:
            close_transport(transport)
            raise
        except (paramiko.SSHException, EOFError, OSError, socket.error) as exc:
            close_transport(transport)
            raise CoconConnectionError("SSH session to %s failed: %s" % (self._where(), exc or type(exc).__name__),
                                       command)
        self.connections_opened += 1
        return transport

    def _verify_host_key(self, key):
        if self._trusted_key is not None and self._trusted_key.asbytes() == key.asbytes():
            return  # checked against known_hosts on this client's first connection
        name = known_hosts_name(self.host, self.port)
        fingerprint = fingerprint_sha256(key)
        recorded = None
        if self.known_hosts and os.path.exists(self.known_hosts):
            host_keys = paramiko.HostKeys()
            host_keys.load(self.known_hosts)
            recorded = host_keys.lookup(name)
        if recorded:
            if recorded.get(key.get_name()) == key:
                self._trusted_key = key
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
        self._trusted_key = key
        self.capabilities.warn("recorded the new host key of %s (%s %s) in %s"
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
        """Log in now (checks the host key); with one connection per command, log in once and leave."""
        if self.uses_shell and not self._shell_alive():
            self._start_shell()
        if self.uses_shell:
            return self
        if not self.per_command:
            if self._transport is None or not self._transport.is_active():
                self._transport = self._open_transport()
                self._channels_served = 0
        elif not self.connections_opened:
            close_transport(self._open_transport())
        return self

    # -- running commands --------------------------------------------------------------------
    def run(self, command):
        """Run one command; return a :class:`CoconResult` or raise a :class:`CoconError`.

        ``temporary locked`` answers are retried up to ``locked_retries`` times.
        """
        attempt = 0
        while True:
            output = self._send(command)
            error = error_for_answer(command, output)
            if not isinstance(error, CoconLockedError):
                break
            attempt += 1
            if attempt > self.locked_retries:
                raise CoconLockedError(
                    "CoCon kept answering 'temporary locked' to %r after %d retries: %s"
                    % (command, self.locked_retries, error.words), command, output, error.words)
            low, high = self.locked_delay
            time.sleep(random.uniform(low, high) * min(attempt, 3))
        result = CoconResult(command, output)
        self.capabilities.saw_footer(result.footer)
        if error is not None:
            raise error
        return result

    def _send(self, command):
        if "\n" in command or "\r" in command:
            raise ValueError("a CoCon command must be a single line")
        self.commands_sent += 1
        if self.uses_shell or self.per_command:
            return self._send_without_channels(command)
        if self._transport is None:
            self._transport = self._open_transport(command)
            self._channels_served = 0
        elif not self._transport.is_active():
            raise CoconConnectionError("the connection to %s was dropped before %r" % (self._where(), command),
                                       command)
        if self._channels_served and self.exec_mode == "auto" \
                and self.capabilities.exec_channels_per_connection is None:
            self._probe_second_channel()
            if self.capabilities.exec_channels_per_connection == "one":
                return self._send_without_channels(command)
        try:
            output = self._exec(self._transport, command)
        except CoconChannelError as exc:
            if self.exec_mode != "auto":
                raise
            self._fall_back(exc.how)
            return self._send_without_channels(command)  # it never ran
        self._channels_served += 1
        return output

    def _send_without_channels(self, command):
        """Through this client's interactive session, or else on a connection of its own."""
        if self.uses_shell:
            return self._send_shell(command)
        self._drop_transport()  # left over from before a fallback
        return self._send_on_new_connection(command)

    def _probe_timeout(self, minimum):
        """Short, for a read nobody needs: at least ``minimum``, 5 times the slowest answer so far."""
        return min(self.timeout, max(minimum, CHANNEL_PROBE_TIMEOUT_FACTOR * self._slowest_answer))

    def _probe_second_channel(self):
        """Ask a harmless read on a second channel of this connection, with a short timeout."""
        with self.capabilities.channel_probe_lock:
            if self.capabilities.exec_channels_per_connection is not None:
                return
            timeout = self._probe_timeout(CHANNEL_PROBE_TIMEOUT_MIN)
            self.commands_sent += 1
            try:
                self._exec(self._transport, CHANNEL_PROBE_COMMAND, timeout)
            except CoconChannelError as exc:
                how = exc.how
            except CoconTimeoutError:
                how = "left a second exec channel unanswered for %.1fs" % timeout
            else:
                self._channels_served += 1
                self.capabilities.learn("exec_channels_per_connection", "many")
                return
            self._fall_back(how)

    def _fall_back(self, how):
        self.capabilities.learn(
            "exec_channels_per_connection", "one",
            "%s %s on a connection that had answered before; continued with one interactive console session per "
            "connection instead (cocon_capabilities from cocon_facts starts that way)" % (self._where(), how))
        self._drop_transport()

    def _exec(self, transport, command, timeout=None):
        """Run ``command`` on a new exec channel of ``transport``; return everything it printed."""
        timeout = timeout or self.timeout
        started = time.time()
        try:
            channel = transport.open_session(timeout=timeout)
        except paramiko.ChannelException as exc:
            raise CoconChannelError("%s refused an exec channel for %r: %s" % (self._where(), command, exc),
                                    command, how="refused a second exec channel")
        except (paramiko.SSHException, EOFError, OSError) as exc:
            if transport.is_active():
                raise CoconChannelError("%s did not open an exec channel for %r within %ss"
                                        % (self._where(), command, timeout), command,
                                        how="did not open a second exec channel within %ss" % timeout)
            raise CoconConnectionError("the connection to %s was dropped before %r: %s"
                                       % (self._where(), command, exc or type(exc).__name__), command)
        with channel:
            channel.settimeout(timeout)
            channel.set_combine_stderr(True)
            with _Watchdog(channel, timeout) as watchdog:
                try:
                    channel.exec_command(command)
                    output = self._read_until_closed(channel, started + timeout)
                except socket.timeout:
                    watchdog.expired = True
                except (paramiko.SSHException, EOFError, OSError) as exc:
                    if not watchdog.expired:
                        if transport.is_active():
                            raise CoconChannelError("%s closed the exec channel for %r without an answer"
                                                    % (self._where(), command), command,
                                                    how="closed a second exec channel without an answer")
                        raise CoconConnectionError("the connection to %s was dropped while running %r: %s"
                                                   % (self._where(), command, exc or type(exc).__name__), command)
                if watchdog.expired:
                    raise CoconTimeoutError("CoCon did not answer %r within %ss" % (command, timeout), command)
                # CoCon sends the exit status around the end of its output; wait for it (or the close).
                channel.status_event.wait(max(0.0, started + timeout - time.time()))
            answered = channel.exit_status_ready() and channel.exit_status != -1
            if not answered and parse_footer(output)[1] is None:
                if not transport.is_active():
                    raise CoconConnectionError("the connection to %s was dropped while running %r"
                                               % (self._where(), command), command, output)
                if not output:
                    raise CoconChannelError("%s closed the exec channel for %r without an answer"
                                            % (self._where(), command), command,
                                            how="closed a second exec channel without an answer")
                raise CoconConnectionError("%s stopped answering %r half-way (no footer, no exit status)"
                                           % (self._where(), command), command, output)
        self._slowest_answer = max(self._slowest_answer, time.time() - started)
        return output

    def _send_on_new_connection(self, command):
        transport = self._open_transport(command)
        try:
            return self._exec(transport, command)
        except CoconChannelError as exc:
            # The first channel of a fresh connection: not a question of several channels.
            raise CoconConnectionError(str(exc), command, exc.output)
        finally:
            close_transport(transport)

    @staticmethod
    def _read_until_closed(channel, deadline):
        chunks = []
        while True:
            if time.time() > deadline:
                raise socket.timeout()
            data = channel.recv(65536)
            if not data:
                break
            chunks.append(data)
        return b"".join(chunks).decode("utf-8", "replace")

    # -- interactive sessions ----------------------------------------------------------------
    def _shell_alive(self):
        shell = self._shell
        return shell is not None and not (shell.closed or shell.eof_received or shell.exit_status_ready()) \
            and self._transport is not None and self._transport.is_active()

    def _send_shell(self, command):
        if not self._shell_alive():
            # Nothing of this command was written yet: a session the console closed is opened again.
            self._start_shell(command)
            if not self.uses_shell:  # the console's interactive session failed the test
                return self._send_on_new_connection(command)
        started = time.time()
        try:
            answer = self._shell_exchange(command, self.timeout)
        except CoconError:
            self._close_shell()  # the answer may still come: this session is of no more use
            raise
        self._slowest_answer = max(self._slowest_answer, time.time() - started)
        return answer

    def _start_shell(self, command=None):
        """Open this client's interactive session as the first channel of a connection of its own.

        In ``auto`` mode the first client to need one tests it (see the module docstring); the
        others wait for the verdict, and start theirs without a test only if it worked.
        """
        self._close_shell()
        if self._transport is not None and (self._channels_served or not self._transport.is_active()):
            self._drop_transport()  # a used connection: a one-channel console would refuse the session
        if self.exec_mode == "auto" and self.capabilities.interactive_shell is None:
            with self.capabilities.shell_probe_lock:
                if self.capabilities.interactive_shell is None:
                    return self._probe_shell()
        if not self.uses_shell:
            return None
        if self._transport is None:
            self._transport = self._open_transport(command)
        try:
            self._open_shell(self.timeout)
        except paramiko.ChannelException as exc:
            raise CoconConnectionError("%s refused an interactive session: %s" % (self._where(), exc), command)
        except (paramiko.SSHException, EOFError, OSError) as exc:
            raise CoconConnectionError("cannot open an interactive session on %s: %s"
                                       % (self._where(), exc or type(exc).__name__), command)
        return None

    def _probe_shell(self):
        """Open this client's interactive session and ask the harmless read through it, with a short timeout."""
        timeout = self._probe_timeout(SHELL_PROBE_TIMEOUT_MIN)
        if self._transport is None:
            self._transport = self._open_transport()
        self.commands_sent += 1
        how = None
        try:
            self._open_shell(timeout)
            answer = self._shell_exchange(CHANNEL_PROBE_COMMAND, timeout)
        except paramiko.ChannelException:
            how = "refused an interactive session"
        except (CoconError, paramiko.SSHException, EOFError, OSError) as exc:
            how = "did not serve an interactive session (%s)" % (exc or type(exc).__name__)
        else:
            if parse_footer(normalize_newlines(answer))[1] is None:
                how = "answered %s in an interactive session without its footer" % CHANNEL_PROBE_COMMAND
        if how is None:
            self.capabilities.learn("interactive_shell", True)
            return
        self._close_shell()
        self._drop_transport()
        self.capabilities.learn(
            "interactive_shell", False,
            "%s %s; continued with one SSH connection per command (cocon_exec_mode=connection_per_command "
            "starts that way)" % (self._where(), how))

    def _open_shell(self, timeout):
        """An interactive session on this client's connection, read up to its first prompt."""
        self._shell = self._transport.open_session(timeout=timeout)
        self._channels_served += 1
        with _Watchdog(self._shell, timeout) as watchdog:
            try:
                self._shell.get_pty(**SHELL_PTY)
                self._shell.invoke_shell()
            except (paramiko.SSHException, EOFError, OSError):
                if watchdog.expired:
                    raise CoconTimeoutError("CoCon did not open an interactive session within %ss" % timeout)
                raise
        self._read_to_prompt(None, timeout)

    def _shell_exchange(self, command, timeout):
        """Write ``command`` to the session; return what it printed, without the echo and the next prompt."""
        try:
            self._shell.sendall((command + "\n").encode("utf-8"))
            text = self._read_to_prompt(command, timeout)
        except (paramiko.SSHException, EOFError, OSError) as exc:
            raise CoconConnectionError("the connection to %s was dropped while running %r: %s"
                                       % (self._where(), command, exc or type(exc).__name__), command)
        text = normalize_newlines(text)
        first_newline = text.find("\n")
        # The console echoes the command line first and prints the next prompt last.
        body = text[first_newline + 1:] if first_newline != -1 and command in text[:first_newline + 1] else text
        prompt = _PROMPT_RE.search(body)
        return body[:prompt.start()] if prompt else body

    def _read_to_prompt(self, command, timeout):
        deadline = time.time() + timeout
        waited_for = "answer %r" % command if command else "show its prompt"
        decoder = codecs.getincrementaldecoder("utf-8")("replace")
        buffer = ""
        while not _PROMPT_RE.search(buffer):
            left = deadline - time.time()
            if left <= 0:
                raise CoconTimeoutError("CoCon did not %s within %ss" % (waited_for, timeout), command)
            self._shell.settimeout(left)
            try:
                data = self._shell.recv(65536)
            except socket.timeout:
                raise CoconTimeoutError("CoCon did not %s within %ss" % (waited_for, timeout), command)
            if not data:
                raise CoconConnectionError("%s closed the interactive session before it did %s"
                                           % (self._where(), waited_for), command, buffer)
            buffer += decoder.decode(data)
        return buffer
