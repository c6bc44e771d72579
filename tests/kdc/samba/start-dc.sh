#!/usr/bin/env bash
# Starts a throwaway Samba Active Directory domain controller, KDC only, on loopback for the
# Kerberos tests: realm CONTOSO.COM, NetBIOS domain CONTOSO.
#
# Usage: start-dc.sh [STATE_DIR]
#
# Everything (sam.ldb, smb.conf, krb5.conf, keytabs, logs, pid) lives under STATE_DIR (default:
# a new mktemp directory); /etc/krb5.conf and /etc/samba are never read or written. Samba runs
# with `server services = kdc` (no SMB, LDAP, DNS or RPC), in one process, on a free high port
# on 127.0.0.1 (TCP and UDP). Prints the state directory on stdout as the last line and writes
# STATE_DIR/env (shell) and STATE_DIR/env.json with the same variables. The variables that
# tests/kdc/start-kdc.sh also writes have the same names and meaning, so a test reads either
# realm the same way; see README.md in this directory for the AD-only ones.
#
# Idempotent: when STATE_DIR holds a running DC that answers, nothing changes; when it holds a
# provisioned domain whose DC has stopped, the DC is started again.
#
# Environment knobs:
#   MX_KDC_HOSTS=0       do not add "127.0.0.1 ex01.contoso.com" to /etc/hosts
#   MX_KDC_NO_INSTALL=1  never call apt-get (fail if the tools are missing)
set -euo pipefail

readonly REALM=CONTOSO.COM
readonly DNS_DOMAIN=contoso.com
readonly DOMAIN=CONTOSO
readonly ALT_SUFFIX=fabrikam.com
readonly BASE_DN=DC=contoso,DC=com
# The Exchange server: a computer account whose SPN HTTP/<fqdn> the client asks a ticket for.
readonly EXCHANGE=EX01
readonly SERVICE_HOST=ex01.contoso.com
# An account with an SPN and without msDS-SupportedEncryptionTypes (AD then issues RC4
# tickets for it).
readonly LEGACY_ACCOUNT=svc-legacy
readonly LEGACY_HOST=legacy.contoso.com
# A service account for keytab logons (AES enabled).
readonly SERVICE_ACCOUNT=svc-mx
# Fixed, documented test secrets (AD complexity rules: upper, lower, digit). The domain exists
# only for a test run on loopback. Free of shell and JSON metacharacters.
readonly ADMIN_PASSWORD=Admin-Pass-2026
readonly ALICE_PASSWORD=Alice-Pass-2026
readonly BOB_PASSWORD=Bob-Pass-2026
readonly JDOE_PASSWORD=Jdoe-Pass-2026
readonly JSMITH_PASSWORD=Jsmith-Pass-2026
readonly SERVICE_PASSWORD=Svc-Mx-Pass-2026
readonly LEGACY_PASSWORD=Svc-Legacy-Pass-2026
readonly EXCHANGE_PASSWORD=Ex01-Machine-Pass-2026
readonly MARKER=.mx-samba-dc-state

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../ports.sh
. "$here/../ports.sh"
# shellcheck source=../env-files.sh
. "$here/../env-files.sh"

log() { printf 'start-dc: %s\n' "$*" >&2; }
die() {
    log "error: $*"
    exit 1
}

# --- packages -------------------------------------------------------------------------------

have_tools() {
    local t
    for t in samba samba-tool ldbmodify ldbsearch kinit klist kvno; do
        command -v "$t" >/dev/null 2>&1 || [[ -x /usr/sbin/$t ]] || return 1
    done
    # The schema files, LDB modules and VFS modules a DC needs (packages samba only
    # recommends).
    [[ -d /usr/share/samba/setup/ad-schema ]] &&
        compgen -G '/usr/lib/*/samba/ldb/samba_secrets.so' >/dev/null &&
        compgen -G '/usr/lib/*/samba/vfs/acl_xattr.so' >/dev/null
}

readonly PACKAGES="samba samba-ad-provision samba-dsdb-modules samba-vfs-modules krb5-user winbind ldb-tools"

