#!/usr/bin/env bash
# The integration guides: every code block of docs/*.md marked as a snippet is identical to its
# region of the example program (scripts/docs-snippets.sh), the Rust example
# (core/examples/provision.rs) runs against mx-sim, and the crate's API docs build without a
# warning. The C, Python and .NET examples run in their own suites (30-c-example, 20-python,
# 40-dotnet). Ends with "docs: N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)

passed=0
failed=0
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
    fi
}

work=$(mktemp -d)
sim_pid=""
cleanup() {
    [ -z "$sim_pid" ] || kill "$sim_pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

build() {
    cargo build -q -p monosync-exchange-sim --bin mx-sim &&
        cargo build -q -p monosync-exchange --example provision
}

# Starts mx-sim on a free port and sets $url from its "Exchange endpoint:" line.
start_sim() {
    "$root/target/debug/mx-sim" --listen 127.0.0.1:0 >"$work/sim.out" 2>&1 &
    sim_pid=$!
    for _ in $(seq 1 100); do
        url=$(sed -n 's/^Exchange endpoint: *//p' "$work/sim.out")
        [ -n "$url" ] && return 0
        sleep 0.1
    done
    cat "$work/sim.out"
    return 1
}

run_example() {
    timeout 120 "$root/target/debug/examples/provision" "$url" >"$work/example.out" 2>&1
    local status=$?
    grep -v '^\[DEBUG\]' "$work/example.out" | sed 's/^/   /'
    [ "$status" -eq 0 ] || { cat "$work/example.out"; return 1; }
}

api_docs() {
    RUSTDOCFLAGS="-D warnings" cargo doc -q -p monosync-exchange --no-deps 2>"$work/doc.err"
    local status=$?
    [ "$status" -eq 0 ] || cat "$work/doc.err"
    return "$status"
}

step "docs snippets match the examples" scripts/docs-snippets.sh
step "build mx-sim and core/examples/provision.rs" build
if step "start mx-sim" start_sim; then
    echo "   mx-sim at $url"
    step "core/examples/provision.rs against mx-sim" run_example
else
    failed=$((failed + 1))
fi
step "cargo doc -p monosync-exchange (no warnings)" api_docs

echo "docs: ${passed} passed, ${failed} failed"
[ "$failed" -eq 0 ]
