#!/usr/bin/env bash
# Create (or refresh) the project's virtual environment with otm and, with
# --dev, the test tools. Idempotent: re-running only installs what changed.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
extras=""
if [ "${1:-}" = "--dev" ]; then extras="[dev]"; fi
.venv/bin/python -m pip install -q --upgrade pip 2>&1 | grep -v -i warning || true
.venv/bin/python -m pip install -q -e ".${extras}" 2>&1 | grep -v -i warning || true
.venv/bin/python -c "import otm" # fail loudly if the install did not work
