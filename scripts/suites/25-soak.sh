#!/usr/bin/env bash
# The soak test (tests/e2e/tests/soak.rs) in release, at 5,000 commands over one session and
# 5,000 over a pool: RSS before and after, and no shell left on the simulator. The full
# 100,000 is `MX_SOAK_CMDLETS=100000` with the same command.
# Prints cargo's "N passed; N failed" line and exits non-zero on failure.
set -euo pipefail
cd "$(dirname "$0")/../.."
MX_SOAK_CMDLETS="${MX_SOAK_CMDLETS:-5000}" \
    cargo test --release --quiet -p monosync-exchange-e2e --features soak --test soak -- --nocapture
