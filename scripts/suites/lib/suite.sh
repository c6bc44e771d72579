# What the suites of scripts/suites share; sourced, not run (scripts/test.sh runs only
# scripts/suites/*.sh, not this directory):
#   - the repository root as the working directory, and $root;
#   - `step` and `finish`, the counter and the "NAME: N passed, N failed" line scripts/test.sh
#     sums;
#   - `need_tools`, apt-get for the commands missing;
#   - $work, a directory removed at exit, and `start_sim`, mx-sim on a free port, stopped at exit.

cd "$(dirname "${BASH_SOURCE[0]}")/../../.." || exit 1
root=$(pwd)

passed=0
failed=0

# step NAME COMMAND [ARGS...]: runs COMMAND and counts it passed or failed; its status is
# COMMAND's.
step() {
    local name=$1
    shift
    echo "-- $name"
    if "$@"; then
        passed=$((passed + 1))
        echo "   ok: $name"
    else
        failed=$((failed + 1))
        echo "   FAILED: $name"
        return 1
    fi
}

# finish NAME: prints "NAME: N passed, N failed"; succeeds when nothing failed. The suite's last
# command, so that its status is the suite's.
finish() {
    echo "$1: ${passed} passed, ${failed} failed"
    [ "$failed" -eq 0 ]
}

# need_tools COMMAND=PACKAGE[,PACKAGE...]...: installs the packages of every COMMAND not on PATH.
need_tools() {
    local spec more pkgs=()
    for spec in "$@"; do
        if ! command -v "${spec%%=*}" >/dev/null 2>&1; then
            IFS=, read -ra more <<<"${spec#*=}"
            pkgs+=("${more[@]}")
        fi
    done
    [ ${#pkgs[@]} -eq 0 ] && return 0
    apt-get -o DPkg::Lock::Timeout=120 update -qq >/dev/null &&
        DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=120 install -y -qq "${pkgs[@]}" >/dev/null
}

work=$(mktemp -d)
sim_pids=()
cleanup() {
    local pid
    for pid in "${sim_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

# start_sim MX_SIM NAME [ARGS...]: starts the mx-sim binary MX_SIM on a free loopback port with
# ARGS, its output in $work/NAME.out, and sets $url from its "Exchange endpoint:" line. Not to
# be called in a subshell, so that the process is stopped at exit.
start_sim() {
    local sim=$1 name=$2
    shift 2
    "$sim" --listen 127.0.0.1:0 "$@" >"$work/$name.out" 2>&1 &
    sim_pids+=($!)
    for _ in $(seq 1 300); do
        url=$(sed -n 's/^Exchange endpoint: *//p' "$work/$name.out")
        [ -n "$url" ] && return 0
        sleep 0.1
    done
    cat "$work/$name.out"
    return 1
}
