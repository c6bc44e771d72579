#!/usr/bin/env bash
# The whole test suite: formatting, lints, and every test. `.ci/run` runs exactly this.
# Ends with a plain "N passed, N failed" line summing every test binary.
set -euo pipefail
cd "$(dirname "$0")/.."

log=$(mktemp)
kdc_dir=""
dc_dir=""
kdcproxy_dir=""
cleanup() {
    [ -z "$kdcproxy_dir" ] || tests/kdc/stop-kdcproxy.sh "$kdcproxy_dir" || true
    [ -z "${MX_KDC_SKEWED_PID:-}" ] || kill "$MX_KDC_SKEWED_PID" 2>/dev/null || true
    [ -z "$kdc_dir" ] || tests/kdc/stop-kdc.sh "$kdc_dir" || true
    [ -z "$dc_dir" ] || tests/kdc/samba/stop-dc.sh "$dc_dir" || true
    rm -f "$log"
}
trap cleanup EXIT

echo "== cargo fmt --check"
cargo fmt --all -- --check

echo "== cargo clippy"
cargo clippy --workspace --all-targets -- -D warnings

echo "== MIT KDC self-check (installs krb5-kdc if missing)"
tests/kdc/check.sh 2>&1 | tee -a "$log"

# A realm for the Kerberos tests of the simulator and the client.
kdc_dir=$(tests/kdc/start-kdc.sh)
set -a
# shellcheck disable=SC1091
. "$kdc_dir/env"
# A second KDC of the realm whose clock is off (no such KDC for AD: the skew tests are MIT's).
# shellcheck disable=SC1090
. "$(tests/kdc/start-skewed-kdc.sh "$kdc_dir")"
set +a

# An Active Directory KDC beside it: a Samba AD DC (KDC only), provisioned in about 15 s.
echo "== Samba AD DC self-check (installs samba if missing)"
dc_dir=$(tests/kdc/samba/start-dc.sh)
tests/kdc/samba/check.sh "$dc_dir" 2>&1 | tee -a "$log"
# Suites below run their Kerberos tests against it too when this is set.
export MX_SAMBA_DC_DIR=$dc_dir

# A KDC proxy (MS-KKDCP) in front of both: MIT's realm and the DC's (with-env.sh keeps the
# proxy's variables).
dc_realm=$(sed -n 's/^export MX_KRB5_REALM=//p' "$dc_dir/env")
dc_port=$(sed -n 's/^export MX_KDC_PORT=//p' "$dc_dir/env")
kdcproxy_dir=$(tests/kdc/start-kdcproxy.sh "$(mktemp -d)" \
    "$MX_KRB5_REALM=$MX_KDC_HOST:$MX_KDC_PORT" "$dc_realm=127.0.0.1:$dc_port")
set -a
# shellcheck disable=SC1091
. "$kdcproxy_dir/env"
set +a

echo "== cargo test"
status=0
cargo test --workspace --no-fail-fast 2>&1 | tee -a "$log" || status=$?

# The Kerberos tests again, against the AD KDC (the service key from the exported keytab).
echo "== cargo test: Kerberos against the Samba AD DC"
tests/kdc/samba/with-env.sh "$dc_dir" cargo test --no-fail-fast \
    -p monosync-exchange-e2e --test kerberos --test security \
    -p monosync-exchange-sim --test kerberos --test channel_binding 2>&1 | tee -a "$log" || status=$?
tests/kdc/samba/with-env.sh "$dc_dir" cargo test --no-fail-fast \
    -p monosync-exchange-cli --test doctor --test mx -- spn keytab 2>&1 | tee -a "$log" || status=$?
# Active Directory's ways (a UPN suffix that is not the realm, the KDC proxy, the named
# failures with an RC4-only SPN) through the CLI, the Rust API and the C ABI.
tests/kdc/samba/with-env.sh "$dc_dir" cargo test --no-fail-fast \
    -p monosync-exchange-e2e --test kerberos_ad \
    -p monosync-exchange-cli --test doctor_kerberos 2>&1 | tee -a "$log" || status=$?
tests/kdc/samba/with-env.sh "$dc_dir" cargo test --no-fail-fast \
    -p monosync-exchange-ffi --test kerberos 2>&1 | tee -a "$log" || status=$?

# Suites outside cargo (pypsrp, the bindings, the C example), one script each, in name order.
# Each installs what it needs, prints its own "N passed, N failed" or pytest summary, and
# exits non-zero on failure.
for suite in scripts/suites/*.sh; do
    echo "== ${suite}"
    bash "$suite" 2>&1 | tee -a "$log" || status=$?
done

passed=$(grep -Eo '[0-9]+ passed' "$log" | awk '{s+=$1} END {print s+0}')
failed=$(grep -Eo '[0-9]+ failed' "$log" | awk '{s+=$1} END {print s+0}')
echo "${passed} passed, ${failed} failed"
exit "$status"
