//! `mx_result`: what a finished command produced, read as a cursor over its output objects
//! plus its other streams; and `mx_record`, one record of those streams ([MS-PSRP] 2.2.2.20
//! to 2.2.2.26).

use std::ffi::c_char;
use std::sync::atomic::{AtomicUsize, Ordering};

use mx_core::clixml::{PsValue, to_json_string};
use mx_core::exchange::{CommandResult, ErrorKind, StreamItem};
use mx_core::psrp::messages::{ErrorRecord, InformationRecord, ProgressRecord, ProgressRecordType};

use crate::boundary::{
    Castable, Out, OwnershipBox, OwnershipRef, ffi_result, ffi_value, free_box, to_borrowed_ptr,
    to_boxed_ptr, try_ref,
};
use crate::error::{FfiError, mx_error, mx_result_code};
use crate::object::{lend, mx_object};
use crate::strings::{mx_str, mx_string, new_mx_string};

/// The streams of a command ([MS-PSRP] 2.2.2.19 to 2.2.2.26).
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum mx_stream {
    /// Output objects (`mx_object`).
    Output = 0,
    /// Non-terminating errors: Exchange reports a missing object this way unless
    /// `-ErrorAction Stop` is given.
    Error = 1,
    /// Warnings, e.g. "more results are available".
    Warning = 2,
    /// Verbose messages.
    Verbose = 3,
    /// Debug messages.
    Debug = 4,
    /// Information records (`Write-Information`, `Write-Host`).
    Information = 5,
    /// Progress records.
    Progress = 6,
}

impl mx_stream {
    const RECORDS: [mx_stream; 6] = [
        mx_stream::Error,
        mx_stream::Warning,
        mx_stream::Verbose,
        mx_stream::Debug,
        mx_stream::Information,
        mx_stream::Progress,
    ];
}

/// One record of a non-output stream, with its text worked out once so that every accessor
/// returns a borrowed view.
#[derive(Debug, Clone)]
pub(crate) struct Record {
    stream: mx_stream,
    message: String,
    /// Errors: the kind, FullyQualifiedErrorId and exception type.
    kind: Option<ErrorKind>,
    fqeid: Option<String>,
    exception_type: Option<String>,
    /// Information: `Source`.
    source: Option<String>,
    progress: Option<ProgressRecord>,
    /// The whole record, for `mx_record_json`.
    object: PsValue,
}

impl Record {
    fn plain(stream: mx_stream, message: String, object: PsValue) -> Record {
        Record {
            stream,
            message,
            kind: None,
            fqeid: None,
            exception_type: None,
            source: None,
            progress: None,
            object,
        }
    }

    pub(crate) fn error(r: &ErrorRecord) -> Record {
        Record {
            kind: Some(ErrorKind::of_record(r)),
            fqeid: r.fully_qualified_error_id().map(str::to_owned),
            exception_type: r.exception_type().map(str::to_owned),
            ..Record::plain(
                mx_stream::Error,
                r.message().unwrap_or_default().to_owned(),
                PsValue::Object(r.object.clone()),
            )
        }
    }

    pub(crate) fn information(r: &InformationRecord) -> Record {
        let data = r.message_data();
        // `Write-Host` sends a HostInformationMessage whose `Message` holds the text.
        let message = data
            .and_then(|d| {
                d.as_str()
                    .or_else(|| d.property("Message").and_then(PsValue::as_str))
            })
            .map(str::to_owned)
            .or_else(|| data.and_then(|d| d.as_object()?.to_string.clone()))
            .or_else(|| data.map(to_json_string))
            .unwrap_or_default();
        Record {
            source: r.source().map(str::to_owned),
            ..Record::plain(
                mx_stream::Information,
                message,
                PsValue::Object(r.object.clone()),
            )
        }
    }

    pub(crate) fn progress(p: &ProgressRecord) -> Record {
        Record {
            progress: Some(p.clone()),
            ..Record::plain(
                mx_stream::Progress,
                p.status_description.clone(),
                p.to_clixml(),
            )
        }
    }

