"""Secrets audit: site.yml with -vvv, --diff and check mode, key rotations (one that fails midway),
remove.yml (a refused and a real one), call_history.yml with its amoCRM secrets, failed runs and
ansible-runner.

Every byte the runs leave behind (output, job events and artifacts, .retry files, the
Ansible log, the simulator's and nginx's logs, the widget settings directory aside) is
searched for every API key, password, amoCRM token and TLS private key involved; none may
appear. Meanwhile every process's command line is sampled: no secret may be on one. Files
that hold secrets must be 0600.

The runs install the ECSS-10 widget in a fake amoCRM account too (ecss.callapi.amocrm_widget
with the integration's key in a ``pass`` field): the amoCRM token comes from the
environment (ECSS_AMOCRM_TOKEN, as an AWX credential injects it), never from a file.
"""

import os
import re
import threading

import pytest

from fake_amocrm import FakeAmoCRM
from fake_amocrm.server import ECSS_WIDGET_CODE
from site_cluster import SiteCluster

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ROTATE = os.path.join(ROOT, "playbooks", "rotate_keys.yml")
REMOVE = os.path.join(ROOT, "playbooks", "remove.yml")
CALL_HISTORY = os.path.join(ROOT, "playbooks", "call_history.yml")
AMOCRM_TOKEN = "lltoken-audit-" + "5e7a9c2e" * 4
AMOCRM_USER_TOKEN = "amo-audit-user-0e2d4c6b8a9f7e5d3c1b2a4f"
AMOCRM_USER_HASH = "userhash-audit-0d9e8f7a6b5c4d3e"
WIDGET_FIELDS = {"client_id": "ecss_client", "api_key": "ecss_secret", "call_api_host": "ecss_host",
                 "call_api_port": "ecss_port", "domain": "ecss_vpbx", "users": "ecss_phones"}


class CommandLineWatch(object):
    """Samples /proc/*/cmdline every few milliseconds while the runs go on."""

    def __init__(self, interval=0.02):
        self.interval = interval
        self.seen = set()
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc_info):
        self._stop.set()
        self._thread.join()

    def _watch(self):
        while not self._stop.is_set():
            for pid in os.listdir("/proc"):
                if not pid.isdigit():
                    continue
                try:
                    with open("/proc/%s/cmdline" % pid, "rb") as handle:
                        self.seen.add(handle.read().replace(b"\0", b" ").decode("utf-8", "replace"))
                except OSError:
                    pass
            self.samples += 1
            self._stop.wait(self.interval)


def private_key_lines(path):
    """The base64 body lines of a PEM private key that are secret: any one of them showing up is a leak.

    An EC key's PEM ends with its public point, which the certificate info legitimately shows,
    so lines that also occur in the public key's PEM do not count.
    """
    from cryptography.hazmat.primitives import serialization

    with open(path, "rb") as handle:
        pem = handle.read()
    public = serialization.load_pem_private_key(pem, password=None).public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode("ascii")
    public_body = "".join(line for line in public.splitlines() if not line.startswith("-----"))
    lines = [line.strip() for line in pem.decode("ascii").splitlines() if line.strip() and not line.startswith("-----")]
    return [line for line in lines if line not in public_body and line not in public]


