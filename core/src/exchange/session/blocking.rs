//! A blocking, thread-safe face of [`Session`] for hosts without an async runtime: the C ABI
//! and the Python and .NET bindings.
//!
//! Every [`BlockingSession`] runs its I/O on one process-wide tokio runtime, so a host with
//! many sessions does not get a thread pool per session. A handle may be shared between
//! threads: its calls are serialized (a session runs one pipeline at a time), while different
//! handles run in parallel. [`BlockingSession::cancel_handle`] works from any thread without
//! waiting for the running call.

use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::thread::ThreadId;

use tokio::runtime::{Handle, Runtime};
use tokio::sync::{OwnedMutexGuard, mpsc};

use crate::command::invocation::Invocation;
use crate::command::result::{CommandResult, RoundTrips, StreamItem};
use crate::error::SessionError;
use crate::exchange::cancel::CancelHandle;
#[cfg(doc)]
use crate::exchange::invoke::BlockingInvoke;
use crate::exchange::invoke::Invoke;
use crate::exchange::options::SessionOptions;
use crate::exchange::session::Session;
use crate::transport::TransportError;

/// How many items a [`BlockingStream`] buffers ahead of its reader: enough to keep one
/// Receive response in flight while the reader works, little enough to bound memory.
const STREAM_BUFFER: usize = 256;

type Shared = Arc<tokio::sync::Mutex<Option<Session>>>;

/// The runtime every blocking session shares, started on first use.
fn runtime() -> Result<&'static Runtime, SessionError> {
    static RUNTIME: OnceLock<Result<Runtime, String>> = OnceLock::new();
    let built = RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("monosync-exchange-io")
            .enable_all()
            .build()
            .map_err(|e| e.to_string())
    });
    match built {
        Ok(runtime) => Ok(runtime),
        Err(e) => Err(SessionError::Transport(TransportError::Io(format!(
            "cannot start the I/O runtime: {e}"
        )))),
    }
}

/// The runtime, refusing callers that are themselves inside an async runtime: blocking
/// there would stall (or, in tokio, abort) the caller's executor. They should use
/// [`Session`] directly.
pub(crate) fn blocking_runtime() -> Result<&'static Runtime, SessionError> {
    if Handle::try_current().is_ok() {
        return Err(SessionError::InAsyncContext);
    }
    runtime()
}

/// A [`Session`] behind a blocking, `Send + Sync` API.
#[derive(Debug)]
pub struct BlockingSession {
    inner: Shared,
    cancel: CancelHandle,
    /// The thread that opened a [`BlockingStream`] not yet finished or dropped: another call
    /// from that thread would wait for the stream it is itself supposed to read.
    streaming_thread: Arc<Mutex<Option<ThreadId>>>,
}

impl BlockingSession {
    /// Connects and opens the runspace pool; see [`Session::connect`].
    pub fn connect(options: SessionOptions) -> Result<BlockingSession, SessionError> {
        let session = blocking_runtime()?.block_on(Session::connect(options))?;
        Ok(BlockingSession {
            cancel: session.cancel_handle(),
            inner: Arc::new(tokio::sync::Mutex::new(Some(session))),
            streaming_thread: Arc::new(Mutex::new(None)),
        })
    }

    /// Runs a command to its end; see [`Session::invoke`]. Waits for any call already
    /// running on this handle. [`BlockingInvoke::invoke_cancellable`] takes a cancel handle.
    pub fn invoke(&self, invocation: impl Into<Invocation>) -> Result<CommandResult, SessionError> {
        self.run(invocation.into(), None)
    }

    /// Starts a command and returns an iterator over its items as they arrive; see
    /// [`Session::invoke_stream`]. The handle's other calls wait until the stream is read
    /// to its end or dropped; a call from the thread holding the open stream fails with
    /// [`SessionError::StreamOpen`] instead of waiting for itself.
    /// [`BlockingInvoke::invoke_stream_cancellable`] takes a cancel handle.
    pub fn invoke_stream(
        &self,
        invocation: impl Into<Invocation>,
    ) -> Result<BlockingStream, SessionError> {
        self.start_stream(invocation.into(), None)
    }

    /// [`BlockingSession::invoke`], stopped by `cancel` when given ([`BlockingInvoke`]).
    pub(crate) fn run(
        &self,
        invocation: Invocation,
        cancel: Option<&CancelHandle>,
    ) -> Result<CommandResult, SessionError> {
        let mut guard = self.lock()?;
        let session = guard.as_mut().ok_or(SessionError::Closed)?;
        blocking_runtime()?.block_on(Invoke::invoke_with(session, invocation, cancel))
    }

