//! [`Pool::invoke_stream`]: one command's items as they arrive, from a session checked out of
//! the pool for the life of the stream.
//!
//! A runspace runs one pipeline at a time ([MS-PSRP] 3.1.4.3), so the stream keeps its session
//! until the command ends. A task on the caller's runtime drives the command and hands the
//! items over a bounded channel, so the reader may sit on another thread and a slow reader
//! holds back the Receives instead of filling memory.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use tokio::sync::mpsc;

use super::{Delivery, Forward, Inner, Pool, retry_kind};
use crate::command::invocation::Invocation;
use crate::command::result::StreamItem;
use crate::error::SessionError;
use crate::exchange::cancel::CancelHandle;
use crate::exchange::pool::retry::{self, Decision};

/// How many items the stream buffers ahead of its reader: enough to keep one Receive response
/// in flight while the reader works, little enough to bound memory.
const STREAM_BUFFER: usize = 256;

/// How long a command that was cancelled, or whose reader went away, may stay silent before
/// it is stopped on the server: until its next output, which ends the stream there and
/// deletes the shell (which ends the command) without draining what the server still holds.
pub const READER_GONE_GRACE: std::time::Duration = std::time::Duration::from_secs(2);

type Item = Result<StreamItem, SessionError>;

impl Pool {
    /// Starts a command on a free session (waiting for one in arrival order) and returns its
    /// items as they arrive, as [`super::Session::invoke_stream`] does. The session stays
    /// with the stream until the command ends, then goes back to the pool.
    ///
    /// Waiting for the session and starting the command happen in the background: their
    /// failures come as the stream's first item. Until a first item was delivered, a failure
    /// is retried as [`Pool::invoke`] retries it (reads on retryable errors, any command
    /// that surely never reached the server); a command that changes state and was cut off
    /// after it was sent gives [`SessionError::OutcomeUnknown`]. Once items were delivered a
    /// failure ends the stream; a state change then also reports
    /// [`SessionError::OutcomeUnknown`].
    ///
    /// [`PoolStream::cancel`], or dropping the stream before its end, ends it at the command's
    /// next output; the session it ran on is then closed rather than reused (the shell's
    /// deletion ends the command on the server), and the pool opens a new one when it needs
    /// it. Fails at once only when the pool is closed.
    pub async fn invoke_stream(
        &self,
        invocation: impl Into<Invocation>,
    ) -> Result<PoolStream, SessionError> {
        self.start_stream(invocation.into(), None)
    }

    /// [`Pool::invoke_stream`] that `cancel` also stops, as [`PoolStream::cancel`] does: for
    /// hosts that hold a cancel token before the stream exists. The stream never cancels
    /// `cancel` itself, so one token may serve several calls.
    pub async fn invoke_stream_cancellable(
        &self,
        invocation: impl Into<Invocation>,
        cancel: &CancelHandle,
    ) -> Result<PoolStream, SessionError> {
        self.start_stream(invocation.into(), Some(cancel))
    }

    fn start_stream(
        &self,
        invocation: Invocation,
        external: Option<&CancelHandle>,
    ) -> Result<PoolStream, SessionError> {
        if self.is_closed() {
            return Err(SessionError::Closed);
        }
        let (tx, rx) = mpsc::channel(STREAM_BUFFER);
        let cancel = CancelHandle::default();
        tokio::spawn(feed(
            Arc::clone(&self.inner),
            invocation,
            tx,
            cancel.clone(),
        ));
        let _forward = external.map(|from| Forward::start(from, cancel.clone()));
        Ok(PoolStream {
            rx,
            cancel,
            _forward,
            ended: false,
        })
    }
}

/// The items of one command started by [`Pool::invoke_stream`]. A failed command ends with
/// one `Err` item, as [`super::InvokeStream::next`] does. `Send`, so it may be read on another
/// task than the one that started it. Dropped before its end, it leaves the pool to delete
/// its session's shell once the Receive in flight returned (or to stop the command, when it
/// stays silent for [`READER_GONE_GRACE`]).
#[derive(Debug)]
pub struct PoolStream {
    rx: mpsc::Receiver<Item>,
    cancel: CancelHandle,
    /// The caller's own token, passed on for as long as the stream lives.
    _forward: Option<Forward>,
    /// Whether the stream already ended with an `Err` item.
    ended: bool,
}

impl PoolStream {
    /// The next item; `None` after the command completed. After a cancel, items still
    /// buffered are skipped and the stream ends with [`SessionError::Cancelled`], even when
    /// the command completed before the stop took effect: a reader that asked to stop never
    /// sees a clean end.
    pub async fn next(&mut self) -> Option<Result<StreamItem, SessionError>> {
        loop {
            match self.rx.recv().await {
                Some(Ok(_)) if self.cancel.is_cancelled() => continue,
                Some(Err(e)) => {
                    self.ended = true;
                    return Some(Err(e));
                }
                Some(item) => return Some(item),
                None if !self.ended && self.cancel.is_cancelled() => {
                    self.ended = true;
                    return Some(Err(SessionError::Cancelled));
                }
                None => return None,
            }
        }
    }

