"""playbooks/site.yml run the way AWX runs a job: ansible-runner on a private data directory.

What AWX would do is rebuilt here from the repository's own AWX files, so a broken file fails
the test: the CoCon login reaches the modules only through the environment that
``awx/credential_type_ecss_cocon.yml``'s injectors produce (rendered as AWX renders them),
the check-mode template's ``--check --diff``, and the survey template's extra variables
(``awx/extra_vars_add_domain.yml``) with answers to ``awx/survey_add_domain.json``.

Real parts: the CoCon simulator over SSH, nginx in the ECSS factory state, ansible-runner and
ansible-playbook. Run: ``. scripts/env.sh && cd tests/functional && python -m pytest -q test_awx_runner.py``
"""

import json
import os
import shutil
import socket
import stat
import subprocess
import sys
import tempfile

import ansible_runner
import pytest
import yaml
from jinja2.sandbox import ImmutableSandboxedEnvironment

FUNCTIONAL_DIR = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(FUNCTIONAL_DIR))
AWX_DIR = os.path.join(REPO, "awx")
TESTS_DIR = os.path.dirname(FUNCTIONAL_DIR)

FACTORY_STATE = {
    "licences": {"api\\call\\enabled": 10},
    "domains": {
        "biysk.local": {"aliases": {"240473": {"group": "loc.gr"}, "240474": {"group": "loc.gr"}}},
        "tomsk.local": {"aliases": {"700101": {"group": "sip.gr"}}},
    },
}
BIYSK = {
    "name": "biysk.local",
    "client_id": "amocrm",
    "integration_type": "widget",
    "subscribers": [
        {"number": "240473", "group": "loc.gr", "amocrm_user": "Ivan Petrov"},
        {"number": "240474", "group": "loc.gr"},
    ],
}
# What an operator types into the survey of "ECSS-10 widget: add a domain".
SURVEY_ANSWERS = {
    "ecss_survey_domain": "biysk.local",
    "ecss_survey_client_id": "amocrm",
    "ecss_survey_integration_type": "widget",
    "ecss_survey_subscribers": '- {number: "240473", group: loc.gr, amocrm_user: Ivan Petrov}\n'
                               '- {number: "240474", group: loc.gr}\n',
    "ecss_call_api_public_host": "",
}


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def load_yaml(name):
    with open(os.path.join(AWX_DIR, name), encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def inject_credential(credential_type, inputs, private_data_dir):
    """The environment AWX gives a job for a credential of ``credential_type``.

    Mirrors CredentialType.inject_credential of AWX: fields left empty are absent from the
    template namespace, booleans default to false, each ``file`` injector is rendered into a
    0600 file under ``env/`` whose path is ``tower.filename[.<name>]``, and every template is
    rendered by Jinja's immutable sandbox.
    """
    class Namespace:
        pass

    tower = Namespace()
    namespace = {"tower": tower}
    for field in credential_type["inputs"]["fields"]:
        value = inputs.get(field["id"])
        if field["type"] == "boolean":
            namespace[field["id"]] = bool(value)
        elif value:
            namespace[field["id"]] = value
    sandbox = ImmutableSandboxedEnvironment()
    injectors = credential_type["injectors"]
    for label, template in injectors.get("file", {}).items():
        fd, path = tempfile.mkstemp(dir=os.path.join(private_data_dir, "env"))
        with os.fdopen(fd, "w") as handle:
            handle.write(sandbox.from_string(template).render(**namespace))
        os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)
        if "." not in label:
            tower.filename = path
        else:
            if not hasattr(tower, "filename"):
                tower.filename = Namespace()
            setattr(tower.filename, label.split(".", 1)[1], path)
    return {name: sandbox.from_string(template).render(**namespace)
            for name, template in injectors.get("env", {}).items()}


# The two kinds of AWX project docs/awx.md describes, as a project sync leaves them in project/:
# this repository (job template playbook playbooks/site.yml), or the small site project of
# awx/project/ whose site.yml imports ecss.callapi.site from the collection.
COLLECTION_PROJECT = (os.path.join(REPO, "playbooks"), "playbooks", "playbooks/site.yml")
SITE_PROJECT = (os.path.join(AWX_DIR, "project"), "", "site.yml")