    /// [`BlockingSession::invoke_stream`], stopped by `cancel` when given
    /// ([`BlockingInvoke`]).
    pub(crate) fn start_stream(
        &self,
        invocation: Invocation,
        cancel: Option<&CancelHandle>,
    ) -> Result<BlockingStream, SessionError> {
        let guard = self.lock()?;
        if guard.is_none() {
            return Err(SessionError::Closed);
        }
        *self
            .streaming_thread
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(std::thread::current().id());
        let (tx, rx) = mpsc::channel(STREAM_BUFFER);
        runtime()?.spawn(feed_stream(guard, invocation, cancel.cloned(), tx));
        Ok(BlockingStream {
            rx,
            owner: std::thread::current().id(),
            streaming_thread: Arc::clone(&self.streaming_thread),
            cancel: self.cancel.clone(),
            ended: false,
        })
    }

    /// A handle that cancels the running command from any thread.
    pub fn cancel_handle(&self) -> CancelHandle {
        self.cancel.clone()
    }

    /// Cancels the running command, if any; see [`CancelHandle::cancel`].
    pub fn cancel(&self) {
        self.cancel.cancel();
    }

    /// The round trips made so far.
    pub fn round_trips(&self) -> Result<RoundTrips, SessionError> {
        let guard = self.lock()?;
        Ok(guard
            .as_ref()
            .map_or(RoundTrips::default(), Session::round_trips))
    }

    /// Deletes the shell; see [`Session::close`]. Later calls fail with
    /// [`SessionError::Closed`].
    pub fn close(&self) -> Result<(), SessionError> {
        let session = self.lock()?.take().ok_or(SessionError::Closed)?;
        blocking_runtime()?.block_on(session.close())
    }

    /// Waits for the handle's running call, if any, and takes the session.
    fn lock(&self) -> Result<OwnedMutexGuard<Option<Session>>, SessionError> {
        let owner = *self
            .streaming_thread
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if owner == Some(std::thread::current().id()) {
            return Err(SessionError::StreamOpen);
        }
        Ok(blocking_runtime()?.block_on(Arc::clone(&self.inner).lock_owned()))
    }
}

impl Drop for BlockingSession {
    /// Deletes the shell, as dropping a [`Session`] does. Inside an async runtime, or while
    /// a stream still holds the session, the deletion happens in the background instead.
    fn drop(&mut self) {
        let Ok(mut guard) = self.inner.try_lock() else {
            // A stream task holds the session; it drops it when done, inside the runtime,
            // where dropping a Session deletes its shell.
            return;
        };
        let Some(session) = guard.take() else {
            return;
        };
        drop(guard);
        match blocking_runtime() {
            Ok(runtime) => {
                if let Err(e) = runtime.block_on(session.close()) {
                    tracing::warn!(error = %e, "deleting the shell of a dropped session failed");
                }
            }
            Err(_) => drop(session),
        }
    }
}

/// Runs one command on the runtime and forwards its items to the reader, holding the
/// session for as long as the command runs.
async fn feed_stream(
    mut guard: OwnedMutexGuard<Option<Session>>,
    invocation: Invocation,
    cancel: Option<CancelHandle>,
    tx: mpsc::Sender<Result<StreamItem, SessionError>>,
) {
    let Some(session) = guard.as_mut() else {
        let _ = tx.send(Err(SessionError::Closed)).await;
        return;
    };
    match Invoke::invoke_stream_with(session, invocation, cancel.as_ref()).await {
        Err(e) => {
            let _ = tx.send(Err(e)).await;
        }
        Ok(mut stream) => {
            while let Some(item) = stream.next().await {
                // A reader that went away abandons the command; the session stops and
                // ends it before its next operation.
                if tx.send(item).await.is_err() {
                    break;
                }
            }
        }
    }
}

/// The items of one command started by [`BlockingSession::invoke_stream`], as an iterator.
/// A failed command ends with one `Err` item, as [`crate::exchange::InvokeStream::next`] does.
///
/// A cancel requested while the reader still has items to take ends the stream with
/// [`SessionError::Cancelled`], even when the command finished on the server first and its
/// last items were already buffered: a reader that asked to stop never sees a clean end.
#[derive(Debug)]
pub struct BlockingStream {
    rx: mpsc::Receiver<Result<StreamItem, SessionError>>,
    owner: ThreadId,
    streaming_thread: Arc<Mutex<Option<ThreadId>>>,
    cancel: CancelHandle,
    /// Whether the stream already ended with an `Err` item.
    ended: bool,
}

impl BlockingStream {
    /// Lets the opening thread use the handle again (unless a newer stream took it over).
    fn release(&self) {
        let mut current = self
            .streaming_thread
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if *current == Some(self.owner) {
            *current = None;
        }
    }
}

impl Iterator for BlockingStream {
    type Item = Result<StreamItem, SessionError>;

    fn next(&mut self) -> Option<Self::Item> {
        if Handle::try_current().is_ok() {
            self.release();
            return Some(Err(SessionError::InAsyncContext));
        }
        match self.rx.blocking_recv() {
            None => {
                self.release();
                if !self.ended && self.cancel.is_cancelled() {
                    self.ended = true;
                    return Some(Err(SessionError::Cancelled));
                }
                None
            }
            Some(Err(e)) => {
                self.ended = true;
                Some(Err(e))
            }
            item => item,
        }
    }
}

impl Drop for BlockingStream {
    fn drop(&mut self) {
        self.release();
    }
}
