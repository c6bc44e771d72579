#!/usr/bin/env bash
# The release artifacts as their users consume them: runs scripts/package.sh into a temporary
# dist/ (reusing the release builds of 20-python and 20-bulk-stream: the same mx-sim, the same
# Python module), then
#   C:      installs the SDK tarball into a temporary prefix, builds examples/c with
#           `pkg-config --cflags --libs` and with CMake (find_package), shared and static, and
#           runs each against mx-sim;
#   Python: installs the wheel into a fresh venv (no source tree on sys.path) and runs
#           examples/python against mx-sim; builds and installs the sdist once;
#   .NET:   extracts the nupkg as NuGet does, compiles examples/dotnet against lib/ only and
#           runs it on Mono with the native library from runtimes/; a missing library names
#           the paths tried;
#   CLI:    unpacks the CLI tarball (completions for four shells, man pages), checks one version
#           everywhere, and `cargo install`s mx and mx-sim from the repository;
# plus the portability check of core/ and ffi/. Ends with "package: N passed, N failed".
set -uo pipefail
# shellcheck source=lib/suite.sh
. "$(dirname "$0")/lib/suite.sh"

need_tools gcc=gcc make=make cmake=cmake pkg-config=pkg-config mcs=mono-mcs \
    mono=mono-runtime,mono-devel unzip=unzip readelf=binutils

version=$(sed -n '/^\[workspace.package\]/,/^\[/s/^version = "\(.*\)"$/\1/p' Cargo.toml)
abi=$(sed -n 's/^#define MX_ABI_VERSION \([0-9][0-9]*\)$/\1/p' include/monosync_exchange.h)
arch=$(uname -m)
dist=$work/dist

package() {
    DIST="$dist" scripts/package.sh >"$work/package.log" 2>&1 || { cat "$work/package.log"; return 1; }
    grep '^package:' "$work/package.log" | sed 's/^/   /'
    (cd "$dist" && sha256sum -c --quiet SHA256SUMS)
}

unpack_cli() {
    mkdir -p "$work/cli" &&
        tar -xzf "$dist/monosync-exchange-cli-$version-linux-$arch.tar.gz" -C "$work/cli" --strip-components=1
}

one_version() {
    local ok=0
    [ "$("$work/cli/bin/mx" --version)" = "mx $version (C ABI $abi)" ] || { echo "   mx --version: $("$work/cli/bin/mx" --version)"; ok=1; }
    [ "$("$work/cli/bin/mx-sim" --version)" = "mx-sim $version" ] || { echo "   mx-sim --version differs"; ok=1; }
    grep -qx "Version: $version" "$work/prefix/lib/pkgconfig/monosync-exchange.pc" || { echo "   .pc version"; ok=1; }
    [ -f "$work/prefix/lib/libmonosync_exchange.so.$abi.$version" ] || { echo "   shared library file name"; ok=1; }
    unzip -p "$dist/Monosync.Exchange.$version.nupkg" Monosync.Exchange.nuspec | grep -q "<version>$version</version>" ||
        { echo "   nuspec version"; ok=1; }
    ls "$dist"/monosync_exchange-"$version"-cp39-abi3-manylinux_*.whl "$dist/monosync_exchange-$version.tar.gz" >/dev/null ||
        { echo "   wheel or sdist version"; ok=1; }
    return $ok
}

cli_help_files() {
    local f
    for f in bin/mx bin/mx-sim share/man/man1/mx.1 share/man/man1/mx-run.1 share/man/man1/mx-sim.1 \
        share/bash-completion/completions/mx share/zsh/site-functions/_mx share/fish/vendor_completions.d/mx.fish \
        share/powershell/Completions/mx.ps1 share/bash-completion/completions/mx-sim; do
        [ -s "$work/cli/$f" ] || { echo "   missing $f"; return 1; }
    done
    bash -n "$work/cli/share/bash-completion/completions/mx" &&
        grep -q '^\.TH mx-run 1' "$work/cli/share/man/man1/mx-run.1" &&
        grep -q 'shell-quota' "$work/cli/share/zsh/site-functions/_mx-sim"
}

# C: the SDK unpacked into a prefix, as `tar -C /usr/local --strip-components=1` would.
install_c() {
    mkdir -p "$work/prefix" &&
        tar -xzf "$dist/monosync-exchange-c-$version-linux-$arch.tar.gz" -C "$work/prefix" --strip-components=1 &&
        [ "$(readlink "$work/prefix/lib/libmonosync_exchange.so")" = "libmonosync_exchange.so.$abi" ] &&
        readelf -d "$work/prefix/lib/libmonosync_exchange.so.$abi" | grep -q "SONAME.*\[libmonosync_exchange.so.$abi\]"
}

