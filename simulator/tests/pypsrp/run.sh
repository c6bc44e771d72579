#!/bin/sh
# Runs the pypsrp suite against mx-sim: NTLM sealed over HTTP and Basic over HTTPS.
# Needs a Python with pypsrp and pytest (PYTHON, default python3).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
python=${PYTHON:-python3}
cargo build -q -p monosync-exchange-sim --bin mx-sim --manifest-path "$root/Cargo.toml"
bin="$root/target/debug/mx-sim"
free_port() {
    "$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
export MX_SIM_HTTP_PORT=${MX_SIM_HTTP_PORT:-$(free_port)}
export MX_SIM_HTTPS_PORT=${MX_SIM_HTTPS_PORT:-$(free_port)}
"$bin" --listen "127.0.0.1:$MX_SIM_HTTP_PORT" >/dev/null &
http_pid=$!
"$bin" --https --listen "127.0.0.1:$MX_SIM_HTTPS_PORT" >/dev/null &
https_pid=$!
trap 'kill $http_pid $https_pid 2>/dev/null || true' EXIT
"$python" "$here/wait_for_ports.py" "$MX_SIM_HTTP_PORT" "$MX_SIM_HTTPS_PORT"
"$python" -m pytest -q "$here/test_pypsrp.py" "$@"