@pytest.fixture(scope="module")
def audited(tmp_path_factory):
    """Run everything once; hand the tests the secrets, the bytes left behind and the command lines."""
    from cocon_simulator.harness import Simulator
    from cocon_simulator.model import factory_state

    import ansible_runner

    root = tmp_path_factory.mktemp("secrets-audit")
    retry_dir, log_path = root / "retry", root / "ansible.log"
    retry_dir.mkdir()
    env = {"ANSIBLE_RETRY_FILES_ENABLED": "true", "ANSIBLE_RETRY_FILES_SAVE_PATH": str(retry_dir),
           "ANSIBLE_LOG_PATH": str(log_path)}
    amocrm = FakeAmoCRM(AMOCRM_TOKEN, user_token=AMOCRM_USER_TOKEN, legacy_login="ops@example.com",
                        legacy_hash=AMOCRM_USER_HASH).start()
    amocrm.add_widget()
    amocrm.add_widget("ecss10_tomsk")  # one account, a widget per domain
    amocrm.add_user("Ivan Petrov", "ivan.petrov@example.test")
    env["ECSS_AMOCRM_TOKEN"] = AMOCRM_TOKEN
    with Simulator(workdir=root / "simulator") as simulator:
        cluster = SiteCluster(root / "cluster", simulator, group_vars={
            "ecss_amocrm_base_url": amocrm.url, "ecss_amocrm_validate_certs": False,
            "ecss_amocrm_widget_code": ECSS_WIDGET_CODE, "ecss_amocrm_widget_fields": WIDGET_FIELDS,
            "ecss_amocrm_accounts": {"tomsk.local": {"widget_code": "ecss10_tomsk"}}})
        os.makedirs(cluster.root, exist_ok=True)
        cluster.start()
        keys, main_keys, outputs = set(), set(), {}
        wrong_password = "Wr0ng-" + simulator.password[::-1]
        # A second console (same password) for the runs that fail midway or remove everything;
        # their settings go to a directory of their own.
        second_state = factory_state()
        second_state["domains"]["biysk.local"]["integrations"] = {"amocrm": {}}
        second_state["domains"]["tomsk.local"]["integrations"] = {"amocrm-tomsk": {"type": "widget"}}
        second = Simulator(workdir=root / "simulator-2", password=simulator.password, initial_state=second_state).start()
        second_settings = root / "settings-2"
        call_history_settings = root / "settings-call-history"
        env.update(AUDIT_AMOCRM_TOKEN=AMOCRM_TOKEN, AUDIT_AMOCRM_USER_HASH=AMOCRM_USER_HASH)

        def note_keys():
            for console in (simulator, second):
                for domain in console.state()["domains"].values():
                    keys.update(i["key"] for i in domain["integrations"].values())
                    if console is simulator:
                        main_keys.update(i["key"] for i in domain["integrations"].values())

        def on_second(drop_after=None, **extra_vars):
            """Extra vars that point a run at the second console, restarted with the given fault."""
            second.stop()
            second.knobs["drop_after"] = drop_after
            second.start()
            return dict(extra_vars, ecss_cocon_port=second.port, ecss_cocon_known_hosts=second.known_hosts_path,
                        ecss_widget_settings_dir=str(second_settings))

        call_history_vars = {
            "ecss_widget_settings_dir": str(call_history_settings),
            "ecss_amocrm_base_url": amocrm.url, "ecss_amocrm_validate_certs": False,
            "ecss_amocrm_legacy_login": "ops@example.com",
            # Secrets from the environment: the extra-vars file in the audited tree holds none.
            "ecss_amocrm_token": "{{ lookup('ansible.builtin.env', 'AUDIT_AMOCRM_TOKEN') }}",
            "ecss_amocrm_legacy_user_hash": "{{ lookup('ansible.builtin.env', 'AUDIT_AMOCRM_USER_HASH') }}",
        }
        mistyped = [dict(cluster.group_vars["ecss_domains"][0], client_id="amocmr")]

        try:
            with CommandLineWatch() as watch:
                note_keys()
                for name, playbook, args, extra_env, extra_vars in (
                        ("check before anything exists", None, ["-vvv", "--check", "--diff"], {}, None),
                        ("first run", None, ["-vvv", "--diff"], {}, None),
                        ("check after", None, ["-vvv", "--check", "--diff"], {}, None),
                        # list, list (checks), list + replace per domain: tomsk.local's replace is dropped
                        ("key rotation failing midway", ROTATE, ["-vvv", "--diff"], {}, lambda: on_second(6)),
                        ("remove with a mistyped client id", REMOVE, ["-vvv", "--diff"], {},
                         lambda: on_second(ecss_domains=mistyped)),
                        ("remove", REMOVE, ["-vvv", "--diff"], {}, on_second),
                        ("key rotation", ROTATE, ["-vvv", "--diff"], {}, None),
                        ("call history", CALL_HISTORY, ["-vvv", "--diff"], {}, lambda: call_history_vars),
                        ("wrong password", None, ["-vvv"], {"ECSS_COCON_PASSWORD": wrong_password}, None),
                        ("amoCRM user token", None, ["-vvv", "--diff"], {"ECSS_AMOCRM_TOKEN": AMOCRM_USER_TOKEN},
                         None)):
                    run = cluster.run(playbook or cluster_site(), extra_vars=extra_vars() if extra_vars else None,
                                      args=args, env=dict(env, **extra_env))
                    outputs[name] = run
                    note_keys()
                runner_dir = root / "runner"
                (runner_dir / "project").mkdir(parents=True)
                environment = cluster.environment(env)
                # ansible-runner writes its envvars argument to env/envvars in clear text, so the
                # password travels in the runner process's own environment, as AWX's credential
                # injection keeps it out of the job's files.
                injected = {"ECSS_COCON_PASSWORD": simulator.password, "ECSS_AMOCRM_TOKEN": AMOCRM_TOKEN}
                saved = dict((name, os.environ.get(name)) for name in injected)
                os.environ.update(injected)
                try:
                    runner = ansible_runner.run(
                        private_data_dir=str(runner_dir), playbook=cluster_site(), inventory=cluster.inventory,
                        envvars=dict((k, v) for k, v in environment.items()
                                     if k.startswith(("ECSS_", "ANSIBLE_")) and k not in injected),
                        cmdline="-vvv --diff", quiet=True)
                finally:
                    for name, value in saved.items():
                        if value is None:
                            del os.environ[name]
                        else:
                            os.environ[name] = value
                runner_events = list(runner.events)
                note_keys()
            tls_key_lines = private_key_lines(cluster.nodes[0].path("ssl", "call_api.key"))
            yield dict(cluster=cluster, simulator=simulator, second=second, keys=keys, main_keys=main_keys,
                       outputs=outputs, runner=runner, runner_events=runner_events, runner_dir=runner_dir, root=root,
                       retry_dir=retry_dir,
                       log_path=log_path, watch=watch, wrong_password=wrong_password, tls_key_lines=tls_key_lines,
                       second_settings=second_settings, call_history_settings=call_history_settings, amocrm=amocrm,
                       secrets=sorted(keys) + [simulator.password, wrong_password, AMOCRM_TOKEN, AMOCRM_USER_TOKEN,
                                               AMOCRM_USER_HASH] + tls_key_lines)
        finally:
            cluster.stop()
            second.stop()
            amocrm.stop()