cflags=(-std=c11 -O1 -Wall -Wextra -Werror -pedantic -D_POSIX_C_SOURCE=200809L -pthread)
pc() { PKG_CONFIG_PATH="$work/prefix/lib/pkgconfig" pkg-config "$@" monosync-exchange; }

c_pkg_config() {
    # Shared: what `pkg-config --cflags --libs` says; it must need the soname, not the .so link.
    # shellcheck disable=SC2046
    gcc "${cflags[@]}" -o "$work/pc-shared" examples/c/provision.c $(pc --cflags --libs) || return 1
    readelf -d "$work/pc-shared" | grep -q "NEEDED.*\[libmonosync_exchange.so.$abi\]" || return 1
    # Static: `--static` adds Libs.private; the archive is named so the linker cannot pick the .so.
    local libs
    libs=$(pc --static --libs)
    # shellcheck disable=SC2046,SC2086
    gcc "${cflags[@]}" -o "$work/pc-static" examples/c/provision.c $(pc --cflags) ${libs/-lmonosync_exchange/-l:libmonosync_exchange.a} ||
        return 1
    ! readelf -d "$work/pc-static" | grep -q "NEEDED.*monosync"
}

c_cmake() {
    cmake -S examples/c -B "$work/cmake-build" -DCMAKE_PREFIX_PATH="$work/prefix" >"$work/cmake.log" 2>&1 &&
        cmake --build "$work/cmake-build" >>"$work/cmake.log" 2>&1 || { cat "$work/cmake.log"; return 1; }
    readelf -d "$work/cmake-build/provision" | grep -q "NEEDED.*\[libmonosync_exchange.so.$abi\]" &&
        ! readelf -d "$work/cmake-build/provision-static" | grep -q "NEEDED.*monosync"
}

run_c() {
    local exe=$1 out
    out=$work/$(basename "$exe").out
    LD_LIBRARY_PATH="$work/prefix/lib" "$exe" "$url" >"$out" 2>&1 || { cat "$out"; return 1; }
    tail -n 1 "$out" | sed 's/^/   /'
}

run_c_all() {
    local status=0
    run_c "$work/pc-shared" || status=1
    run_c "$work/pc-static" || status=1
    # CMake's build tree records the library's directory as RPATH: no LD_LIBRARY_PATH needed.
    "$work/cmake-build/provision" "$url" >"$work/cmake-shared.out" 2>&1 || { cat "$work/cmake-shared.out"; status=1; }
    run_c "$work/cmake-build/provision-static" || status=1
    return $status
}

# Python: the wheel alone in a fresh venv, run from a directory without the sources.
python_wheel() {
    python3 -m venv "$work/venv" &&
        "$work/venv/bin/pip" install -q --disable-pip-version-check "$dist"/monosync_exchange-"$version"-*.whl || return 1
    (cd "$work" && "$work/venv/bin/python" - "$work/venv" <<'EOF') || return 1
import os, sys, monosync_exchange
pkg = os.path.dirname(monosync_exchange.__file__)
assert pkg.startswith(sys.argv[1]), pkg
for f in ("py.typed", "__init__.pyi"):
    assert os.path.exists(os.path.join(pkg, f)), f
EOF
    (cd "$work" && "$work/venv/bin/python" "$root/examples/python/provision.py" "$url") >"$work/py.out" 2>&1 ||
        { cat "$work/py.out"; return 1; }
    tail -n 1 "$work/py.out" | sed 's/^/   /'
}

# The sdist builds with maturin from PyPI in a venv of its own; CARGO_TARGET_DIR shares the
# compiled dependencies with the other release builds (only the two local crates compile).
python_sdist() {
    python3 -m venv "$work/sdist-venv" &&
        "$work/sdist-venv/bin/pip" install -q --disable-pip-version-check "maturin>=1.9.4,<2" &&
        PATH="$work/sdist-venv/bin:$PATH" CARGO_TARGET_DIR="$root/target" "$work/sdist-venv/bin/pip" install -q --disable-pip-version-check \
            --no-build-isolation "$dist/monosync_exchange-$version.tar.gz" >"$work/sdist.log" 2>&1 ||
        { cat "$work/sdist.log"; return 1; }
    (cd "$work" && "$work/sdist-venv/bin/python" "$root/examples/python/provision.py" "$url") >"$work/sdist.out" 2>&1 ||
        { cat "$work/sdist.out"; return 1; }
}

