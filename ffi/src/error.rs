//! Result codes and error details.
//!
//! Every fallible export returns an `mx_result_code`. Codes 1 to 99 are the core's
//! `ErrorKind`s with the same numbers (what a caller decides on: retry, report, fix the
//! input); codes from 100 are this library's own (bad arguments, a panic, the end of an
//! iteration). Numbers are never reused or renumbered.

use std::any::Any;
use std::ffi::{CStr, c_char};

use mx_core::exchange::{ErrorKind, SessionError};

use crate::boundary::{Castable, OwnershipBox, ffi_value, free_box, try_ref};
use crate::strings::mx_str;

// The kinds' enumerators are spelled out for cbindgen, which does not expand macros; the test
// tests/e2e/tests/error_kind_bindings.rs checks the header they make against the core's table
// (`mx_core::error_kinds!`): names, codes and docs.
/// The outcome of a call. Stable: values are never renumbered or reused.
///
/// Values 1 to 99 mirror the core's error kinds (`MX_NOT_FOUND` = NotFound = 1, ...); values
/// from 100 are this library's own.
///
/// cbindgen:prefix-with-name=false
/// cbindgen:rename-all=None
#[allow(non_camel_case_types, clippy::upper_case_acronyms)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum mx_result_code {
    /// Success.
    MX_OK = 0,
    /// The object the command names does not exist (ManagementObjectNotFoundException).
    MX_NOT_FOUND = 1,
    /// The identity matches more than one object (ManagementObjectAmbiguousException).
    MX_AMBIGUOUS = 2,
    /// The object already exists, is already mail-enabled, a proxy address is in use, or the member
    /// is already in the group.
    MX_ALREADY_EXISTS = 3,
    /// The account may not do this: WinRM access denied, or a cmdlet its RBAC roles do not grant
    /// (which Exchange reports as CommandNotFoundException).
    MX_ACCESS_DENIED = 4,
    /// A parameter is missing, unknown, or its value is invalid.
    MX_INVALID_PARAMETER = 5,
    /// The server refused for load: the shell quota, or a throttling budget. Retry later, with
    /// backoff.
    MX_THROTTLED = 6,
    /// A failure that a retry may cure: the network, HTTP 503, a broken runspace.
    MX_TRANSIENT = 7,
    /// Authentication failed: wrong password, Kerberos errors, channel binding rejected, or no
    /// usable mechanism.
    MX_AUTH = 8,
    /// The TLS handshake or the certificate check (chain, name or pin) failed.
    MX_TLS = 9,
    /// The server's answer broke the protocol (unreadable XML, PSRP state errors).
    MX_PROTOCOL = 10,
    /// The caller cancelled the command; it was stopped on the server.
    MX_CANCELLED = 11,
    /// An operation ran out of time: a connect, an HTTP exchange, opening the session or the
    /// command.
    MX_TIMEOUT = 12,
    /// A command that changes state may or may not have run: the connection failed after it was
    /// sent. It is not re-run; check the object before trying again.
    MX_OUTCOME_UNKNOWN = 13,
    /// The options are not usable (a bad URL, a missing password), or the session was misused
    /// (closed, or called from the thread reading one of its streams); fix the configuration or the
    /// call sequence.
    MX_CONFIG = 14,
    /// The command failed for another reason the server gave; its error record says why.
    MX_COMMAND = 15,
    /// A NULL pointer, invalid UTF-8, or an out-of-range value was passed.
    MX_INVALID_ARGUMENT = 100,
    /// The library panicked; the call had no effect that can be relied on.
    MX_PANIC = 101,
    /// An iteration is done: no more items.
    MX_END = 102,
    /// The object has no property of that name.
    MX_NO_SUCH_PROPERTY = 103,
    /// The value does not have the type the accessor reads.
    MX_WRONG_TYPE = 104,
    /// Another logger already owns the process's log dispatch.
    MX_LOGGER_IN_USE = 105,
}

