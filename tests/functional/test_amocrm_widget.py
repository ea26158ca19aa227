"""The amoCRM end of site.yml, rotate_keys.yml and remove.yml: the ECSS-10 widget installed
through the amoCRM API with CoCon's key and the users' phones.

Real parts: ansible-playbook, the CoCon simulator over SSH, a factory-state nginx per node,
and two fake amoCRM accounts (tests/fake_amocrm, real HTTP on 127.0.0.1): biysk.local uses
the global ecss_amocrm_* variables and an account that returns a widget's settings (without
``pass`` values); tomsk.local its own account (ecss_amocrm_accounts) that returns none, so
its idempotence rests on the fingerprint record alone.
"""

import json
import os
import stat
import subprocess
import sys

import pytest

from site_cluster import SiteCluster

try:
    from fake_amocrm import FakeAmoCRM
    from fake_amocrm.server import ECSS_WIDGET_CODE
except ImportError:  # run without scripts/env.sh: tests/ is not on PYTHONPATH yet
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from fake_amocrm import FakeAmoCRM
    from fake_amocrm.server import ECSS_WIDGET_CODE

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, ".build", "collections"))
ROTATE = os.path.join(ROOT, "playbooks", "rotate_keys.yml")
REMOVE = os.path.join(ROOT, "playbooks", "remove.yml")
ADMIN_TOKEN = "amo-admin-token-8c1d7e2f4a6b9c0d1e3f5a7b"
USER_TOKEN = "amo-user-token-1f2e3d4c5b6a79880a1b2c3d"
TOMSK_TOKEN = "amo-tomsk-admin-token-6e5d4c3b2a1f0e9d8c7b"
TOMSK_CODE = "ecss10_tomsk"
# The collection's names -> the fake widget's template keys (tests/fake_amocrm/server.py).
FIELDS = {"client_id": "ecss_client", "api_key": "ecss_secret", "call_api_host": "ecss_host",
          "call_api_port": "ecss_port", "domain": "ecss_vpbx", "users": "ecss_phones"}

pytestmark = pytest.mark.timeout(900)


def start_fake(token, code=ECSS_WIDGET_CODE, **knobs):
    fake = FakeAmoCRM(token, **knobs).start()
    fake.add_widget(code)
    # Ivan Petrov is on the last page of the users list; a namesake differs by e-mail only.
    for number in range(7):
        fake.add_user("Operator %d" % number, "op%d@example.test" % number)
    fake.add_user("Ivan Petrov", "ivan.petrov@example.test")
    return fake


def amocrm_vars(biysk, tomsk, **overrides):
    group_vars = {
        "ecss_amocrm_base_url": biysk.url,
        "ecss_amocrm_token": ADMIN_TOKEN,
        "ecss_amocrm_validate_certs": False,
        "ecss_amocrm_widget_code": ECSS_WIDGET_CODE,
        "ecss_amocrm_widget_fields": FIELDS,
        "ecss_amocrm_accounts": {"tomsk.local": {"base_url": tomsk.url, "token": TOMSK_TOKEN,
                                                 "widget_code": TOMSK_CODE}},
    }
    group_vars.update(overrides)
    return group_vars


def keys(simulator):
    domains = simulator.state()["domains"]
    return dict((name, next(iter(d["integrations"].values()))["key"]) for name, d in domains.items()
                if d["integrations"])


def user_id(fake, name):
    return str(next(u["id"] for u in fake.users.values() if u["name"] == name))


def posts(fake, code=ECSS_WIDGET_CODE):
    return [body for posted_code, body in fake.widget_posts if posted_code == code]


@pytest.fixture(scope="module")
def lifecycle(tmp_path_factory):
    """site.yml (check, real, again), rotate_keys.yml, site.yml, remove.yml, each run once."""
    from cocon_simulator.harness import Simulator

    root = tmp_path_factory.mktemp("amocrm-widget")
    biysk = start_fake(ADMIN_TOKEN, users_page_size=3)
    tomsk = start_fake(TOMSK_TOKEN, code=TOMSK_CODE, return_widget_settings=False)
    simulator = Simulator(workdir=root / "simulator").start()
    cluster = SiteCluster(root / "cluster", simulator, group_vars=amocrm_vars(biysk, tomsk))
    os.makedirs(cluster.root, exist_ok=True)
    cluster.start()
    runs, marks = {}, {}
    try:
        for name, playbook, args, extra in (
                ("check first", None, ["--check", "--diff"], None),
                ("first", None, ["--diff", "-vvv"], None),
                ("second", None, ["--diff"], None),
                ("rotate", ROTATE, ["--diff", "-vvv"], None),
                ("after rotation", None, [], None),
                ("remove", REMOVE, ["--diff"], {"ecss_amocrm_widget_remove": True})):
            if name == "first":
                biysk.inject_429(2)
            marks[name] = (len(biysk.mutating_requests()), len(tomsk.mutating_requests()))
            runs[name] = cluster.run(playbook or cluster_site(), extra_vars=extra, args=args)
            marks[name + " done"] = (len(biysk.mutating_requests()), len(tomsk.mutating_requests()))
            if name == "first":
                marks["keys after first"] = keys(simulator)
                marks["posts after first"] = (list(posts(biysk)), list(posts(tomsk, TOMSK_CODE)))
            if name == "rotate":
                marks["keys after rotation"] = keys(simulator)
            if name == "after rotation":
                marks["records"] = records(cluster)
        yield dict(runs=runs, marks=marks, biysk=biysk, tomsk=tomsk, simulator=simulator, cluster=cluster)
    finally:
        cluster.stop()
        simulator.stop()
        biysk.stop()
        tomsk.stop()