    /// The record of a non-output item; `None` for output and host calls.
    pub(crate) fn of_item(item: &StreamItem) -> Option<Record> {
        let informational = |stream, r: &mx_core::psrp::messages::InformationalRecord| {
            Record::plain(stream, r.message.clone(), PsValue::Object(r.object.clone()))
        };
        Some(match item {
            StreamItem::Error(r) => Record::error(r),
            StreamItem::Warning(r) => informational(mx_stream::Warning, r),
            StreamItem::Verbose(r) => informational(mx_stream::Verbose, r),
            StreamItem::Debug(r) => informational(mx_stream::Debug, r),
            StreamItem::Information(r) => Record::information(r),
            StreamItem::Progress(p) => Record::progress(p),
            _ => return None,
        })
    }

    pub(crate) fn stream(&self) -> mx_stream {
        self.stream
    }
}

/// A record of a command's error, warning, verbose, debug, information or progress stream.
/// Borrowed: valid as long as the `mx_result` it came from (or, in a callback, until the
/// callback returns); never freed by the caller. Immutable: readable from any thread.
pub struct mx_record {
    _private: [u8; 0],
}

impl Castable for mx_record {
    type RustType = Record;
    type Ownership = OwnershipRef;
}

/// Lends `record` to C.
pub(crate) fn lend_record(record: &Record) -> *const mx_record {
    to_borrowed_ptr::<mx_record>(record)
}

/// Everything a finished command produced. Created by `mx_session_invoke`, owned by the
/// caller, freed with `mx_result_free`, which invalidates every `mx_object`, `mx_record` and
/// `mx_str` taken from it. The content never changes; only the cursor of `mx_result_next`
/// moves (atomically), so threads may read one result concurrently, though they then share
/// the cursor.
pub struct mx_result {
    _private: [u8; 0],
}

/// The result behind an `mx_result`.
pub(crate) struct ResultHandle {
    output: Vec<PsValue>,
    /// Records by stream, in `mx_stream::RECORDS` order.
    records: [Vec<Record>; 6],
    cursor: AtomicUsize,
}

impl ResultHandle {
    pub(crate) fn new(result: CommandResult) -> ResultHandle {
        let CommandResult {
            output,
            errors,
            warnings,
            verbose,
            debug,
            information,
            progress,
            ..
        } = result;
        let informational = |stream, list: Vec<mx_core::psrp::messages::InformationalRecord>| {
            list.iter()
                .map(|r| {
                    Record::plain(stream, r.message.clone(), PsValue::Object(r.object.clone()))
                })
                .collect()
        };
        ResultHandle {
            output,
            records: [
                errors.iter().map(Record::error).collect(),
                informational(mx_stream::Warning, warnings),
                informational(mx_stream::Verbose, verbose),
                informational(mx_stream::Debug, debug),
                information.iter().map(Record::information).collect(),
                progress.iter().map(Record::progress).collect(),
            ],
            cursor: AtomicUsize::new(0),
        }
    }

    fn records(&self, stream: u32) -> Option<&[Record]> {
        let index = mx_stream::RECORDS
            .iter()
            .position(|s| *s as u32 == stream)?;
        self.records.get(index).map(Vec::as_slice)
    }
}

impl Castable for mx_result {
    type RustType = ResultHandle;
    type Ownership = OwnershipBox;
}

/// Hands a finished command's result to C.
pub(crate) fn new_result(result: CommandResult) -> *mut mx_result {
    to_boxed_ptr::<mx_result>(ResultHandle::new(result))
}

fn result_ref<'a>(result: *const mx_result) -> Result<&'a ResultHandle, FfiError> {
    // SAFETY: every accessor's documentation requires `result` to be NULL or a live handle.
    unsafe { try_ref(result, "result") }
}

fn record_ref<'a>(record: *const mx_record) -> Option<&'a Record> {
    // SAFETY: every accessor's documentation requires `record` to be NULL or a record whose
    // owner is alive.
    unsafe { try_ref(record, "record") }.ok()
}

