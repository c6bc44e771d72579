//! The rules every export follows: no panic crosses into C, NULL pointers and invalid UTF-8
//! become `MX_INVALID_ARGUMENT`, and opaque pointers are converted only through the helpers
//! here, which know from [`Castable`] what each C type stands for and who owns it.

use std::ffi::c_char;
use std::marker::PhantomData;

use crate::error::FfiError;

/// The handle is a `Box` the caller owns and frees with the type's `_free` function.
pub(crate) struct OwnershipBox;

/// The handle is borrowed from another handle (an object from its result) and never freed.
pub(crate) struct OwnershipRef;

/// The handle is one reference of an `Arc`: immutable, shared, released with the type's
/// `_free` function, the value dropped with the last reference.
pub(crate) struct OwnershipArc;

/// Ties an opaque C type to the Rust value its pointers point at, and to its ownership.
pub(crate) trait Castable {
    /// The Rust value behind the pointer.
    type RustType;
    /// [`OwnershipBox`] or [`OwnershipRef`].
    type Ownership;
}

/// Moves `value` to the heap and hands it to C, which frees it with [`free_box`].
pub(crate) fn to_boxed_ptr<C>(value: C::RustType) -> *mut C
where
    C: Castable<Ownership = OwnershipBox>,
{
    Box::into_raw(Box::new(value)).cast::<C>()
}

/// Lends `value` to C as a pointer that lives as long as `value`.
pub(crate) fn to_borrowed_ptr<C>(value: &C::RustType) -> *const C
where
    C: Castable<Ownership = OwnershipRef>,
{
    (value as *const C::RustType).cast::<C>()
}

/// Hands one reference of `value` to C, which releases it with [`free_arc`].
pub(crate) fn to_arc_ptr<C>(value: std::sync::Arc<C::RustType>) -> *const C
where
    C: Castable<Ownership = OwnershipArc>,
{
    std::sync::Arc::into_raw(value).cast::<C>()
}

/// Another reference of the `Arc` behind `ptr`, or `MX_INVALID_ARGUMENT` naming `what` for
/// NULL.
///
/// # Safety
///
/// `ptr` is NULL or came from [`to_arc_ptr`] for the same `C` and was not released.
pub(crate) unsafe fn try_arc<C>(
    ptr: *const C,
    what: &'static str,
) -> Result<std::sync::Arc<C::RustType>, FfiError>
where
    C: Castable<Ownership = OwnershipArc>,
{
    if ptr.is_null() {
        return Err(FfiError::null(what));
    }
    let ptr = ptr.cast::<C::RustType>();
    // SAFETY: `ptr` came from `Arc::into_raw` and its reference is live (contract above), so
    // the count may be raised and a new `Arc` made from it.
    unsafe {
        std::sync::Arc::increment_strong_count(ptr);
        Ok(std::sync::Arc::from_raw(ptr))
    }
}

/// Releases a reference made by [`to_arc_ptr`]; NULL is ignored.
///
/// # Safety
///
/// `ptr` is NULL or came from [`to_arc_ptr`] for the same `C` and is released once.
pub(crate) unsafe fn free_arc<C>(ptr: *const C)
where
    C: Castable<Ownership = OwnershipArc>,
{
    if ptr.is_null() {
        return;
    }
    // SAFETY: `ptr` came from `Arc::into_raw` of a `C::RustType` (see `to_arc_ptr`) and this
    // reference is released once, by the contract above.
    drop(unsafe { std::sync::Arc::from_raw(ptr.cast::<C::RustType>()) });
}

/// The value behind `ptr`, or `MX_INVALID_ARGUMENT` naming `what` for NULL.
///
/// # Safety
///
/// `ptr` is NULL or was made by [`to_boxed_ptr`] / [`to_borrowed_ptr`] for the same `C`, and
/// the value it points at outlives `'a` and is not freed meanwhile.
pub(crate) unsafe fn try_ref<'a, C: Castable>(
    ptr: *const C,
    what: &'static str,
) -> Result<&'a C::RustType, FfiError> {
    // SAFETY: by the contract above, a non-NULL `ptr` points at a live `C::RustType`; every
    // handle type is `Sync` or used behind its own lock, so a shared reference is sound.
    unsafe { ptr.cast::<C::RustType>().as_ref() }.ok_or_else(|| FfiError::null(what))
}

/// Frees a handle made by [`to_boxed_ptr`]; NULL is ignored.
///
/// # Safety
///
/// `ptr` is NULL or came from [`to_boxed_ptr`] for the same `C`, was not freed before, and no
/// other thread uses it any more.
pub(crate) unsafe fn free_box<C>(ptr: *mut C)
where
    C: Castable<Ownership = OwnershipBox>,
{
    if ptr.is_null() {
        return;
    }
    // SAFETY: `ptr` came from `Box::into_raw` of a `C::RustType` (see `to_boxed_ptr`) and is
    // freed once, by the contract above.
    drop(unsafe { Box::from_raw(ptr.cast::<C::RustType>()) });
}

/// An out-parameter checked for NULL before any work is done, so that a call with a NULL
/// out-parameter fails without side effects; written only on success.
pub(crate) struct Out<'a, T> {
    ptr: *mut T,
    _life: PhantomData<&'a mut T>,
}

