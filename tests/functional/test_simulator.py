"""The CoCon simulator, driven over real SSH with paramiko as the client."""

import json
import os
import re
import socket
import subprocess
import sys
import threading
import time

import paramiko
import pytest

from cocon_simulator import dialects, formatting, ranges
from cocon_simulator.harness import Simulator, SimulatorError

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(__file__)), "unit", "plugins", "module_utils", "fixtures")
FOOTER_RE = re.compile(
    r"\[exec at: \d\d\.\d\d\.\d{4} \d\d:\d\d:\d\d, exec time: (\d+)ms, nodes: ds1@ecss1 v\.3\.14\.7\.585\]\n\Z"
)
KEY_RE = re.compile(r"[A-Za-z0-9]{64}")
ALIAS_SET = r"domain/biysk.local/alias/set %s loc.gr %s api\call\enabled %s"
LOCKED = "Command error: Configuration is temporary locked by another session, try again later\n"


def fixture_body(name):
    """A real transcript without its footer (the footer carries a date and a timing)."""
    with open(os.path.join(FIXTURES, name), encoding="utf-8") as handle:
        text = handle.read()
    return text[: text.rindex("\n\n[exec at:") + 1]


def connect(sim, password=None):
    # TCP_NODELAY as the collection's client does; without it each answer waits ~40 ms.
    sock = socket.create_connection((sim.host, sim.port), timeout=5)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    client = paramiko.SSHClient()
    client.load_host_keys(sim.known_hosts_path)  # default policy rejects unknown keys
    client.connect(
        sim.host,
        sim.port,
        username=sim.user,
        password=sim.password if password is None else password,
        sock=sock,
        timeout=5,
        look_for_keys=False,
        allow_agent=False,
    )
    return client


def run_raw(client, command):
    _stdin, stdout, _stderr = client.exec_command(command, timeout=10)
    output = stdout.read().decode("utf-8")
    assert stdout.channel.recv_exit_status() == 0
    return output


def run(client, command):
    """The answer body; asserts the blank line + footer frame every answer has."""
    output = run_raw(client, command)
    match = FOOTER_RE.search(output)
    assert match, output
    body = output[: match.start()]
    assert body.endswith("\n\n") or body == "\n", output
    return body[:-1]


def run_expecting_drop(client, command):
    """The connection is reset: no output, no exit status, the transport is gone."""
    try:
        _stdin, stdout, _stderr = client.exec_command(command, timeout=10)
        output = stdout.read()
        status = stdout.channel.recv_exit_status()
    except (paramiko.SSHException, EOFError, OSError):
        return
    assert (output, status) == (b"", -1)
    assert not client.get_transport().is_active()


@pytest.fixture
def cocon(simulator):
    client = connect(simulator)
    yield client
    client.close()


def shell_session(sim, script, pty=True):
    client = connect(sim)
    channel = client.get_transport().open_session(timeout=5)
    if pty:
        channel.get_pty()
    channel.invoke_shell()
    channel.sendall(script.encode("utf-8"))
    channel.settimeout(10)
    chunks = []
    while True:
        data = channel.recv(65536)
        if not data:
            break
        chunks.append(data)
    status = channel.recv_exit_status()
    client.close()
    return b"".join(chunks).decode("utf-8"), status


# -- pure parts: ranges and table drawing ----------------------------------------------

def test_range_expansion():
    assert ranges.expand("24047{3-5}") == ["240473", "240474", "240475"]
    assert ranges.expand("2404{70-71}@biysk.local") == ["240470@biysk.local", "240471@biysk.local"]
    assert ranges.expand("24010{0-1}") == ["240100", "240101"]
    assert ranges.expand("1{1,3-4}") == ["11", "13", "14"]
    assert ranges.expand("7{08-10}") == ["708", "709", "710"]
    assert ranges.expand("240473") == ["240473"]
    for bad in ("24047{5-3}", "24047{3-", "2404{a-b}", "1{0-999999}"):
        with pytest.raises(ranges.RangeError):
            ranges.expand(bad)


def test_box_table_matches_the_real_integrations_list():
    rows = [line.strip("│").split("│") for line in fixture_body("integrations_list.2019.txt").splitlines()[3:6]]
    rows = [[cell.strip() for cell in row] for row in rows]
    table = formatting.box_table(["Client id", "API Key"], rows)
    assert table == fixture_body("integrations_list.2019.txt")


# -- protocol ----------------------------------------------------------------------------

def test_exec_answers_with_footer_and_accepts_path_variants(simulator, cocon):
    with_slash = run(cocon, "/domain/list")
    assert with_slash == run(cocon, "domain/list")
    assert with_slash == run(cocon, "  /domain/list  ")
    assert "│biysk.local│" in with_slash and "│tomsk.local│" in with_slash
    # repeated spaces between arguments collapse
    assert run(cocon, "api/csta/set    enabled     true") == "Parameter 'enabled' successfully changed\n"
    assert simulator.commands()[-1] == "api/csta/set    enabled     true"
    assert {r["mode"] for r in simulator.command_records()} == {"exec"}


