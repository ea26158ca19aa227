"""Command line of nginx_factory; see the package docstring for usage."""

import argparse
import errno
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SITE_NAME = "ecss-call-api.conf"
BACKEND_BODY = "ECSS Call API test backend"
STARTUP_TIMEOUT = 10.0

NGINX_CONF = """\
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/logs/error.log;

events {{
    worker_connections 64;
}}

http {{
    access_log {prefix}/logs/access.log;
    client_body_temp_path {prefix}/tmp/client_body;
    proxy_temp_path {prefix}/tmp/proxy;
    fastcgi_temp_path {prefix}/tmp/fastcgi;
    uwsgi_temp_path {prefix}/tmp/uwsgi;
    scgi_temp_path {prefix}/tmp/scgi;
    include {prefix}/sites-enabled/*;
}}
"""

# The first lines are the seed document's, byte for byte; the locations stand in for the
# Call API's own (not public) ones, which a role must leave alone.
SITE_CONF = """\
server {{
ssl on;
listen {port} default_server;
{ipv6_listen}resolver 127.0.0.1;
ssl_certificate {cert};
ssl_certificate_key {key};

    location / {{
        proxy_pass http://127.0.0.1:{backend_port};
        proxy_http_version 1.1;
        proxy_set_header Upgrade $http_upgrade;
        proxy_set_header Connection "upgrade";
        proxy_set_header Host $host;
    }}
}}
"""


def _paths(prefix):
    prefix = os.path.abspath(prefix)
    return {
        "prefix": prefix,
        "nginx_conf": os.path.join(prefix, "nginx.conf"),
        "nginx_pid": os.path.join(prefix, "nginx.pid"),
        "backend_pid": os.path.join(prefix, "backend.pid"),
        "site_file": os.path.join(prefix, "sites-available", SITE_NAME),
        "site_link": os.path.join(prefix, "sites-enabled", SITE_NAME),
        "cert_path": os.path.join(prefix, "ssl", "call_api.crt"),
        "key_path": os.path.join(prefix, "ssl", "call_api.key"),
        "state_file": os.path.join(prefix, "factory.json"),
    }


def ipv6_loopback_available():
    """True when something can listen on [::1] here (containers often lack IPv6)."""
    if not socket.has_ipv6:
        return False
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as probe:
            probe.bind(("::1", 0))
        return True
    except OSError:
        return False


def _read_pid(path):
    try:
        with open(path, encoding="ascii") as handle:
            return int(handle.read().strip())
    except (OSError, ValueError):
        return None


def _alive(pid):
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except OSError as exc:
        return exc.errno == errno.EPERM
    return True


def _stop_pid(pid_path, timeout=STARTUP_TIMEOUT):
    pid = _read_pid(pid_path)
    if not _alive(pid):
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    if _alive(pid):
        os.kill(pid, signal.SIGKILL)
    return True


def _wait_for_port(port, host="127.0.0.1", timeout=STARTUP_TIMEOUT):
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"nothing is listening on {host}:{port} after {timeout}s")
            time.sleep(0.05)


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _make_factory_certificate(cert_path, key_path, server_name):
    # The installer's way: one openssl call, RSA, subject CN only, long validity.
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256",
         "-days", "3650", "-subj", f"/CN={server_name}",
         "-keyout", key_path, "-out", cert_path],
        check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    os.chmod(key_path, 0o600)
    os.chmod(cert_path, 0o644)


def _start_backend(paths, backend_port):
    log = open(os.path.join(paths["prefix"], "logs", "backend.log"), "ab")  # noqa: SIM115
    backend = subprocess.Popen(
        [sys.executable, "-m", "nginx_factory.cli", "_backend", "--port", str(backend_port)],
        stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True,
        env={**os.environ, "PYTHONPATH": os.path.dirname(os.path.dirname(__file__))},
    )
    log.close()
    with open(paths["backend_pid"], "w", encoding="ascii") as handle:
        handle.write(f"{backend.pid}\n")
    _wait_for_port(backend_port)


def _nginx_command(nginx, paths, *extra):
    return [nginx, "-p", paths["prefix"] + "/", "-c", paths["nginx_conf"], *extra]


