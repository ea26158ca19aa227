#!/usr/bin/env bash
# Every molecule scenario in extensions/molecule (delegated driver: local nginx prefixes and
# the CoCon simulator; no container engine). Extra arguments name scenarios to run.
set -euo pipefail
. "$(dirname "$0")/env.sh"
ensure_venv
cd "$ROOT"
export NO_COLOR=1 ANSIBLE_NOCOLOR=1
# The scenarios use fixed ports and /tmp/ecss-molecule: one molecule run per machine at a time
# (several checkouts, CI and a developer's run would otherwise kill each other's nginx).
exec 9>/tmp/ecss-molecule.lock
flock 9
if [ $# -gt 0 ]; then
    scenarios=("$@")
else
    mapfile -t scenarios < <(find extensions/molecule -mindepth 2 -maxdepth 2 -name molecule.yml -printf '%h\n' | xargs -n1 basename | sort)
fi
status=0
for scenario in "${scenarios[@]}"; do
    started=$SECONDS
    if molecule test -s "$scenario" > "$BUILD/molecule-$scenario.log" 2>&1; then
        echo "ok    molecule $scenario ($((SECONDS - started)) s)"
    else
        status=1
        echo "FAIL  molecule $scenario ($((SECONDS - started)) s); log: $BUILD/molecule-$scenario.log"
        grep -E "fatal:|FAILED!|ERROR|assertion|msg" "$BUILD/molecule-$scenario.log" | tail -25 || true
    fi
done
exit "$status"
