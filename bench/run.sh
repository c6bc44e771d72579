#!/usr/bin/env bash
# Builds what the benchmarks need and runs them: bench/run.sh writes bench/RESULTS.md (about
# 15 minutes), bench/run.sh --tiny runs every step at a size that takes seconds (CI).
#
# pypsrp and our Python module go into a venv outside the tree (MX_BENCH_VENV, default
# /tmp/mx-bench-venv); the simulator, mx-bench and libmonosync_exchange are release builds.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
tiny=""
[ "${1:-}" = "--tiny" ] && tiny="--tiny"

venv=${MX_BENCH_VENV:-/tmp/mx-bench-venv}
# A venv copied from another path has stale script shebangs: always go through its python.
if ! "$venv/bin/python" -m pip --version >/dev/null 2>&1; then
    rm -rf "$venv"
    python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install -q --disable-pip-version-check pypsrp "maturin>=1.9.4,<2"

cargo build -q --release -p monosync-exchange-sim --bin mx-sim
cargo build -q --release -p monosync-exchange-bench -p monosync-exchange-ffi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$venv/bin/python" -m maturin build -q --release -m bindings/python/Cargo.toml --out "$work/wheels"
"$venv/bin/python" -m pip install -q --disable-pip-version-check --force-reinstall --no-deps \
    "$work"/wheels/monosync_exchange-*.whl
gcc -std=c11 -O2 -Wall -Wextra -Werror -pedantic -D_POSIX_C_SOURCE=200809L -I"$root/include" \
    -o "$work/c_bench" bench/c_bench.c -L"$root/target/release" -lmonosync_exchange

out=()
[ -z "$tiny" ] && out=(--out bench/RESULTS.md)
"$venv/bin/python" bench/run.py --bin target/release --c-bench "$work/c_bench" \
    --lib-dir "$root/target/release" $tiny "${out[@]}"
