"""The CoCon client over real SSH against the simulator: host keys, faults, modes."""

import os
import statistics
import sys
import threading
import time

import paramiko
import pytest

from ansible_run import FUNCTIONAL_DIR

sys.path.insert(0, os.path.join(FUNCTIONAL_DIR, "..", "..", ".build", "collections"))

from ansible_collections.ecss.callapi.plugins.module_utils.cocon_capabilities import CoconCapabilities  # noqa: E402
from ansible_collections.ecss.callapi.plugins.module_utils.cocon_client import CoconClient  # noqa: E402
from ansible_collections.ecss.callapi.plugins.module_utils.cocon_errors import (  # noqa: E402
    CoconAuthError,
    CoconCommandError,
    CoconConnectionError,
    CoconHostKeyError,
    CoconLockedError,
    CoconTimeoutError,
)
from ansible_collections.ecss.callapi.plugins.module_utils.cocon_pool import CoconPool  # noqa: E402


def client_for(simulator, **overrides):
    options = dict(host=simulator.host, port=simulator.port, user=simulator.user, password=simulator.password,
                   known_hosts=simulator.known_hosts_path, timeout=10, locked_delay=(0.01, 0.05))
    options.update(overrides)
    return CoconClient(**options)


def test_one_connection_for_many_commands(simulator):
    with client_for(simulator) as client:
        for _attempt in range(5):
            result = client.run("/domain/list")
            assert "biysk.local" in result.body and result.footer["nodes"].startswith("ds1@ecss1")
        # Five commands, and the one-time test of a second channel (a /domain/list of its own).
        assert client.connections_opened == 1 and client.commands_sent == 6
        assert client.mode_used == "channels" and client.capabilities.exec_channels_per_connection == "many"
    assert simulator.commands() == ["/domain/list"] * 6


def test_tcp_nodelay_keeps_commands_fast(make_simulator):
    simulator = make_simulator()
    with client_for(simulator) as client:
        client.run("/domain/list")
        durations = []
        for _attempt in range(21):
            started = time.monotonic()
            client.run("/domain/list")
            durations.append(time.monotonic() - started)
    # Without TCP_NODELAY every exec round trip waits for a delayed ACK (~40 ms); the median
    # keeps a moment of load on a busy machine from failing the test.
    assert statistics.median(durations) < 0.035, durations


def test_unknown_host_key_fails_in_strict_mode(simulator, tmp_path):
    empty = tmp_path / "known_hosts"
    with pytest.raises(CoconHostKeyError) as error:
        client_for(simulator, known_hosts=str(empty)).run("/domain/list")
    assert "is not in" in str(error.value) and "SHA256:" in str(error.value)
    assert simulator.commands() == []


def test_accept_new_records_the_key_then_strict_accepts_it(simulator, tmp_path):
    known_hosts = tmp_path / "ssh" / "known_hosts"
    client = client_for(simulator, known_hosts=str(known_hosts), host_key_policy="accept-new")
    with client:
        client.run("/domain/list")
    assert client.warnings and "recorded the new host key" in client.warnings[0]
    line = known_hosts.read_text().strip()
    assert line.startswith("[127.0.0.1]:%d ssh-" % simulator.port)
    assert oct(known_hosts.stat().st_mode & 0o777) == "0o600"
    with client_for(simulator, known_hosts=str(known_hosts)) as client:
        client.run("/domain/list")


def test_changed_host_key_fails_even_with_accept_new(simulator, tmp_path):
    import paramiko
    other = paramiko.RSAKey.generate(2048)
    known_hosts = tmp_path / "known_hosts"
    known_hosts.write_text("[127.0.0.1]:%d %s %s\n" % (simulator.port, other.get_name(), other.get_base64()))
    with pytest.raises(CoconHostKeyError) as error:
        client_for(simulator, known_hosts=str(known_hosts), host_key_policy="accept-new").run("/domain/list")
    assert "CHANGED" in str(error.value)
    assert simulator.commands() == []


def test_wrong_password_is_one_clear_error(make_simulator):
    simulator = make_simulator(refuse_login=True)
    started = time.monotonic()
    with pytest.raises(CoconAuthError) as error:
        client_for(simulator).run("/domain/list")
    assert time.monotonic() - started < 5
    assert "rejected the login of user 'admin'" in str(error.value)
    assert simulator.password not in str(error.value)


def test_refused_connection(tmp_path):
    import socket
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    client = CoconClient(port=port, password="x", known_hosts=str(tmp_path / "kh"), timeout=3)
    with pytest.raises(CoconConnectionError) as error:
        client.run("/domain/list")
    assert "cannot connect to CoCon at 127.0.0.1:%d" % port in str(error.value)


