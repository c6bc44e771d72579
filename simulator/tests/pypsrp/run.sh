#!/bin/sh
# Runs the pypsrp suite against mx-sim instances started here:
#   HTTP     NTLM/SPNEGO with message encryption (default seed)
#   HTTPS    Basic (self-signed certificate)
#   BIG      a generated organisation of 1500 recipients (ResultSize warning)
#   QUOTA    a shell quota of 3 per user
#   FAULTS   a fault plan: the 1st Create gets HTTP 503, the 2nd a dropped connection, the 3rd
#            a delay past the client's read timeout
#   KRB      Kerberos only, against the MIT realm of tests/kdc (started here when MX_KDC_URL is
#            not set), with a krb5.conf generated for pypsrp
#   RT_PY, RT_MX  two logging instances on which pypsrp and our `mx` do the same work, so that
#            test_round_trips.py compares their round trips in the same run
#   REPLAY   `mx-sim --replay` of a conversation `mx run --record` made against HTTP, which
#            test_replay.py repeats with pypsrp
# Needs a Python with pypsrp[kerberos] and pytest (PYTHON, default python3).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
python=${PYTHON:-python3}
cargo build -q -p monosync-exchange-sim --bin mx-sim -p monosync-exchange-cli --bin mx \
    --manifest-path "$root/Cargo.toml"
bin="$root/target/debug/mx-sim"
export MX_BIN="$root/target/debug/mx"
work=$(mktemp -d)
pids=""
kdc_dir=""
cleanup() {
    for pid in $pids; do kill "$pid" 2>/dev/null || true; done
    [ -z "$kdc_dir" ] || "$root/tests/kdc/stop-kdc.sh" "$kdc_dir" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT INT TERM

if [ -z "${MX_KDC_URL:-}" ]; then
    kdc_dir=$("$root/tests/kdc/start-kdc.sh")
    set -a
    # shellcheck disable=SC1091
    . "$kdc_dir/env"
    set +a
fi

free_port() {
    "$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
start() {
    "$bin" "$@" >"$work/sim-$#-$(date +%s%N).out" 2>&1 &
    pids="$pids $!"
}

export MX_SIM_HTTP_PORT=${MX_SIM_HTTP_PORT:-$(free_port)}
export MX_SIM_HTTPS_PORT=${MX_SIM_HTTPS_PORT:-$(free_port)}
export MX_SIM_BIG_PORT=$(free_port)
export MX_SIM_QUOTA_PORT=$(free_port)
export MX_SIM_FAULTS_PORT=$(free_port)
export MX_SIM_KRB_PORT=$(free_port)
export MX_SIM_KRB_LOG="$work/krb-log.jsonl"
export MX_SIM_RT_PY_PORT=$(free_port)
export MX_SIM_RT_MX_PORT=$(free_port)
export MX_SIM_RT_PY_LOG="$work/rt-py.jsonl"
export MX_SIM_RT_MX_LOG="$work/rt-mx.jsonl"
export MX_SIM_REPLAY_PORT=$(free_port)
export MX_REPLAY_EXPECTED="$work/replay-mx.json"

cat >"$work/faults.json" <<'EOF'
{"rules": [
  {"operation": "Create", "nth": 1, "action": {"kind": "http503"}},
  {"operation": "Create", "nth": 2, "action": {"kind": "drop"}},
  {"operation": "Create", "nth": 3, "action": {"kind": "delay", "ms": 4000}}
]}
EOF

# The default organisation plus the Kerberos user as an Organization Management account; its
# password is never used (Basic and NTLM are off on that instance).
"$python" - "$root/simulator/seed/default.json" "$work/krb-seed.json" "$MX_KRB5_USER" <<'EOF'
import json, secrets, sys
seed = json.load(open(sys.argv[1]))
seed["accounts"].append({"user": sys.argv[3], "password": secrets.token_hex(16),
                         "role_groups": ["Organization Management"]})
json.dump(seed, open(sys.argv[2], "w"))
EOF

# pypsrp (pyspnego, MIT GSSAPI) finds the KDC through this file only.
kdc_hostport=${MX_KDC_URL#*://}
cat >"$work/krb5.conf" <<EOF
[libdefaults]
    default_realm = $MX_KRB5_REALM
    dns_lookup_realm = false
    dns_lookup_kdc = false
    dns_canonicalize_hostname = false
    rdns = false
    # TCP only (the limit is a message size).
    udp_preference_limit = 1
    permitted_enctypes = aes256-cts-hmac-sha1-96 aes128-cts-hmac-sha1-96

[realms]
    $MX_KRB5_REALM = {
        kdc = $kdc_hostport
    }

[domain_realm]
    $MX_KRB5_SERVICE_HOST = $MX_KRB5_REALM
EOF
export KRB5_CONFIG="$work/krb5.conf"
export KRB5CCNAME="FILE:$work/ccache"

start --listen "127.0.0.1:$MX_SIM_HTTP_PORT"
start --https --listen "127.0.0.1:$MX_SIM_HTTPS_PORT"
start --generate 1500 --listen "127.0.0.1:$MX_SIM_BIG_PORT"
start --shell-quota 3 --listen "127.0.0.1:$MX_SIM_QUOTA_PORT"
start --faults "$work/faults.json" --listen "127.0.0.1:$MX_SIM_FAULTS_PORT"
start --seed "$work/krb-seed.json" --no-basic --no-ntlm --log "$MX_SIM_KRB_LOG" \
    --kerberos-realm "$MX_KRB5_REALM" --kerberos-host "$MX_KRB5_SERVICE_HOST" \
    --kerberos-password "$MX_KRB5_SERVICE_PASSWORD" --kdc "$MX_KDC_URL" \
    --listen "127.0.0.1:$MX_SIM_KRB_PORT"
start --log "$MX_SIM_RT_PY_LOG" --listen "127.0.0.1:$MX_SIM_RT_PY_PORT"
start --log "$MX_SIM_RT_MX_LOG" --listen "127.0.0.1:$MX_SIM_RT_MX_PORT"
"$python" "$here/wait_for_ports.py" "$MX_SIM_HTTP_PORT" "$MX_SIM_HTTPS_PORT" "$MX_SIM_BIG_PORT" \
    "$MX_SIM_QUOTA_PORT" "$MX_SIM_FAULTS_PORT" "$MX_SIM_KRB_PORT" "$MX_SIM_RT_PY_PORT" \
    "$MX_SIM_RT_MX_PORT"
# A field recording made by mx, served back for pypsrp.
MX_REPLAY_PASSWORD='P@ssw0rd!' "$MX_BIN" run --server "http://127.0.0.1:$MX_SIM_HTTP_PORT/PowerShell/" \
    --auth ntlm --username Administrator --password-env MX_REPLAY_PASSWORD --json \
    --record "$work/replay.yml" Get-Mailbox -Identity Administrator >"$MX_REPLAY_EXPECTED"
start --replay "$work/replay.yml" --listen "127.0.0.1:$MX_SIM_REPLAY_PORT"
"$python" "$here/wait_for_ports.py" "$MX_SIM_REPLAY_PORT"
"$python" -m pytest -q -s "$here/test_pypsrp.py" "$here/test_round_trips.py" "$here/test_replay.py" "$@"
