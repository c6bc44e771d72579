//! The stable C ABI of monosync-exchange: `libmonosync_exchange.so` / `.a` and
//! `include/monosync_exchange.h`, generated from this crate by cbindgen.
//!
//! Conventions, the same for every function (after rustls-ffi and libgit2):
//!
//! - **Handles** are opaque: `mx_options`, `mx_command`, `mx_session`, `mx_pool`, `mx_result` and
//!   `mx_error` (and `mx_string`) are owned by the caller and freed with their `_free`
//!   function, which accepts NULL; `mx_object` and `mx_record` are borrowed from a result (or
//!   a callback) and never freed.
//! - **Results**: a fallible function returns an `mx_result_code` (`MX_OK` = 0; codes 1 to 99
//!   are the error kinds of the core with the same numbers; 100 and up are this library's).
//!   Its last parameter, `mx_error **err`, may be NULL; on failure, when it is not, `*err`
//!   receives a new `mx_error` with the message, the server's fault code,
//!   FullyQualifiedErrorId and hint, which the caller frees with `mx_error_free`. On success
//!   `*err` is not touched.
//! - **Out-parameters** are written only on success.
//! - **Strings in** are a pointer and a length in bytes (`const char *s, size_t s_len`),
//!   UTF-8, no NUL needed; NULL or invalid UTF-8 gives `MX_INVALID_ARGUMENT`. They are copied
//!   or only read during the call.
//! - **Strings out** are `mx_str` views (pointer and length, not NUL-terminated) valid as
//!   long as the handle they came from, or `mx_string`s the caller frees.
//! - **Threads**: every handle may be used from any thread. Sessions serialize their own
//!   commands and run in parallel with each other; a pool runs one command per session it
//!   holds; builders lock themselves. A handle may only be freed once no other thread uses
//!   it.
//! - **Robustness**: no panic crosses into C (it becomes `MX_PANIC`); nothing here aborts on
//!   bad input.
//!
//! The blocking calls run on one library-wide I/O runtime with two threads, started on first
//! use; they must not be called from this library's own callbacks.
#![warn(missing_docs, unreachable_pub)]
// The exports keep the C names the header shows.
#![allow(non_camel_case_types)]
// The exports are C functions: their pointer contracts are stated in each doc comment (which
// the header repeats), and every dereference goes through the checked helpers of `boundary`.
#![allow(clippy::not_unsafe_ptr_arg_deref)]
// Every unsafe block states the invariant it relies on.
#![deny(clippy::undocumented_unsafe_blocks)]

mod boundary;
pub mod cancel;
pub mod command;
pub mod config;
pub mod error;
pub mod invoke;
mod json_value;
pub mod log;
pub mod object;
pub mod options;
pub mod pool;
pub mod pool_options;
pub mod result;
pub mod session;
pub mod strings;

use std::ffi::c_char;

use crate::boundary::ffi_value;

/// The version of the ABI this header describes: raised when a function's signature or meaning
/// changes incompatibly, never when functions are only added. Compare it with
/// `mx_abi_version()` at run time.
pub const MX_ABI_VERSION: u32 = 1;

/// The library's version (`0.1.0`), a static NUL-terminated string.
#[unsafe(no_mangle)]
pub extern "C" fn mx_version() -> *const c_char {
    ffi_value!(std::ptr::null(), {
        concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
    })
}

/// The ABI version the library implements; a program built against the header checks it
/// against `MX_ABI_VERSION`.
#[unsafe(no_mangle)]
pub extern "C" fn mx_abi_version() -> u32 {
    ffi_value!(0, { MX_ABI_VERSION })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        // SAFETY: `mx_version` returns a static NUL-terminated string.
        let v = unsafe { std::ffi::CStr::from_ptr(mx_version()) };
        assert_eq!(v.to_str(), Ok(env!("CARGO_PKG_VERSION")));
        assert_eq!(mx_abi_version(), 1);
    }

    #[test]
    fn the_committed_header_matches_the_abi() {
        let header = include_str!("../../include/monosync_exchange.h");
        assert!(header.contains(&format!("#define MX_ABI_VERSION {MX_ABI_VERSION}")));
        assert!(header.contains("MX_INVALID_ARGUMENT = 100,"));
        assert!(header.contains("mx_result_code mx_session_invoke(const mx_session *session,"));
    }
}
