#!/usr/bin/env bash
# The fuzz targets in fuzz/ (CLIXML, fragments, PSRP messages, SOAP and faults, sealed
# multipart, WWW-Authenticate), each for FUZZ_SECONDS (default 30) on the stable toolchain;
# installs cargo-fuzz when missing. Prints "N passed, N failed" and exits non-zero on a crash.
set -uo pipefail
cd "$(dirname "$0")/../.."
FUZZ_SECONDS=${FUZZ_SECONDS:-30} exec scripts/fuzz.sh
