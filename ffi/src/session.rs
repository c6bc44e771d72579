//! `mx_session`: one connection to the server (a runspace pool in a WinRM shell) that runs
//! commands, over the core's `BlockingSession`.

use std::ffi::{c_int, c_void};
use std::sync::{PoisonError, RwLock};

use mx_core::exchange::{BlockingSession, CommandResult, SessionError, StreamItem};

use crate::boundary::{
    Castable, Out, OwnershipBox, ffi_result, ffi_value, free_box, to_boxed_ptr, try_ref,
};
use crate::command::mx_command;
use crate::error::{FfiError, mx_error, mx_result_code};
use crate::object::{lend, mx_object};
use crate::options::mx_options;
use crate::result::{Record, lend_record, mx_record, mx_result, mx_stream, new_result};

/// Called by `mx_session_invoke_streaming` and `mx_pool_invoke_streaming` once per item, in the
/// order the server sent them:
/// `stream` is an `mx_stream`; for `MX_STREAM_OUTPUT` `object` is set and `record` is NULL,
/// for every other stream `record` is set and `object` is NULL. Both are borrowed for the
/// duration of the call only. Return 0 to go on, non-zero to stop the command. Runs on the
/// thread that started the stream; it must not call functions of the same session (they fail
/// with `MX_CONFIG`).
pub type mx_stream_callback = Option<
    unsafe extern "C" fn(
        userdata: *mut c_void,
        stream: u32,
        object: *const mx_object,
        record: *const mx_record,
    ) -> c_int,
>;

/// Called once per progress record while a command of the session runs (both
/// `mx_session_invoke` and `mx_session_invoke_streaming`), on the thread that invoked it.
/// `record` is borrowed for the call; read it with `mx_record_progress`.
pub type mx_progress_callback =
    Option<unsafe extern "C" fn(userdata: *mut c_void, record: *const mx_record)>;

/// A C callback and the userdata it was registered with.
#[derive(Clone, Copy)]
pub(crate) struct ProgressSink {
    callback: unsafe extern "C" fn(*mut c_void, *const mx_record),
    userdata: *mut c_void,
}

// SAFETY: the sink is only called, never dereferenced, by this library; the documentation of
// `mx_session_set_progress_callback` makes the caller responsible for the userdata being
// usable from the threads that invoke commands on the session.
unsafe impl Send for ProgressSink {}
// SAFETY: as above; calling through a shared reference copies the two pointers.
unsafe impl Sync for ProgressSink {}

impl ProgressSink {
    fn call(&self, record: &Record) {
        // SAFETY: the callback was registered by the caller with this userdata, and the record
        // outlives the call.
        unsafe { (self.callback)(self.userdata, lend_record(record)) }
    }
}

/// A session to the server, made by `mx_session_open`, owned by the caller and freed with
/// `mx_session_free`. Thread-safe: every function may be called from any thread, also at the
/// same time; calls that run commands are served one at a time per session (a session runs
/// one command at a time), while different sessions run in parallel. `mx_session_cancel`
/// never waits.
pub struct mx_session {
    _private: [u8; 0],
}

/// The session behind an `mx_session`.
pub(crate) struct SessionHandle {
    session: BlockingSession,
    progress: RwLock<Option<ProgressSink>>,
}

impl Castable for mx_session {
    type RustType = SessionHandle;
    type Ownership = OwnershipBox;
}

fn session_ref<'a>(session: *const mx_session) -> Result<&'a SessionHandle, FfiError> {
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

/// Collects a command's items into a result, handing progress records to `progress` as they
/// arrive.
fn collect(
    items: impl Iterator<Item = Result<StreamItem, SessionError>>,
    progress: Option<ProgressSink>,
) -> Result<CommandResult, SessionError> {
    let mut result = CommandResult::default();
    for item in items {
        let item = item?;
        if let (Some(sink), StreamItem::Progress(p)) = (progress, &item) {
            sink.call(&Record::progress(p));
        }
        result.push(item);
    }
    Ok(result)
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
    Ok(to_boxed_ptr::<mx_session>(SessionHandle {
        session,
        progress: RwLock::new(None),
    }))
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
        let progress = *handle
            .progress
            .read()
            .unwrap_or_else(PoisonError::into_inner);
        let result = match progress {
            // The stream lets progress reach the caller while the command runs.
            Some(sink) => collect(handle.session.invoke_stream(command)?, Some(sink))?,
            None => handle.session.invoke(command)?,
        };
        out.write(new_result(result));
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
        let progress = *handle
            .progress
            .read()
            .unwrap_or_else(PoisonError::into_inner);
        deliver(
            handle.session.invoke_stream(command)?,
            callback,
            userdata,
            progress,
        )?;
        Ok(())
    })
}

