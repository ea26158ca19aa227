"""playbooks/check.yml on one prepared cluster: every failing condition turns exactly its check.

One CoCon simulator and two factory nginx nodes are prepared by site.yml (ownca), every phone
registered; then each scenario breaks one thing, runs check.yml, restores. The all-good state
gives ready: true and rc 0, reads nothing but read commands and changes no file of a node.
"""

import datetime
import glob
import hashlib
import ipaddress
import json
import os
import re
import secrets
import subprocess
import sys
import time

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from cocon_simulator.harness import Simulator
from site_cluster import ROOT, SiteCluster

CHECK = os.path.join(ROOT, "playbooks", "check.yml")
BUILD = os.path.join(ROOT, ".build", "check")
PASSPHRASE = "ca passphrase for the check tests"
PUBLIC_HOST = "ecss.example.test"
DOMAINS = [
    {"name": "biysk.local", "client_id": "amocrm", "group": "loc.gr",
     "subscribers": [{"number": "240473", "amocrm_user": "Ivan Petrov"},
                     {"number": "240474", "amocrm_user": "Maria Sidorova"}]},
    {"name": "tomsk.local", "client_id": "amocrm-tomsk", "integration_type": "widget", "group": "sip.gr",
     "subscribers": [{"number": "700101", "amocrm_user": "Olga Smirnova"}]},
]
PHONES = [("biysk.local", "240473"), ("biysk.local", "240474"), ("tomsk.local", "700101")]
READ_ONLY = re.compile(r"^/?(api/csta/info|domain/list|domain/[^/ ]+/(integrations/list|alias/info|sip/user/info))( |$)")


class Prepared(object):
    def __init__(self, root):
        self.root = str(root)
        self.simulator = Simulator(workdir=os.path.join(self.root, "cocon"))
        self.cluster = SiteCluster(self.root, self.simulator, node_names=("node1", "node2"), domains=DOMAINS,
                                   group_vars={"call_api_tls_mode": "ownca",
                                               "call_api_tls_ca_dir": os.path.join(self.root, "ca"),
                                               "call_api_tls_ca_passphrase": PASSPHRASE,
                                               "ecss_call_api_public_host": PUBLIC_HOST})
        self.report_dir = self.cluster.settings_dir

    def start(self):
        self.simulator.start()
        self.cluster.group_vars["ecss_cocon_port"] = self.simulator.port
        self.cluster.start()
        site = self.cluster.run()
        assert site.rc == 0, site
        for domain, number in PHONES:
            self.simulator.register(domain, number, contact="sip:%s@192.0.2.10:5060" % number, expires=600)
        return self

    def stop(self):
        self.cluster.stop()
        self.simulator.stop()

    @property
    def node1(self):
        return self.cluster.nodes[0]

    def check(self, extra_vars=None, args=(), env=None):
        run = self.cluster.run(CHECK, extra_vars=extra_vars, args=args, env=env)
        path = os.path.join(self.report_dir, "readiness.json")
        with open(path, encoding="utf-8") as handle:
            run.report = json.load(handle)
        with open(os.path.join(self.report_dir, "readiness.html"), encoding="utf-8") as handle:
            run.html = handle.read()
        return run

    def keys(self):
        return [i["key"] for d in self.simulator.state()["domains"].values() for i in d["integrations"].values()]

    # -- node changes ---------------------------------------------------------------------------
    def ca(self):
        with open(os.path.join(self.root, "ca", "ca.key"), "rb") as handle:
            key = serialization.load_pem_private_key(handle.read(), password=PASSPHRASE.encode())
        with open(os.path.join(self.root, "ca", "ca.crt"), "rb") as handle:
            return key, x509.load_pem_x509_certificate(handle.read())

    def leaf(self, names, not_before, not_after):
        """A certificate for node1 signed by the cluster's own CA, and its key (PEM bytes)."""
        ca_key, ca_cert = self.ca()
        key = ec.generate_private_key(ec.SECP256R1())
        sans = [x509.IPAddress(ipaddress.ip_address(n)) if n[0].isdigit() else x509.DNSName(n) for n in names]
        cert = (x509.CertificateBuilder()
                .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
                .issuer_name(ca_cert.subject).public_key(key.public_key())
                .serial_number(x509.random_serial_number()).not_valid_before(not_before).not_valid_after(not_after)
                .add_extension(x509.SubjectAlternativeName(sans), critical=False)
                .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
                .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
                .sign(ca_key, hashes.SHA256()))
        return (cert.public_bytes(serialization.Encoding.PEM),
                key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))

    def install(self, node, cert, key, reload=True):
        for relative, data in (("ssl/call_api.crt", cert), ("ssl/call_api.key", key)):
            with open(node.path(relative), "wb") as handle:
                handle.write(data)
        if reload:
            self.reload(node, cert)

    def reload(self, node, cert):
        subprocess.run(node.role_vars["call_api_nginx_reload_command"], shell=True, check=True, capture_output=True)
        wanted = hashlib.sha256(x509.load_pem_x509_certificate(cert).public_bytes(serialization.Encoding.DER)).hexdigest()
        deadline = time.monotonic() + 10
        while node.served_sha256() != wanted:
            assert time.monotonic() < deadline, "nginx does not serve the new certificate"
            time.sleep(0.1)

    def node_files(self, node):
        """sha256 of every file under the node's nginx prefix but its logs and pid files."""
        digests = {}
        for path in sorted(glob.glob(os.path.join(node.prefix, "**"), recursive=True)):
            relative = os.path.relpath(path, node.prefix)
            if os.path.isfile(path) and not relative.startswith(("logs", "tmp")) and not relative.endswith(".pid"):
                with open(path, "rb") as handle:
                    digests[relative] = (hashlib.sha256(handle.read()).hexdigest(), oct(os.stat(path).st_mode))
        return digests


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    cluster = Prepared(tmp_path_factory.mktemp("check")).start()
    yield cluster
    cluster.stop()


