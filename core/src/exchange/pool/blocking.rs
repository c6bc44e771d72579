//! A blocking face of [`Pool`] for hosts without an async runtime (the C ABI, the Python and
//! .NET bindings), on the process-wide runtime [`crate::exchange::BlockingSession`] uses.
//!
//! Unlike a [`crate::exchange::BlockingSession`], whose calls queue behind each other, a
//! [`BlockingPool`] runs as many calls at once as it has sessions: threads that share one
//! handle each get a session of their own, or wait in arrival order for one.

use tokio::runtime::Handle;

use crate::command::invocation::Invocation;
use crate::command::result::{CommandResult, StreamItem};
use crate::error::SessionError;
use crate::exchange::cancel::CancelHandle;
use crate::exchange::invoke::Invoke;
use crate::exchange::pool::options::PoolOptions;
use crate::exchange::pool::{Pool, PoolStats, PoolStream};
use crate::exchange::session::blocking::blocking_runtime;

/// A [`Pool`] behind a blocking, `Send + Sync` API. Share it between threads by reference
/// or in an `Arc`; dropping it closes its sessions.
#[derive(Debug)]
pub struct BlockingPool {
    pool: Pool,
}

impl BlockingPool {
    /// A pool over `options.servers`; see [`Pool::new`]. No connection is made yet.
    pub fn new(options: PoolOptions) -> Result<BlockingPool, SessionError> {
        Ok(BlockingPool {
            pool: Pool::new(options)?,
        })
    }

    /// Runs a command on a free session, retrying as [`Pool::invoke`] does. Blocks until a
    /// session is free and the command ended.
    pub fn invoke(&self, invocation: impl Into<Invocation>) -> Result<CommandResult, SessionError> {
        self.run(invocation.into(), None)
    }

    /// [`BlockingPool::invoke`] that `cancel` stops from any thread; see
    /// [`Pool::invoke_cancellable`].
    pub fn invoke_cancellable(
        &self,
        invocation: impl Into<Invocation>,
        cancel: &CancelHandle,
    ) -> Result<CommandResult, SessionError> {
        self.run(invocation.into(), Some(cancel))
    }

    /// Starts a command on a session of the pool and returns an iterator over its items as
    /// they arrive; see [`Pool::invoke_stream`]. Unlike a [`crate::exchange::BlockingStream`], it holds
    /// its own session, so the thread reading it may use the pool meanwhile.
    pub fn invoke_stream(
        &self,
        invocation: impl Into<Invocation>,
    ) -> Result<BlockingPoolStream, SessionError> {
        self.start_stream(invocation.into(), None)
    }

    /// [`BlockingPool::invoke_stream`] that `cancel` also stops; see
    /// [`Pool::invoke_stream_cancellable`].
    pub fn invoke_stream_cancellable(
        &self,
        invocation: impl Into<Invocation>,
        cancel: &CancelHandle,
    ) -> Result<BlockingPoolStream, SessionError> {
        self.start_stream(invocation.into(), Some(cancel))
    }

    /// [`BlockingPool::invoke`], stopped by `cancel` when given ([`super::BlockingInvoke`]).
    pub(crate) fn run(
        &self,
        invocation: Invocation,
        cancel: Option<&CancelHandle>,
    ) -> Result<CommandResult, SessionError> {
        let mut pool = self.pool.clone();
        blocking_runtime()?.block_on(Invoke::invoke_with(&mut pool, invocation, cancel))
    }

    /// [`BlockingPool::invoke_stream`], stopped by `cancel` when given
    /// ([`super::BlockingInvoke`]).
    pub(crate) fn start_stream(
        &self,
        invocation: Invocation,
        cancel: Option<&CancelHandle>,
    ) -> Result<BlockingPoolStream, SessionError> {
        let mut pool = self.pool.clone();
        let stream = blocking_runtime()?
            .block_on(Invoke::invoke_stream_with(&mut pool, invocation, cancel))?;
        Ok(BlockingPoolStream { stream })
    }

    /// Closes the idle sessions and refuses later calls; see [`Pool::close`].
    pub fn close(&self) -> Result<(), SessionError> {
        blocking_runtime()?.block_on(self.pool.close())
    }