def records(cluster):
    """Mode and text of each domain's record of what was sent to its widget."""
    found = {}
    for domain in ("biysk.local", "tomsk.local"):
        path = os.path.join(cluster.settings_dir, domain + ".amocrm_widget.json")
        with open(path, encoding="utf-8") as handle:
            found[domain] = (stat.S_IMODE(os.stat(path).st_mode), handle.read())
    return found


def cluster_site():
    return os.path.join(ROOT, "playbooks", "site.yml")


def sent_between(lifecycle, name):
    before, after = lifecycle["marks"][name], lifecycle["marks"][name + " done"]
    return (lifecycle["biysk"].mutating_requests()[before[0]:after[0]],
            lifecycle["tomsk"].mutating_requests()[before[1]:after[1]])


def test_check_mode_first_sends_nothing_and_reports_the_install(lifecycle):
    run = lifecycle["runs"]["check first"]
    assert run.rc == 0, run
    assert sent_between(lifecycle, "check first") == ([], [])
    assert "Install or update the widget" in run.output and "ecss_secret" in run.output


def test_first_run_installs_the_widget_with_cocons_key_and_the_users_phones(lifecycle):
    run = lifecycle["runs"]["first"]
    assert run.rc == 0, run
    widget_path = "/api/v4/widgets/"
    assert sent_between(lifecycle, "first") == ([("POST", widget_path + ECSS_WIDGET_CODE)],
                                                [("POST", widget_path + TOMSK_CODE)])
    (biysk_body,), (tomsk_body,) = lifecycle["marks"]["posts after first"]
    key = lifecycle["marks"]["keys after first"]
    ivan = user_id(lifecycle["biysk"], "Ivan Petrov")
    assert biysk_body == {"ecss_client": "amocrm", "ecss_secret": key["biysk.local"], "ecss_host": "ecss.example.test",
                          "ecss_port": str(lifecycle["cluster"].nodes[0].port), "ecss_vpbx": "biysk.local",
                          "ecss_phones": {ivan: "240473"}}
    # tomsk.local names no amoCRM user: the optional users field goes out empty.
    assert tomsk_body["ecss_secret"] == key["tomsk.local"] and tomsk_body["ecss_client"] == "amocrm-tomsk"
    assert tomsk_body["ecss_phones"] == {}
    # The users list was read page by page (3 per page) and the 429s were waited out.
    assert lifecycle["biysk"].requests.count(("GET", "/api/v4/users")) >= 3


def test_the_record_holds_fingerprints_only_mode_0600(lifecycle):
    key = lifecycle["marks"]["keys after rotation"]
    for domain, (mode, text) in lifecycle["marks"]["records"].items():
        assert mode == 0o600, domain
        assert key[domain] not in text
        assert json.loads(text)["fingerprints"]["ecss_secret"].startswith("sha256:")


def test_second_run_sends_nothing(lifecycle):
    run = lifecycle["runs"]["second"]
    assert run.rc == 0, run
    assert run.changed == 0, run
    assert sent_between(lifecycle, "second") == ([], [])


def test_rotation_sends_one_post_per_domain_with_the_new_key(lifecycle):
    run = lifecycle["runs"]["rotate"]
    assert run.rc == 0, run
    before, after = lifecycle["marks"]["keys after first"], lifecycle["marks"]["keys after rotation"]
    assert before["biysk.local"] != after["biysk.local"] and before["tomsk.local"] != after["tomsk.local"]
    biysk_sent, tomsk_sent = sent_between(lifecycle, "rotate")
    assert biysk_sent == [("POST", "/api/v4/widgets/" + ECSS_WIDGET_CODE)]
    assert tomsk_sent == [("POST", "/api/v4/widgets/" + TOMSK_CODE)]
    assert posts(lifecycle["biysk"])[1]["ecss_secret"] == after["biysk.local"]
    assert posts(lifecycle["tomsk"], TOMSK_CODE)[1]["ecss_secret"] == after["tomsk.local"]
    # The diff names the changed key by fingerprint only.
    assert "ecss_secret" in run.output and "sha256:" in run.output