def not_ok(report):
    return sorted((c["target"], c["check"], c["status"]) for c in report["checks"] if c["status"] != "ok")


def assert_only(run, expected):
    assert not_ok(run.report) == sorted(expected), run
    failing = [e for e in expected if e[2] == "fail"]
    assert run.report["ready"] is (not failing)
    assert (run.rc != 0) is bool(failing), run
    for target, check, status in expected:
        assert re.search(r"%s .*%s %s: " % (status.upper(), re.escape(str(target)), check), run.stdout), run


def test_all_good_is_ready_read_only_and_keeps_secrets(prepared):
    nodes_before = [prepared.node_files(node) for node in prepared.cluster.nodes]
    commands_before = len(prepared.simulator.commands())
    run = prepared.check(args=["-v"], env={"ANSIBLE_SHOW_CUSTOM_STATS": "true"})
    assert run.rc == 0 and run.report["ready"] is True, run
    assert not_ok(run.report) == [], run
    checks = run.report["checks"]
    assert set(checks[0]) == {"scope", "node", "domain", "target", "check", "status", "detail", "fix"}
    assert len(checks) == 1 + 2 * 6 + 2 * 2 + 3 * 4
    # The only change: the two report files, on the controller, written by one task.
    changed_tasks = [part.split("]")[0] for part in run.stdout.split("TASK [")[1:] if "\nchanged: " in part]
    assert changed_tasks == ["ecss.callapi.readiness_check : Report | readiness.json and readiness.html "
                             "(self-contained, for the customer)"], run

    sent = prepared.simulator.commands()[commands_before:]
    assert sent and all(READ_ONLY.match(command) for command in sent), sent
    assert any("sip/user/info" in command for command in sent)
    assert [prepared.node_files(node) for node in prepared.cluster.nodes] == nodes_before

    for secret in prepared.keys() + [prepared.simulator.password, PASSPHRASE]:
        assert secret not in run.output
        for name in ("readiness.json", "readiness.html"):
            with open(os.path.join(prepared.report_dir, name), encoding="utf-8") as handle:
                assert secret not in handle.read()
    for name in ("readiness.json", "readiness.html"):
        assert oct(os.stat(os.path.join(prepared.report_dir, name)).st_mode & 0o777) == "0o600"
    stats = run.stdout.split("CUSTOM STATS")[-1]
    assert re.search(r'"ok": 29\b', stats) and re.search(r'"fail": 0\b', stats) and '"ready": true' in stats, stats