def test_wrong_password_and_unknown_host_key_are_rejected(simulator):
    with pytest.raises(paramiko.AuthenticationException):
        connect(simulator, password=simulator.password + "x")
    stranger = paramiko.SSHClient()  # knows no host key: the default policy must refuse
    with pytest.raises(paramiko.SSHException):
        stranger.connect(simulator.host, simulator.port, username=simulator.user,
                         password=simulator.password, look_for_keys=False, allow_agent=False, timeout=5)
    stranger.close()


def test_shell_mode_prompt_echo_crlf_and_exit(simulator):
    text, status = shell_session(simulator, "domain/list\r\napi/csta/info\nexit\n")
    assert status == 0
    prompt = "admin@ds1@ecss1:/$ "
    assert text.startswith(prompt + "domain/list\r\n┌")
    assert text.endswith(prompt + "exit\r\n")
    assert text.count(prompt) == 3
    assert "\n" not in text.replace("\r\n", "")  # every line ends in CRLF
    assert re.search(r"\r\n\r\n\[exec at: [^\]]+ v\.3\.14\.7\.585\]\r\n" + re.escape(prompt) + "api/csta/info", text)
    records = simulator.command_records()
    assert [r["command"] for r in records] == ["domain/list", "api/csta/info"]
    assert {r["mode"] for r in records} == {"shell"}


def test_shell_without_pty_runs_a_batch(simulator):
    text, status = shell_session(simulator, "domain/biysk.local/integrations/add batch\nexit\n", pty=False)
    assert status == 0
    assert "New integration was added. API key: " in text
    assert "batch" in simulator.state()["domains"]["biysk.local"]["integrations"]


def test_several_exec_channels_on_one_connection_concurrently(simulator, cocon):
    results = {}

    def worker(number):
        results[number] = run(cocon, "domain/biysk.local/alias/info %d loc.gr %d@biysk.local" % (number, number))

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(240473, 240479)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert len(results) == 6
    for number, body in results.items():
        assert "│%d│loc.gr" % number in body
    assert len({r["conn"] for r in simulator.command_records()}) == 1


# -- commands ----------------------------------------------------------------------------

def test_csta_info_set_clean(simulator, cocon):
    factory = run(cocon, "api/csta/info")
    assert factory.splitlines()[1] == "│Parameter│ Value │"
    rows = [line.strip("│").split("│") for line in factory.splitlines()[3:-1]]
    assert [(k.strip(), v.strip()) for k, v in rows] == [
        ("enabled", "false"), ("auth", "[]"), ("tcp_ip", "0.0.0.0"), ("ssl_ip", "0.0.0.0"),
        ("tcp_port", "4721"), ("ssl_port", "4722"), ("use_ssl", "true"), ("use_tcp", "true"),
    ]
    assert run(cocon, "api/csta/set enabled true") == "Parameter 'enabled' successfully changed\n"
    assert run(cocon, "api/csta/set auth [alice,bob]") == "Parameter 'auth' successfully changed\n"
    assert run(cocon, "api/csta/set tcp_port 5000") == "Parameter 'tcp_port' successfully changed\n"
    info = run(cocon, "/api/csta/info")
    assert "│enabled  │true       │" in info and "│auth     │[alice,bob]│" in info
    assert simulator.state()["csta"]["tcp_port"] == 5000
    for bad in ("api/csta/set nosuch 1", "api/csta/set enabled yes", "api/csta/set tcp_port http",
                "api/csta/set tcp_ip 1.2.3", "api/csta/set enabled"):
        assert run(cocon, bad).startswith("Invalid command's arguments: "), bad
    assert run(cocon, "api/csta/clean tcp_port --force") == "ok\n"
    assert simulator.state()["csta"]["tcp_port"] == 4721
    assert simulator.state()["csta"]["enabled"] is True
    assert run(cocon, "api/csta/clean") == "ok\n"
    assert run(cocon, "api/csta/info") == factory


def test_domain_list_table(cocon):
    assert run(cocon, "domain/list") == (
        "┌───────────┐\n│  Domain   │\n├───────────┤\n│biysk.local│\n│tomsk.local│\n└───────────┘\n"
    )


def test_unknown_command_domain_and_arguments(cocon):
    assert run(cocon, "domain/biysk.local/integrations/lst") == (
        "There is no such command: domain/biysk.local/integrations/lst\n"
    )
    assert run(cocon, "frobnicate") == "There is no such command: frobnicate\n"
    for command in ("domain/nowhere.local/integrations/list", "domain/nowhere.local/alias/info 1 g 1@x",
                    "domain/nowhere.local/integrations/add x"):
        assert run(cocon, command) == "Command error: Domain nowhere.local does not exist\n"
    assert run(cocon, "domain/biysk.local/integrations/list foo").startswith("Invalid command's arguments:")
    assert run(cocon, "domain/biysk.local/alias/set 240473 loc.gr").startswith("Invalid command's arguments:")