impl mx_result_code {
    /// The code of an error kind: the same number. A kind the core adds later is still a
    /// failure of a command until it gets its own code here (the test `every_kind_has_its_code`
    /// fails until then).
    pub(crate) fn of_kind(kind: ErrorKind) -> mx_result_code {
        mx_result_code::from_u32(kind.code())
            .filter(|code| code.kind() == Some(kind))
            .unwrap_or(mx_result_code::MX_COMMAND)
    }

    /// Every code, in numeric order.
    pub(crate) const ALL: [mx_result_code; 22] = {
        use mx_result_code::*;
        [
            MX_OK,
            MX_NOT_FOUND,
            MX_AMBIGUOUS,
            MX_ALREADY_EXISTS,
            MX_ACCESS_DENIED,
            MX_INVALID_PARAMETER,
            MX_THROTTLED,
            MX_TRANSIENT,
            MX_AUTH,
            MX_TLS,
            MX_PROTOCOL,
            MX_CANCELLED,
            MX_TIMEOUT,
            MX_OUTCOME_UNKNOWN,
            MX_CONFIG,
            MX_COMMAND,
            MX_INVALID_ARGUMENT,
            MX_PANIC,
            MX_END,
            MX_NO_SUCH_PROPERTY,
            MX_WRONG_TYPE,
            MX_LOGGER_IN_USE,
        ]
    };

    /// The code with this number.
    pub(crate) fn from_u32(code: u32) -> Option<mx_result_code> {
        Self::ALL.into_iter().find(|c| *c as u32 == code)
    }

    /// The error kind behind a code from 1 to 99.
    pub(crate) fn kind(self) -> Option<ErrorKind> {
        ErrorKind::from_code(self as u32)
    }

    /// A stable snake_case name, NUL-terminated for C: the kind's name for codes 1 to 99.
    pub(crate) fn c_name(self) -> &'static CStr {
        use mx_result_code::*;
        match self {
            MX_OK => c"ok",
            MX_INVALID_ARGUMENT => c"invalid_argument",
            MX_PANIC => c"panic",
            MX_END => c"end",
            MX_NO_SUCH_PROPERTY => c"no_such_property",
            MX_WRONG_TYPE => c"wrong_type",
            MX_LOGGER_IN_USE => c"logger_in_use",
            kind_code => self::kind_c_name(kind_code as u32).unwrap_or(c"unknown"),
        }
    }
}

/// Makes [`kind_c_name`] from the core's table of error kinds.
macro_rules! kind_c_names {
    ($($variant:ident = $code:literal, $name:literal,
       python = $class:ident($($base:ident)?), $doc:literal;)*) => {
        /// The NUL-terminated name of the error kind with this code.
        fn kind_c_name(code: u32) -> Option<&'static CStr> {
            match code {
                $($code => Some(
                    const {
                        match CStr::from_bytes_with_nul(concat!($name, "\0").as_bytes()) {
                            Ok(name) => name,
                            Err(_) => panic!("an error kind's name holds a NUL"),
                        }
                    },
                ),)*
                _ => None,
            }
        }
    };
}

mx_core::error_kinds!(kind_c_names);

/// A failure as this library reports it: the code and everything the server said.
#[derive(Debug, Clone)]
pub(crate) struct FfiError {
    pub(crate) code: mx_result_code,
    pub(crate) message: String,
    /// `WSManFault/@Code` ([MS-WSMV] 2.2.4.43) when the server sent a fault.
    pub(crate) server_code: Option<u32>,
    /// The error record's FullyQualifiedErrorId.
    pub(crate) fqeid: Option<String>,
    /// The error record's exception type.
    pub(crate) exception_type: Option<String>,
    /// What to do about it, when the core supplies a hint.
    pub(crate) hint: Option<String>,
}

