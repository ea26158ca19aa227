# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The connection pool: how many connections it plans, re-planning after a fallback, stopping."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import threading
import time

import pytest

from ansible_collections.ecss.callapi.plugins.module_utils.cocon_capabilities import CoconCapabilities
from ansible_collections.ecss.callapi.plugins.module_utils.cocon_errors import (
    CoconCommandError,
    CoconConnectionError,
    CoconLockedError,
)
from ansible_collections.ecss.callapi.plugins.module_utils.cocon_pool import CoconPool


class Counter(object):
    def __init__(self):
        self.lock = threading.Lock()
        self.busy = 0
        self.most = 0
        self.clients = 0


class FakeClient(object):
    """Answers ``command`` with itself after ``delay``; ``faults`` maps a command to the error it raises."""

    def __init__(self, capabilities, counter, delay=0.002, faults=None, connect_error=None, logged_in=True):
        self.capabilities = capabilities
        self.counter = counter
        self.delay = delay
        self.faults = faults or {}
        self.connect_error = connect_error
        self.connections_opened = 1 if logged_in else 0
        self.ran = []
        self.closed = False

    @property
    def per_command(self):
        return self.capabilities.exec_channels_per_connection == "one"

    def connect(self):
        if self.connect_error:
            raise self.connect_error
        self.connections_opened += 1

    def close(self):
        self.closed = True

    def run(self, command):
        with self.counter.lock:
            self.counter.busy += 1
            self.counter.most = max(self.counter.most, self.counter.busy)
        try:
            time.sleep(self.delay)
            self.connections_opened = self.connections_opened or 1
            self.ran.append(command)
            fault = self.faults.get(command)
            if callable(fault):
                return fault()
            if fault is not None:
                raise fault
            return "answer to " + command
        finally:
            with self.counter.lock:
                self.counter.busy -= 1


def make_pool(size, capabilities=None, **client_options):
    capabilities = capabilities or CoconCapabilities()
    counter = Counter()
    extra_options = dict(client_options, logged_in=True)
    made = []

    def factory():
        client = FakeClient(capabilities, counter, **extra_options)
        made.append(client)
        return client

    main = FakeClient(capabilities, counter, **client_options)
    return CoconPool(main, factory, size), main, made, counter


def test_a_small_run_stays_on_one_connection_in_order():
    pool, main, made, _counter = make_pool(8)
    commands = ["c%d" % n for n in range(20)]
    assert pool.run(commands) == ["answer to " + c for c in commands]
    assert main.ran == commands and made == []


def test_a_long_run_spreads_over_the_pool_and_answers_stay_in_place():
    pool, main, made, counter = make_pool(4, delay=0.004)
    commands = ["c%d" % n for n in range(400)]
    sent = []
    assert pool.run(commands, on_send=lambda index, command: sent.append(index)) == ["answer to " + c for c in commands]
    assert len(made) == 3 and counter.most == 4 and sorted(sent) == list(range(400))
    assert sorted(main.ran + [c for client in made for c in client.ran]) == sorted(commands)
    # A second run reuses the connections the first one logged in.
    pool.run(commands[:200])
    assert len(made) == 3
    pool.close()
    assert all(client.closed for client in made)


def test_one_command_per_connection_gets_a_worker_per_pending_command():
    capabilities = CoconCapabilities()
    capabilities.learn("exec_channels_per_connection", "one")
    pool, _main, made, counter = make_pool(6, capabilities, delay=0.01)
    pool.run(["c%d" % n for n in range(30)])
    assert len(made) == 5 and counter.most == 6


def test_the_rest_is_replanned_after_a_fallback():
    capabilities = CoconCapabilities()

    def fall_back():
        capabilities.learn("exec_channels_per_connection", "one", "fell back")
        return "answer"

    # 30 commands on channels deserve one connection; after the fallback, six.
    pool, _main, made, counter = make_pool(6, capabilities, delay=0.01, faults={"c0": fall_back})
    pool.run(["c%d" % n for n in range(30)])
    assert len(made) == 5 and counter.most == 6
    assert capabilities.take_warnings() == ["fell back"]


def test_extra_connections_wait_for_the_first_login():
    pool, main, made, _counter = make_pool(4, logged_in=False, delay=0.001)
    main.faults = {"c0": CoconConnectionError("login refused", "c0")}
    with pytest.raises(CoconConnectionError):
        pool.run(["c%d" % n for n in range(500)])
    assert made == [] and main.ran == ["c0"]


def test_the_first_error_stops_every_connection():
    error = CoconConnectionError("dropped", "c100")
    pool, main, made, _counter = make_pool(4, faults={"c100": error})
    sent = []
    with pytest.raises(CoconConnectionError) as raised:
        pool.run(["c%d" % n for n in range(1000)], on_send=lambda index, command: sent.append(command))
    assert raised.value is error
    ran = main.ran + [c for client in made for c in client.ran]
    assert len(ran) < 300 and set(sent) == set(ran)


def test_command_errors_are_answers_when_collected_but_a_held_lock_stops():
    refused = CoconCommandError("no", "c1")
    pool, _main, _made, _counter = make_pool(1, faults={"c1": refused})
    assert pool.run(["c0", "c1", "c2"], collect_command_errors=True) == ["answer to c0", refused, "answer to c2"]
    with pytest.raises(CoconCommandError):
        pool.run(["c0", "c1", "c2"])
    locked = CoconLockedError("locked", "c1")
    pool, _main, _made, _counter = make_pool(1, faults={"c1": locked})
    with pytest.raises(CoconLockedError):
        pool.run(["c0", "c1", "c2"], collect_command_errors=True)


def test_an_error_in_the_answer_handler_stops_the_run():
    pool, _main, _made, _counter = make_pool(1)

    def handle(index, command, answer):
        if index == 2:
            raise ValueError("bad answer")

    with pytest.raises(ValueError):
        pool.run(["c%d" % n for n in range(10)], on_answer=handle)


def test_a_connection_that_cannot_be_opened_only_means_fewer():
    pool, main, made, _counter = make_pool(4, connect_error=CoconConnectionError("too many sessions"))
    main.connect_error = None
    commands = ["c%d" % n for n in range(300)]
    assert pool.run(commands) == ["answer to " + c for c in commands]
    assert main.ran == commands and len(made) == 3
    assert any("could not open another connection" in w for w in pool.client.capabilities.take_warnings())


def test_pool_size_is_bounded():
    with pytest.raises(ValueError):
        make_pool(17)
