//! `Pool`: a few sessions to one Exchange organisation, over one or more of its servers, shared
//! by many Python threads.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use monosync_exchange::exchange::{BlockingPool, PoolOptions, SessionError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyTuple};

use crate::command::pipeline_from;
use crate::errors::{config_error, session_error};
use crate::options::{ConnectArgs, string_list};
use crate::result::CommandResult;
use crate::secret::PSCredential;
use crate::stream::{Readers, ResultStream, collect};

/// A pool of sessions with Exchange's remote PowerShell, shared by many threads: each call
/// takes a free session (opening one if fewer than ``max_sessions`` exist, else waiting in
/// arrival order), runs there, and hands it back. Nothing connects until the first call.
///
/// ``servers`` is a server (a URL or a host name, as for :class:`Session`) or a list of
/// them: sessions open on the first healthy one, and move to the next when it fails. The
/// other keywords are :class:`Session`'s, for every server. ``acquire_timeout`` (seconds)
/// bounds the wait for a free session; ``retry_attempts`` counts the attempts of a failed
/// command (1 turns retries off): reads are sent again after a passing failure, state
/// changes only when they surely never reached the server, else OutcomeUnknownError.
///
/// A stream keeps its session until it is read to its end or closed, while the other
/// threads use the rest; ``ResultStream.cancel()`` stops it from any thread. Network waits
/// release the GIL.
#[pyclass(frozen, module = "monosync_exchange", name = "Pool")]
pub(crate) struct Pool {
    /// Always `Some` until the object is dropped.
    inner: Option<Arc<BlockingPool>>,
    servers: Vec<String>,
    closed: AtomicBool,
    readers: Readers,
    on_progress: Option<Py<PyAny>>,
}

impl Pool {
    fn inner(&self, py: Python<'_>) -> PyResult<&Arc<BlockingPool>> {
        self.inner
            .as_ref()
            .ok_or_else(|| session_error(py, SessionError::Closed, None))
    }
}

