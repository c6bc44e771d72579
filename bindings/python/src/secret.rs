//! Secrets: `SecureString` and `PSCredential`. The text lives in Rust memory that is wiped
//! when the object goes away, and never appears in a repr, a log or a pickle.

use monosync_exchange::transport::Credentials;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::PyString;
use zeroize::Zeroizing;

/// A secret sent as a PowerShell SecureString ([MS-PSRP] 2.2.5.1.24): pass it as a
/// parameter value (``Password=SecureString("...")``) and the session encrypts it with the
/// session key it negotiates first ([MS-PSRP] 3.1.4).
///
/// The text is kept in Rust memory and wiped when the object is freed; it is never shown
/// and cannot be pickled. The ``str`` it was made from is an ordinary Python string, which
/// Python does not wipe: read secrets straight into a SecureString where you can.
#[pyclass(frozen, module = "monosync_exchange", name = "SecureString")]
pub(crate) struct SecureString {
    text: Zeroizing<String>,
}

impl SecureString {
    /// A copy of the secret for the core, which wipes its own copies too.
    pub(crate) fn expose(&self) -> String {
        self.text.as_str().to_owned()
    }

    /// A secret given as a ``str`` or a ``SecureString``.
    pub(crate) fn from_py(obj: &Bound<'_, PyAny>) -> PyResult<Zeroizing<String>> {
        if let Ok(s) = obj.cast::<SecureString>() {
            return Ok(Zeroizing::new(s.get().expose()));
        }
        if let Ok(s) = obj.cast::<PyString>() {
            return Ok(Zeroizing::new(s.to_cow()?.into_owned()));
        }
        Err(PyTypeError::new_err(format!(
            "a secret must be a str or a SecureString, not {}",
            obj.get_type().name()?
        )))
    }
}

#[pymethods]
impl SecureString {
    #[new]
    fn new(text: &Bound<'_, PyAny>) -> PyResult<Self> {
        Ok(SecureString {
            text: SecureString::from_py(text)?,
        })
    }

    /// The length in characters; the text itself is not readable.
    fn __len__(&self) -> usize {
        self.text.chars().count()
    }

    fn __repr__(&self) -> &'static str {
        "SecureString(<hidden>)"
    }

    fn __reduce__(&self) -> PyResult<()> {
        Err(PyTypeError::new_err("a SecureString cannot be pickled"))
    }
}

/// A user name and a password, as PowerShell's ``PSCredential``. Give it to a
/// :class:`Session` as ``credential=``; the password is a :class:`SecureString`.
#[pyclass(frozen, module = "monosync_exchange", name = "PSCredential")]
pub(crate) struct PSCredential {
    username: String,
    password: Py<SecureString>,
}

impl PSCredential {
    /// The core's credentials.
    pub(crate) fn credentials(&self) -> Credentials {
        Credentials::new(self.username.clone(), self.password.get().expose())
    }
}

#[pymethods]
impl PSCredential {
    #[new]
    fn new(py: Python<'_>, username: String, password: &Bound<'_, PyAny>) -> PyResult<Self> {
        let secret = SecureString {
            text: SecureString::from_py(password)?,
        };
        Ok(PSCredential {
            username,
            password: Py::new(py, secret)?,
        })
    }

    /// ``user``, ``DOMAIN\\user`` or ``user@REALM``.
    #[getter]
    fn username(&self) -> &str {
        &self.username
    }

    /// The password, as a :class:`SecureString`.
    #[getter]
    fn password(&self, py: Python<'_>) -> Py<SecureString> {
        self.password.clone_ref(py)
    }

    fn __repr__(&self) -> String {
        format!("PSCredential({:?}, <hidden>)", self.username)
    }

    fn __reduce__(&self) -> PyResult<()> {
        Err(PyTypeError::new_err("a PSCredential cannot be pickled"))
    }
}
