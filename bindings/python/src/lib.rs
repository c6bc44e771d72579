//! `monosync_exchange._native`: the Python face of the `monosync-exchange` crate, re-exported
//! by the `monosync_exchange` package (`python/monosync_exchange/__init__.py`).
//!
//! It wraps the blocking session of the core (`BlockingSession`): every network wait runs with
//! the GIL released, sessions may be shared between threads, and results are converted to
//! natural Python types when read.
//!
//! - [`session`]: `Session`, the connection, and its options ([`options`]).
//! - [`pool`]: `Pool`, sessions over several servers shared by many threads.
//! - [`command`]: `Command`, a cmdlet or pipeline with parameters.
//! - [`stream`]: `ResultStream` and the reading of running commands.
//! - [`result`], [`records`], [`object`], [`values`]: what comes back.
//! - [`secret`]: `SecureString` and `PSCredential`.
//! - [`kind`], [`errors`]: `ErrorKind` and the exception tree.
//! - [`logging`]: log records to a Python callable.

#![forbid(unsafe_code)]
#![warn(missing_docs, unreachable_pub)]

mod command;
mod errors;
mod kind;
mod logging;
mod object;
mod options;
mod pool;
mod records;
mod result;
mod secret;
mod session;
mod stream;
mod values;

use pyo3::prelude::*;

/// The native module of the `monosync_exchange` package.
#[pymodule(name = "_native")]
fn native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<session::Session>()?;
    m.add_class::<pool::Pool>()?;
    m.add_class::<command::Command>()?;
    m.add_class::<stream::ResultStream>()?;
    m.add_class::<result::CommandResult>()?;
    m.add_class::<object::PSObject>()?;
    m.add_class::<records::ErrorRecord>()?;
    m.add_class::<records::InformationalRecord>()?;
    m.add_class::<records::InformationRecord>()?;
    m.add_class::<records::ProgressRecord>()?;
    m.add_class::<secret::SecureString>()?;
    m.add_class::<secret::PSCredential>()?;
    m.add_class::<kind::ErrorKind>()?;
    m.add_class::<logging::LogRecord>()?;
    m.add_function(wrap_pyfunction!(logging::set_log_handler, m)?)?;
    let classes = errors::classes(py)?;
    m.add("ExchangeError", classes.base.clone_ref(py))?;
    for (name, cls) in classes.named() {
        m.add(name, cls.clone_ref(py))?;
    }
    Ok(())
}