def test_integration_lifecycle_and_state_file(simulator, cocon):
    assert run(cocon, "domain/biysk.local/integrations/list") == (
        "┌─────────┬───────┐\n│Client id│API Key│\n└─────────┴───────┘\n"
    )
    added = run(cocon, "domain/biysk.local/integrations/add tester")
    key = re.fullmatch(r"New integration was added\. API key: ([A-Za-z0-9]{64})\n", added).group(1)
    stored = simulator.state()["domains"]["biysk.local"]["integrations"]["tester"]
    assert stored == {"key": key, "type": "plain", "numbers": None}
    assert oct(os.stat(simulator.state_path).st_mode & 0o777) == "0o600"
    assert run(cocon, "domain/biysk.local/integrations/add tester").startswith("Command error: ")
    listing = run(cocon, "domain/biysk.local/integrations/list")
    assert "│tester   │%s│" % key in listing

    replaced = run(cocon, "domain/biysk.local/integrations/replace tester")
    new_key = re.fullmatch(r"Old key was replaced with new one\. New API key: ([A-Za-z0-9]{64})\n", replaced).group(1)
    assert new_key != key
    assert simulator.state()["domains"]["biysk.local"]["integrations"]["tester"]["key"] == new_key

    assert run(cocon, "domain/biysk.local/integrations/remove tester") == "ok\n"
    assert simulator.state()["domains"]["biysk.local"]["integrations"] == {}
    assert run(cocon, "domain/biysk.local/integrations/remove tester").startswith("Command error: ")
    assert run(cocon, "domain/biysk.local/integrations/replace tester").startswith("Command error: ")
    # no temp files left behind by the atomic writes
    assert sorted(os.listdir(simulator.workdir)) == sorted(
        ["commands.jsonl", "host_key", "known_hosts", "ready", "simulator.log", "state.json"]
    )


def test_typed_integrations_and_four_column_list(simulator, cocon):
    widget = run(cocon, "domain/biysk.local/integrations/add amocrm --widget")
    assert re.fullmatch(r"New integration was added\.\nAPI key: [A-Za-z0-9]{64}\n", widget)
    service = run(cocon, "domain/biysk.local/integrations/add crm2 --service --numbers 24010{0-1}")
    assert service.startswith("New integration was added.\nAPI key: ")
    run(cocon, "domain/biysk.local/integrations/add plainone")
    lines = run(cocon, "domain/biysk.local/integrations/list").splitlines()
    assert [c.strip() for c in lines[1].strip("│").split("│")] == ["Client id", "API Key", "Type", "Numbers"]
    rows = [[c.strip() for c in line.strip("│").split("│")] for line in lines[3:-1]]
    assert [(r[0], r[2], r[3]) for r in rows] == [
        ("amocrm", "widget", ""), ("crm2", "service", "24010{0-1}"), ("plainone", "plain", ""),
    ]
    integrations = simulator.state()["domains"]["biysk.local"]["integrations"]
    assert integrations["crm2"]["numbers"] == "24010{0-1}"
    assert run(cocon, "domain/biysk.local/integrations/add x --widget --numbers 1{0-1}").startswith(
        "Invalid command's arguments:"
    )


def test_alias_set_with_ranges_and_not_existing_flag(simulator, cocon):
    body = run(cocon, ALIAS_SET % ("2404{78-81}", "2404{78-81}@biysk.local", "true"))
    lines = body.splitlines()
    assert lines[0] == r"There are aliases within domain biysk.local affected by settings property api\call\enabled:"
    assert [re.sub(r" <-> [0-9a-f]{16}$", "", line) for line in lines[1:5]] == [
        "  240478", "  240479", "  *240480", "  *240481",
    ]
    assert "\n".join(lines[5:]) + "\n" == formatting.ALIAS_SET_LEGEND
    aliases = simulator.state()["domains"]["biysk.local"]["aliases"]
    assert aliases["240478"]["properties"] == {"api\\call\\enabled": "true"}
    assert aliases["240477"]["properties"] == {}
    # wrong group or interface: the alias is not matched
    assert "  *240473 <-> " in run(cocon, ALIAS_SET % ("240473", "240474@biysk.local", "true"))
    # same value again still succeeds
    assert "\n  240478 <-> " in run(cocon, ALIAS_SET % ("240478", "240478@biysk.local", "true"))
    # a range whose interface range has another length is refused
    assert run(cocon, ALIAS_SET % ("2404{73-75}", "2404{73-74}@biysk.local", "true")).startswith(
        "Invalid command's arguments:"
    )


def test_alias_set_licence_limit_flag(make_simulator):
    sim = make_simulator(initial_state={
        "licences": {"api\\call\\enabled": 2},
        "domains": {"biysk.local": {"aliases": {
            "240473": {"group": "loc.gr"}, "240474": {"group": "loc.gr"}, "240475": {"group": "loc.gr"},
        }}},
    })
    client = connect(sim)
    body = run(client, ALIAS_SET % ("24047{3-5}", "24047{3-5}@biysk.local", "true"))
    assert [line[:9] for line in body.splitlines()[1:4]] == ["  240473 ", "  240474 ", "  L240475"]
    aliases = sim.state()["domains"]["biysk.local"]["aliases"]
    assert "api\\call\\enabled" not in aliases["240475"]["properties"]
    # holders of a licence may set it again; releasing one frees it for another alias
    assert "\n  240473 <-> " in run(client, ALIAS_SET % ("240473", "240473@biysk.local", "true"))
    run(client, ALIAS_SET % ("240473", "240473@biysk.local", "false"))
    assert "\n  240475 <-> " in run(client, ALIAS_SET % ("240475", "240475@biysk.local", "true"))
    client.close()