def test_report_only_when_asked_not_to_fail(prepared):
    prepared.simulator.unregister("biysk.local", "240473")
    try:
        run = prepared.check(extra_vars={"ecss_check_fail_on_problems": False})
    finally:
        prepared.simulator.register("biysk.local", "240473", contact="sip:240473@192.0.2.10:5060", expires=600)
    assert run.rc == 0 and run.report["ready"] is False, run
    assert not_ok(run.report) == [("240473", "phone_registered", "fail")]


def _edit(prepared, change):
    prepared.simulator.edit_state(change)


def _csta(enabled):
    return lambda state: state["csta"].update(enabled=enabled)


def _permission(value):
    return lambda state: state["domains"]["biysk.local"]["aliases"]["240474"]["properties"].update(
        {"api\\call\\enabled": value})


class CoconScenario(object):
    def __init__(self, name, expected, breaks, restores=None):
        self.name, self.expected, self.breaks, self.restores = name, expected, breaks, restores

    def __repr__(self):
        return self.name


def _integration_missing():
    saved = {}

    def breaks(prepared):
        saved.update(prepared.simulator.state()["domains"]["tomsk.local"]["integrations"])
        _edit(prepared, lambda state: state["domains"]["tomsk.local"]["integrations"].clear())

    def restores(prepared):
        _edit(prepared, lambda state: state["domains"]["tomsk.local"]["integrations"].update(saved))
    return breaks, restores


def _key_rotated():
    saved = {}

    def breaks(prepared):
        saved.update(prepared.simulator.state()["domains"]["biysk.local"]["integrations"]["amocrm"])
        new_key = secrets.token_hex(32)
        _edit(prepared, lambda state: state["domains"]["biysk.local"]["integrations"]["amocrm"].update(key=new_key))

    def restores(prepared):
        _edit(prepared, lambda state: state["domains"]["biysk.local"]["integrations"].update(amocrm=dict(saved)))
    return breaks, restores


COCON_SCENARIOS = [
    CoconScenario("csta off", [("cluster", "csta_enabled", "fail")],
                  lambda p: _edit(p, _csta(False)), lambda p: _edit(p, _csta(True))),
    CoconScenario("integration missing", [("tomsk.local", "integration_present", "fail"),
                                          ("tomsk.local", "settings_key_matches", "warn")], *_integration_missing()),
    CoconScenario("key rotated behind the settings file", [("biysk.local", "settings_key_matches", "fail")],
                  *_key_rotated()),
    CoconScenario("permission off on one subscriber", [("240474", "permission_enabled", "fail")],
                  lambda p: _edit(p, _permission("false")), lambda p: _edit(p, _permission("true"))),
    CoconScenario("one phone unregistered", [("700101", "phone_registered", "fail")],
                  lambda p: p.simulator.unregister("tomsk.local", "700101"),
                  lambda p: p.simulator.register("tomsk.local", "700101", contact="sip:700101@192.0.2.10:5060")),
]


@pytest.mark.parametrize("scenario", COCON_SCENARIOS, ids=repr)
def test_cocon_condition_turns_exactly_its_check(prepared, scenario):
    scenario.breaks(prepared)
    try:
        run = prepared.check()
    finally:
        scenario.restores(prepared)
    assert_only(run, scenario.expected)


def _now():
    return datetime.datetime.now(datetime.timezone.utc)


@pytest.mark.parametrize("name, expected", [
    ("certificate expired", [("node1", "certificate_expiry", "fail")]),
    ("certificate not covering the public host", [("node1", "certificate_covers_public_host", "fail")]),
    ("nginx not reloaded after a certificate change", [("node1", "served_certificate_matches", "fail")]),
])
def test_node_certificate_condition_turns_exactly_its_check(prepared, name, expected):
    node = prepared.node1
    with open(node.path("ssl/call_api.crt"), "rb") as handle:
        old_cert = handle.read()
    with open(node.path("ssl/call_api.key"), "rb") as handle:
        old_key = handle.read()
    names = ["node1", "127.0.0.1", PUBLIC_HOST]
    if name == "certificate expired":
        # Issued by the cluster's CA while it was valid, expired a moment ago.
        cert, key = prepared.leaf(names, prepared.ca()[1].not_valid_before_utc, _now() - datetime.timedelta(seconds=30))
        prepared.install(node, cert, key)
    elif name == "certificate not covering the public host":
        cert, key = prepared.leaf(["node1", "127.0.0.1"], _now() - datetime.timedelta(hours=1),
                                  _now() + datetime.timedelta(days=200))
        prepared.install(node, cert, key)
    else:
        cert, key = prepared.leaf(names, _now() - datetime.timedelta(hours=1), _now() + datetime.timedelta(days=200))
        prepared.install(node, cert, key, reload=False)
    try:
        run = prepared.check()
    finally:
        prepared.install(node, old_cert, old_key)
    assert_only(run, expected)


