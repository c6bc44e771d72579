#!/usr/bin/env bash
# Stops the Samba AD DC started by start-dc.sh and removes its state directory.
#
# Usage: stop-dc.sh STATE_DIR
#
# Only a directory that start-dc.sh made (it holds the .mx-samba-dc-state marker) is removed.
# The /etc/hosts line for ex01.contoso.com is left in place (see README.md).
set -euo pipefail

readonly MARKER=.mx-samba-dc-state

die() {
    printf 'stop-dc: error: %s\n' "$*" >&2
    exit 1
}

[[ $# -eq 1 && -n $1 ]] || die "usage: stop-dc.sh STATE_DIR"
dir=$1
[[ -d $dir ]] || exit 0
[[ -e $dir/$MARKER ]] || die "$dir was not made by start-dc.sh (no $MARKER); not touching it"

if [[ -s $dir/samba.pid ]]; then
    pid=$(tr -dc '0-9' <"$dir/samba.pid")
    # Only signal the pid if it is still samba: after a reboot or a crash the number may
    # belong to another process by now. samba runs in its own process group (setsid).
    if [[ -n $pid ]] && [[ $(cat "/proc/$pid/comm" 2>/dev/null) == samba ]]; then
        kill -- "-$pid" 2>/dev/null || kill "$pid" 2>/dev/null || true
        for ((i = 0; i < 50; i++)); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$pid" 2>/dev/null; then
            kill -9 -- "-$pid" 2>/dev/null || kill -9 "$pid" 2>/dev/null || true
        fi
    fi
fi

rm -rf -- "$dir"