def test_alias_info_rows_ranges_and_absent_aliases(cocon):
    run(cocon, ALIAS_SET % ("240473", "240473@biysk.local", "true"))
    run(cocon, r"domain/biysk.local/alias/set 240473 loc.gr 240473@biysk.local cfu\number 1000")
    body = run(cocon, "domain/biysk.local/alias/info 2404{73-74} loc.gr 2404{73-74}@biysk.local")
    with open(os.path.join(FIXTURES, "alias_info.guess.txt"), encoding="utf-8") as handle:
        guess = handle.read()
    assert body == guess[: guess.index("\n\n[exec at:") + 1]
    empty = run(cocon, "domain/biysk.local/alias/info 999999 loc.gr 999999@biysk.local")
    assert empty.count("\n") == 3 and "Interface group" in empty


def test_sip_user_info(cocon):
    body = run(cocon, "domain/tomsk.local/sip/user/info sip.gr 700101@tomsk.local")
    assert body.endswith("Contacts list is empty\n") and "700101@tomsk.local" in body
    assert run(cocon, "domain/tomsk.local/sip/user/info loc.gr 700101@tomsk.local").startswith("Command error:")


# -- byte-for-byte against the real transcripts ---------------------------------------

def test_outputs_match_real_fixtures(make_simulator):
    real_list = fixture_body("integrations_list.2019.txt")
    keys = dict(re.findall(r"│(\w+)\s*│([A-Za-z0-9]{64})│", real_list))
    sim = make_simulator(initial_state={"domains": {"biysk.local": {
        "aliases": {"240473": {"group": "loc.gr"}},
        "integrations": {client_id: {"key": key} for client_id, key in keys.items()},
    }}})
    client = connect(sim)
    assert run(client, "domain/biysk.local/integrations/list") == real_list
    assert run(client, ALIAS_SET % ("240473", "240473@biysk.local", "true")) == fixture_body("alias_set.2019.txt")
    assert run(client, "domain/biysk.local/integrations/remove tester") == fixture_body("integrations_remove.2019.txt")

    def same_but_key(actual, fixture):
        assert KEY_RE.sub("KEY", actual) == KEY_RE.sub("KEY", fixture_body(fixture))

    same_but_key(run(client, "domain/biysk.local/integrations/add tester"), "integrations_add.2019.txt")
    same_but_key(run(client, "domain/biysk.local/integrations/replace tester"), "integrations_replace.2019.txt")
    same_but_key(run(client, "domain/biysk.local/integrations/add w --widget"), "integrations_add_widget.3.14.txt")
    # the footer shape is the 3.14.7 manual's
    with open(os.path.join(FIXTURES, "integrations_add_widget.3.14.txt"), encoding="utf-8") as handle:
        assert FOOTER_RE.search(handle.read())
    client.close()


# -- persistence across restarts -------------------------------------------------------

def test_state_and_host_key_survive_a_restart(simulator):
    client = connect(simulator)
    key = run(client, "domain/tomsk.local/integrations/add keep").split("API key: ")[1].strip()
    client.close()
    simulator.restart()
    client = connect(simulator)  # the same known_hosts entry still verifies
    assert key in run(client, "domain/tomsk.local/integrations/list")
    client.close()
    assert len(simulator.commands()) == 2


def raw_state(sim):
    """The state file as it is on disk now, without asking the simulator to write first."""
    with open(sim.state_path, encoding="utf-8") as handle:
        return json.load(handle)


def enabled_in(state, number):
    return state["domains"]["biysk.local"]["aliases"][number]["properties"].get("api\\call\\enabled")


def test_state_reads_every_answered_change_however_late_the_file_is_written(make_simulator):
    sim = make_simulator(write_delay=60)
    client = connect(sim)
    run(client, ALIAS_SET % ("240473", "240473@biysk.local", "true"))
    assert enabled_in(raw_state(sim), "240473") is None  # not written yet: 60 s to go
    assert enabled_in(sim.state(), "240473") == "true"  # state() has it written first
    assert enabled_in(raw_state(sim), "240473") == "true"

    run(client, ALIAS_SET % ("240474", "240474@biysk.local", "true"))
    client.close()
    assert enabled_in(raw_state(sim), "240474") is None
    sim.stop()  # SIGTERM writes what is left
    assert enabled_in(raw_state(sim), "240474") == "true"
    sim.start()
    client = connect(sim)
    assert "api\\call\\enabled" in run(client, ALIAS_INFO % ("240474", "240474@biysk.local"))
    client.close()