def start(args):
    paths = _paths(args.prefix)
    stop_all(paths)
    if os.path.isdir(paths["prefix"]):
        shutil.rmtree(paths["prefix"])
    for sub in ("sites-available", "sites-enabled", "ssl", "logs", "tmp"):
        os.makedirs(os.path.join(paths["prefix"], sub), exist_ok=True)
    os.chmod(os.path.join(paths["prefix"], "ssl"), 0o755)

    use_ipv6 = {"yes": True, "no": False}.get(args.ipv6, None)
    if use_ipv6 is None:
        use_ipv6 = ipv6_loopback_available()
    backend_port = args.backend_port or _free_port()

    with open(paths["nginx_conf"], "w", encoding="utf-8") as handle:
        handle.write(NGINX_CONF.format(prefix=paths["prefix"]))
    with open(paths["site_file"], "w", encoding="utf-8") as handle:
        handle.write(SITE_CONF.format(
            port=args.port,
            ipv6_listen=f"listen [::]:{args.port} default_server;\n" if use_ipv6 else "",
            cert=paths["cert_path"], key=paths["key_path"], backend_port=backend_port,
        ))
    os.symlink(os.path.join("..", "sites-available", SITE_NAME), paths["site_link"])
    _make_factory_certificate(paths["cert_path"], paths["key_path"], args.server_name)

    _start_backend(paths, backend_port)

    test_cmd = _nginx_command(args.nginx, paths, "-t")
    checked = subprocess.run(test_cmd, capture_output=True, text=True, check=False)
    if checked.returncode != 0:
        stop_all(paths)
        raise RuntimeError(f"factory nginx config rejected:\n{checked.stderr}")
    # nginx daemonizes itself; the master's pid lands in DIR/nginx.pid.
    subprocess.run(_nginx_command(args.nginx, paths), check=True,
                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _wait_for_port(args.port)

    state = {
        **paths,
        "port": args.port,
        "backend_port": backend_port,
        "backend_body": BACKEND_BODY,
        "ipv6": use_ipv6,
        "server_name": args.server_name,
        "test_command": " ".join(test_cmd),
        "reload_command": " ".join(_nginx_command(args.nginx, paths, "-s", "reload")),
    }
    # The call_api_tls variables that point the role at this prefix instead of /etc.
    state["role_vars"] = {
        "call_api_port": args.port,
        "call_api_nginx_site": paths["site_file"],
        "call_api_tls_cert_path": paths["cert_path"],
        "call_api_tls_key_path": paths["key_path"],
        "call_api_tls_backup_dir": os.path.join(paths["prefix"], "backup"),
        "call_api_nginx_test_command": state["test_command"],
        "call_api_nginx_reload_command": state["reload_command"],
    }
    with open(paths["state_file"], "w", encoding="utf-8") as handle:
        json.dump(state, handle, indent=2)
    print(json.dumps(state))
    return 0


def stop_all(paths):
    stopped = {"nginx": _stop_pid(paths["nginx_pid"]), "backend": _stop_pid(paths["backend_pid"])}
    return stopped


def stop(args):
    print(json.dumps(stop_all(_paths(args.prefix))))
    return 0


def backend(args):
    """Stop or start only the backend behind nginx (the Call API service going down and up)."""
    paths = _paths(args.prefix)
    if args.action == "stop":
        print(json.dumps({"backend": _stop_pid(paths["backend_pid"])}))
        return 0
    if _alive(_read_pid(paths["backend_pid"])):
        print(json.dumps({"backend": False}))
        return 0
    with open(paths["state_file"], encoding="utf-8") as handle:
        _start_backend(paths, json.load(handle)["backend_port"])
    print(json.dumps({"backend": True}))
    return 0


def status(args):
    paths = _paths(args.prefix)
    running = {
        "nginx": _alive(_read_pid(paths["nginx_pid"])),
        "backend": _alive(_read_pid(paths["backend_pid"])),
    }
    print(json.dumps(running))
    return 0 if all(running.values()) else 1


class _BackendHandler(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - name fixed by http.server
        body = f"{BACKEND_BODY}: {self.path}\n".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt, *args):
        sys.stderr.write("backend: " + fmt % args + "\n")


def _backend(args):
    server = ThreadingHTTPServer(("127.0.0.1", args.port), _BackendHandler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    server.serve_forever()
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m nginx_factory",
                                     description="nginx in the ECSS-10 factory state")
    sub = parser.add_subparsers(dest="command", required=True)
    p_start = sub.add_parser("start", help="lay out DIR and start nginx and the backend")
    p_start.add_argument("--prefix", required=True)
    p_start.add_argument("--port", type=int, required=True)
    p_start.add_argument("--backend-port", type=int, default=0, help="default: a free port")
    p_start.add_argument("--server-name", default=socket.gethostname(),
                         help="CN of the factory certificate (default: this host's name)")
    p_start.add_argument("--ipv6", choices=("auto", "yes", "no"), default="auto",
                         help="write the [::] listen line (auto: when [::1] is usable)")
    p_start.add_argument("--nginx", default=shutil.which("nginx") or "/usr/sbin/nginx")
    p_start.set_defaults(func=start)
    for name, func in (("stop", stop), ("status", status)):
        p_other = sub.add_parser(name)
        p_other.add_argument("--prefix", required=True)
        p_other.set_defaults(func=func)
    p_toggle = sub.add_parser("backend", help="stop or start only the backend (nginx then answers 502)")
    p_toggle.add_argument("action", choices=("stop", "start"))
    p_toggle.add_argument("--prefix", required=True)
    p_toggle.set_defaults(func=backend)
    p_backend = sub.add_parser("_backend")
    p_backend.add_argument("--port", type=int, required=True)
    p_backend.set_defaults(func=_backend)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
