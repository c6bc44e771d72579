//! [`Pool`]: a few [`Session`]s shared by many callers, spread over several Exchange servers,
//! with health checks, failover and retries.
//!
//! An Exchange runspace runs one pipeline at a time and one account may hold only 18 shells
//! per server, so callers share a small set of sessions: each call waits for a free one (in
//! arrival order), runs its command there, and hands it back. Sessions open lazily, close
//! when idle for long, and are probed after an error or a long rest; a broken one is closed
//! and a new one opened, on the first healthy server ([`crate::exchange::pool::failover`]). Failed commands
//! are retried by [`crate::exchange::pool::retry`]'s rules: reads on retryable errors, state changes only
//! when they surely never ran.
//!
//! ```no_run
//! use monosync_exchange::exchange::{Command, ErrorKind, Pool, PoolOptions, SessionOptions};
//! use monosync_exchange::transport::{AuthMethod, Credentials};
//!
//! # async fn run() -> Result<(), monosync_exchange::exchange::SessionError> {
//! let session = SessionOptions::exchange(
//!     "https://ex01.corp.example/PowerShell/",
//!     AuthMethod::Kerberos,
//!     Credentials::new("svc-provision@CORP.EXAMPLE", "secret"),
//! );
//! let mut options = PoolOptions::with_servers(
//!     session,
//!     ["https://ex01.corp.example/PowerShell/", "https://ex02.corp.example/PowerShell/"],
//! );
//! options.max_sessions = 4;
//! let pool = Pool::new(options)?;
//! let found = pool
//!     .invoke(Command::new("Get-Mailbox").param("Identity", "ann@corp.example"))
//!     .await?;
//! let _ = found;
//! match pool
//!     .invoke(Command::new("Set-Mailbox").param("Identity", "ann").param("Office", "B12"))
//!     .await
//! {
//!     Err(e) if e.kind() == ErrorKind::OutcomeUnknown => {
//!         // Read the mailbox back before deciding to send the change again.
//!     }
//!     other => {
//!         other?;
//!     }
//! }
//! pool.close().await
//! # }
//! ```

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use tokio::sync::{OwnedSemaphorePermit, Semaphore, oneshot};

use crate::command::invocation::Invocation;
use crate::command::result::CommandResult;
use crate::error::SessionError;
use crate::error::kind::ErrorKind;
use crate::exchange::cancel::CancelHandle;
use crate::exchange::collect::Collector;
use crate::exchange::session::{InvokeStream, Session};
use crate::psrp::RunspacePoolState;
use failover::ServerList;
use retry::{Decision, Delivery};

pub mod blocking;
pub mod failover;
pub mod options;
pub mod retry;
mod stream;

pub use blocking::{BlockingPool, BlockingPoolStream};
pub use options::{DEFAULT_POOL_SESSIONS, MAX_POOL_SESSIONS, PoolOptions};
pub use retry::RetryPolicy;
pub use stream::{PoolStream, READER_GONE_GRACE};

/// The longest a shell deletion may take when the pool closes a session; a server that does
/// not answer by then deletes the shell itself at its idle timeout.
const CLOSE_LIMIT: Duration = Duration::from_secs(10);

/// The shortest and longest pause between two sweeps for idle sessions.
const REAP_PERIOD: (Duration, Duration) = (Duration::from_millis(50), Duration::from_secs(30));

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A session of the pool and the server it lives on. It counts itself in the pool's number
/// of open sessions for as long as it exists, however it goes away.
#[derive(Debug)]
struct Pooled {
    session: Option<Session>,
    server: usize,
    last_used: Instant,
    live: Arc<AtomicUsize>,
}

impl Pooled {
    fn new(session: Session, server: usize, live: &Arc<AtomicUsize>) -> Pooled {
        live.fetch_add(1, Ordering::SeqCst);
        Pooled {
            session: Some(session),
            server,
            last_used: Instant::now(),
            live: Arc::clone(live),
        }
    }