install_packages() {
    [[ ${MX_KDC_NO_INSTALL:-0} == 1 ]] && die "Samba tools missing and MX_KDC_NO_INSTALL=1"
    [[ $(id -u) == 0 ]] || die "Samba tools missing; run as root or install $PACKAGES"
    # The samba package starts smbd/nmbd/samba-ad-dc on every address when installed; a
    # policy-rc.d answering 101 makes invoke-rc.d skip every start. Keep an existing one.
    local policy=/usr/sbin/policy-rc.d added_policy=0
    if [[ ! -e $policy ]]; then
        trap 'rm -f /usr/sbin/policy-rc.d' EXIT
        printf '#!/bin/sh\nexit 101\n' >"$policy"
        chmod 0755 "$policy"
        added_policy=1
    fi
    local t0 t1 rc=0
    t0=$(date +%s)
    export DEBIAN_FRONTEND=noninteractive
    local -a pkgs
    read -r -a pkgs <<<"$PACKAGES"
    if ! timeout 900 apt-get -o DPkg::Lock::Timeout=120 install -y -q --no-install-recommends \
        -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${pkgs[@]}" >&2; then
        timeout 300 apt-get -o DPkg::Lock::Timeout=120 update -q >&2 || rc=$?
        if [[ $rc == 0 ]]; then
            timeout 900 apt-get -o DPkg::Lock::Timeout=120 install -y -q --no-install-recommends \
                -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${pkgs[@]}" >&2 || rc=$?
        fi
    fi
    if [[ $added_policy == 1 ]]; then
        rm -f "$policy"
        trap - EXIT
    fi
    [[ $rc == 0 ]] || die "apt-get failed with status $rc"
    t1=$(date +%s)
    log "installed ${pkgs[*]} in $((t1 - t0)) s"
}

# --- configuration --------------------------------------------------------------------------

write_krb5_conf() {
    local dir=$1 port=$2
    cat >"$dir/krb5.conf" <<EOF
# Client settings for the throwaway AD domain $REALM (see tests/kdc/samba/README.md).
[libdefaults]
    default_realm = $REALM
    dns_lookup_realm = false
    dns_lookup_kdc = false
    dns_canonicalize_hostname = false
    rdns = false
    udp_preference_limit = 1
    ticket_lifetime = 10h
    forwardable = true

[realms]
    $REALM = {
        kdc = 127.0.0.1:$port
        default_domain = $DNS_DOMAIN
    }

[domain_realm]
    .$DNS_DOMAIN = $REALM
    $DNS_DOMAIN = $REALM
EOF
}

# Rewrites the KDC ports in smb.conf (a restarted DC may need a new one).
set_ports() {
    local conf=$1 port=$2 kpasswd=$3
    sed -i -e "s/^\(\s*krb5 port\s*=\).*/\1 $port/" -e "s/^\(\s*kpasswd port\s*=\).*/\1 $kpasswd/" "$conf"
}

sam() { printf 'tdb://%s/private/sam.ldb' "$1"; }

# ldbmodify on the local sam.ldb with an LDIF on stdin.
ldb_modify() {
    timeout 60 ldbmodify -H "$(sam "$1")" >>"$1/provision.log" 2>&1
}

tool() {
    local dir=$1
    shift
    timeout 120 samba-tool "$@" -s "$dir/etc/smb.conf" >>"$dir/provision.log" 2>&1
}

