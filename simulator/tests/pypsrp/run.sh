#!/bin/sh
# Runs the pypsrp suite against mx-sim: NTLM sealed over HTTP and Basic over HTTPS.
# Needs a Python with pypsrp and pytest (PYTHON, default python3).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
python=${PYTHON:-python3}
cargo build -q -p monosync-exchange-sim --bin mx-sim --manifest-path "$root/Cargo.toml"
bin="$root/target/debug/mx-sim"
export MX_SIM_HTTP_PORT=${MX_SIM_HTTP_PORT:-15985}
export MX_SIM_HTTPS_PORT=${MX_SIM_HTTPS_PORT:-15986}
"$bin" --listen "127.0.0.1:$MX_SIM_HTTP_PORT" >/dev/null &
http_pid=$!
"$bin" --https --listen "127.0.0.1:$MX_SIM_HTTPS_PORT" >/dev/null &
https_pid=$!
trap 'kill $http_pid $https_pid 2>/dev/null || true' EXIT
sleep 1
"$python" -m pytest -q "$here/test_pypsrp.py" "$@"
