"""check.yml's widget_settings_match: the widget in amoCRM against the domain's settings file.

Real parts: ansible-playbook, the CoCon simulator over SSH, a factory-state nginx, and the
fake amoCRM (tests/fake_amocrm, real HTTP). site.yml installs the widget once; then each
scenario changes amoCRM behind the collection's back, runs check.yml and restores.

The fake widget's template types the API key ``text`` (amoCRM shows it; the role compares it by
fingerprint): a ``pass`` key amoCRM never shows, and a change made to it in amoCRM's interface
cannot be seen by anyone (docs/check.md).
"""

import json
import os
import secrets
import sys

import pytest

from site_cluster import ROOT, SiteCluster

try:
    from fake_amocrm import FakeAmoCRM
    from fake_amocrm.server import ECSS_WIDGET_CODE, ECSS_WIDGET_TEMPLATE
except ImportError:  # run without scripts/env.sh: tests/ is not on PYTHONPATH yet
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from fake_amocrm import FakeAmoCRM
    from fake_amocrm.server import ECSS_WIDGET_CODE, ECSS_WIDGET_TEMPLATE

CHECK = os.path.join(ROOT, "playbooks", "check.yml")
TOKEN = "amo-check-admin-token-5b7c9d1e3f2a4b6c8d0e"
FIELDS = {"client_id": "ecss_client", "api_key": "ecss_secret", "call_api_host": "ecss_host",
          "call_api_port": "ecss_port", "domain": "ecss_vpbx", "users": "ecss_phones"}
TEMPLATE = [dict(field, type="text") if field["key"] == "ecss_secret" else field for field in ECSS_WIDGET_TEMPLATE]
# biysk.local has a widget (its own entry in ecss_amocrm_accounts); tomsk.local has none: no row.
DOMAINS = [
    {"name": "biysk.local", "client_id": "amocrm", "group": "loc.gr",
     "subscribers": [{"number": "240473", "amocrm_user": "Ivan Petrov"}]},
    {"name": "tomsk.local", "client_id": "amocrm-tomsk", "group": "sip.gr",
     "subscribers": [{"number": "700101", "amocrm_user": "Olga Smirnova"}]},
]

pytestmark = pytest.mark.timeout(600)


def accounts(url):
    return {"biysk.local": {"base_url": url, "token": TOKEN, "widget_code": ECSS_WIDGET_CODE}}


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """One node, site.yml once with the widget step, every phone registered."""
    from cocon_simulator.harness import Simulator

    root = tmp_path_factory.mktemp("check-widget")
    fake = FakeAmoCRM(TOKEN).start()
    fake.add_widget(ECSS_WIDGET_CODE, template=TEMPLATE)
    fake.add_user("Ivan Petrov", "ivan.petrov@example.test")
    simulator = Simulator(workdir=root / "simulator").start()
    cluster = SiteCluster(root / "cluster", simulator, domains=DOMAINS,
                          group_vars={"ecss_amocrm_accounts": accounts(fake.url), "ecss_amocrm_validate_certs": False,
                                      "ecss_amocrm_widget_fields": FIELDS})
    os.makedirs(cluster.root, exist_ok=True)
    cluster.start()
    try:
        site = cluster.run()
        assert site.rc == 0, site
        assert [code for code, _body in fake.widget_posts] == [ECSS_WIDGET_CODE], site
        for domain, subscriber in ((d["name"], s["number"]) for d in DOMAINS for s in d["subscribers"]):
            simulator.register(domain, subscriber, contact="sip:%s@192.0.2.10:5060" % subscriber, expires=600)
        yield dict(fake=fake, simulator=simulator, cluster=cluster)
    finally:
        cluster.stop()
        simulator.stop()
        fake.stop()


def check(installed, extra_vars=None, args=()):
    cluster = installed["cluster"]
    run = cluster.run(CHECK, extra_vars=extra_vars, args=args)
    with open(os.path.join(cluster.settings_dir, "readiness.json"), encoding="utf-8") as handle:
        run.report = json.load(handle)
    with open(os.path.join(cluster.settings_dir, "readiness.html"), encoding="utf-8") as handle:
        run.html = handle.read()
    return run


