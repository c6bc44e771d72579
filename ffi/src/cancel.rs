//! `mx_cancel`: a cancel token for the calls of sessions and pools alike, over the core's
//! `CancelHandle`.

use mx_core::exchange::CancelHandle;

use crate::boundary::{
    Castable, Out, OwnershipBox, ffi_result, ffi_value, free_box, to_boxed_ptr, try_ref,
};
use crate::error::{FfiError, mx_result_code};

/// A cancel token, made by `mx_cancel_new`, owned by the caller and freed with
/// `mx_cancel_free`. A caller passes it to a session's or a pool's call
/// (`mx_session_invoke_cancellable`, `mx_session_invoke_streaming_cancellable`,
/// `mx_pool_invoke_cancellable`, `mx_pool_invoke_streaming`) and calls `mx_cancel_request`
/// from any thread to stop that call. A requested token stays requested: use a new one for
/// the next call.
pub struct mx_cancel {
    _private: [u8; 0],
}

impl Castable for mx_cancel {
    type RustType = CancelHandle;
    type Ownership = OwnershipBox;
}

/// The token behind `cancel`, or `None` for NULL.
pub(crate) fn cancel_opt<'a>(cancel: *const mx_cancel) -> Option<&'a CancelHandle> {
    if cancel.is_null() {
        return None;
    }
    cancel_ref(cancel).ok()
}

pub(crate) fn cancel_ref<'a>(cancel: *const mx_cancel) -> Result<&'a CancelHandle, FfiError> {
    // SAFETY: every function taking a token requires `cancel` to be NULL or a live handle
    // from `mx_cancel_new`.
    unsafe { try_ref(cancel, "cancel") }
}

/// Makes a cancel token, not requested. The caller owns `*out` and frees it with
/// `mx_cancel_free`, after the calls it was given to have returned.
#[unsafe(no_mangle)]
pub extern "C" fn mx_cancel_new(out: *mut *mut mx_cancel) -> mx_result_code {
    ffi_result!({
        // SAFETY: the documentation requires `out` to be valid for a write.
        let out = unsafe { Out::new(out, "out") }?;
        out.write(to_boxed_ptr::<mx_cancel>(CancelHandle::default()));
        Ok(())
    })
}

/// Stops the calls the token was given to, which then fail with `MX_CANCELLED`: a pool call
/// still waiting for a session gives up at once; a running `mx_session_invoke_cancellable`,
/// `mx_session_invoke_streaming_cancellable` or `mx_pool_invoke_cancellable` sends the
/// PowerShell stop signal ([MS-PSRP] 3.1.5.3.8) and waits for the server to confirm; in
/// `mx_pool_invoke_streaming` the stream ends at the command's next item and its session is
/// closed, which ends the command on the server. A call started with a requested token fails
/// with `MX_CANCELLED` at once. Callable from any thread, never blocks.
#[unsafe(no_mangle)]
pub extern "C" fn mx_cancel_request(cancel: *const mx_cancel) -> mx_result_code {
    ffi_result!({
        cancel_ref(cancel)?.cancel();
        Ok(())
    })
}

/// Frees the token. NULL is fine. Must be called once, after every call the token was given
/// to has returned.
#[unsafe(no_mangle)]
pub extern "C" fn mx_cancel_free(cancel: *mut mx_cancel) {
    ffi_value!((), {
        // SAFETY: the documentation requires `cancel` to be NULL or a live handle from
        // `mx_cancel_new` that no call uses any more, freed once.
        unsafe { free_box(cancel) }
    })
}