def test_slow_console_times_out_naming_the_command(make_simulator):
    simulator = make_simulator(latency_ms=1500)
    with pytest.raises(CoconTimeoutError) as error:
        client_for(simulator, timeout=0.5).run("/api/csta/info")
    assert "'/api/csta/info'" in str(error.value) and "0.5s" in str(error.value)


def test_dropped_connection_names_the_command(make_simulator):
    simulator = make_simulator(drop_after=4)  # the second command comes after the channel test
    with client_for(simulator) as client:
        client.run("/domain/list")
        client.run("/domain/list")
        with pytest.raises(CoconConnectionError) as error:
            client.run("/domain/biysk.local/integrations/list")
    assert "dropped" in str(error.value) and "/domain/biysk.local/integrations/list" in str(error.value)


def test_temporary_locked_is_retried(make_simulator):
    simulator = make_simulator(locked_rate=0.5, seed=7)
    with client_for(simulator, locked_retries=10) as client:
        for _attempt in range(10):
            client.run("/domain/list")
    assert len(simulator.commands()) > 10  # some answers were 'temporary locked' and retried


def test_temporary_locked_gives_up_after_the_bound(make_simulator):
    simulator = make_simulator(locked_rate=1.0, seed=1)
    with pytest.raises(CoconLockedError) as error:
        client_for(simulator, locked_retries=2).run("/domain/list")
    assert "after 2 retries" in str(error.value)
    # One try, two retries, and the channel test before the first retry (its locked answer is an answer).
    assert len(simulator.commands()) == 4


def test_failure_marker_carries_cocon_words(simulator):
    with pytest.raises(CoconCommandError) as error:
        client_for(simulator).run("/domain/nowhere.local/integrations/list")
    assert "Command error: Domain nowhere.local does not exist" in str(error.value)
    assert error.value.command == "/domain/nowhere.local/integrations/list"


ONE_CHANNEL_DIALECTS = ["one_channel_refused", "one_channel_closed", "one_channel_hung"]


@pytest.mark.parametrize("dialect", ONE_CHANNEL_DIALECTS)
def test_a_second_channel_that_is_not_served_means_an_interactive_session(make_simulator, dialect):
    simulator = make_simulator(dialect=dialect)
    commands = ["/api/csta/info", "/api/csta/set enabled true", "/api/csta/info"]
    started = time.monotonic()
    with client_for(simulator, timeout=20) as client:
        answers = [client.run(command) for command in commands]
        assert client.mode_used == "shell" and client.connections_opened == 2
        assert client.capabilities.exec_channels_per_connection == "one"
        assert client.capabilities.interactive_shell is True
        warnings = client.capabilities.take_warnings()
    elapsed = time.monotonic() - started
    assert answers[2].body.count("true") >= 2 and answers[1].footer is not None
    assert len(warnings) == 1 and "interactive console session" in warnings[0], warnings
    records = simulator.command_records()
    # Every command ran exactly once: the first on the first connection's exec channel, the rest through the
    # session that a fresh connection opened as its first channel, after the harmless read that tested it.
    assert [(r["conn"], r["mode"], r["command"]) for r in records if r["outcome"] == "executed"] == [
        (1, "exec", commands[0]), (2, "shell", "/domain/list"), (2, "shell", commands[1]), (2, "shell", commands[2])]
    assert [r["command"] for r in records if r["outcome"] != "executed"] == (
        [] if dialect == "one_channel_refused" else ["/domain/list"])
    assert simulator.state()["csta"]["enabled"] is True
    # A hung channel costs the short probe timeout, not cocon_timeout (20 s here).
    assert elapsed < (12 if dialect == "one_channel_hung" else 8), elapsed


@pytest.mark.parametrize("dialect, shell, how", [
    ("one_channel_refused", "refused", "did not serve an interactive session (Channel closed.)"),
    ("one_channel_closed", "refused", "did not serve an interactive session (Channel closed.)"),
    ("one_channel_refused", "silent", "did not serve an interactive session (CoCon did not show its prompt within 5.0s)"),
])
def test_without_an_interactive_session_a_connection_per_command(make_simulator, dialect, shell, how):
    simulator = make_simulator(dialect=dialect, shell=shell)
    commands = ["/api/csta/info", "/api/csta/set enabled true", "/api/csta/info", "/domain/list"]
    with client_for(simulator, timeout=20) as client:
        answers = [client.run(command) for command in commands]
        assert client.mode_used == "connection_per_command" and client.capabilities.interactive_shell is False
        warnings = client.capabilities.take_warnings()
    assert answers[2].body.count("true") >= 2 and "tomsk.local" in answers[3].body
    assert len(warnings) == 2 and how in warnings[1] and "one SSH connection per command" in warnings[1], warnings
    executed = [r for r in simulator.command_records() if r["outcome"] == "executed"]
    # The session never ran anything; each command ran once, each on a connection of its own.
    assert [r["command"] for r in executed] == commands and all(r["mode"] == "exec" for r in executed)
    assert len(set(r["conn"] for r in executed[1:])) == 3


