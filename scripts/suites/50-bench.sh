#!/usr/bin/env bash
# The benchmark harness (bench/) at a tiny size: every client (ours in Rust, Python and C, and
# pypsrp) runs every step once against mx-sim. Checks that the harness runs, not the figures.
# Prints "N passed, N failed" (one per step) and exits non-zero on failure.
set -euo pipefail
cd "$(dirname "$0")/../.."
exec bench/run.sh --tiny
