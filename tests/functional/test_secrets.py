"""No API key or password in -vvv / --diff / check-mode output, even without no_log."""

from ansible_run import run_playbook


def secrets_of(simulator):
    keys = [i["key"] for d in simulator.state()["domains"].values() for i in d["integrations"].values()]
    return keys


def test_no_secret_in_verbose_output(simulator):
    wrong_password = "Wr0ng-" + simulator.password[::-1]
    seen_keys = set()
    outputs = []
    for args in (["-vvv", "--diff"], ["-vvv", "--diff"], ["-vvv", "--check", "--diff"]):
        run = run_playbook("secrets.yml", simulator, {"wrong_password": wrong_password}, args)
        assert run.rc == 0, run
        outputs.append(run.output)
        seen_keys.update(secrets_of(simulator))
    # amocrm's key was created once and read back afterwards, never regenerated
    assert simulator.commands().count("/domain/biysk.local/integrations/add amocrm") == 1
    # amocrm's key, and every key 'second' had on each of the runs
    assert len(seen_keys) >= 1
    everything = "\n".join(outputs)
    assert "censored" in everything and "api_key_fingerprint" in everything
    for key in seen_keys:
        assert key not in everything
        assert key[:24] not in everything
    assert simulator.password not in everything
    assert wrong_password not in everything