def test_backend_down_is_a_502_that_names_the_call_api(prepared):
    node = prepared.node1
    factory = [sys.executable, "-m", "nginx_factory", "backend"]
    subprocess.run(factory + ["stop", "--prefix", node.prefix], check=True, capture_output=True)
    try:
        run = prepared.check()
    finally:
        subprocess.run(factory + ["start", "--prefix", node.prefix], check=True, capture_output=True)
    assert_only(run, [("node1", "call_api_reachable", "fail")])
    check = [c for c in run.report["checks"] if c["check"] == "call_api_reachable" and c["node"] == "node1"][0]
    assert "502" in check["detail"] and "Call API service" in check["detail"]


def test_browser_agrees_with_certificate_trusted_and_reads_the_report(prepared):
    """Real chromium: the own CA in its trust store accepts the node; the factory certificate it rejects,
    as certificate_trusted says; readiness.html shows a row per subscriber (screenshot kept under .build/)."""
    from browser import Browser

    node = prepared.node1
    ca = os.path.join(prepared.root, "ca", "ca.crt")
    rules = "MAP %s 127.0.0.1" % PUBLIC_HOST
    run = prepared.check()
    trusted = [c for c in run.report["checks"] if c["check"] == "certificate_trusted" and c["node"] == "node1"][0]
    assert trusted["status"] == "ok", run
    with Browser(ca_files=[ca], host_rules=rules) as browser:
        page = browser.load("https://%s:%d/" % (PUBLIC_HOST, node.port))
        assert page.trusted and "ECSS Call API test backend" in page.text, page
        report = browser.load("file://" + os.path.join(prepared.report_dir, "readiness.html"))
        rows = browser.rows("tr.subscriber")
        assert sorted(row.get_attribute("data-number") for row in rows) == sorted(n for _d, n in PHONES), report
        assert all(row.find_elements("css selector", "td.ok") for row in rows)
        shot = browser.screenshot(os.path.join(BUILD, "readiness.png"))
    assert os.path.getsize(shot) > 10000

    with open(node.path("ssl/call_api.crt"), "rb") as handle:
        own_cert = handle.read()
    with open(node.path("ssl/call_api.key"), "rb") as handle:
        own_key = handle.read()
    # Made the way the ECSS-10 installer (and tests/nginx_factory) makes it: self-signed, CN only.
    factory_pem = subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256", "-days", "3650", "-subj", "/CN=node1",
         "-keyout", "/dev/stdout", "-out", "/dev/stdout"], check=True, capture_output=True).stdout
    factory_key = re.search(rb"-----BEGIN PRIVATE KEY-----.*?-----END PRIVATE KEY-----\n", factory_pem, re.S).group(0)
    factory_cert = re.search(rb"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----\n", factory_pem, re.S).group(0)
    prepared.install(node, factory_cert, factory_key)
    try:
        run = prepared.check()
        with Browser(ca_files=[ca], host_rules=rules) as browser:
            page = browser.load("https://%s:%d/" % (PUBLIC_HOST, node.port))
            browser.load("file://" + os.path.join(prepared.report_dir, "readiness.html"))
            browser.screenshot(os.path.join(BUILD, "readiness-factory-certificate.png"))
    finally:
        prepared.install(node, own_cert, own_key)
    trusted = [c for c in run.report["checks"] if c["check"] == "certificate_trusted" and c["node"] == "node1"][0]
    assert trusted["status"] == "fail", run
    assert not page.trusted and page.certificate_error, page
