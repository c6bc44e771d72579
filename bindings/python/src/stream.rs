//! Reading a running command from Python: [`Pump`] moves its items to the calling thread,
//! which waits for them with the GIL released and still notices Ctrl-C; [`Readers`] keeps a
//! thread from waiting on itself; [`ResultStream`] is the iterator `Session.stream` returns.

use std::sync::mpsc::{Receiver, RecvTimeoutError, sync_channel};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::thread::ThreadId;
use std::time::Duration;

use monosync_exchange::exchange::{
    BlockingInvoke, CancelHandle, Collector, Command as CoreCommand, CommandResult as CoreResult,
    SessionError, StreamItem,
};
use monosync_exchange::psrp::messages::ProgressRecord as CoreProgressRecord;
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyList;

use crate::errors::{record_error, session_error};
use crate::records::{ErrorRecord, InformationRecord, InformationalRecord, ProgressRecord};
use crate::result::CommandResult;
use crate::values::value_to_py;

/// Items moved ahead of the Python reader.
const PUMP_BUFFER: usize = 256;
/// How often a waiting reader checks for signals (Ctrl-C) when no item arrives.
const SIGNAL_POLL: Duration = Duration::from_millis(100);

type Item = Result<StreamItem, SessionError>;

/// A thread that starts a command on a session or a pool ([`BlockingInvoke`]) and reads its
/// stream into a channel, which
/// the Python thread waits on with a timeout: a blocking read could not be interrupted by a
/// signal. Waiting for the session (another thread's command) also happens on the pump
/// thread, so Ctrl-C works there too.
pub(crate) struct Pump {
    rx: Receiver<Item>,
}

impl Pump {
    pub(crate) fn start<R: BlockingInvoke + 'static>(
        runner: Arc<R>,
        pipeline: Vec<CoreCommand>,
        cancel: CancelHandle,
    ) -> PyResult<Pump> {
        let (tx, rx) = sync_channel(PUMP_BUFFER);
        std::thread::Builder::new()
            .name("monosync-exchange-stream".into())
            .spawn(
                move || match runner.invoke_stream_cancellable(pipeline, &cancel) {
                    Err(e) => {
                        let _ = tx.send(Err(e));
                    }
                    Ok(stream) => {
                        for item in stream {
                            // A reader that went away abandons the command; dropping the stream
                            // lets the session end it (a pool's stream stops it).
                            if tx.send(item).is_err() {
                                break;
                            }
                        }
                    }
                },
            )
            .map_err(|e| PyRuntimeError::new_err(format!("cannot start a stream thread: {e}")))?;
        Ok(Pump { rx })
    }

    /// The next item, `None` at the end. Waits with the GIL released; a pending signal
    /// (KeyboardInterrupt) is raised as the error.
    pub(crate) fn next(&mut self, py: Python<'_>) -> PyResult<Option<Item>> {
        loop {
            let rx = &mut self.rx;
            match py.detach(move || rx.recv_timeout(SIGNAL_POLL)) {
                Ok(item) => return Ok(Some(item)),
                Err(RecvTimeoutError::Disconnected) => return Ok(None),
                Err(RecvTimeoutError::Timeout) => py.check_signals()?,
            }
        }
    }
}

/// A command being read by a Python thread: its pump, shared with the session's
/// [`Readers`] so that the session can tell which thread is reading and abandon unread
/// commands when it closes.
pub(crate) struct Reader {
    owner: ThreadId,
    pump: Mutex<Option<Pump>>,
    cancel: CancelHandle,
}

/// The readers of one session. A thread with a command it has not read to the end may not
/// start another on the same session: the session runs one command at a time, so the call
/// would wait for the very command the thread is supposed to read.
#[derive(Default)]
pub(crate) struct Readers {
    list: Mutex<Vec<Weak<Reader>>>,
}

