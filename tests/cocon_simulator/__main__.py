"""``python -m cocon_simulator``: run the CoCon simulator until SIGTERM or Ctrl-C."""

import argparse
import logging
import os
import signal
import socket
import sys
import threading

from cocon_simulator import dialects, model, persistence
from cocon_simulator.server import (
    RENDEZVOUS_TIMEOUT, SHELL_BEHAVIOURS, WRITE_DELAY, CoconService, FaultKnobs, SimulatorServer)

PASSWORD_ENV = "COCON_SIMULATOR_PASSWORD"


def _rate(text):
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError("must be between 0 and 1")
    return value


def _positive(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _rendezvous(text):
    count, colon, prefix = text.partition(":")
    if not colon or not prefix:
        raise argparse.ArgumentTypeError("expected COUNT:PREFIX, e.g. 2:/domain/d.local/integrations/list")
    return _positive(count), prefix


def _dialect(text):
    try:
        return dialects.resolve(text)
    except dialects.DialectError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _dialect_help():
    return "comma-separated dialect names (default: reference): " + "; ".join(
        "%s: %s" % (name, description) for name, (description, _fields) in dialects.DIALECTS.items()
    )


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="python -m cocon_simulator",
        description="SSH server imitating ECSS-10's CoCon console (test fixture, demo backend).",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8023, help="0 picks a free port (printed)")
    parser.add_argument("--user", default="admin")
    parser.add_argument(
        "--password",
        default=None,
        help="login password (default 'password'); prefer --password-file or $%s, "
        "which keep it off the process list" % PASSWORD_ENV,
    )
    parser.add_argument("--password-file", help="file whose first line is the password")
    parser.add_argument("--state", default="cocon-state.json", help="JSON state file")
    parser.add_argument("--host-key", default="cocon-host-key", help="private host key file")
    parser.add_argument("--command-log", help="append one JSON line per command received")
    parser.add_argument("--ready-file", help="written with 'HOST PORT' once listening")
    parser.add_argument(
        "--write-delay", type=float, default=WRITE_DELAY,
        help="seconds from a change to the write of the state file (0: before the answer)",
    )
    parser.add_argument(
        "--sync-fd", type=int, help="inherited socket: each byte received writes the state file, then is echoed"
    )
    parser.add_argument("--dialect", type=_dialect, default=dialects.Dialect(), help=_dialect_help())
    parser.add_argument(
        "--latency-ms", type=int, default=None, help="sleep before each command (overrides the dialect's)"
    )
    parser.add_argument("--locked-rate", type=_rate, default=0.0, help="fraction answered 'temporary locked'")
    parser.add_argument("--seed", type=int, default=None, help="seed of the --locked-rate dice")
    parser.add_argument("--drop-after", type=_positive, help="reset the connection on the Nth command")
    parser.add_argument("--refuse-login", action="store_true", help="reject every password")
    parser.add_argument(
        "--rendezvous", type=_rendezvous, metavar="COUNT:PREFIX",
        help="hold the first COUNT commands that start with PREFIX until all of them have come (at most "
        "%d s), then run them together" % RENDEZVOUS_TIMEOUT,
    )
    parser.add_argument(
        "--shell", choices=SHELL_BEHAVIOURS, default="served",
        help="interactive sessions: served (default), refused (the shell request is denied), or silent "
        "(accepted, then never a prompt nor an answer); exec channels are not affected",
    )
    parser.add_argument("--verbose", action="store_true", help="log paramiko's debug output")
    return parser.parse_args(argv)


def _password(args):
    if args.password_file:
        with open(args.password_file, encoding="utf-8") as handle:
            return handle.readline().rstrip("\r\n")
    if os.environ.get(PASSWORD_ENV):
        return os.environ[PASSWORD_ENV]
    return args.password if args.password is not None else "password"


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING, stream=sys.stderr)
    if not args.verbose:
        # A client that vanishes mid-handshake is routine here, not worth a traceback.
        logging.getLogger("paramiko").setLevel(logging.CRITICAL)

    state = persistence.load_state(args.state, model.factory_state)
    console = model.Console(state, args.dialect)
    persistence.save_state(args.state, console.state)
    knobs = FaultKnobs(
        latency_ms=args.dialect.latency_ms if args.latency_ms is None else args.latency_ms,
        locked_rate=args.locked_rate,
        seed=args.seed,
        drop_after=args.drop_after,
        refuse_login=args.refuse_login,
        shell=args.shell,
        rendezvous=args.rendezvous,
    )
    service = CoconService(
        console,
        args.state,
        persistence.CommandLog(args.command_log),
        knobs,
        args.user,
        _password(args),
        write_delay=args.write_delay,
    )
    host_key = persistence.load_or_create_host_key(args.host_key)
    server = SimulatorServer(args.host, args.port, host_key, service)
    signal.signal(signal.SIGTERM, lambda *_: server.stop())
    print(
        "cocon-simulator listening on %s %d (dialect %s)" % (server.host, server.port, ",".join(args.dialect.names)),
        flush=True,
    )
    if args.ready_file:
        persistence.write_atomically(args.ready_file, "%s %d\n" % (server.host, server.port), 0o644)
    if args.sync_fd is not None:
        threading.Thread(target=_serve_sync, args=(args.sync_fd, service), daemon=True).start()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        service.close()
    return 0


def _serve_sync(fd, service):
    """The harness's state() asks here, so that it reads every change already answered."""
    with socket.socket(fileno=fd) as channel:
        while True:
            request = channel.recv(64)
            if not request:
                return
            service.flush()
            channel.sendall(request)


if __name__ == "__main__":
    sys.exit(main())
