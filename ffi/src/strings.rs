//! Strings going out: borrowed views (`mx_str`) into a live handle, and owned strings
//! (`mx_string`) the caller frees.

use std::ffi::c_char;

use crate::boundary::{Castable, OwnershipBox, ffi_value, free_box, to_boxed_ptr, try_ref};

/// A borrowed UTF-8 string: `len` bytes at `data`, not NUL-terminated (print it with
/// `printf("%.*s", (int)s.len, s.data)`). It stays valid as long as the handle it came from,
/// as each function documents. `data` is NULL when there is no value (an absent property, a
/// NULL handle); an empty value has a non-NULL `data` and `len` 0.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct mx_str {
    /// The first byte; NULL for "no value".
    pub data: *const c_char,
    /// Length in bytes.
    pub len: usize,
}

impl mx_str {
    /// "No value".
    pub(crate) const fn none() -> mx_str {
        mx_str {
            data: std::ptr::null(),
            len: 0,
        }
    }

    /// A view of `s`; the caller keeps `s` alive as long as the view is documented to be.
    pub(crate) fn from_opt(s: Option<&str>) -> mx_str {
        s.map_or(mx_str::none(), mx_str::from)
    }

    /// The text, for Rust callers (tests, callbacks written in Rust); `None` for "no value".
    ///
    /// # Safety
    ///
    /// The view came from this library and its handle is still alive for `'a`.
    pub unsafe fn to_str<'a>(&self) -> Option<&'a str> {
        if self.data.is_null() {
            return None;
        }
        // SAFETY: a non-NULL `mx_str` made by this library points at `len` bytes of a live
        // `str` (contract above).
        let bytes = unsafe { std::slice::from_raw_parts(self.data.cast::<u8>(), self.len) };
        std::str::from_utf8(bytes).ok()
    }
}

impl From<&str> for mx_str {
    fn from(s: &str) -> mx_str {
        mx_str {
            data: s.as_ptr().cast::<c_char>(),
            len: s.len(),
        }
    }
}

/// A string the library made for the caller (JSON text, a computed ToString). The caller owns
/// it and frees it with `mx_string_free`. Its bytes are UTF-8 and followed by a NUL, so
/// `mx_string_data` also works as a C string when the text has no NUL of its own. Immutable:
/// readable from any thread.
pub struct mx_string {
    _private: [u8; 0],
}

/// The text of an `mx_string`, stored with a trailing NUL that `len` leaves out.
pub(crate) struct OwnedString {
    bytes: Box<[u8]>,
}

impl OwnedString {
    pub(crate) fn new(text: String) -> OwnedString {
        let mut bytes = text.into_bytes();
        bytes.push(0);
        OwnedString {
            bytes: bytes.into_boxed_slice(),
        }
    }

    fn len(&self) -> usize {
        self.bytes.len().saturating_sub(1)
    }
}

impl Castable for mx_string {
    type RustType = OwnedString;
    type Ownership = OwnershipBox;
}

/// Hands `text` to C as a new `mx_string`.
pub(crate) fn new_mx_string(text: String) -> *mut mx_string {
    to_boxed_ptr::<mx_string>(OwnedString::new(text))
}

fn string_ref<'a>(s: *const mx_string) -> Option<&'a OwnedString> {
    // SAFETY: the accessors' documentation requires `s` to be NULL or a live `mx_string`.
    unsafe { try_ref(s, "string") }.ok()
}

/// The bytes of the string, NUL-terminated; valid until `mx_string_free(s)`. NULL for NULL.
#[unsafe(no_mangle)]
pub extern "C" fn mx_string_data(s: *const mx_string) -> *const c_char {
    ffi_value!(std::ptr::null(), {
        string_ref(s).map_or(std::ptr::null(), |o| o.bytes.as_ptr().cast::<c_char>())
    })
}

/// The length in bytes, without the trailing NUL. 0 for NULL.
#[unsafe(no_mangle)]
pub extern "C" fn mx_string_len(s: *const mx_string) -> usize {
    ffi_value!(0, { string_ref(s).map_or(0, OwnedString::len) })
}

/// The string as a borrowed view, valid until `mx_string_free(s)`.
#[unsafe(no_mangle)]
pub extern "C" fn mx_string_str(s: *const mx_string) -> mx_str {
    ffi_value!(mx_str::none(), {
        string_ref(s).map_or(mx_str::none(), |o| mx_str {
            data: o.bytes.as_ptr().cast::<c_char>(),
            len: o.len(),
        })
    })
}

/// Frees a string. NULL is fine. Must be called once, when no other thread reads it.
#[unsafe(no_mangle)]
pub extern "C" fn mx_string_free(s: *mut mx_string) {
    ffi_value!((), {
        // SAFETY: the documentation requires `s` to be NULL or an `mx_string` the library
        // created and the caller did not free yet.
        unsafe { free_box(s) }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owned_strings_are_nul_terminated_and_sized() {
        let s = new_mx_string("Grüße".to_owned());
        assert_eq!(mx_string_len(s), "Grüße".len());
        // SAFETY: `mx_string_data` returns a NUL-terminated buffer valid until the free.
        let c = unsafe { std::ffi::CStr::from_ptr(mx_string_data(s)) };
        assert_eq!(c.to_str(), Ok("Grüße"));
        // SAFETY: the view is read before the free.
        assert_eq!(unsafe { mx_string_str(s).to_str() }, Some("Grüße"));
        mx_string_free(s);
        mx_string_free(std::ptr::null_mut());
        assert!(mx_string_data(std::ptr::null()).is_null());
        assert_eq!(mx_string_len(std::ptr::null()), 0);
    }

    #[test]
    fn empty_and_absent_differ() {
        // SAFETY: the views point at a static string, or at nothing.
        unsafe {
            assert_eq!(mx_str::from("").to_str(), Some(""));
            assert!(mx_str::none().to_str().is_none());
        }
        assert!(!mx_str::from("").data.is_null());
    }
}
