#!/usr/bin/env bash
# Starts a throwaway MIT Kerberos realm MONOSYNC.TEST on loopback for the Kerberos tests.
#
# Usage: start-kdc.sh [STATE_DIR]
#
# Everything (database, stash, configs, keytab, log, pid file) lives under STATE_DIR
# (default: a new mktemp directory). /etc/krb5.conf is never read or written: clients and
# the KDC use STATE_DIR/krb5.conf and STATE_DIR/kdc.conf through KRB5_CONFIG and
# KRB5_KDC_PROFILE. The KDC listens on 127.0.0.1 on a free high port (TCP and UDP), chosen
# at run time. Prints the state directory on stdout as the last line, and writes
# STATE_DIR/env (shell) and STATE_DIR/env.json with the same variables.
#
# Idempotent: when STATE_DIR already holds a running KDC that answers, nothing changes; when
# it holds a realm whose KDC has stopped, the KDC is started again on the same realm.
#
# Environment knobs:
#   MX_KDC_HOSTS=0       do not add "127.0.0.1 sim.monosync.test" to /etc/hosts
#   MX_KDC_NO_INSTALL=1  never call apt-get (fail if the tools are missing)
set -euo pipefail

readonly REALM=MONOSYNC.TEST
readonly SERVICE_HOST=sim.monosync.test
readonly ENCTYPES="aes256-cts-hmac-sha1-96 aes128-cts-hmac-sha1-96"
# Fixed, documented test secrets: the realm exists only for the duration of a test run on
# loopback. Kept free of shell and JSON metacharacters.
readonly ALICE_PASSWORD=Alice-Pass-2026
readonly BOB_PASSWORD=Bob-Pass-2026
# A user known by a UPN whose suffix is not the realm (an alternative UPN suffix): MIT finds an
# NT-ENTERPRISE name by the principal whose single component is the whole UPN.
readonly UPN_USER=john.smith@fabrikam.test
readonly UPN_PASSWORD=John-Pass-2026
readonly SERVICE_PASSWORD=Http-Service-Pass-2026
readonly MASTER_PASSWORD=Master-Key-Pass-2026
readonly MARKER=.mx-kdc-state

log() { printf 'start-kdc: %s\n' "$*" >&2; }
die() {
    log "error: $*"
    exit 1
}

# --- packages -------------------------------------------------------------------------------

have_tools() {
    local t
    for t in krb5kdc kdb5_util kadmin.local kinit klist kvno; do
        command -v "$t" >/dev/null 2>&1 || [[ -x /usr/sbin/$t ]] || return 1
    done
}

install_packages() {
    [[ ${MX_KDC_NO_INSTALL:-0} == 1 ]] && die "Kerberos tools missing and MX_KDC_NO_INSTALL=1"
    [[ $(id -u) == 0 ]] || die "Kerberos tools missing; run as root or install krb5-kdc krb5-admin-server krb5-user"
    # Installing krb5-kdc/krb5-admin-server would start system daemons on ports 88/749 bound
    # to every address. A policy-rc.d that answers 101 makes invoke-rc.d (and
    # deb-systemd-invoke) skip every start; keep an existing one, else add ours for the
    # duration of the install only.
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
    timeout 300 apt-get -o DPkg::Lock::Timeout=120 update -q >&2 || rc=$?
    if [[ $rc == 0 ]]; then
        timeout 600 apt-get -o DPkg::Lock::Timeout=120 install -y -q -o Dpkg::Options::=--force-confdef \
            -o Dpkg::Options::=--force-confold krb5-kdc krb5-admin-server krb5-user >&2 || rc=$?
    fi
    if [[ $added_policy == 1 ]]; then
        rm -f "$policy"
        trap - EXIT
    fi
    [[ $rc == 0 ]] || die "apt-get failed with status $rc"
    t1=$(date +%s)
    log "installed krb5-kdc krb5-admin-server krb5-user in $((t1 - t0)) s"
}

# --- ports ---------------------------------------------------------------------------------

# shellcheck source=ports.sh
. "$(dirname "${BASH_SOURCE[0]}")/ports.sh"
# shellcheck source=env-files.sh
. "$(dirname "${BASH_SOURCE[0]}")/env-files.sh"

# --- configuration ---------------------------------------------------------------------------

