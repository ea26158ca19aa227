#!/usr/bin/env bash
# Gate: `ansible-test sanity` over the whole collection, offline (no Docker, no ci-files host).
#
# Usage: scripts/sanity.sh [extra ansible-test sanity arguments, e.g. --test pylint]
# Sanity virtualenvs are cached by ansible-test in ~/.ansible/test/venv; the first run
# builds them from the package index, later runs reuse them.
set -euo pipefail
. "$(dirname "$0")/env.sh"
. "$ROOT/scripts/ansible-test-offline/build-tree.sh"
ensure_venv

PYTHON_VERSION="${ECSS_ANSIBLE_TEST_PYTHON:-3.11}"

# Programs that sanity tests run but ansible-test does not install (shellcheck), kept in a
# small virtualenv of their own so that no test is skipped for lack of them.
ensure_sanity_tools() {
    local tools="$BUILD/tools" requirements="$ROOT/scripts/ansible-test-offline/tools-requirements.txt" want
    want="$(sha256sum < "$requirements" | cut -d' ' -f1)"
    if [ "$(cat "$tools/.requirements.sha256" 2>/dev/null)" != "$want" ]; then
        rm -rf "$tools"
        python3 -m venv "$tools"
        "$tools/bin/pip" install -q --disable-pip-version-check -r "$requirements" 2>&1 \
            | grep -v "^WARNING: Location" || true
        "$tools/bin/shellcheck" --version > /dev/null
        echo "$want" > "$tools/.requirements.sha256"
    fi
    export PATH="$PATH:$tools/bin"
}

# Tests that cannot run here at all are listed with the reason in docs/quality-gates.md.
SKIPPED_TESTS=()

ensure_sanity_tools
build_ansible_test_tree

cd "$ANSIBLE_TEST_COLLECTION"
skip_arguments=()
for test in "${SKIPPED_TESTS[@]}"; do skip_arguments+=(--skip-test "$test"); done

# Modules may run on any Python that ansible-core supports on targets (an ECSS-10 node's
# own Python, too), so compile and import are also checked on every other Python found here.
# pyenv's shims refuse versions that are not selected, so the real interpreters go on PATH.
add_target_pythons_to_path() {
    local pyenv_root="${PYENV_ROOT:-$HOME/.pyenv}" bin
    for bin in "$pyenv_root"/versions/3.*/bin; do
        [ -d "$bin" ] && PATH="$PATH:$bin"
    done
    export PATH
}

start=$SECONDS
status=0
log="$BUILD/sanity.log"
ansible-test sanity --venv --python "$PYTHON_VERSION" --color no \
    "${skip_arguments[@]}" "$@" 2>&1 | tee "$log" || status=$?
# ansible-test only warns when it finds nothing to test; a gate that tested nothing failed.
if grep -q "All targets skipped" "$log"; then
    echo "== ansible-test sanity found nothing to test"
    status=1
fi
# A focused run (arguments given) or ECSS_SANITY_ALL_PYTHONS=0 checks the main Python only.
if [ $# -eq 0 ] && [ "${ECSS_SANITY_ALL_PYTHONS:-1}" != 0 ]; then
    add_target_pythons_to_path
    echo "== compile and import on every target Python found"
    ansible-test sanity --venv --test compile --test import --color no 2>&1 \
        | tee -a "$log" || status=$?
fi
echo "== ansible-test sanity finished in $((SECONDS - start)) s with status $status"
exit "$status"
