"""Start the simulator as a subprocess for tests, the demo and benchmarks.

    with Simulator(latency_ms=20) as sim:
        client.connect(sim.host, sim.port, sim.user, sim.password)
        ...
        assert sim.commands() == [...]
"""

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

from cocon_simulator import dialects, model, persistence
from cocon_simulator.__main__ import PASSWORD_ENV
from cocon_simulator.server import SHELL_BEHAVIOURS

_TESTS_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class SimulatorError(RuntimeError):
    pass


class Simulator:
    """A running CoCon simulator on a free port, with its files in ``workdir``.

    Every option of ``python -m cocon_simulator`` is a keyword here. ``dialect`` takes
    ``"a,b"`` or a list of names (see dialects.py); an unknown name fails here, before the
    process starts. ``latency_ms`` None leaves the dialect's latency. ``initial_state``
    (a dict in the state-file shape; gaps are filled, see model.normalize_state) replaces
    the factory state. ``state()`` holds every change answered so far, whatever
    ``write_delay`` (None: the simulator's default). ``shell``: ``"served"``, ``"refused"`` or
    ``"silent"`` (see ``--shell``). ``rendezvous``: ``(count, prefix)``, see ``--rendezvous``.
    The password is random unless given, and reaches the subprocess through its environment,
    never its command line.
    """

    def __init__(
        self,
        *,
        initial_state=None,
        user="admin",
        password=None,
        dialect=None,
        latency_ms=None,
        locked_rate=0.0,
        seed=None,
        drop_after=None,
        refuse_login=False,
        rendezvous=None,
        shell="served",
        write_delay=None,
        workdir=None,
        host="127.0.0.1",
        port=0,
        startup_timeout=20.0,
    ):
        self.host = host
        self.port = port
        self.user = user
        self.password = password if password is not None else secrets.token_urlsafe(16)
        self.dialect = dialects.resolve(dialect)
        if shell not in SHELL_BEHAVIOURS:
            raise SimulatorError("shell must be one of %s, not %r" % (", ".join(SHELL_BEHAVIOURS), shell))
        self.knobs = {
            "latency_ms": latency_ms,
            "locked_rate": locked_rate,
            "seed": seed,
            "drop_after": drop_after,
            "refuse_login": refuse_login,
            "rendezvous": rendezvous,
            "shell": shell,
            "write_delay": write_delay,
        }
        self.startup_timeout = startup_timeout
        self._own_workdir = workdir is None
        self.workdir = str(workdir) if workdir else tempfile.mkdtemp(prefix="cocon-sim-")
        os.makedirs(self.workdir, exist_ok=True)
        self.state_path = os.path.join(self.workdir, "state.json")
        self.host_key_path = os.path.join(self.workdir, "host_key")
        self.command_log_path = os.path.join(self.workdir, "commands.jsonl")
        self.known_hosts_path = os.path.join(self.workdir, "known_hosts")
        self.ready_path = os.path.join(self.workdir, "ready")
        self.output_path = os.path.join(self.workdir, "simulator.log")
        self.host_key = persistence.load_or_create_host_key(self.host_key_path)
        if initial_state is not None:
            persistence.save_state(self.state_path, initial_state)
        self._process = None
        self._sync = None

    # -- lifecycle --------------------------------------------------------------------
    def _argv(self):
        argv = [
            sys.executable, "-m", "cocon_simulator",
            "--host", self.host,
            "--port", str(self.port),
            "--user", self.user,
            "--state", self.state_path,
            "--host-key", self.host_key_path,
            "--command-log", self.command_log_path,
            "--ready-file", self.ready_path,
        ]
        knobs = self.knobs
        argv += ["--dialect", ",".join(self.dialect.names)]
        if knobs["latency_ms"] is not None:
            argv += ["--latency-ms", str(knobs["latency_ms"])]
        if knobs["locked_rate"]:
            argv += ["--locked-rate", str(knobs["locked_rate"])]
        if knobs["seed"] is not None:
            argv += ["--seed", str(knobs["seed"])]
        if knobs["drop_after"]:
            argv += ["--drop-after", str(knobs["drop_after"])]
        if knobs["refuse_login"]:
            argv.append("--refuse-login")
        if knobs["rendezvous"]:
            argv += ["--rendezvous", "%d:%s" % knobs["rendezvous"]]
        if knobs["shell"] != "served":
            argv += ["--shell", knobs["shell"]]
        if knobs["write_delay"] is not None:
            argv += ["--write-delay", str(knobs["write_delay"])]
        return argv

    def start(self):
        if self._process is not None:
            raise SimulatorError("simulator already running")
        if os.path.exists(self.ready_path):
            os.unlink(self.ready_path)
        env = dict(os.environ)
        env[PASSWORD_ENV] = self.password
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [_TESTS_DIR, env.get("PYTHONPATH")]))
        self._sync, theirs = socket.socketpair()
        try:
            with open(self.output_path, "ab") as output:
                self._process = subprocess.Popen(
                    self._argv() + ["--sync-fd", str(theirs.fileno())], env=env, stdout=output,
                    stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, pass_fds=[theirs.fileno()],
                )
        finally:
            theirs.close()
        deadline = time.monotonic() + self.startup_timeout
        while not os.path.exists(self.ready_path):
            if self._process.poll() is not None:
                self._process = None
                raise SimulatorError("simulator exited at start:\n" + self.output())
            if time.monotonic() > deadline:
                self.stop()
                raise SimulatorError("simulator not ready after %ss:\n%s" % (self.startup_timeout, self.output()))
            time.sleep(0.02)
        with open(self.ready_path, encoding="utf-8") as handle:
            self.port = int(handle.read().split()[1])
        with open(self.known_hosts_path, "w", encoding="utf-8") as handle:
            handle.write(persistence.known_hosts_line(self.host, self.port, self.host_key))
        return self

    def stop(self):
        process, self._process = self._process, None
        if self._sync is not None:
            self._sync.close()
            self._sync = None
        if process is None:
            return
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def restart(self):
        """Stop and start again on the same port, keeping state, host key and command log."""
        self.stop()
        self.start()
        return self

    @property
    def pid(self):
        return self._process.pid if self._process is not None else None

    @property
    def running(self):
        return self._process is not None and self._process.poll() is None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()
        if self._own_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    # -- inspection -------------------------------------------------------------------
    def state(self):
        """The parsed state file, holding every change answered so far."""
        self.sync()
        with open(self.state_path, encoding="utf-8") as handle:
            return json.load(handle)

    def sync(self, timeout=30.0):
        """Have a running simulator write its state file now. On its own it writes a change
        ``write_delay`` (server.WRITE_DELAY) after it, and what is left when it stops."""
        if not self.running:
            return
        self._sync.settimeout(timeout)
        try:
            self._sync.sendall(b"s")
            answered = self._sync.recv(1)
        except OSError as exc:
            raise SimulatorError("the simulator did not write its state: %s" % exc) from None
        if not answered and self.running:
            raise SimulatorError("the simulator closed its sync socket:\n" + self.output())

    def edit_state(self, change):
        """Apply ``change(state)`` to the state file, as an event outside CoCon would (a
        phone registering). A running simulator picks the new file up before its next
        command; call this while no command is running."""
        state = model.normalize_state(self.state())
        change(state)
        persistence.save_state(self.state_path, state)

    def _alias_of(self, state, domain, number):
        try:
            return state["domains"][domain]["aliases"][str(number)]
        except KeyError:
            raise SimulatorError("no alias %s in domain %s" % (number, domain)) from None

    def register(self, domain, number, contact=None, expires=model.CONTACT_EXPIRES):
        """Register a phone of alias ``number``: one more contact for sip/user/info.

        ``contact`` defaults to ``sip:NUMBER@127.0.0.1:5060``. Returns the stored contact.
        """
        stored = model.normalize_contact(contact or "sip:%s@127.0.0.1:5060" % number, expires)
        self.edit_state(lambda state: self._alias_of(state, domain, number)["contacts"].append(stored))
        return stored

    def unregister(self, domain, number):
        """Remove every contact of alias ``number``: sip/user/info says the list is empty."""
        self.edit_state(lambda state: self._alias_of(state, domain, number).update(contacts=[]))

    def command_records(self):
        """Every command received, in order: dicts with ts, conn, mode, command, outcome."""
        if not os.path.exists(self.command_log_path):
            return []
        with open(self.command_log_path, encoding="utf-8") as handle:
            return [json.loads(line) for line in handle if line.strip()]

    def commands(self):
        return [record["command"] for record in self.command_records()]

    def output(self):
        """What the simulator process printed (its log), for failure messages."""
        try:
            with open(self.output_path, encoding="utf-8", errors="replace") as handle:
                return handle.read()
        except FileNotFoundError:
            return ""

    def connection_env(self):
        """The ECSS_COCON_* variables that point the collection's modules at this simulator."""
        return {
            "ECSS_COCON_HOST": self.host,
            "ECSS_COCON_PORT": str(self.port),
            "ECSS_COCON_USER": self.user,
            "ECSS_COCON_PASSWORD": self.password,
            "ECSS_COCON_KNOWN_HOSTS": self.known_hosts_path,
            "ECSS_COCON_HOST_KEY_POLICY": "strict",
        }

    def __repr__(self):
        return "Simulator(%s:%s, workdir=%s)" % (self.host, self.port, self.workdir)