/// Frees a result and everything borrowed from it. NULL is fine. Must be called once, when
/// no other thread uses it.
#[unsafe(no_mangle)]
pub extern "C" fn mx_result_free(result: *mut mx_result) {
    ffi_value!((), {
        // SAFETY: the documentation requires `result` to be NULL or a live handle from
        // `mx_session_invoke`, freed once.
        unsafe { free_box(result) }
    })
}

/// The number of output objects; 0 for NULL.
#[unsafe(no_mangle)]
pub extern "C" fn mx_result_count(result: *const mx_result) -> usize {
    ffi_value!(0, { result_ref(result).map_or(0, |r| r.output.len()) })
}

/// The next output object: `MX_OK` with `*out` set (borrowed: valid until
/// `mx_result_free`), or `MX_END` when every object was returned. The cursor starts at the
/// first object; `mx_result_rewind` moves it back.
#[unsafe(no_mangle)]
pub extern "C" fn mx_result_next(
    result: *const mx_result,
    out: *mut *const mx_object,
) -> mx_result_code {
    ffi_result!({
        // SAFETY: the documentation requires `out` to be valid for a write.
        let out = unsafe { Out::new(out, "out") }?;
        let r = result_ref(result)?;
        let taken = r
            .cursor
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |i| {
                (i < r.output.len()).then_some(i + 1)
            });
        match taken.ok().and_then(|i| r.output.get(i)) {
            Some(v) => {
                out.write(lend(v));
                Ok(())
            }
            None => Err(FfiError::new(mx_result_code::MX_END, "no more objects")),
        }
    })
}

/// Moves the cursor of `mx_result_next` back to the first object.
#[unsafe(no_mangle)]
pub extern "C" fn mx_result_rewind(result: *const mx_result) -> mx_result_code {
    ffi_result!({
        result_ref(result)?.cursor.store(0, Ordering::Release);
        Ok(())
    })
}

/// Output object `index` (0-based), without moving the cursor; NULL when out of range.
/// Borrowed: valid until `mx_result_free`.
#[unsafe(no_mangle)]
pub extern "C" fn mx_result_get(result: *const mx_result, index: usize) -> *const mx_object {
    ffi_value!(std::ptr::null(), {
        result_ref(result)
            .ok()
            .and_then(|r| r.output.get(index))
            .map_or(std::ptr::null(), lend)
    })
}

/// The number of records in `stream` (one of `mx_stream` other than `MX_STREAM_OUTPUT`;
/// for output use `mx_result_count`). 0 for NULL or an unknown stream.
#[unsafe(no_mangle)]
pub extern "C" fn mx_result_record_count(result: *const mx_result, stream: u32) -> usize {
    ffi_value!(0, {
        result_ref(result)
            .ok()
            .and_then(|r| r.records(stream))
            .map_or(0, <[Record]>::len)
    })
}

/// Record `index` of `stream`; NULL when out of range. Borrowed: valid until
/// `mx_result_free`.
#[unsafe(no_mangle)]
pub extern "C" fn mx_result_record(
    result: *const mx_result,
    stream: u32,
    index: usize,
) -> *const mx_record {
    ffi_value!(std::ptr::null(), {
        result_ref(result)
            .ok()
            .and_then(|r| r.records(stream))
            .and_then(|list| list.get(index))
            .map_or(std::ptr::null(), lend_record)
    })
}

/// The stream of a record (an `mx_stream` value); `MX_STREAM_OUTPUT` (0) for NULL.
#[unsafe(no_mangle)]
pub extern "C" fn mx_record_stream(record: *const mx_record) -> u32 {
    ffi_value!(0, { record_ref(record).map_or(0, |r| r.stream as u32) })
}

