#!/usr/bin/env bash
# Runs a command with the Samba AD DC's environment in place of MIT's: every variable that
# tests/kdc/start-kdc.sh exports is unset first (MIT-only ones such as
# MX_KRB5_SERVICE_PASSWORD would otherwise leak into the AD run), then STATE_DIR/env is
# sourced. The KDC proxy's MX_KDC_PROXY_URL and MX_KDC_PROXY_CA are kept: scripts/test.sh
# starts one proxy (start-kdcproxy.sh) that serves both realms.
#
# Usage: with-env.sh STATE_DIR COMMAND [ARGS...]
set -euo pipefail

[[ $# -ge 2 && -f $1/env ]] || {
    printf 'with-env: usage: with-env.sh STATE_DIR COMMAND [ARGS...] (STATE_DIR from start-dc.sh)\n' >&2
    exit 2
}
dir=$1
shift
proxy_url=${MX_KDC_PROXY_URL:-}
proxy_ca=${MX_KDC_PROXY_CA:-}
for v in KRB5_CONFIG KRB5_KDC_PROFILE KRB5CCNAME KRB5_KTNAME $(compgen -e | grep -E '^MX_(KDC|KRB5|AD)_' || true); do
    unset "$v"
done
unset MX_SIM_ADDR MX_SIM_HOST_RESOLVES
set -a
# shellcheck source=/dev/null
. "$dir/env"
set +a
if [[ -n $proxy_url ]]; then
    export MX_KDC_PROXY_URL=$proxy_url MX_KDC_PROXY_CA=$proxy_ca
fi
exec "$@"