impl Readers {
    fn list(&self) -> MutexGuard<'_, Vec<Weak<Reader>>> {
        self.list.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Starts `pipeline` on `runner` and registers its reader for this thread.
    pub(crate) fn start<R: BlockingInvoke + 'static>(
        &self,
        runner: &Arc<R>,
        pipeline: Vec<CoreCommand>,
    ) -> PyResult<Arc<Reader>> {
        // Each command has its own token, for a session as for a pool: cancelling it stops
        // this command, not whichever runs when the request arrives.
        let cancel = CancelHandle::default();
        let reader = Arc::new(Reader {
            owner: std::thread::current().id(),
            pump: Mutex::new(Some(Pump::start(
                Arc::clone(runner),
                pipeline,
                cancel.clone(),
            )?)),
            cancel,
        });
        let mut list = self.list();
        list.retain(|r| r.strong_count() > 0);
        list.push(Arc::downgrade(&reader));
        Ok(reader)
    }

    /// Refuses a call from a thread that has an unfinished command on this session (also
    /// from inside a progress callback, which runs while that command is read).
    pub(crate) fn check(&self, py: Python<'_>) -> PyResult<()> {
        let me = std::thread::current().id();
        let open = self.list().iter().filter_map(Weak::upgrade).any(|r| {
            r.owner == me
                && match r.pump.try_lock() {
                    Ok(pump) => pump.is_some(),
                    Err(_) => true,
                }
        });
        if open {
            return Err(session_error(py, SessionError::StreamOpen, None));
        }
        Ok(())
    }

    /// Abandons every command no thread is reading right now, so that closing the session
    /// does not wait for output nobody will read; whether there was one.
    pub(crate) fn abandon_unread(&self) -> bool {
        let mut abandoned = false;
        for reader in self.list().iter().filter_map(Weak::upgrade) {
            if let Ok(mut pump) = reader.pump.try_lock() {
                abandoned |= pump.take().is_some();
            }
        }
        abandoned
    }
}

/// Calls the session's progress callback, if any.
pub(crate) fn notify_progress(
    py: Python<'_>,
    callback: Option<&Py<PyAny>>,
    record: &CoreProgressRecord,
) -> PyResult<()> {
    if let Some(callback) = callback {
        callback.call1(py, (ProgressRecord::new(record.clone()),))?;
    }
    Ok(())
}

/// Runs a command to its end: its items are collected (progress also passed to
/// `on_progress` as it arrives). Ctrl-C cancels the command on the server.
pub(crate) fn collect<R: BlockingInvoke + 'static>(
    py: Python<'_>,
    runner: &Arc<R>,
    readers: &Readers,
    pipeline: Vec<CoreCommand>,
    on_progress: Option<&Py<PyAny>>,
) -> PyResult<Py<CommandResult>> {
    let reader = readers.start(runner, pipeline)?;
    let mut slot = reader.pump.lock().unwrap_or_else(PoisonError::into_inner);
    let Some(pump) = slot.as_mut() else {
        return Err(session_error(py, SessionError::Closed, None));
    };
    let mut collected = Collector::new();
    loop {
        let item = match pump.next(py) {
            Ok(item) => item,
            Err(interrupt) => {
                reader.cancel.cancel();
                return Err(interrupt);
            }
        };
        let Some(item) = item else {
            break;
        };
        if let Ok(StreamItem::Progress(p)) = &item {
            notify_progress(py, on_progress, p)?;
        }
        if let Err(e) = collected.feed(item) {
            // The command's own terminating error carries what came before it; any other
            // failure gets what was collected so far.
            let partial = match e {
                SessionError::Pipeline(_) => None,
                _ => Some(Py::new(
                    py,
                    CommandResult::from_core(py, collected.into_partial())?,
                )?),
            };
            return Err(session_error(py, e, partial));
        }
    }
    *slot = None;
    Py::new(py, CommandResult::from_core(py, collected.finish())?)
}

/// The output of a running command, as an iterator: each ``next()`` returns the next output
/// object as it arrives from the server, so large results never sit in memory whole.
///
/// Records of the other streams are kept on the stream (``errors``, ``warnings``, ...);
/// progress also goes to the session's ``on_progress``. A command that fails raises its
/// exception from ``next()``. The session runs nothing else until the stream is read to its
/// end or closed; a call on the session from the thread reading it raises ConfigError.
#[pyclass(frozen, module = "monosync_exchange", name = "ResultStream")]
pub(crate) struct ResultStream {
    reader: Arc<Reader>,
    state: Mutex<Option<&'static str>>,
    records: Mutex<CoreResult>,
    on_progress: Option<Py<PyAny>>,
}

impl ResultStream {
    pub(crate) fn new(reader: Arc<Reader>, on_progress: Option<Py<PyAny>>) -> Self {
        ResultStream {
            reader,
            state: Mutex::new(None),
            records: Mutex::new(CoreResult::default()),
            on_progress,
        }
    }

    fn set_state(&self, state: &'static str) {
        *self.state.lock().unwrap_or_else(PoisonError::into_inner) = Some(state);
    }

    fn records(&self) -> std::sync::MutexGuard<'_, CoreResult> {
        self.records.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The records so far, as a result without output.
    fn snapshot(&self, py: Python<'_>) -> PyResult<Py<CommandResult>> {
        let mut copy = self.records().clone();
        copy.output.clear();
        Py::new(py, CommandResult::from_core(py, copy)?)
    }

