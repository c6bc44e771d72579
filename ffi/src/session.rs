//! `mx_session`: one connection to the server (a runspace pool in a WinRM shell) that runs
//! commands, over the core's `BlockingSession`.

use std::ffi::c_void;

use mx_core::exchange::{BlockingSession, SessionError};

use crate::boundary::{
    Castable, Out, OwnershipBox, ffi_result, ffi_value, free_box, to_boxed_ptr, try_ref,
};
use crate::cancel::{cancel_opt, cancel_ref, mx_cancel};
use crate::command::mx_command;
use crate::error::{FfiError, mx_error, mx_result_code};
use crate::invoke::{Invoker, mx_progress_callback, mx_stream_callback};
use crate::options::mx_options;
use crate::result::{mx_result, new_result};

/// A session to the server, made by `mx_session_open`, owned by the caller and freed with
/// `mx_session_free`. Thread-safe: every function may be called from any thread, also at the
/// same time; calls that run commands are served one at a time per session (a session runs
/// one command at a time), while different sessions run in parallel. `mx_session_cancel`
/// and `mx_cancel_request` never wait.
pub struct mx_session {
    _private: [u8; 0],
}

impl Castable for mx_session {
    type RustType = Invoker<BlockingSession>;
    type Ownership = OwnershipBox;
}

fn session_ref<'a>(session: *const mx_session) -> Result<&'a Invoker<BlockingSession>, FfiError> {
    // SAFETY: every session function's documentation requires `session` to be NULL or a live
    // handle from `mx_session_open`.
    unsafe { try_ref(session, "session") }
}

pub(crate) fn command_of(
    command: *const mx_command,
) -> Result<mx_core::exchange::Command, FfiError> {
    // SAFETY: the documentation requires `command` to be NULL or a live handle from
    // `mx_command_new`.
    Ok(unsafe { try_ref(command, "command") }?.snapshot())
}

/// Connects and opens a session with a copy of `options` (which the caller keeps and may
/// free at once). Blocks until the runspace pool is open. On success the caller owns
/// `*out` and frees it with `mx_session_free`; on failure `*out` is untouched and the code
/// says why (`MX_CONFIG`, `MX_AUTH`, `MX_TLS`, `MX_TRANSIENT`, ...). Must not be called from
/// a callback of this library.
#[unsafe(no_mangle)]
pub extern "C" fn mx_session_open(
    options: *const mx_options,
    out: *mut *mut mx_session,
    err: *mut *mut mx_error,
) -> mx_result_code {
    ffi_result!(err => {
        // SAFETY: the documentation requires `out` to be valid for a write.
        let out = unsafe { Out::new(out, "out") }?;
        // SAFETY: the documentation requires `options` to be NULL or a live handle from
        // `mx_options_new`.
        let options = unsafe { try_ref(options, "options") }?.snapshot();
        out.write(open(options)?);
        Ok(())
    })
}

/// Connects and opens a session with `config` (from `mx_options_build`, which the caller
/// keeps and may release at once), as `mx_session_open` does with options.
#[unsafe(no_mangle)]
pub extern "C" fn mx_session_open_config(
    config: *const crate::config::mx_config,
    out: *mut *mut mx_session,
    err: *mut *mut mx_error,
) -> mx_result_code {
    ffi_result!(err => {
        // SAFETY: the documentation requires `out` to be valid for a write.
        let out = unsafe { Out::new(out, "out") }?;
        let options = crate::config::options_of(config)?;
        out.write(open(mx_core::exchange::SessionOptions::clone(&options))?);
        Ok(())
    })
}

/// Opens a session with `options` and hands it to C.
fn open(options: mx_core::exchange::SessionOptions) -> Result<*mut mx_session, SessionError> {
    let session = BlockingSession::connect(options)?;
    Ok(to_boxed_ptr::<mx_session>(Invoker::new(session)))
}

