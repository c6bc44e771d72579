//! What sessions and pools share at the C ABI: the stream and progress callbacks, and running
//! a command to its end or as a stream, over the core's `BlockingInvoke`.

use std::ffi::{c_int, c_void};
use std::sync::{PoisonError, RwLock};

use mx_core::exchange::{
    BlockingInvoke, CancelHandle, Collector, Command, CommandResult, SessionError, StreamItem,
};

use crate::object::{lend, mx_object};
use crate::result::{Record, lend_record, mx_record, mx_stream};

/// Called by the streaming calls of sessions and pools once per item, in the order the server
/// sent them: `stream` is an `mx_stream`; for `MX_STREAM_OUTPUT` `object` is set and `record`
/// is NULL, for every other stream `record` is set and `object` is NULL. Both are borrowed for
/// the duration of the call only. Return 0 to go on, non-zero to stop the command. Runs on the
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

/// Called once per progress record while a command of the session or pool runs (whether it
/// runs to its end or streams), on the thread that invoked it. `record` is borrowed for the
/// call; read it with `mx_record_progress`.
pub type mx_progress_callback =
    Option<unsafe extern "C" fn(userdata: *mut c_void, record: *const mx_record)>;

/// A C stream callback with its userdata.
pub(crate) type StreamSink =
    unsafe extern "C" fn(*mut c_void, u32, *const mx_object, *const mx_record) -> c_int;

/// A C progress callback and the userdata it was registered with.
#[derive(Clone, Copy)]
pub(crate) struct ProgressSink {
    callback: unsafe extern "C" fn(*mut c_void, *const mx_record),
    userdata: *mut c_void,
}

// SAFETY: the sink is only called, never dereferenced, by this library; the documentation of
// `mx_session_set_progress_callback` and `mx_pool_set_progress_callback` makes the caller
// responsible for the userdata being usable from the threads that invoke commands.
unsafe impl Send for ProgressSink {}
// SAFETY: as above; calling through a shared reference copies the two pointers.
unsafe impl Sync for ProgressSink {}

impl ProgressSink {
    fn call(&self, record: &Record) {
        // SAFETY: the callback was registered by the caller with this userdata, and the record
        // outlives the call.
        unsafe { (self.callback)(self.userdata, lend_record(record)) }
    }

    /// Passes `item` on when it is a progress record.
    fn observe(&self, item: &StreamItem) {
        if let StreamItem::Progress(p) = item {
            self.call(&Record::progress(p));
        }
    }
}

/// A session or a pool, with the progress callback registered on it.
pub(crate) struct Invoker<T> {
    target: T,
    progress: RwLock<Option<ProgressSink>>,
}

impl<T: BlockingInvoke> Invoker<T> {
    pub(crate) fn new(target: T) -> Invoker<T> {
        Invoker {
            target,
            progress: RwLock::new(None),
        }
    }

    /// The session or pool.
    pub(crate) fn target(&self) -> &T {
        &self.target
    }

    /// Registers (or, with `None`, removes) the progress callback.
    pub(crate) fn set_progress(&self, callback: mx_progress_callback, userdata: *mut c_void) {
        *self
            .progress
            .write()
            .unwrap_or_else(PoisonError::into_inner) =
            callback.map(|callback| ProgressSink { callback, userdata });
    }

    fn progress(&self) -> Option<ProgressSink> {
        *self.progress.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `command` to its end; `cancel` stops it. With a progress callback the command is
    /// read as a stream, so that progress reaches the caller while it runs.
    pub(crate) fn invoke(
        &self,
        command: Command,
        cancel: Option<&CancelHandle>,
    ) -> Result<CommandResult, SessionError> {
        match self.progress() {
            Some(sink) => Collector::collect_items(
                self.target.invoke_stream_with(command.into(), cancel)?,
                |item| sink.observe(item),
            ),
            None => self.target.invoke_with(command.into(), cancel),
        }
    }

    /// Runs `command` and hands each item to `callback` (progress records to the progress
    /// callback too), until the items end or the callback returns non-zero; `cancel` stops it.
    pub(crate) fn stream(
        &self,
        command: Command,
        cancel: Option<&CancelHandle>,
        callback: StreamSink,
        userdata: *mut c_void,
    ) -> Result<(), SessionError> {
        let items = self.target.invoke_stream_with(command.into(), cancel)?;
        deliver(items, callback, userdata, self.progress())
    }
}

/// Hands each item of a command to a C stream callback (and progress records to `progress`
/// too), until the items end or the callback returns non-zero; then drops `items`, which
/// leaves the command to be stopped by whoever started it. The first failed item is
/// returned, after the items that came before.
fn deliver<I>(
    items: I,
    callback: StreamSink,
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

#[cfg(test)]
mod tests {
    use super::*;
    use mx_core::clixml::PsValue;
    use mx_core::psrp::messages::{ProgressRecord, ProgressRecordType};
    use std::sync::Mutex;

    static SEEN: Mutex<Vec<(i32, String)>> = Mutex::new(Vec::new());

    unsafe extern "C" fn remember(userdata: *mut c_void, record: *const mx_record) {
        let mut p = std::mem::MaybeUninit::<crate::result::mx_progress>::uninit();
        if crate::result::mx_record_progress(record, p.as_mut_ptr())
            != crate::error::mx_result_code::MX_OK
        {
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
        let result = Collector::collect_items(items, |item| sink.observe(item)).expect("collected");
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
}