impl FfiError {
    /// An error with a code and a message only.
    pub(crate) fn new(code: mx_result_code, message: impl Into<String>) -> FfiError {
        FfiError {
            code,
            message: message.into(),
            server_code: None,
            fqeid: None,
            exception_type: None,
            hint: None,
        }
    }

    /// `MX_INVALID_ARGUMENT` for a NULL pointer.
    pub(crate) fn null(what: &str) -> FfiError {
        FfiError::new(
            mx_result_code::MX_INVALID_ARGUMENT,
            format!("{what} must not be NULL"),
        )
    }

    /// `MX_INVALID_ARGUMENT` with a reason.
    pub(crate) fn invalid(message: impl Into<String>) -> FfiError {
        FfiError::new(mx_result_code::MX_INVALID_ARGUMENT, message)
    }

    fn panic(payload: &(dyn Any + Send)) -> FfiError {
        let what = payload
            .downcast_ref::<&str>()
            .copied()
            .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
            .unwrap_or("no message");
        FfiError::new(
            mx_result_code::MX_PANIC,
            format!("internal error (panic) in monosync_exchange: {what}"),
        )
    }
}

impl From<&SessionError> for FfiError {
    fn from(e: &SessionError) -> FfiError {
        let record = e.error_record();
        FfiError {
            code: mx_result_code::of_kind(e.kind()),
            message: e.to_string(),
            server_code: e.server_code(),
            fqeid: e.fully_qualified_error_id().map(str::to_owned),
            exception_type: record.and_then(|r| r.exception_type()).map(str::to_owned),
            hint: e.hint(),
        }
    }
}

impl From<SessionError> for FfiError {
    fn from(e: SessionError) -> FfiError {
        FfiError::from(&e)
    }
}

/// Turns the outcome of an export's body into its return code, storing the error for the
/// caller when it asked for one.
///
/// # Safety
///
/// `err_out` is NULL or valid for a write of one pointer.
pub(crate) unsafe fn finish(
    outcome: std::thread::Result<Result<(), FfiError>>,
    err_out: *mut *mut mx_error,
) -> mx_result_code {
    let error = match outcome {
        Ok(Ok(())) => return mx_result_code::MX_OK,
        Ok(Err(e)) => e,
        Err(payload) => FfiError::panic(payload.as_ref()),
    };
    let code = error.code;
    if !err_out.is_null() {
        let boxed = crate::boundary::to_boxed_ptr::<mx_error>(error);
        // SAFETY: `err_out` is non-NULL and valid for a write (contract above).
        unsafe { err_out.write(boxed) };
    }
    code
}

/// Details of a failed call: its code, message and what the server said. Created by the
/// library in a call's `mx_error **err` out-parameter; the caller owns it and frees it with
/// `mx_error_free`. Immutable, so it may be read from any thread.
pub struct mx_error {
    _private: [u8; 0],
}

impl Castable for mx_error {
    type RustType = FfiError;
    type Ownership = OwnershipBox;
}

/// Reads an error; `None` for NULL.
fn error_ref<'a>(err: *const mx_error) -> Option<&'a FfiError> {
    // SAFETY: the accessors' documentation requires `err` to be NULL or a live `mx_error`.
    unsafe { try_ref(err, "err") }.ok()
}

/// The code of the error (`MX_INVALID_ARGUMENT` for NULL).
#[unsafe(no_mangle)]
pub extern "C" fn mx_error_code(err: *const mx_error) -> mx_result_code {
    ffi_value!(mx_result_code::MX_PANIC, {
        error_ref(err).map_or(mx_result_code::MX_INVALID_ARGUMENT, |e| e.code)
    })
}

/// The message: the server's own words kept whole (fault text, exception message,
/// FullyQualifiedErrorId). Borrowed: valid until `mx_error_free(err)`. Empty for NULL.
#[unsafe(no_mangle)]
pub extern "C" fn mx_error_message(err: *const mx_error) -> mx_str {
    ffi_value!(mx_str::none(), {
        error_ref(err).map_or(mx_str::none(), |e| mx_str::from(e.message.as_str()))
    })
}

