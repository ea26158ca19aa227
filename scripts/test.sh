#!/usr/bin/env bash
# The one test command (README, .ci/run): every gate and every test, failing on the first red one.
#   scripts/test.sh            everything
#   scripts/test.sh functional one stage (units, functional, molecule, matrix, sanity, lint, docs)
set -euo pipefail
. "$(dirname "$0")/env.sh"

STAGES=("$@")
[ ${#STAGES[@]} -gt 0 ] || STAGES=(units functional molecule matrix sanity lint docs)

# What the tests run for real: nginx, openssl, an sshd for the node-mode run, and the headless
# browser with its driver and certutil (its trust store) for the readiness check.
case " ${STAGES[*]} " in
    *" functional "*|*" molecule "*|*" matrix "*)
        ensure_debian_packages nginx=nginx-light openssl=openssl sshd=openssh-server \
            chromium=chromium chromedriver=chromium-driver certutil=libnss3-tools ;;
esac
ensure_venv

run_stage() {
    local started=$SECONDS
    echo
    echo "=============== $1 ==============="
    case "$1" in
        units)      bash "$ROOT/scripts/units.sh" ;;
        # One test file per worker: module-scoped fixtures (a whole site.yml cluster) run once.
        # Three workers on two cores: a worker waiting on the simulator's latency, an nginx
        # reload or the browser leaves its core to another (measured: 1,360 s with two, 1,146 s
        # with three; CPU idle 9 % -> 3 %).
        functional) (cd "$ROOT" && python -m pytest -p no:cacheprovider -q -n 3 --dist loadfile --durations=10 \
                         --timeout 900 tests/functional) ;;
        molecule)   bash "$ROOT/scripts/molecule.sh" ;;
        matrix)     bash "$ROOT/scripts/matrix.sh" ;;
        sanity)     bash "$ROOT/scripts/sanity.sh" ;;
        lint)       bash "$ROOT/scripts/lint.sh" ;;
        docs)       bash "$ROOT/scripts/docs-check.sh" ;;
        *) echo "unknown stage $1"; return 2 ;;
    esac
    echo "=============== $1 passed in $((SECONDS - started)) s"
}

# Stages that leave a core idle part of the time (one process at a time, waits on nginx, pip
# downloads) run side by side, the matrix with them: it fills the idle time. Each writes its own
# log, printed whole when all of them are done. Functional uses both cores by itself.
SIDE_BY_SIDE=" molecule matrix sanity lint docs "

run_side_by_side() {
    local stage
    for stage in "$@"; do
        start_beside "stage-$stage" run_stage "$stage"
    done
    finish_beside "${@/#/stage-}"
}

mkdir -p "$BUILD"
side=()
for stage in "${STAGES[@]}"; do
    [[ "$SIDE_BY_SIDE" != *" $stage "* ]] || side+=("$stage")
done
for stage in "${STAGES[@]}"; do
    if [ ${#side[@]} -gt 1 ] && [[ "$SIDE_BY_SIDE" == *" $stage "* ]]; then
        [ "$stage" != "${side[0]}" ] || run_side_by_side "${side[@]}"
    else
        run_stage "$stage"
    fi
done
echo
echo "All stages passed: ${STAGES[*]}"
