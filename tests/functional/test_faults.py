"""Faults at operator scale: real ansible-playbook runs against the CoCon simulator and real nginx.

Dropped connections, `temporary locked` storms, a wrong password, a console slower than
cocon_timeout, two site.yml runs racing for one domain, and the TLS role's fault cases run
from site.yml. The throwaway clusters come from site_cluster.py (fixture make_cluster).
"""

import datetime
import json
import os
import re
import socket
import subprocess
import threading
import time

import pytest

from ansible_run import run_playbook
from site_cluster import SiteCluster

FUNCTIONAL_DIR = os.path.dirname(os.path.abspath(__file__))
TESTS_DIR = os.path.dirname(FUNCTIONAL_DIR)
ROOT = os.path.dirname(TESTS_DIR)
SITE = os.path.join(ROOT, "playbooks", "site.yml")
PROPERTY = "api\\call\\enabled"
READ_RE = re.compile(r"/(info|list)( |$)")


def numbers(count, first=2405000):
    return [str(n) for n in range(first, first + count)]


def biysk_with(count, first=2405000, licences=None):
    state = {"domains": {"biysk.local": {"aliases": dict((n, {"group": "loc.gr"}) for n in numbers(count, first))}}}
    if licences:
        state["licences"] = licences
    return state


def enabled_aliases(simulator, domain="biysk.local"):
    return sorted(n for n, a in simulator.state()["domains"][domain]["aliases"].items()
                  if a["properties"].get(PROPERTY) == "true")


# -- connection dropped in the middle of a 500-alias run -----------------------------------
@pytest.mark.parametrize("connections", [1, 4])
def test_dropped_connection_names_where_it_stopped_and_a_rerun_finishes(make_simulator, tmp_path, connections):
    count = 500
    # 500 reads (and the one-time /domain/list on a second channel) first, then 500 sets: the
    # connection carrying the 250th set is reset.
    simulator = make_simulator(initial_state=biysk_with(count), drop_after=count + 1 + 250)
    extra = {"aliases": numbers(count), "use_ranges": False, "parallel_connections": connections,
             "result_file": str(tmp_path / "first.json")}
    run = run_playbook("faults_alias_property.yml", simulator, extra)
    first = json.loads((tmp_path / "first.json").read_text())
    assert first.get("failed"), first
    dropped = [r for r in simulator.command_records() if r["outcome"] == "dropped"]
    assert len(dropped) == 1 and "/alias/set " in dropped[0]["command"]
    assert first["failed_command"] == dropped[0]["command"]
    assert "dropped" in first["msg"] and repr(dropped[0]["command"]) in first["msg"], first["msg"]
    assert "Stopped there: %d alias(es) were set before" % len(first["changed_aliases"]) in first["msg"]
    applied = sorted(first["changed_aliases"])
    # What the task reports as done is exactly what the switch has.
    assert applied == enabled_aliases(simulator)
    if connections == 1:
        assert len(applied) == 249
    else:
        assert 200 <= len(applied) < count
    # The failed task still reports the aliases it changed (ignore_errors lets the play record it).
    assert first["changed"] is True and run.rc == 0 and "ignored=1" in run.stdout, run

    extra["result_file"] = str(tmp_path / "again.json")
    run = run_playbook("faults_alias_property.yml", simulator, extra)
    again = json.loads((tmp_path / "again.json").read_text())
    assert not again.get("failed"), again
    assert sorted(again["changed_aliases"]) == sorted(set(numbers(count)) - set(applied))
    assert enabled_aliases(simulator) == numbers(count)


# -- temporary locked on 30% of commands ---------------------------------------------------
def test_thirty_percent_locked_succeeds_within_the_retry_bound(make_simulator, tmp_path):
    simulator = make_simulator(initial_state=biysk_with(12), locked_rate=0.3, seed=20261126)
    started = time.monotonic()
    run = run_playbook("faults_cocon.yml", simulator, {"aliases": numbers(12), "use_ranges": False})
    elapsed = time.monotonic() - started
    assert run.rc == 0 and run.failed == 0, run
    records = simulator.command_records()
    locked = [r for r in records if r["outcome"] == "locked"]
    assert len(locked) >= 0.15 * len(records), (len(locked), len(records))
    # Each command was retried at most cocon_locked_retries (5) times in a row.
    streak, longest = {}, 0
    for record in records:
        streak[record["command"]] = streak.get(record["command"], 0) + 1 if record["outcome"] == "locked" else 0
        longest = max(longest, streak[record["command"]])
    assert longest <= 5
    assert enabled_aliases(simulator) == numbers(12)
    assert simulator.state()["csta"]["enabled"] is True
    assert list(simulator.state()["domains"]["biysk.local"]["integrations"]) == ["amocrm"]
    assert elapsed < 60


