#!/usr/bin/env bash
# The C ABI from C: builds libmonosync_exchange, checks the committed header, compiles
# examples/c/provision.c with gcc -Wall -Wextra -Werror, and runs it against mx-sim, then
# again under valgrind (no leaks, no errors) and once linked statically.
set -uo pipefail
# shellcheck source=lib/suite.sh
. "$(dirname "$0")/lib/suite.sh"

need_tools valgrind=valgrind gcc=gcc make=make

build() {
    cargo build -q -p monosync-exchange-ffi && cargo build -q -p monosync-exchange-sim --bin mx-sim
}

compile() {
    make -s -C examples/c ROOT="$root" OUT="$work" all static
}

run_example() {
    LD_LIBRARY_PATH="$root/target/debug" "$work/provision" "$url"
}

run_static() {
    "$work/provision-static" "$url" >"$work/static.out" 2>&1 || { cat "$work/static.out"; return 1; }
    tail -n 1 "$work/static.out"
}

# No suppressions are needed: the only blocks left at exit belong to the library's I/O runtime
# (a process-wide tokio runtime with two worker threads, started on first use and never torn
# down), which valgrind counts as "still reachable" or "possibly lost" (thread-local storage of
# the running worker threads), neither of which is an error under these flags.
run_valgrind() {
    LD_LIBRARY_PATH="$root/target/debug" valgrind --leak-check=full \
        --errors-for-leak-kinds=definite,indirect --error-exitcode=1 \
        --log-file="$work/valgrind.log" "$work/provision" "$url" >"$work/valgrind.out" 2>&1
    local status=$?
    tail -n 1 "$work/valgrind.out"
    grep -E "ERROR SUMMARY|definitely lost|indirectly lost|possibly lost:|still reachable" \
        "$work/valgrind.log" | sed 's/^==[0-9]*== */   valgrind: /'
    if [ "$status" -ne 0 ] || ! grep -q "ERROR SUMMARY: 0 errors" "$work/valgrind.log"; then
        cat "$work/valgrind.out" "$work/valgrind.log"
        return 1
    fi
}

step "build libmonosync_exchange and mx-sim" build
step "header matches the sources" scripts/check-header.sh
step "gcc -Wall -Wextra -Werror provision.c (shared and static)" compile
if step "start mx-sim" start_sim "$root/target/debug/mx-sim" sim; then
    echo "   mx-sim at $url"
    step "provision.c against mx-sim" run_example
    step "provision.c linked statically" run_static
    step "provision.c under valgrind" run_valgrind
else
    failed=$((failed + 3))
fi

finish c-example
