"""The SSH side: paramiko server, exec and shell sessions, fault injection."""

import codecs
import dataclasses
import datetime
import hmac
import logging
import random
import socket
import struct
import threading
import time

import paramiko
from paramiko.common import MSG_CHANNEL_REQUEST

from cocon_simulator import PROMPT_NODE, formatting, model, persistence

log = logging.getLogger("cocon_simulator")

# Seconds between a change and the write of the state file that holds it (see flush()).
WRITE_DELAY = 0.2
# Longest a rendezvous holds a command for the others (then it is answered anyway).
RENDEZVOUS_TIMEOUT = 120.0
SHELL_BEHAVIOURS = ("served", "refused", "silent")


@dataclasses.dataclass
class FaultKnobs:
    latency_ms: int = 0
    locked_rate: float = 0.0
    seed: int = None
    drop_after: int = None
    refuse_login: bool = False
    shell: str = "served"  # served | refused | silent (accepted, never a prompt nor an answer)
    # (count, prefix): the first ``count`` commands that start with ``prefix`` are held until all
    # of them have come, then run together: a race between sessions that happens on every run,
    # whatever the load, instead of one that a latency makes likely.
    rendezvous: tuple = None


class CoconService:
    """What every connection shares: the console, its state file, the log and the faults.

    The console's dialect decides the channel policy and the line endings here; the fault
    knobs (latency, locks, drops, refused logins) come on top of any dialect.
    """

    def __init__(self, console, state_path, command_log, knobs, user, password, write_delay=WRITE_DELAY):
        self.console = console
        self.state_path = state_path
        self.command_log = command_log
        self.knobs = knobs
        self.user = user
        self._password = password
        self._lock = threading.Lock()
        self._rng = random.Random(knobs.seed)
        self._received = 0
        self._state_stamp = persistence.file_stamp(state_path)
        self._write_delay = write_delay
        self._unsaved = threading.Event()
        self._closed = False
        self._rendezvous = threading.Condition()
        self._rendezvous_arrived = 0
        if write_delay:
            threading.Thread(target=self._write_behind, daemon=True).start()

    @property
    def dialect(self):
        return self.console.dialect

    def password_matches(self, username, password):
        if self.knobs.refuse_login:
            return False
        user_ok = hmac.compare_digest(username.encode(), self.user.encode())
        password_ok = hmac.compare_digest(password.encode(), self._password.encode())
        return user_ok and password_ok

    def answer(self, conn, mode, command):
        """The framed answer to one command, or None when the connection must be dropped."""
        with self._lock:
            self._received += 1
            if self.knobs.drop_after and self._received == self.knobs.drop_after:
                self.command_log.record(conn, mode, command, "dropped")
                return None
            locked = self.knobs.locked_rate > 0 and self._rng.random() < self.knobs.locked_rate
        self._meet_the_others(command)
        started_at = datetime.datetime.now()
        clock = time.monotonic()
        if self.knobs.latency_ms:
            time.sleep(self.knobs.latency_ms / 1000.0)
        with self._lock:
            if locked:
                body, outcome = model.LOCKED_MESSAGE + "\n", "locked"
            else:
                self._pick_up_outside_edits()
                body, changed = self.console.run(command)
                outcome = "executed"
                if changed:
                    self._unsaved.set()
                    if self._closed or not self._write_delay:
                        self._save()
            self.command_log.record(conn, mode, command, outcome)
        elapsed_ms = int((time.monotonic() - clock) * 1000)
        crlf = mode == "shell" or self.dialect.crlf_flat
        return formatting.with_footer(body, started_at, elapsed_ms, crlf=crlf)

    def _meet_the_others(self, command):
        if not self.knobs.rendezvous:
            return
        count, prefix = self.knobs.rendezvous
        if not command.lstrip("/").startswith(prefix.lstrip("/")):
            return
        with self._rendezvous:
            if self._rendezvous_arrived >= count:
                return
            self._rendezvous_arrived += 1
            self._rendezvous.notify_all()
            self._rendezvous.wait_for(lambda: self._rendezvous_arrived >= count, RENDEZVOUS_TIMEOUT)

    # -- the state file ---------------------------------------------------------------
    # Rewriting the whole file after every change made the simulator, not the client, the
    # bottleneck of 1,000-alias runs (one full JSON dump per alias/set, under the lock). A
    # change is written ``write_delay`` seconds after it instead (0: before it is answered),
    # so a burst costs one write; flush() (the harness's state(), through --sync-fd) and
    # close() (SIGTERM, Ctrl-C) write at once.
    def _write_behind(self):
        while True:
            self._unsaved.wait()
            time.sleep(self._write_delay)
            self.flush()

    def flush(self):
        """Write the state file now if a change is not in it yet."""
        with self._lock:
            self._save()

    def close(self):
        """Write what is unsaved; from now on every change is written before it is answered."""
        with self._lock:
            self._closed = True
            self._save()

    def _save(self):
        if self._unsaved.is_set():
            self._unsaved.clear()
            self._state_stamp = persistence.save_state(self.state_path, self.console.state)

    def _pick_up_outside_edits(self):
        """Reload the state file when someone else rewrote it (harness.register, a test)."""
        try:
            stamp = persistence.file_stamp(self.state_path)
        except FileNotFoundError:
            return
        if stamp != self._state_stamp:
            self.console.state = model.normalize_state(persistence.load_state(self.state_path, dict))
            self._state_stamp = stamp

    def unanswered(self, conn, mode, command, outcome):
        """Log a command that a dialect's channel policy leaves unanswered (not run)."""
        with self._lock:
            self.command_log.record(conn, mode, command, outcome)