def test_after_rotation_site_changes_nothing(lifecycle):
    run = lifecycle["runs"]["after rotation"]
    assert run.rc == 0 and run.changed == 0, run
    assert sent_between(lifecycle, "after rotation") == ([], [])


def test_remove_switches_the_widget_off(lifecycle):
    run = lifecycle["runs"]["remove"]
    assert run.rc == 0, run
    assert sent_between(lifecycle, "remove") == ([("DELETE", "/api/v4/widgets/" + ECSS_WIDGET_CODE)],
                                                 [("DELETE", "/api/v4/widgets/" + TOMSK_CODE)])
    assert not lifecycle["biysk"].widgets[ECSS_WIDGET_CODE]["is_active_in_account"]
    assert not os.path.exists(os.path.join(lifecycle["cluster"].settings_dir, "biysk.local.amocrm_widget.json"))
    assert lifecycle["simulator"].state()["domains"]["biysk.local"]["integrations"] == {}


def test_no_token_or_key_in_any_output(lifecycle):
    secrets = [ADMIN_TOKEN, TOMSK_TOKEN] + list(lifecycle["marks"]["keys after first"].values()) \
        + list(lifecycle["marks"]["keys after rotation"].values())
    for name, run in lifecycle["runs"].items():
        assert [s[:8] for s in secrets if s in run.output] == [], name
    assert "ESTABLISH LOCAL CONNECTION" in lifecycle["runs"]["first"].output  # really -vvv


@pytest.fixture
def failing_site(tmp_path, make_simulator, make_cluster):
    """site.yml once against a fresh simulator and a fresh fake amoCRM with these variables."""
    started = []

    def run(token=ADMIN_TOKEN, domains=None, **overrides):
        biysk = start_fake(ADMIN_TOKEN, user_token=USER_TOKEN)
        tomsk = start_fake(TOMSK_TOKEN, code=TOMSK_CODE)
        started.extend([biysk, tomsk])
        simulator = make_simulator()
        cluster = make_cluster(simulator, domains=domains,
                               group_vars=amocrm_vars(biysk, tomsk, ecss_amocrm_token=token, **overrides))
        digests = cluster.nodes[0].file_digests()
        result = cluster.run(args=["-vvv"])
        assert cluster.nodes[0].file_digests() == digests, "nginx was touched"
        return result, simulator, biysk, tomsk

    yield run
    for fake in started:
        fake.stop()


def assert_nothing_sent(simulator, *fakes):
    assert simulator.commands() == []
    for fake in fakes:
        assert fake.mutating_requests() == []


def test_a_token_without_admin_rights_fails_before_cocon_is_touched(failing_site):
    run, simulator, biysk, tomsk = failing_site(token=USER_TOKEN)
    assert run.rc != 0
    assert "lacks the right to manage widgets" in run.output
    assert "account administrator (rights.is_admin)" in run.output
    assert "Check the variables before anything changes" in run.output.split("fatal:")[0]
    assert_nothing_sent(simulator, biysk, tomsk)
    assert USER_TOKEN not in run.output and ADMIN_TOKEN not in run.output


def test_a_missing_required_field_fails_before_anything_is_sent(failing_site):
    run, simulator, biysk, tomsk = failing_site(ecss_amocrm_widget_fields=dict(FIELDS, domain=None))
    assert run.rc != 0
    assert 'required field(s) missing: ecss_vpbx ("Domain", text)' in run.output
    assert_nothing_sent(simulator, biysk, tomsk)


def test_an_unknown_template_key_fails_before_anything_is_sent(failing_site):
    run, simulator, biysk, tomsk = failing_site(ecss_amocrm_widget_fields=dict(FIELDS, domain="vpbx"))
    assert run.rc != 0
    assert "unknown key(s) vpbx (the template has: ecss_client, ecss_secret" in run.output
    assert_nothing_sent(simulator, biysk, tomsk)


def test_an_unknown_amocrm_user_fails_naming_the_candidates(failing_site):
    domains = [{"name": "biysk.local", "client_id": "amocrm",
                "subscribers": [{"number": "240473", "group": "loc.gr", "amocrm_user": "Ivan Petrof"}]}]
    run, simulator, biysk, tomsk = failing_site(domains=domains)
    assert run.rc != 0
    assert "no amoCRM user has the name 'Ivan Petrof'; candidates: Ivan Petrov <ivan.petrov@example.test>" in run.output
    assert_nothing_sent(simulator, biysk, tomsk)