/// The text PowerShell shows for the record: an error's message (ErrorDetails, else the
/// exception's), a warning's text, a progress record's status. Borrowed: valid as long as the
/// record.
#[unsafe(no_mangle)]
pub extern "C" fn mx_record_message(record: *const mx_record) -> mx_str {
    ffi_value!(mx_str::none(), {
        record_ref(record).map_or(mx_str::none(), |r| mx_str::from(r.message.as_str()))
    })
}

/// The kind of an error record as a result code (`MX_NOT_FOUND` for
/// ManagementObjectNotFoundException, ...), read from its exception type,
/// FullyQualifiedErrorId and CategoryInfo; `MX_OK` for records of other streams.
#[unsafe(no_mangle)]
pub extern "C" fn mx_record_error_kind(record: *const mx_record) -> mx_result_code {
    ffi_value!(mx_result_code::MX_PANIC, {
        match record_ref(record) {
            None => mx_result_code::MX_INVALID_ARGUMENT,
            Some(r) => r
                .kind
                .map_or(mx_result_code::MX_OK, mx_result_code::of_kind),
        }
    })
}

/// An error record's FullyQualifiedErrorId; `data` is NULL for other records. Borrowed.
#[unsafe(no_mangle)]
pub extern "C" fn mx_record_fqeid(record: *const mx_record) -> mx_str {
    ffi_value!(mx_str::none(), {
        mx_str::from_opt(record_ref(record).and_then(|r| r.fqeid.as_deref()))
    })
}

/// An error record's .NET exception type; `data` is NULL for other records. Borrowed.
#[unsafe(no_mangle)]
pub extern "C" fn mx_record_exception_type(record: *const mx_record) -> mx_str {
    ffi_value!(mx_str::none(), {
        mx_str::from_opt(record_ref(record).and_then(|r| r.exception_type.as_deref()))
    })
}

/// An information record's `Source`; `data` is NULL for other records. Borrowed.
#[unsafe(no_mangle)]
pub extern "C" fn mx_record_source(record: *const mx_record) -> mx_str {
    ffi_value!(mx_str::none(), {
        mx_str::from_opt(record_ref(record).and_then(|r| r.source.as_deref()))
    })
}

/// A progress record's fields ([MS-PSRP] 2.2.2.25). The strings are borrowed from the record.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct mx_progress {
    /// `Activity`.
    pub activity: mx_str,
    /// `StatusDescription`.
    pub status: mx_str,
    /// `CurrentOperation`; `data` NULL when absent.
    pub current_operation: mx_str,
    /// `ActivityId`.
    pub activity_id: i32,
    /// `ParentActivityId`: -1 for a top-level activity.
    pub parent_activity_id: i32,
    /// `PercentComplete`: -1 when unknown.
    pub percent_complete: i32,
    /// `SecondsRemaining`: -1 when unknown.
    pub seconds_remaining: i32,
    /// The activity is complete (`Type` = Completed).
    pub completed: bool,
}

/// Reads a progress record into `*out` (strings borrowed from the record). `MX_WRONG_TYPE`
/// for records of other streams.
#[unsafe(no_mangle)]
pub extern "C" fn mx_record_progress(
    record: *const mx_record,
    out: *mut mx_progress,
) -> mx_result_code {
    ffi_result!({
        // SAFETY: the documentation requires `out` to be valid for a write.
        let out = unsafe { Out::new(out, "out") }?;
        let r = record_ref(record).ok_or_else(|| FfiError::null("record"))?;
        let p = r
            .progress
            .as_ref()
            .ok_or_else(|| FfiError::new(mx_result_code::MX_WRONG_TYPE, "not a progress record"))?;
        out.write(mx_progress {
            activity: mx_str::from(p.activity.as_str()),
            status: mx_str::from(p.status_description.as_str()),
            current_operation: mx_str::from_opt(p.current_operation.as_deref()),
            activity_id: p.activity_id,
            parent_activity_id: p.parent_activity_id,
            percent_complete: p.percent_complete,
            seconds_remaining: p.seconds_remaining,
            completed: p.record_type == ProgressRecordType::Completed,
        });
        Ok(())
    })
}

