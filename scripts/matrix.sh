#!/usr/bin/env bash
# Stage `matrix` of make test: the older ansible-core releases that meta/runtime.yml claims.
# Each gets its own virtualenv (.build/matrix/core-<version>, pinned by
# tests/constraints-core-<version>.txt) and runs the unit tests, a failing run whose reason must
# be in the task result and the secrets checks. The oldest and the newest of them add the
# four-pass runs of every state module and site.yml's first and no-op runs; the oldest adds the
# whole secrets audit and ansible-test sanity (beside the other runs). The newest core (the
# project venv) runs all of that, and everything else, in the other stages.
#
# Usage: scripts/matrix.sh [CORE...]     default: every older core (2.16 2.17 2.18)
set -euo pipefail
. "$(dirname "$0")/env.sh"

OLDER_CORES=(2.16 2.17 2.18)
OLDEST="${OLDER_CORES[0]}"
CORES=("$@")
[ ${#CORES[@]} -gt 0 ] || CORES=("${OLDER_CORES[@]}")
MATRIX="$BUILD/matrix"
# Every older core: what differs between cores in what a user sees (no_log censoring, a
# failure's reason in the task result).
SHORT_SCENARIOS=(
    tests/functional/test_readable_failures.py
    tests/functional/test_secrets.py
)
# The oldest and the newest older core add the four passes of every state module and site.yml's
# first and no-op runs; the core in between shares their code paths (module_defaults, the action
# plugins, check mode), and make test has 40 minutes on 2 cores. The dialects are the
# collection's own Python, the same on every core: the newest core runs them (make functional),
# the older ones the four passes on the reference console.
CONVERGE_CORES=" $OLDEST ${OLDER_CORES[-1]} "
CONVERGE_SCENARIOS=(
    tests/functional/test_modules_four_pass.py
    tests/functional/test_site_first_and_again.py
)
SHORT_SELECTION="not in_every_dialect"
# The whole secrets audit (every playbook, ansible-runner) runs on the oldest core only: its
# no_log censoring differs most from the newest's.
OLDEST_ONLY=(tests/functional/test_secrets_audit.py)

# community.crypto 2.x (the older cores cannot load the 3.x of the project venv), unpacked from
# the `ansible` release that tests/matrix-collections.txt pins.
ensure_matrix_collections() {
    local stamp="$MATRIX/collections/.source" want wheels="$MATRIX/wheels"
    want="$(grep -v '^#' "$ROOT/tests/matrix-collections.txt" | sha256sum | cut -d' ' -f1)"
    [ "$(cat "$stamp" 2>/dev/null)" = "$want" ] && return 0
    echo "== unpacking community.crypto for the older cores"
    rm -rf "$MATRIX/collections" "$wheels"
    mkdir -p "$MATRIX/collections" "$wheels"
    "$ROOT/.venv/bin/pip" download -q --disable-pip-version-check --no-deps -d "$wheels" \
        -r "$ROOT/tests/matrix-collections.txt" 2>&1 | grep -v "^WARNING: Location" || true
    "$ROOT/.venv/bin/python" - "$wheels" "$MATRIX/collections" <<'PY'
import glob, sys, zipfile
wheel, = glob.glob(sys.argv[1] + "/ansible-*.whl")
with zipfile.ZipFile(wheel) as archive:
    members = [m for m in archive.namelist() if m.startswith("ansible_collections/community/crypto/")]
    archive.extractall(sys.argv[2], members)
PY
    rm -rf "$wheels"
    echo "$want" > "$stamp"
}

# In a subshell: point env.sh at the pinned virtualenv of ansible-core $1.
use_core() {
    export ECSS_VENV="$MATRIX/core-$1" ECSS_REQUIREMENTS="$ROOT/tests/requirements-core.txt"
    export ECSS_CONSTRAINTS="$ROOT/tests/constraints-core-$1.txt" ECSS_VENV_IMPORTS="ansible, paramiko, ansible_runner"
    export ECSS_EXTRA_COLLECTIONS_PATH="$MATRIX/collections"
    select_venv
}

run_core() {
    local core="$1" started=$SECONDS
    echo
    echo "=============== matrix: ansible-core $core ==============="
    [ -f "$ROOT/tests/constraints-core-$core.txt" ] || { echo "ansible-core $core is not in the matrix"; return 2; }
    (
        use_core "$core"
        ensure_venv
        echo "== ansible-core $(python -c "from ansible.release import __version__; print(__version__)")"
        bash "$ROOT/scripts/units.sh"
        cd "$ROOT"
        local scenarios=("${SHORT_SCENARIOS[@]}")
        [[ "$CONVERGE_CORES" != *" $core "* ]] || scenarios+=("${CONVERGE_SCENARIOS[@]}")
        [ "$core" != "$OLDEST" ] || scenarios+=("${OLDEST_ONLY[@]}")
        python -m pytest -p no:cacheprovider -q -n 2 --dist loadfile --durations=5 --timeout 900 \
            -k "$SHORT_SELECTION" "${scenarios[@]}"
    )
    echo "=============== matrix: ansible-core $core passed in $((SECONDS - started)) s"
}

# ansible-test sanity on the oldest core keeps one core busy: it runs beside the other cores' runs.
# It leaves out the linters whose verdict cannot depend on the core: each would build a virtualenv
# of its own only to repeat what the sanity stage finds on the newest core. What the core decides
# stays: validate-modules, import, compile, pylint's Ansible checks, ansible-doc, runtime-metadata,
# the ignore file.
CORE_INDEPENDENT_SANITY_TESTS=(changelog pep8 yamllint shellcheck pslint)

run_oldest_sanity() {
    local started=$SECONDS test skips=()
    for test in "${CORE_INDEPENDENT_SANITY_TESTS[@]}"; do skips+=(--skip-test "$test"); done
    (
        use_core "$OLDEST"
        ECSS_SANITY_ALL_PYTHONS=0 bash "$ROOT/scripts/sanity.sh" "${skips[@]}"
    )
    echo "=============== matrix: ansible-test sanity on ansible-core $OLDEST passed in $((SECONDS - started)) s"
}

ensure_venv
ensure_matrix_collections
# Started after the oldest core's run: ansible-test holds its tree's lock (one per venv) for a
# whole run, so the oldest core's unit tests would wait for its sanity.
sanity=""
for core in "${CORES[@]}"; do
    run_core "$core"
    if [ "$core" = "$OLDEST" ]; then
        sanity="matrix-sanity-$OLDEST"
        start_beside "$sanity" run_oldest_sanity
    fi
done
[ -z "$sanity" ] || finish_beside "$sanity"
