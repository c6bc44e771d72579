#!/usr/bin/env bash
# Stops the KDC started by start-kdc.sh and removes its state directory.
#
# Usage: stop-kdc.sh STATE_DIR
#
# Only a directory that start-kdc.sh made (it holds the .mx-kdc-state marker) is removed.
# The /etc/hosts line for sim.monosync.test is left in place: it is shared by every realm
# and harmless (see README.md).
set -euo pipefail

readonly MARKER=.mx-kdc-state

die() {
    printf 'stop-kdc: error: %s\n' "$*" >&2
    exit 1
}

[[ $# -eq 1 && -n $1 ]] || die "usage: stop-kdc.sh STATE_DIR"
dir=$1
[[ -d $dir ]] || exit 0
[[ -e $dir/$MARKER ]] || die "$dir was not made by start-kdc.sh (no $MARKER); not touching it"

if [[ -s $dir/kdc.pid ]]; then
    pid=$(tr -dc '0-9' <"$dir/kdc.pid")
    # Only signal the pid if it is still a krb5kdc: after a reboot or a crash the number may
    # belong to another process by now.
    if [[ -n $pid ]] && [[ $(cat "/proc/$pid/comm" 2>/dev/null) == krb5kdc ]]; then
        kill "$pid" 2>/dev/null || true
        for ((i = 0; i < 50; i++)); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$pid" 2>/dev/null; then
            kill -9 "$pid" 2>/dev/null || true
        fi
    fi
fi

rm -rf -- "$dir"
