#!/usr/bin/env bash
# Gate: `ansible-test units` over tests/unit/, offline.
#
# Usage: scripts/units.sh [extra ansible-test units arguments, e.g. -v or a test path]
set -euo pipefail
. "$(dirname "$0")/env.sh"
. "$ROOT/scripts/ansible-test-offline/build-tree.sh"
ensure_venv

PYTHON_VERSION="${ECSS_ANSIBLE_TEST_PYTHON:-3.11}"

build_ansible_test_tree
cd "$ANSIBLE_TEST_COLLECTION"

start=$SECONDS
status=0
log="$BUILD/units.log"
ansible-test units --venv --python "$PYTHON_VERSION" --requirements --color no "$@" 2>&1 | tee "$log" || status=$?
# ansible-test only warns when it finds nothing to test; a gate that tested nothing failed.
if grep -q "All targets skipped" "$log"; then
    echo "== ansible-test units found nothing to test"
    status=1
fi
echo "== ansible-test units finished in $((SECONDS - start)) s with status $status"
exit "$status"