    /// Deletes the shell, waiting at most [`CLOSE_LIMIT`].
    async fn close(mut self) -> Result<(), SessionError> {
        let Some(session) = self.session.take() else {
            return Ok(());
        };
        match tokio::time::timeout(CLOSE_LIMIT, session.close()).await {
            Ok(r) => r,
            Err(_) => Err(SessionError::Timeout(CLOSE_LIMIT)),
        }
    }
}

impl Drop for Pooled {
    fn drop(&mut self) {
        self.live.fetch_sub(1, Ordering::SeqCst);
    }
}

/// What callers share, under one lock.
#[derive(Debug, Default)]
struct State {
    /// Free sessions, the most recently used last: it is taken first, so that the others
    /// age and are closed when the load drops.
    idle: Vec<Pooled>,
    /// Callers that hold a permit but could not open a session because the server is
    /// throttling shell creation; a returned session goes to the first of them.
    waiters: VecDeque<oneshot::Sender<Pooled>>,
    /// Until when no new session is opened (the server refused the last one) while others
    /// exist to wait for.
    open_blocked_until: Option<Instant>,
    /// Refused openings in a row, for the backoff.
    refused_opens: u32,
    closed: bool,
}

/// Counters for [`PoolStats`].
#[derive(Debug, Default)]
struct Counters {
    opened: AtomicU64,
    discarded: AtomicU64,
    idle_closed: AtomicU64,
    probes: AtomicU64,
    retries: AtomicU64,
}

#[derive(Debug)]
struct Inner {
    options: PoolOptions,
    servers: Mutex<ServerList>,
    opened_per_server: Vec<AtomicU64>,
    state: Mutex<State>,
    /// One permit per session the pool may hold: a caller holds one from the moment it
    /// waits for a session until the session is back, so the sessions in use and in the
    /// making never outnumber `max_sessions`. Tokio's semaphore serves waiters in order.
    permits: Arc<Semaphore>,
    live: Arc<AtomicUsize>,
    /// Sessions being opened now: like open ones, they will soon be there to wait for.
    opening: AtomicUsize,
    counters: Counters,
    reaper_started: AtomicBool,
    /// Sessions that recorded so far: the n-th records into `record` numbered n
    /// ([`crate::recording::numbered_path`]), so that each file is one conversation.
    recordings: AtomicU64,
}

/// A snapshot of a pool's sessions and what happened to them, for monitoring.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct PoolStats {
    /// Sessions open now, in use or idle.
    pub sessions: usize,
    /// Sessions open and free now.
    pub idle: usize,
    /// Sessions opened so far.
    pub opened: u64,
    /// Sessions opened so far on each server, in the order of the server list.
    pub opened_per_server: Vec<u64>,
    /// Sessions closed because they broke or failed a probe.
    pub discarded: u64,
    /// Sessions closed because they sat idle for `idle_close`.
    pub idle_closed: u64,
    /// Probes run.
    pub probes: u64,
    /// Commands sent again after a failure.
    pub retries: u64,
}

/// A pool of sessions to one Exchange organisation, over one or more of its servers.
///
/// Cheap to clone (clones share the pool), `Send` and `Sync`. Sessions open on first need,
/// up to `max_sessions`. Dropping the last clone drops the idle sessions, which deletes their
/// shells in the background (inside a tokio runtime); [`Pool::close`] does it and waits.
#[derive(Debug, Clone)]
pub struct Pool {
    inner: Arc<Inner>,
}

impl Pool {
    /// A pool over `options.servers`; no connection is made until the first command. Fails
    /// only on unusable options.
    pub fn new(options: PoolOptions) -> Result<Pool, SessionError> {
        options.validate()?;
        let servers = ServerList::new(options.servers.clone(), options.server_cooldown);
        let opened_per_server = options.servers.iter().map(|_| AtomicU64::new(0)).collect();
        Ok(Pool {
            inner: Arc::new(Inner {
                permits: Arc::new(Semaphore::new(options.max_sessions)),
                servers: Mutex::new(servers),
                opened_per_server,
                state: Mutex::new(State::default()),
                live: Arc::new(AtomicUsize::new(0)),
                opening: AtomicUsize::new(0),
                counters: Counters::default(),
                reaper_started: AtomicBool::new(false),
                recordings: AtomicU64::new(0),
                options,
            }),
        })
    }

