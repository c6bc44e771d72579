#!/usr/bin/env bash
# Runs every fuzz target in fuzz/ (or the ones named) for a fixed time each, one after another,
# with the stable toolchain: cargo-fuzz passes -Z flags, which RUSTC_BOOTSTRAP=1 allows.
#
#   scripts/fuzz.sh [TARGET...]
#
# FUZZ_SECONDS   time per target (default 30)
# FUZZ_LOG_DIR   where each target's libFuzzer output goes (default fuzz/logs)
# MX_SIM         an mx-sim binary whose answers join the seeds (default target/debug/mx-sim
#                when it exists)
#
# Seeds: fuzz/extract-seeds.py writes fuzz/corpus/<target>/ from the Windows captures (and
# mx-sim), and the committed fuzz/seeds/<target>/ (regressions included) is read too. A target
# passes when libFuzzer ends without a crash, timeout or memory blow-up; the input that broke
# it is left in fuzz/artifacts/<target>/. Prints "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

seconds=${FUZZ_SECONDS:-30}
log_dir=${FUZZ_LOG_DIR:-$root/fuzz/logs}
export RUSTC_BOOTSTRAP=1
# Without a sanitizer: the crate forbids unsafe code, and libFuzzer's coverage and the
# panic-on-bad-input checks (overflow checks included) are what these targets look for.
fuzz=(cargo +stable fuzz)
build_flags=(--sanitizer none)

if ! "${fuzz[@]}" --version >/dev/null 2>&1; then
    echo "-- installing cargo-fuzz"
    cargo +stable install cargo-fuzz --locked --quiet || exit 1
fi

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    mapfile -t targets < <("${fuzz[@]}" list --fuzz-dir fuzz)
fi

sim=${MX_SIM:-$root/target/debug/mx-sim}
sim_args=()
if [ -x "$sim" ]; then
    sim_args=(--sim "$sim")
fi
python3 fuzz/extract-seeds.py "${sim_args[@]}" || exit 1

echo "-- building ${#targets[@]} fuzz targets"
(cd fuzz && "${fuzz[@]}" build "${build_flags[@]}") || exit 1

mkdir -p "$log_dir"
passed=0
failed=0
for t in "${targets[@]}"; do
    mkdir -p "fuzz/corpus/$t" "fuzz/seeds/$t"
    log="$log_dir/$t.log"
    (cd fuzz && "${fuzz[@]}" run "${build_flags[@]}" "$t" "corpus/$t" "seeds/$t" -- \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1) \
        >"$log" 2>&1
    status=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)
    cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -n1)
    if [ $status -eq 0 ]; then
        passed=$((passed + 1))
        echo "   ok: $t (${seconds}s, ${execs:-?} execs, ${cov:-cov: ?})"
    else
        failed=$((failed + 1))
        echo "   FAILED: $t (exit $status, see $log and fuzz/artifacts/$t/)"
        grep -E '^(==[0-9]+==|thread .* panicked|SUMMARY|ALARM|Test unit written)' "$log" | head -n 5
    fi
done

echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
