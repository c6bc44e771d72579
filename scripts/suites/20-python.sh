#!/usr/bin/env bash
# The Python package: builds the abi3 wheel with maturin (release, as users get it), installs
# it into a fresh venv, runs the provisioning example and the pytest suite from there against
# mx-sim. pytest's summary line is this suite's summary.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD

tools=target/python-tools
[ -x "$tools/bin/python" ] || python3 -m venv "$tools"
"$tools/bin/pip" install -q --disable-pip-version-check "maturin>=1.9.4,<2" pytest

# The simulator in release: the 100,000-object stream is the simulator's work, not the client's.
cargo build -q --release -p monosync-exchange-sim --bin mx-sim
sim="$root/target/release/mx-sim"

wheels=target/python-wheels
rm -rf "$wheels"
"$tools/bin/maturin" build -q --release -m bindings/python/Cargo.toml --out "$wheels"
wheel=$(ls "$wheels"/monosync_exchange-*-abi3-*.whl)
echo "built $(basename "$wheel")"

# A fresh venv with only the wheel and pytest: nothing from the source tree.
venv=target/python-test-venv
rm -rf "$venv"
python3 -m venv "$venv"
"$venv/bin/pip" install -q --disable-pip-version-check pytest "$wheel"

work=$(mktemp -d)
sim_pid=""
cleanup() {
    [ -z "$sim_pid" ] || kill -INT "$sim_pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

# The example, against its own simulator.
"$sim" --listen 127.0.0.1:0 >"$work/sim.out" &
sim_pid=$!
for _ in $(seq 100); do
    grep -q "Exchange endpoint" "$work/sim.out" 2>/dev/null && break
    sleep 0.1
done
url=$(sed -n 's/^Exchange endpoint: //p' "$work/sim.out")
echo "== examples/python/provision.py $url"
(cd "$work" && "$root/$venv/bin/python" "$root/examples/python/provision.py" "$url")
kill -INT "$sim_pid"
wait "$sim_pid" || true
sim_pid=""

# The tests, run from outside the source tree so that `import monosync_exchange` resolves to
# the installed wheel (test_api checks it).
echo "== pytest bindings/python/tests"
cd "$work"
MX_SIM_BIN="$sim" "$root/$venv/bin/python" -m pytest -q -p no:cacheprovider \
    "$root/bindings/python/tests"

# Kerberos again against the Samba AD DC when scripts/test.sh started one.
if [ -n "${MX_SAMBA_DC_DIR:-}" ]; then
    echo "== pytest bindings/python/tests/test_kerberos.py test_kerberos_ad.py (Samba AD DC)"
    MX_SIM_BIN="$sim" "$root/tests/kdc/samba/with-env.sh" "$MX_SAMBA_DC_DIR" \
        "$root/$venv/bin/python" -m pytest -q -p no:cacheprovider \
        "$root/bindings/python/tests/test_kerberos.py" \
        "$root/bindings/python/tests/test_kerberos_ad.py"
fi
