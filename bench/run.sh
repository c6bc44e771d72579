#!/usr/bin/env bash
# Builds what the benchmarks need and runs them: bench/run.sh writes bench/RESULTS.md (about
# 15 minutes on two shared cores), bench/run.sh --tiny runs every step at a size that takes
# seconds (CI: debug builds, which the workspace's tests built already, and the wheel
# scripts/suites/20-python.sh left in target/python-wheels when there is one).
#
# pypsrp and our Python module go into a venv outside the tree (MX_BENCH_VENV, default
# /tmp/mx-bench-venv).
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

if [ -n "$tiny" ]; then
    profile=(); bin=target/debug
else
    profile=(--release); bin=target/release
fi
cargo build -q "${profile[@]}" -p monosync-exchange-sim --bin mx-sim
cargo build -q "${profile[@]}" -p monosync-exchange-bench -p monosync-exchange-ffi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
wheel=$(ls target/python-wheels/monosync_exchange-*.whl 2>/dev/null | head -n1 || true)
if [ -z "$tiny" ] || [ -z "$wheel" ]; then
    "$venv/bin/python" -m maturin build -q --release -m bindings/python/Cargo.toml --out "$work/wheels"
    wheel=$(ls "$work"/wheels/monosync_exchange-*.whl)
fi
"$venv/bin/python" -m pip install -q --disable-pip-version-check --force-reinstall --no-deps "$wheel"
gcc -std=c11 -O2 -Wall -Wextra -Werror -pedantic -D_POSIX_C_SOURCE=200809L -I"$root/include" \
    -o "$work/c_bench" bench/c_bench.c -L"$root/$bin" -lmonosync_exchange

out=()
[ -z "$tiny" ] && out=(--out bench/RESULTS.md)
"$venv/bin/python" bench/run.py --bin "$bin" --c-bench "$work/c_bench" \
    --lib-dir "$root/$bin" $tiny "${out[@]}"