    /// Runs a command on a free session (waiting for one in arrival order) and collects
    /// what it produced, as [`Session::invoke`] does.
    ///
    /// A failure is retried under `options.retry`: a `Get-*`/`Test-*` command on any
    /// retryable error, on another session and possibly another server; any command when it
    /// surely never reached the server (no connection, HTTP 503, a refused shell). A command
    /// that changes state and was cut off after it was sent is not re-run: that gives
    /// [`SessionError::OutcomeUnknown`]. A terminating error of the command itself is
    /// returned as it is, unless the server said it was throttling.
    pub async fn invoke(
        &self,
        invocation: impl Into<Invocation>,
    ) -> Result<CommandResult, SessionError> {
        // On the heap: the retry loop holds a session's whole command future.
        Box::pin(self.run(invocation.into(), None)).await
    }

    /// [`Pool::invoke`] that `cancel` stops from another task or thread: while the call waits
    /// for a session it gives up at once; once the command runs, its session sends the
    /// PowerShell stop signal ([MS-PSRP] 3.1.5.3.8) and waits for the server to confirm, as
    /// [`CancelHandle::cancel`] does for a session. Either way the call fails with
    /// [`SessionError::Cancelled`] and is not retried. A request made before the call starts
    /// cancels it at once; reset the handle by making a new one.
    pub async fn invoke_cancellable(
        &self,
        invocation: impl Into<Invocation>,
        cancel: &CancelHandle,
    ) -> Result<CommandResult, SessionError> {
        Box::pin(self.run(invocation.into(), Some(cancel))).await
    }

    async fn run(
        &self,
        invocation: Invocation,
        cancel: Option<&CancelHandle>,
    ) -> Result<CommandResult, SessionError> {
        let read_only = retry::is_read_only(&invocation);
        let policy = &self.inner.options.retry;
        let mut attempt = 0u32;
        loop {
            attempt = attempt.saturating_add(1);
            let (error, delivery, kind) = match Box::pin(self.inner.acquire_unless(cancel)).await {
                // The caller's own limit on waiting, or its own stop: trying again would
                // only wait longer.
                Err(e @ (SessionError::Timeout(_) | SessionError::Cancelled)) => return Err(e),
                Err(e) => {
                    let kind = e.kind();
                    (e, Delivery::NotSent, kind)
                }
                Ok(mut lease) => match Box::pin(lease.run(invocation.clone(), cancel)).await {
                    Ok(result) => {
                        lease.give_back().await;
                        return Ok(result);
                    }
                    Err((e, delivery)) => {
                        let kind = retry_kind(&e, delivery);
                        lease.after_failure(&e, delivery);
                        (e, delivery, kind)
                    }
                },
            };
            if cancel.is_some_and(CancelHandle::is_cancelled) {
                return Err(error);
            }
            match retry::decide(policy, kind, delivery, read_only, attempt) {
                Decision::Retry if !self.is_closed() => {
                    self.inner.counters.retries.fetch_add(1, Ordering::Relaxed);
                    let wait = policy.delay(&error, attempt, &mut rand::thread_rng());
                    tracing::debug!(%error, ?wait, attempt, "retrying the command");
                    tokio::time::sleep(wait).await;
                }
                Decision::OutcomeUnknown => {
                    return Err(SessionError::OutcomeUnknown(Box::new(error)));
                }
                Decision::Retry | Decision::Fail => return Err(error),
            }
        }
    }

