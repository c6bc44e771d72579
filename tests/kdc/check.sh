#!/usr/bin/env bash
# Proves the throwaway realm from start-kdc.sh works, with MIT's own tools and with a GSSAPI
# client (Debian's python3-gssapi), then stops it. Ends with a "N passed, N failed" line and
# exits non-zero when anything failed.
#
# MX_KDC_PYSPNEGO=1 also runs the pyspnego (pypsrp's Kerberos client) round trip; it needs
# the gssapi and krb5 Python packages in a venv at ${MX_KDC_VENV:-/tmp/mx-kdc-venv}; krb5
# is built from source (1.5 to 2.5 minutes on 2 cores the first time), so it is off by default.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
passed=0
failed=0
state=''

pass() {
    passed=$((passed + 1))
    printf 'ok   %s\n' "$1"
}

fail() {
    failed=$((failed + 1))
    printf 'FAIL %s\n' "$1"
    [[ -n ${2:-} ]] && printf '%s\n' "$2" | sed 's/^/     | /' | head -n 20
    return 0
}

# expect NAME COMMAND...: passes when COMMAND exits 0.
expect() {
    local name=$1 out
    shift
    if out=$("$@" 2>&1); then pass "$name"; else fail "$name" "$out"; fi
}

# KDC log lines written after a given byte offset.
log_since() {
    tail -c "+$(($1 + 1))" "$state/kdc.log" 2>/dev/null
}

log_size() {
    stat -c %s "$state/kdc.log" 2>/dev/null || echo 0
}

