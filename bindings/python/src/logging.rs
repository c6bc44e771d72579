//! Log records to a Python callable: a `tracing` layer queues each event, and one
//! dispatcher thread hands them to the callable while attached to the interpreter.
//!
//! Events come from the I/O runtime's threads, which must never wait for the GIL: a Python
//! thread holding it may itself be waiting for that I/O. So the layer only queues (dropping,
//! and counting, what does not fit), and the dispatcher does the calling. The core logs no
//! passwords, tokens or tickets, so nothing secret reaches the callable.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Mutex, OnceLock, PoisonError};

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use tracing::field::{Field, Visit};
use tracing::subscriber::Interest;
use tracing::{Event, Level, Metadata, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt as _};

/// Records waiting for the dispatcher; more are dropped and counted.
const QUEUE: usize = 4096;

/// The most verbose level forwarded: 0 off, 1 error ... 5 trace.
static MAX_LEVEL: AtomicU8 = AtomicU8::new(0);
static DROPPED: AtomicU64 = AtomicU64::new(0);
static HANDLER: Mutex<Option<Py<PyAny>>> = Mutex::new(None);
static QUEUE_TX: OnceLock<Result<SyncSender<LogItem>, String>> = OnceLock::new();

fn rank(level: &Level) -> u8 {
    match *level {
        Level::ERROR => 1,
        Level::WARN => 2,
        Level::INFO => 3,
        Level::DEBUG => 4,
        Level::TRACE => 5,
    }
}

fn parse_level(name: &str) -> Option<u8> {
    match name.to_ascii_lowercase().as_str() {
        "error" => Some(1),
        "warn" | "warning" => Some(2),
        "info" => Some(3),
        "debug" => Some(4),
        "trace" => Some(5),
        _ => None,
    }
}

/// One event, formatted.
struct LogItem {
    level: u8,
    target: String,
    message: String,
}

/// Collects an event's message and its other fields as `name=value`.
#[derive(Default)]
struct Text {
    message: String,
    fields: String,
}

impl Visit for Text {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message.push_str(value);
        } else {
            let _ = write!(self.fields, " {}={}", field.name(), value);
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.message, "{value:?}");
        } else {
            let _ = write!(self.fields, " {}={:?}", field.name(), value);
        }
    }
}

struct PythonLayer {
    tx: SyncSender<LogItem>,
}

impl<S: Subscriber> Layer<S> for PythonLayer {
    fn register_callsite(&self, _metadata: &'static Metadata<'static>) -> Interest {
        // The level changes at run time, so every callsite is asked each time.
        Interest::sometimes()
    }

    fn enabled(&self, metadata: &Metadata<'_>, _ctx: Context<'_, S>) -> bool {
        metadata.is_event() && rank(metadata.level()) <= MAX_LEVEL.load(Ordering::Relaxed)
    }

    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let mut text = Text::default();
        event.record(&mut text);
        let item = LogItem {
            level: rank(event.metadata().level()),
            target: event.metadata().target().to_owned(),
            message: text.message + &text.fields,
        };
        if let Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) = self.tx.try_send(item) {
            DROPPED.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// A log record passed to the handler given to :func:`set_log_handler`.
#[pyclass(frozen, module = "monosync_exchange", name = "LogRecord")]
pub(crate) struct LogRecord {
    level: u8,
    target: String,
    message: String,
}

#[pymethods]
impl LogRecord {
    /// ``"error"``, ``"warning"``, ``"info"``, ``"debug"`` or ``"trace"``.
    #[getter]
    fn level(&self) -> &'static str {
        match self.level {
            1 => "error",
            2 => "warning",
            3 => "info",
            4 => "debug",
            _ => "trace",
        }
    }

    /// The level as a :mod:`logging` number (ERROR 40 ... DEBUG 10, trace 5).
    #[getter]
    fn levelno(&self) -> u8 {
        match self.level {
            1 => 40,
            2 => 30,
            3 => 20,
            4 => 10,
            _ => 5,
        }
    }

    /// The Rust module that logged (``monosync_exchange::transport::client``).
    #[getter]
    fn target(&self) -> &str {
        &self.target
    }

    /// The text, followed by the event's fields as ``name=value``.
    #[getter]
    fn message(&self) -> &str {
        &self.message
    }

    fn __repr__(&self) -> String {
        format!(
            "<LogRecord {} {} {:?}>",
            self.level(),
            self.target,
            self.message
        )
    }
}

fn deliver(py: Python<'_>, item: LogItem) {
    let handler = HANDLER
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .as_ref()
        .map(|h| h.clone_ref(py));
    let Some(handler) = handler else {
        return;
    };
    let record = LogRecord {
        level: item.level,
        target: item.target,
        message: item.message,
    };
    if let Err(e) = handler.call1(py, (record,)) {
        e.write_unraisable(py, Some(handler.bind(py)));
    }
}

fn dispatch(rx: Receiver<LogItem>) {
    while let Ok(item) = rx.recv() {
        let dropped = DROPPED.swap(0, Ordering::Relaxed);
        let attached = Python::try_attach(|py| {
            if dropped > 0 {
                deliver(
                    py,
                    LogItem {
                        level: 2,
                        target: "monosync_exchange".to_owned(),
                        message: format!(
                            "{dropped} log records were dropped: the handler was too slow"
                        ),
                    },
                );
            }
            deliver(py, item);
        });
        if attached.is_none() {
            // The interpreter is shutting down: nothing can receive records any more.
            return;
        }
    }
}

/// Installs the layer and starts the dispatcher, once per process.
fn install() -> PyResult<()> {
    let tx = QUEUE_TX.get_or_init(|| {
        let (tx, rx) = sync_channel(QUEUE);
        std::thread::Builder::new()
            .name("monosync-exchange-log".into())
            .spawn(move || dispatch(rx))
            .map_err(|e| format!("cannot start the log thread: {e}"))?;
        let subscriber = tracing_subscriber::registry().with(PythonLayer { tx: tx.clone() });
        tracing::subscriber::set_global_default(subscriber)
            .map_err(|e| format!("cannot install the log layer: {e}"))?;
        Ok(tx)
    });
    match tx {
        Ok(_) => Ok(()),
        Err(e) => Err(pyo3::exceptions::PyRuntimeError::new_err(e.clone())),
    }
}

/// Sends the library's log records at ``level`` or above (``"error"``, ``"warning"``,
/// ``"info"``, ``"debug"``, ``"trace"``) to ``handler``, a callable taking a
/// :class:`LogRecord`; ``None`` stops forwarding. The handler runs on a dedicated thread,
/// so it must be thread-safe; records it cannot keep up with are dropped and counted in a
/// warning record. :func:`log_to_logging` wires this to the :mod:`logging` module.
#[pyfunction]
#[pyo3(signature = (handler, level="info"))]
pub(crate) fn set_log_handler(handler: Option<Py<PyAny>>, level: &str) -> PyResult<()> {
    let rank = parse_level(level).ok_or_else(|| {
        PyValueError::new_err(format!(
            "level={level:?}: expected error, warning, info, debug or trace"
        ))
    })?;
    let enabled = handler.is_some();
    if enabled {
        install()?;
    }
    *HANDLER.lock().unwrap_or_else(PoisonError::into_inner) = handler;
    MAX_LEVEL.store(if enabled { rank } else { 0 }, Ordering::Relaxed);
    tracing::callsite::rebuild_interest_cache();
    Ok(())
}