provision() {
    local dir=$1 port=$2 kpasswd=$3 t0 t1
    t0=$(date +%s.%N)
    rm -rf "$dir/etc" "$dir/private" "$dir/state" "$dir/cache" "$dir/lock" "$dir/run" "$dir/log"
    mkdir -p "$dir/run" "$dir/log" "$dir/ncalrpc" "$dir/winbindd"
    timeout 300 samba-tool domain provision --realm="$REALM" --domain="$DOMAIN" \
        --server-role=dc --dns-backend=SAMBA_INTERNAL --targetdir="$dir" \
        --host-name=dc1 --host-ip=127.0.0.1 --adminpass="$ADMIN_PASSWORD" \
        --option="interfaces = lo" --option="bind interfaces only = yes" \
        --option="server services = kdc" --option="krb5 port = $port" \
        --option="kpasswd port = $kpasswd" --option="log file = $dir/log/%m.log" \
        --option="pid directory = $dir/run" --option="ncalrpc dir = $dir/ncalrpc" \
        --option="winbindd socket directory = $dir/winbindd" \
        --option="log level = 1 auth_audit:3 kerberos:3" \
        >"$dir/provision.log" 2>&1 || die "samba-tool domain provision failed: $(tail -n 20 "$dir/provision.log")"
    [[ -f $dir/etc/smb.conf ]] || die "provision wrote no smb.conf"

    tool "$dir" domain passwordsettings set --max-pwd-age=0 --complexity=off ||
        die "passwordsettings: $(tail -n 5 "$dir/provision.log")"
    local u
    for u in "alice:$ALICE_PASSWORD" "bob:$BOB_PASSWORD" "jdoe:$JDOE_PASSWORD" \
        "jsmith:$JSMITH_PASSWORD" "$SERVICE_ACCOUNT:$SERVICE_PASSWORD" \
        "$LEGACY_ACCOUNT:$LEGACY_PASSWORD"; do
        tool "$dir" user create "${u%%:*}" "${u#*:}" || die "user create ${u%%:*}: $(tail -n 5 "$dir/provision.log")"
    done
    tool "$dir" computer create "$EXCHANGE" --service-principal-name="HTTP/$SERVICE_HOST" ||
        die "computer create $EXCHANGE: $(tail -n 5 "$dir/provision.log")"
    # `computer create` leaves the account without a password, hence without keys; a
    # password set afterwards gets AD's computer salt (REALM + host + name + . + realm).
    tool "$dir" user setpassword "$EXCHANGE\$" --newpassword="$EXCHANGE_PASSWORD" ||
        die "setpassword $EXCHANGE\$: $(tail -n 5 "$dir/provision.log")"
    tool "$dir" spn add "HTTP/$LEGACY_HOST" "$LEGACY_ACCOUNT" ||
        die "spn add HTTP/$LEGACY_HOST: $(tail -n 5 "$dir/provision.log")"

    # The alternative UPN suffix of the forest, the UPNs, and AES for the accounts that hold
    # an SPN or log on with a keytab (24 = AES128 | AES256). The legacy account keeps no
    # msDS-SupportedEncryptionTypes at all.
    ldb_modify "$dir" <<EOF || die "ldbmodify failed: $(tail -n 5 "$dir/provision.log")"
dn: CN=Partitions,CN=Configuration,$BASE_DN
changetype: modify
add: uPNSuffixes
uPNSuffixes: $ALT_SUFFIX

dn: CN=jdoe,CN=Users,$BASE_DN
changetype: modify
replace: userPrincipalName
userPrincipalName: john.doe@$DNS_DOMAIN

dn: CN=jsmith,CN=Users,$BASE_DN
changetype: modify
replace: userPrincipalName
userPrincipalName: john.smith@$ALT_SUFFIX

dn: CN=$EXCHANGE,CN=Computers,$BASE_DN
changetype: modify
replace: msDS-SupportedEncryptionTypes
msDS-SupportedEncryptionTypes: 24
-
replace: dNSHostName
dNSHostName: $SERVICE_HOST

dn: CN=$SERVICE_ACCOUNT,CN=Users,$BASE_DN
changetype: modify
replace: msDS-SupportedEncryptionTypes
msDS-SupportedEncryptionTypes: 24
EOF

    # Keytabs: the Exchange computer account (every principal and enctype of the account,
    # as a machine keytab has), the service account for keytab logons, the legacy account.
    rm -f "$dir"/*.keytab
    tool "$dir" domain exportkeytab "$dir/http.keytab" --principal="$EXCHANGE\$" ||
        die "exportkeytab $EXCHANGE\$: $(tail -n 5 "$dir/provision.log")"
    tool "$dir" domain exportkeytab "$dir/http.keytab" --principal="HTTP/$SERVICE_HOST" ||
        die "exportkeytab HTTP/$SERVICE_HOST: $(tail -n 5 "$dir/provision.log")"
    tool "$dir" domain exportkeytab "$dir/service.keytab" --principal="$SERVICE_ACCOUNT" ||
        die "exportkeytab $SERVICE_ACCOUNT: $(tail -n 5 "$dir/provision.log")"
    tool "$dir" domain exportkeytab "$dir/legacy.keytab" --principal="HTTP/$LEGACY_HOST" ||
        die "exportkeytab HTTP/$LEGACY_HOST: $(tail -n 5 "$dir/provision.log")"
    [[ -s $dir/http.keytab && -s $dir/service.keytab && -s $dir/legacy.keytab ]] || die "keytabs not written"
    : >"$dir/domain.ok"
    t1=$(date +%s.%N)
    log "domain $REALM provisioned in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s"
}

# --- DC process -----------------------------------------------------------------------------

dc_pid_alive() {
    local dir=$1 pid
    [[ -s $dir/samba.pid ]] || return 1
    pid=$(tr -dc '0-9' <"$dir/samba.pid")
    [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null && [[ $(cat "/proc/$pid/comm" 2>/dev/null) == samba ]]
}

# True when an AS exchange for alice works against the KDC configured in krb5.conf.
dc_answers() {
    local dir=$1
    printf '%s\n' "$ALICE_PASSWORD" |
        KRB5_CONFIG="$dir/krb5.conf" KRB5CCNAME="FILE:$dir/probe.ccache" \
            timeout 5 kinit "alice@$REALM" >/dev/null 2>&1
}

start_dc() {
    local dir=$1 port=$2 pid i
    rm -f "$dir/samba.pid"
    # -i keeps samba in the foreground (its own process group via setsid), single process:
    # the KDC is the only service.
    setsid samba -i -M single -s "$dir/etc/smb.conf" </dev/null >>"$dir/log/samba.stdio.log" 2>&1 &
    pid=$!
    printf '%d\n' "$pid" >"$dir/samba.pid"
    for ((i = 0; i < 100; i++)); do
        if dc_answers "$dir"; then
            rm -f "$dir/probe.ccache"
            return 0
        fi
        kill -0 "$pid" 2>/dev/null || return 1
        sleep 0.2
    done
    log "samba pid $pid on port $port does not answer"
    kill "$pid" 2>/dev/null || true
    return 1
}

stop_dc_process() {
    local dir=$1 pid i
    dc_pid_alive "$dir" || return 0
    pid=$(tr -dc '0-9' <"$dir/samba.pid")
    kill -- "-$pid" 2>/dev/null || kill "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    kill -9 -- "-$pid" 2>/dev/null || kill -9 "$pid" 2>/dev/null || true
}

# --- /etc/hosts -----------------------------------------------------------------------------

# Makes the Exchange host name (and the legacy RC4 host) resolve to 127.0.0.1 so that clients
# connect by the FQDN the SPN names (as start-kdc.sh does for its host). MX_KDC_HOSTS=0 leaves /etc/hosts alone;
# clients then connect to 127.0.0.1 with an SPN override.
ensure_hosts_entry() {
    local host ok=0
    for host in "$SERVICE_HOST" "$LEGACY_HOST"; do
        if getent ahostsv4 "$host" 2>/dev/null | awk '{print $1}' | grep -qx 127.0.0.1; then
            continue
        fi
        [[ ${MX_KDC_HOSTS:-1} == 0 ]] && { ok=1; continue; }
        [[ -w /etc/hosts ]] || { ok=1; continue; }
        printf '127.0.0.1 %s # monosync-exchange tests/kdc/samba\n' "$host" >>/etc/hosts 2>/dev/null || { ok=1; continue; }
        getent ahostsv4 "$host" 2>/dev/null | awk '{print $1}' | grep -qx 127.0.0.1 || ok=1
    done
    return "$ok"
}

# --- env files ------------------------------------------------------------------------------

write_env() {
    local dir=$1 port=$2 pid=$3 resolves=$4
    local -a names=(
        KRB5_CONFIG KRB5CCNAME KRB5_KTNAME
        MX_KDC_KIND MX_KDC_STATE_DIR MX_KDC_URL MX_KDC_HOST MX_KDC_PORT MX_KDC_PID
        MX_KRB5_REALM MX_KRB5_USER MX_KRB5_PRINCIPAL MX_KRB5_PASSWORD
        MX_KRB5_USER2 MX_KRB5_PRINCIPAL2 MX_KRB5_PASSWORD2
        MX_KRB5_SERVICE_HOST MX_KRB5_SERVICE_PRINCIPAL MX_KRB5_KEYTAB
        MX_SIM_ADDR MX_SIM_HOST_RESOLVES
        MX_AD_NETBIOS_DOMAIN MX_AD_DNS_DOMAIN MX_AD_BASE_DN MX_AD_SAM_LDB
        MX_AD_ADMIN_PASSWORD MX_AD_SERVICE_ACCOUNT
        MX_AD_UPN_USER MX_AD_UPN MX_AD_UPN_PASSWORD
        MX_AD_ALT_SUFFIX MX_AD_ALT_UPN_USER MX_AD_ALT_UPN MX_AD_ALT_UPN_PASSWORD
        MX_AD_KEYTAB_USER MX_AD_KEYTAB_PRINCIPAL MX_AD_KEYTAB MX_AD_KEYTAB_PASSWORD
        MX_AD_RC4_ACCOUNT MX_AD_RC4_HOST MX_AD_RC4_PRINCIPAL MX_AD_RC4_KEYTAB MX_AD_RC4_PASSWORD
        MX_KRB5_UPN_USER MX_KRB5_UPN_PASSWORD MX_KRB5_UPN_ACCOUNT MX_KRB5_RC4_SERVICE_HOST
    )
    local -A v=(
        [KRB5_CONFIG]=$dir/krb5.conf
        [KRB5CCNAME]=FILE:$dir/ccache
        [KRB5_KTNAME]=FILE:$dir/http.keytab
        [MX_KDC_KIND]=samba
        [MX_KDC_STATE_DIR]=$dir
        [MX_KDC_URL]=tcp://127.0.0.1:$port
        [MX_KDC_HOST]=127.0.0.1
        [MX_KDC_PORT]=$port
        [MX_KDC_PID]=$pid
        [MX_KRB5_REALM]=$REALM
        [MX_KRB5_USER]=alice
        [MX_KRB5_PRINCIPAL]=alice@$REALM
        [MX_KRB5_PASSWORD]=$ALICE_PASSWORD
        [MX_KRB5_USER2]=bob
        [MX_KRB5_PRINCIPAL2]=bob@$REALM
        [MX_KRB5_PASSWORD2]=$BOB_PASSWORD
        [MX_KRB5_SERVICE_HOST]=$SERVICE_HOST
        [MX_KRB5_SERVICE_PRINCIPAL]=HTTP/$SERVICE_HOST@$REALM
        [MX_KRB5_KEYTAB]=$dir/http.keytab
        [MX_SIM_ADDR]=127.0.0.1
        [MX_SIM_HOST_RESOLVES]=$resolves
        [MX_AD_NETBIOS_DOMAIN]=$DOMAIN
        [MX_AD_DNS_DOMAIN]=$DNS_DOMAIN
        [MX_AD_BASE_DN]=$BASE_DN
        [MX_AD_SAM_LDB]=$dir/private/sam.ldb
        [MX_AD_ADMIN_PASSWORD]=$ADMIN_PASSWORD
        [MX_AD_SERVICE_ACCOUNT]=$EXCHANGE\$
        [MX_AD_UPN_USER]=jdoe
        [MX_AD_UPN]=john.doe@$DNS_DOMAIN
        [MX_AD_UPN_PASSWORD]=$JDOE_PASSWORD
        [MX_AD_ALT_SUFFIX]=$ALT_SUFFIX
        [MX_AD_ALT_UPN_USER]=jsmith
        [MX_AD_ALT_UPN]=john.smith@$ALT_SUFFIX
        [MX_AD_ALT_UPN_PASSWORD]=$JSMITH_PASSWORD
        [MX_AD_KEYTAB_USER]=$SERVICE_ACCOUNT
        [MX_AD_KEYTAB_PRINCIPAL]=$SERVICE_ACCOUNT@$REALM
        [MX_AD_KEYTAB]=$dir/service.keytab
        [MX_AD_KEYTAB_PASSWORD]=$SERVICE_PASSWORD
        [MX_AD_RC4_ACCOUNT]=$LEGACY_ACCOUNT
        [MX_AD_RC4_HOST]=$LEGACY_HOST
        [MX_AD_RC4_PRINCIPAL]=HTTP/$LEGACY_HOST@$REALM
        [MX_AD_RC4_KEYTAB]=$dir/legacy.keytab
        [MX_AD_RC4_PASSWORD]=$LEGACY_PASSWORD
        # The names the realm-independent tests read (tests/kdc/start-kdc.sh sets them for
        # MIT): the user whose UPN suffix is not the realm, and the SPN host without AES keys.
        [MX_KRB5_UPN_USER]=john.smith@$ALT_SUFFIX
        [MX_KRB5_UPN_PASSWORD]=$JSMITH_PASSWORD
        [MX_KRB5_UPN_ACCOUNT]=jsmith
        [MX_KRB5_RC4_SERVICE_HOST]=$LEGACY_HOST
    )
    write_env_files "$dir" tests/kdc/samba/start-dc.sh
}

# --- main -----------------------------------------------------------------------------------

main() {
    local dir
    if [[ $# -ge 1 && -n $1 ]]; then
        dir=$1
        mkdir -p "$dir"
    else
        dir=$(mktemp -d "${TMPDIR:-/tmp}/mx-samba-dc.XXXXXX")
    fi
    dir=$(cd "$dir" && pwd -P)
    [[ -e $dir/$MARKER ]] || [[ -z $(ls -A "$dir") ]] ||
        die "$dir is not empty and was not made by start-dc.sh; give an empty or new directory"
    : >"$dir/$MARKER"
    chmod 0700 "$dir"
    export PATH=$PATH:/usr/sbin:/sbin

    have_tools || install_packages
    have_tools || die "Samba tools still missing after install"

    local resolves=0 port kpasswd
    if ensure_hosts_entry; then resolves=1; fi

    if [[ -s $dir/env && -e $dir/domain.ok ]] && dc_pid_alive "$dir"; then
        port=$(sed -n 's/^export MX_KDC_PORT=//p' "$dir/env")
        if [[ -n $port ]] && dc_answers "$dir"; then
            write_env "$dir" "$port" "$(tr -dc '0-9' <"$dir/samba.pid")" "$resolves"
            log "DC already running on 127.0.0.1:$port"
            printf '%s\n' "$dir"
            return 0
        fi
        stop_dc_process "$dir"
    fi

    local prev_port=''
    [[ -s $dir/env ]] && prev_port=$(sed -n 's/^export MX_KDC_PORT=//p' "$dir/env")
    local attempt
    for ((attempt = 0; attempt < 5; attempt++)); do
        if [[ $attempt == 0 && -n $prev_port ]] && ! ports_in_use | grep -qx "$prev_port"; then
            port=$prev_port
        else
            port=$(pick_port)
        fi
        kpasswd=$(pick_port)
        [[ $kpasswd != "$port" ]] || continue
        # domain.ok is written last, so a provisioning cut short is done anew.
        if [[ ! -e $dir/domain.ok ]]; then
            stop_dc_process "$dir"
            provision "$dir" "$port" "$kpasswd"
        else
            set_ports "$dir/etc/smb.conf" "$port" "$kpasswd"
        fi
        write_krb5_conf "$dir" "$port"
        if start_dc "$dir" "$port"; then
            local pid
            pid=$(tr -dc '0-9' <"$dir/samba.pid")
            write_env "$dir" "$port" "$pid" "$resolves"
            log "Samba AD DC (KDC only) pid $pid on 127.0.0.1:$port (tcp+udp), realm $REALM, domain $DOMAIN"
            printf '%s\n' "$dir"
            return 0
        fi
        stop_dc_process "$dir"
        log "DC did not start on port $port; retrying"
    done
    die "Samba failed to start; see $dir/log/samba.stdio.log and $dir/log"
}

main "$@"
