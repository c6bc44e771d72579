//! `Session`: one connection to Exchange's remote PowerShell, shared safely between threads.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use monosync_exchange::exchange::{BlockingSession, SessionError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};

use crate::command::pipeline_from;
use crate::errors::session_error;
use crate::options::ConnectArgs;
use crate::result::CommandResult;
use crate::secret::PSCredential;
use crate::stream::{Readers, ResultStream, collect};

/// A session with Exchange's remote PowerShell (one runspace pool in one WinRM shell). It
/// connects when created and deletes its shell on :meth:`close` or at the end of a ``with``
/// block.
///
/// ``server`` is a URL (``http://ex01.corp.example/PowerShell/``) or a host name, which
/// means ``https://<host>/PowerShell/`` (``https://<host>:5986/wsman`` with a
/// ``configuration``). ``auth`` is ``"negotiate"``, ``"kerberos"``, ``"ntlm"`` or
/// ``"basic"``; give ``username`` and ``password`` (a str or SecureString), or
/// ``credential`` (a PSCredential). Kerberos names the user ``user@REALM``. A service
/// account logs on without a password with ``keytab`` (an MIT keytab file; ``username``
/// names its principal, else the keytab's first one is used; AES keys only).
///
/// TLS: ``ca_file`` (PEM of extra trusted CAs), ``pinned_thumbprints`` (formerly ``pin_thumbprint``; SHA-1 or SHA-256 hex,
/// or a list; when set, only those certificates are accepted), ``insecure`` (accept any
/// certificate). Network: ``ip_order`` (``"ipv4-first"``, ``"ipv6-first"``, ``"system"``),
/// ``resolve`` (curl-style ``"host:port:addr"`` overrides), ``kdc``
/// (``"tcp://kdc:88"``, or a KDC proxy ``"https://gw/KdcProxy"``), ``realm`` (the account's
/// Kerberos realm; a UPN with another suffix is sent as an enterprise name), ``spn``. ``allow_unencrypted`` sends NTLM/Kerberos bodies unsealed
/// over HTTP (the server must allow it); ``allow_basic_over_http`` permits Basic over
/// plain HTTP. Times in seconds: ``connect_timeout``, ``read_timeout``, ``request_timeout``
/// (a whole HTTP request), ``operation_timeout`` (how long the server holds a Receive),
/// ``invoke_timeout`` (a whole command; it is stopped on the server), ``open_timeout``
/// (opening the session, 180 by default as PowerShell's OpenTimeout; None for no limit),
/// ``idle_timeout``.
/// ``on_progress`` is called with each :class:`ProgressRecord` as it arrives. ``record``
/// names a file to record the conversation in (every request and response after unsealing,
/// secrets redacted), which ``mx-sim --replay`` serves back.
///
/// Jump-host mode, when only WinRM (5986) reaches a machine that reaches Exchange:
/// ``server`` is that machine's WinRM service (a bare host name means
/// ``https://<host>:5986/wsman``), ``auth``/``username``/``password`` log on there, and
/// ``jump_host=(exchange_uri, PSCredential)`` names Exchange as that machine reaches it
/// (``http://<fqdn>/PowerShell/``, Kerberos) and the account its cmdlets run as.
///
/// Every method may be called from any thread; calls on one session run one at a time.
/// Network waits release the GIL.
#[pyclass(frozen, module = "monosync_exchange", name = "Session")]
pub(crate) struct Session {
    /// Always `Some` until the object is dropped.
    inner: Option<Arc<BlockingSession>>,
    url: String,
    closed: AtomicBool,
    readers: Readers,
    on_progress: Option<Py<PyAny>>,
}

impl Session {
    fn inner(&self, py: Python<'_>) -> PyResult<&Arc<BlockingSession>> {
        self.inner
            .as_ref()
            .ok_or_else(|| session_error(py, SessionError::Closed, None))
    }

    fn fail(&self, py: Python<'_>, e: SessionError) -> PyErr {
        if matches!(e, SessionError::Closed) {
            self.closed.store(true, Ordering::Relaxed);
        }
        session_error(py, e, None)
    }
}

