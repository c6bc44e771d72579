//! Stream records ([MS-PSRP] 2.2.2.20 to 2.2.2.26) as read-only Python objects. Each has a
//! ``kind`` and a ``message``; the whole object as sent is in ``.object``.

use std::sync::Arc;

use monosync_exchange::clixml::{PsObject, PsValue};
use monosync_exchange::psrp::messages::{
    ErrorRecord as CoreErrorRecord, InformationRecord as CoreInformationRecord,
    InformationalRecord as CoreInformationalRecord, ProgressRecord as CoreProgressRecord,
    ProgressRecordType,
};
use pyo3::prelude::*;

use crate::errors::record_error;
use crate::kind::ErrorKind;
use crate::object::PSObject;
use crate::values::value_to_py;

fn object_of(obj: &Arc<PsObject>) -> PSObject {
    PSObject::wrap(Arc::clone(obj))
}

fn optional<'py>(py: Python<'py>, v: Option<&PsValue>) -> PyResult<Bound<'py, PyAny>> {
    match v {
        Some(v) => value_to_py(py, v),
        None => Ok(py.None().into_bound(py)),
    }
}

/// An error a command reported ([MS-PSRP] 2.2.3.15): a non-terminating error in
/// ``Result.errors``, or the terminating error of an exception's ``error_record``.
#[pyclass(frozen, module = "monosync_exchange", name = "ErrorRecord")]
pub(crate) struct ErrorRecord {
    record: CoreErrorRecord,
    kind: ErrorKind,
}

impl ErrorRecord {
    pub(crate) fn new(record: CoreErrorRecord, kind: ErrorKind) -> Self {
        ErrorRecord { record, kind }
    }

    /// A record classified from its own contents.
    pub(crate) fn classified(record: CoreErrorRecord) -> Self {
        let kind = ErrorKind::from_core(monosync_exchange::exchange::ErrorKind::of_record(&record));
        ErrorRecord { record, kind }
    }

    pub(crate) fn core(&self) -> &CoreErrorRecord {
        &self.record
    }
}

#[pymethods]
impl ErrorRecord {
    /// The ErrorKind, from the exception type, FullyQualifiedErrorId and category.
    #[getter]
    fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The message PowerShell shows.
    #[getter]
    fn message(&self) -> Option<&str> {
        self.record.message()
    }

    /// ``FullyQualifiedErrorId``.
    #[getter]
    fn fully_qualified_error_id(&self) -> Option<&str> {
        self.record.fully_qualified_error_id()
    }

    /// The .NET exception type, without a ``Deserialized.`` prefix.
    #[getter]
    fn exception_type(&self) -> Option<&str> {
        self.record.exception_type()
    }

    /// The ``ErrorCategory`` number (13 ObjectNotFound, 18 PermissionDenied, ...).
    #[getter]
    fn category(&self) -> Option<i32> {
        self.record.category_info().map(|c| c.category)
    }

    /// ``ErrorCategory_Reason``: usually the exception's short type name.
    #[getter]
    fn category_reason(&self) -> Option<String> {
        self.record.category_info().and_then(|c| c.reason)
    }

    /// ``ErrorCategory_Activity``: usually the command that failed.
    #[getter]
    fn activity(&self) -> Option<String> {
        self.record.category_info().and_then(|c| c.activity)
    }

    /// ``ErrorCategory_TargetName``.
    #[getter]
    fn target_name(&self) -> Option<String> {
        self.record.category_info().and_then(|c| c.target_name)
    }

    /// ``ErrorDetails_RecommendedAction``, when the server gave one.
    #[getter]
    fn recommended_action(&self) -> Option<&str> {
        self.record.recommended_action()
    }

    /// ``TargetObject``, converted.
    #[getter]
    fn target_object<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        optional(py, self.record.target_object())
    }

    /// The whole record as sent.
    #[getter]
    fn object(&self) -> PSObject {
        object_of(&self.record.object)
    }

    /// The exception of this record's kind (not raised), e.g. ``NotFoundError``.
    fn to_exception<'py>(&self, py: Python<'py>) -> Bound<'py, PyAny> {
        record_error(py, &self.record, None)
            .into_value(py)
            .into_bound(py)
            .into_any()
    }

    fn __repr__(&self) -> String {
        format!(
            "<ErrorRecord {} {:?}>",
            self.kind.label(),
            self.record.message().unwrap_or_default()
        )
    }
}

/// A warning, verbose or debug record ([MS-PSRP] 2.2.3.16).
#[pyclass(frozen, module = "monosync_exchange", name = "InformationalRecord")]
pub(crate) struct InformationalRecord {
    record: CoreInformationalRecord,
    kind: &'static str,
}

impl InformationalRecord {
    /// `kind` is the stream: `warning`, `verbose` or `debug`.
    pub(crate) fn new(record: CoreInformationalRecord, kind: &'static str) -> Self {
        InformationalRecord { record, kind }
    }
}