impl<T> Out<'_, T> {
    /// Checks `ptr`.
    ///
    /// # Safety
    ///
    /// `ptr` is NULL or valid for a write of `T` for the duration of the call.
    pub(crate) unsafe fn new(ptr: *mut T, what: &'static str) -> Result<Self, FfiError> {
        if ptr.is_null() {
            return Err(FfiError::null(what));
        }
        Ok(Out {
            ptr,
            _life: PhantomData,
        })
    }

    /// Writes the value; the old content is not dropped (it is C memory, or garbage).
    pub(crate) fn write(self, value: T) {
        // SAFETY: `ptr` is non-NULL and valid for writes (checked and promised in `new`).
        unsafe { self.ptr.write(value) }
    }
}

/// Largest length accepted for a string argument: a slice may not exceed `isize::MAX` bytes,
/// and nothing this library takes is anywhere near 256 MiB.
const MAX_STR_LEN: usize = 256 * 1024 * 1024;

/// A UTF-8 string argument given as pointer and length (no NUL needed).
///
/// # Safety
///
/// `ptr` is NULL or points at `len` readable bytes that stay unchanged during the call.
pub(crate) unsafe fn try_str<'a>(
    ptr: *const c_char,
    len: usize,
    what: &'static str,
) -> Result<&'a str, FfiError> {
    if ptr.is_null() {
        return Err(FfiError::null(what));
    }
    if len > MAX_STR_LEN {
        return Err(FfiError::invalid(format!(
            "{what} is {len} bytes long; at most {MAX_STR_LEN} are accepted"
        )));
    }
    // SAFETY: `ptr` is non-NULL and points at `len` readable bytes (contract above), and `len`
    // is below `isize::MAX`.
    let bytes = unsafe { std::slice::from_raw_parts(ptr.cast::<u8>(), len) };
    std::str::from_utf8(bytes)
        .map_err(|e| FfiError::invalid(format!("{what} is not valid UTF-8: {e}")))
}

/// Like [`try_str`], but NULL means "none".
///
/// # Safety
///
/// As [`try_str`].
pub(crate) unsafe fn try_opt_str<'a>(
    ptr: *const c_char,
    len: usize,
    what: &'static str,
) -> Result<Option<&'a str>, FfiError> {
    if ptr.is_null() {
        return Ok(None);
    }
    // SAFETY: forwarded contract.
    unsafe { try_str(ptr, len, what) }.map(Some)
}

/// Largest number of items accepted in one array argument.
const MAX_ITEMS: usize = 1024 * 1024;

/// An array of strings given as two parallel arrays: pointers and lengths.
///
/// # Safety
///
/// When `count` is not zero, `ptrs` and `lens` point at `count` readable elements, and each
/// pair is valid as for [`try_str`].
pub(crate) unsafe fn try_str_array<'a>(
    ptrs: *const *const c_char,
    lens: *const usize,
    count: usize,
    what: &'static str,
) -> Result<Vec<&'a str>, FfiError> {
    if count == 0 {
        return Ok(Vec::new());
    }
    if ptrs.is_null() || lens.is_null() {
        return Err(FfiError::null(what));
    }
    if count > MAX_ITEMS {
        return Err(FfiError::invalid(format!(
            "{what} has {count} items; at most {MAX_ITEMS} are accepted"
        )));
    }
    // SAFETY: both arrays are non-NULL and hold `count` elements (contract above); `count` is
    // small enough for a slice.
    let (ptrs, lens) = unsafe {
        (
            std::slice::from_raw_parts(ptrs, count),
            std::slice::from_raw_parts(lens, count),
        )
    };
    ptrs.iter()
        .zip(lens)
        // SAFETY: each pair is valid as for `try_str` (contract above).
        .map(|(&p, &l)| unsafe { try_str(p, l, what) })
        .collect()
}

/// Runs the body of an export that returns `mx_result_code` and takes an `mx_error **`
/// out-parameter: the body's `Err`, or a panic, becomes the returned code and, when the
/// out-parameter is not NULL, a new `mx_error`.
macro_rules! ffi_result {
    ($err:expr => $body:block) => {{
        let err_out: *mut *mut $crate::error::mx_error = $err;
        let outcome = ::std::panic::catch_unwind(::std::panic::AssertUnwindSafe(
            || -> ::std::result::Result<(), $crate::error::FfiError> { $body },
        ));
        // SAFETY: `err_out` is the export's `mx_error **` parameter, which its documentation
        // requires to be NULL or valid for a write.
        unsafe { $crate::error::finish(outcome, err_out) }
    }};
    ($body:block) => {
        ffi_result!(::std::ptr::null_mut() => $body)
    };
}

/// Runs the body of an export that returns a plain value (a length, a borrowed string, a
/// pointer): a panic returns `$default` instead of crossing into C.
macro_rules! ffi_value {
    ($default:expr, $body:block) => {{
        match ::std::panic::catch_unwind(::std::panic::AssertUnwindSafe(|| $body)) {
            Ok(value) => value,
            Err(_) => $default,
        }
    }};
}

pub(crate) use {ffi_result, ffi_value};
