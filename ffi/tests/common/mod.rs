//! What the C ABI tests share: string arguments, handles that cross threads, error checks,
//! and NTLM options for the simulator's administrator.
// Each test binary that includes this module uses part of it.
#![allow(dead_code)]

use std::ffi::c_char;

use monosync_exchange::error::*;
use monosync_exchange::options::*;

pub fn s(text: &str) -> (*const c_char, usize) {
    (text.as_ptr().cast(), text.len())
}

/// A handle pointer that may cross threads: the ABI promises every handle is usable from any
/// thread.
pub struct Shared<T>(pub *const T);
impl<T> Clone for Shared<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for Shared<T> {}
// SAFETY: see above; the tests free a handle only after joining the threads that use it.
unsafe impl<T> Send for Shared<T> {}

/// The code and message of `err`, freeing it.
pub fn take_error(err: *mut mx_error) -> (mx_result_code, String) {
    let code = mx_error_code(err);
    // SAFETY: read before the free.
    let message = unsafe { mx_error_message(err).to_str() }
        .unwrap_or_default()
        .to_owned();
    mx_error_free(err);
    (code, message)
}

pub fn check(code: mx_result_code, err: *mut mx_error) {
    if code != mx_result_code::MX_OK {
        let (_, message) = take_error(err);
        panic!("{code:?}: {message}");
    }
}

/// NTLM options for `url` as the simulator's administrator.
pub fn options(url: &str) -> *mut mx_options {
    let o = mx_options_new();
    let mut err = std::ptr::null_mut();
    let (p, n) = s(url);
    check(mx_options_set_url(o, p, n, &mut err), err);
    check(mx_options_set_auth(o, mx_auth::Ntlm as u32, &mut err), err);
    let (p, n) = s("CONTOSO\\Administrator");
    check(mx_options_set_username(o, p, n, &mut err), err);
    let (p, n) = s("P@ssw0rd!");
    check(mx_options_set_password(o, p, n, &mut err), err);
    o
}