def test_locked_beyond_the_retry_bound_fails_naming_the_command(make_simulator, tmp_path):
    simulator = make_simulator(locked_rate=1.0)
    run = run_playbook("faults_cocon.yml", simulator)
    assert run.rc != 0 and run.failed == 1, run
    named = re.findall(r"kept answering 'temporary locked' to '([^']+)' after 5 retries", run.output)
    assert named, run
    received = [r["command"] for r in simulator.command_records()]
    # The client's one-time test of a second exec channel (/domain/list) is not retried.
    assert received.count("/domain/list") <= 1, received
    commands = [c for c in received if c != "/domain/list"]
    # One try and five retries per command, and the failure names the last one tried.
    assert commands[-6:] == [named[0]] * 6 and len(commands) % 6 == 0, commands
    assert all(commands.count(command) == 6 for command in commands)
    assert simulator.state()["csta"]["enabled"] is False


# -- wrong password -------------------------------------------------------------------------
class CountingProxy(object):
    """TCP forwarder in front of the simulator that counts connections (login attempts)."""

    def __init__(self, target_port):
        self.target_port = target_port
        self.connections = 0
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.listener.settimeout(0.2)
        self.port = self.listener.getsockname()[1]
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc_info):
        self.stopped.set()
        self.thread.join()
        self.listener.close()

    def _serve(self):
        while not self.stopped.is_set():
            try:
                client, _peer = self.listener.accept()
            except socket.timeout:
                continue
            self.connections += 1
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pump(source, sink):
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                try:
                    end.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


def test_wrong_password_is_one_clear_error_without_a_retry_storm(make_simulator, tmp_path):
    simulator = make_simulator()
    wrong = "Wr0ng-" + simulator.password[::-1]
    known_hosts = tmp_path / "known_hosts"
    with CountingProxy(simulator.port) as proxy:
        # The proxy's port is what the modules connect to; its known_hosts entry names that port.
        with open(simulator.known_hosts_path, encoding="utf-8") as handle:
            line = handle.read().replace("]:%d " % simulator.port, "]:%d " % proxy.port)
        assert "]:%d " % proxy.port in line
        known_hosts.write_text(line)
        run = run_playbook("faults_cocon.yml", simulator, env={
            "ECSS_COCON_PASSWORD": wrong, "ECSS_COCON_PORT": str(proxy.port), "ECSS_COCON_KNOWN_HOSTS": str(known_hosts)})
        connections = proxy.connections
    assert run.rc != 0 and run.failed == 1, run
    assert connections == 1, "%d login attempts for one wrong password" % connections
    assert len(re.findall(r"^fatal: ", run.stdout, re.M)) == 1, run
    assert "rejected the login of user 'admin' (wrong user name or password)" in run.output, run
    assert "TASK [Integration]" not in run.output  # the play stopped at the first error
    assert wrong not in run.output and simulator.password not in run.output
    assert simulator.commands() == []


# -- CoCon slower than cocon_timeout -------------------------------------------------------
def test_console_slower_than_the_timeout_fails_naming_the_command(make_simulator):
    simulator = make_simulator(latency_ms=4000)
    started = time.monotonic()
    run = run_playbook("faults_cocon.yml", simulator, env={"ECSS_COCON_TIMEOUT": "1"})
    elapsed = time.monotonic() - started
    assert run.rc != 0 and run.failed == 1, run
    assert "CoCon did not answer '/api/csta/info' within 1.0s" in run.output, run
    assert elapsed < 30
    # The simulator logs a command once it has answered it (after its 4 s): wait for that, then
    # make sure nothing else came: a command that may still run is not sent again.
    deadline = time.monotonic() + 10
    while not simulator.commands() and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(1)
    assert simulator.commands() == ["/api/csta/info"]


