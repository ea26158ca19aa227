# Sourced by the other scripts: one place for the virtualenv, locale and collection paths.
# shellcheck shell=bash
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="$ROOT/.build"
# The project venv (newest ansible-core, every tool) unless ECSS_VENV and its companions name
# another: scripts/matrix.sh points them at one virtualenv per older ansible-core (use_core).
select_venv() {
    VENV="${ECSS_VENV:-$ROOT/.venv}"
    REQUIREMENTS="${ECSS_REQUIREMENTS:-$ROOT/tests/requirements.txt}"
    CONSTRAINTS="${ECSS_CONSTRAINTS:-$ROOT/tests/constraints.txt}"
    VENV_IMPORTS="${ECSS_VENV_IMPORTS:-ansible, paramiko, molecule}"
    export PATH="$VENV/bin:$PATH"
    # ansible-playbook and molecule find this checkout as ecss.callapi through this path (and the
    # matrix its older community.crypto through ECSS_EXTRA_COLLECTIONS_PATH).
    export ANSIBLE_COLLECTIONS_PATH="$BUILD/collections${ECSS_EXTRA_COLLECTIONS_PATH:+:$ECSS_EXTRA_COLLECTIONS_PATH}"
}
export LC_ALL=C.UTF-8 LANG=C.UTF-8
export PYTHONPATH="$ROOT/tests${PYTHONPATH:+:$PYTHONPATH}"
select_venv

ensure_venv() {
    local stamp="$VENV/.requirements.sha256" want
    want="$(cat "$REQUIREMENTS" "$CONSTRAINTS" | sha256sum | cut -d' ' -f1)"
    if [ ! -x "$VENV/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
        echo "== creating virtualenv $VENV"
        python3 -m venv --clear "$VENV"
        # pip byte-compiles what it installs: keep it so, the shells here set PYTHONDONTWRITEBYTECODE,
        # and without pip's .pyc files every ansible-playbook would compile ansible-core again.
        "$VENV/bin/pip" install -q --disable-pip-version-check -r "$REQUIREMENTS" -c "$CONSTRAINTS" 2>&1 \
            | grep -v "^WARNING: Location" || true
        "$VENV/bin/python" -c "import $VENV_IMPORTS" || return 1
        echo "$want" > "$stamp"
    fi
    mkdir -p "$BUILD/collections/ansible_collections/ecss"
    ln -sfn "$ROOT" "$BUILD/collections/ansible_collections/ecss/callapi"
}

# ensure_debian_packages PROGRAM=PACKAGE...: install the Debian packages whose programs are
# missing (as root), or stop with one line that names them.
ensure_debian_packages() {
    local pair program missing=()
    for pair in "$@"; do
        program="${pair%%=*}"
        command -v "$program" >/dev/null || [ -x "/usr/sbin/$program" ] || missing+=("${pair#*=}")
    done
    [ ${#missing[@]} -gt 0 ] || return 0
    if [ "$(id -u)" != 0 ]; then
        echo "missing Debian packages: ${missing[*]} - run as root, or: sudo apt-get install ${missing[*]}" >&2
        return 1
    fi
    echo "== installing Debian packages: ${missing[*]}"
    # No systemd here: a package's postinst may fail to start its service; the tests start their own.
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# Jobs that keep about one core busy run beside others. start_beside NAME COMMAND... runs
# COMMAND in the background with its output in .build/NAME.log; finish_beside NAME... waits for
# each, prints each log whole (in the order given) and fails naming the jobs that failed.
declare -A BESIDE_PIDS=()
start_beside() {
    local name="$1"
    shift
    mkdir -p "$BUILD"
    "$@" > "$BUILD/$name.log" 2>&1 &
    BESIDE_PIDS[$name]=$!
}

finish_beside() {
    local name failed=()
    for name in "$@"; do
        wait "${BESIDE_PIDS[$name]}" || failed+=("$name")
    done
    for name in "$@"; do
        cat "$BUILD/$name.log"
    done
    [ ${#failed[@]} -eq 0 ] || { echo "=============== failed: ${failed[*]}"; return 1; }
}
