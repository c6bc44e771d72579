#!/usr/bin/env bash
# The integration guides: every code block of docs/*.md marked as a snippet is identical to its
# region of the example program (scripts/docs-snippets.sh), the Rust example
# (core/examples/provision.rs) runs against mx-sim, and the crate's API docs build without a
# warning. The C, Python and .NET examples run in their own suites (30-c-example, 20-python,
# 40-dotnet). Ends with "docs: N passed, N failed".
set -uo pipefail
# shellcheck source=lib/suite.sh
. "$(dirname "$0")/lib/suite.sh"

build() {
    cargo build -q -p monosync-exchange-sim --bin mx-sim &&
        cargo build -q -p monosync-exchange --example provision
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
if step "start mx-sim" start_sim "$root/target/debug/mx-sim" sim; then
    echo "   mx-sim at $url"
    step "core/examples/provision.rs against mx-sim" run_example
else
    failed=$((failed + 1))
fi
step "cargo doc -p monosync-exchange (no warnings)" api_docs

finish docs