# -- two site.yml runs at once on one domain -----------------------------------------------
def test_two_simultaneous_site_runs_share_one_integration_and_key(make_simulator, make_cluster):
    # Both runs' integrations/list are held until both have asked, so both find no integration
    # and both send add, whatever the runs' pace (a latency only made that likely).
    domain = "biysk.local"
    simulator = make_simulator(rendezvous=(2, "/domain/%s/integrations/list" % domain))
    domains = [{"name": domain, "client_id": "amocrm",
                "subscribers": [{"number": "240473", "group": "loc.gr"}]}]
    clusters = [make_cluster(simulator, node_names=("node%d" % index,), domains=domains) for index in (1, 2)]
    processes = [subprocess.Popen(c.command(), env=c.environment(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  text=True) for c in clusters]
    outputs = [p.communicate(timeout=240)[0] for p in processes]
    for process, output in zip(processes, outputs):
        assert process.returncode == 0, output[-5000:]
    commands = simulator.commands()
    assert commands.count("/domain/%s/integrations/add amocrm" % domain) == 2, commands
    integrations = simulator.state()["domains"][domain]["integrations"]
    assert list(integrations) == ["amocrm"]
    key = integrations["amocrm"]["key"]
    assert [c.settings(domain)["api_key"] for c in clusters] == [key, key]
    assert commands.count("/domain/%s/integrations/replace amocrm" % domain) == 0
    assert not any(key in output for output in outputs)
    assert sum("was done by another session meanwhile; adopted its result" in output for output in outputs) == 1


# -- the TLS role's fault cases, run from site.yml -----------------------------------------
def _pki(directory):
    """Root -> intermediate -> leaf for node1, plus the faulty material of the TLS role's own fault cases."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    import ipaddress

    now = datetime.datetime.now(datetime.timezone.utc)
    day = datetime.timedelta(days=1)

    def key():
        return ec.generate_private_key(ec.SECP256R1())

    def certificate(subject_key, name, issuer_key, issuer_name, ca, sans=(), not_before=-1, not_after=90):
        builder = (x509.CertificateBuilder()
                   .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
                   .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer_name)]))
                   .public_key(subject_key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now + not_before * day).not_valid_after(now + not_after * day)
                   .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
        if sans:
            builder = builder.add_extension(x509.SubjectAlternativeName(list(sans)), critical=False)
        return builder.sign(issuer_key, hashes.SHA256())

    def pem(*certificates):
        return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certificates)

    root_key, int_key, leaf_key, other_key = key(), key(), key(), key()
    root = certificate(root_key, "Test root CA", root_key, "Test root CA", True, not_after=3650)
    intermediate = certificate(int_key, "Test int CA", root_key, "Test root CA", True, not_after=3650)
    good_names = [x509.DNSName("node1"), x509.DNSName("ecss.example.test"),
                  x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    leaf = certificate(leaf_key, "node1", int_key, "Test int CA", False, good_names)
    renewed = certificate(leaf_key, "node1", int_key, "Test int CA", False, good_names)
    expired = certificate(leaf_key, "node1", int_key, "Test int CA", False, good_names, -30, -1)
    noname = certificate(leaf_key, "other.example.test", int_key, "Test int CA", False,
                         [x509.DNSName("other.example.test")])
    files = {
        "fullchain.pem": pem(leaf, intermediate), "renewed-chain.pem": pem(renewed, intermediate),
        "expired-chain.pem": pem(expired, intermediate), "noname-chain.pem": pem(noname, intermediate),
        "reversed-chain.pem": pem(intermediate, leaf),
    }
    for name, private in (("leaf.key", leaf_key), ("other.key", other_key)):
        files[name] = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                            serialization.NoEncryption())
    os.makedirs(directory, mode=0o700, exist_ok=True)
    paths = {}
    for name, content in files.items():
        paths[name] = os.path.join(directory, name)
        with open(os.open(paths[name], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as handle:
            handle.write(content)
    return paths


@pytest.fixture(scope="module")
def provided_cluster(tmp_path_factory):
    """site.yml converged once in provided mode; each fault case then runs site.yml against it."""
    from cocon_simulator.harness import Simulator

    root = tmp_path_factory.mktemp("tls-faults")
    pki = _pki(str(root / "pki"))
    with Simulator(workdir=root / "simulator") as simulator:
        cluster = SiteCluster(root / "cluster", simulator, group_vars={
            "call_api_tls_mode": "provided", "call_api_tls_cert_src": pki["fullchain.pem"],
            "call_api_tls_key_src": pki["leaf.key"]})
        os.makedirs(cluster.root, exist_ok=True)
        cluster.start()
        try:
            run = cluster.run()
            assert run.rc == 0, run
            yield cluster, pki
        finally:
            cluster.stop()


TLS_FAULTS = {
    "key does not match": ({"call_api_tls_key_src": "other.key"},
                           r"private key does not match the certificate.*nothing was changed"),
    "expired certificate": ({"call_api_tls_cert_src": "expired-chain.pem"}, r"expired.*nothing was changed"),
    "certificate without the host's name": ({"call_api_tls_cert_src": "noname-chain.pem"},
                                            r"does not cover node1, 127.0.0.1.*nothing was changed"),
    "chain out of order": ({"call_api_tls_cert_src": "reversed-chain.pem"},
                           r"not issued by the next one in the file.*nothing was changed"),
    "nginx -t fails after the files were written": (
        {"call_api_tls_cert_src": "renewed-chain.pem",
         "call_api_nginx_test_command": "nginx -p {p}/ -c {p}/nginx.conf -t && echo 'nginx: [emerg] injected' >&2 "
                                        "&& false"},
        r"injected.*restored the previous"),
}


@pytest.mark.parametrize("case", sorted(TLS_FAULTS))
def test_tls_fault_from_site_yml_leaves_nginx_and_the_switch_alone(provided_cluster, case):
    cluster, pki = provided_cluster
    node = cluster.nodes[0]
    overrides, expected = TLS_FAULTS[case]
    extra = {}
    for name, value in overrides.items():
        extra[name] = pki[value] if value in pki else value.replace("{p}", node.prefix)
    served, files = node.served_sha256(), node.file_digests()
    commands_before = len(cluster.simulator.commands())
    state_before = cluster.simulator.state()

    run = cluster.run(extra_vars=extra)

    assert run.rc != 0 and run.failed >= 1, run
    assert re.search("(?s)" + expected, run.output), run
    assert node.served_sha256() == served
    assert node.file_digests() == files
    # The TLS play failed on the only node, so the CoCon play had no host left to run on.
    assert cluster.simulator.commands()[commands_before:] == []
    assert cluster.simulator.state() == state_before