def not_ok(report):
    """(target, check, status) of every check that is not ok but certificate_trusted: the node's
    self-signed certificate is a warning in every run."""
    return sorted((c["target"], c["check"], c["status"]) for c in report["checks"]
                  if c["status"] != "ok" and c["check"] != "certificate_trusted")


def widget_checks(report):
    return [c for c in report["checks"] if c["check"] == "widget_settings_match"]


def cocon_key(installed, domain="biysk.local"):
    return next(iter(installed["simulator"].state()["domains"][domain]["integrations"].values()))["key"]


def assert_no_secret(run, *secrets_):
    for secret in (TOKEN,) + secrets_:
        assert secret not in run.output, secret[:6]
        assert secret not in json.dumps(run.report) and secret not in run.html, secret[:6]


def test_widget_holding_the_settings_is_ok_and_read_only(installed):
    fake = installed["fake"]
    writes = len(fake.mutating_requests())
    run = check(installed, args=["-v"])
    assert run.rc == 0 and run.report["ready"] is True, run
    assert not_ok(run.report) == [], run
    (widget,) = widget_checks(run.report)
    assert (widget["scope"], widget["target"], widget["domain"], widget["status"]) == (
        "domain", "biysk.local", "biysk.local", "ok")
    # amoCRM shows every value, the key as a fingerprint: nothing rests on the record.
    assert "ecss_secret (api_key)" in widget["detail"] and "as amoCRM shows them" in widget["detail"]
    assert "recorded" not in widget["detail"]
    assert 'data-check="widget_settings_match"' in run.html
    assert fake.mutating_requests()[writes:] == []
    assert fake.widget_requests(ECSS_WIDGET_CODE, "GET"), "the widget was not read"
    assert_no_secret(run, cocon_key(installed), cocon_key(installed, "tomsk.local"))


def test_key_changed_in_amocrm_behind_our_back_fails_naming_the_key_field(installed):
    widget = installed["fake"].widgets[ECSS_WIDGET_CODE]
    key, new_key = widget["settings"]["ecss_secret"], secrets.token_hex(32)
    assert key == cocon_key(installed)
    widget["settings"]["ecss_secret"] = new_key
    try:
        run = check(installed, args=["-vvv"])
    finally:
        widget["settings"]["ecss_secret"] = key
    assert run.rc != 0 and run.report["ready"] is False, run
    assert not_ok(run.report) == [("biysk.local", "widget_settings_match", "fail")], run
    (failed,) = widget_checks(run.report)
    assert "amoCRM shows other values than" in failed["detail"] and "ecss_secret (api_key)" in failed["detail"]
    assert "ecss_client" not in failed["detail"]
    # site.yml would take its record's word for the key: the fix removes the record first.
    assert failed["fix"].startswith("delete %s" % os.path.join(installed["cluster"].settings_dir,
                                                               "biysk.local.amocrm_widget.json"))
    assert "FAIL biysk.local widget_settings_match: widget %s: amoCRM shows" % ECSS_WIDGET_CODE in run.stdout
    assert "ESTABLISH LOCAL CONNECTION" in run.output  # really -vvv
    assert_no_secret(run, key, new_key)


def test_amocrm_unreachable_is_a_warning_that_says_why(installed):
    run = check(installed, extra_vars={"ecss_amocrm_accounts": accounts("http://127.0.0.1:9")})
    assert run.rc == 0, run
    assert not_ok(run.report) == [("biysk.local", "widget_settings_match", "warn")], run
    (warned,) = widget_checks(run.report)
    assert "cannot read widget %s from amoCRM" % ECSS_WIDGET_CODE in warned["detail"]
    assert "cannot reach amoCRM at http://127.0.0.1:9" in warned["detail"]


def test_bad_amocrm_variables_stop_before_anything_is_read(installed):
    fake, simulator = installed["fake"], installed["simulator"]
    requests, commands = len(fake.requests), len(simulator.commands())
    run = installed["cluster"].run(CHECK, extra_vars={"ecss_amocrm_widget_fields": dict(FIELDS, apikey="ecss_secret")})
    assert run.rc != 0, run
    assert "ecss_amocrm_widget_fields maps client_id, api_key" in run.output, run
    assert fake.requests[requests:] == [] and simulator.commands()[commands:] == []
