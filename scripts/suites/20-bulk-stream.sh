#!/usr/bin/env bash
# The 100,000-object Get-Mailbox streaming test (tests/e2e/tests/bulk.rs) in release: a debug
# build takes minutes to encode, seal and decode 2 GB of CLIXML, release about a minute.
# Prints cargo's "N passed; N failed" line and exits non-zero on failure.
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build --release --quiet -p monosync-exchange-sim --bin mx-sim
cargo test --release --quiet -p monosync-exchange-e2e --features bulk --test bulk -- --nocapture