def cluster_site():
    return os.path.join(ROOT, "playbooks", "site.yml")


def leaks(text, secrets):
    """Where each leaked secret shows, with the secret itself masked, for the failure message."""
    found = []
    for secret in secrets:
        at = text.find(secret) if secret else -1
        if at != -1:
            found.append(text[max(0, at - 300):at].replace(secret, "<SECRET>") + "<SECRET " + secret[:4] + "...>")
    return found


def test_the_runs_did_what_they_should(audited):
    outputs = audited["outputs"]
    for name in ("check before anything exists", "first run", "check after", "key rotation", "remove", "call history"):
        assert outputs[name].rc == 0, (name, outputs[name])
    assert outputs["first run"].changed > 0 and outputs["check after"].changed == 0
    assert "Rotated, new key already in its settings files: biysk.local" in outputs["key rotation failing midway"].output
    assert "records 'amocrm' - a typo?" in outputs["remove with a mistyped client id"].output
    assert audited["second"].state()["domains"]["biysk.local"]["integrations"] == {}
    assert audited["amocrm"].requests, "call_history.yml did not talk to the fake amoCRM"
    wrong = outputs["wrong password"]
    assert wrong.rc != 0 and "rejected the login" in wrong.output
    assert outputs["amoCRM user token"].rc != 0 and "lacks the right to manage widgets" in outputs["amoCRM user token"].output
    # The widget got each domain's key, then each rotated key: one POST each, nothing more (the
    # runs on the second console fail before the widget step or leave the widget alone).
    posted = [body["ecss_secret"] for _code, body in audited["amocrm"].widget_posts]
    assert len(posted) == 4 and set(posted) == audited["main_keys"]
    assert audited["runner"].rc == 0 and audited["runner"].status == "successful"
    # Two domains keyed at the first run and again by the rotation; on the second console two
    # initial keys and biysk.local's rotated one.
    assert len(audited["keys"]) == 7
    assert len(audited["tls_key_lines"]) >= 2


def test_no_secret_in_any_output_or_job_event(audited):
    secrets = audited["secrets"]
    for name, run in audited["outputs"].items():
        assert not leaks(run.output, secrets), name
    for event in audited["runner_events"]:
        assert not leaks(repr(event), secrets), event.get("event")
    assert audited["runner_events"], "ansible-runner produced no job events"