    /// Closes every idle session and stops taking commands: later calls fail with
    /// [`SessionError::Closed`], and sessions still running a command are closed when it
    /// ends. Returns the first failure to delete a shell, after trying them all.
    pub async fn close(&self) -> Result<(), SessionError> {
        let idle = {
            let mut state = lock(&self.inner.state);
            state.closed = true;
            state.waiters.clear();
            std::mem::take(&mut state.idle)
        };
        self.inner.permits.close();
        let mut first_error = None;
        for pooled in idle {
            if let Err(e) = pooled.close().await {
                tracing::debug!(error = %e, "closing an idle session failed");
                first_error.get_or_insert(e);
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    /// Whether [`Pool::close`] was called.
    pub fn is_closed(&self) -> bool {
        lock(&self.inner.state).closed
    }

    /// Counts of sessions and of what happened to them.
    pub fn stats(&self) -> PoolStats {
        let c = &self.inner.counters;
        PoolStats {
            sessions: self.inner.live.load(Ordering::SeqCst),
            idle: lock(&self.inner.state).idle.len(),
            opened: c.opened.load(Ordering::Relaxed),
            opened_per_server: self
                .inner
                .opened_per_server
                .iter()
                .map(|n| n.load(Ordering::Relaxed))
                .collect(),
            discarded: c.discarded.load(Ordering::Relaxed),
            idle_closed: c.idle_closed.load(Ordering::Relaxed),
            probes: c.probes.load(Ordering::Relaxed),
            retries: c.retries.load(Ordering::Relaxed),
        }
    }

    /// The options in force.
    pub fn options(&self) -> &PoolOptions {
        &self.inner.options
    }
}

/// What an acquiring caller does next.
enum Step {
    Reuse(Box<Pooled>),
    Wait(Handoff, Instant),
    Open,
}

/// A caller's place in [`State::waiters`]. Dropped (the caller gave up or timed out), it
/// puts back a session that was handed over in the meantime rather than lose it.
struct Handoff {
    rx: oneshot::Receiver<Pooled>,
    inner: Arc<Inner>,
}

impl Drop for Handoff {
    fn drop(&mut self) {
        self.rx.close();
        if let Ok(pooled) = self.rx.try_recv() {
            self.inner.put_idle(pooled);
        }
    }
}

impl Inner {
    /// [`Inner::acquire`], given up with [`SessionError::Cancelled`] when `cancel` fires
    /// first.
    async fn acquire_unless(
        self: &Arc<Self>,
        cancel: Option<&CancelHandle>,
    ) -> Result<Lease, SessionError> {
        let Some(cancel) = cancel else {
            return self.acquire().await;
        };
        tokio::select! {
            biased;
            () = cancel.cancelled() => Err(SessionError::Cancelled),
            acquired = self.acquire() => acquired,
        }
    }

    /// Waits for a permit, then takes an idle session (probing it after a long rest) or
    /// opens one.
    async fn acquire(self: &Arc<Self>) -> Result<Lease, SessionError> {
        self.start_reaper();
        let permit = Arc::clone(&self.permits).acquire_owned();
        let permit = match self.options.acquire_timeout {
            Some(limit) => tokio::time::timeout(limit, permit)
                .await
                .map_err(|_| SessionError::Timeout(limit))?,
            None => permit.await,
        }
        .map_err(|_| SessionError::Closed)?;
        loop {
            let step = {
                let mut state = lock(&self.state);
                if state.closed {
                    return Err(SessionError::Closed);
                }
                let now = Instant::now();
                if let Some(pooled) = state.idle.pop() {
                    Step::Reuse(Box::new(pooled))
                } else if let Some(until) = state.open_blocked_until
                    && now < until
                    && self.has_sessions_to_wait_for()
                {
                    let (tx, rx) = oneshot::channel();
                    state.waiters.push_back(tx);
                    let handoff = Handoff {
                        rx,
                        inner: Arc::clone(self),
                    };
                    Step::Wait(handoff, until)
                } else {
                    Step::Open
                }
            };
            match step {
                Step::Reuse(mut pooled) => {
                    let suspect = pooled.last_used.elapsed() >= self.options.probe_after_idle
                        || lock(&self.servers).is_down(pooled.server, Instant::now());
                    if suspect && !self.probe(&mut pooled).await {
                        self.discard(*pooled).await;
                        continue;
                    }
                    return Ok(self.lease(*pooled, permit));
                }
                Step::Wait(mut handoff, until) => {
                    let deadline = tokio::time::Instant::from_std(until);
                    tokio::select! {
                        handed = &mut handoff.rx => {
                            if let Ok(pooled) = handed {
                                return Ok(self.lease(pooled, permit));
                            }
                        }
                        () = tokio::time::sleep_until(deadline) => {}
                    }
                }
                Step::Open => match self.open_counted().await {
                    Ok(pooled) => {
                        let mut state = lock(&self.state);
                        state.open_blocked_until = None;
                        state.refused_opens = 0;
                        drop(state);
                        return Ok(self.lease(pooled, permit));
                    }
                    Err(e)
                        if e.kind() == ErrorKind::Throttled && self.has_sessions_to_wait_for() =>
                    {
                        // The server has no shell to spare while ours exist: wait for one of
                        // ours instead of failing.
                        let mut state = lock(&self.state);
                        state.refused_opens = state.refused_opens.saturating_add(1);
                        let wait = self.options.retry.delay(
                            &e,
                            state.refused_opens,
                            &mut rand::thread_rng(),
                        );
                        tracing::debug!(error = %e, ?wait, "shell refused; waiting for a pooled session");
                        state.open_blocked_until = Some(Instant::now() + wait);
                    }
                    Err(e) => return Err(e),
                },
            }
        }
    }

    fn lease(self: &Arc<Self>, pooled: Pooled, permit: OwnedSemaphorePermit) -> Lease {
        Lease {
            inner: Arc::clone(self),
            pooled: Some(pooled),
            _permit: permit,
        }
    }

    /// Whether sessions exist, or are being opened, that a caller may wait for instead of
    /// opening one more.
    fn has_sessions_to_wait_for(&self) -> bool {
        self.live.load(Ordering::SeqCst) + self.opening.load(Ordering::SeqCst) > 0
    }

    /// [`Inner::open`], counted in `opening` while it runs.
    async fn open_counted(&self) -> Result<Pooled, SessionError> {
        struct Opening<'a>(&'a AtomicUsize);
        impl Drop for Opening<'_> {
            fn drop(&mut self) {
                self.0.fetch_sub(1, Ordering::SeqCst);
            }
        }
        self.opening.fetch_add(1, Ordering::SeqCst);
        let _opening = Opening(&self.opening);
        self.open().await
    }

    /// Opens a session on the first server that accepts one, in [`ServerList::order`].
    /// Errors that another server may not have (no connection, a refused or broken shell)
    /// move on to the next server; errors every server would give (bad credentials or
    /// options, access denied) stop at once.
    async fn open(&self) -> Result<Pooled, SessionError> {
        let order = lock(&self.servers).order(Instant::now());
        let mut last_error = None;
        for index in order {
            let Some(url) = lock(&self.servers).url(index).map(str::to_owned) else {
                continue;
            };
            let mut options = self.options.session_for(&url);
            if let Some(path) = &options.record {
                let n = self.recordings.fetch_add(1, Ordering::Relaxed) + 1;
                options.record = Some(crate::recording::numbered_path(path, n));
            }
            match Session::connect(options).await {
                Ok(session) => {
                    lock(&self.servers).mark_up(index);
                    self.counters.opened.fetch_add(1, Ordering::Relaxed);
                    if let Some(n) = self.opened_per_server.get(index) {
                        n.fetch_add(1, Ordering::Relaxed);
                    }
                    return Ok(Pooled::new(session, index, &self.live));
                }
                Err(e) => {
                    let kind = e.kind();
                    tracing::debug!(%url, error = %e, "cannot open a session");
                    if matches!(
                        kind,
                        ErrorKind::Auth | ErrorKind::Config | ErrorKind::AccessDenied
                    ) {
                        return Err(e);
                    }
                    // A refused shell means our account's budget there is spent, not that
                    // the server is unwell: its sessions need no probing.
                    if kind != ErrorKind::Throttled {
                        lock(&self.servers).mark_down(index, Instant::now());
                    }
                    last_error = Some(e);
                }
            }
        }
        Err(last_error.unwrap_or(SessionError::Closed))
    }

    /// Whether the session still answers: the probe command reached a final state, even a
    /// failed one, within `probe_timeout`. A server that no longer answers is marked down.
    async fn probe(&self, pooled: &mut Pooled) -> bool {
        self.counters.probes.fetch_add(1, Ordering::Relaxed);
        let Some(session) = pooled.session.as_mut() else {
            return false;
        };
        let outcome = tokio::time::timeout(
            self.options.probe_timeout,
            session.invoke(self.options.probe.clone()),
        )
        .await;
        let alive = match &outcome {
            Ok(Ok(_)) | Ok(Err(SessionError::Pipeline(_))) => {
                session.pool().state() == RunspacePoolState::Opened
            }
            Ok(Err(e)) => {
                tracing::debug!(error = %e, "the probe failed");
                false
            }
            Err(_) => false,
        };
        if alive {
            pooled.last_used = Instant::now();
            lock(&self.servers).mark_up(pooled.server);
        } else {
            let transient = match &outcome {
                Ok(Err(e)) => e.kind().is_retryable(),
                Ok(Ok(_)) => false,
                Err(_) => true,
            };
            if transient {
                lock(&self.servers).mark_down(pooled.server, Instant::now());
            }
        }
        alive
    }

    /// Closes a session that broke, keeping the caller's permit meanwhile so that its
    /// replacement never overlaps it on the server.
    async fn discard(&self, pooled: Pooled) {
        self.counters.discarded.fetch_add(1, Ordering::Relaxed);
        if let Err(e) = pooled.close().await {
            tracing::debug!(error = %e, "deleting a broken session's shell failed");
        }
    }

    /// Makes a session free again: to the first caller waiting for one, else to the idle
    /// list. Returns it when the pool is closed, for the caller to close.
    fn put_idle(&self, mut pooled: Pooled) -> Option<Pooled> {
        let mut state = lock(&self.state);
        if state.closed {
            return Some(pooled);
        }
        while let Some(waiter) = state.waiters.pop_front() {
            match waiter.send(pooled) {
                Ok(()) => return None,
                Err(back) => pooled = back,
            }
        }
        state.idle.push(pooled);
        None
    }

    /// Starts the task that closes idle sessions, once, on the caller's runtime. It holds
    /// the pool only while sweeping, so dropping the pool ends it.
    fn start_reaper(self: &Arc<Self>) {
        if self.reaper_started.swap(true, Ordering::SeqCst) {
            return;
        }
        let weak = Arc::downgrade(self);
        let period = (self.options.idle_close / 4).clamp(REAP_PERIOD.0, REAP_PERIOD.1);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(period).await;
                let Some(inner) = weak.upgrade() else {
                    return;
                };
                if lock(&inner.state).closed {
                    return;
                }
                inner.reap().await;
            }
        });
    }

    /// Closes the sessions idle for `idle_close` or more.
    async fn reap(&self) {
        let expired: Vec<Pooled> = {
            let mut state = lock(&self.state);
            let limit = self.options.idle_close;
            let (old, fresh) = std::mem::take(&mut state.idle)
                .into_iter()
                .partition(|p| p.last_used.elapsed() >= limit);
            state.idle = fresh;
            old
        };
        for pooled in expired {
            self.counters.idle_closed.fetch_add(1, Ordering::Relaxed);
            if let Err(e) = pooled.close().await {
                tracing::debug!(error = %e, "closing an idle session failed");
            }
        }
    }
}