/// Runs `command` (copied; the caller keeps it) to its end and returns everything it
/// produced. Waits for any command already running on this session. On success the caller
/// owns `*out` and frees it with `mx_result_free`; non-terminating errors (Exchange's usual
/// way of reporting a missing object) are in its `MX_STREAM_ERROR` records, not in the code.
/// A terminating error (`-ErrorAction Stop`, a parameter binding failure) fails the call with
/// the error record's kind (`MX_NOT_FOUND`, `MX_INVALID_PARAMETER`, ...) and its
/// FullyQualifiedErrorId in `*err`.
#[unsafe(no_mangle)]
pub extern "C" fn mx_session_invoke(
    session: *const mx_session,
    command: *const mx_command,
    out: *mut *mut mx_result,
    err: *mut *mut mx_error,
) -> mx_result_code {
    ffi_result!(err => {
        // SAFETY: the documentation requires `out` to be valid for a write.
        let out = unsafe { Out::new(out, "out") }?;
        let handle = session_ref(session)?;
        let command = command_of(command)?;
        out.write(new_result(handle.invoke(command, None)?));
        Ok(())
    })
}

/// `mx_session_invoke` that `mx_cancel_request(cancel)` stops from another thread: the
/// command is sent the PowerShell stop signal ([MS-PSRP] 3.1.5.3.8) and the call fails with
/// `MX_CANCELLED` once the server confirmed; a call started with a requested token fails at
/// once. The same tokens stop pool calls. `cancel` must not be NULL.
#[unsafe(no_mangle)]
pub extern "C" fn mx_session_invoke_cancellable(
    session: *const mx_session,
    command: *const mx_command,
    cancel: *const mx_cancel,
    out: *mut *mut mx_result,
    err: *mut *mut mx_error,
) -> mx_result_code {
    ffi_result!(err => {
        // SAFETY: the documentation requires `out` to be valid for a write.
        let out = unsafe { Out::new(out, "out") }?;
        let handle = session_ref(session)?;
        let cancel = cancel_ref(cancel)?;
        let command = command_of(command)?;
        out.write(new_result(handle.invoke(command, Some(cancel))?));
        Ok(())
    })
}

/// Runs `command` (copied) and calls `callback` with each item as it arrives, so a large
/// result never has to fit in memory. When the callback returns non-zero the call returns
/// `MX_OK` at once, and the command is stopped on the server (PowerShell's stop signal)
/// before the session's next operation, or when it is closed or freed. A command that
/// fails returns its error as `mx_session_invoke` does, after the items that came before.
/// `callback` must not be NULL; `userdata` is passed through untouched.
#[unsafe(no_mangle)]
pub extern "C" fn mx_session_invoke_streaming(
    session: *const mx_session,
    command: *const mx_command,
    callback: mx_stream_callback,
    userdata: *mut c_void,
    err: *mut *mut mx_error,
) -> mx_result_code {
    ffi_result!(err => {
        let handle = session_ref(session)?;
        let callback = callback.ok_or_else(|| FfiError::null("callback"))?;
        let command = command_of(command)?;
        handle.stream(command, None, callback, userdata)?;
        Ok(())
    })
}

/// `mx_session_invoke_streaming` that `cancel` (which may be NULL) also stops when
/// `mx_cancel_request` is called on it from another thread: the command is sent the
/// PowerShell stop signal and the call fails with `MX_CANCELLED` once the server confirmed,
/// after the items that came before. The same tokens stop pool calls.
#[unsafe(no_mangle)]
pub extern "C" fn mx_session_invoke_streaming_cancellable(
    session: *const mx_session,
    command: *const mx_command,
    cancel: *const mx_cancel,
    callback: mx_stream_callback,
    userdata: *mut c_void,
    err: *mut *mut mx_error,
) -> mx_result_code {
    ffi_result!(err => {
        let handle = session_ref(session)?;
        let callback = callback.ok_or_else(|| FfiError::null("callback"))?;
        let command = command_of(command)?;
        handle.stream(command, cancel_opt(cancel), callback, userdata)?;
        Ok(())
    })
}

/// Stops the command running on the session, if any, whichever call started it: it is sent
/// the PowerShell stop signal ([MS-PSRP] 3.1.5.3.8), and the call fails with `MX_CANCELLED`
/// once the server confirmed. Callable from any thread at any time, never blocks; a request
/// made while nothing runs is forgotten when the next command starts. To stop one particular
/// call, as with pools, give it an `mx_cancel` token (`mx_session_invoke_cancellable`).
#[unsafe(no_mangle)]
pub extern "C" fn mx_session_cancel(session: *const mx_session) -> mx_result_code {
    ffi_result!({
        session_ref(session)?.target().cancel();
        Ok(())
    })
}

