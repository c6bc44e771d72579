//! The exception tree: one base, `ExchangeError`, and one subclass per [`ErrorKind`], built
//! from the core's table of error kinds ([`EXCEPTION_CLASSES`]). Every failure reaches Python through [`session_error`] or
//! [`record_error`], so the mapping from kinds to classes lives here only.
//!
//! The classes are plain Python exception classes (made with `type()` at import), not Rust
//! layouts, so that one may also derive from a builtin: `ExchangeTimeoutError` is a
//! `TimeoutError`, `NotFoundError` a `LookupError`, and so on. Class attributes give every
//! instance the documented fields, so exceptions raised by callers' own code have them too.

use monosync_exchange::exchange::SessionError;
use monosync_exchange::psrp::messages::ErrorRecord as CoreErrorRecord;
use monosync_exchange::transport::TransportError;
use pyo3::IntoPyObjectExt as _;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyTuple, PyType};

use crate::kind::{EXCEPTION_CLASSES, ErrorKind};
use crate::records::ErrorRecord;
use crate::result::CommandResult;

const BASE_DOC: &str = "Base of every error this package raises.

Attributes:
    kind: the ErrorKind (None only on ExchangeError raised by hand).
    message: the server's or the library's message.
    server_code: the WS-Management fault code or the HTTP status, when the server sent one.
    fully_qualified_error_id: the error record's FullyQualifiedErrorId (Exchange's
        ``[Server=..] [FailureCategory=Cmdlet-..] <HEX>,<cmdlet class>``).
    exception_type: the .NET exception type of the error record.
    hint: what to do about it (the record's RecommendedAction, or the library's advice).
    error_record: the ErrorRecord, for command errors.
    partial: the Result collected before a command failed, when one ran.";

/// The classes, made once per process.
pub(crate) struct Classes {
    pub(crate) base: Py<PyType>,
    by_kind: Vec<(ErrorKind, &'static str, Py<PyType>)>,
}

impl Classes {
    fn of(&self, kind: ErrorKind) -> &Py<PyType> {
        self.by_kind
            .iter()
            .find(|(k, _, _)| *k == kind)
            .map_or(&self.base, |(_, _, cls)| cls)
    }