write_configs() {
    local dir=$1 port=$2
    cat >"$dir/krb5.conf" <<EOF
# Client and KDC library settings for the throwaway realm $REALM (see tests/kdc/README.md).
[libdefaults]
    default_realm = $REALM
    dns_lookup_realm = false
    dns_lookup_kdc = false
    dns_canonicalize_hostname = false
    rdns = false
    ignore_acceptor_hostname = false
    udp_preference_limit = 1
    default_tkt_enctypes = $ENCTYPES
    default_tgs_enctypes = $ENCTYPES
    permitted_enctypes = $ENCTYPES
    allow_weak_crypto = false
    ticket_lifetime = 10h
    renew_lifetime = 7d
    forwardable = true

[realms]
    $REALM = {
        kdc = tcp/127.0.0.1:$port
        kdc = 127.0.0.1:$port
        default_domain = monosync.test
    }

[domain_realm]
    .monosync.test = $REALM
    monosync.test = $REALM
    localhost = $REALM
EOF
    cat >"$dir/kdc.conf" <<EOF
# KDC settings for the throwaway realm $REALM: loopback only, AES only.
[kdcdefaults]
    kdc_listen = 127.0.0.1:$port
    kdc_tcp_listen = 127.0.0.1:$port

[realms]
    $REALM = {
        database_name = $dir/principal
        key_stash_file = $dir/stash
        acl_file = $dir/kadm5.acl
        kdc_listen = 127.0.0.1:$port
        kdc_tcp_listen = 127.0.0.1:$port
        master_key_type = aes256-cts-hmac-sha1-96
        supported_enctypes = aes256-cts-hmac-sha1-96:normal aes128-cts-hmac-sha1-96:normal
        default_principal_flags = +preauth
        max_life = 10h
        max_renewable_life = 7d
    }

[plugins]
    kdcpreauth = {
        # SPAKE needs groups configured; without them it only logs an error at start.
        disable = spake
    }

[logging]
    kdc = FILE:$dir/kdc.log
    admin_server = FILE:$dir/kadmind.log
    default = FILE:$dir/krb5lib.log
EOF
    printf '*/admin@%s *\n' "$REALM" >"$dir/kadm5.acl"
}

kadmin_q() {
    timeout 30 kadmin.local -r "$REALM" -q "$1" </dev/null
}

create_realm() {
    local dir=$1 t0 t1
    t0=$(date +%s)
    timeout 60 kdb5_util create -r "$REALM" -s -P "$MASTER_PASSWORD" </dev/null >"$dir/kdb5_util.log" 2>&1 ||
        die "kdb5_util create failed: $(cat "$dir/kdb5_util.log")"
    local out
    {
        kadmin_q "addprinc +requires_preauth -pw $ALICE_PASSWORD alice@$REALM"
        kadmin_q "addprinc +requires_preauth -pw $BOB_PASSWORD bob@$REALM"
        kadmin_q "addprinc +requires_preauth -pw $UPN_PASSWORD ${UPN_USER/@/\\@}@$REALM"
        kadmin_q "addprinc +requires_preauth -pw $SERVICE_PASSWORD HTTP/$SERVICE_HOST@$REALM"
        kadmin_q "addprinc +requires_preauth -pw $SERVICE_PASSWORD HTTP/localhost@$REALM"
        # -norandkey keeps the password-derived keys, so the keytab and a key derived from
        # password + salt (REALM + "HTTP" + host) are the same key.
        kadmin_q "ktadd -k $dir/http.keytab -norandkey HTTP/$SERVICE_HOST@$REALM HTTP/localhost@$REALM"
    } >"$dir/kadmin.log" 2>&1 || die "kadmin.local failed: $(cat "$dir/kadmin.log")"
    out=$(kadmin_q "listprincs" 2>/dev/null)
    local p
    for p in "alice@$REALM" "bob@$REALM" "HTTP/$SERVICE_HOST@$REALM" "HTTP/localhost@$REALM"; do
        grep -qx "$p" <<<"$out" || die "principal $p missing after creation"
    done
    [[ -s $dir/http.keytab ]] || die "keytab not written"
    : >"$dir/realm.ok"
    t1=$(date +%s)
    log "realm $REALM created in $((t1 - t0)) s"
}

# --- KDC process ----------------------------------------------------------------------------