def _handle_request_then_serve(channel, message):
    # paramiko answers an exec/shell request only after the server's check returns. A
    # session started from inside the check could send its output, exit status and close
    # before that answer, and the client would see "Channel closed". So the session starts
    # here, once paramiko has sent the answer.
    paramiko.Channel._handle_request(channel, message)
    channel.transport.server_object.start_pending_session(channel)


class _Transport(paramiko.Transport):
    _channel_handler_table = dict(paramiko.Transport._channel_handler_table)
    _channel_handler_table[MSG_CHANNEL_REQUEST] = _handle_request_then_serve


class ConnectionServer(paramiko.ServerInterface):
    """One SSH connection: authentication, channel policy, and its sessions."""

    def __init__(self, service, conn_id, transport, sock):
        self.service = service
        self.conn_id = conn_id
        self.transport = transport
        self.sock = sock
        self._lock = threading.Lock()
        self._session_channels = 0
        self._later_channels = set()
        self._pending = {}

    # -- authentication ---------------------------------------------------------------
    def get_allowed_auths(self, username):
        return "password"

    def check_auth_password(self, username, password):
        if self.service.password_matches(username, password):
            return paramiko.AUTH_SUCCESSFUL
        return paramiko.AUTH_FAILED

    # -- channels ---------------------------------------------------------------------
    def check_channel_request(self, kind, chanid):
        if kind != "session":
            return paramiko.OPEN_FAILED_UNKNOWN_CHANNEL_TYPE
        policy = self.service.dialect.later_channels
        with self._lock:
            if self._session_channels >= 1:
                if policy == "refused":
                    return paramiko.OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED
                if policy != "served":
                    self._later_channels.add(chanid)
            self._session_channels += 1
        return paramiko.OPEN_SUCCEEDED

    def check_channel_pty_request(self, channel, term, width, height, pixelwidth, pixelheight, modes):
        return True

    def check_channel_window_change_request(self, channel, width, height, pixelwidth, pixelheight):
        return True

    def check_channel_shell_request(self, channel):
        if self.service.knobs.shell == "refused":
            return False
        return self._claim(channel, ("shell", None))

    def check_channel_exec_request(self, channel, command):
        return self._claim(channel, ("exec", command.decode("utf-8", "replace")))

    def _claim(self, channel, session):
        with self._lock:
            if channel.get_id() in self._pending:
                return False
            self._pending[channel.get_id()] = session
        return True

    def start_pending_session(self, channel):
        with self._lock:
            session = self._pending.get(channel.get_id())
            if not session or session == "started":
                return
            self._pending[channel.get_id()] = "started"
        mode, command = session
        if channel.get_id() in self._later_channels:
            self._leave_unanswered(channel, mode, command)
            return
        target = self._serve_exec if mode == "exec" else self._serve_shell
        threading.Thread(target=self._guarded, args=(target, channel, command), daemon=True).start()

    def _leave_unanswered(self, channel, mode, command):
        """A later channel under one_channel_closed / one_channel_hung: the command is logged,
        never run. Closed: EOF and close at once, no output, no exit status. Hung: nothing at
        all; paramiko's transport thread keeps the channel until the client closes it, so no
        thread of ours waits on it."""
        policy = self.service.dialect.later_channels
        if mode == "exec" and command.strip():
            self.service.unanswered(self.conn_id, mode, command.strip(), policy)
        if policy == "closed":
            # Not from this (the transport's) thread: close() may wait for a rekey to end.
            threading.Thread(target=channel.close, daemon=True).start()

    # -- sessions ---------------------------------------------------------------------
    def _guarded(self, target, channel, command):
        try:
            target(channel, command)
        except (OSError, EOFError, paramiko.SSHException):
            log.debug("session on connection %s ended by the peer", self.conn_id)
        finally:
            try:
                channel.close()
            except (OSError, EOFError, paramiko.SSHException):
                pass

    def _serve_exec(self, channel, command):
        command = command.strip()
        if command:
            answer = self.service.answer(self.conn_id, "exec", command)
            if answer is None:
                self.drop()
                return
            channel.sendall(answer.encode("utf-8"))
        channel.send_exit_status(0)
        channel.shutdown_write()

    def _serve_shell(self, channel, _unused):
        if self.service.knobs.shell == "silent":
            while channel.recv(4096):
                pass  # read and ignored: no prompt, no echo, no answer
            return
        prompt = "%s@%s:/$ " % (self.service.user, PROMPT_NODE)
        decoder = codecs.getincrementaldecoder("utf-8")("replace")
        channel.sendall(prompt.encode())
        line, after_cr = "", False
        while True:
            data = channel.recv(4096)
            if not data:
                return
            for char in decoder.decode(data):
                if char == "\n" and after_cr:
                    after_cr = False
                    continue
                after_cr = char == "\r"
                if char in "\r\n":
                    command, line = line.strip(), ""
                    channel.sendall((command + "\r\n").encode("utf-8"))
                    if command == "exit":
                        channel.send_exit_status(0)
                        return
                    if command:
                        answer = self.service.answer(self.conn_id, "shell", command)
                        if answer is None:
                            self.drop()
                            return
                        channel.sendall(answer.encode("utf-8"))
                    channel.sendall(prompt.encode())
                elif char in "\x7f\x08":
                    line = line[:-1]
                elif char == "\x04" and not line:
                    channel.send_exit_status(0)
                    return
                else:
                    line += char

    def drop(self):
        """Cut the TCP connection with a reset: no exit status, no channel close, no EOF."""
        try:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        self.transport.close()


