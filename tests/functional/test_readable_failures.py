"""What integration tasks show (issue 13, finding 8): a failure's reason in the task result itself,
as AWX job events carry it; a key-holding result without the key; a key-less result whole.

Runs through ansible-runner, as AWX does, on whichever ansible-core the venv holds (make matrix
runs it on 2.16 to 2.19).
"""

import hashlib
import os

import ansible_runner

from ansible_run import PLAYBOOKS


def events_of(simulator, tmp_path):
    key_file = tmp_path / "key"
    (tmp_path / "runner").mkdir()
    saved = dict(os.environ)
    # The password reaches the run through the runner's own environment (as AWX injects credentials),
    # never through env/envvars, which ansible-runner writes in clear text.
    os.environ.update(simulator.connection_env())
    try:
        runner = ansible_runner.run(
            private_data_dir=str(tmp_path / "runner"), playbook=os.path.join(PLAYBOOKS, "readable.yml"),
            inventory="localhost ansible_connection=local ansible_python_interpreter=%s" % os.sys.executable,
            extravars={"key_file": str(key_file)}, cmdline="-v", quiet=True)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return runner, list(runner.events), key_file.read_text() if key_file.exists() else None


def task_events(events, name):
    return [e for e in events if e.get("event") in ("runner_on_ok", "runner_on_failed")
            and e["event_data"].get("task") == name]


def test_failure_reason_key_and_keyless_results_as_the_job_events_show_them(simulator, tmp_path):
    runner, events, key = events_of(simulator, tmp_path)
    assert runner.rc == 0, runner.stdout.read()[-3000:]
    assert key and len(key) == 64
    stdout = "\n".join(e.get("stdout", "") for e in events)

    (failed,) = task_events(events, "Integration in a domain CoCon does not know")
    assert failed["event"] == "runner_on_failed"
    result = failed["event_data"]["res"]
    assert "censored" not in result
    assert result["msg"] == ("CoCon refused '/domain/nosuch.local/integrations/list': "
                             "Command error: Domain nosuch.local does not exist")
    assert result["failed_command"] == "/domain/nosuch.local/integrations/list"

    (removed,) = task_events(events, "Removal (its result holds no key)")
    result = removed["event_data"]["res"]
    assert "censored" not in result and result["changed"] is True
    assert result["commands"] == ["/domain/biysk.local/integrations/remove amocrm"]

    (created,) = task_events(events, "Integration (its result holds the key)")
    result = created["event_data"]["res"]
    assert "censored" in result and key not in repr(result)
    fingerprint = "sha256:" + hashlib.sha256(key.encode()).hexdigest()[:16]
    shown = [line for line in stdout.splitlines() if "result without the API key" in line]
    assert len(shown) == 1, stdout[-3000:]
    assert '"commands": ["/domain/biysk.local/integrations/add amocrm"]' in shown[0]
    assert '"api_key_fingerprint": "%s"' % fingerprint in shown[0]
    assert '"changed": true' in shown[0]

    assert key not in stdout and key not in repr(events)
    assert simulator.password not in stdout and simulator.password not in repr(events)
