//! One way to run commands on a [`Session`] or a [`Pool`] ([`Invoke`]), and on their
//! blocking forms ([`BlockingInvoke`]): run to the end and collect ([`super::Collector`]),
//! or stream the items as they arrive; either stopped by a [`CancelHandle`] given to the
//! call.
//!
//! ```no_run
//! use monosync_exchange::exchange::{
//!     CancelHandle, Command, Invoke, ItemStream, SessionError, StreamItem,
//! };
//!
//! // The same code serves a session and a pool.
//! async fn mailboxes(on: &mut impl Invoke, cancel: &CancelHandle) -> Result<usize, SessionError> {
//!     let found = on
//!         .invoke_cancellable(Command::new("Get-Mailbox").param("ResultSize", "10"), cancel)
//!         .await?;
//!     let mut stream = on.invoke_stream(Command::new("Get-Mailbox")).await?;
//!     let mut streamed = 0;
//!     while let Some(item) = stream.next().await {
//!         if let StreamItem::Output(_) = item? {
//!             streamed += 1;
//!         }
//!     }
//!     Ok(found.output.len() + streamed)
//! }
//! ```

use std::future::Future;

use super::cancel::CancelHandle;
use super::collect::Collector;
use super::error::SessionError;
use super::invocation::Invocation;
use super::pool::blocking::{BlockingPool, BlockingPoolStream};
use super::pool::{Pool, PoolStream};
use super::result::{CommandResult, StreamItem};
use super::session::blocking::{BlockingSession, BlockingStream};
use super::session::{InvokeStream, Session};

/// The items of one running command, read one at a time: [`InvokeStream`], [`PoolStream`].
pub trait ItemStream: Send {
    /// The next item; `None` after the command completed. A failed command ends the stream
    /// with one `Err` item.
    fn next(&mut self) -> impl Future<Output = Option<Result<StreamItem, SessionError>>> + Send;
}

impl ItemStream for InvokeStream<'_> {
    fn next(&mut self) -> impl Future<Output = Option<Result<StreamItem, SessionError>>> + Send {
        InvokeStream::next(self)
    }
}

impl ItemStream for PoolStream {
    fn next(&mut self) -> impl Future<Output = Option<Result<StreamItem, SessionError>>> + Send {
        PoolStream::next(self)
    }
}

/// What runs commands: a [`Session`] (one command at a time) or a [`Pool`] (one per session
/// it holds).
///
/// `cancel`, when given, stops the call once it is requested: a call that waits (for a pool's
/// session) gives up at once, a running command is stopped on the server, and the call (or
/// the stream) fails with [`SessionError::Cancelled`]. A call started with a requested handle
/// fails at once. The handle stays requested; use a new one for the next call.
pub trait Invoke: Send {
    /// The items of one command started by [`Invoke::invoke_stream`].
    type Stream<'a>: ItemStream + 'a
    where
        Self: 'a;

    /// Runs a command to its end and collects what it produced ([`Session::invoke`],
    /// [`Pool::invoke`]).
    fn invoke_with(
        &mut self,
        invocation: Invocation,
        cancel: Option<&CancelHandle>,
    ) -> impl Future<Output = Result<CommandResult, SessionError>> + Send;

    /// Starts a command and returns its items as they arrive ([`Session::invoke_stream`],
    /// [`Pool::invoke_stream`]).
    fn invoke_stream_with(
        &mut self,
        invocation: Invocation,
        cancel: Option<&CancelHandle>,
    ) -> impl Future<Output = Result<Self::Stream<'_>, SessionError>> + Send;

    /// Runs a command to its end and collects what it produced.
    fn invoke(
        &mut self,
        invocation: impl Into<Invocation>,
    ) -> impl Future<Output = Result<CommandResult, SessionError>> + Send {
        self.invoke_with(invocation.into(), None)
    }

    /// [`Invoke::invoke`] that `cancel` stops.
    fn invoke_cancellable(
        &mut self,
        invocation: impl Into<Invocation>,
        cancel: &CancelHandle,
    ) -> impl Future<Output = Result<CommandResult, SessionError>> + Send {
        self.invoke_with(invocation.into(), Some(cancel))
    }

    /// Starts a command and returns its items as they arrive.
    fn invoke_stream(
        &mut self,
        invocation: impl Into<Invocation>,
    ) -> impl Future<Output = Result<Self::Stream<'_>, SessionError>> + Send {
        self.invoke_stream_with(invocation.into(), None)
    }

    /// [`Invoke::invoke_stream`] that `cancel` stops.
    fn invoke_stream_cancellable(
        &mut self,
        invocation: impl Into<Invocation>,
        cancel: &CancelHandle,
    ) -> impl Future<Output = Result<Self::Stream<'_>, SessionError>> + Send {
        self.invoke_stream_with(invocation.into(), Some(cancel))
    }
}

impl Invoke for Session {
    type Stream<'a> = InvokeStream<'a>;

