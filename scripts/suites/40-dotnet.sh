#!/usr/bin/env bash
# The .NET binding (bindings/dotnet, Monosync.Exchange) on Mono: builds libmonosync_exchange and
# mx-sim, compiles the library, its NUnit tests and examples/dotnet/Provision.cs with mcs, and
# runs them against three mx-sim servers: plain HTTP with a generated organisation and a
# request log (for shell counts), HTTPS with a self-signed certificate (pins; its /wsman for
# jump-host mode), and one whose
# Receives are delayed (cancellation). Ends with "dotnet: N passed, N failed".
set -uo pipefail
# shellcheck source=lib/suite.sh
. "$(dirname "$0")/lib/suite.sh"

need_tools mcs=mono-mcs mono=mono-devel nunit-console=nunit-console,libnunit-cil-dev 2>/dev/null

fail() {
    echo "$1"
    echo "dotnet: 0 passed, 1 failed"
    exit 1
}

cargo build -q -p monosync-exchange-ffi && cargo build -q -p monosync-exchange-sim --bin mx-sim ||
    fail "building libmonosync_exchange or mx-sim failed"
lib="$root/target/debug"

echo '{"rules":[{"operation":"Receive","nth":1,"count":1000000,"action":{"kind":"delay","ms":300}}]}' >"$work/slow.json"
start_sim "$lib/mx-sim" plain --generate 1500 --log "$work/requests.jsonl" || fail "mx-sim did not start"
MX_SIM_URL=$url
start_sim "$lib/mx-sim" tls --https || fail "mx-sim --https did not start"
MX_SIM_HTTPS_URL=$url
start_sim "$lib/mx-sim" slow --generate 1500 --faults "$work/slow.json" || fail "mx-sim --faults did not start"
MX_SIM_SLOW_URL=$url
MX_SIM_SHA256=$(sed -n 's/^certificate SHA-256 thumbprint: *//p' "$work/tls.out")
# The same server's WinRM service endpoint, the first hop of jump-host mode.
MX_SIM_HTTPS_WSMAN_URL=$(sed -n 's/^WinRM endpoint: *//p' "$work/tls.out")
MX_SIM_LOG="$work/requests.jsonl"
export MX_SIM_URL MX_SIM_HTTPS_URL MX_SIM_HTTPS_WSMAN_URL MX_SIM_SLOW_URL MX_SIM_SHA256 MX_SIM_LOG

facades=/usr/lib/mono/4.5/Facades
nunit=$(ls /usr/lib/cli/nunit.framework-2.6*/nunit.framework.dll 2>/dev/null | head -n 1)
mcs_flags=(-nologo -warnaserror+ -unsafe -langversion:7.2 -lib:"$facades" -r:System.Runtime)

mcs "${mcs_flags[@]}" -target:library -doc:"$work/Monosync.Exchange.xml" -out:"$work/Monosync.Exchange.dll" \
    -recurse:'bindings/dotnet/src/*.cs' || fail "compiling Monosync.Exchange failed"
mcs "${mcs_flags[@]}" -target:library -out:"$work/Monosync.Exchange.Tests.dll" -r:"$work/Monosync.Exchange.dll" \
    -r:"$nunit" -recurse:'bindings/dotnet/tests/*.cs' || fail "compiling the tests failed"
mcs "${mcs_flags[@]}" -target:exe -out:"$work/Provision.exe" -r:"$work/Monosync.Exchange.dll" \
    examples/dotnet/Provision.cs || fail "compiling examples/dotnet/Provision.cs failed"

export LD_LIBRARY_PATH="$lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"

( cd "$work" && timeout 900 nunit-console -nologo -noshadow -labels Monosync.Exchange.Tests.dll ) >"$work/nunit.out" 2>&1
status=$?
cat "$work/nunit.out"
summary=$(grep -E '^Tests run: ' "$work/nunit.out" | tail -n 1)
run=$(echo "$summary" | sed -n 's/^Tests run: \([0-9]*\).*/\1/p')
errors=$(echo "$summary" | sed -n 's/.*Errors: \([0-9]*\).*/\1/p')
failures=$(echo "$summary" | sed -n 's/.*Failures: \([0-9]*\).*/\1/p')
run=${run:-0}
failed=$(( ${errors:-1} + ${failures:-1} ))
passed=$(( run - failed ))
[ "$passed" -ge 0 ] || passed=0

echo "-- examples/dotnet/Provision.cs against mx-sim"
if timeout 300 mono "$work/Provision.exe" "$MX_SIM_URL"; then
    passed=$((passed + 1))
else
    failed=$((failed + 1))
    echo "   FAILED: Provision.exe"
fi
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
    failed=1
fi

finish dotnet
