#!/usr/bin/env bash
# Regenerates include/monosync_exchange.h from ffi/src with the pinned cbindgen and fails
# when the committed header differs. `--write` updates the committed header instead.
set -euo pipefail
cd "$(dirname "$0")/.."

CBINDGEN_VERSION=0.29.2
if ! command -v cbindgen >/dev/null 2>&1 || [ "$(cbindgen --version)" != "cbindgen $CBINDGEN_VERSION" ]; then
    echo "installing cbindgen $CBINDGEN_VERSION (takes a few minutes the first time)"
    cargo install cbindgen --locked --version "$CBINDGEN_VERSION" --quiet
fi

header=include/monosync_exchange.h
generated=$(mktemp --suffix=.h)
trap 'rm -f "$generated"' EXIT
cbindgen --quiet --config ffi/cbindgen.toml --crate monosync-exchange-ffi --output "$generated" ffi

if [ "${1:-}" = "--write" ]; then
    cp "$generated" "$header"
    echo "wrote $header"
    exit 0
fi
if ! diff -u "$header" "$generated"; then
    echo "$header is out of date: run scripts/check-header.sh --write and commit it" >&2
    exit 1
fi
echo "$header is up to date"
