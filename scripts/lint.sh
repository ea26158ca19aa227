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

status=0
ansible-lint --profile production --offline --strict --nocolor "$@" || status=$?
echo "== ansible-lint finished with status $status"
exit "$status"
