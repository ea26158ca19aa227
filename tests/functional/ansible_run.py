"""Run real ``ansible-playbook`` against the simulator and read the recap."""

import json
import os
import re
import subprocess
import sys
import tempfile

FUNCTIONAL_DIR = os.path.dirname(os.path.abspath(__file__))
PLAYBOOKS = os.path.join(FUNCTIONAL_DIR, "playbooks")
_RECAP_RE = re.compile(r"^\S+\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)


class PlaybookRun:
    def __init__(self, completed):
        self.rc = completed.returncode
        self.stdout = completed.stdout
        self.stderr = completed.stderr
        self.output = completed.stdout + completed.stderr
        # Summed over the hosts of the PLAY RECAP.
        hosts = [[int(n) for n in match] for match in _RECAP_RE.findall(self.stdout.split("PLAY RECAP")[-1])]
        self.ok, self.changed, self.unreachable, self.failed = (
            [sum(column) for column in zip(*hosts)] if hosts else (None,) * 4)

    def __repr__(self):
        return "PlaybookRun(rc=%s, changed=%s, failed=%s)\n%s" % (self.rc, self.changed, self.failed, self.output[-6000:])


def run_playbook(playbook, simulator=None, extra_vars=None, args=(), env=None, timeout=300):
    """``ansible-playbook`` on localhost (local connection) with the simulator's ECSS_COCON_* environment.

    The password reaches the modules through the environment, never the command line.
    """
    path = playbook if os.path.isabs(playbook) else os.path.join(PLAYBOOKS, playbook)
    command = ["ansible-playbook", "-i", "localhost,", "-c", "local",
               "-e", "ansible_python_interpreter=%s" % sys.executable, path]
    # Extra vars go in a JSON file: it keeps types (lists, numbers) and keeps values off the command line.
    fd, vars_path = tempfile.mkstemp(prefix="ecss-vars-", suffix=".json")
    with os.fdopen(fd, "w") as handle:
        json.dump(extra_vars or {}, handle)
    command += ["-e", "@" + vars_path] + list(args)
    environment = dict(os.environ, ANSIBLE_RETRY_FILES_ENABLED="false", ANSIBLE_NOCOLOR="1",
                       ANSIBLE_FORCE_COLOR="0", ANSIBLE_DEPRECATION_WARNINGS="false")
    if simulator is not None:
        environment.update(simulator.connection_env())
    environment.update(env or {})
    try:
        return PlaybookRun(subprocess.run(command, env=environment, capture_output=True, text=True, timeout=timeout,
                                          check=False))
    finally:
        os.unlink(vars_path)