/// The WS-Management fault code (`WSManFault/@Code`, e.g. 2150858793 for TimedOut) when the
/// server answered with a fault: writes it to `*out` and returns true; otherwise returns false
/// and leaves `*out` alone.
#[unsafe(no_mangle)]
pub extern "C" fn mx_error_server_code(err: *const mx_error, out: *mut u32) -> bool {
    ffi_value!(false, {
        match (error_ref(err).and_then(|e| e.server_code), out.is_null()) {
            (Some(code), false) => {
                // SAFETY: `out` is non-NULL, and the documentation requires it to be valid for
                // a write.
                unsafe { out.write(code) };
                true
            }
            _ => false,
        }
    })
}

/// The FullyQualifiedErrorId of the command's terminating error record, e.g.
/// `[Server=EX01] ... ,Microsoft.Exchange.Management.RecipientTasks.GetMailbox`. Borrowed:
/// valid until `mx_error_free(err)`; `data` is NULL when there is none.
#[unsafe(no_mangle)]
pub extern "C" fn mx_error_fqeid(err: *const mx_error) -> mx_str {
    ffi_value!(mx_str::none(), {
        mx_str::from_opt(error_ref(err).and_then(|e| e.fqeid.as_deref()))
    })
}

/// The .NET exception type of the command's terminating error record, e.g.
/// `Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException`. Borrowed: valid
/// until `mx_error_free(err)`; `data` is NULL when there is none.
#[unsafe(no_mangle)]
pub extern "C" fn mx_error_exception_type(err: *const mx_error) -> mx_str {
    ffi_value!(mx_str::none(), {
        mx_str::from_opt(error_ref(err).and_then(|e| e.exception_type.as_deref()))
    })
}

/// What to do about the error, filled when the core or the server supplies a hint (the core
/// of this version supplies none, so `data` is NULL). Borrowed: valid until
/// `mx_error_free(err)`.
#[unsafe(no_mangle)]
pub extern "C" fn mx_error_hint(err: *const mx_error) -> mx_str {
    ffi_value!(mx_str::none(), {
        mx_str::from_opt(error_ref(err).and_then(|e| e.hint.as_deref()))
    })
}

/// Frees an error. NULL is fine. Must be called once, when no other thread reads it.
#[unsafe(no_mangle)]
pub extern "C" fn mx_error_free(err: *mut mx_error) {
    ffi_value!((), {
        // SAFETY: the documentation requires `err` to be NULL or an `mx_error` the library
        // created and the caller did not free yet.
        unsafe { free_box(err) }
    })
}

/// The stable snake_case name of a result code ("ok", "not_found", "invalid_argument", ...),
/// as a static NUL-terminated string; "unknown" for a number that is no code.
#[unsafe(no_mangle)]
pub extern "C" fn mx_result_code_name(code: u32) -> *const c_char {
    ffi_value!(c"unknown".as_ptr(), {
        match mx_result_code::from_u32(code) {
            Some(c) => c.c_name().as_ptr(),
            None => c"unknown".as_ptr(),
        }
    })
}

