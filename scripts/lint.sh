#!/usr/bin/env bash
# Gate: ansible-lint with the production profile over the whole collection, offline.
#
# Usage: scripts/lint.sh [extra ansible-lint arguments, e.g. roles/call_api_tls]
# Settings (profile, offline, excluded paths) live in .ansible-lint; --strict turns warnings
# into failures so that nothing is waved through.
set -euo pipefail
. "$(dirname "$0")/env.sh"
ensure_venv
cd "$ROOT"
# ansible-lint looks in $ANSIBLE_HOME/collections (default ~/.ansible, shared by every checkout
# on the machine) before ANSIBLE_COLLECTIONS_PATH: a copy of ecss.callapi left there by another
# checkout or a molecule run would be linted against instead of this one.
export ANSIBLE_HOME="$BUILD/ansible-home"

status=0
ansible-lint --profile production --offline --strict --nocolor "$@" || status=$?
echo "== ansible-lint finished with status $status"
exit "$status"
