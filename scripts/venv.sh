#!/usr/bin/env bash
# Create (or refresh) the project's virtualenv in .venv from the pinned requirements.
set -euo pipefail
. "$(dirname "$0")/env.sh"
ensure_venv