/// Whether the same request may succeed if sent again later (after backoff for
/// `MX_THROTTLED`): true for `MX_THROTTLED`, `MX_TRANSIENT` and `MX_TIMEOUT`. Retry only
/// commands that are safe to repeat.
#[unsafe(no_mangle)]
pub extern "C" fn mx_result_code_is_retryable(code: u32) -> bool {
    ffi_value!(false, {
        mx_result_code::from_u32(code)
            .and_then(mx_result_code::kind)
            .is_some_and(ErrorKind::is_retryable)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::boundary::ffi_result;

    #[test]
    fn every_kind_has_its_code() {
        for kind in ErrorKind::ALL {
            let code = mx_result_code::of_kind(kind);
            assert_eq!(code as u32, kind as u32, "{kind}");
            assert_eq!(code.kind(), Some(kind));
            assert_eq!(code.c_name().to_str(), Ok(kind.as_str()));
        }
        // The library's own block starts at 100, after room for new kinds.
        assert!(ErrorKind::ALL.len() < 100);
    }

    #[test]
    fn codes_are_distinct_and_round_trip() {
        let mut names = std::collections::HashSet::new();
        for code in mx_result_code::ALL {
            assert_eq!(mx_result_code::from_u32(code as u32), Some(code));
            assert!(names.insert(code.c_name()), "{:?}", code.c_name());
        }
        assert_eq!(mx_result_code::from_u32(16), None);
        assert_eq!(mx_result_code::MX_INVALID_ARGUMENT as u32, 100);
        assert_eq!(mx_result_code::MX_PANIC as u32, 101);
        assert_eq!(mx_result_code::MX_END as u32, 102);
    }

    #[test]
    fn code_names_and_retry_classes() {
        let name = |c: u32| {
            // SAFETY: mx_result_code_name returns a static NUL-terminated string.
            unsafe { CStr::from_ptr(mx_result_code_name(c)) }
                .to_str()
                .map(str::to_owned)
        };
        assert_eq!(name(0).as_deref(), Ok("ok"));
        assert_eq!(name(1).as_deref(), Ok("not_found"));
        assert_eq!(name(100).as_deref(), Ok("invalid_argument"));
        assert_eq!(name(4711).as_deref(), Ok("unknown"));
        assert!(mx_result_code_is_retryable(6));
        assert!(mx_result_code_is_retryable(7));
        assert!(mx_result_code_is_retryable(12));
        assert!(!mx_result_code_is_retryable(1));
        assert!(!mx_result_code_is_retryable(101));
    }

    #[test]
    fn panics_become_mx_panic_with_the_message() {
        extern "C" fn explodes(err: *mut *mut mx_error) -> mx_result_code {
            ffi_result!(err => {
                let v: Vec<u8> = Vec::new();
                let i = v.len() + 3;
                if i > 2 {
                    panic!("index {i} is out of range");
                }
                Ok(())
            })
        }
        let mut err: *mut mx_error = std::ptr::null_mut();
        assert_eq!(explodes(&mut err), mx_result_code::MX_PANIC);
        assert_eq!(mx_error_code(err), mx_result_code::MX_PANIC);
        // SAFETY: the message is read before `mx_error_free`.
        let message = unsafe { mx_error_message(err).to_str() };
        assert!(
            message.is_some_and(|m| m.contains("index 3 is out of range")),
            "{message:?}"
        );
        mx_error_free(err);
        // Without an error out-parameter the code still arrives.
        assert_eq!(explodes(std::ptr::null_mut()), mx_result_code::MX_PANIC);
    }

    #[test]
    fn null_errors_read_as_empty() {
        assert_eq!(
            mx_error_code(std::ptr::null()),
            mx_result_code::MX_INVALID_ARGUMENT
        );
        assert!(mx_error_message(std::ptr::null()).data.is_null());
        assert!(mx_error_hint(std::ptr::null()).data.is_null());
        let mut code = 7u32;
        assert!(!mx_error_server_code(std::ptr::null(), &mut code));
        assert_eq!(code, 7);
        mx_error_free(std::ptr::null_mut());
    }

    #[test]
    fn session_errors_keep_the_fault_code() {
        use mx_core::wsman::{WsManFault, WsmanError};
        let e = SessionError::from(WsmanError::Fault(Box::new(WsManFault::timed_out("EX01"))));
        let ffi = FfiError::from(&e);
        assert_eq!(ffi.code, mx_result_code::MX_TIMEOUT);
        assert_eq!(ffi.server_code, Some(2_150_858_793));
        assert!(ffi.fqeid.is_none());
        assert!(ffi.hint.is_none());
    }
}