def test_state_file_catches_up_on_its_own_after_a_burst(make_simulator):
    """What molecule and the demo read: the file itself, a moment after the last change."""
    sim = make_simulator()
    client = connect(sim)
    numbers = [str(n) for n in range(240473, 240480)]
    for number in numbers:
        run(client, ALIAS_SET % (number, number + "@biysk.local", "true"))
    client.close()
    deadline = time.monotonic() + 10
    while any(enabled_in(raw_state(sim), n) != "true" for n in numbers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [enabled_in(raw_state(sim), n) for n in numbers] == ["true"] * len(numbers)


def test_write_delay_zero_writes_before_the_answer(make_simulator):
    sim = make_simulator(write_delay=0)
    client = connect(sim)
    run(client, ALIAS_SET % ("240473", "240473@biysk.local", "true"))
    assert enabled_in(raw_state(sim), "240473") == "true"
    client.close()


# -- fault knobs -------------------------------------------------------------------------

def test_latency_knob_delays_every_command(make_simulator):
    sim = make_simulator(latency_ms=150)
    client = connect(sim)
    started = time.monotonic()
    for _attempt in range(3):
        output = run_raw(client, "domain/list")
        assert int(FOOTER_RE.search(output).group(1)) >= 150
    assert time.monotonic() - started >= 0.45
    client.close()


def test_rendezvous_holds_the_first_matching_commands_until_all_have_come(make_simulator):
    sim = make_simulator(rendezvous=(2, "/domain/biysk.local/integrations/list"))
    clients = [connect(sim) for _index in range(2)]
    answers = []
    first = threading.Thread(target=lambda: answers.append(run(clients[0], "domain/biysk.local/integrations/list")))
    first.start()
    assert run(clients[1], "domain/list")  # not held: another command
    first.join(1.0)
    assert first.is_alive() and answers == []  # held until the second one comes
    second = run(clients[1], "/domain/biysk.local/integrations/list")
    first.join(10)
    assert not first.is_alive()
    assert answers == [second]
    started = time.monotonic()
    run(clients[0], "domain/biysk.local/integrations/list")  # the rendezvous is over: answered at once
    assert time.monotonic() - started < 1
    for client in clients:
        client.close()


def test_locked_rate_one_locks_everything_and_changes_nothing(make_simulator):
    sim = make_simulator(locked_rate=1.0)
    client = connect(sim)
    assert run(client, "domain/biysk.local/integrations/add x") == LOCKED
    assert run(client, "api/csta/set enabled true") == LOCKED
    assert sim.state()["csta"]["enabled"] is False
    assert sim.state()["domains"]["biysk.local"]["integrations"] == {}
    assert [r["outcome"] for r in sim.command_records()] == ["locked", "locked"]
    client.close()


def test_locked_rate_is_reproducible_with_a_seed(make_simulator):
    outcomes = []
    for _run in range(2):
        sim = make_simulator(locked_rate=0.5, seed=7)
        client = connect(sim)
        outcomes.append([run(client, "domain/list") == LOCKED for _attempt in range(12)])
        client.close()
        sim.stop()
    assert outcomes[0] == outcomes[1]
    assert any(outcomes[0]) and not all(outcomes[0])


def test_drop_after_resets_the_connection_without_running_the_command(make_simulator):
    sim = make_simulator(drop_after=2)
    client = connect(sim)
    assert run(client, "api/csta/info")
    run_expecting_drop(client, "api/csta/set enabled true")
    client.close()
    assert sim.state()["csta"]["enabled"] is False
    assert [r["outcome"] for r in sim.command_records()] == ["executed", "dropped"]
    client = connect(sim)  # later connections work again
    assert run(client, "api/csta/set enabled true") == "Parameter 'enabled' successfully changed\n"
    client.close()


def test_drop_after_counts_across_connections_and_shell(make_simulator):
    sim = make_simulator(drop_after=3)
    for _connection in range(2):
        client = connect(sim)
        run(client, "domain/list")
        client.close()
    text, _status = shell_session(sim, "api/csta/set enabled true\nexit\n")
    assert "successfully changed" not in text and "exec at" not in text
    assert sim.state()["csta"]["enabled"] is False


def test_refuse_login(make_simulator):
    sim = make_simulator(refuse_login=True)
    with pytest.raises(paramiko.AuthenticationException):
        connect(sim)
    assert sim.commands() == []


def test_command_log_is_json_lines_with_connection_ids(simulator):
    for _connection in range(2):
        client = connect(simulator)
        run(client, "domain/list")
        client.close()
    with open(simulator.command_log_path, encoding="utf-8") as handle:
        records = [json.loads(line) for line in handle]
    assert [r["conn"] for r in records] == [1, 2]
    assert set(records[0]) >= {"ts", "conn", "mode", "command"}


# -- dialects ----------------------------------------------------------------------------

ALIAS_INFO = "domain/biysk.local/alias/info %s loc.gr %s"
RANGE_INFO = ALIAS_INFO % ("24047{3-5}", "24047{3-5}@biysk.local")
RANGE_SET = ALIAS_SET % ("24047{3-5}", "24047{3-5}@biysk.local", "true")


def exec_outcome(client, command, timeout=5):
    """(output, exit status) of one exec channel; the status is -1 when none came."""
    _stdin, stdout, _stderr = client.exec_command(command, timeout=timeout)
    output = stdout.read().decode("utf-8")
    return output, stdout.channel.recv_exit_status()


def enabled_aliases(sim):
    return sorted(number for number, alias in sim.state()["domains"]["biysk.local"]["aliases"].items()
                  if alias["properties"])


def alias_lines_of(body):
    return [re.sub(r" <-> [0-9a-f]{16}$", "", line) for line in body.splitlines() if " <-> " in line]


def table_aliases(body):
    return [line.strip("│").split("│")[0].strip() for line in body.splitlines()[3:-1]]


def test_one_channel_refused_refuses_the_second_channel(make_simulator):
    sim = make_simulator(dialect="one_channel_refused")
    client = connect(sim)
    assert run(client, "domain/list")
    with pytest.raises(paramiko.ChannelException):
        run(client, "domain/list")
    client.close()
    client = connect(sim)  # one channel per connection, not per simulator
    assert run(client, "domain/list")
    client.close()
    assert sim.commands() == ["domain/list", "domain/list"]


def test_one_channel_closed_closes_later_channels_without_output_or_status(make_simulator):
    sim = make_simulator(dialect="one_channel_closed")
    client = connect(sim)
    assert run(client, "domain/list")
    for command in ("api/csta/set enabled true", "domain/list"):
        assert exec_outcome(client, command) == ("", -1)
    assert client.get_transport().is_active()
    client.close()
    assert sim.state()["csta"]["enabled"] is False  # the closed channel ran nothing
    client = connect(sim)
    assert run(client, "api/csta/set enabled true") == "Parameter 'enabled' successfully changed\n"
    client.close()
    assert [(r["conn"], r["command"], r["outcome"]) for r in sim.command_records()] == [
        (1, "domain/list", "executed"),
        (1, "api/csta/set enabled true", "closed"),
        (1, "domain/list", "closed"),
        (2, "api/csta/set enabled true", "executed"),
    ]


def simulator_threads(sim):
    with open("/proc/%d/status" % sim.pid, encoding="ascii") as handle:
        return int(re.search(r"^Threads:\s+(\d+)$", handle.read(), re.M).group(1))


def test_one_channel_hung_never_answers_and_blocks_nothing_else(make_simulator):
    sim = make_simulator(dialect="one_channel_hung")
    idle_threads = simulator_threads(sim)
    client = connect(sim)
    assert run(client, "domain/list")
    hung = []
    for _attempt in range(3):
        _stdin, stdout, _stderr = client.exec_command("api/csta/set enabled true", timeout=0.3)
        started = time.monotonic()
        with pytest.raises(socket.timeout):
            stdout.read()
        assert time.monotonic() - started >= 0.3
        assert not stdout.channel.exit_status_ready() and not stdout.channel.closed
        hung.append(stdout.channel)
    # other connections are served while those channels hang, and the first stays usable
    other = connect(sim)
    assert "│biysk.local│" in run(other, "domain/list")
    other.close()
    for channel in hung:
        channel.close()  # the client gives up; the simulator lets the channel go
    assert client.get_transport().is_active()
    client.close()
    assert sim.state()["csta"]["enabled"] is False
    assert [r["outcome"] for r in sim.command_records()] == ["executed", "hung", "hung", "hung", "executed"]
    deadline = time.monotonic() + 5
    while simulator_threads(sim) > idle_threads and time.monotonic() < deadline:
        time.sleep(0.05)
    assert simulator_threads(sim) <= idle_threads  # no thread left waiting on a hung channel


def test_ranges_literal_takes_a_range_as_one_alias_that_does_not_exist(make_simulator):
    sim = make_simulator(dialect="ranges_literal")
    client = connect(sim)
    assert re.fullmatch(r"Command error: .*24047\{3-5\}.* not found\n", run(client, RANGE_INFO))
    # so does any alias that does not exist, or not with that group and interface
    assert re.fullmatch(r"Command error: .* not found\n", run(client, ALIAS_INFO % ("240999", "240999@biysk.local")))
    assert run(client, ALIAS_INFO % ("240473", "240474@biysk.local")).startswith("Command error: ")
    assert table_aliases(run(client, ALIAS_INFO % ("240473", "240473@biysk.local"))) == ["240473"]
    body = run(client, RANGE_SET)
    assert alias_lines_of(body) == ["  *24047{3-5}"]
    assert body.startswith("There are aliases within domain biysk.local") and "Legend:" in body
    assert enabled_aliases(sim) == []
    assert alias_lines_of(run(client, ALIAS_SET % ("240474", "240474@biysk.local", "true"))) == ["  240474"]
    assert enabled_aliases(sim) == ["240474"]
    client.close()


def test_ranges_invalid_rejects_any_argument_with_a_range(make_simulator):
    sim = make_simulator(dialect="ranges_invalid")
    client = connect(sim)
    for command in (RANGE_SET, RANGE_INFO, "domain/biysk.local/integrations/add crm --service --numbers 1{0-1}"):
        assert run(client, command).startswith("Invalid command's arguments:"), command
    assert run(client, ALIAS_SET % ("240473", "240473@biysk.local", "true")).startswith("There are aliases")
    assert enabled_aliases(sim) == ["240473"]
    assert sim.state()["domains"]["biysk.local"]["integrations"] == {}
    client.close()


def test_ranges_read_only_expands_reads_and_takes_sets_literally(make_simulator):
    sim = make_simulator(dialect="ranges_read_only")
    client = connect(sim)
    assert table_aliases(run(client, RANGE_INFO)) == ["240473", "240474", "240475"]
    assert alias_lines_of(run(client, RANGE_SET)) == ["  *24047{3-5}"]
    assert enabled_aliases(sim) == []
    # a read of aliases that do not exist is an empty table here, as in the reference
    assert table_aliases(run(client, ALIAS_INFO % ("240999", "240999@biysk.local"))) == []
    client.close()


def test_csta_lines_prints_name_value_lines(make_simulator):
    sim = make_simulator(dialect="csta_lines")
    client = connect(sim)
    assert run(client, "api/csta/info") == (
        "enabled: false\nauth: []\ntcp_ip: 0.0.0.0\nssl_ip: 0.0.0.0\n"
        "tcp_port: 4721\nssl_port: 4722\nuse_ssl: true\nuse_tcp: true\n"
    )
    run(client, "api/csta/set auth [alice,bob]")
    assert "auth: [alice,bob]\n" in run(client, "/api/csta/info")
    assert "│biysk.local│" in run(client, "domain/list")
    client.close()


def test_csta_absent_has_no_info_command_but_set_works(make_simulator):
    sim = make_simulator(dialect="csta_absent")
    client = connect(sim)
    assert run(client, "/api/csta/info") == "There is no such command: /api/csta/info\n"
    assert run(client, "api/csta/set enabled true") == "Parameter 'enabled' successfully changed\n"
    assert sim.state()["csta"]["enabled"] is True
    client.close()


def test_alias_lines_leave_out_unset_properties(make_simulator):
    sim = make_simulator(initial_state={"domains": {"biysk.local": {"aliases": {
        "240473": {"group": "loc.gr", "properties": {"api\\call\\enabled": "true", "cfu": "240474"}},
        "240474": {"group": "loc.gr"},
    }}}}, dialect="alias_lines")
    client = connect(sim)
    assert run(client, ALIAS_INFO % ("2404{73-79}", "2404{73-79}@biysk.local")) == (
        "Alias: 240473\nInterface group: loc.gr\nInterface: 240473@biysk.local\n"
        "api\\call\\enabled: true\ncfu: 240474\n"
        "\n"
        "Alias: 240474\nInterface group: loc.gr\nInterface: 240474@biysk.local\n"
    )
    assert run(client, ALIAS_INFO % ("240999", "240999@biysk.local")) == ""
    client.close()


def test_crlf_flat_ends_lines_with_crlf_and_flattens_tables_like_the_seed(make_simulator):
    keys = {}
    real_flat = open(os.path.join(FIXTURES, "integrations_list.2019.flat.txt"), encoding="utf-8").read()
    for client_id, key in re.findall(r"│(\w+) ?│([A-Za-z0-9]{64})│", real_flat):
        keys[client_id] = key
    sim = make_simulator(initial_state={"domains": {"biysk.local": {
        "aliases": {"240473": {"group": "loc.gr"}}, "integrations": keys}}}, dialect="crlf_flat")
    client = connect(sim)
    listing = run_raw(client, "domain/biysk.local/integrations/list")
    assert "\n" not in listing.replace("\r\n", "")
    # the seed's flat transcript is the same table, up to its line break before the footer
    assert listing.split("\r\n")[0] == real_flat[: real_flat.index(" [exec at:")]
    assert FOOTER_RE.search(listing.replace("\r\n", "\n"))
    report = run_raw(client, ALIAS_SET % ("240473", "240473@biysk.local", "true"))
    assert report.replace("\r\n", "\n")[: -len(FOOTER_RE.search(report.replace("\r\n", "\n")).group(0))] == (
        fixture_body("alias_set.2019.txt") + "\n"
    )
    assert "\n" not in report.replace("\r\n", "")
    info = run_raw(client, ALIAS_INFO % ("240473", "240473@biysk.local"))
    assert info.startswith("┌") and info.index("└") < info.index("\r\n")  # the table on one line
    client.close()
    text, _status = shell_session(sim, "domain/list\nexit\n")  # no doubled CR in the shell
    assert "\r\r" not in text and "│ Domain │ ├" in text


def test_crlf_flat_output_is_understood_by_the_collection_parsers(make_simulator):
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", ".build", "collections"))
    from ansible_collections.ecss.callapi.plugins.module_utils import cocon_parsers

    sim = make_simulator(initial_state={"domains": {"biysk.local": {"aliases": {
        "240473": {"group": "loc.gr", "properties": {"api\\call\\enabled": "true"}},
        "240474": {"group": "loc.gr"},
    }}}}, dialect="crlf_flat")
    client = connect(sim)
    run_raw(client, "domain/biysk.local/integrations/add tester")
    listing = cocon_parsers.parse_integrations_list(run_raw(client, "domain/biysk.local/integrations/list"))
    assert [row["client_id"] for row in listing] == ["tester"]
    layout, csta = cocon_parsers.parse_parameters(run_raw(client, "api/csta/info"))
    assert layout == "table" and csta["tcp_port"] == "4721"
    layout, aliases = cocon_parsers.parse_alias_info(run_raw(client, ALIAS_INFO % ("24047{3-4}", "24047{3-4}@biysk.local")))
    assert layout == "table" and aliases == {"240473": {"api\\call\\enabled": "true"}, "240474": {}}
    client.close()


def test_slow_takes_100_ms_per_command_unless_latency_is_given(make_simulator):
    sim = make_simulator(dialect="slow")
    client = connect(sim)
    for _attempt in range(3):
        started = time.monotonic()
        output = run_raw(client, "domain/list")
        assert time.monotonic() - started >= 0.1
        assert int(FOOTER_RE.search(output).group(1)) >= 100
    client.close()
    fast = make_simulator(dialect="slow", latency_ms=0)
    client = connect(fast)
    started = time.monotonic()
    for _attempt in range(3):
        assert int(FOOTER_RE.search(run_raw(client, "domain/list")).group(1)) < 100
    assert time.monotonic() - started < 0.3
    client.close()


def test_dialects_compose(make_simulator):
    sim = make_simulator(dialect="ranges_literal,one_channel_closed")
    client = connect(sim)
    assert re.fullmatch(r"Command error: .* not found\n", run(client, RANGE_INFO))
    assert exec_outcome(client, RANGE_SET) == ("", -1)
    client.close()
    client = connect(sim)
    assert alias_lines_of(run(client, RANGE_SET)) == ["  *24047{3-5}"]
    client.close()
    assert enabled_aliases(sim) == []
    listed = make_simulator(dialect=["csta_lines", "crlf_flat"])
    client = connect(listed)
    assert run_raw(client, "api/csta/info").startswith("enabled: false\r\nauth: []\r\n")
    client.close()


def test_unknown_dialect_fails_with_the_known_ones(tmp_path):
    with pytest.raises(ValueError) as error:
        Simulator(dialect="ranges_literal,nosuch", workdir=tmp_path / "sim")
    assert "nosuch" in str(error.value) and "one_channel_hung" in str(error.value)
    process = subprocess.run(
        [sys.executable, "-m", "cocon_simulator", "--dialect", "slow,nosuch", "--port", "0",
         "--state", str(tmp_path / "state.json"), "--host-key", str(tmp_path / "key")],
        capture_output=True, text=True, timeout=30, check=False,
    )
    assert process.returncode != 0
    assert "unknown dialect nosuch" in process.stderr
    assert all(name in process.stderr for name in dialects.DIALECTS)
    with pytest.raises(ValueError, match="conflict"):
        dialects.resolve("ranges_literal,ranges_invalid")


@pytest.mark.parametrize("dialect", sorted(dialects.DIALECTS))
def test_every_dialect_logs_every_command(make_simulator, dialect):
    sim = make_simulator(dialect=dialect, latency_ms=0)
    commands = ["domain/list", RANGE_INFO, RANGE_SET, "api/csta/info"]
    for command in commands:  # one connection each: every channel dialect serves a first channel
        client = connect(sim)
        output, status = exec_outcome(client, command)
        assert status == 0 and "[exec at: " in output
        client.close()
    assert sim.commands() == commands
    assert {r["outcome"] for r in sim.command_records()} == {"executed"}


# -- sip/user/info and registration ------------------------------------------------------

SIP_INFO = "domain/biysk.local/sip/user/info loc.gr %s@biysk.local"


def contacts_of(body):
    return [[cell.strip() for cell in line.strip("│").split("│")]
            for line in body.splitlines() if line.startswith("│")][1:]


def test_sip_user_info_without_and_with_contacts(make_simulator):
    sim = make_simulator(initial_state={"domains": {"biysk.local": {"aliases": {
        "240473": {"group": "loc.gr"},
        "240474": {"group": "loc.gr", "contacts": [
            "sip:240474@10.0.0.7:5060", {"uri": "sip:240474@10.0.0.8:5062", "expires": 120},
        ]},
    }}}})
    assert sim.state()["domains"]["biysk.local"]["aliases"]["240473"]["contacts"] == []
    client = connect(sim)
    assert run(client, SIP_INFO % "240473") == (
        "SIP user: 240473@biysk.local\nGroup: loc.gr\nDomain: biysk.local\nContacts list is empty\n"
    )
    registered = run(client, SIP_INFO % "240474")
    assert registered.startswith("SIP user: 240474@biysk.local\n") and "Contacts list is empty" not in registered
    assert contacts_of(registered) == [["sip:240474@10.0.0.7:5060", "3600"], ["sip:240474@10.0.0.8:5062", "120"]]
    assert run(client, SIP_INFO % "240999").startswith("Command error: ")
    client.close()


def test_register_and_unregister_a_phone_on_a_running_simulator(simulator):
    client = connect(simulator)
    assert "Contacts list is empty" in run(client, SIP_INFO % "240475")
    stored = simulator.register("biysk.local", "240475", contact="sip:240475@192.0.2.5:5060", expires=600)
    assert stored == {"uri": "sip:240475@192.0.2.5:5060", "expires": 600}
    simulator.register("biysk.local", 240475)
    assert contacts_of(run(client, SIP_INFO % "240475")) == [
        ["sip:240475@192.0.2.5:5060", "600"], ["sip:240475@127.0.0.1:5060", "3600"],
    ]
    assert "Contacts list is empty" in run(client, SIP_INFO % "240476")
    # the console's own changes and the outside edit both survive
    run(client, ALIAS_SET % ("240475", "240475@biysk.local", "true"))
    simulator.unregister("biysk.local", "240475")
    assert "Contacts list is empty" in run(client, SIP_INFO % "240475")
    assert enabled_aliases(simulator) == ["240475"]
    client.close()
    with pytest.raises(SimulatorError):
        simulator.register("biysk.local", "240999")
    assert not any("register" in command for command in simulator.commands())
