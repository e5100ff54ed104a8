#!/usr/bin/env bash
# One-shot set-up: creates .venv if absent and installs the workbench with its dev and
# notebooks (JupyterLab) extras.
# Safe to run again: pip skips what is already installed.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
.venv/bin/python -m pip install -q -e ".[dev,notebooks]"
if [ ! -x /usr/bin/chromium ]; then
    echo "note: chromium is not installed: the report's browser test will be skipped" \
         "(apt-get install -y chromium to run it)" >&2
fi
