//! `PSObject`: a read-only, mapping-like view of a deserialized object ([MS-PSRP] 2.2.5.2).
//!
//! The wrapper holds the decoded object by reference count; a property is converted to Python
//! only when read, so streaming many objects costs one small allocation each.

use std::collections::HashSet;
use std::sync::Arc;

use monosync_exchange::clixml::{self, Property, PsObject, PsValue};
use pyo3::exceptions::{PyAttributeError, PyKeyError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString, PyTuple};

use crate::values::{value_to_plain, value_to_py};

/// A PowerShell object returned by a command: read-only, and mapping-like over its
/// properties.
///
/// ``obj["Alias"]`` and ``obj.Alias`` read a property (exact name first, then ignoring case,
/// as PowerShell does); ``"Alias" in obj``, ``len(obj)``, ``keys()``, ``values()``,
/// ``items()`` and ``get()`` work as on a ``dict``. Values are converted to natural Python
/// types when read. ``type_names`` is the .NET type chain (most derived first) and
/// ``to_string`` the server's text for the object.
#[pyclass(frozen, module = "monosync_exchange", name = "PSObject")]
pub(crate) struct PSObject {
    inner: Arc<PsObject>,
}

impl PSObject {
    pub(crate) fn wrap(inner: Arc<PsObject>) -> Self {
        PSObject { inner }
    }

    pub(crate) fn inner(&self) -> &Arc<PsObject> {
        &self.inner
    }

    /// The property `name`: exact match first (extended before adapted, PowerShell's
    /// precedence), then ignoring ASCII case.
    fn find(&self, name: &str) -> Option<&PsValue> {
        self.inner.property(name).or_else(|| {
            self.inner
                .properties()
                .find(|p| p.name.eq_ignore_ascii_case(name))
                .map(|p| &p.value)
        })
    }

    /// Properties by name, the first of a duplicated name (the extended one) winning.
    fn unique(&self) -> impl Iterator<Item = &Property> {
        let mut seen = HashSet::new();
        self.inner
            .properties()
            .filter(move |p| seen.insert(p.name.as_str()))
    }

    /// The object as a `dict` of its properties, nested objects included.
    pub(crate) fn plain_dict<'py>(
        py: Python<'py>,
        obj: &Arc<PsObject>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let view = PSObject::wrap(Arc::clone(obj));
        let dict = PyDict::new(py);
        for p in view.unique() {
            dict.set_item(&p.name, value_to_plain(py, &p.value)?)?;
        }
        Ok(dict)
    }
}

#[pymethods]
impl PSObject {
    fn __getitem__<'py>(&self, py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyAny>> {
        match self.find(name) {
            Some(v) => value_to_py(py, v),
            None => Err(PyKeyError::new_err(name.to_owned())),
        }
    }

    fn __getattr__<'py>(&self, py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyAny>> {
        match self.find(name) {
            Some(v) => value_to_py(py, v),
            None => Err(PyAttributeError::new_err(format!(
                "PSObject has no property {name:?}"
            ))),
        }
    }

    fn __contains__(&self, name: &str) -> bool {
        self.find(name).is_some()
    }

    fn __len__(&self) -> usize {
        self.unique().count()
    }

    fn __iter__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Ok(self.keys(py)?.into_any().try_iter()?.into_any())
    }

    /// The property `name`, or `default` when the object has none.
    #[pyo3(signature = (name, default=None))]
    fn get<'py>(
        &self,
        py: Python<'py>,
        name: &str,
        default: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        match self.find(name) {
            Some(v) => value_to_py(py, v),
            None => Ok(default.unwrap_or_else(|| py.None().into_bound(py))),
        }
    }

    /// The property names, in the order the server sent them.
    fn keys<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        PyList::new(py, self.unique().map(|p| p.name.as_str()))
    }

    /// The property values, converted.
    fn values<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let list = PyList::empty(py);
        for p in self.unique() {
            list.append(value_to_py(py, &p.value)?)?;
        }
        Ok(list)
    }

    /// `(name, value)` pairs.
    fn items<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let list = PyList::empty(py);
        for p in self.unique() {
            let pair = PyTuple::new(
                py,
                [
                    PyString::new(py, &p.name).into_any(),
                    value_to_py(py, &p.value)?,
                ],
            )?;
            list.append(pair)?;
        }
        Ok(list)
    }

    /// The .NET type-name chain, most derived first (empty when the server sent none).
    #[getter]
    fn type_names(&self) -> Vec<String> {
        self.inner
            .type_names
            .as_deref()
            .map(<[String]>::to_vec)
            .unwrap_or_default()
    }

    /// The server's `ToString()` of the object, when sent.
    #[getter]
    fn to_string(&self) -> Option<&str> {
        self.inner.to_string.as_deref()
    }

    /// The primitive the object wraps (an enum's number, an extended string), when any.
    #[getter]
    fn value<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        match &self.inner.value {
            Some(v) => value_to_py(py, v),
            None => Ok(py.None().into_bound(py)),
        }
    }

    /// The object as a plain ``dict`` of its properties, nested objects as dicts too.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        PSObject::plain_dict(py, &self.inner)
    }

    /// The object as JSON text: every property by name, plus ``$type``, ``$toString`` and
    /// ``$value`` keys; Decimals, dates and GUIDs as strings (see the crate's CLIXML JSON
    /// mapping). ``indent`` pretty-prints with that many spaces.
    #[pyo3(signature = (indent=None))]
    fn to_json(&self, indent: Option<usize>) -> PyResult<String> {
        let value = clixml::to_json(&PsValue::Object(Arc::clone(&self.inner)));
        match indent {
            None => Ok(value.to_string()),
            Some(n) => {
                let pad = vec![b' '; n];
                let mut out = Vec::new();
                let formatter = serde_json::ser::PrettyFormatter::with_indent(&pad);
                let mut ser = serde_json::Serializer::with_formatter(&mut out, formatter);
                serde::Serialize::serialize(&value, &mut ser)
                    .map_err(|e| PyValueError::new_err(e.to_string()))?;
                String::from_utf8(out).map_err(|e| PyValueError::new_err(e.to_string()))
            }
        }
    }

    fn __repr__(&self) -> String {
        let type_name = self
            .inner
            .type_names
            .as_deref()
            .and_then(|n| n.first())
            .map_or("", String::as_str);
        match &self.inner.to_string {
            Some(text) => format!("<PSObject {type_name} {text:?}>"),
            None => format!("<PSObject {type_name} ({} properties)>", self.__len__()),
        }
    }

    fn __str__(&self) -> String {
        self.inner
            .to_string
            .clone()
            .unwrap_or_else(|| self.__repr__())
    }
}
