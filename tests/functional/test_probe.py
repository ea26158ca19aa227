"""playbooks/probe.yml against the simulator, in every dialect of DIALECTS.md.

What the operator of a live console must be able to rely on: the probe sends read commands
only (the simulator's command log, and its state file untouched), no API key or password is in
the bundle, the -vvv output or anywhere under the bundle directory, the directory is 0700 and
its files 0600, a failing command is recorded as what it is, and the bundle turns into parser
fixtures whose tests pass (and fail when an answer is broken).
"""

import hashlib
import json
import os
import re
import shutil
import stat
import subprocess
import sys

import pytest
import yaml

from ansible_run import PlaybookRun
from cocon_simulator import model
from cocon_simulator.dialects import DIALECTS

FUNCTIONAL_DIR = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(FUNCTIONAL_DIR))
PROBE = os.path.join(ROOT, "playbooks", "probe.yml")
TO_FIXTURES = os.path.join(ROOT, "scripts", "probe-to-fixtures")

# Written from cocon-reference.md, not from the collection's allow-list: the commands that only read.
READ_SHAPES = [re.compile(pattern) for pattern in (
    r"\A/domain/list\Z",
    r"\A/api/csta/info\Z",
    r"\A/domain/[a-z.]+/integrations/list\Z",
    r"\A/domain/[a-z.]+/alias/info [0-9{}-]+ [a-z.]+ [0-9{}-]+@[a-z.]+\Z",
    r"\A/domain/[a-z.]+/sip/user/info [a-z.]+ [0-9]+@[a-z.]+\Z",
)]
DOMAINS = [
    {"name": "biysk.local", "client_id": "amocrm", "group": "loc.gr",
     "subscribers": [{"number": "240473", "amocrm_user": "Ivan Petrov"}, {"number": "240474"}, {"number": "240475"}]},
    {"name": "tomsk.local", "client_id": "amocrm-tomsk", "integration_type": "widget", "group": "sip.gr",
     "subscribers": [{"number": "700101"}]},
    # Not on the console: its reads fail, and the bundle says so.
    {"name": "nowhere.local", "client_id": "amocrm", "subscribers": [{"number": "12345", "group": "sip.gr"}]},
]
# Dialects whose answers differ in shape (the channel and latency dialects answer as reference does).
ROUND_TRIP = ("reference", "crlf_flat", "alias_lines", "csta_lines", "csta_absent", "ranges_literal", "ranges_invalid")
BIYSK_RANGE = "/domain/biysk.local/alias/info 24047{3-5} loc.gr 24047{3-5}@biysk.local"
CSTA_INFO = "/api/csta/info"


def initial_state():
    state = model.factory_state()
    state["domains"]["biysk.local"]["integrations"] = {"amocrm": {}, "tester": {}}
    state["domains"]["tomsk.local"]["integrations"] = {"amocrm-tomsk": {"type": "widget"}}
    return state


def secrets_of(simulator):
    keys = [i["key"] for d in simulator.state()["domains"].values() for i in d["integrations"].values()]
    assert len(keys) == 3
    return keys + [simulator.password]


def redaction(secret):
    return "<redacted:%s>" % hashlib.sha256(secret.encode("utf-8")).hexdigest()[:8]


