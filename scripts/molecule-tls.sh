#!/usr/bin/env bash
# Run every molecule scenario of the call_api_tls role (and its helper unit tests), from
# the repository root: scripts/molecule-tls.sh [scenario ...]
set -euo pipefail
. "$(dirname "$0")/env.sh"
ensure_venv
cd "$ROOT"
export NO_COLOR=1 ANSIBLE_NOCOLOR=1
scenarios=("$@")
if [ ${#scenarios[@]} -eq 0 ]; then
    scenarios=(call_api_tls_selfsigned call_api_tls_provided call_api_tls_ownca)
fi
python -m pytest -q -p no:cacheprovider roles/call_api_tls/tests
start=$SECONDS
failed=()
for scenario in "${scenarios[@]}"; do
    echo "== molecule test -s $scenario"
    if ! molecule test -s "$scenario"; then
        failed+=("$scenario")
    fi
done
echo "== ${#scenarios[@]} scenario(s) in $((SECONDS - start))s; failed: ${failed[*]:-none}"
[ ${#failed[@]} -eq 0 ]