def run_module(fake, tmp_path, module, args, token=ADMIN_TOKEN):
    """Ad-hoc module run; the token comes from the environment, never the command line."""
    command = [os.path.join(os.path.dirname(sys.executable), "ansible"), "localhost", "-i", "localhost,",
               "-c", "local", "-e", "ansible_python_interpreter=" + sys.executable, "-m", "ecss.callapi." + module,
               "-a", json.dumps(dict(dict(base_url=fake.url, validate_certs=False), **args))]
    env = dict(os.environ, ECSS_AMOCRM_TOKEN=token, ANSIBLE_NOCOLOR="1")
    return subprocess.run(command, cwd=str(tmp_path), env=env, capture_output=True, text=True, timeout=120,
                          check=False)


@pytest.fixture
def fake():
    server = start_fake(ADMIN_TOKEN)
    yield server
    server.stop()


def test_an_ambiguous_user_fails_naming_both_and_sends_nothing(fake, tmp_path):
    fake.add_user("Ivan Petrov", "ivan.p@example.test")
    settings = {"ecss_client": "amocrm", "ecss_secret": "k" * 64, "ecss_host": "ecss.example.test", "ecss_port": "8088",
                "ecss_vpbx": "biysk.local", "ecss_phones": {"Ivan Petrov": "240473"}}
    result = run_module(fake, tmp_path, "amocrm_widget", {"code": ECSS_WIDGET_CODE, "settings": settings})
    assert result.returncode != 0
    assert "'Ivan Petrov' is ambiguous: Ivan Petrov <ivan.petrov@example.test> (id " in result.stdout
    assert "Ivan Petrov <ivan.p@example.test>" in result.stdout and "name the user by e-mail" in result.stdout
    assert fake.mutating_requests() == [] and "k" * 64 not in result.stdout
    by_email = dict(settings, ecss_phones={"ivan.p@example.test": "240473"})
    result = run_module(fake, tmp_path, "amocrm_widget", {"code": ECSS_WIDGET_CODE, "settings": by_email})
    assert result.returncode == 0, result.stdout
    assert fake.widget_posts[-1][1]["ecss_phones"] == {user_id_by_email(fake, "ivan.p@example.test"): "240473"}


def user_id_by_email(fake, email):
    return str(next(u["id"] for u in fake.users.values() if u["email"] == email))


def test_plain_http_is_refused_while_certificates_are_checked(fake, tmp_path):
    result = run_module(fake, tmp_path, "amocrm_widget_info", {"code": ECSS_WIDGET_CODE, "validate_certs": True})
    assert result.returncode != 0
    assert "is plain http://: the token would be sent unencrypted" in result.stdout
    assert fake.requests == []


def test_widget_info_finds_the_code_and_shows_no_pass_value(fake, tmp_path):
    found = run_module(fake, tmp_path, "amocrm_widget_info", {"name": "ECSS10"})
    assert found.returncode == 0, found.stdout
    assert '"code": "%s"' % ECSS_WIDGET_CODE in found.stdout
    info = run_module(fake, tmp_path, "amocrm_widget_info", {"code": ECSS_WIDGET_CODE, "users": ["Ivan Petrov"]})
    assert info.returncode == 0, info.stdout
    assert '"is_admin": true' in info.stdout and '"type": "pass"' in info.stdout
    assert '"Ivan Petrov": %s' % user_id(fake, "Ivan Petrov") in info.stdout


def test_amocrm_validation_errors_and_403_read_clearly(fake):
    """What amoCRM answers when the module's own checks are bypassed (the fake is as strict as amoCRM)."""
    from ansible_collections.ecss.callapi.plugins.module_utils import amocrm  # pylint: disable=import-outside-toplevel

    client = amocrm.AmoCRMClient(fake.url, ADMIN_TOKEN, validate_certs=False, requests_per_second=0)
    with pytest.raises(amocrm.AmoCRMError) as raised:
        client.install_widget(ECSS_WIDGET_CODE, {"ecss_client": "amocrm", "ecss_secret": 5, "ecss_phones": "240473"})
    message = str(raised.value)
    assert "HTTP 400 Bad Request: Request validation failed" in message
    assert "field ecss_secret: This value should be of type string. (InvalidType)" in message
    assert "field ecss_vpbx: This value should not be blank. (NotBlank)" in message
    assert "field ecss_phones: This value should be of type object. (InvalidType)" in message
    fake.tokens["user-token-for-403"] = 5002
    user = amocrm.AmoCRMClient(fake.url, "user-token-for-403", validate_certs=False, requests_per_second=0)
    with pytest.raises(amocrm.AmoCRMError) as raised:
        user.install_widget(ECSS_WIDGET_CODE, {})
    assert raised.value.status == 403 and user.writes == []
