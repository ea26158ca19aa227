# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the client does when a second exec channel is refused, closed unanswered or left hung.

The SSH transport is faked (the functional tests run the same cases over real SSH against the
simulator's one_channel_* dialects); the client's decisions are the real ones.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

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


class FakeChannel(object):
    def __init__(self, transport, behaviour):
        self.transport = transport
        self.behaviour = behaviour
        self.status_event = threading.Event()
        self.exit_status = -1
        self._closed = threading.Event()
        self._output = []

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
        return self._output.pop(0) if self._output else b""

    def exit_status_ready(self):
        return self.status_event.is_set()

    def close(self):
        self._closed.set()
        self.status_event.set()


class FakeSocket(object):
    def shutdown(self, how):
        pass


class FakeTransport(object):
    """``channels``: what each channel opened on this connection does, in order (the rest answer)."""

    def __init__(self, channels):
        self.channels = list(channels)
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
    """Hands out fake connections; ``later``: what the second and later channels of each do."""

    def __init__(self, later="answer"):
        self.later = later
        self.transports = []

    def open(self):
        transport = FakeTransport(["answer"] + [self.later] * 20)
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


def test_a_second_channel_that_answers_keeps_one_connection():
    console = Console()
    client = client_for(console)
    for command in ("/api/csta/info", "/api/csta/set enabled true", "/api/csta/info"):
        assert client.run(command).body == command + " done"
    assert len(console.transports) == 1 and client.capabilities.exec_channels_per_connection == "many"
    # The probe is a read, asked once before the first second channel.
    assert console.executed() == ["/api/csta/info", "/domain/list", "/api/csta/set enabled true", "/api/csta/info"]


@pytest.mark.parametrize("later, how", [
    ("refuse", "refused a second exec channel"),
    ("close", "closed a second exec channel without an answer"),
    ("hang", "left a second exec channel unanswered"),
])
def test_a_bad_second_channel_means_one_connection_per_command(later, how):
    console = Console(later)
    client = client_for(console)
    results = [client.run(c).body for c in ("/api/csta/info", "/api/csta/set enabled true", "/api/csta/info")]
    assert results == ["/api/csta/info done", "/api/csta/set enabled true done", "/api/csta/info done"]
    assert client.capabilities.exec_channels_per_connection == "one" and client.mode_used == "connection_per_command"
    warnings = client.capabilities.take_warnings()
    assert len(warnings) == 1 and how in warnings[0]
    # The write never met the bad channel: the harmless probe did. Each command ran exactly once.
    executed = console.executed()
    assert executed.count("/api/csta/set enabled true") == 1
    assert [t.executed for t in console.transports[1:]] == [["/api/csta/set enabled true"], ["/api/csta/info"]]


@pytest.mark.parametrize("later", ["refuse", "close"])
def test_a_command_that_meets_a_refused_or_closed_channel_later_is_sent_again(later):
    console = Console()
    client = client_for(console)
    client.run("/domain/list")
    client.run("/domain/list")
    assert client.capabilities.exec_channels_per_connection == "many"
    console.transports[0].channels = [later]
    assert client.run("/domain/biysk.local/integrations/add amocrm").body.endswith("done")
    # It never ran on the bad channel (refused before, or closed without a byte), so it ran once, on a new connection.
    assert [t.executed for t in console.transports[1:]] == [["/domain/biysk.local/integrations/add amocrm"]]
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


def test_handed_capabilities_skip_the_test():
    capabilities = CoconCapabilities.from_option({"exec_channels_per_connection": "one"})
    console = Console()
    client = client_for(console, capabilities=capabilities)
    client.run("/api/csta/info")
    client.run("/api/csta/set enabled true")
    assert console.executed() == ["/api/csta/info", "/api/csta/set enabled true"] and len(console.transports) == 2


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