#[pymethods]
impl InformationalRecord {
    /// ``"warning"``, ``"verbose"`` or ``"debug"``.
    #[getter]
    fn kind(&self) -> &'static str {
        self.kind
    }

    /// The text.
    #[getter]
    fn message(&self) -> &str {
        &self.record.message
    }

    /// The whole record as sent.
    #[getter]
    fn object(&self) -> PSObject {
        object_of(&self.record.object)
    }

    fn __repr__(&self) -> String {
        format!(
            "<InformationalRecord {} {:?}>",
            self.kind, self.record.message
        )
    }

    fn __str__(&self) -> String {
        self.record.message.clone()
    }
}

/// An information record (``Write-Information``, ``Write-Host``; [MS-PSRP] 2.2.2.26).
#[pyclass(frozen, module = "monosync_exchange", name = "InformationRecord")]
pub(crate) struct InformationRecord {
    record: CoreInformationRecord,
}

impl InformationRecord {
    pub(crate) fn new(record: CoreInformationRecord) -> Self {
        InformationRecord { record }
    }

    /// The text of `MessageData`: a string as is, `Write-Host`'s `HostInformationMessage`
    /// by its `Message`, anything else by its `ToString`.
    fn text(&self) -> Option<String> {
        let data = self.record.message_data()?;
        if let Some(s) = data.as_str() {
            return Some(s.to_owned());
        }
        let obj = data.as_object()?;
        obj.property("Message")
            .and_then(PsValue::as_str)
            .map(str::to_owned)
            .or_else(|| obj.to_string.clone())
    }
}

#[pymethods]
impl InformationRecord {
    /// ``"information"``.
    #[getter]
    fn kind(&self) -> &'static str {
        "information"
    }

    /// The text written.
    #[getter]
    fn message(&self) -> Option<String> {
        self.text()
    }

    /// ``MessageData``, converted.
    #[getter]
    fn message_data<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        optional(py, self.record.message_data())
    }

    /// ``Source``.
    #[getter]
    fn source(&self) -> Option<&str> {
        self.record.source()
    }

    /// ``Tags``.
    #[getter]
    fn tags(&self) -> Vec<&str> {
        self.record.tags()
    }

    /// ``TimeGenerated``.
    #[getter]
    fn time_generated<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        optional(py, self.record.object.property("TimeGenerated"))
    }

    /// ``Computer``.
    #[getter]
    fn computer(&self) -> Option<&str> {
        self.record.computer()
    }

    /// ``User``.
    #[getter]
    fn user(&self) -> Option<&str> {
        self.record.user()
    }

    /// The whole record as sent.
    #[getter]
    fn object(&self) -> PSObject {
        object_of(&self.record.object)
    }

    fn __repr__(&self) -> String {
        format!("<InformationRecord {:?}>", self.text().unwrap_or_default())
    }
}

/// A progress record ([MS-PSRP] 2.2.2.25).
#[pyclass(frozen, module = "monosync_exchange", name = "ProgressRecord")]
pub(crate) struct ProgressRecord {
    record: CoreProgressRecord,
}

impl ProgressRecord {
    pub(crate) fn new(record: CoreProgressRecord) -> Self {
        ProgressRecord { record }
    }
}

#[pymethods]
impl ProgressRecord {
    /// ``"progress"``.
    #[getter]
    fn kind(&self) -> &'static str {
        "progress"
    }

    /// ``"<activity>: <status>"``.
    #[getter]
    fn message(&self) -> String {
        format!(
            "{}: {}",
            self.record.activity, self.record.status_description
        )
    }

    /// ``Activity``.
    #[getter]
    fn activity(&self) -> &str {
        &self.record.activity
    }

    /// ``ActivityId``.
    #[getter]
    fn activity_id(&self) -> i32 {
        self.record.activity_id
    }

    /// ``StatusDescription``.
    #[getter]
    fn status_description(&self) -> &str {
        &self.record.status_description
    }

    /// ``CurrentOperation``.
    #[getter]
    fn current_operation(&self) -> Option<&str> {
        self.record.current_operation.as_deref()
    }

    /// ``ParentActivityId``: -1 for a top-level activity.
    #[getter]
    fn parent_activity_id(&self) -> i32 {
        self.record.parent_activity_id
    }

    /// ``PercentComplete``: -1 when unknown.
    #[getter]
    fn percent_complete(&self) -> i32 {
        self.record.percent_complete
    }

    /// ``SecondsRemaining``: -1 when unknown.
    #[getter]
    fn seconds_remaining(&self) -> i32 {
        self.record.seconds_remaining
    }

    /// Whether the activity is complete (``Type`` is ``Completed``).
    #[getter]
    fn completed(&self) -> bool {
        self.record.record_type == ProgressRecordType::Completed
    }

    fn __repr__(&self) -> String {
        format!(
            "<ProgressRecord {:?} {}%>",
            self.message(),
            self.record.percent_complete
        )
    }
}