def test_no_secret_in_any_file_left_behind(audited):
    """Artifacts, .retry files, the Ansible log, the simulator's and nginx's logs."""
    root = audited["root"]
    holding_secrets = (audited["cluster"].settings_dir, str(audited["second_settings"]),
                       str(audited["call_history_settings"]))
    secrets = [s.encode() for s in audited["secrets"]]
    searched = []
    for directory, _dirs, files in os.walk(str(root)):
        for name in files:
            path = os.path.join(directory, name)
            # Files whose job is to hold a secret: the widget settings, TLS keys, the simulator's state.
            if path.startswith(holding_secrets) or name.endswith(".key") or name == "state.json":
                continue
            if os.path.islink(path) or not os.path.isfile(path):
                continue
            if name == "command" and os.path.basename(os.path.dirname(os.path.dirname(path))) == "artifacts":
                # ansible-runner records the job's whole environment here, whatever the playbook does
                # (AWX-style credentials included): owner-only, like AWX's private data dir.
                assert oct(os.stat(path).st_mode & 0o777) == "0o600", path
                assert oct(os.stat(directory).st_mode & 0o777) == "0o700", directory
                continue
            with open(path, "rb") as handle:
                content = handle.read()
            assert not [s[:6] for s in secrets if s in content], path
            searched.append(os.path.relpath(path, str(root)))
    assert any(p.startswith("retry") and p.endswith(".retry") for p in searched), searched
    assert "ansible.log" in searched and os.path.getsize(str(audited["log_path"])) > 10000
    assert any("job_events" in p for p in searched), searched
    assert any(p.endswith("simulator.log") or p.endswith("commands.jsonl") for p in searched)
    assert any(re.search(r"logs/(error|access)\.log$", p) for p in searched), searched


def test_no_secret_on_any_command_line(audited):
    watch = audited["watch"]
    assert watch.samples > 50
    assert any("ansible-playbook" in line for line in watch.seen)
    # Modules' own processes were seen too (AnsiballZ payloads run as python processes).
    assert any("AnsiballZ" in line or "ansible" in line for line in watch.seen)
    offending = [line[:80] for line in watch.seen for secret in audited["secrets"] if secret in line]
    assert offending == []


def test_files_holding_secrets_are_0600(audited):
    cluster = audited["cluster"]
    settings = sorted(os.listdir(cluster.settings_dir))
    assert settings == ["biysk.local.amocrm_widget.json", "biysk.local.json", "biysk.local.yml",
                        "tomsk.local.amocrm_widget.json", "tomsk.local.json", "tomsk.local.yml"]
    for name in settings:
        assert oct(os.stat(os.path.join(cluster.settings_dir, name)).st_mode & 0o777) == "0o600", name
    assert oct(os.stat(cluster.settings_dir).st_mode & 0o777) == "0o700"
    for directory in (audited["second_settings"], audited["call_history_settings"]):
        assert oct(os.stat(str(directory)).st_mode & 0o777) == "0o700"
        for name in os.listdir(str(directory)):
            assert oct(os.stat(str(directory / name)).st_mode & 0o777) == "0o600", name
    assert sorted(os.listdir(str(audited["second_settings"]))) == ["biysk.local.removed.json", "tomsk.local.removed.json"]
    assert sorted(os.listdir(str(audited["call_history_settings"]))) == [
        "biysk.local.call_history.md", "biysk.local.call_history.yml",
        "tomsk.local.call_history.md", "tomsk.local.call_history.yml"]
    with open(str(audited["call_history_settings"] / "biysk.local.call_history.yml")) as handle:
        assert AMOCRM_TOKEN in handle.read()  # the operator's copy: it is what the IVR needs
    for node in cluster.nodes:
        assert oct(os.stat(node.path("ssl", "call_api.key")).st_mode & 0o777) == "0o600"
    assert oct(os.stat(audited["simulator"].state_path).st_mode & 0o777) == "0o600"
    # The settings carry the key the switch has now, after the rotation.
    state = audited["simulator"].state()["domains"]
    assert cluster.settings("biysk.local")["api_key"] == state["biysk.local"]["integrations"]["amocrm"]["key"]