/// Closes the session: deletes the shell on the server. Waits for a running command. Later
/// calls on the session fail with `MX_CONFIG`; the handle must still be freed with
/// `mx_session_free`.
#[unsafe(no_mangle)]
pub extern "C" fn mx_session_close(
    session: *const mx_session,
    err: *mut *mut mx_error,
) -> mx_result_code {
    ffi_result!(err => {
        session_ref(session)?.target().close()?;
        Ok(())
    })
}

/// The round trips the session made so far: WS-Management operations and HTTP requests
/// (authentication legs included). Waits for a running command. Either out-parameter may be
/// NULL.
#[unsafe(no_mangle)]
pub extern "C" fn mx_session_round_trips(
    session: *const mx_session,
    wsman: *mut u64,
    http: *mut u64,
    err: *mut *mut mx_error,
) -> mx_result_code {
    ffi_result!(err => {
        let trips = session_ref(session)?.target().round_trips()?;
        for (ptr, value) in [(wsman, trips.wsman), (http, trips.http)] {
            if !ptr.is_null() {
                // SAFETY: the documentation requires a non-NULL pointer to be valid for a
                // write.
                unsafe { ptr.write(value) };
            }
        }
        Ok(())
    })
}

/// Registers `callback` to receive progress records of the session's commands, whether they
/// run to their end or stream (NULL removes it). `userdata` is passed through untouched and must stay valid, and usable from any
/// thread that runs commands on the session, until the callback is replaced or the session
/// freed. Takes effect for commands started afterwards.
#[unsafe(no_mangle)]
pub extern "C" fn mx_session_set_progress_callback(
    session: *const mx_session,
    callback: mx_progress_callback,
    userdata: *mut c_void,
) -> mx_result_code {
    ffi_result!({
        session_ref(session)?.set_progress(callback, userdata);
        Ok(())
    })
}

/// Frees the session; a session not closed yet is closed first (its shell deleted, which
/// blocks for one round trip). NULL is fine. Must be called once, after every other call on
/// the session has returned.
#[unsafe(no_mangle)]
pub extern "C" fn mx_session_free(session: *mut mx_session) {
    ffi_value!((), {
        // SAFETY: the documentation requires `session` to be NULL or a live handle from
        // `mx_session_open` that no other thread uses any more, freed once.
        unsafe { free_box(session) }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn null_handles_are_refused() {
        let mut out: *mut mx_session = std::ptr::null_mut();
        let mut err: *mut mx_error = std::ptr::null_mut();
        assert_eq!(
            mx_session_open(std::ptr::null(), &mut out, &mut err),
            mx_result_code::MX_INVALID_ARGUMENT
        );
        assert!(out.is_null());
        // SAFETY: read before the free.
        let message = unsafe { crate::error::mx_error_message(err).to_str() }.map(str::to_owned);
        crate::error::mx_error_free(err);
        assert_eq!(message.as_deref(), Some("options must not be NULL"));
        assert_eq!(
            mx_session_cancel(std::ptr::null()),
            mx_result_code::MX_INVALID_ARGUMENT
        );
        assert_eq!(
            mx_session_close(std::ptr::null(), std::ptr::null_mut()),
            mx_result_code::MX_INVALID_ARGUMENT
        );
        mx_session_free(std::ptr::null_mut());
    }

    #[test]
    fn unusable_options_fail_with_config() {
        let options = crate::options::mx_options_new();
        let mut out: *mut mx_session = std::ptr::null_mut();
        let mut err: *mut mx_error = std::ptr::null_mut();
        // No URL set.
        assert_eq!(
            mx_session_open(options, &mut out, &mut err),
            mx_result_code::MX_CONFIG
        );
        assert!(out.is_null());
        assert_eq!(crate::error::mx_error_code(err), mx_result_code::MX_CONFIG);
        crate::error::mx_error_free(err);
        crate::options::mx_options_free(options);
    }
}