    /// `(name, class)` of every subclass.
    pub(crate) fn named(&self) -> impl Iterator<Item = (&'static str, &Py<PyType>)> {
        self.by_kind.iter().map(|(_, name, cls)| (*name, cls))
    }
}

fn make_class<'py>(
    py: Python<'py>,
    name: &str,
    bases: Bound<'py, PyTuple>,
    doc: &str,
    attrs: &[(&str, Bound<'py, PyAny>)],
) -> PyResult<Py<PyType>> {
    let dict = PyDict::new(py);
    dict.set_item("__module__", "monosync_exchange")?;
    dict.set_item("__doc__", doc)?;
    for (k, v) in attrs {
        dict.set_item(*k, v)?;
    }
    let cls = py
        .import("builtins")?
        .getattr("type")?
        .call1((name, bases, dict))?;
    Ok(cls.cast_into::<PyType>()?.unbind())
}

pub(crate) fn classes(py: Python<'_>) -> PyResult<&Classes> {
    static CLASSES_CELL: PyOnceLock<Classes> = PyOnceLock::new();
    CLASSES_CELL.get_or_try_init(py, || {
        let builtins = py.import("builtins")?;
        let none = || py.None().into_bound(py);
        let base = make_class(
            py,
            "ExchangeError",
            PyTuple::new(py, [builtins.getattr("Exception")?])?,
            BASE_DOC,
            &[
                ("kind", none()),
                ("message", none()),
                ("server_code", none()),
                ("fully_qualified_error_id", none()),
                ("exception_type", none()),
                ("hint", none()),
                ("error_record", none()),
                ("partial", none()),
            ],
        )?;
        let mut by_kind = Vec::with_capacity(EXCEPTION_CLASSES.len());
        for spec in &EXCEPTION_CLASSES {
            let mut bases = vec![base.bind(py).clone().into_any()];
            if let Some(builtin) = spec.builtin {
                bases.push(builtins.getattr(builtin)?);
            }
            let cls = make_class(
                py,
                spec.name,
                PyTuple::new(py, bases)?,
                spec.kind.doc(),
                &[("kind", spec.kind.into_bound_py_any(py)?)],
            )?;
            by_kind.push((spec.kind, spec.name, cls));
        }
        Ok(Classes { base, by_kind })
    })
}

/// What an exception carries besides its kind and text.
#[derive(Default)]
struct Fields {
    message: Option<String>,
    server_code: Option<u32>,
    hint: Option<String>,
    record: Option<CoreErrorRecord>,
    partial: Option<Py<CommandResult>>,
}

fn build(py: Python<'_>, kind: ErrorKind, text: String, fields: Fields) -> PyResult<PyErr> {
    let cls = classes(py)?.of(kind).bind(py);
    let exc = cls.call1((text.clone(),))?;
    exc.setattr("message", fields.message.unwrap_or(text))?;
    exc.setattr("server_code", fields.server_code)?;
    exc.setattr("hint", fields.hint)?;
    if let Some(record) = fields.record {
        exc.setattr(
            "fully_qualified_error_id",
            record.fully_qualified_error_id(),
        )?;
        exc.setattr("exception_type", record.exception_type())?;
        exc.setattr(
            "error_record",
            Bound::new(py, ErrorRecord::new(record, kind))?,
        )?;
    }
    if let Some(partial) = fields.partial {
        exc.setattr("partial", partial)?;
    }
    Ok(PyErr::from_value(exc))
}

fn or_failure(built: PyResult<PyErr>) -> PyErr {
    built.unwrap_or_else(|e| e)
}

/// What to do about a failure: the library's hint for the admin where it knows the fix,
/// else the RecommendedAction of the server's error record.
fn hint_of(e: &SessionError) -> Option<String> {
    e.hint().or_else(|| {
        e.error_record()
            .and_then(|r| r.recommended_action())
            .map(str::to_owned)
    })
}

/// The server's own number for the failure: the WS-Management fault code or the HTTP status.
fn server_code_of(e: &SessionError) -> Option<u32> {
    match e {
        SessionError::Fault(f) => f.wsman_code,
        SessionError::Transport(TransportError::Http { status, .. }) => Some(u32::from(*status)),
        _ => None,
    }
}

/// The exception for a failed session operation. `partial` is what the command produced
/// before it failed, when the caller collected it; otherwise the core's own partial result
/// of a failed pipeline is used.
pub(crate) fn session_error(
    py: Python<'_>,
    e: SessionError,
    partial: Option<Py<CommandResult>>,
) -> PyErr {
    let kind = ErrorKind::from_core(e.kind());
    let fields = Fields {
        message: e
            .error_record()
            .and_then(CoreErrorRecord::message)
            .map(str::to_owned),
        server_code: server_code_of(&e),
        hint: hint_of(&e),
        record: e.error_record().cloned(),
        partial: None,
    };
    let text = e.to_string();
    let partial = match (partial, e) {
        (Some(p), _) => Some(p),
        (None, SessionError::Pipeline(failure)) => {
            match CommandResult::from_core(py, failure.partial).and_then(|r| Py::new(py, r)) {
                Ok(p) => Some(p),
                Err(err) => return err,
            }
        }
        (None, _) => None,
    };
    or_failure(build(py, kind, text, Fields { partial, ..fields }))
}

/// The exception for an error record a command wrote (a non-terminating error), with the
/// result it belongs to.
pub(crate) fn record_error(
    py: Python<'_>,
    record: &CoreErrorRecord,
    partial: Option<Py<CommandResult>>,
) -> PyErr {
    let kind = ErrorKind::from_core(monosync_exchange::exchange::ErrorKind::of_record(record));
    let message = record.message().map(str::to_owned);
    let text = match (record.exception_type(), &message) {
        (Some(t), Some(m)) => format!("{t}: {m}"),
        (None, Some(m)) => m.clone(),
        (_, None) => record
            .fully_qualified_error_id()
            .unwrap_or("the command wrote an error record")
            .to_owned(),
    };
    or_failure(build(
        py,
        kind,
        text,
        Fields {
            message,
            hint: record.recommended_action().map(str::to_owned),
            record: Some(record.clone()),
            partial,
            ..Fields::default()
        },
    ))
}

/// A configuration error found in the binding itself (an unknown auth method, a bad option).
pub(crate) fn config_error(py: Python<'_>, text: impl Into<String>) -> PyErr {
    or_failure(build(py, ErrorKind::Config, text.into(), Fields::default()))
}