/// A session lent to one caller together with its permit. Dropped without being given back
/// (the caller's future was dropped mid-command), it drops the session, whose shell is then
/// deleted in the background: the command's state on that connection is unknown.
struct Lease {
    inner: Arc<Inner>,
    pooled: Option<Pooled>,
    _permit: OwnedSemaphorePermit,
}

impl Lease {
    /// Runs `invocation` to its end, telling how far it got when it fails.
    async fn run(
        &mut self,
        invocation: Invocation,
        cancel: Option<&CancelHandle>,
    ) -> Result<CommandResult, (SessionError, Delivery)> {
        self.with_stream(invocation, async |stream, session_cancel| {
            let _forward = cancel.map(|c| Forward::start(c, session_cancel));
            collect(stream).await
        })
        .await
    }

    /// Starts `invocation` on the lent session and hands its stream, with the session's
    /// cancel handle, to `consume`; tells how far the command got when it cannot start.
    async fn with_stream<T>(
        &mut self,
        invocation: Invocation,
        consume: impl for<'s> AsyncFnOnce(
            InvokeStream<'s>,
            CancelHandle,
        ) -> Result<T, (SessionError, Delivery)>,
    ) -> Result<T, (SessionError, Delivery)> {
        let Some(session) = self.pooled.as_mut().and_then(|p| p.session.as_mut()) else {
            return Err((SessionError::Closed, Delivery::NotSent));
        };
        let needs_key = invocation.needs_session_key() && !session.pool().has_session_key();
        let session_cancel = session.cancel_handle();
        let error = match session.invoke_stream(invocation).await {
            Ok(stream) => return consume(stream, session_cancel).await,
            Err(e) => e,
        };
        // Before the stream exists the command was refused, or never sent when the key
        // exchange that precedes it did not finish.
        let delivery =
            if retry::never_delivered(&error) || (needs_key && !session.pool().has_session_key()) {
                Delivery::NotSent
            } else {
                Delivery::Unknown
            };
        Err((error, delivery))
    }

    /// Closes the lent session (in the background) instead of handing it back, keeping the
    /// permit until its shell is gone. Counted at once, so that the caller's next look at
    /// the stats sees it.
    fn discard(mut self) {
        if let Some(pooled) = self.pooled.take() {
            self.inner
                .counters
                .discarded
                .fetch_add(1, Ordering::Relaxed);
            tokio::spawn(async move {
                if let Err(e) = pooled.close().await {
                    tracing::debug!(error = %e, "deleting a cancelled session's shell failed");
                }
                drop(self);
            });
        }
    }

    /// Hands a healthy session back to the pool.
    async fn give_back(mut self) {
        let Some(mut pooled) = self.pooled.take() else {
            return;
        };
        pooled.last_used = Instant::now();
        if let Some(closing) = self.inner.put_idle(pooled)
            && let Err(e) = closing.close().await
        {
            tracing::debug!(error = %e, "closing a session of a closed pool failed");
        }
    }

    /// Decides the session's fate after `error`, in the background so that the caller gets
    /// its answer (or retries) at once: a command's own failure leaves the session as good
    /// as before; a broken pool or protocol error rules it out; anything else is probed.
    fn after_failure(mut self, error: &SessionError, delivery: Delivery) {
        if let (Some(pooled), SessionError::Transport(t)) = (&self.pooled, error)
            && matches!(
                t,
                crate::transport::TransportError::Connect { .. }
                    | crate::transport::TransportError::Resolve { .. }
            )
        {
            // No connection at all: the server is gone, and its other sessions with it.
            lock(&self.inner.servers).mark_down(pooled.server, Instant::now());
        }
        let opened = self
            .pooled
            .as_ref()
            .and_then(|p| p.session.as_ref())
            .is_some_and(|s| s.pool().state() == RunspacePoolState::Opened);
        let verdict = if !opened {
            Verdict::Discard
        } else if delivery == Delivery::Answered {
            Verdict::Keep
        } else {
            match error {
                SessionError::Cancelled => Verdict::Keep,
                SessionError::PoolEnded { .. }
                | SessionError::Closed
                | SessionError::State(_)
                | SessionError::Wsman(_)
                | SessionError::UnexpectedResponse { .. } => Verdict::Discard,
                _ => Verdict::Probe,
            }
        };
        let task = async move {
            match verdict {
                Verdict::Keep => self.give_back().await,
                Verdict::Probe => {
                    let Some(mut pooled) = self.pooled.take() else {
                        return;
                    };
                    if self.inner.probe(&mut pooled).await {
                        self.pooled = Some(pooled);
                        self.give_back().await;
                    } else {
                        self.inner.discard(pooled).await;
                    }
                }
                Verdict::Discard => {
                    if let Some(pooled) = self.pooled.take() {
                        self.inner.discard(pooled).await;
                    }
                }
            }
        };
        tokio::spawn(task);
    }
}

