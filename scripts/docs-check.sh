#!/usr/bin/env bash
# Gate: every module, plugin and role argument spec of ecss.callapi renders with ansible-doc
# without an error or a warning.
#
# Usage: scripts/docs-check.sh
set -euo pipefail
. "$(dirname "$0")/env.sh"
ensure_venv
cd "$ROOT"

COLLECTION=ecss.callapi
# Plugin types whose documentation ansible-doc renders (modules are checked from the files).
DOCUMENTED_PLUGIN_TYPES=(filter test lookup inventory callback connection become cache vars)

failures=0
checked=0
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

# One ansible-doc call; anything on stderr (warnings, deprecations, errors) fails the check,
# because ansible-doc prints most documentation problems as warnings and still exits 0.
check_doc() {
    local label="$1"; shift
    checked=$((checked + 1))
    if ansible-doc "$@" > "$scratch/out" 2> "$scratch/err" && [ ! -s "$scratch/err" ] && [ -s "$scratch/out" ]; then
        echo "ok    $label"
    else
        failures=$((failures + 1))
        echo "FAIL  $label: ansible-doc $*"
        sed 's/^/      /' "$scratch/err"
        [ -s "$scratch/out" ] || echo "      (no documentation printed)"
    fi
}

# Modules: one per file under plugins/modules/, plus every action group member.
declare -A modules=()
for path in plugins/modules/*.py; do
    [ -e "$path" ] || continue
    name="$(basename "$path" .py)"
    [ "$name" = "__init__" ] || modules[$name]=1
done
while IFS= read -r name; do
    [ -n "$name" ] && modules[$name]=1
done < <(python - <<'PY'
import yaml
runtime = yaml.safe_load(open('meta/runtime.yml')) or {}
for members in (runtime.get('action_groups') or {}).values():
    for member in members:
        if isinstance(member, str):
            print(member.rsplit('.', 1)[-1])
PY
)
for name in $(printf '%s\n' "${!modules[@]}" | sort); do
    check_doc "module $COLLECTION.$name" -t module "$COLLECTION.$name"
done

for plugin_type in "${DOCUMENTED_PLUGIN_TYPES[@]}"; do
    [ -d "plugins/$plugin_type" ] || continue
    while IFS= read -r name; do
        check_doc "$plugin_type $name" -t "$plugin_type" "$name"
    done < <(ansible-doc -t "$plugin_type" -l "$COLLECTION" 2>/dev/null | awk '{print $1}')
done

# Roles: every role that declares an argument spec.
for role_dir in roles/*/; do
    [ -d "$role_dir" ] || continue
    role="$(basename "$role_dir")"
    if [ -e "$role_dir/meta/argument_specs.yml" ] || [ -e "$role_dir/meta/argument_specs.yaml" ] \
        || grep -qs '^argument_specs:' "$role_dir/meta/main.yml" "$role_dir/meta/main.yaml"; then
        check_doc "role $COLLECTION.$role" -t role "$COLLECTION.$role"
    else
        echo "note  role $COLLECTION.$role has no argument spec (meta/argument_specs.yml)"
    fi
done

echo "== ansible-doc: $checked checked, $failures failed"
[ "$checked" -gt 0 ] && [ "$failures" -eq 0 ]
