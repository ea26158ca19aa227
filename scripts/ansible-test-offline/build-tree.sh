# Sourced by scripts/sanity.sh and scripts/units.sh (after scripts/env.sh). Both need the
# offline get-pip stand-in: ansible-test bootstraps pip into every venv it makes.
# shellcheck shell=bash
#
# ansible-test resolves the real path of the collection and insists that it sits at
# .../ansible_collections/<namespace>/<name>; a symlink is not enough. So each run tests
# a fresh copy of exactly the files git would ship: tracked plus untracked-not-ignored.

# One tree per virtualenv: the matrix runs an older core's sanity beside another core's units.
ANSIBLE_TEST_ROOT="$BUILD/ansible-test/$(basename "$VENV")"
ANSIBLE_TEST_COLLECTION="$ANSIBLE_TEST_ROOT/ansible_collections/ecss/callapi"

build_ansible_test_tree() {
    # Several engineers share one checkout: runs take turns on the build tree instead of
    # deleting it under each other. The lock is held until the calling script exits.
    mkdir -p "$BUILD/ansible-test"
    exec {ANSIBLE_TEST_LOCK_FD}> "$ANSIBLE_TEST_ROOT.lock"
    if ! flock -n "$ANSIBLE_TEST_LOCK_FD"; then
        echo "== waiting for another ansible-test run in this checkout to finish"
        flock "$ANSIBLE_TEST_LOCK_FD"
    fi
    install_offline_get_pip
    rm -rf "$ANSIBLE_TEST_ROOT"
    mkdir -p "$ANSIBLE_TEST_COLLECTION"
    # --deduplicate: a file both modified and tracked is listed once; deleted-but-tracked
    # files are skipped by the existence test below.
    (cd "$ROOT" && git ls-files -co --exclude-standard --deduplicate -z) \
        | (cd "$ROOT" && while IFS= read -r -d '' path; do
                if [ -e "$path" ] || [ -L "$path" ]; then printf '%s\0' "$path"; fi
            done) \
        | tar -C "$ROOT" --null --no-recursion -cf - --files-from=- \
        | tar -C "$ANSIBLE_TEST_COLLECTION" -xf -
    # ansible-test walks up from the collection to the nearest .git and asks it for the file
    # list; the checkout's own .git ignores .build, which would leave nothing to test. An
    # empty repository here makes the copy its own content root (untracked files count).
    git init -q "$ANSIBLE_TEST_COLLECTION"
    link_dependency_collections
}

# Collections the tested code depends on (galaxy.yml) must sit in the same
# ansible_collections tree. They come from the `ansible` pip package (Galaxy is not reachable),
# or, for the matrix's older cores, from ECSS_EXTRA_COLLECTIONS_PATH.
DEPENDENCY_COLLECTIONS=(community/crypto)

link_dependency_collections() {
    local installed dependency namespace name places place
    installed="$("$VENV/bin/python" -c 'import ansible_collections; print(list(ansible_collections.__path__)[0])' 2>/dev/null || true)"
    IFS=: read -r -a places <<< "${ECSS_EXTRA_COLLECTIONS_PATH:-}"
    for dependency in "${DEPENDENCY_COLLECTIONS[@]}"; do
        namespace="${dependency%/*}"
        name="${dependency#*/}"
        for place in "${places[@]/%//ansible_collections}" "$installed"; do
            if [ -n "$place" ] && [ -d "$place/$dependency" ]; then
                mkdir -p "$ANSIBLE_TEST_ROOT/ansible_collections/$namespace"
                ln -sfn "$place/$dependency" "$ANSIBLE_TEST_ROOT/ansible_collections/$namespace/$name"
                break
            fi
        done
    done
}

# ansible-test would download get-pip.py from a host that is not reachable here; it looks
# for a cached copy first, named after the pip version it wants.
install_offline_get_pip() {
    local pip_version cache
    pip_version="$("$VENV/bin/python" - <<'PY'
from ansible_test._internal.python_requirements import get_venv_packages
from ansible_test._internal.host_configs import NativePythonConfig
print(get_venv_packages(NativePythonConfig(version='3.11'))['pip'])
PY
)"
    cache="$HOME/.ansible/test/cache/get_pip_${pip_version//./_}.py"
    mkdir -p "$(dirname "$cache")"
    install -m 0644 "$ROOT/scripts/ansible-test-offline/get_pip.py" "$cache"
}