/// Passes a caller's cancellation on to the session running its command, for as long as it
/// lives. A separate task rather than a `select!` beside the stream: dropping a stream's
/// `next()` mid-way could cut its stop sequence short.
#[derive(Debug)]
struct Forward(tokio::task::JoinHandle<()>);

impl Forward {
    fn start(from: &CancelHandle, to: CancelHandle) -> Forward {
        let from = from.clone();
        Forward::when(async move { from.cancelled().await }, to)
    }

    /// Cancels `to` once `event` happened.
    fn when(event: impl Future<Output = ()> + Send + 'static, to: CancelHandle) -> Forward {
        Forward(tokio::spawn(async move {
            event.await;
            to.cancel();
        }))
    }
}

impl Drop for Forward {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// The kind that decides a retry: a WS-Management fault before the command was sent means the
/// shell refused it (it broke, or the server lost it in a recycle), which a new shell may well
/// take.
fn retry_kind(error: &SessionError, delivery: Delivery) -> ErrorKind {
    match (error, delivery) {
        (SessionError::Fault(_), Delivery::NotSent) if error.kind() == ErrorKind::Protocol => {
            ErrorKind::Transient
        }
        _ => error.kind(),
    }
}

/// Reads a started command to its end, as [`Session::invoke`] does, telling how far it got
/// when it fails: a terminating error is the server's answer, anything else cut it off.
async fn collect(stream: InvokeStream<'_>) -> Result<CommandResult, (SessionError, Delivery)> {
    Collector::collect_stream(stream).await.map_err(|e| {
        let delivery = match e {
            SessionError::Pipeline(_) => Delivery::Answered,
            _ => Delivery::Unknown,
        };
        (e, delivery)
    })
}

/// What becomes of a session after a failed command.
#[derive(Debug, Clone, Copy)]
enum Verdict {
    Keep,
    Probe,
    Discard,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchange::{Command, SessionOptions};
    use crate::transport::{AuthMethod, Credentials};

