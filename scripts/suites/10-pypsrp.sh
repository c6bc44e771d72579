#!/usr/bin/env bash
# pypsrp, a client we did not write, against mx-sim: NTLM, SPNEGO, Basic over HTTPS, Kerberos
# against the MIT KDC (the one scripts/test.sh exported, else run.sh starts one), the ResultSize
# warning, the shell quota and injected faults.
set -euo pipefail
cd "$(dirname "$0")/../.."
# pyspnego's Kerberos needs the `krb5` and `gssapi` packages, built from source against MIT's
# headers (no Linux wheels on PyPI).
if ! dpkg -s libkrb5-dev >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get -o DPkg::Lock::Timeout=120 update -qq >/dev/null
    apt-get -o DPkg::Lock::Timeout=120 install -y -qq libkrb5-dev gcc >/dev/null
fi
venv=target/pytest-venv
# A venv copied from another path has stale script shebangs: always go through its python.
if ! "$venv/bin/python" -m pip --version >/dev/null 2>&1; then
    rm -rf "$venv"
    python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install -q --disable-pip-version-check 'pypsrp[kerberos]' pytest
PYTHON="$venv/bin/python" exec simulator/tests/pypsrp/run.sh
