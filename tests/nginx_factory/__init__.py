"""A throwaway nginx in the ECSS-10 factory state, for tests and demos.

It lays out an nginx prefix directory the way an ``ecss-node`` install leaves the
Call API's TLS front (see the seed document), starts nginx from that prefix and a tiny
HTTP backend behind it, and stops both again. Nothing outside the prefix is touched,
and no systemd is needed.

Command line (run with ``PYTHONPATH=tests`` from the repository root)::

    python -m nginx_factory start --prefix DIR --port PORT [--backend-port N]
                                  [--server-name NAME] [--ipv6 auto|yes|no]
                                  [--nginx /usr/sbin/nginx]
    python -m nginx_factory stop --prefix DIR
    python -m nginx_factory status --prefix DIR
    python -m nginx_factory backend stop|start --prefix DIR

``start`` wipes and recreates DIR (stopping whatever an earlier ``start`` left
running there), then prints one JSON object, also saved as ``DIR/factory.json``::

    {"prefix": DIR, "port": PORT, "backend_port": N,
     "site_file": "DIR/sites-available/ecss-call-api.conf",
     "cert_path": "DIR/ssl/call_api.crt", "key_path": "DIR/ssl/call_api.key",
     "test_command": "nginx -p DIR/ -c DIR/nginx.conf -t",
     "reload_command": "nginx -p DIR/ -c DIR/nginx.conf -s reload",
     "backend_body": "...", "ipv6": true,
     "role_vars": {"call_api_port": PORT, "call_api_nginx_site": ..., ...}, ...}

``role_vars`` holds the ``call_api_tls`` variables that point the role at DIR (site file,
certificate and key paths, backup dir, the test and reload commands above).

The layout under DIR::

    nginx.conf                      includes sites-enabled/*, pid file DIR/nginx.pid
    sites-available/ecss-call-api.conf
    sites-enabled/ecss-call-api.conf -> ../sites-available/ecss-call-api.conf
    ssl/call_api.crt, ssl/call_api.key  (openssl req -x509, as the installer does)
    logs/, tmp/, backend.pid

The site file is the seed's: ``ssl on;``, ``listen PORT default_server;``,
``listen [::]:PORT default_server;`` (only when the host has IPv6 loopback),
``resolver 127.0.0.1;``, the two certificate paths, then a ``location /`` proxying to
the backend, which answers every GET with ``backend_body`` (and the request path), so a
request through nginx proves the proxy location still works.

``stop`` stops nginx and the backend (by their pid files) and leaves DIR in place.
``backend stop`` stops only the backend, so nginx answers the Call API location with
502 Bad Gateway, as when the Call API service behind it is down; ``backend start``
starts it again on the same port.
``status`` prints JSON telling whether each is running; exit code 0 when both are.
"""