    /// A handle that cancels this stream's command from any task or thread; see
    /// [`PoolStream::cancel`].
    pub fn cancel_handle(&self) -> CancelHandle {
        self.cancel.clone()
    }

    /// Stops the command: while it waits for a session it gives up at once; once it runs, the
    /// stream ends with [`SessionError::Cancelled`] at the command's next output, and the
    /// session is closed (deleting the shell ends the command on the server). A command
    /// silent for [`READER_GONE_GRACE`] gets the PowerShell stop signal ([MS-PSRP]
    /// 3.1.5.3.8) first.
    pub fn cancel(&self) {
        self.cancel.cancel();
    }
}

/// Drives one streamed command: takes a session, starts the command, forwards its items, and
/// retries or reports a failure; then gives the session back, or closes it when the stream
/// was cancelled or broke.
async fn feed(
    inner: Arc<Inner>,
    invocation: Invocation,
    tx: mpsc::Sender<Item>,
    cancel: CancelHandle,
) {
    let read_only = retry::is_read_only(&invocation);
    let policy = inner.options.retry.clone();
    let mut attempt = 0u32;
    loop {
        attempt = attempt.saturating_add(1);
        let mut delivered = false;
        let (error, delivery) = match inner.acquire_unless(Some(&cancel)).await {
            Err(e @ (SessionError::Timeout(_) | SessionError::Cancelled)) => {
                let _ = tx.send(Err(e)).await;
                return;
            }
            Err(e) => (e, Delivery::NotSent),
            Ok(mut lease) => {
                let mut reader_gone = false;
                let outcome = lease
                    .with_stream(invocation.clone(), async |mut stream, session_cancel| {
                        // The stream stops at its next item and its shell is deleted; a
                        // command that stays silent is stopped on the server after a grace.
                        let requested = cancel.clone();
                        let _forward = Forward::when(
                            async move {
                                requested.cancelled().await;
                                tokio::time::sleep(READER_GONE_GRACE).await;
                            },
                            session_cancel.clone(),
                        );
                        let closed = tx.clone();
                        let _watch = Forward::when(
                            async move {
                                closed.closed().await;
                                tokio::time::sleep(READER_GONE_GRACE).await;
                            },
                            session_cancel,
                        );
                        while let Some(item) = stream.next().await {
                            if cancel.is_cancelled() {
                                return Err((SessionError::Cancelled, Delivery::Unknown));
                            }
                            match item {
                                Ok(item) => {
                                    if tx.send(Ok(item)).await.is_err() {
                                        // Dropped between two Receives: deleting the shell
                                        // ends the command, without draining its output.
                                        reader_gone = true;
                                        return Err((SessionError::Cancelled, Delivery::Unknown));
                                    }
                                    delivered = true;
                                }
                                Err(e @ SessionError::Pipeline(_)) => {
                                    return Err((e, Delivery::Answered));
                                }
                                Err(e) => return Err((e, Delivery::Unknown)),
                            }
                        }
                        Ok(())
                    })
                    .await;
                match outcome {
                    Ok(()) => {
                        lease.give_back().await;
                        return;
                    }
                    Err((e, delivery)) => {
                        let stopped = reader_gone
                            || (cancel.is_cancelled() && delivery != Delivery::Answered);
                        if stopped {
                            lease.discard();
                        } else {
                            lease.after_failure(&e, delivery);
                        }
                        if reader_gone {
                            return;
                        }
                        (e, delivery)
                    }
                }
            }
        };
        let kind = retry_kind(&error, delivery);
        // Items already delivered cannot be taken back: no second attempt then.
        let attempt_no = if delivered { u32::MAX } else { attempt };
        let decision = if cancel.is_cancelled() {
            Decision::Fail
        } else {
            retry::decide(&policy, kind, delivery, read_only, attempt_no)
        };
        match decision {
            Decision::Retry if !lock_closed(&inner) => {
                inner.counters.retries.fetch_add(1, Ordering::Relaxed);
                let wait = policy.delay(&error, attempt, &mut rand::thread_rng());
                tracing::debug!(%error, ?wait, attempt, "retrying the streamed command");
                tokio::select! {
                    biased;
                    () = cancel.cancelled() => {
                        let _ = tx.send(Err(SessionError::Cancelled)).await;
                        return;
                    }
                    () = tokio::time::sleep(wait) => {}
                }
            }
            Decision::OutcomeUnknown => {
                let _ = tx
                    .send(Err(SessionError::OutcomeUnknown(Box::new(error))))
                    .await;
                return;
            }
            Decision::Retry | Decision::Fail => {
                let _ = tx.send(Err(error)).await;
                return;
            }
        }
    }
}

fn lock_closed(inner: &Inner) -> bool {
    super::lock(&inner.state).closed
}