def prepare_job(private_data_dir, inventory, extravars, credential_type, credential_inputs, cmdline=None,
                project=COLLECTION_PROJECT):
    """A fresh private data directory per job, as AWX makes one: project/, inventory/, env/.

    The credential's injectors are rendered for this job alone.
    """
    for sub in ("inventory", "env"):
        os.makedirs(os.path.join(private_data_dir, sub))
    source, destination, _playbook = project
    shutil.copytree(source, os.path.join(private_data_dir, "project", destination))
    with open(os.path.join(private_data_dir, "inventory", "hosts"), "w", encoding="utf-8") as handle:
        yaml.safe_dump(inventory, handle)
    with open(os.path.join(private_data_dir, "env", "extravars"), "w", encoding="utf-8") as handle:
        yaml.safe_dump(extravars, handle)
    envvars = inject_credential(credential_type, credential_inputs, private_data_dir)
    # AWX points this at the execution environment's collections; here: this checkout as ecss.callapi.
    envvars["ANSIBLE_COLLECTIONS_PATH"] = os.environ["ANSIBLE_COLLECTIONS_PATH"]
    envvars.update(ANSIBLE_NOCOLOR="1", ANSIBLE_DEPRECATION_WARNINGS="false")
    fd = os.open(os.path.join(private_data_dir, "env", "envvars"), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        yaml.safe_dump(envvars, handle)
    with open(os.path.join(private_data_dir, "env", "settings"), "w", encoding="utf-8") as handle:
        yaml.safe_dump({"job_timeout": 240, "suppress_ansible_output": True}, handle)
    if cmdline:
        with open(os.path.join(private_data_dir, "env", "cmdline"), "w", encoding="utf-8") as handle:
            handle.write(cmdline)
    return envvars


class Job:
    """One ansible-runner run, read back the way AWX reads a job: events, stats, artifact_data."""

    def __init__(self, private_data_dir, runner, envvars):
        self.private_data_dir = private_data_dir
        self.envvars = envvars
        self.status = runner.status
        self.rc = runner.rc
        self.events = list(runner.events)
        self.stdout = runner.stdout.read()
        stats = [event for event in self.events if event.get("event") == "playbook_on_stats"]
        self.stats = stats[-1]["event_data"] if stats else {}
        self.artifact_data = self.stats.get("artifact_data", {})

    def total(self, counter):
        return sum(self.stats.get(counter, {}).values())

    def __repr__(self):
        return "Job(status=%s, rc=%s)\n%s" % (self.status, self.rc, self.stdout[-6000:])


def run_job(private_data_dir, *prepare_args, **prepare_kwargs):
    envvars = prepare_job(private_data_dir, *prepare_args, **prepare_kwargs)
    playbook = prepare_kwargs.get("project", COLLECTION_PROJECT)[2]
    runner = ansible_runner.run(private_data_dir=private_data_dir, playbook=playbook, ident="job", quiet=True)
    return Job(private_data_dir, runner, envvars)


def files_under(top):
    for root, _dirs, names in os.walk(top):
        for name in names:
            path = os.path.join(root, name)
            if not os.path.islink(path):
                yield path


def read_bytes(path):
    with open(path, "rb") as handle:
        return handle.read()


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def factory_nginx(tmp_path):
    """nginx in the ECSS factory state (self-signed certificate) from a prefix under tmp_path."""
    prefix = str(tmp_path / "nginx")
    command = [sys.executable, "-m", "nginx_factory"]
    env = dict(os.environ, PYTHONPATH=TESTS_DIR + os.pathsep + os.environ.get("PYTHONPATH", ""))
    started = subprocess.run(command + ["start", "--prefix", prefix, "--port", str(free_port()),
                                        "--server-name", "node1", "--ipv6", "no"],
                             env=env, capture_output=True, text=True, timeout=60, check=False)
    assert started.returncode == 0, started.stdout + started.stderr
    try:
        yield json.loads(started.stdout)
    finally:
        subprocess.run(command + ["stop", "--prefix", prefix], env=env, capture_output=True, timeout=60, check=False)


def test_site_through_ansible_runner_like_awx(make_simulator, factory_nginx, tmp_path, monkeypatch):
    simulator = make_simulator(initial_state=FACTORY_STATE)
    # The credential, and nothing else, must get the login to the modules.
    for name in list(os.environ):
        if name.startswith("ECSS_COCON_"):
            monkeypatch.delenv(name)

    jobs_dir = tmp_path / "awx-jobs"
    # Where a persistent volume would be mounted into the execution environment (docs/awx.md).
    settings_dir = str(tmp_path / "persistent-volume" / "widget-settings")
    with open(simulator.known_hosts_path, encoding="utf-8") as handle:
        known_hosts = handle.read()
    credential_type = load_yaml("credential_type_ecss_cocon.yml")
    credential_inputs = {
        "host": simulator.host, "port": str(simulator.port), "username": simulator.user,
        "password": simulator.password, "known_hosts": known_hosts,
        # host_key_policy left empty: the injector must fall back to strict.
    }
    nginx = factory_nginx
    inventory = {"all": {"children": {"ecss": {
        "hosts": {"node1": dict(
            nginx["role_vars"],
            ansible_host="127.0.0.1", ansible_connection="local", ansible_python_interpreter=sys.executable,
        )},
        "vars": {"ecss_widget_settings_dir": settings_dir, "ecss_domains": [BIYSK]},
    }}}}

    # 1. The check-mode job template (job type "check", diff on): nothing on the switch changes.
    check = run_job(str(jobs_dir / "1-check"), inventory, {}, credential_type, credential_inputs,
                    cmdline="--check --diff")
    assert check.status == "successful" and check.rc == 0, check
    assert check.envvars["ECSS_COCON_HOST_KEY_POLICY"] == "strict"
    assert check.envvars["ECSS_COCON_PASSWORD"] == simulator.password
    known_hosts_file = check.envvars["ECSS_COCON_KNOWN_HOSTS"]
    assert known_hosts_file.startswith(os.path.join(check.private_data_dir, "env") + os.sep)
    assert read_bytes(known_hosts_file).decode() == known_hosts and mode(known_hosts_file) == 0o600
    assert simulator.state()["domains"]["biysk.local"]["integrations"] == {}
    assert not os.path.exists(os.path.join(settings_dir, "biysk.local.json"))
    assert check.artifact_data["ecss_widget_settings"]["biysk.local"]["client_id"] == "amocrm"
    read_only = ("/list", "/info")
    assert all(command.split()[0].endswith(read_only) for command in simulator.commands()), simulator.commands()

    # 2. The run job template.
    first = run_job(str(jobs_dir / "2-run"), inventory, {}, credential_type, credential_inputs)
    assert first.status == "successful" and first.rc == 0, first
    assert first.total("changed") > 0 and first.total("failures") == 0, first
    integration = simulator.state()["domains"]["biysk.local"]["integrations"]["amocrm"]
    api_key = integration["key"]
    assert len(api_key) == 64 and integration["type"] == "widget"
    published = first.artifact_data["ecss_widget_settings"]["biysk.local"]
    assert published["client_id"] == "amocrm" and published["domain"] == "biysk.local"
    assert published["api_key"] == api_key[:4] + "*" * 8 + api_key[-4:]
    assert published["call_api_port"] == nginx["port"] and published["call_api_host"] == "127.0.0.1"
    assert published["users"] == [{"name": "Ivan Petrov", "phone": "240473"}, {"name": None, "phone": "240474"}]
    assert published["settings_files"] == [os.path.join(settings_dir, "biysk.local.json"),
                                           os.path.join(settings_dir, "biysk.local.yml")]
    with open(os.path.join(settings_dir, "biysk.local.json"), encoding="utf-8") as handle:
        written = json.load(handle)
    assert written["api_key"] == api_key and written["client_id"] == "amocrm"
    aliases = simulator.state()["domains"]["biysk.local"]["aliases"]
    assert all(aliases[number]["properties"]["api\\call\\enabled"] == "true" for number in ("240473", "240474"))

    # 3. Again, this time through the survey template of the site project: its extra variables must
    # turn the answers into exactly the inventory's domain, so nothing is left to change.
    survey = load_json("survey_add_domain.json")
    assert {question["variable"] for question in survey["spec"]} == set(SURVEY_ANSWERS)
    survey_vars = dict(load_yaml("extra_vars_add_domain.yml"), **SURVEY_ANSWERS)
    again = run_job(str(jobs_dir / "3-survey"), inventory, survey_vars, credential_type, credential_inputs,
                    project=SITE_PROJECT)
    assert again.status == "successful" and again.rc == 0, again
    with open(os.path.join(again.private_data_dir, "artifacts", "job", "command"), encoding="utf-8") as handle:
        assert json.load(handle)["command"][-1] == "site.yml"
    assert again.total("changed") == 0, again
    assert again.artifact_data == first.artifact_data
    assert simulator.state()["domains"]["biysk.local"]["integrations"]["amocrm"]["key"] == api_key

    # Settings files: the only place the key is written, owner-only.
    settings_files = sorted(os.listdir(settings_dir))
    assert settings_files == ["biysk.local.json", "biysk.local.yml"]
    for name in settings_files:
        assert mode(os.path.join(settings_dir, name)) == 0o600, name
    assert mode(settings_dir) == 0o700

    # No secret in what AWX keeps of a job (events, stdout, artifacts) nor anywhere else in the
    # private data directories. The password sits only in the job's inputs AWX itself writes
    # (env/envvars) and in ansible-runner's record of the environment (artifacts/job/command),
    # both owner-only; AWX deletes the directory after the job.
    secrets = {"CoCon password": simulator.password, "API key": api_key}
    password_holders = set()
    for job in (check, first, again):
        for label, secret in secrets.items():
            assert secret not in job.stdout, (label, job)
            assert secret not in json.dumps(job.events), label
        password_holders |= {os.path.join(job.private_data_dir, "env", "envvars"),
                             os.path.join(job.private_data_dir, "artifacts", "job", "command")}
    scanned = []
    for path in files_under(str(jobs_dir)):
        content = read_bytes(path)
        scanned.append(path)
        for label, secret in secrets.items():
            if path in password_holders and label == "CoCon password":
                continue
            assert secret.encode() not in content, "%s found in %s" % (label, path)
    for path in password_holders:
        assert simulator.password.encode() in read_bytes(path) and mode(path) == 0o600, path
    assert len([path for path in scanned if "/job_events/" in path]) > 3 * 40


def load_json(name):
    with open(os.path.join(AWX_DIR, name), encoding="utf-8") as handle:
        return json.load(handle)
