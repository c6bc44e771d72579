#!/usr/bin/env bash
# Starts a Kerberos KDC proxy ([MS-KKDCP]) on loopback for the KDC proxy tests: PyPI's
# `kdcproxy` WSGI application under gunicorn, over HTTPS with a certificate from a throwaway
# test CA, forwarding to the KDCs given.
#
# Usage: start-kdcproxy.sh STATE_DIR REALM=HOST:PORT [REALM=HOST:PORT ...]
#   e.g. start-kdcproxy.sh /tmp/kp MONOSYNC.TEST=127.0.0.1:29705 CONTOSO.TEST=127.0.0.1:31088
#
# STATE_DIR (created if missing) receives the CA and server certificates, kdcproxy.conf, the
# gunicorn pid file and logs, and `env` / `env.json` with:
#   MX_KDC_PROXY_URL   https://localhost:PORT/KdcProxy
#   MX_KDC_PROXY_CA    the test CA (PEM) that issued the proxy's certificate
#   MX_KDC_PROXY_PID   gunicorn's master pid
#   MX_KDC_PROXY_DIR   STATE_DIR
# Prints STATE_DIR on stdout as its only line; progress goes to stderr. Stop it with
# stop-kdcproxy.sh STATE_DIR.
#
# kdcproxy and gunicorn are pip-installed into a venv (MX_KDCPROXY_VENV, default
# ~/.cache/monosync-exchange/kdcproxy-venv) when missing; openssl makes the certificates.
set -euo pipefail

log() { printf 'start-kdcproxy: %s\n' "$*" >&2; }
die() {
    log "error: $*"
    exit 1
}

[[ $# -ge 2 ]] || die "usage: start-kdcproxy.sh STATE_DIR REALM=HOST:PORT [...]"
dir=$1
shift
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

venv=${MX_KDCPROXY_VENV:-$HOME/.cache/monosync-exchange/kdcproxy-venv}
if [[ ! -x $venv/bin/gunicorn ]] || ! "$venv/bin/python" -c 'import kdcproxy' 2>/dev/null; then
    command -v openssl >/dev/null || { apt-get update -q >&2 && apt-get install -y -q openssl >&2; }
    if ! python3 -m venv "$venv" >&2 2>/dev/null; then
        apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-venv >&2
        python3 -m venv "$venv" >&2
    fi
    t0=$(date +%s)
    "$venv/bin/pip" install -q 'kdcproxy==1.1.0' 'gunicorn==27.0.1' >&2 || die "pip install failed"
    log "installed kdcproxy and gunicorn in $(($(date +%s) - t0)) s"
fi

# --- certificates: a test CA and a server certificate for localhost / 127.0.0.1 ------------
if [[ ! -s $dir/server.pem ]]; then
    (
        cd "$dir"
        openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=monosync-exchange test KDC proxy CA" \
            -keyout ca.key -out ca.pem \
            -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
        openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout server.key -out server.csr 2>/dev/null
        printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n' >server.ext
        openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
            -extfile server.ext -out server.pem 2>/dev/null
    ) || die "openssl failed"
fi

# --- kdcproxy.conf ---------------------------------------------------------------------------
{
    printf '[global]\nuse_dns = false\n\n'
    for spec in "$@"; do
        realm=${spec%%=*}
        kdc=${spec#*=}
        [[ -n $realm && -n $kdc && $realm != "$spec" ]] || die "bad realm spec '$spec' (want REALM=HOST:PORT)"
        printf '[%s]\nkerberos = kerberos+tcp://%s\nsilence_port_warn = true\n\n' "$realm" "$kdc"
    done
} >"$dir/kdcproxy.conf"

# --- a free port and gunicorn ------------------------------------------------------------------
if [[ -s $dir/gunicorn.pid ]] && kill -0 "$(cat "$dir/gunicorn.pid")" 2>/dev/null; then
    kill "$(cat "$dir/gunicorn.pid")" 2>/dev/null || true
    sleep 0.5
fi
port=$("$venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
KDCPROXY_CONFIG=$dir/kdcproxy.conf "$venv/bin/gunicorn" \
    --bind "127.0.0.1:$port" --workers 1 --timeout 30 --no-control-socket \
    --certfile "$dir/server.pem" --keyfile "$dir/server.key" \
    --daemon --pid "$dir/gunicorn.pid" --error-logfile "$dir/gunicorn.log" \
    --chdir "$dir" kdcproxy:application </dev/null >>"$dir/gunicorn.stdio.log" 2>&1 ||
    die "gunicorn did not start: $(tail -5 "$dir/gunicorn.log" 2>/dev/null)"

url="https://localhost:$port/KdcProxy"
ok=0
for ((i = 0; i < 100; i++)); do
    # A GET is answered 405 by kdcproxy once it serves; that is enough to know it is up.
    code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$dir/ca.pem" "$url" 2>/dev/null || true)
    if [[ $code == 405 ]]; then
        ok=1
        break
    fi
    sleep 0.1
done
[[ $ok == 1 ]] || die "the KDC proxy does not answer on $url: $(tail -5 "$dir/gunicorn.log" 2>/dev/null)"
pid=$(cat "$dir/gunicorn.pid")

cat >"$dir/env" <<EOF
export MX_KDC_PROXY_URL=$url
export MX_KDC_PROXY_CA=$dir/ca.pem
export MX_KDC_PROXY_PID=$pid
export MX_KDC_PROXY_DIR=$dir
EOF
cat >"$dir/env.json" <<EOF
{"MX_KDC_PROXY_URL": "$url", "MX_KDC_PROXY_CA": "$dir/ca.pem", "MX_KDC_PROXY_PID": "$pid", "MX_KDC_PROXY_DIR": "$dir"}
EOF
log "KDC proxy pid $pid on $url for $*"
printf '%s\n' "$dir"