kdc_pid_alive() {
    local dir=$1 pid
    [[ -s $dir/kdc.pid ]] || return 1
    pid=$(tr -dc '0-9' <"$dir/kdc.pid")
    # The comm check keeps a recycled pid (after a crash or reboot) from being taken for ours.
    [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null && [[ $(cat "/proc/$pid/comm" 2>/dev/null) == krb5kdc ]]
}

# True when an AS exchange for alice works against the KDC now configured in krb5.conf.
kdc_answers() {
    local dir=$1
    printf '%s\n' "$ALICE_PASSWORD" |
        KRB5CCNAME="FILE:$dir/probe.ccache" timeout 5 kinit "alice@$REALM" >/dev/null 2>&1
}

# Starts krb5kdc on $port; returns non-zero when it did not come up (port taken, say).
start_kdc() {
    local dir=$1 port=$2 pid i
    rm -f "$dir/kdc.pid"
    # krb5kdc detaches itself (daemon(3)) and writes the pid file; stdio goes to the log so
    # that a caller capturing our stdout is not held open by the daemon.
    timeout 30 krb5kdc -r "$REALM" -P "$dir/kdc.pid" </dev/null >>"$dir/kdc.stdio.log" 2>&1 || return 1
    for ((i = 0; i < 50; i++)); do
        [[ -s $dir/kdc.pid ]] && break
        sleep 0.1
    done
    kdc_pid_alive "$dir" || return 1
    pid=$(tr -dc '0-9' <"$dir/kdc.pid")
    for ((i = 0; i < 50; i++)); do
        if kdc_answers "$dir"; then
            return 0
        fi
        kill -0 "$pid" 2>/dev/null || return 1
        sleep 0.2
    done
    log "KDC pid $pid on port $port does not answer"
    kill "$pid" 2>/dev/null || true
    return 1
}

stop_kdc_process() {
    local dir=$1 pid i
    kdc_pid_alive "$dir" || return 0
    pid=$(tr -dc '0-9' <"$dir/kdc.pid")
    kill "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    kill -9 "$pid" 2>/dev/null || true
}

# --- /etc/hosts -----------------------------------------------------------------------------

# Makes sim.monosync.test resolve to 127.0.0.1 so that clients can connect by the FQDN that
# the SPN names. Kerberos itself does not need it (dns_canonicalize_hostname = false), and
# clients may instead connect to 127.0.0.1 with an explicit SPN override.
ensure_hosts_entry() {
    if getent ahostsv4 "$SERVICE_HOST" 2>/dev/null | awk '{print $1}' | grep -qx 127.0.0.1; then
        return 0
    fi
    [[ ${MX_KDC_HOSTS:-1} == 0 ]] && return 1
    [[ -w /etc/hosts ]] || return 1
    printf '127.0.0.1 %s # monosync-exchange tests/kdc\n' "$SERVICE_HOST" >>/etc/hosts 2>/dev/null || return 1
    getent ahostsv4 "$SERVICE_HOST" 2>/dev/null | awk '{print $1}' | grep -qx 127.0.0.1
}

# --- env files ------------------------------------------------------------------------------

write_env() {
    local dir=$1 port=$2 pid=$3 resolves=$4
    local -a names=(
        KRB5_CONFIG KRB5_KDC_PROFILE KRB5CCNAME KRB5_KTNAME
        MX_KDC_STATE_DIR MX_KDC_URL MX_KDC_HOST MX_KDC_PORT MX_KDC_PID
        MX_KRB5_REALM MX_KRB5_USER MX_KRB5_PRINCIPAL MX_KRB5_PASSWORD
        MX_KRB5_USER2 MX_KRB5_PRINCIPAL2 MX_KRB5_PASSWORD2
        MX_KRB5_UPN_USER MX_KRB5_UPN_PASSWORD MX_KRB5_UPN_ACCOUNT
        MX_KRB5_SERVICE_HOST MX_KRB5_SERVICE_PRINCIPAL MX_KRB5_SERVICE_PASSWORD
        MX_KRB5_SERVICE_SALT MX_KRB5_LOCALHOST_PRINCIPAL MX_KRB5_KEYTAB
        MX_SIM_ADDR MX_SIM_HOST_RESOLVES
    )
    local -A v=(
        [KRB5_CONFIG]=$dir/krb5.conf
        [KRB5_KDC_PROFILE]=$dir/kdc.conf
        [KRB5CCNAME]=FILE:$dir/ccache
        [KRB5_KTNAME]=FILE:$dir/http.keytab
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
        [MX_KRB5_UPN_USER]=$UPN_USER
        [MX_KRB5_UPN_PASSWORD]=$UPN_PASSWORD
        [MX_KRB5_UPN_ACCOUNT]=${UPN_USER%%@*}
        [MX_KRB5_SERVICE_HOST]=$SERVICE_HOST
        [MX_KRB5_SERVICE_PRINCIPAL]=HTTP/$SERVICE_HOST@$REALM
        [MX_KRB5_SERVICE_PASSWORD]=$SERVICE_PASSWORD
        [MX_KRB5_SERVICE_SALT]=${REALM}HTTP$SERVICE_HOST
        [MX_KRB5_LOCALHOST_PRINCIPAL]=HTTP/localhost@$REALM
        [MX_KRB5_KEYTAB]=$dir/http.keytab
        [MX_SIM_ADDR]=127.0.0.1
        [MX_SIM_HOST_RESOLVES]=$resolves
    )
    write_env_files "$dir" tests/kdc/start-kdc.sh
}

# --- main -----------------------------------------------------------------------------------

main() {
    local dir
    if [[ $# -ge 1 && -n $1 ]]; then
        dir=$1
        mkdir -p "$dir"
    else
        dir=$(mktemp -d "${TMPDIR:-/tmp}/mx-kdc.XXXXXX")
    fi
    dir=$(cd "$dir" && pwd -P)
    [[ -e $dir/$MARKER ]] || [[ -z $(ls -A "$dir") ]] ||
        die "$dir is not empty and was not made by start-kdc.sh; give an empty or new directory"
    : >"$dir/$MARKER"
    chmod 0700 "$dir"

    export KRB5_CONFIG=$dir/krb5.conf
    export KRB5_KDC_PROFILE=$dir/kdc.conf
    export PATH=$PATH:/usr/sbin:/sbin

    have_tools || install_packages
    have_tools || die "Kerberos tools still missing after install"

    local port='' resolves=0
    if ensure_hosts_entry; then resolves=1; fi

    # Already running and answering: keep it.
    if [[ -s $dir/env && -e $dir/realm.ok ]] && kdc_pid_alive "$dir"; then
        port=$(sed -n 's/^export MX_KDC_PORT=//p' "$dir/env")
        if [[ -n $port ]] && kdc_answers "$dir"; then
            write_env "$dir" "$port" "$(tr -dc '0-9' <"$dir/kdc.pid")" "$resolves"
            log "KDC already running on 127.0.0.1:$port"
            printf '%s\n' "$dir"
            return 0
        fi
        stop_kdc_process "$dir"
    fi

    # realm.ok is written last, so a realm whose creation was cut short is made anew.
    if [[ ! -e $dir/realm.ok ]]; then
        stop_kdc_process "$dir"
        rm -f "$dir"/principal* "$dir/stash" "$dir/http.keytab"
        write_configs "$dir" "$(pick_port)"
        create_realm "$dir"
    fi

    # A restarted KDC keeps its old port when that is still free, so sourced envs stay valid.
    local attempt prev_port=''
    [[ -s $dir/env ]] && prev_port=$(sed -n 's/^export MX_KDC_PORT=//p' "$dir/env")
    for ((attempt = 0; attempt < 5; attempt++)); do
        if [[ $attempt == 0 && -n $prev_port ]] && ! ports_in_use | grep -qx "$prev_port"; then
            port=$prev_port
        else
            port=$(pick_port)
        fi
        write_configs "$dir" "$port"
        if start_kdc "$dir" "$port"; then
            local pid
            pid=$(tr -dc '0-9' <"$dir/kdc.pid")
            rm -f "$dir/probe.ccache"
            write_env "$dir" "$port" "$pid" "$resolves"
            log "KDC pid $pid listening on 127.0.0.1:$port (tcp+udp), realm $REALM"
            printf '%s\n' "$dir"
            return 0
        fi
        stop_kdc_process "$dir"
        log "KDC did not start on port $port; retrying"
    done
    die "KDC failed to start; see $dir/kdc.log and $dir/kdc.stdio.log"
}

main "$@"
