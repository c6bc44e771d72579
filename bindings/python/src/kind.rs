//! `ErrorKind`: the stable kinds of failure, as a Python enum.

use monosync_exchange::exchange::ErrorKind as CoreKind;
use pyo3::prelude::*;

/// What kind of failure an error is; the decision a caller makes (retry, report, fix the
/// input, fix the server) depends on it. Every :class:`ExchangeError` has one as ``.kind``.
/// The numbers are stable and match the C API's.
#[pyclass(
    frozen,
    eq,
    eq_int,
    hash,
    module = "monosync_exchange",
    name = "ErrorKind"
)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum ErrorKind {
    /// The object the command names does not exist.
    NotFound = 1,
    /// The identity matches more than one object.
    Ambiguous = 2,
    /// The object, address or membership already exists.
    AlreadyExists = 3,
    /// The account may not do this (WinRM access or RBAC).
    AccessDenied = 4,
    /// A parameter is missing, unknown, or its value is invalid.
    InvalidParameter = 5,
    /// The server refused for load; retry later with backoff.
    Throttled = 6,
    /// A failure a retry may cure (network, HTTP 503, a broken runspace).
    Transient = 7,
    /// Authentication failed.
    Auth = 8,
    /// The TLS handshake or the certificate check failed.
    Tls = 9,
    /// The server's answer broke the protocol.
    Protocol = 10,
    /// The caller cancelled the command.
    Cancelled = 11,
    /// An operation ran out of time.
    Timeout = 12,
    /// A command that changes state may or may not have run.
    OutcomeUnknown = 13,
    /// The options are not usable.
    Config = 14,
    /// The command failed for another reason the server gave.
    Command = 15,
}

impl ErrorKind {
    /// Every kind, in numeric order.
    pub(crate) const ALL: [ErrorKind; 15] = [
        ErrorKind::NotFound,
        ErrorKind::Ambiguous,
        ErrorKind::AlreadyExists,
        ErrorKind::AccessDenied,
        ErrorKind::InvalidParameter,
        ErrorKind::Throttled,
        ErrorKind::Transient,
        ErrorKind::Auth,
        ErrorKind::Tls,
        ErrorKind::Protocol,
        ErrorKind::Cancelled,
        ErrorKind::Timeout,
        ErrorKind::OutcomeUnknown,
        ErrorKind::Config,
        ErrorKind::Command,
    ];

    /// The core's kind with the same number.
    pub(crate) fn core(self) -> Option<CoreKind> {
        CoreKind::from_code(self as u32)
    }

    /// The binding's kind for a core kind. A kind newer than this module reads as `Command`,
    /// the catch-all, rather than failing.
    pub(crate) fn from_core(kind: CoreKind) -> ErrorKind {
        ErrorKind::ALL
            .into_iter()
            .find(|k| *k as u32 == kind as u32)
            .unwrap_or(ErrorKind::Command)
    }
}

#[pymethods]
impl ErrorKind {
    /// The stable numeric code (1 to 15).
    #[getter]
    fn code(&self) -> u32 {
        *self as u32
    }

    /// The stable snake_case name (``"not_found"``), as in JSON output.
    #[getter]
    pub(crate) fn label(&self) -> &'static str {
        self.core().map_or("command", CoreKind::as_str)
    }

    /// Whether the same request may succeed later (throttled, transient, timeout).
    #[getter]
    fn is_retryable(&self) -> bool {
        self.core().is_some_and(CoreKind::is_retryable)
    }

    fn __str__(&self) -> &'static str {
        self.label()
    }
}
