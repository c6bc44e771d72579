#!/usr/bin/env bash
# Free-port helpers shared by start-kdc.sh and samba/start-dc.sh (sourced, not run).
# pick_port calls the caller's `die` when no port is free.

# Local ports taken by a TCP listener or any UDP socket (v4 and v6), in decimal, one per
# line. Connections in TIME_WAIT do not count: krb5kdc binds with SO_REUSEADDR. Reads /proc
# so that no extra tool (ss, netstat) is needed.
ports_in_use() {
    local f local_addr st hex
    for f in /proc/net/tcp /proc/net/tcp6 /proc/net/udp /proc/net/udp6; do
        [[ -r $f ]] || continue
        while read -r _ local_addr _ st _; do
            [[ $f == */tcp* && $st != 0A ]] && continue
            hex=${local_addr##*:}
            [[ $hex =~ ^[0-9A-Fa-f]{4}$ ]] && printf '%d\n' "0x$hex"
        done < <(tail -n +2 "$f")
    done
}

# A high port that is free on TCP and UDP right now. The caller still checks that its server
# bound it, since another process may take the port in between.
pick_port() {
    local used p i
    used=$(ports_in_use | sort -un)
    for ((i = 0; i < 200; i++)); do
        p=$((20000 + RANDOM % 40000))
        if ! grep -qx "$p" <<<"$used"; then
            printf '%d\n' "$p"
            return 0
        fi
    done
    die "no free port found"
}
