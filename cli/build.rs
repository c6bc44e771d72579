//! Reads the C ABI version from the committed header (include/monosync_exchange.h, generated
//! from ffi/src by cbindgen and checked by scripts/check-header.sh) so that `mx --version`
//! prints it without linking the C library.

use std::path::Path;

fn main() {
    let header = Path::new(env!("CARGO_MANIFEST_DIR")).join("../include/monosync_exchange.h");
    println!("cargo:rerun-if-changed={}", header.display());
    let text = std::fs::read_to_string(&header)
        .unwrap_or_else(|e| panic!("{}: {e} (build mx from the repository)", header.display()));
    let abi = text
        .lines()
        .find_map(|line| line.strip_prefix("#define MX_ABI_VERSION "))
        .map(str::trim)
        .filter(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()))
        .unwrap_or_else(|| panic!("{}: no `#define MX_ABI_VERSION <n>`", header.display()));
    println!("cargo:rustc-env=MX_C_ABI_VERSION={abi}");
}
