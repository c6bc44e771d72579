#!/usr/bin/env bash
# Stops the KDC proxy started by start-kdcproxy.sh and removes its state directory.
# Usage: stop-kdcproxy.sh STATE_DIR
set -euo pipefail
dir=${1:?usage: stop-kdcproxy.sh STATE_DIR}
[[ -f $dir/kdcproxy.conf ]] || { echo "stop-kdcproxy: $dir is not a KDC proxy state directory" >&2; exit 1; }
if [[ -s $dir/gunicorn.pid ]]; then
    pid=$(tr -dc '0-9' <"$dir/gunicorn.pid")
    if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
        kill "$pid" 2>/dev/null || true
        for ((i = 0; i < 50; i++)); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
    fi
fi
rm -rf "$dir"
