# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the client does when a second exec channel is refused, closed unanswered or left hung,
and how it then carries commands through an interactive session (or, failing that, a connection each).

The SSH transport is faked (the functional tests run the same cases over real SSH against the
simulator's one_channel_* dialects); the client's decisions are the real ones.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import socket
import threading

import paramiko
import pytest

from ansible_collections.ecss.callapi.plugins.module_utils import cocon_client
from ansible_collections.ecss.callapi.plugins.module_utils.cocon_capabilities import CoconCapabilities
from ansible_collections.ecss.callapi.plugins.module_utils.cocon_client import CoconClient
from ansible_collections.ecss.callapi.plugins.module_utils.cocon_errors import (
    CoconConnectionError,
    CoconTimeoutError,
)

FOOTER = "\n[exec at: 16.02.2021 15:20:33, exec time: 25ms, nodes: ds1@ecss1 v.3.14.7.585]\n"
PROMPT = "admin@ds1@ecss1:/$ "


class FakeChannel(object):
    def __init__(self, transport, behaviour):
        self.transport = transport
        self.behaviour = behaviour
        self.status_event = threading.Event()
        self.exit_status = -1
        self._closed = threading.Event()
        self._output = []
        self.closed = False
        self.eof_received = False
        self.shell = False

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def settimeout(self, timeout):
        self.timeout = timeout

    def set_combine_stderr(self, combine):
        pass

    def exec_command(self, command):
        self.transport.executed.append(command)
        if self.behaviour == "hang":
            self._closed.wait()
            raise paramiko.SSHException("Channel closed.")
        if self.behaviour == "close":
            self.status_event.set()
            return
        self._output = [(command + " done" + FOOTER).encode("utf-8")]
        self.exit_status = 0
        self.status_event.set()

    def recv(self, size):
        if self._output:
            return self._output.pop(0)
        if self.shell and not self.closed:
            self._closed.wait(self.timeout)  # a session that says nothing
            raise socket.timeout()
        return b""

    # -- interactive session: ``transport.shell`` is what it does (serve, refuse, silent, no_footer)
    def get_pty(self, **pty):
        pass

    def invoke_shell(self):
        if self.transport.shell == "refuse":
            raise paramiko.SSHException("Channel closed.")
        self.shell = True
        if self.transport.shell != "silent":
            self._output.append(PROMPT.encode("utf-8"))

    def sendall(self, data):
        for command in data.decode("utf-8").splitlines():
            if command == "exit" or self.transport.shell == "silent":
                continue
            self.transport.executed.append(command)
            answer = command + " done" + ("\n" if self.transport.shell == "no_footer" else FOOTER)
            self._output.append((command + "\r\n" + answer.replace("\n", "\r\n") + PROMPT).encode("utf-8"))

    def exit_status_ready(self):
        return self.status_event.is_set()

    def close(self):
        self.closed = True
        self._closed.set()
        self.status_event.set()


class FakeSocket(object):
    def shutdown(self, how):
        pass


class FakeTransport(object):
    """``channels``: what each channel opened on this connection does, in order (the rest answer)."""

    def __init__(self, channels, shell="serve"):
        self.channels = list(channels)
        self.shell = shell
        self.executed = []
        self.active = True
        self.sock = FakeSocket()

    def is_active(self):
        return self.active

    def is_alive(self):
        return False  # no thread of its own

    def open_session(self, timeout=None):
        behaviour = self.channels.pop(0) if self.channels else "answer"
        if behaviour == "refuse":
            raise paramiko.ChannelException(1, "Administratively prohibited")
        return FakeChannel(self, behaviour)

    def close(self):
        self.active = False


class Console(object):
    """Hands out fake connections; ``later``: what the second and later channels of each do;
    ``shell``: what an interactive session does."""

    def __init__(self, later="answer", shell="serve"):
        self.later = later
        self.shell = shell
        self.transports = []

    def open(self):
        transport = FakeTransport(["answer"] + [self.later] * 20, self.shell)
        self.transports.append(transport)
        return transport

    def executed(self):
        return [command for transport in self.transports for command in transport.executed]


def client_for(console, **options):
    options.setdefault("timeout", 5)
    client = CoconClient(password="x", known_hosts=None, **options)
    client._open_transport = lambda command=None: console.open()
    return client


@pytest.fixture(autouse=True)
def short_probe(monkeypatch):
    monkeypatch.setattr(cocon_client, "CHANNEL_PROBE_TIMEOUT_MIN", 0.3)
    monkeypatch.setattr(cocon_client, "SHELL_PROBE_TIMEOUT_MIN", 0.3)


def test_a_second_channel_that_answers_keeps_one_connection():
    console = Console()
    client = client_for(console)
    for command in ("/api/csta/info", "/api/csta/set enabled true", "/api/csta/info"):
        assert client.run(command).body == command + " done"
    assert len(console.transports) == 1 and client.capabilities.exec_channels_per_connection == "many"
    # The probe is a read, asked once before the first second channel.
    assert console.executed() == ["/api/csta/info", "/domain/list", "/api/csta/set enabled true", "/api/csta/info"]


BAD_SECOND_CHANNELS = [
    ("refuse", "refused a second exec channel"),
    ("close", "closed a second exec channel without an answer"),
    ("hang", "left a second exec channel unanswered"),
]


@pytest.mark.parametrize("later, how", BAD_SECOND_CHANNELS)
def test_a_bad_second_channel_means_one_interactive_session_per_connection(later, how):
    console = Console(later)
    client = client_for(console)
    results = [client.run(c).body for c in ("/api/csta/info", "/api/csta/set enabled true", "/api/csta/info")]
    assert results == ["/api/csta/info done", "/api/csta/set enabled true done", "/api/csta/info done"]
    assert client.capabilities.exec_channels_per_connection == "one" and client.mode_used == "shell"
    assert client.capabilities.interactive_shell is True
    warnings = client.capabilities.take_warnings()
    assert len(warnings) == 1 and how in warnings[0] and "interactive console session" in warnings[0]
    # A fresh connection whose first channel is the session: the harmless read tests it, then the rest go through it.
    assert len(console.transports) == 2
    assert console.transports[1].executed == ["/domain/list", "/api/csta/set enabled true", "/api/csta/info"]
    client.close()
    assert console.transports[1].active is False


@pytest.mark.parametrize("shell, words", [
    ("refuse", "did not serve an interactive session (Channel closed.)"),
    ("silent", "did not serve an interactive session (CoCon did not show its prompt within 0.3s)"),
    ("no_footer", "answered /domain/list in an interactive session without its footer"),
])
@pytest.mark.parametrize("later, how", BAD_SECOND_CHANNELS)
def test_without_a_working_interactive_session_one_connection_per_command(later, how, shell, words):
    console = Console(later, shell)
    client = client_for(console)
    results = [client.run(c).body for c in ("/api/csta/info", "/api/csta/set enabled true", "/api/csta/info")]
    assert results == ["/api/csta/info done", "/api/csta/set enabled true done", "/api/csta/info done"]
    assert client.capabilities.exec_channels_per_connection == "one" and client.mode_used == "connection_per_command"
    assert client.capabilities.interactive_shell is False
    warnings = client.capabilities.take_warnings()
    assert len(warnings) == 2 and how in warnings[0] and words in warnings[1], warnings
    assert "one SSH connection per command" in warnings[1]
    # The write never met the bad channel nor the session: the harmless probe did. Each command ran exactly once.
    executed = console.executed()
    assert executed.count("/api/csta/set enabled true") == 1
    assert console.transports[1].executed == (["/domain/list"] if shell == "no_footer" else [])
    assert [t.executed for t in console.transports[2:]] == [["/api/csta/set enabled true"], ["/api/csta/info"]]
    assert not any(t.active for t in console.transports)


@pytest.mark.parametrize("later", ["refuse", "close"])
def test_a_command_that_meets_a_refused_or_closed_channel_later_is_sent_again(later):
    console = Console()
    client = client_for(console)
    client.run("/domain/list")
    client.run("/domain/list")
    assert client.capabilities.exec_channels_per_connection == "many"
    console.transports[0].channels = [later]
    assert client.run("/domain/biysk.local/integrations/add amocrm").body.endswith("done")
    # It never ran on the bad channel (refused before, or closed without a byte), so it ran once, on a new
    # connection's interactive session, after the harmless read that tested it.
    assert [t.executed for t in console.transports[1:]] == [["/domain/list", "/domain/biysk.local/integrations/add amocrm"]]
    assert client.capabilities.exec_channels_per_connection == "one"


def test_a_command_left_unanswered_is_never_sent_again():
    console = Console()
    client = client_for(console, timeout=0.3)
    client.run("/domain/list")
    client.run("/domain/list")
    console.transports[0].channels = ["hang"]
    with pytest.raises(CoconTimeoutError):
        client.run("/domain/biysk.local/integrations/add amocrm")
    assert console.executed().count("/domain/biysk.local/integrations/add amocrm") == 1


@pytest.mark.parametrize("shell, connections", [(True, 1), (False, 2)])
def test_handed_capabilities_skip_the_tests(shell, connections):
    capabilities = CoconCapabilities.from_option({"exec_channels_per_connection": "one", "interactive_shell": shell})
    console = Console()
    client = client_for(console, capabilities=capabilities)
    client.run("/api/csta/info")
    client.run("/api/csta/set enabled true")
    assert console.executed() == ["/api/csta/info", "/api/csta/set enabled true"]
    assert len(console.transports) == connections and capabilities.take_warnings() == []


def test_a_command_whose_session_answer_does_not_come_is_never_sent_again():
    capabilities = CoconCapabilities.from_option({"exec_channels_per_connection": "one", "interactive_shell": True})
    console = Console()
    client = client_for(console, capabilities=capabilities, timeout=0.3)
    client.run("/domain/list")
    console.transports[0].shell = "silent"
    with pytest.raises(CoconTimeoutError):
        client.run("/domain/biysk.local/integrations/add amocrm")
    console.shell = "serve"
    client.run("/domain/list")
    # Written once to the first session (which said nothing); the next command went to a new session.
    assert console.executed() == ["/domain/list", "/domain/list"] and len(console.transports) == 2


def test_a_session_the_console_closed_between_commands_is_opened_again():
    capabilities = CoconCapabilities.from_option({"exec_channels_per_connection": "one", "interactive_shell": True})
    console = Console()
    client = client_for(console, capabilities=capabilities)
    client.run("/domain/list")
    client._shell.eof_received = True
    client.run("/api/csta/set enabled true")
    assert [t.executed for t in console.transports] == [["/domain/list"], ["/api/csta/set enabled true"]]
    assert console.transports[0].active is False


def test_channels_mode_has_no_fallback():
    console = Console("refuse")
    client = client_for(console, exec_mode="channels")
    client.run("/domain/list")
    with pytest.raises(CoconConnectionError):
        client.run("/domain/list")
    assert client.capabilities.exec_channels_per_connection is None


def test_the_first_channel_of_a_fresh_connection_closing_is_a_connection_error():
    console = Console()
    console.open = lambda: console.transports.append(FakeTransport(["close"])) or console.transports[-1]
    client = client_for(console, exec_mode="connection_per_command")
    with pytest.raises(CoconConnectionError) as error:
        client.run("/domain/list")
    assert "without an answer" in str(error.value) and len(console.transports) == 1


def test_the_session_test_waits_longer_than_the_channel_test(monkeypatch):
    # The module's own minimums, not the short ones of the tests above.
    monkeypatch.undo()
    client = CoconClient(password="x", known_hosts=None, timeout=30)
    minimums = (cocon_client.CHANNEL_PROBE_TIMEOUT_MIN, cocon_client.SHELL_PROBE_TIMEOUT_MIN)
    assert [client._probe_timeout(minimum) for minimum in minimums] == [1.0, 5.0]
    client._slowest_answer = 2.0  # a slow console: 5 times its slowest answer, for both tests
    assert [client._probe_timeout(minimum) for minimum in minimums] == [10.0, 10.0]
    client._slowest_answer = 10.0  # never longer than cocon_timeout
    assert [client._probe_timeout(minimum) for minimum in minimums] == [30, 30]