cleanup() {
    if [[ -n $state && -d $state ]]; then
        "$here/stop-kdc.sh" "$state" >/dev/null 2>&1 || true
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

summary() {
    printf '%d passed, %d failed\n' "$passed" "$failed"
    [[ $failed == 0 ]]
}

# Installs krb5 tools and python3-gssapi when missing, before the clock for the realm starts.
ensure_python_gssapi() {
    /usr/bin/python3 -c 'import gssapi' >/dev/null 2>&1 && return 0
    [[ $(id -u) == 0 ]] || return 1
    DEBIAN_FRONTEND=noninteractive timeout 600 apt-get -o DPkg::Lock::Timeout=120 install -y -q python3-gssapi >/dev/null 2>&1 && return 0
    timeout 300 apt-get -o DPkg::Lock::Timeout=120 update -q >/dev/null 2>&1 &&
        DEBIAN_FRONTEND=noninteractive timeout 600 apt-get -o DPkg::Lock::Timeout=120 install -y -q python3-gssapi >/dev/null 2>&1
}

# ---------------------------------------------------------------------------------------------
state=$(mktemp -d "${TMPDIR:-/tmp}/mx-kdc-check.XXXXXX")
t0=$(date +%s.%N)
if ! start_out=$("$here/start-kdc.sh" "$state" 2>&1); then
    fail "start-kdc.sh starts a realm" "$start_out"
    summary
    exit 1
fi
t1=$(date +%s.%N)
pass "start-kdc.sh starts a realm ($(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s)"
printf '%s\n' "$start_out" | grep '^start-kdc:' | sed 's/^/     | /'

# shellcheck source=/dev/null
. "$state/env"
export KRB5CCNAME=FILE:$state/check.ccache
PATH=$PATH:/usr/sbin:/sbin

missing=''
for v in KRB5_CONFIG KRB5_KDC_PROFILE MX_KDC_URL MX_KDC_PID MX_KRB5_REALM MX_KRB5_USER \
    MX_KRB5_PASSWORD MX_KRB5_SERVICE_HOST MX_KRB5_SERVICE_PASSWORD MX_KRB5_KEYTAB; do
    [[ -n ${!v:-} ]] || missing+=" $v"
    grep -q "\"$v\": " "$state/env.json" || missing+=" $v(json)"
done
if [[ -z $missing ]]; then pass "env and env.json define every variable"; else fail "env and env.json define every variable" "missing:$missing"; fi

if [[ $MX_KDC_URL == "tcp://127.0.0.1:$MX_KDC_PORT" && $MX_KDC_PORT -ge 1024 && $MX_KDC_PORT != 88 ]]; then
    pass "KDC URL is $MX_KDC_URL"
else
    fail "KDC URL is tcp://127.0.0.1:<high port>" "$MX_KDC_URL"
fi

if [[ $KRB5_CONFIG == "$state/krb5.conf" ]] && ! grep -q MONOSYNC /etc/krb5.conf 2>/dev/null; then
    pass "realm config lives in the state dir, /etc/krb5.conf untouched"
else
    fail "realm config lives in the state dir, /etc/krb5.conf untouched" "KRB5_CONFIG=$KRB5_CONFIG"
fi

# Listening sockets of the KDC: 127.0.0.1 only, on the chosen port, TCP and UDP.
hexport=$(printf '%04X' "$MX_KDC_PORT")
tcp_listen=$(awk -v p=":$hexport" '$2 ~ p"$" && $4 == "0A" { print $2 }' /proc/net/tcp /proc/net/tcp6 2>/dev/null)
udp_bound=$(awk -v p=":$hexport" '$2 ~ p"$" { print $2 }' /proc/net/udp /proc/net/udp6 2>/dev/null)
if [[ $tcp_listen == "0100007F:$hexport" && $udp_bound == "0100007F:$hexport" ]]; then
    pass "KDC listens on 127.0.0.1:$MX_KDC_PORT only (tcp and udp)"
else
    fail "KDC listens on 127.0.0.1:$MX_KDC_PORT only (tcp and udp)" "tcp: $tcp_listen udp: $udp_bound"
fi

if awk '$4 == "0A" && ($2 ~ /:0058$/ || $2 ~ /:02ED$/)' /proc/net/tcp /proc/net/tcp6 2>/dev/null | grep -q .; then
    fail "no system KDC/kadmind listening on ports 88/749" "$(grep -E ':(0058|02ED) ' /proc/net/tcp)"
else
    pass "no system KDC/kadmind listening on ports 88/749"
fi

for p in "alice@$MX_KRB5_REALM" "bob@$MX_KRB5_REALM" "$MX_KRB5_SERVICE_PRINCIPAL" "$MX_KRB5_LOCALHOST_PRINCIPAL"; do
    info=$(timeout 20 kadmin.local -q "getprinc $p" 2>&1 </dev/null)
    keys=$(grep '^Key: ' <<<"$info" | sed 's/^Key: vno [0-9]*, //' | sort | tr '\n' ' ')
    if grep -q '^Attributes:.*REQUIRES_PRE_AUTH' <<<"$info" &&
        [[ $keys == "aes128-cts-hmac-sha1-96 aes256-cts-hmac-sha1-96 " ]]; then
        pass "$p requires preauth and has AES keys only"
    else
        fail "$p requires preauth and has AES keys only" "$info"
    fi
done

# --- kinit with a password on stdin ----------------------------------------------------------
off=$(log_size)
if out=$(printf '%s\n' "$MX_KRB5_PASSWORD" | timeout 15 kinit "$MX_KRB5_USER@$MX_KRB5_REALM" 2>&1); then
    pass "kinit $MX_KRB5_USER with the password on stdin"
else
    fail "kinit $MX_KRB5_USER with the password on stdin" "$out"
fi
recent=$(log_since "$off")
if grep -q "NEEDED_PREAUTH: $MX_KRB5_USER@$MX_KRB5_REALM" <<<"$recent" &&
    grep -q "ISSUE: .*tkt=aes256-cts-hmac-sha1-96(18).*$MX_KRB5_USER@$MX_KRB5_REALM for krbtgt" <<<"$recent"; then
    pass "KDC demanded preauth, then issued an AES256 TGT"
else
    fail "KDC demanded preauth, then issued an AES256 TGT" "$recent"
fi

if out=$(timeout 15 kvno "$MX_KRB5_SERVICE_PRINCIPAL" 2>&1) && grep -q 'kvno = 1' <<<"$out"; then
    pass "kvno $MX_KRB5_SERVICE_PRINCIPAL gets a service ticket"
else
    fail "kvno $MX_KRB5_SERVICE_PRINCIPAL gets a service ticket" "$out"
fi

out=$(klist -e 2>&1)
tgt_etype=$(grep -A1 "krbtgt/$MX_KRB5_REALM@$MX_KRB5_REALM" <<<"$out" | grep -o 'Etype (skey, tkt): [a-z0-9-]*, [a-z0-9-]*')
svc_etype=$(grep -A1 "$MX_KRB5_SERVICE_PRINCIPAL" <<<"$out" | grep -o 'Etype (skey, tkt): [a-z0-9-]*, [a-z0-9-]*')
want='Etype (skey, tkt): aes256-cts-hmac-sha1-96, aes256-cts-hmac-sha1-96'
if [[ $tgt_etype == "$want" && $svc_etype == "$want" ]]; then
    pass "klist -e shows AES256 for the TGT and the HTTP ticket"
else
    fail "klist -e shows AES256 for the TGT and the HTTP ticket" "$out"
fi

expect "the service ticket decrypts with the keytab (kvno -k)" \
    timeout 15 kvno -k "$MX_KRB5_KEYTAB" "$MX_KRB5_SERVICE_PRINCIPAL"

if out=$(timeout 15 kvno "$MX_KRB5_LOCALHOST_PRINCIPAL" 2>&1) && grep -q 'kvno = 1' <<<"$out"; then
    pass "kvno $MX_KRB5_LOCALHOST_PRINCIPAL gets a service ticket"
else
    fail "kvno $MX_KRB5_LOCALHOST_PRINCIPAL gets a service ticket" "$out"
fi

# --- failures the KDC must report ------------------------------------------------------------
off=$(log_size)
out=$(printf 'not-the-password\n' | KRB5CCNAME=FILE:$state/wrong.ccache timeout 15 kinit "$MX_KRB5_USER@$MX_KRB5_REALM" 2>&1)
rc=$?
if [[ $rc != 0 ]] && grep -q 'Password incorrect while getting initial credentials' <<<"$out" &&
    [[ ! -s $state/wrong.ccache ]]; then
    pass "a wrong password fails: Password incorrect"
else
    fail "a wrong password fails: Password incorrect" "rc=$rc $out"
fi
if grep -q "PREAUTH_FAILED: $MX_KRB5_USER@$MX_KRB5_REALM" <<<"$(log_since "$off")"; then
    pass "KDC logged PREAUTH_FAILED"
else
    fail "KDC logged PREAUTH_FAILED" "$(log_since "$off")"
fi

out=$(printf 'x\n' | KRB5CCNAME=FILE:$state/nobody.ccache timeout 15 kinit "nobody@$MX_KRB5_REALM" 2>&1)
rc=$?
if [[ $rc != 0 ]] && grep -q "not found in Kerberos database" <<<"$out"; then
    pass "an unknown user fails: not found in Kerberos database"
else
    fail "an unknown user fails: not found in Kerberos database" "rc=$rc $out"
fi

out=$(printf '%s\n' "$MX_KRB5_PASSWORD2" | KRB5CCNAME=FILE:$state/bob.ccache timeout 15 kinit "$MX_KRB5_USER2@$MX_KRB5_REALM" 2>&1)
rc=$?
if [[ $rc == 0 ]] && KRB5CCNAME=FILE:$state/bob.ccache klist 2>&1 | grep -q "Default principal: $MX_KRB5_PRINCIPAL2"; then
    pass "kinit $MX_KRB5_USER2 with the password on stdin"
else
    fail "kinit $MX_KRB5_USER2 with the password on stdin" "rc=$rc $out"
fi

# --- keytab ----------------------------------------------------------------------------------
kt=$(klist -k -e "$MX_KRB5_KEYTAB" 2>&1 | awk 'NR > 3 { print $1, $2, $3 }' | sort)
want_kt=$(printf '1 %s (%s)\n' \
    "$MX_KRB5_LOCALHOST_PRINCIPAL" aes128-cts-hmac-sha1-96 \
    "$MX_KRB5_LOCALHOST_PRINCIPAL" aes256-cts-hmac-sha1-96 \
    "$MX_KRB5_SERVICE_PRINCIPAL" aes128-cts-hmac-sha1-96 \
    "$MX_KRB5_SERVICE_PRINCIPAL" aes256-cts-hmac-sha1-96 | sort)
if [[ $kt == "$want_kt" ]]; then
    pass "keytab holds both HTTP principals, kvno 1, AES only"
else
    fail "keytab holds both HTTP principals, kvno 1, AES only" "$kt"
fi

# The keytab key equals the key derived from the password and the default salt
# (REALM + "HTTP" + host), which is how a server without the keytab computes it.
derived=$state/derived.keytab
printf 'addent -password -p %s -k 1 -e aes256-cts-hmac-sha1-96\n%s\naddent -password -p %s -k 1 -e aes128-cts-hmac-sha1-96\n%s\nwkt %s\nquit\n' \
    "$MX_KRB5_SERVICE_PRINCIPAL" "$MX_KRB5_SERVICE_PASSWORD" \
    "$MX_KRB5_SERVICE_PRINCIPAL" "$MX_KRB5_SERVICE_PASSWORD" "$derived" |
    timeout 15 ktutil >/dev/null 2>&1
keys_kt=$(klist -k -K -e "$MX_KRB5_KEYTAB" 2>&1 | grep -F "$MX_KRB5_SERVICE_PRINCIPAL " | awk '{ print $3, $4 }' | sort)
keys_pw=$(klist -k -K -e "$derived" 2>&1 | grep -F "$MX_KRB5_SERVICE_PRINCIPAL " | awk '{ print $3, $4 }' | sort)
if [[ -n $keys_kt && $keys_kt == "$keys_pw" && $(wc -l <<<"$keys_kt") == 2 ]]; then
    pass "keytab keys equal the keys derived from the service password + salt"
else
    fail "keytab keys equal the keys derived from the service password + salt" "keytab: $keys_kt / password: $keys_pw"
fi

expect "kinit -k with the service keytab (preauth with the keytab key)" \
    env KRB5CCNAME="FILE:$state/svc.ccache" timeout 15 kinit -k -t "$MX_KRB5_KEYTAB" "$MX_KRB5_SERVICE_PRINCIPAL"

# --- name resolution -------------------------------------------------------------------------
if [[ $MX_SIM_HOST_RESOLVES == 1 ]]; then
    if getent ahostsv4 "$MX_KRB5_SERVICE_HOST" | awk '{ print $1 }' | grep -qx 127.0.0.1; then
        pass "$MX_KRB5_SERVICE_HOST resolves to 127.0.0.1"
    else
        fail "$MX_KRB5_SERVICE_HOST resolves to 127.0.0.1" "$(getent ahostsv4 "$MX_KRB5_SERVICE_HOST")"
    fi
else
    printf 'skip %s does not resolve (MX_SIM_HOST_RESOLVES=0): clients connect to %s with an SPN override\n' \
        "$MX_KRB5_SERVICE_HOST" "$MX_SIM_ADDR"
fi

# --- idempotency -----------------------------------------------------------------------------
if out=$(timeout 60 "$here/start-kdc.sh" "$state" 2>&1) &&
    [[ $(sed -n 's/^export MX_KDC_PID=//p' "$state/env") == "$MX_KDC_PID" ]] &&
    [[ $(sed -n 's/^export MX_KDC_PORT=//p' "$state/env") == "$MX_KDC_PORT" ]]; then
    pass "start-kdc.sh again keeps the running KDC (same pid and port)"
else
    fail "start-kdc.sh again keeps the running KDC (same pid and port)" "$out"
fi

old_port=$MX_KDC_PORT
kill "$MX_KDC_PID" 2>/dev/null
for ((i = 0; i < 50; i++)); do
    kill -0 "$MX_KDC_PID" 2>/dev/null || break
    sleep 0.1
done
if out=$(timeout 60 "$here/start-kdc.sh" "$state" 2>&1); then
    # shellcheck source=/dev/null
    . "$state/env"
    if kill -0 "$MX_KDC_PID" 2>/dev/null && [[ $MX_KDC_PORT == "$old_port" ]] &&
        printf '%s\n' "$MX_KRB5_PASSWORD" | KRB5CCNAME=FILE:$state/again.ccache timeout 15 kinit "$MX_KRB5_PRINCIPAL" >/dev/null 2>&1; then
        pass "start-kdc.sh restarts a stopped KDC on the same realm and port"
    else
        fail "start-kdc.sh restarts a stopped KDC on the same realm and port" "$out"
    fi
else
    fail "start-kdc.sh restarts a stopped KDC on the same realm and port" "$out"
fi

# --- GSSAPI client (the path pypsrp takes) ---------------------------------------------------
if ensure_python_gssapi; then
    if out=$(timeout 60 /usr/bin/python3 "$here/gss_ap_req.py" 2>&1); then
        pass "GSSAPI: AP-REQ for HTTP@$MX_KRB5_SERVICE_HOST, accepted with the keytab ($(grep -c '^ok' <<<"$out") checks)"
    else
        fail "GSSAPI: AP-REQ for HTTP@$MX_KRB5_SERVICE_HOST, accepted with the keytab" "$out"
    fi
else
    fail "GSSAPI: python3-gssapi available" "could not import or install python3-gssapi"
fi

if [[ ${MX_KDC_PYSPNEGO:-0} == 1 ]]; then
    venv=${MX_KDC_VENV:-/tmp/mx-kdc-venv}
    if ! "$venv/bin/python" -c 'import spnego, gssapi, krb5' >/dev/null 2>&1; then
        # Debian's python3-gssapi (seen through --system-site-packages) saves building gssapi;
        # the krb5 package has no Linux wheel and Debian has no package for it, so pip
        # builds it (libkrb5-dev, gcc, python3-dev).
        t_venv=$(date +%s)
        DEBIAN_FRONTEND=noninteractive timeout 600 apt-get -o DPkg::Lock::Timeout=120 install -y -q \
            python3-gssapi python3-venv python3-dev libkrb5-dev gcc >/dev/null 2>&1
        /usr/bin/python3 -m venv --system-site-packages "$venv" >/dev/null 2>&1 &&
            timeout 900 "$venv/bin/pip" install -q pyspnego krb5 >/dev/null 2>&1
        printf 'info pyspnego venv built in %d s\n' "$(($(date +%s) - t_venv))"
    fi
    if out=$(timeout 60 "$venv/bin/python" "$here/spnego_ap_req.py" 2>&1); then
        pass "pyspnego: kerberos and negotiate round trips ($(grep -c '^ok' <<<"$out") checks)"
    else
        fail "pyspnego: kerberos and negotiate round trips" "$out"
    fi
fi

# --- stop ------------------------------------------------------------------------------------
pid=$MX_KDC_PID
if "$here/stop-kdc.sh" "$state" && [[ ! -e $state ]] && ! kill -0 "$pid" 2>/dev/null; then
    pass "stop-kdc.sh stops the KDC and removes the state"
else
    fail "stop-kdc.sh stops the KDC and removes the state"
fi

summary
