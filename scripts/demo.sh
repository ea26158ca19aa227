#!/usr/bin/env bash
# The demo: site.yml on the embedded default — the CoCon simulator plus a local nginx in the
# ECSS-10 factory state (self-signed certificate, `ssl on;`) — run twice, then the widget
# settings the operator gets. Everything lives in a temporary directory and is stopped at the end.
set -euo pipefail
. "$(dirname "$0")/env.sh"

# The demo runs its own nginx from a temporary prefix.
ensure_debian_packages nginx=nginx-light openssl=openssl
ensure_venv

DEMO="$(mktemp -d /tmp/ecss-demo.XXXXXX)"
PYTHON="$VENV/bin/python"
free_port() { "$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
COCON_PORT="$(free_port)"
CALL_API_PORT="$(free_port)"
# The CoCon password travels in the environment only, never on a command line.
ECSS_COCON_PASSWORD="demo-$("$PYTHON" -c 'import secrets; print(secrets.token_hex(8))')"
export ECSS_COCON_PASSWORD

stop_all() {
    [ -f "$DEMO/simulator.pid" ] && kill "$(cat "$DEMO/simulator.pid")" 2>/dev/null || true
    "$PYTHON" -m nginx_factory stop --prefix "$DEMO/node1" >/dev/null 2>&1 || true
}
trap stop_all EXIT

echo "== starting the CoCon simulator on 127.0.0.1:$COCON_PORT (state: $DEMO/cocon/state.json)"
COCON_SIMULATOR_PASSWORD="$ECSS_COCON_PASSWORD" setsid "$PYTHON" -m cocon_simulator --port "$COCON_PORT" \
    --state "$DEMO/cocon/state.json" --host-key "$DEMO/cocon/host_key" \
    --command-log "$DEMO/cocon/commands.jsonl" --ready-file "$DEMO/cocon/ready" \
    > "$DEMO/simulator.log" 2>&1 < /dev/null &
echo $! > "$DEMO/simulator.pid"
for _ in $(seq 100); do [ -f "$DEMO/cocon/ready" ] && break; sleep 0.1; done
[ -f "$DEMO/cocon/ready" ] || { cat "$DEMO/simulator.log"; exit 1; }

echo "== starting nginx in the ECSS-10 factory state on https://127.0.0.1:$CALL_API_PORT (prefix: $DEMO/node1)"
"$PYTHON" -m nginx_factory start --prefix "$DEMO/node1" --port "$CALL_API_PORT" --server-name ecss1 >/dev/null

cat > "$DEMO/inventory.yml" <<YAML
all:
  children:
    ecss:
      hosts:
        ecss1:
          ansible_host: 127.0.0.1
          ansible_connection: local
          ansible_python_interpreter: $PYTHON
          call_api_port: $CALL_API_PORT
          # The node's nginx runs from a temporary prefix instead of /etc/nginx.
          call_api_nginx_site: $DEMO/node1/sites-available/ecss-call-api.conf
          call_api_tls_cert_path: $DEMO/node1/ssl/call_api.crt
          call_api_tls_key_path: $DEMO/node1/ssl/call_api.key
          call_api_tls_backup_dir: $DEMO/node1/backup
          call_api_nginx_test_command: nginx -p $DEMO/node1/ -c $DEMO/node1/nginx.conf -t
          call_api_nginx_reload_command: nginx -p $DEMO/node1/ -c $DEMO/node1/nginx.conf -s reload
      vars:
        ecss_cocon_port: $COCON_PORT
        ecss_cocon_known_hosts: $DEMO/known_hosts
        ecss_cocon_host_key_policy: accept-new
        ecss_widget_settings_dir: $DEMO/widget-settings
        ecss_domains:
          - name: biysk.local
            client_id: amocrm
            subscribers:
              - {number: "240473", group: loc.gr, amocrm_user: Ivan Petrov}
              - {number: "240474", group: loc.gr, amocrm_user: Maria Sidorova}
              - {number: "240475", group: loc.gr}
YAML

export ANSIBLE_DISPLAY_SKIPPED_HOSTS=false ANSIBLE_RETRY_FILES_ENABLED=false ANSIBLE_NOCOLOR=1
echo
echo "== first run: ansible-playbook -i $DEMO/inventory.yml playbooks/site.yml"
ansible-playbook -i "$DEMO/inventory.yml" "$ROOT/playbooks/site.yml" | tee "$DEMO/run1.log"
echo
echo "== second run (nothing left to change):"
ansible-playbook -i "$DEMO/inventory.yml" "$ROOT/playbooks/site.yml" > "$DEMO/run2.log"
grep -A2 "PLAY RECAP" "$DEMO/run2.log"
grep -q "changed=0 " "$DEMO/run2.log" || { echo "second run changed something"; exit 1; }

echo "== what nginx serves now on port $CALL_API_PORT:"
echo | openssl s_client -connect "127.0.0.1:$CALL_API_PORT" 2>/dev/null | openssl x509 -noout -subject -ext subjectAltName -fingerprint -sha256 | sed 's/^/   /'
echo
echo "== widget settings for the operator ($DEMO/widget-settings, key masked here):"
stat -c "   %A %U %s %n" "$DEMO"/widget-settings/*
sed -E 's/("api_key": ")(.{4}).{56}(.{4})"/\1\2********\3"/' "$DEMO/widget-settings/biysk.local.json" | sed 's/^/   /'
echo
echo "Demo files stay in $DEMO (simulator state, settings, logs); the simulator and nginx are stopped."
