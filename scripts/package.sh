#!/usr/bin/env bash
# Builds every release artifact into dist/ (or $DIST), all at the workspace version:
#   monosync-exchange-c-<v>-linux-<arch>.tar.gz    C/C++ SDK: libmonosync_exchange.so.<abi>.<v>
#                                                  (soname libmonosync_exchange.so.<abi>) and its
#                                                  symlinks, libmonosync_exchange.a, the header,
#                                                  pkg-config and CMake package files
#   monosync_exchange-<v>-cp39-abi3-manylinux_*.whl, monosync_exchange-<v>.tar.gz   Python
#   Monosync.Exchange.<v>.nupkg                     .NET (netstandard2.0 + runtimes/linux-<arch>/native)
#   monosync-exchange-cli-<v>-linux-<arch>.tar.gz   mx and mx-sim, completions, man pages
#   SHA256SUMS
# Usage: scripts/package.sh [c] [python] [dotnet] [cli]   (default: all of them)
# Needs cargo, gcc, python3 (with venv), mcs (mono-mcs), zip tooling from python3; installs
# maturin into target/python-tools and mono-mcs with apt-get when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
dist=${DIST:-$root/dist}
parts=("$@")
[ ${#parts[@]} -gt 0 ] || parts=(c python dotnet cli)
want() { [[ " ${parts[*]} " == *" $1 "* ]]; }

version=$(sed -n '/^\[workspace.package\]/,/^\[/s/^version = "\(.*\)"$/\1/p' Cargo.toml)
abi=$(sed -n 's/^#define MX_ABI_VERSION \([0-9][0-9]*\)$/\1/p' include/monosync_exchange.h)
arch=$(uname -m)
case "$arch" in x86_64) rid=linux-x64 ;; aarch64) rid=linux-arm64 ;; *) rid=linux-$arch ;; esac
[ -n "$version" ] && [ -n "$abi" ] || { echo "package: no workspace version or MX_ABI_VERSION" >&2; exit 1; }

# One version everywhere: the .NET project file is the only copy outside Cargo.toml.
csproj_version=$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' bindings/dotnet/Monosync.Exchange.csproj)
if [ "$csproj_version" != "$version" ]; then
    echo "package: bindings/dotnet/Monosync.Exchange.csproj has version $csproj_version, the workspace $version" >&2
    exit 1
fi

mkdir -p "$dist"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "package: monosync-exchange $version (C ABI $abi) into $dist"

# The C library: one rustc run of the ffi crate (its dependencies are shared with every other
# release build) with the soname as a linker argument. cargo-c would produce the same files but
# takes long to install (see docs/c.md); the link flags a static consumer needs come from
# rustc's native-static-libs note, which cargo replays when the crate is fresh.
build_ffi() {
    cargo rustc -q --release -p monosync-exchange-ffi --lib -- \
        -C link-arg=-Wl,-soname,libmonosync_exchange.so.$abi --print native-static-libs 2>"$work/ffi.log" || {
        cat "$work/ffi.log" >&2
        return 1
    }
    static_libs=$(sed -n 's/.*native-static-libs: //p' "$work/ffi.log" | tail -n 1)
    if [ -z "$static_libs" ]; then
        # An older artifact without the cached note: rebuild the ffi crate alone.
        cargo clean -q --release -p monosync-exchange-ffi
        cargo rustc -q --release -p monosync-exchange-ffi --lib -- \
            -C link-arg=-Wl,-soname,libmonosync_exchange.so.$abi --print native-static-libs 2>"$work/ffi.log"
        static_libs=$(sed -n 's/.*native-static-libs: //p' "$work/ffi.log" | tail -n 1)
    fi
    [ -n "$static_libs" ] || { echo "package: rustc printed no native-static-libs" >&2; return 1; }
    if ! readelf -d target/release/libmonosync_exchange.so | grep -q "SONAME.*libmonosync_exchange.so.$abi"; then
        echo "package: target/release/libmonosync_exchange.so has no soname libmonosync_exchange.so.$abi" >&2
        return 1
    fi
}