def run_probe(simulator, root, probe_dir, args=("-vvv",), domains=None):
    inventory = os.path.join(str(root), "inventory.json")
    with open(os.open(inventory, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as handle:
        json.dump({"ecss": {
            "hosts": {"node1": {"ansible_host": "127.0.0.1", "ansible_connection": "local",
                                "ansible_python_interpreter": sys.executable}},
            "vars": {"ecss_cocon_port": simulator.port, "ecss_cocon_known_hosts": simulator.known_hosts_path,
                     "ecss_probe_dir": str(probe_dir), "ecss_domains": domains or DOMAINS}}}, handle)
    environment = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0", ANSIBLE_DEPRECATION_WARNINGS="false",
                       ANSIBLE_RETRY_FILES_ENABLED="false", **simulator.connection_env())
    return PlaybookRun(subprocess.run(["ansible-playbook", "-i", inventory, PROBE] + list(args), env=environment,
                                      capture_output=True, text=True, timeout=300, check=False))


def everything_under(directory):
    """Every file under ``directory`` (bytes), and the modes of the directory and its files."""
    contents, modes = {}, {}
    for parent, directories, files in os.walk(directory):
        for name in directories + files:
            path = os.path.join(parent, name)
            info = os.lstat(path)
            modes[os.path.relpath(path, directory)] = (stat.S_IFMT(info.st_mode), stat.S_IMODE(info.st_mode))
            if stat.S_ISREG(info.st_mode):
                with open(path, "rb") as handle:
                    contents[os.path.relpath(path, directory)] = handle.read()
    return contents, modes


def expected_status(dialect, command):
    if "/nowhere.local/" in command:
        return "command_error"
    if command == CSTA_INFO and dialect == "csta_absent":
        return "no_such_command"
    if command == BIYSK_RANGE:
        return {"ranges_literal": "command_error", "ranges_invalid": "invalid_arguments"}.get(dialect, "ok")
    return "ok"


def to_fixtures(*args):
    return subprocess.run([TO_FIXTURES] + list(args), capture_output=True, text=True, timeout=300, check=False)


# Every dialect that changes what the probe reads or records: output layouts, line ends, range
# answers, one channel per connection. ranges_read_only reads like the reference, the other two
# one-channel dialects fall back like one_channel_closed, slow only waits longer (the four-pass
# and site.yml runs take all of them).
PROBE_DIALECTS = sorted(set(DIALECTS) - {"ranges_read_only", "one_channel_refused", "one_channel_hung", "slow"})


@pytest.mark.parametrize("dialect", PROBE_DIALECTS)
def test_probe_reads_only_keeps_secrets_out_and_round_trips_into_fixtures(make_simulator, tmp_path, dialect):
    simulator = make_simulator(dialect=dialect, initial_state=initial_state())
    simulator.register("biysk.local", "240473")
    with open(simulator.state_path, "rb") as handle:
        state_before = handle.read()
    probe_dir = tmp_path / "not" / "yet" / "bundle"
    run = run_probe(simulator, tmp_path, probe_dir)
    assert run.rc == 0 and run.failed == 0, (dialect, run)

    # Only reads reached the console, and nothing changed there.
    records = simulator.command_records()
    assert records and all(any(shape.match(r["command"]) for shape in READ_SHAPES) for r in records), records
    assert all(r["outcome"] == "executed" or r["command"] == "/domain/list" for r in records), records
    with open(simulator.state_path, "rb") as handle:
        assert handle.read() == state_before

    # No secret anywhere; the directory 0700, every file 0600.
    contents, modes = everything_under(str(probe_dir))
    assert stat.S_IMODE(os.stat(str(probe_dir)).st_mode) == 0o700
    assert modes and all(mode == (stat.S_IFREG, 0o600) for mode in modes.values()), modes
    everything = run.output.encode("utf-8") + b"".join(contents.values())
    for secret in secrets_of(simulator):
        assert secret.encode("utf-8") not in everything
        assert secret[:16].encode("utf-8") not in everything
    integrations = contents["domain_biysk.local_integrations_list.txt"].decode("utf-8")
    for key in [i["key"] for i in simulator.state()["domains"]["biysk.local"]["integrations"].values()]:
        assert redaction(key) in integrations

    # Per command its exact line and its answer as received (footer, CR LF); failures as what they are.
    manifest = yaml.safe_load(contents["commands.yml"])
    sent_by_read = [entry["command"] for entry in manifest["commands"]]
    assert sent_by_read == [r["command"] for r in records][-len(sent_by_read):]
    assert BIYSK_RANGE in sent_by_read and "/domain/biysk.local/sip/user/info loc.gr 240473@biysk.local" in sent_by_read
    for entry in manifest["commands"]:
        answer = contents[entry["file"]].decode("utf-8")
        assert entry["status"] == expected_status(dialect, entry["command"]), (dialect, entry)
        assert re.search(r"\[exec at: [^\]]*nodes: ds1@ecss1 v\.3\.14\.7\.585\]\s*\Z", answer), answer
        assert ("\r\n" in answer) == (dialect == "crlf_flat")
        if entry["status"] != "ok":
            assert entry["words"] and entry["words"] in answer
    assert "sip:240473@127.0.0.1:5060" in contents["domain_biysk.local_sip_user_info_loc.gr_240473@biysk.local.txt"].decode()

    capabilities_text = contents["capabilities.yml"].decode("utf-8")
    assert re.search(r"^number_ranges: ", capabilities_text, re.M).start() < capabilities_text.index("csta_info_layout")
    capabilities = yaml.safe_load(capabilities_text)
    assert capabilities["number_ranges"] is (dialect not in ("ranges_literal", "ranges_invalid"))
    assert capabilities["exec_channels_per_connection"] == ("one" if dialect.startswith("one_channel_") else "many")
    assert capabilities["interactive_shell"] is (True if dialect.startswith("one_channel_") else None)

    # The bundle becomes fixtures, and the parser tests pass on them.
    if dialect not in ROUND_TRIP:
        return
    converted = to_fixtures(str(probe_dir), "--dest", str(tmp_path / "fixtures"), "--name", dialect)
    assert converted.returncode == 0, converted.stdout + converted.stderr
    assert " passed" in converted.stdout and "failed" not in converted.stdout
    fixtures = tmp_path / "fixtures" / dialect
    assert sorted(os.listdir(str(fixtures))) == sorted(contents)
    if dialect == "reference":
        check_broken_fixtures_fail(fixtures, tmp_path)
        check_a_second_run_replaces_the_bundle(simulator, tmp_path, probe_dir)


def check_broken_fixtures_fail(fixtures, tmp_path):
    footer = "\n\n[exec at: 16.02.2021 15:20:33, exec time: 25ms, nodes: ds1@ecss1 v.3.14.7.585]\n"
    breakages = {
        "api_csta_info.txt": "CSTA is on since Tuesday, tcp port 4721" + footer,
        "domain_biysk.local_integrations_list.txt": "amocrm " + "Ab3" * 21 + footer,
    }
    for name, text in breakages.items():
        broken = tmp_path / ("broken-" + name)
        shutil.copytree(str(fixtures), str(broken))
        (broken / name).write_text(text)
        tested = to_fixtures("--test", str(broken))
        assert tested.returncode != 0, tested.stdout
        assert "1 failed" in tested.stdout and "[broken-%s:%s]" % (name, name) in tested.stdout, tested.stdout


def check_a_second_run_replaces_the_bundle(simulator, tmp_path, probe_dir):
    """The same dedicated directory again: the bundle of the new run only; --check writes nothing."""
    run = run_probe(simulator, tmp_path, probe_dir, args=(), domains=DOMAINS[:1])
    assert run.rc == 0, run
    names = set(os.listdir(str(probe_dir)))
    assert not any("nowhere" in name or "tomsk" in name for name in names), names
    assert stat.S_IMODE(os.stat(str(probe_dir)).st_mode) == 0o700
    fresh = tmp_path / "checked"
    run = run_probe(simulator, tmp_path, fresh, args=("--check",))
    assert run.rc == 0, run
    assert not os.path.lexists(str(fresh))


def shared_directory(path):
    """Like /tmp: sticky and writable by everyone."""
    path.mkdir()
    path.chmod(0o1777)
    return "sticky bit"


def group_writable(path):
    path.mkdir()
    path.chmod(0o770)
    return "writable by its group"


def symlinked(path):
    target = path.parent / "elsewhere"
    target.mkdir(mode=0o700)
    path.symlink_to(target)
    return "symbolic link"


def foreign_file(path):
    path.mkdir(mode=0o700)
    (path / "notes.txt~").write_text("mine")
    return "notes.txt~"


@pytest.mark.parametrize("prepare", [shared_directory, group_writable, symlinked, foreign_file])
def test_a_directory_not_dedicated_to_the_bundle_is_refused_before_any_command(simulator, tmp_path, prepare):
    probe_dir = tmp_path / "bundle"
    reason = prepare(probe_dir)
    before = everything_under(str(probe_dir.resolve()))
    mode = os.lstat(str(probe_dir)).st_mode
    run = run_probe(simulator, tmp_path, probe_dir, args=())
    assert run.rc != 0 and "is not a directory dedicated to the probe bundle" in run.output, run
    assert reason in run.output
    assert simulator.commands() == []
    assert os.lstat(str(probe_dir)).st_mode == mode
    assert everything_under(str(probe_dir.resolve())) == before