    fn list<'py, T: Clone, U: IntoPyObject<'py>>(
        &self,
        py: Python<'py>,
        pick: impl Fn(&CoreResult) -> &Vec<T>,
        wrap: impl Fn(T) -> U,
    ) -> PyResult<Bound<'py, PyList>> {
        let items: Vec<T> = pick(&self.records()).clone();
        let list = PyList::empty(py);
        for item in items {
            list.append(wrap(item))?;
        }
        Ok(list)
    }
}

#[pymethods]
impl ResultStream {
    fn __iter__(slf: Bound<'_, Self>) -> Bound<'_, Self> {
        slf
    }

    fn __next__<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        let Ok(mut slot) = self.reader.pump.try_lock() else {
            return Err(PyValueError::new_err(
                "this ResultStream is being read by another thread",
            ));
        };
        loop {
            let Some(pump) = slot.as_mut() else {
                return Ok(None);
            };
            let item = match pump.next(py) {
                Ok(item) => item,
                Err(interrupt) => {
                    *slot = None;
                    self.reader.cancel.cancel();
                    return Err(interrupt);
                }
            };
            match item {
                None => {
                    *slot = None;
                    self.set_state("Completed");
                    return Ok(None);
                }
                Some(Ok(StreamItem::Output(value))) => return value_to_py(py, &value).map(Some),
                Some(Ok(item)) => {
                    if let StreamItem::Progress(p) = &item {
                        notify_progress(py, self.on_progress.as_ref(), p)?;
                    }
                    self.records().push(item);
                }
                Some(Err(e)) => {
                    *slot = None;
                    if let SessionError::Pipeline(failure) = &e {
                        self.set_state(failure.state.name());
                        self.records().state = Some(failure.state);
                    }
                    return Err(session_error(py, e, Some(self.snapshot(py)?)));
                }
            }
        }
    }

    /// Stops reading: the command is abandoned, and the session stops and ends it on the
    /// server before its next operation (a pool's stream stops it at once and closes its
    /// session). Records read so far stay available.
    fn close(&self) -> PyResult<()> {
        let Ok(mut slot) = self.reader.pump.try_lock() else {
            return Err(PyValueError::new_err(
                "this ResultStream is being read by another thread",
            ));
        };
        *slot = None;
        Ok(())
    }

    /// Stops the command from any thread; ``next()`` then raises CancelledError. A session's
    /// stream sends the stop signal and waits for the server to confirm; a pool's ends at the
    /// command's next output and closes its session. Does nothing once the command ended.
    fn cancel(&self) {
        self.reader.cancel.cancel();
    }

    /// ``"Completed"``, ``"Failed"`` or ``"Stopped"`` once the command ended, else ``None``.
    #[getter]
    fn state(&self) -> Option<&'static str> {
        *self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Non-terminating errors so far (:class:`ErrorRecord`).
    #[getter]
    fn errors<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        self.list(py, |r| &r.errors, ErrorRecord::classified)
    }

    /// Warnings so far.
    #[getter]
    fn warnings<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        self.list(
            py,
            |r| &r.warnings,
            |w| InformationalRecord::new(w, "warning"),
        )
    }

    /// Verbose records so far.
    #[getter]
    fn verbose<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        self.list(
            py,
            |r| &r.verbose,
            |w| InformationalRecord::new(w, "verbose"),
        )
    }

    /// Debug records so far.
    #[getter]
    fn debug<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        self.list(py, |r| &r.debug, |w| InformationalRecord::new(w, "debug"))
    }

    /// Information records so far.
    #[getter]
    fn information<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        self.list(py, |r| &r.information, InformationRecord::new)
    }

    /// Progress records so far.
    #[getter]
    fn progress<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        self.list(py, |r| &r.progress, ProgressRecord::new)
    }

    /// Raises the first non-terminating error so far as its exception; returns ``None``
    /// when there is none.
    fn raise_for_errors(&self, py: Python<'_>) -> PyResult<()> {
        let first = self.records().errors.first().cloned();
        match first {
            None => Ok(()),
            Some(record) => Err(record_error(py, &record, Some(self.snapshot(py)?))),
        }
    }

    fn __repr__(&self) -> String {
        let records = self.records();
        format!(
            "<ResultStream state={} errors={} warnings={}>",
            self.state().unwrap_or("running"),
            records.errors.len(),
            records.warnings.len()
        )
    }
}