/// The whole record as JSON (an error record's exception, CategoryInfo, InvocationInfo...).
/// The caller owns `*out` and frees it with `mx_string_free`.
#[unsafe(no_mangle)]
pub extern "C" fn mx_record_json(
    record: *const mx_record,
    out: *mut *mut mx_string,
    err: *mut *mut mx_error,
) -> mx_result_code {
    ffi_result!(err => {
        // SAFETY: the documentation requires `out` to be valid for a write.
        let out = unsafe { Out::new(out, "out") }?;
        let r = record_ref(record).ok_or_else(|| FfiError::null("record"))?;
        out.write(new_mx_string(to_json_string(&r.object)));
        Ok(())
    })
}

/// The number of a stream by name, for bindings that read names ("error", "warning", ...);
/// -1 for an unknown name. `name` is `name_len` bytes of UTF-8.
#[unsafe(no_mangle)]
pub extern "C" fn mx_stream_from_name(name: *const c_char, name_len: usize) -> i32 {
    ffi_value!(-1, {
        // SAFETY: the documentation requires `name` to point at `name_len` bytes.
        let Ok(name) = (unsafe { crate::boundary::try_str(name, name_len, "name") }) else {
            return -1;
        };
        let stream = match name {
            "output" => mx_stream::Output,
            "error" => mx_stream::Error,
            "warning" => mx_stream::Warning,
            "verbose" => mx_stream::Verbose,
            "debug" => mx_stream::Debug,
            "information" => mx_stream::Information,
            "progress" => mx_stream::Progress,
            _ => return -1,
        };
        stream as i32
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use mx_core::psrp::messages::{CategoryInfo, InformationalRecord};

    fn sample() -> CommandResult {
        let mut r = CommandResult::default();
        r.push(StreamItem::Output(PsValue::from("first")));
        r.push(StreamItem::Output(PsValue::I32(2)));
        r.push(StreamItem::Error(ErrorRecord::new(
            &[
                "Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException",
                "System.Exception",
            ],
            "The operation couldn't be performed because object 'nobody' couldn't be found.",
            "[Server=EX01] [FailureCategory=Cmdlet-ManagementObjectNotFoundException] 8288830C,Microsoft.Exchange.Management.RecipientTasks.GetMailbox",
            CategoryInfo {
                category: 13,
                activity: Some("Get-Mailbox".into()),
                reason: Some("ManagementObjectNotFoundException".into()),
                target_name: None,
                target_type: None,
                message: None,
            },
            None,
        )));
        r.push(StreamItem::Warning(InformationalRecord::new(
            "Warning",
            "There are more results available than are currently displayed.",
        )));
        r.push(StreamItem::Progress(ProgressRecord {
            activity: "Get-Mailbox".into(),
            activity_id: 1,
            status_description: "Reading mailboxes".into(),
            current_operation: None,
            parent_activity_id: -1,
            percent_complete: 40,
            record_type: ProgressRecordType::Processing,
            seconds_remaining: -1,
        }));
        r
    }

    #[test]
    fn cursor_walks_the_output_once_then_ends() {
        let result = new_result(sample());
        assert_eq!(mx_result_count(result), 2);
        let mut o: *const mx_object = std::ptr::null();
        assert_eq!(mx_result_next(result, &mut o), mx_result_code::MX_OK);
        assert_eq!(o, mx_result_get(result, 0));
        assert_eq!(mx_result_next(result, &mut o), mx_result_code::MX_OK);
        assert_eq!(o, mx_result_get(result, 1));
        let before = o;
        assert_eq!(mx_result_next(result, &mut o), mx_result_code::MX_END);
        assert_eq!(o, before, "not written at the end");
        assert_eq!(mx_result_next(result, &mut o), mx_result_code::MX_END);
        assert_eq!(mx_result_rewind(result), mx_result_code::MX_OK);
        assert_eq!(mx_result_next(result, &mut o), mx_result_code::MX_OK);
        assert_eq!(o, mx_result_get(result, 0));
        assert!(mx_result_get(result, 2).is_null());
        mx_result_free(result);
        mx_result_free(std::ptr::null_mut());
        assert_eq!(mx_result_count(std::ptr::null()), 0);
        assert_eq!(
            mx_result_next(std::ptr::null(), &mut o),
            mx_result_code::MX_INVALID_ARGUMENT
        );
    }

    #[test]
    fn streams_hold_classified_records() {
        let result = new_result(sample());
        assert_eq!(mx_result_record_count(result, mx_stream::Error as u32), 1);
        assert_eq!(mx_result_record_count(result, mx_stream::Warning as u32), 1);
        assert_eq!(mx_result_record_count(result, mx_stream::Verbose as u32), 0);
        assert_eq!(
            mx_result_record_count(result, mx_stream::Progress as u32),
            1
        );
        assert_eq!(mx_result_record_count(result, 99), 0);
        let e = mx_result_record(result, mx_stream::Error as u32, 0);
        assert_eq!(mx_record_stream(e), mx_stream::Error as u32);
        assert_eq!(mx_record_error_kind(e), mx_result_code::MX_NOT_FOUND);
        // SAFETY: the result is alive while the views are read.
        unsafe {
            assert!(
                mx_record_message(e)
                    .to_str()
                    .is_some_and(|m| m.contains("'nobody' couldn't be found"))
            );
            assert!(
                mx_record_fqeid(e)
                    .to_str()
                    .is_some_and(|m| m.ends_with("RecipientTasks.GetMailbox"))
            );
            assert_eq!(
                mx_record_exception_type(e).to_str(),
                Some("Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException")
            );
        }
        let w = mx_result_record(result, mx_stream::Warning as u32, 0);
        assert_eq!(mx_record_error_kind(w), mx_result_code::MX_OK);
        // SAFETY: as above.
        unsafe {
            assert!(mx_record_fqeid(w).to_str().is_none());
            assert!(
                mx_record_message(w)
                    .to_str()
                    .is_some_and(|m| m.starts_with("There are more"))
            );
        }
        let p = mx_result_record(result, mx_stream::Progress as u32, 0);
        let mut progress = std::mem::MaybeUninit::<mx_progress>::uninit();
        assert_eq!(
            mx_record_progress(p, progress.as_mut_ptr()),
            mx_result_code::MX_OK
        );
        // SAFETY: MX_OK means `progress` was written.
        let progress = unsafe { progress.assume_init() };
        assert_eq!(progress.percent_complete, 40);
        assert!(!progress.completed);
        // SAFETY: the result is alive.
        assert_eq!(unsafe { progress.activity.to_str() }, Some("Get-Mailbox"));
        let mut other = std::mem::MaybeUninit::<mx_progress>::uninit();
        assert_eq!(
            mx_record_progress(w, other.as_mut_ptr()),
            mx_result_code::MX_WRONG_TYPE
        );
        let mut json: *mut mx_string = std::ptr::null_mut();
        assert_eq!(
            mx_record_json(e, &mut json, std::ptr::null_mut()),
            mx_result_code::MX_OK
        );
        // SAFETY: read before the free.
        let text = unsafe { crate::strings::mx_string_str(json).to_str() }.map(str::to_owned);
        crate::strings::mx_string_free(json);
        assert!(text.is_some_and(|t| t.contains("FullyQualifiedErrorId")));
        assert!(mx_result_record(result, mx_stream::Error as u32, 1).is_null());
        mx_result_free(result);
    }

    #[test]
    fn stream_names() {
        let n = |s: &str| mx_stream_from_name(s.as_ptr().cast(), s.len());
        assert_eq!(n("error"), 1);
        assert_eq!(n("progress"), 6);
        assert_eq!(n("output"), 0);
        assert_eq!(n("nope"), -1);
        assert_eq!(mx_stream_from_name(std::ptr::null(), 0), -1);
    }
}
