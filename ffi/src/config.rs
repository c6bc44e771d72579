//! `mx_config`: a session's configuration, built once from an `mx_options` builder and then
//! immutable and shared: any number of sessions and pools open from it, on any thread, and it
//! is released with `mx_config_free` whenever the caller is done with it.

use std::sync::Arc;

use mx_core::exchange::SessionOptions;

use crate::boundary::{
    Castable, Out, OwnershipArc, ffi_result, ffi_value, free_arc, to_arc_ptr, try_arc, try_ref,
};
use crate::error::{mx_error, mx_result_code};
use crate::options::mx_options;

/// An immutable, reference-counted configuration made by `mx_options_build`; sessions
/// (`mx_session_open_config`) and pools (`mx_pool_open_config`) take it. Safe to share
/// between threads.
pub struct mx_config {
    _private: [u8; 0],
}

impl Castable for mx_config {
    type RustType = SessionOptions;
    type Ownership = OwnershipArc;
}

/// The options behind `config`: another reference, so the caller may free it meanwhile.
pub(crate) fn options_of(
    config: *const mx_config,
) -> Result<Arc<SessionOptions>, crate::error::FfiError> {
    // SAFETY: every function taking a config requires it to be NULL or live from
    // `mx_options_build`.
    unsafe { try_arc(config, "config") }
}

/// Builds the configuration that `options` describe now; later changes to `options` do not
/// reach it. On success the caller owns `*out` and releases it with `mx_config_free`.
#[unsafe(no_mangle)]
pub extern "C" fn mx_options_build(
    options: *const mx_options,
    out: *mut *const mx_config,
    err: *mut *mut mx_error,
) -> mx_result_code {
    ffi_result!(err => {
        // SAFETY: the documentation requires `out` to be valid for a write.
        let out = unsafe { Out::new(out, "out") }?;
        // SAFETY: the documentation requires `options` to be NULL or a live handle from
        // `mx_options_new`.
        let options = unsafe { try_ref(options, "options") }?.snapshot();
        out.write(to_arc_ptr::<mx_config>(Arc::new(options)));
        Ok(())
    })
}

/// Releases the caller's reference to `config`; NULL is fine. Sessions and pools opened
/// from it are not affected. Must be called once per configuration built.
#[unsafe(no_mangle)]
pub extern "C" fn mx_config_free(config: *const mx_config) {
    ffi_value!((), {
        // SAFETY: the documentation requires `config` to be NULL or live from
        // `mx_options_build`, released once.
        unsafe { free_arc(config) }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::options::{mx_options_free, mx_options_new, mx_options_set_server};

    #[test]
    fn a_config_is_a_snapshot_shared_until_its_last_reference() {
        let o = mx_options_new();
        let null = std::ptr::null_mut();
        let host = "ex01.corp.example";
        assert_eq!(
            mx_options_set_server(o, host.as_ptr().cast(), host.len(), null),
            mx_result_code::MX_OK
        );
        let mut config: *const mx_config = std::ptr::null();
        assert_eq!(
            mx_options_build(o, &mut config, null),
            mx_result_code::MX_OK
        );
        let other = "ex02.corp.example";
        assert_eq!(
            mx_options_set_server(o, other.as_ptr().cast(), other.len(), null),
            mx_result_code::MX_OK
        );
        mx_options_free(o);
        let shared = options_of(config).expect("live");
        mx_config_free(config);
        assert_eq!(
            shared.transport.url,
            "https://ex01.corp.example/PowerShell/"
        );
        assert_eq!(Arc::strong_count(&shared), 1);
        assert!(options_of(std::ptr::null()).is_err());
        mx_config_free(std::ptr::null());
    }
}
