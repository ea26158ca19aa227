# Sourced by the other scripts: one place for the virtualenv, locale and collection paths.
# shellcheck shell=bash
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${ECSS_VENV:-$ROOT/.venv}"
BUILD="$ROOT/.build"
export LC_ALL=C.UTF-8 LANG=C.UTF-8
export PATH="$VENV/bin:$PATH"
# ansible-playbook and molecule find this checkout as ecss.callapi through this path.
export ANSIBLE_COLLECTIONS_PATH="$BUILD/collections"
export PYTHONPATH="$ROOT/tests${PYTHONPATH:+:$PYTHONPATH}"

ensure_venv() {
    local stamp="$VENV/.requirements.sha256" want
    want="$(cat "$ROOT/tests/requirements.txt" "$ROOT/tests/constraints.txt" | sha256sum | cut -d' ' -f1)"
    if [ ! -x "$VENV/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
        echo "== creating virtualenv $VENV"
        python3 -m venv "$VENV"
        "$VENV/bin/pip" install -q --disable-pip-version-check \
            -r "$ROOT/tests/requirements.txt" -c "$ROOT/tests/constraints.txt" 2>&1 \
            | grep -v "^WARNING: Location" || true
        "$VENV/bin/python" -c 'import ansible, paramiko, molecule' || return 1
        echo "$want" > "$stamp"
    fi
    mkdir -p "$BUILD/collections/ansible_collections/ecss"
    ln -sfn "$ROOT" "$BUILD/collections/ansible_collections/ecss/callapi"
}