class SimulatorServer:
    def __init__(self, host, port, host_key, service):
        self.host_key = host_key
        self.service = service
        self._stop = threading.Event()
        self._listener = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind((host, port))
        self._listener.listen(64)
        self._listener.settimeout(0.2)
        self.host, self.port = self._listener.getsockname()[:2]
        self._next_conn = 0

    def serve_forever(self):
        try:
            while not self._stop.is_set():
                try:
                    sock, _peer = self._listener.accept()
                except socket.timeout:
                    continue
                # Without it every small answer waits for the peer's delayed ACK (~40 ms).
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                self._next_conn += 1
                threading.Thread(
                    target=self._serve_connection, args=(sock, self._next_conn), daemon=True
                ).start()
        finally:
            self._listener.close()

    def stop(self):
        self._stop.set()

    def _serve_connection(self, sock, conn_id):
        transport = _Transport(sock)
        transport.add_server_key(self.host_key)
        server = ConnectionServer(self.service, conn_id, transport, sock)
        try:
            transport.start_server(server=server)
        except (paramiko.SSHException, EOFError, OSError):
            transport.close()
            return
        # Sessions are served from the request hook. The channels paramiko queues for
        # accept() are left there on purpose: a channel taken out and dropped would be
        # garbage-collected, and paramiko closes a channel when it is collected.
        transport.join()