package_c() {
    local name=monosync-exchange-c-$version-linux-$arch
    local stage=$work/$name
    local real=libmonosync_exchange.so.$abi.$version
    mkdir -p "$stage/lib/pkgconfig" "$stage/lib/cmake/MonosyncExchange" "$stage/include" \
        "$stage/share/doc/monosync-exchange"
    objcopy --strip-debug target/release/libmonosync_exchange.so "$stage/lib/$real"
    ln -s "$real" "$stage/lib/libmonosync_exchange.so.$abi"
    ln -s "libmonosync_exchange.so.$abi" "$stage/lib/libmonosync_exchange.so"
    objcopy --strip-debug target/release/libmonosync_exchange.a "$stage/lib/libmonosync_exchange.a"
    cp include/monosync_exchange.h "$stage/include/"
    cp README.md CHANGELOG.md docs/c.md "$stage/share/doc/monosync-exchange/"

    # pkg-config: the prefix is where the tarball was unpacked, found from the .pc file's
    # own place (pcfiledir), so the SDK can live under any prefix.
    cat >"$stage/lib/pkgconfig/monosync-exchange.pc" <<EOF
prefix=\${pcfiledir}/../..
libdir=\${prefix}/lib
includedir=\${prefix}/include
abi_version=$abi

Name: monosync-exchange
Description: Manage on-premises Exchange Server over WS-Management and PSRP (C ABI $abi)
Version: $version
Cflags: -I\${includedir}
Libs: -L\${libdir} -lmonosync_exchange
Libs.private: $static_libs
EOF

    # CMake: imported targets for the shared and the static library.
    local cmake_libs
    cmake_libs=$(for flag in $static_libs; do
        case "$flag" in -lc) ;; -l*) printf '%s;' "${flag#-l}" ;; *) printf '%s;' "$flag" ;; esac
    done)
    cat >"$stage/lib/cmake/MonosyncExchange/MonosyncExchangeConfig.cmake" <<EOF
# find_package(MonosyncExchange) for libmonosync_exchange $version (C ABI $abi).
# Targets: MonosyncExchange::monosync_exchange (shared), MonosyncExchange::monosync_exchange_static.
get_filename_component(_mx_prefix "\${CMAKE_CURRENT_LIST_DIR}/../../.." ABSOLUTE)
set(MonosyncExchange_VERSION "$version")
set(MonosyncExchange_ABI_VERSION $abi)
set(MonosyncExchange_INCLUDE_DIRS "\${_mx_prefix}/include")
if(NOT TARGET MonosyncExchange::monosync_exchange)
  add_library(MonosyncExchange::monosync_exchange SHARED IMPORTED)
  set_target_properties(MonosyncExchange::monosync_exchange PROPERTIES
    IMPORTED_LOCATION "\${_mx_prefix}/lib/libmonosync_exchange.so.$abi.$version"
    IMPORTED_SONAME "libmonosync_exchange.so.$abi"
    INTERFACE_INCLUDE_DIRECTORIES "\${_mx_prefix}/include")
endif()
if(NOT TARGET MonosyncExchange::monosync_exchange_static)
  add_library(MonosyncExchange::monosync_exchange_static STATIC IMPORTED)
  set_target_properties(MonosyncExchange::monosync_exchange_static PROPERTIES
    IMPORTED_LOCATION "\${_mx_prefix}/lib/libmonosync_exchange.a"
    IMPORTED_LINK_INTERFACE_LANGUAGES "C"
    INTERFACE_INCLUDE_DIRECTORIES "\${_mx_prefix}/include"
    INTERFACE_LINK_LIBRARIES "$cmake_libs")
endif()
unset(_mx_prefix)
EOF
    # Compatible within one ABI version and not older than what was asked for.
    cat >"$stage/lib/cmake/MonosyncExchange/MonosyncExchangeConfigVersion.cmake" <<EOF
set(PACKAGE_VERSION "$version")
if(PACKAGE_FIND_VERSION VERSION_GREATER PACKAGE_VERSION)
  set(PACKAGE_VERSION_COMPATIBLE FALSE)
else()
  set(PACKAGE_VERSION_COMPATIBLE TRUE)
  if(PACKAGE_FIND_VERSION STREQUAL PACKAGE_VERSION)
    set(PACKAGE_VERSION_EXACT TRUE)
  endif()
endif()
if(NOT CMAKE_SIZEOF_VOID_P STREQUAL "8")
  set(PACKAGE_VERSION "\${PACKAGE_VERSION} (64-bit)")
  set(PACKAGE_VERSION_UNSUITABLE TRUE)
endif()
EOF
    tar -C "$work" -czf "$dist/$name.tar.gz" --owner=0 --group=0 "$name"
    echo "package: $name.tar.gz"
}

python_tools() {
    local tools=target/python-tools
    [ -x "$tools/bin/python" ] || python3 -m venv "$tools"
    "$tools/bin/maturin" --version >/dev/null 2>&1 ||
        "$tools/bin/pip" install -q --disable-pip-version-check "maturin>=1.9.4,<2" pytest
    maturin=$root/$tools/bin/maturin
}

# The wheel is tagged with the oldest manylinux policy whose symbol versions it satisfies
# (maturin's auditwheel check fails the build otherwise); the sdist builds the same module
# from source.
package_python() {
    python_tools
    rm -f "$dist"/monosync_exchange-*.whl "$dist"/monosync_exchange-*.tar.gz
    # Two commands: `build --sdist` would compile the wheel again from the unpacked sdist, in a
    # target directory of its own.
    "$maturin" build -q --release -m bindings/python/Cargo.toml --auditwheel check --out "$dist"
    "$maturin" sdist -m bindings/python/Cargo.toml --out "$dist" >"$work/sdist.log" 2>&1 || {
        cat "$work/sdist.log" >&2
        return 1
    }
    local wheel
    wheel=$(ls "$dist"/monosync_exchange-"$version"-*.whl)
    case "$wheel" in
        *-cp39-abi3-manylinux_*) echo "package: $(basename "$wheel") and its sdist" ;;
        *) echo "package: $wheel is not an abi3 manylinux wheel" >&2; return 1 ;;
    esac
}

