//! `Result`: everything a finished command produced.

use monosync_exchange::exchange::CommandResult as CoreResult;
use pyo3::prelude::*;
use pyo3::types::PyList;

use crate::errors::record_error;
use crate::records::{ErrorRecord, InformationRecord, InformationalRecord, ProgressRecord};
use crate::values::value_to_py;

/// What a command produced: ``output`` (its objects, as :class:`PSObject` or plain values)
/// and the records of every other stream (``errors``, ``warnings``, ``verbose``, ``debug``,
/// ``information``, ``progress``).
///
/// Exchange reports most failures (an identity not found, an address in use) as
/// non-terminating errors: the command completes and they land in ``errors``.
/// :meth:`raise_for_errors` turns the first into its exception. Iterating a result, its
/// ``len()`` and indexing go over ``output``.
#[pyclass(frozen, module = "monosync_exchange", name = "Result")]
pub(crate) struct CommandResult {
    output: Py<PyList>,
    errors: Py<PyList>,
    warnings: Py<PyList>,
    verbose: Py<PyList>,
    debug: Py<PyList>,
    information: Py<PyList>,
    progress: Py<PyList>,
    state: Option<&'static str>,
}

fn list<'py, T, U>(
    py: Python<'py>,
    items: Vec<T>,
    mut wrap: impl FnMut(T) -> PyResult<U>,
) -> PyResult<Py<PyList>>
where
    U: IntoPyObject<'py>,
{
    let out = PyList::empty(py);
    for item in items {
        out.append(wrap(item)?)?;
    }
    Ok(out.unbind())
}

impl CommandResult {
    /// Converts a core result; output objects are wrapped, their properties converted later.
    pub(crate) fn from_core(py: Python<'_>, r: CoreResult) -> PyResult<Self> {
        Ok(CommandResult {
            output: list(py, r.output, |v| value_to_py(py, &v))?,
            errors: list(py, r.errors, |e| Ok(ErrorRecord::classified(e)))?,
            warnings: list(py, r.warnings, |w| {
                Ok(InformationalRecord::new(w, "warning"))
            })?,
            verbose: list(py, r.verbose, |w| {
                Ok(InformationalRecord::new(w, "verbose"))
            })?,
            debug: list(py, r.debug, |w| Ok(InformationalRecord::new(w, "debug")))?,
            information: list(py, r.information, |i| Ok(InformationRecord::new(i)))?,
            progress: list(py, r.progress, |p| Ok(ProgressRecord::new(p)))?,
            state: r.state.map(|s| s.name()),
        })
    }
}

#[pymethods]
impl CommandResult {
    /// The output objects.
    #[getter]
    fn output(&self, py: Python<'_>) -> Py<PyList> {
        self.output.clone_ref(py)
    }

    /// Non-terminating errors (:class:`ErrorRecord`).
    #[getter]
    fn errors(&self, py: Python<'_>) -> Py<PyList> {
        self.errors.clone_ref(py)
    }

    /// Warnings (:class:`InformationalRecord`).
    #[getter]
    fn warnings(&self, py: Python<'_>) -> Py<PyList> {
        self.warnings.clone_ref(py)
    }

    /// Verbose records (:class:`InformationalRecord`).
    #[getter]
    fn verbose(&self, py: Python<'_>) -> Py<PyList> {
        self.verbose.clone_ref(py)
    }

    /// Debug records (:class:`InformationalRecord`).
    #[getter]
    fn debug(&self, py: Python<'_>) -> Py<PyList> {
        self.debug.clone_ref(py)
    }

    /// Information records (:class:`InformationRecord`).
    #[getter]
    fn information(&self, py: Python<'_>) -> Py<PyList> {
        self.information.clone_ref(py)
    }

    /// Progress records (:class:`ProgressRecord`).
    #[getter]
    fn progress(&self, py: Python<'_>) -> Py<PyList> {
        self.progress.clone_ref(py)
    }

    /// The pipeline's final state (``"Completed"``, ``"Failed"``, ``"Stopped"``), or
    /// ``None`` when it did not finish.
    #[getter]
    fn state(&self) -> Option<&'static str> {
        self.state
    }

    /// Raises the first non-terminating error as its exception (``NotFoundError``, ...), with
    /// this result as its ``partial``; returns the result itself when there is none, so that
    /// calls chain: ``session.invoke(...).raise_for_errors()``.
    fn raise_for_errors(slf: Bound<'_, Self>) -> PyResult<Bound<'_, Self>> {
        let py = slf.py();
        let first = slf.get().errors.bind(py).iter().next();
        match first {
            None => Ok(slf),
            Some(item) => {
                let record = item.cast::<ErrorRecord>()?;
                Err(record_error(
                    py,
                    record.get().core(),
                    Some(slf.clone().unbind()),
                ))
            }
        }
    }

    fn __len__(&self, py: Python<'_>) -> usize {
        self.output.bind(py).len()
    }

    fn __iter__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Ok(self.output.bind(py).try_iter()?.into_any())
    }

    fn __getitem__<'py>(&self, py: Python<'py>, index: isize) -> PyResult<Bound<'py, PyAny>> {
        self.output.bind(py).as_any().get_item(index)
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        format!(
            "<Result state={} output={} errors={} warnings={}>",
            self.state.unwrap_or("None"),
            self.output.bind(py).len(),
            self.errors.bind(py).len(),
            self.warnings.bind(py).len()
        )
    }
}
