#!/usr/bin/env bash
# Checks the bindings' error kinds against the core's table (core/src/error/kind.rs):
# the C header, the Python stubs and package, the .NET enum and exceptions, docs/errors.md.
# `--write` regenerates the generated ones (.NET sources, the stubs' regions, docs/errors.md);
# the C header comes from ffi/src/error.rs through scripts/check-header.sh --write.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = "--write" ]; then
    export MX_WRITE_GENERATED=1
fi
cargo test -q -p monosync-exchange-e2e --test error_kind_bindings