# .NET: the package extracted the way NuGet does into its global packages folder (lower-case
# id/version; the OPC parts left out), the example compiled against lib/ alone, and the
# application laid out as the .NET SDK does: lib assets beside it, runtimes/ below it.
nuget_extract() {
    local pkg=$work/nuget/monosync.exchange/$version
    mkdir -p "$pkg" &&
        unzip -q "$dist/Monosync.Exchange.$version.nupkg" -d "$pkg" -x '?Content_Types?.xml' '_rels/*' 'package/*' &&
        [ -f "$pkg/lib/netstandard2.0/Monosync.Exchange.xml" ] && [ ! -e "$pkg/[Content_Types].xml" ] &&
        grep -q '<license type="expression">MIT OR Apache-2.0</license>' "$pkg/Monosync.Exchange.nuspec" &&
        grep -q '<readme>README.md</readme>' "$pkg/Monosync.Exchange.nuspec" && [ -f "$pkg/README.md" ]
}

dotnet_example() {
    local pkg=$work/nuget/monosync.exchange/$version app=$work/app
    mkdir -p "$app" &&
        mcs -nologo -warnaserror+ -langversion:7.2 -lib:/usr/lib/mono/4.5/Facades -r:System.Runtime \
            -target:exe -out:"$app/Provision.exe" -r:"$pkg/lib/netstandard2.0/Monosync.Exchange.dll" \
            examples/dotnet/Provision.cs || return 1
    cp "$pkg"/lib/netstandard2.0/* "$app/" && cp -r "$pkg/runtimes" "$app/"
    (cd "$work" && env -u LD_LIBRARY_PATH timeout 300 mono "$app/Provision.exe" "$url") >"$work/net.out" 2>&1 ||
        { cat "$work/net.out"; return 1; }
    tail -n 1 "$work/net.out" | sed 's/^/   /'
}

dotnet_missing_library() {
    local app=$work/app-bare
    mkdir -p "$app" && cp "$work/app"/*.exe "$work/app"/*.dll "$work/app"/*.config "$app/"
    (cd "$work" && env -u LD_LIBRARY_PATH timeout 60 mono "$app/Provision.exe" "$url") >"$work/bare.out" 2>&1 &&
        { echo "   ran without its native library"; return 1; }
    grep -q "DllNotFoundException" "$work/bare.out" &&
        grep -q "Tried: $app/runtimes/linux-x64/native/libmonosync_exchange.so (missing)" "$work/bare.out" ||
        { cat "$work/bare.out"; return 1; }
}

# `cargo install` from the repository, sharing the release build directory.
cargo_install() {
    CARGO_TARGET_DIR="$root/target" cargo install -q --locked --path cli --root "$work/cargo-root" &&
        CARGO_TARGET_DIR="$root/target" cargo install -q --locked --path simulator --root "$work/cargo-root" &&
        [ "$("$work/cargo-root/bin/mx" --version)" = "mx $version (C ABI $abi)" ] &&
        "$work/cargo-root/bin/mx-sim" --help >/dev/null
}

step "core/ and ffi/ portable (scripts/check-portable.sh)" scripts/check-portable.sh
if step "scripts/package.sh" package; then
    step "CLI tarball unpacks" unpack_cli
    step "C SDK installs into a prefix (soname, symlinks)" install_c
    step "one version everywhere" one_version
    step "completions and man pages in the CLI tarball" cli_help_files
    step "examples/c with pkg-config, shared and static" c_pkg_config
    step "examples/c with CMake find_package, shared and static" c_cmake
    step "nupkg extracted as NuGet does" nuget_extract
    if step "mx-sim from the CLI tarball" start_sim "$work/cli/bin/mx-sim" sim; then
        echo "   mx-sim at $url"
        step "examples/c (pkg-config and CMake builds) against mx-sim" run_c_all
        step "wheel in a fresh venv: examples/python against mx-sim" python_wheel
        step "sdist built and installed: examples/python against mx-sim" python_sdist
        step "examples/dotnet against lib/, runtimes/ native library, on Mono" dotnet_example
        step ".NET without its native library names the paths tried" dotnet_missing_library
    else
        failed=$((failed + 5))
    fi
else
    failed=$((failed + 12))
fi
step "cargo install --path cli and --path simulator" cargo_install

finish package