def pooled_sets(numbers):
    return ["/domain/biysk.local/alias/set %s loc.gr %s@biysk.local api\\call\\enabled true" % (n, n) for n in numbers]


def run_pooled(simulator, commands, size):
    capabilities = CoconCapabilities()
    with client_for(simulator, capabilities=capabilities) as client:
        with CoconPool(client, lambda: client_for(simulator, capabilities=capabilities), size) as pool:
            answers = pool.run(commands)
        return answers, client, capabilities.take_warnings()


def many_aliases(count):
    numbers = [str(240600 + n) for n in range(count)]
    return numbers, {"domains": {"biysk.local": {"aliases": dict((n, {}) for n in numbers)}}}


@pytest.mark.parametrize("dialect", ONE_CHANNEL_DIALECTS)
def test_a_pool_after_the_fallback_logs_in_once_per_connection(make_simulator, dialect):
    numbers, state = many_aliases(240)
    simulator = make_simulator(dialect=dialect, latency_ms=5, initial_state=state)
    commands = pooled_sets(numbers)
    answers, client, warnings = run_pooled(simulator, commands, 4)
    assert client.mode_used == "shell" and len(warnings) == 1, warnings
    # Results in the order of the commands, each the answer to its own command.
    assert [number in answer.body for number, answer in zip(numbers, answers)] == [True] * len(numbers)
    records = simulator.command_records()
    executed = [r["command"] for r in records if r["outcome"] == "executed" and r["command"] != "/domain/list"]
    assert sorted(executed) == sorted(commands) and len(set(executed)) == len(commands)
    # About one login per pool connection, not one per command: each connection's first command on its exec
    # channel, then its session on a connection of its own (the main one: after a second for the test).
    carriers = set(r["conn"] for r in records)
    assert len(carriers) <= 2 * 4 and max(r["conn"] for r in records) <= 2 * 4 + 2, carriers
    assert sum(1 for r in records if r["mode"] == "shell") >= len(commands) - 4
    aliases = simulator.state()["domains"]["biysk.local"]["aliases"]
    assert all(aliases[n]["properties"]["api\\call\\enabled"] == "true" for n in numbers)


def test_a_pool_without_an_interactive_session_completes_a_connection_per_command(make_simulator):
    numbers, state = many_aliases(40)
    simulator = make_simulator(dialect="one_channel_refused", shell="refused", initial_state=state)
    commands = pooled_sets(numbers)
    answers, client, warnings = run_pooled(simulator, commands, 4)
    assert client.mode_used == "connection_per_command" and len(warnings) == 2, warnings
    assert [number in answer.body for number, answer in zip(numbers, answers)] == [True] * len(numbers)
    executed = [r for r in simulator.command_records() if r["outcome"] == "executed"]
    assert sorted(r["command"] for r in executed) == sorted(commands)
    assert len(set(r["conn"] for r in executed)) == len(commands)


def test_channels_mode_without_fallback_fails(make_simulator):
    simulator = make_simulator(dialect="one_channel_refused")
    with client_for(simulator, exec_mode="channels") as client:
        client.run("/domain/list")
        with pytest.raises(CoconConnectionError):
            client.run("/domain/list")


@pytest.mark.parametrize("mode", ["shell", "connection_per_command"])
def test_other_modes_give_the_same_output(simulator, mode):
    with client_for(simulator) as client:
        expected = client.run("/domain/biysk.local/alias/info 240473 loc.gr 240473@biysk.local").body
    with client_for(simulator, exec_mode=mode) as client:
        first = client.run("/domain/biysk.local/alias/info 240473 loc.gr 240473@biysk.local")
        second = client.run("/domain/list")
        assert first.body == expected
        assert "tomsk.local" in second.body and second.footer is not None
        assert client.connections_opened == (1 if mode == "shell" else 2)


def test_no_connection_thread_outlives_its_close(simulator):
    """paramiko's own close() frees the socket while the connection's thread may still read or
    write it, and a connection opened next can get the old session's bytes: close_transport
    returns only once that thread has stopped."""
    with client_for(simulator, exec_mode="connection_per_command") as client:
        for _attempt in range(10):
            client.run("/domain/list")
            alive = [thread for thread in threading.enumerate() if isinstance(thread, paramiko.Transport)]
            assert alive == [], alive
