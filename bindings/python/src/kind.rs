//! `ErrorKind`: the stable kinds of failure, as a Python enum.

use monosync_exchange::exchange::ErrorKind as CoreKind;
use pyo3::prelude::*;

/// Makes the Python `ErrorKind` enum and the exception classes' table from the rows of the
/// core's table of error kinds.
macro_rules! python_error_kinds {
    ($($variant:ident = $code:literal, $name:literal,
       python = $class:ident($($base:ident)?), $doc:literal;)*) => {
        /// What kind of failure an error is; the decision a caller makes (retry, report, fix the
        /// input, fix the server) depends on it. Every :class:`ExchangeError` has one as
        /// ``.kind``. The numbers are stable and match the C API's.
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
            $(
                #[doc = $doc]
                $variant = $code,
            )*
        }

        impl ErrorKind {
            /// Every kind, in numeric order.
            pub(crate) const ALL: [ErrorKind; [$($code),*].len()] = [$(ErrorKind::$variant),*];
        }

        /// Every kind's exception class: its name and the builtin it also derives from.
        pub(crate) const EXCEPTION_CLASSES: [ExceptionClass; [$($code),*].len()] = [$(
            ExceptionClass {
                kind: ErrorKind::$variant,
                name: stringify!($class),
                builtin: python_error_kinds!(@base $($base)?),
            },
        )*];
    };
    (@base) => { None };
    (@base $base:ident) => { Some(stringify!($base)) };
}

monosync_exchange::error_kinds!(python_error_kinds);

/// One exception class of the tree: the kind it stands for, its name, and the builtin
/// exception it also derives from (`TimeoutError` for timeouts, ...).
pub(crate) struct ExceptionClass {
    pub(crate) kind: ErrorKind,
    pub(crate) name: &'static str,
    pub(crate) builtin: Option<&'static str>,
}

impl ErrorKind {
    /// The core's kind with the same number.
    pub(crate) fn core(self) -> Option<CoreKind> {
        CoreKind::from_code(self as u32)
    }

    /// The binding's kind for a core kind. A kind newer than this module reads as `Command`,
    /// the catch-all, rather than failing.
    pub(crate) fn from_core(kind: CoreKind) -> ErrorKind {
        ErrorKind::ALL
            .into_iter()
            .find(|k| *k as u32 == kind.code())
            .unwrap_or(ErrorKind::Command)
    }

    /// What the kind means: the core's documentation of it.
    pub(crate) fn doc(self) -> &'static str {
        self.core().map_or("", CoreKind::doc)
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
