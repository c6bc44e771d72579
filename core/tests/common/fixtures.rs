//! Where `shared/fixtures` is. The repository sits beside `shared/` (`<root>/<clone>/core`); a
//! git worktree sits deeper, so the nearest ancestor of the crate that has one wins.

use std::path::{Path, PathBuf};

/// The `shared/fixtures` directory.
pub fn fixtures_dir() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest
        .ancestors()
        .map(|dir| dir.join("shared/fixtures"))
        .find(|dir| dir.is_dir())
        .unwrap_or_else(|| panic!("shared/fixtures not found above {}", manifest.display()))
}
