#!/usr/bin/env bash
# pypsrp, a client we did not write, against mx-sim.
set -euo pipefail
cd "$(dirname "$0")/../.."
venv=target/pytest-venv
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install -q --disable-pip-version-check pypsrp pytest
PYTHON="$venv/bin/python" exec simulator/tests/pypsrp/run.sh
