#!/usr/bin/env bash
# Starts a second krb5kdc for the realm of start-kdc.sh whose clock runs OFFSET behind (libfaketime),
# on its own loopback port, sharing the realm's database: the KDC answers KRB_AP_ERR_SKEW to
# every pre-authenticated request, as a domain controller does when this machine's clock is off.
#
# Usage: start-skewed-kdc.sh KDC_STATE_DIR [OFFSET]     (OFFSET for faketime, default -2h)
# Writes KDC_STATE_DIR/skewed.env with MX_KDC_SKEWED_URL (tcp://127.0.0.1:PORT) and
# MX_KDC_SKEWED_PID, and prints that path. Stop it with: kill "$MX_KDC_SKEWED_PID".
set -euo pipefail

log() { printf 'start-skewed-kdc: %s\n' "$*" >&2; }
die() {
    log "error: $*"
    exit 1
}

dir=${1:?usage: start-skewed-kdc.sh KDC_STATE_DIR [OFFSET]}
offset=${2:--2h}
[[ -s $dir/kdc.conf && -e $dir/realm.ok ]] || die "$dir holds no realm made by start-kdc.sh"
export PATH=$PATH:/usr/sbin:/sbin

lib=$(ls /usr/lib/*/faketime/libfaketime.so.1 2>/dev/null | head -1 || true)
if [[ -z $lib ]]; then
    [[ $(id -u) == 0 ]] || die "libfaketime missing; install the faketime package"
    export DEBIAN_FRONTEND=noninteractive
    apt-get -o DPkg::Lock::Timeout=120 install -y -q faketime >&2 ||
        { apt-get -o DPkg::Lock::Timeout=120 update -q >&2 && apt-get -o DPkg::Lock::Timeout=120 install -y -q faketime >&2; }
    lib=$(ls /usr/lib/*/faketime/libfaketime.so.1 2>/dev/null | head -1 || true)
    [[ -n $lib ]] || die "libfaketime still missing after install"
fi

realm=$(sed -n 's/^export MX_KRB5_REALM=//p' "$dir/env")
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# The realm's kdc.conf with this KDC's own port (and the same database).
sed -E "s/(kdc_(tcp_)?listen = 127\.0\.0\.1:)[0-9]+/\1$port/" "$dir/kdc.conf" >"$dir/skewed-kdc.conf"
rm -f "$dir/skewed-kdc.pid"
# krb5kdc daemonizes; LD_PRELOAD and FAKETIME stay with the daemon.
KRB5_KDC_PROFILE=$dir/skewed-kdc.conf KRB5_CONFIG=$dir/krb5.conf LD_PRELOAD=$lib FAKETIME="$offset" \
    timeout 30 krb5kdc -r "$realm" -P "$dir/skewed-kdc.pid" </dev/null >>"$dir/skewed-kdc.stdio.log" 2>&1 ||
    die "krb5kdc did not start: $(tail -3 "$dir/skewed-kdc.stdio.log")"
for ((i = 0; i < 50; i++)); do
    [[ -s $dir/skewed-kdc.pid ]] && break
    sleep 0.1
done
pid=$(tr -dc '0-9' <"$dir/skewed-kdc.pid" 2>/dev/null || true)
[[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || die "krb5kdc did not stay up"
for ((i = 0; i < 50; i++)); do
    grep -q ":$(printf '%04X' "$port") 00000000:0000 0A" /proc/net/tcp 2>/dev/null && break
    sleep 0.1
done
printf 'export MX_KDC_SKEWED_URL=tcp://127.0.0.1:%s\nexport MX_KDC_SKEWED_PID=%s\n' "$port" "$pid" >"$dir/skewed.env"
log "KDC pid $pid on 127.0.0.1:$port with its clock at $offset"
printf '%s\n' "$dir/skewed.env"