/// Hands each item of a command to a C stream callback (and progress records to `progress`
/// too), until the items end or the callback returns non-zero; then drops `items`, which
/// leaves the command to be stopped by whoever started it. The first failed item is
/// returned, after the items that came before.
pub(crate) fn deliver<I>(
    items: I,
    callback: unsafe extern "C" fn(*mut c_void, u32, *const mx_object, *const mx_record) -> c_int,
    userdata: *mut c_void,
    progress: Option<ProgressSink>,
) -> Result<(), SessionError>
where
    I: Iterator<Item = Result<StreamItem, SessionError>>,
{
    for item in items {
        let item = item?;
        let verdict = match &item {
            StreamItem::Output(v) => {
                // SAFETY: the callback was given by the caller; the object outlives the call.
                unsafe {
                    callback(
                        userdata,
                        mx_stream::Output as u32,
                        lend(v),
                        std::ptr::null(),
                    )
                }
            }
            other => match Record::of_item(other) {
                Some(record) => {
                    if let (Some(sink), StreamItem::Progress(_)) = (progress, other) {
                        sink.call(&record);
                    }
                    // SAFETY: as above; the record outlives the call.
                    unsafe {
                        callback(
                            userdata,
                            record.stream() as u32,
                            std::ptr::null(),
                            lend_record(&record),
                        )
                    }
                }
                None => 0,
            },
        };
        if verdict != 0 {
            // Dropping a session's stream abandons the command between two Receives; the
            // session stops it on the server ([MS-PSRP] 3.1.5.3.8) before its next
            // operation. Cancelling instead would cut a Receive in flight and lose the output
            // it carried, leaving the next fragments without their start. A pool's stream
            // stops its command when dropped.
            break;
        }
    }
    Ok(())
}

/// Stops the command running on the session, if any: the running `mx_session_invoke` or
/// `mx_session_invoke_streaming` sends the PowerShell stop signal ([MS-PSRP] 3.1.5.3.8),
/// waits for the server to confirm, and fails with `MX_CANCELLED`. Callable from any thread
/// at any time, never blocks; a request made while nothing runs is forgotten when the next
/// command starts.
#[unsafe(no_mangle)]
pub extern "C" fn mx_session_cancel(session: *const mx_session) -> mx_result_code {
    ffi_result!({
        session_ref(session)?.session.cancel();
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
        session_ref(session)?.session.close()?;
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
        let trips = session_ref(session)?.session.round_trips()?;
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

/// Registers `callback` to receive progress records of the session's commands (NULL removes
/// it). `userdata` is passed through untouched and must stay valid, and usable from any
/// thread that runs commands on the session, until the callback is replaced or the session
/// freed. Takes effect for commands started afterwards.
#[unsafe(no_mangle)]
pub extern "C" fn mx_session_set_progress_callback(
    session: *const mx_session,
    callback: mx_progress_callback,
    userdata: *mut c_void,
) -> mx_result_code {
    ffi_result!({
        let handle = session_ref(session)?;
        *handle
            .progress
            .write()
            .unwrap_or_else(PoisonError::into_inner) =
            callback.map(|callback| ProgressSink { callback, userdata });
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
    use mx_core::clixml::PsValue;
    use mx_core::psrp::messages::{ProgressRecord, ProgressRecordType};
    use std::sync::Mutex;

    static SEEN: Mutex<Vec<(i32, String)>> = Mutex::new(Vec::new());

    unsafe extern "C" fn remember(userdata: *mut c_void, record: *const mx_record) {
        let mut p = std::mem::MaybeUninit::<crate::result::mx_progress>::uninit();
        if crate::result::mx_record_progress(record, p.as_mut_ptr()) != mx_result_code::MX_OK {
            return;
        }
        // SAFETY: MX_OK means `p` was written; its strings live during this call.
        let (percent, status) = unsafe {
            let p = p.assume_init();
            (
                p.percent_complete,
                p.status.to_str().unwrap_or_default().to_owned(),
            )
        };
        // The userdata is the tag the test passed.
        let tag = userdata as usize as i32;
        SEEN.lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push((percent + tag, status));
    }

    fn progress(percent: i32) -> StreamItem {
        StreamItem::Progress(ProgressRecord {
            activity: "Enable-Mailbox".into(),
            activity_id: 1,
            status_description: format!("{percent}% done"),
            current_operation: None,
            parent_activity_id: -1,
            percent_complete: percent,
            record_type: ProgressRecordType::Processing,
            seconds_remaining: -1,
        })
    }

    #[test]
    fn progress_reaches_the_callback_as_it_arrives() {
        let sink = ProgressSink {
            callback: remember,
            userdata: 1000usize as *mut c_void,
        };
        let items = vec![
            Ok(StreamItem::Output(PsValue::from("a"))),
            Ok(progress(50)),
            Ok(StreamItem::Output(PsValue::from("b"))),
            Ok(progress(100)),
        ];
        let result = collect(items.into_iter(), Some(sink)).expect("collected");
        assert_eq!(result.output.len(), 2);
        assert_eq!(result.progress.len(), 2);
        let seen = SEEN.lock().unwrap_or_else(PoisonError::into_inner).clone();
        assert_eq!(
            seen,
            [
                (1050, "50% done".to_owned()),
                (1100, "100% done".to_owned())
            ]
        );
    }

    #[test]
    fn a_failed_item_fails_the_collection() {
        let items = vec![
            Ok(StreamItem::Output(PsValue::from("a"))),
            Err(SessionError::Cancelled),
        ];
        assert!(matches!(
            collect(items.into_iter(), None),
            Err(SessionError::Cancelled)
        ));
    }

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