    fn unreachable_pool(max_sessions: usize) -> Pool {
        // Port 9 (discard) on loopback: nothing listens, so every connect is refused at once.
        let mut session = SessionOptions::exchange(
            "http://127.0.0.1:9/PowerShell/",
            AuthMethod::Ntlm,
            Credentials::new("CORP\\svc", "pw"),
        );
        session.transport.timeouts.connect = Duration::from_secs(2);
        let mut options = PoolOptions::with_servers(
            session,
            [
                "http://127.0.0.1:9/PowerShell/",
                "http://[::1]:9/PowerShell/",
            ],
        );
        options.max_sessions = max_sessions;
        options.retry.max_attempts = 2;
        options.retry.base_delay = Duration::from_millis(1);
        Pool::new(options).expect("options")
    }

    #[test]
    fn pools_cross_threads() {
        fn shared<T: Send + Sync + Clone>() {}
        shared::<Pool>();
    }

    #[tokio::test]
    async fn unreachable_servers_give_a_transient_error_after_the_retries() {
        let pool = unreachable_pool(1);
        let e = pool
            .invoke(Command::new("Set-Mailbox").param("Identity", "x"))
            .await
            .expect_err("nothing listens");
        // Never sent, so even a state change is retried, then reported as it is.
        assert_eq!(e.kind(), ErrorKind::Transient, "{e}");
        let stats = pool.stats();
        assert_eq!(stats.retries, 1);
        assert_eq!(stats.opened, 0);
        assert_eq!(stats.sessions, 0);
    }

    #[tokio::test]
    async fn a_closed_pool_refuses_commands() {
        let pool = unreachable_pool(2);
        pool.close().await.expect("nothing to close");
        assert!(pool.is_closed());
        let e = pool
            .invoke(Command::new("Get-Mailbox"))
            .await
            .expect_err("closed");
        assert!(matches!(e, SessionError::Closed), "{e}");
        assert_eq!(pool.stats().retries, 0);
    }
}
