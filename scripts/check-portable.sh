#!/usr/bin/env bash
# The library must stay buildable for Windows (runtimes/win-x64/native/monosync_exchange.dll,
# docs/dotnet.md): core/ and ffi/ use no Unix-only API outside cfg(unix). Flags std::os::unix
# (and ::linux, ::fd), raw file descriptors, tokio's unix signals, the libc and nix crates, and
# /proc, /sys and /dev paths, unless a cfg(unix) or cfg(target_os = ...) attribute is on one of
# the five lines above (or the file is cfg(unix) as a whole); and libc/nix dependencies outside
# a [target.'cfg(unix)'...] table. Exits 1 listing each finding.
set -uo pipefail
cd "$(dirname "$0")/.."

pattern='std::os::(unix|linux|fd)|Raw(Fd|Handle)\b|AsRawFd|FromRawFd|IntoRawFd|signal::unix|\blibc::|\bnix::|"/(proc|sys|dev)/'
findings=0
while IFS= read -r file; do
    grep -qE '^#!\[cfg\((unix|target_os)' "$file" && continue
    out=$(awk -v pat="$pattern" '
        { line[NR] = $0 }
        $0 ~ pat && $0 !~ /^[[:space:]]*\/\// {
            ok = 0
            for (i = NR - 5; i < NR; i++) if (i > 0 && line[i] ~ /cfg\((all\()?(unix|target_os|not\(windows\))/) ok = 1
            if (!ok) printf "%s:%d: %s\n", FILENAME, NR, $0
        }' "$file")
    if [ -n "$out" ]; then
        echo "$out"
        findings=$((findings + $(echo "$out" | wc -l)))
    fi
done < <(find core/src ffi/src -name '*.rs' | sort)

for manifest in core/Cargo.toml ffi/Cargo.toml; do
    out=$(awk '/^\[/ { section = $0 } /^(libc|nix)[[:space:]]*=/ && section !~ /cfg\(unix\)|cfg\(target_os/ { printf "%s:%d: %s (in %s)\n", FILENAME, NR, $0, section }' "$manifest")
    if [ -n "$out" ]; then
        echo "$out"
        findings=$((findings + 1))
    fi
done

if [ "$findings" -ne 0 ]; then
    echo "check-portable: $findings Unix-only use(s) outside cfg(unix) in core/ or ffi/ (the Windows build would break)"
    exit 1
fi
echo "check-portable: core/ and ffi/ use no Unix-only API outside cfg(unix)"