# Compiles Monosync.Exchange.dll with its XML documentation (mcs), stamped with the version.
build_dotnet_assembly() {
    local out=$1
    if ! command -v mcs >/dev/null 2>&1; then
        apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mono-mcs mono-devel >/dev/null
    fi
    cat >"$work/AssemblyVersion.cs" <<EOF
using System.Reflection;
[assembly: AssemblyVersion("$version.0")]
[assembly: AssemblyFileVersion("$version.0")]
[assembly: AssemblyInformationalVersion("$version")]
[assembly: AssemblyTitle("Monosync.Exchange")]
EOF
    mcs -nologo -warnaserror+ -unsafe -langversion:7.2 -lib:/usr/lib/mono/4.5/Facades -r:System.Runtime \
        -optimize+ -target:library -doc:"$out/Monosync.Exchange.xml" -out:"$out/Monosync.Exchange.dll" \
        -recurse:'bindings/dotnet/src/*.cs' "$work/AssemblyVersion.cs"
}

# A nupkg is an OPC zip: the nuspec, [Content_Types].xml, the package relationship and core
# properties, then the payload. Built with Python's zipfile: Debian's nuget (2.8) predates
# license expressions and readme files in the nuspec.
package_dotnet() {
    local payload=$work/nupkg
    mkdir -p "$payload/lib/netstandard2.0" "$payload/runtimes/$rid/native"
    build_dotnet_assembly "$payload/lib/netstandard2.0"
    cp bindings/dotnet/Monosync.Exchange.dll.config "$payload/lib/netstandard2.0/"
    objcopy --strip-debug target/release/libmonosync_exchange.so "$payload/runtimes/$rid/native/libmonosync_exchange.so"
    cp bindings/dotnet/README.md "$payload/README.md"
    local commit url
    commit=$(git rev-parse HEAD 2>/dev/null || true)
    url=${MX_REPOSITORY_URL:-$(git remote get-url origin 2>/dev/null || true)}
    python3 scripts/nupkg.py --out "$dist/Monosync.Exchange.$version.nupkg" --payload "$payload" \
        --id Monosync.Exchange --version "$version" --license "MIT OR Apache-2.0" \
        --authors "monosync-exchange developers" --readme README.md \
        --description "Manage on-premises Exchange Server over WS-Management and PowerShell remoting from .NET: typed cmdlet parameters, results and errors, through libmonosync_exchange." \
        --tags "exchange powershell winrm psrp wsman" \
        --repository-url "$url" --repository-commit "$commit"
    echo "package: Monosync.Exchange.$version.nupkg"
}

package_cli() {
    cargo build -q --release -p monosync-exchange-sim --bin mx-sim
    cargo build -q --release -p monosync-exchange-cli --bin mx
    local name=monosync-exchange-cli-$version-linux-$arch
    local stage=$work/$name
    mkdir -p "$stage/bin" "$stage/share/man/man1" "$stage/share/bash-completion/completions" \
        "$stage/share/zsh/site-functions" "$stage/share/fish/vendor_completions.d" \
        "$stage/share/powershell/Completions" "$stage/share/doc/monosync-exchange"
    for bin in mx mx-sim; do
        objcopy --strip-debug "target/release/$bin" "$stage/bin/$bin"
    done
    "$stage/bin/mx" man --dir "$stage/share/man/man1"
    "$stage/bin/mx-sim" --man >"$stage/share/man/man1/mx-sim.1"
    for bin in mx mx-sim; do
        local gen=("$stage/bin/$bin" completions)
        [ "$bin" = mx ] || gen=("$stage/bin/$bin" --completions)
        "${gen[@]}" bash >"$stage/share/bash-completion/completions/$bin"
        "${gen[@]}" zsh >"$stage/share/zsh/site-functions/_$bin"
        "${gen[@]}" fish >"$stage/share/fish/vendor_completions.d/$bin.fish"
        "${gen[@]}" powershell >"$stage/share/powershell/Completions/$bin.ps1"
    done
    cp README.md CHANGELOG.md docs/admin-guide.md docs/simulator.md "$stage/share/doc/monosync-exchange/"
    tar -C "$work" -czf "$dist/$name.tar.gz" --owner=0 --group=0 "$name"
    echo "package: $name.tar.gz"
}

if want c || want dotnet; then build_ffi; fi
if want c; then package_c; fi
if want python; then package_python; fi
if want dotnet; then package_dotnet; fi
if want cli; then package_cli; fi
shopt -s nullglob
(cd "$dist" && rm -f SHA256SUMS && sums=(*.tar.gz *.whl *.nupkg) && sha256sum -- "${sums[@]}" >SHA256SUMS)
echo "package: done"