    /// Counts of sessions and of what happened to them.
    pub fn stats(&self) -> PoolStats {
        self.pool.stats()
    }

    /// The async pool underneath, for hosts that also run async code.
    pub fn pool(&self) -> &Pool {
        &self.pool
    }
}

impl Drop for BlockingPool {
    /// Deletes the idle sessions' shells, as [`BlockingPool::close`] does; inside an async
    /// runtime, where blocking is not allowed, in the background instead.
    fn drop(&mut self) {
        if self.pool.is_closed() {
            return;
        }
        match blocking_runtime() {
            Ok(runtime) => {
                if let Err(e) = runtime.block_on(self.pool.close()) {
                    tracing::debug!(error = %e, "closing a dropped pool failed");
                }
            }
            Err(_) => {
                let pool = self.pool.clone();
                if let Ok(handle) = tokio::runtime::Handle::try_current() {
                    handle.spawn(async move {
                        let _ = pool.close().await;
                    });
                }
            }
        }
    }
}

/// The items of one command started by [`BlockingPool::invoke_stream`], as an iterator. A
/// failed command ends with one `Err` item. Dropping it before the end stops the command.
#[derive(Debug)]
pub struct BlockingPoolStream {
    stream: PoolStream,
}

impl BlockingPoolStream {
    /// A handle that cancels the command from any thread; see [`PoolStream::cancel`].
    pub fn cancel_handle(&self) -> CancelHandle {
        self.stream.cancel_handle()
    }

    /// Stops the command; the iterator then ends with [`SessionError::Cancelled`].
    pub fn cancel(&self) {
        self.stream.cancel();
    }
}

impl Iterator for BlockingPoolStream {
    type Item = Result<StreamItem, SessionError>;

    fn next(&mut self) -> Option<Self::Item> {
        if Handle::try_current().is_ok() {
            return Some(Err(SessionError::InAsyncContext));
        }
        match blocking_runtime() {
            Ok(runtime) => runtime.block_on(self.stream.next()),
            Err(e) => Some(Err(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchange::{Command, ErrorKind, SessionOptions};
    use crate::transport::{AuthMethod, Credentials};

    fn options() -> PoolOptions {
        let mut o = PoolOptions::new(SessionOptions::exchange(
            "http://127.0.0.1:9/PowerShell/",
            AuthMethod::Ntlm,
            Credentials::new("CORP\\svc", "pw"),
        ));
        o.retry.max_attempts = 1;
        o
    }

    #[test]
    fn blocking_pools_cross_threads() {
        fn shared<T: Send + Sync>() {}
        shared::<BlockingPool>();
        fn send<T: Send>() {}
        send::<BlockingPoolStream>();
    }

    #[test]
    fn a_stream_from_unreachable_servers_ends_with_one_error() {
        let pool = BlockingPool::new(options()).expect("options");
        let mut stream = pool
            .invoke_stream(Command::new("Get-Mailbox"))
            .expect("started");
        let e = stream
            .next()
            .expect("an item")
            .expect_err("nothing listens");
        assert_eq!(e.kind(), ErrorKind::Transient, "{e}");
        assert!(stream.next().is_none());
        let cancel = CancelHandle::default();
        cancel.cancel();
        let e = pool
            .invoke_cancellable(Command::new("Get-Mailbox"), &cancel)
            .expect_err("cancelled before it started");
        assert!(matches!(e, SessionError::Cancelled), "{e}");
        pool.close().expect("closed");
        assert!(matches!(
            pool.invoke_stream(Command::new("Get-Mailbox")),
            Err(SessionError::Closed)
        ));
    }

    #[test]
    fn a_blocking_call_inside_a_runtime_is_refused() {
        let pool = BlockingPool::new(options()).expect("options");
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime");
        let e = runtime.block_on(async { pool.invoke(Command::new("Get-Mailbox")) });
        assert!(matches!(e, Err(SessionError::InAsyncContext)), "{e:?}");
        drop(runtime);
        let e = pool
            .invoke(Command::new("Get-Mailbox"))
            .expect_err("nothing listens");
        assert_eq!(e.kind(), ErrorKind::Transient);
        pool.close().expect("closed");
        assert!(matches!(
            pool.invoke(Command::new("Get-Mailbox")),
            Err(SessionError::Closed)
        ));
    }
}
