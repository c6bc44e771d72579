#!/usr/bin/env bash
# Proves the throwaway AD domain from start-dc.sh works, with MIT's client tools (krb5-user)
# against the Samba KDC, for every user form the tests rely on; then stops it. Ends with a
# "N passed, N failed" line and exits non-zero when anything failed.
#
# Usage: check.sh [STATE_DIR]   (a running DC's directory is checked and left running)
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
passed=0
failed=0
state=''
own=0

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

cleanup() {
    if [[ $own == 1 && -n $state && -d $state ]]; then
        "$here/stop-dc.sh" "$state" >/dev/null 2>&1 || true
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

summary() {
    printf '%d passed, %d failed\n' "$passed" "$failed"
    [[ $failed == 0 ]]
}

if [[ $# -ge 1 && -n $1 ]]; then
    state=$1
else
    state=$(mktemp -d "${TMPDIR:-/tmp}/mx-samba-check.XXXXXX")
    own=1
fi
t0=$(date +%s.%N)
if ! start_out=$("$here/start-dc.sh" "$state" 2>&1); then
    fail "start-dc.sh provisions and starts a DC" "$start_out"
    summary
    exit 1
fi
t1=$(date +%s.%N)
pass "start-dc.sh provisions and starts a DC ($(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s)"
printf '%s\n' "$start_out" | grep '^start-dc:' | sed 's/^/     | /'

# shellcheck source=/dev/null
. "$state/env"
export KRB5CCNAME=FILE:$state/check.ccache
PATH=$PATH:/usr/sbin:/sbin

missing=''
for n in $(sed -n 's/^export \([A-Z0-9_]*\)=.*/\1/p' "$state/env"); do
    [[ -n ${!n:-} ]] || missing+=" $n"
    grep -q "\"$n\": " "$state/env.json" || missing+=" $n(json)"
done
if [[ -z $missing ]]; then pass "env and env.json define every variable"; else fail "env and env.json define every variable" "missing:$missing"; fi

hexport=$(printf '%04X' "$MX_KDC_PORT")
tcp_listen=$(awk -v p=":$hexport" '$2 ~ p"$" && $4 == "0A" { print $2 }' /proc/net/tcp /proc/net/tcp6 2>/dev/null | sort -u)
# `interfaces = lo` is 127.0.0.1 and ::1: every listener must be one of them.
not_loopback=$(grep -vxE "0100007F:$hexport|0{24}01000000:$hexport" <<<"$tcp_listen")
if grep -qx "0100007F:$hexport" <<<"$tcp_listen" && [[ -z $not_loopback && $MX_KDC_PORT != 88 ]]; then
    pass "KDC listens on loopback port $MX_KDC_PORT only"
else
    fail "KDC listens on loopback port $MX_KDC_PORT only" "tcp: $tcp_listen"
fi
if grep -q "server services = kdc" "$state/etc/smb.conf" && ! grep -q CONTOSO /etc/krb5.conf 2>/dev/null; then
    pass "KDC-only smb.conf in the state dir; /etc/krb5.conf untouched"
else
    fail "KDC-only smb.conf in the state dir; /etc/krb5.conf untouched"
fi

# kinit NAME PASSWORD [kinit options...]: the default principal afterwards.
kinit_as() {
    local name=$1 pw=$2
    shift 2
    rm -f "$state/check.ccache"
    printf '%s\n' "$pw" | timeout 15 kinit "$@" "$name" >/dev/null 2>&1 || return 1
    klist 2>/dev/null | sed -n 's/^Default principal: //p'
}

check_kinit() {
    local what=$1 want=$2 got
    shift 2
    if got=$(kinit_as "$@") && [[ $got == "$want" ]]; then
        pass "$what"
    else
        fail "$what" "principal: ${got:-none}"
    fi
}

check_kinit "kinit $MX_KRB5_PRINCIPAL" "$MX_KRB5_PRINCIPAL" "$MX_KRB5_PRINCIPAL" "$MX_KRB5_PASSWORD"
check_kinit "kinit $MX_KRB5_PRINCIPAL2" "$MX_KRB5_PRINCIPAL2" "$MX_KRB5_PRINCIPAL2" "$MX_KRB5_PASSWORD2"
check_kinit "kinit $MX_AD_UPN_USER@$MX_KRB5_REALM (sAMAccountName of a user whose UPN differs)" \
    "$MX_AD_UPN_USER@$MX_KRB5_REALM" "$MX_AD_UPN_USER@$MX_KRB5_REALM" "$MX_AD_UPN_PASSWORD"
check_kinit "kinit -E $MX_AD_UPN (UPN prefix is not the sAMAccountName)" \
    "${MX_AD_UPN/@/\\@}@$MX_KRB5_REALM" "$MX_AD_UPN" "$MX_AD_UPN_PASSWORD" -E
check_kinit "kinit -E $MX_AD_ALT_UPN (alternative UPN suffix)" \
    "${MX_AD_ALT_UPN/@/\\@}@$MX_KRB5_REALM" "$MX_AD_ALT_UPN" "$MX_AD_ALT_UPN_PASSWORD" -E
check_kinit "kinit -C -E $MX_AD_ALT_UPN canonicalizes to $MX_AD_ALT_UPN_USER" \
    "$MX_AD_ALT_UPN_USER@$MX_KRB5_REALM" "$MX_AD_ALT_UPN" "$MX_AD_ALT_UPN_PASSWORD" -C -E

rm -f "$state/check.ccache"
if out=$(timeout 15 kinit -k -t "$MX_AD_KEYTAB" "$MX_AD_KEYTAB_PRINCIPAL" 2>&1); then
    pass "kinit -k with the service account's keytab ($MX_AD_KEYTAB_PRINCIPAL)"
else
    fail "kinit -k with the service account's keytab ($MX_AD_KEYTAB_PRINCIPAL)" "$out"
fi

printf '%s\n' "$MX_KRB5_PASSWORD" | timeout 15 kinit "$MX_KRB5_PRINCIPAL" >/dev/null 2>&1
if out=$(timeout 15 kvno -k "$MX_KRB5_KEYTAB" "$MX_KRB5_SERVICE_PRINCIPAL" 2>&1) && grep -q 'keytab entry valid' <<<"$out"; then
    pass "a ticket for $MX_KRB5_SERVICE_PRINCIPAL decrypts with the exported keytab"
else
    fail "a ticket for $MX_KRB5_SERVICE_PRINCIPAL decrypts with the exported keytab" "$out"
fi
want='Etype (skey, tkt): aes256-cts-hmac-sha1-96, aes256-cts-hmac-sha1-96'
if klist -e 2>&1 | grep -A1 "$MX_KRB5_SERVICE_PRINCIPAL" | grep -qF "$want"; then
    pass "the HTTP ticket is AES256 (msDS-SupportedEncryptionTypes=24)"
else
    fail "the HTTP ticket is AES256 (msDS-SupportedEncryptionTypes=24)" "$(klist -e 2>&1)"
fi
timeout 15 kvno "$MX_AD_RC4_PRINCIPAL" >/dev/null 2>&1
if klist -e 2>&1 | grep -A1 "$MX_AD_RC4_PRINCIPAL" | grep -q 'tkt): .*, .*arcfour-hmac'; then
    pass "$MX_AD_RC4_PRINCIPAL (no msDS-SupportedEncryptionTypes) gets an RC4 ticket"
else
    fail "$MX_AD_RC4_PRINCIPAL (no msDS-SupportedEncryptionTypes) gets an RC4 ticket" "$(klist -e 2>&1)"
fi

out=$(printf 'wrong\n' | KRB5CCNAME=FILE:$state/wrong.ccache timeout 15 kinit "$MX_KRB5_PRINCIPAL" 2>&1)
if [[ $? != 0 ]] && grep -qi 'password incorrect\|preauthentication failed' <<<"$out"; then
    pass "a wrong password fails"
else
    fail "a wrong password fails" "$out"
fi

if [[ $own == 1 ]]; then
    "$here/stop-dc.sh" "$state" >/dev/null 2>&1
    if [[ ! -d $state ]] && ! kill -0 "$MX_KDC_PID" 2>/dev/null; then
        pass "stop-dc.sh stops samba and removes the state directory"
    else
        fail "stop-dc.sh stops samba and removes the state directory"
    fi
fi
summary