    async fn invoke_with(
        &mut self,
        invocation: Invocation,
        cancel: Option<&CancelHandle>,
    ) -> Result<CommandResult, SessionError> {
        let stream = self.invoke_stream_with(invocation, cancel).await?;
        Collector::collect_stream(stream).await
    }

    /// The session's own handle follows `cancel` for this command: it is linked once the
    /// command started (the start forgets earlier requests), and a request made meanwhile
    /// stops the command at its first Receive.
    async fn invoke_stream_with(
        &mut self,
        invocation: Invocation,
        cancel: Option<&CancelHandle>,
    ) -> Result<InvokeStream<'_>, SessionError> {
        if cancel.is_some_and(CancelHandle::is_cancelled) {
            return Err(SessionError::Cancelled);
        }
        let own = self.cancel_handle();
        let stream = Session::invoke_stream(self, invocation).await?;
        if let Some(cancel) = cancel {
            own.link(cancel);
        }
        Ok(stream)
    }
}

impl Invoke for Pool {
    type Stream<'a> = PoolStream;

    fn invoke_with(
        &mut self,
        invocation: Invocation,
        cancel: Option<&CancelHandle>,
    ) -> impl Future<Output = Result<CommandResult, SessionError>> + Send {
        let pool: &Pool = self;
        async move {
            match cancel {
                Some(cancel) => pool.invoke_cancellable(invocation, cancel).await,
                None => Pool::invoke(pool, invocation).await,
            }
        }
    }

    fn invoke_stream_with(
        &mut self,
        invocation: Invocation,
        cancel: Option<&CancelHandle>,
    ) -> impl Future<Output = Result<PoolStream, SessionError>> + Send {
        let pool: &Pool = self;
        async move {
            match cancel {
                Some(cancel) => pool.invoke_stream_cancellable(invocation, cancel).await,
                None => Pool::invoke_stream(pool, invocation).await,
            }
        }
    }
}

/// [`Invoke`] for hosts without an async runtime: [`BlockingSession`], [`BlockingPool`].
/// Calls take `&self` (both are `Sync`), block until they are done, and fail with
/// [`SessionError::InAsyncContext`] inside an async runtime.
pub trait BlockingInvoke: Send + Sync {
    /// The items of one command started by [`BlockingInvoke::invoke_stream`], as an iterator
    /// that may be read on another thread.
    type Stream: Iterator<Item = Result<StreamItem, SessionError>> + Send + 'static;

    /// Runs a command to its end and collects what it produced.
    fn invoke_with(
        &self,
        invocation: Invocation,
        cancel: Option<&CancelHandle>,
    ) -> Result<CommandResult, SessionError>;

    /// Starts a command and returns its items as they arrive.
    fn invoke_stream_with(
        &self,
        invocation: Invocation,
        cancel: Option<&CancelHandle>,
    ) -> Result<Self::Stream, SessionError>;

    /// Runs a command to its end and collects what it produced.
    fn invoke(&self, invocation: impl Into<Invocation>) -> Result<CommandResult, SessionError> {
        self.invoke_with(invocation.into(), None)
    }

    /// [`BlockingInvoke::invoke`] that `cancel` stops from any thread.
    fn invoke_cancellable(
        &self,
        invocation: impl Into<Invocation>,
        cancel: &CancelHandle,
    ) -> Result<CommandResult, SessionError> {
        self.invoke_with(invocation.into(), Some(cancel))
    }

    /// Starts a command and returns an iterator over its items as they arrive.
    fn invoke_stream(
        &self,
        invocation: impl Into<Invocation>,
    ) -> Result<Self::Stream, SessionError> {
        self.invoke_stream_with(invocation.into(), None)
    }

    /// [`BlockingInvoke::invoke_stream`] that `cancel` stops from any thread.
    fn invoke_stream_cancellable(
        &self,
        invocation: impl Into<Invocation>,
        cancel: &CancelHandle,
    ) -> Result<Self::Stream, SessionError> {
        self.invoke_stream_with(invocation.into(), Some(cancel))
    }
}

impl BlockingInvoke for BlockingSession {
    type Stream = BlockingStream;

    fn invoke_with(
        &self,
        invocation: Invocation,
        cancel: Option<&CancelHandle>,
    ) -> Result<CommandResult, SessionError> {
        self.run(invocation, cancel)
    }

    fn invoke_stream_with(
        &self,
        invocation: Invocation,
        cancel: Option<&CancelHandle>,
    ) -> Result<BlockingStream, SessionError> {
        self.start_stream(invocation, cancel)
    }
}

impl BlockingInvoke for BlockingPool {
    type Stream = BlockingPoolStream;

    fn invoke_with(
        &self,
        invocation: Invocation,
        cancel: Option<&CancelHandle>,
    ) -> Result<CommandResult, SessionError> {
        self.run(invocation, cancel)
    }

    fn invoke_stream_with(
        &self,
        invocation: Invocation,
        cancel: Option<&CancelHandle>,
    ) -> Result<BlockingPoolStream, SessionError> {
        self.start_stream(invocation, cancel)
    }
}