#[pymethods]
impl Pool {
    #[new]
    #[pyo3(signature = (
        servers, *, max_sessions=2, acquire_timeout=None, retry_attempts=3,
        auth="negotiate", username=None, password=None, credential=None,
        configuration=None, ca_file=None, pinned_thumbprints=None, pin_thumbprint=None, insecure=false,
        ip_order="ipv4-first", resolve=None, kdc=None, keytab=None, realm=None, spn=None,
        allow_unencrypted=false, allow_basic_over_http=false, connect_timeout=30.0,
        read_timeout=120.0, request_timeout=None, operation_timeout=20.0, invoke_timeout=None,
        open_timeout=180.0,
        idle_timeout=None, locale="en-US", shell_name=None, on_progress=None, jump_host=None,
        record=None, dns_servers=None, max_envelope_size=None
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new<'py>(
        py: Python<'py>,
        servers: Bound<'py, PyAny>,
        max_sessions: usize,
        acquire_timeout: Option<f64>,
        retry_attempts: u32,
        auth: &str,
        username: Option<String>,
        password: Option<Bound<'py, PyAny>>,
        credential: Option<Bound<'py, PSCredential>>,
        configuration: Option<String>,
        ca_file: Option<PathBuf>,
        pinned_thumbprints: Option<Bound<'py, PyAny>>,
        pin_thumbprint: Option<Bound<'py, PyAny>>,
        insecure: bool,
        ip_order: &str,
        resolve: Option<Bound<'py, PyAny>>,
        kdc: Option<String>,
        keytab: Option<PathBuf>,
        realm: Option<String>,
        spn: Option<String>,
        allow_unencrypted: bool,
        allow_basic_over_http: bool,
        connect_timeout: f64,
        read_timeout: f64,
        request_timeout: Option<f64>,
        operation_timeout: f64,
        invoke_timeout: Option<f64>,
        open_timeout: Option<f64>,
        idle_timeout: Option<f64>,
        locale: &str,
        shell_name: Option<String>,
        on_progress: Option<Py<PyAny>>,
        jump_host: Option<Bound<'py, PyAny>>,
        record: Option<PathBuf>,
        dns_servers: Option<Bound<'py, PyAny>>,
        max_envelope_size: Option<u32>,
    ) -> PyResult<Self> {
        let args = ConnectArgs {
            auth: auth.to_owned(),
            username,
            password,
            credential,
            configuration,
            ca_file,
            pinned_thumbprints: pinned_thumbprints.or(pin_thumbprint),
            insecure,
            ip_order: ip_order.to_owned(),
            resolve,
            kdc,
            keytab,
            realm,
            spn,
            allow_unencrypted,
            allow_basic_over_http,
            connect_timeout,
            read_timeout,
            request_timeout,
            operation_timeout,
            invoke_timeout,
            open_timeout,
            idle_timeout,
            locale: locale.to_owned(),
            shell_name,
            jump_host,
            record,
            dns_servers,
            max_envelope_size,
        };
        let names = string_list(Some(&servers))?;
        let Some(first) = names.first() else {
            return Err(config_error(py, "servers= needs at least one server"));
        };
        let urls: Vec<String> = names.iter().map(|s| args.url(s)).collect();
        let mut options = PoolOptions::with_servers(args.session_options(py, first)?, urls.clone());
        options.max_sessions = max_sessions;
        options.retry.max_attempts = retry_attempts;
        options.acquire_timeout = acquire_timeout
            .map(|s| {
                Duration::try_from_secs_f64(s)
                    .map_err(|e| config_error(py, format!("acquire_timeout={s}: {e}")))
            })
            .transpose()?;
        let inner = BlockingPool::new(options).map_err(|e| session_error(py, e, None))?;
        Ok(Pool {
            inner: Some(Arc::new(inner)),
            servers: urls,
            closed: AtomicBool::new(false),
            readers: Readers::default(),
            on_progress,
        })
    }

    /// Runs a command (as :meth:`Session.invoke`) on a free session and returns its
    /// :class:`Result`. Ctrl-C stops the command on the server.
    #[pyo3(signature = (command, /, *args, **params))]
    fn invoke(
        &self,
        py: Python<'_>,
        command: &Bound<'_, PyAny>,
        args: &Bound<'_, PyTuple>,
        params: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Py<CommandResult>> {
        let pipeline = pipeline_from(command, args, params)?;
        collect(
            py,
            self.inner(py)?,
            &self.readers,
            pipeline,
            self.on_progress.as_ref(),
        )
    }

    /// Starts a command (same arguments as :meth:`invoke`) on a session of its own and
    /// returns a :class:`ResultStream` yielding its output objects as they arrive. Until the
    /// first item arrived, a failed read is retried on another session. A stream cancelled
    /// or closed before its end stops the command and closes its session.
    #[pyo3(signature = (command, /, *args, **params))]
    fn stream(
        &self,
        py: Python<'_>,
        command: &Bound<'_, PyAny>,
        args: &Bound<'_, PyTuple>,
        params: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<ResultStream> {
        let pipeline = pipeline_from(command, args, params)?;
        let reader = self.readers.start(self.inner(py)?, pipeline)?;
        Ok(ResultStream::new(
            reader,
            self.on_progress.as_ref().map(|p| p.clone_ref(py)),
        ))
    }

    /// Counts of the pool's sessions and of what happened to them: ``sessions`` (open now),
    /// ``idle``, ``opened``, ``opened_per_server`` (a list, in the order of ``servers``),
    /// ``discarded`` (closed because they broke or were cancelled), ``idle_closed``,
    /// ``probes`` and ``retries``.
    #[getter]
    fn stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let stats = self.inner(py)?.stats();
        let dict = PyDict::new(py);
        dict.set_item("sessions", stats.sessions)?;
        dict.set_item("idle", stats.idle)?;
        dict.set_item("opened", stats.opened)?;
        dict.set_item(
            "opened_per_server",
            PyList::new(py, &stats.opened_per_server)?,
        )?;
        dict.set_item("discarded", stats.discarded)?;
        dict.set_item("idle_closed", stats.idle_closed)?;
        dict.set_item("probes", stats.probes)?;
        dict.set_item("retries", stats.retries)?;
        Ok(dict)
    }

    /// The server URLs, in order of preference.
    #[getter]
    fn servers(&self) -> Vec<String> {
        self.servers.clone()
    }

    /// Whether the pool was closed.
    #[getter]
    fn closed(&self) -> bool {
        self.closed.load(Ordering::Relaxed)
    }

    /// Deletes the shells of the idle sessions and refuses later calls (ConfigError); streams
    /// not being read are stopped, and sessions still running a command are closed when it
    /// ends. Closing twice is allowed.
    fn close(&self, py: Python<'_>) -> PyResult<()> {
        if self.closed.swap(true, Ordering::Relaxed) {
            return Ok(());
        }
        let inner = self.inner(py)?;
        self.readers.abandon_unread();
        match py.detach(|| inner.close()) {
            Ok(()) | Err(SessionError::Closed) => Ok(()),
            Err(e) => Err(session_error(py, e, None)),
        }
    }

    fn __enter__(slf: Bound<'_, Self>) -> Bound<'_, Self> {
        slf
    }

    /// Closes the pool. When the block raised, a failure to close is not raised over it.
    #[pyo3(signature = (exc_type=None, _exc=None, _tb=None))]
    fn __exit__(
        &self,
        py: Python<'_>,
        exc_type: Option<Bound<'_, PyAny>>,
        _exc: Option<Bound<'_, PyAny>>,
        _tb: Option<Bound<'_, PyAny>>,
    ) -> PyResult<bool> {
        let closed = self.close(py);
        if exc_type.as_ref().is_none_or(|t| t.is_none()) {
            closed?;
        }
        Ok(false)
    }

    fn __repr__(&self) -> String {
        let state = if self.closed() { "closed" } else { "open" };
        format!("<Pool {} {state}>", self.servers.join(", "))
    }
}

impl Drop for Pool {
    /// Dropping the core pool deletes its idle shells over the network: do it without holding
    /// the GIL.
    fn drop(&mut self) {
        if let Some(inner) = self.inner.take() {
            let _ = Python::try_attach(move |py| py.detach(move || drop(inner)));
        }
    }
}