#[pymethods]
impl Session {
    #[new]
    #[pyo3(signature = (
        server, *, auth="negotiate", username=None, password=None, credential=None,
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
        server: String,
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
        let options = args.session_options(py, &server)?;
        let url = options.transport.url.clone();
        let inner = py
            .detach(|| BlockingSession::connect(options))
            .map_err(|e| session_error(py, e, None))?;
        Ok(Session {
            inner: Some(Arc::new(inner)),
            url,
            closed: AtomicBool::new(false),
            readers: Readers::default(),
            on_progress,
        })
    }

    /// Runs a command to its end and returns its :class:`Result`.
    ///
    /// ``command`` is a cmdlet name, with positional arguments in ``args`` and parameters
    /// as keywords (``Identity="alice"``; ``True`` for a switch, ``False`` for
    /// ``-Confirm:$false``, a SecureString for a secret), or a :class:`Command`.
    /// A terminating error raises its :class:`ExchangeError` subclass, with what arrived
    /// before in ``partial``; non-terminating errors are in ``Result.errors``. Ctrl-C stops
    /// the command on the server.
    #[pyo3(signature = (command, /, *args, **params))]
    fn invoke(
        &self,
        py: Python<'_>,
        command: &Bound<'_, PyAny>,
        args: &Bound<'_, PyTuple>,
        params: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Py<CommandResult>> {
        let pipeline = pipeline_from(command, args, params)?;
        self.readers.check(py)?;
        collect(
            py,
            self.inner(py)?,
            &self.readers,
            pipeline,
            self.on_progress.as_ref(),
        )
    }

    /// Starts a command (same arguments as :meth:`invoke`) and returns a
    /// :class:`ResultStream` yielding its output objects as they arrive.
    #[pyo3(signature = (command, /, *args, **params))]
    fn stream(
        &self,
        py: Python<'_>,
        command: &Bound<'_, PyAny>,
        args: &Bound<'_, PyTuple>,
        params: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<ResultStream> {
        let pipeline = pipeline_from(command, args, params)?;
        self.readers.check(py)?;
        let inner = self.inner(py)?;
        let reader = self.readers.start(inner, pipeline)?;
        Ok(ResultStream::new(
            reader,
            self.on_progress.as_ref().map(|p| p.clone_ref(py)),
        ))
    }

    /// Cancels the running command from any thread: it is stopped on the server and its
    /// ``invoke()`` or stream raises CancelledError. Does nothing when nothing runs.
    fn cancel(&self) {
        if let Some(inner) = &self.inner {
            inner.cancel();
        }
    }

    /// Round trips so far: ``{"wsman": <WS-Management operations>, "http": <HTTP requests,
    /// authentication legs included>}``.
    #[getter]
    fn round_trips<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        self.readers.check(py)?;
        let inner = self.inner(py)?;
        let trips = py
            .detach(|| inner.round_trips())
            .map_err(|e| self.fail(py, e))?;
        let dict = PyDict::new(py);
        dict.set_item("wsman", trips.wsman)?;
        dict.set_item("http", trips.http)?;
        Ok(dict)
    }

    /// The endpoint URL.
    #[getter]
    fn url(&self) -> &str {
        &self.url
    }

    /// Whether the session was closed.
    #[getter]
    fn closed(&self) -> bool {
        self.closed.load(Ordering::Relaxed)
    }

    /// Deletes the shell on the server. Commands still streaming and not being read are
    /// abandoned. Later calls raise ConfigError; closing twice is allowed.
    fn close(&self, py: Python<'_>) -> PyResult<()> {
        if self.closed.swap(true, Ordering::Relaxed) {
            return Ok(());
        }
        let inner = self.inner(py)?;
        if self.readers.abandon_unread() {
            // The abandoned command may be silent for long; stop it rather than wait.
            inner.cancel();
        }
        match py.detach(|| inner.close()) {
            Ok(()) | Err(SessionError::Closed) => Ok(()),
            Err(e) => Err(session_error(py, e, None)),
        }
    }

    fn __enter__(slf: Bound<'_, Self>) -> Bound<'_, Self> {
        slf
    }

    /// Closes the session. When the block raised, a failure to close is not raised over it.
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
        format!("<Session {} {state}>", self.url)
    }
}

impl Drop for Session {
    /// Dropping the core session deletes its shell over the network: do it without holding
    /// the GIL.
    fn drop(&mut self) {
        if let Some(inner) = self.inner.take() {
            // Outside the interpreter (at exit) the closure is dropped unrun, which drops
            // the session right here.
            let _ = Python::try_attach(move |py| py.detach(move || drop(inner)));
        }
    }
}
