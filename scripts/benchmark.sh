#!/usr/bin/env bash
# Operator-scale benchmark (issue #5): one table of wall time, CoCon commands and SSH
# connections per scenario against the simulator at 25 ms per command. Takes a few minutes;
# not part of `make test`. Extra arguments go to tests/benchmark/run_benchmark.py
# (e.g. --markdown docs/performance-table.md, --latency-ms 25, --parallel 1).
set -euo pipefail
. "$(dirname "$0")/env.sh"
ensure_venv
exec python "$ROOT/tests/benchmark/run_benchmark.py" "$@"
