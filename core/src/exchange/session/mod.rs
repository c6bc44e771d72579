//! [`Session`]: one runspace pool in one WinRM shell, driven over the transport.
//!
//! The protocol is the sans-IO [`ShellClient`] ([`crate::winrs::client`]): which request comes
//! next, what an answer means, when a command is stopped. The session only carries: it POSTs
//! each request over the [`Transport`], records it, hands the answer back, and races the
//! Receive of a command's output against cancellation and the invoke deadline.

use std::collections::VecDeque;

use uuid::Uuid;

use crate::command::invocation::Invocation;
use crate::command::result::{CommandResult, RoundTrips, StreamItem};
use crate::error::{PipelineFailure, SessionError};
use crate::exchange::cancel::CancelHandle;
use crate::exchange::collect::Collector;
use crate::exchange::options::{Endpoint, SessionOptions};
use crate::psrp::{PSInvocationState, RunspacePool};
use crate::recording::Recorder;
use crate::transport::{Transport, TransportError};
use crate::winrs::client::{ShellClient, ShellConfig, ShellEvent};
use crate::winrs::envelope::{Operation, Outgoing, read_answer};

pub mod blocking;
mod bootstrap;

pub use blocking::{BlockingSession, BlockingStream};

/// The HTTP side of a session: the transport and the recording of what it carries.
#[derive(Debug)]
struct Link {
    transport: Transport,
    /// Where the conversation is recorded, if it is.
    recorder: Option<Recorder>,
}

impl Link {
    async fn post(&mut self, request: &Outgoing) -> Result<Vec<u8>, TransportError> {
        // The server keeps its answer within the MaxEnvelopeSize the request carries.
        self.transport.set_max_envelope_size(request.max_envelope);
        let body = self.transport.post(&request.body).await;
        if let Some(recorder) = &mut self.recorder {
            match &body {
                Ok(body) => recorder.record(&request.body, Ok(body)),
                Err(e) => recorder.record(&request.body, Err(&e.to_string())),
            }
        }
        body
    }

    /// Posts what `shell` asks for until it has nothing more to send. The Receive of a
    /// command's output is raced against `cancel` and the deadline; an interrupted request
    /// is abandoned mid-flight, so the connection is dropped: its security context may be
    /// out of step, and the next request authenticates again.
    async fn drive(&mut self, shell: &mut ShellClient, cancel: &CancelHandle) {
        loop {
            // Cancellation first, as in the race below.
            let now = std::time::Instant::now();
            if cancel.is_cancelled() {
                shell.cancel();
            }
            if shell.poll_timeout().is_some_and(|at| at <= now) {
                shell.handle_timeout(now);
            }
            let Some(request) = shell.poll_request(now) else {
                return;
            };
            if !request.interruptible {
                let answer = self.post(&request).await;
                shell.handle_response(answer);
                continue;
            }
            let deadline = shell.poll_timeout();
            let expiry = async {
                match deadline {
                    Some(at) => tokio::time::sleep_until(at.into()).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                biased;
                () = cancel.cancelled() => {
                    self.transport.disconnect();
                    shell.cancel();
                }
                () = expiry => {
                    self.transport.disconnect();
                    let at = deadline.unwrap_or_else(std::time::Instant::now);
                    shell.handle_timeout(std::time::Instant::now().max(at));
                }
                answer = self.post(&request) => shell.handle_response(answer),
            }
        }
    }
}

/// One remote runspace pool: connect, run commands, close.
///
/// Calls take `&mut self`: a session runs one command at a time, as Exchange runspaces do.
/// Dropping a session without [`Session::close`] deletes the shell in a task spawned on the
/// current tokio runtime; without a runtime the shell stays on the server until its idle
/// timeout, so call `close` when you can.
#[derive(Debug)]
pub struct Session {
    link: Option<Link>,
    shell: ShellClient,
    cancel: CancelHandle,
}

impl Session {
    /// Creates the shell and opens the runspace pool in it ([MS-PSRP] 3.1.4, 3.1.5.3.1):
    /// a Create carrying SESSION_CAPABILITY and INIT_RUNSPACEPOOL, then Receives until the
    /// pool is Opened. The server's SESSION_CAPABILITY picks the MaxEnvelopeSize unless
    /// `options.max_envelope_size` fixes it.
    ///
    /// With [`Endpoint::JumpHost`] it then runs the bootstrap (key exchange, `New-PSSession`
    /// to Exchange and `Import-PSSession`, see [`crate::exchange::options::jump_host`]); its failure is
    /// [`SessionError::JumpHost`], after the shell was deleted.
    ///
    /// All of it must end within `options.open_timeout`, else [`SessionError::OpenTimeout`]
    /// (a shell already created is deleted in the background, as on drop).
    pub async fn connect(options: SessionOptions) -> Result<Session, SessionError> {
        let limit = options.open_timeout;
        // On the heap: opening (authentication, KDC and key exchange included) is a large state
        // machine, and callers such as the pool hold it inside their own futures.
        let open = Box::pin(Self::open(options));
        match limit {
            Some(limit) => tokio::time::timeout(limit, open)
                .await
                .map_err(|_| SessionError::OpenTimeout(limit))?,
            None => open.await,
        }
    }

    async fn open(options: SessionOptions) -> Result<Session, SessionError> {
        let transport = Transport::new(options.transport.clone())?;
        let mut config = ShellConfig::new(
            options.transport.url.clone(),
            options.endpoint.resource_uri(),
        );
        config.shell_name = options.shell_name.clone();
        config.idle_timeout = options.idle_timeout;
        config.operation_timeout = options.operation_timeout;
        config.locale = options.locale.clone();
        config.max_envelope_size = options.max_envelope_size;
        config.invoke_timeout = options.invoke_timeout;
        let mut shell = ShellClient::new(config);
        let recorder = match &options.record {
            Some(path) => Some(Recorder::create(path)?),
            None => None,
        };
        shell.open()?;
        let mut session = Session {
            link: Some(Link {
                transport,
                recorder,
            }),
            shell,
            cancel: CancelHandle::default(),
        };
        session.run(&mut VecDeque::new()).await?;
        if let Endpoint::JumpHost(jump) = &options.endpoint
            && let Err(e) = bootstrap::bootstrap(&mut session, jump).await
        {
            // The shell is of no use without Exchange: delete it rather than leave it to
            // Drop or to the idle timeout.
            if let Err(close) = session.close().await {
                tracing::debug!(error = %close, "deleting the shell after a failed bootstrap");
            }
            return Err(e);
        }
        Ok(session)
    }

    /// The WinRM ShellId (the runspace pool id, unless the server chose another).
    pub fn shell_id(&self) -> Option<Uuid> {
        self.link.as_ref().and(self.shell.shell_id())
    }

    /// The runspace pool, for its state, the server's protocol version and
    /// APPLICATION_PRIVATE_DATA.
    pub fn pool(&self) -> &RunspacePool {
        self.shell.pool()
    }

    /// The MaxEnvelopeSize requests carry now.
    pub fn max_envelope_size(&self) -> u32 {
        self.link
            .as_ref()
            .map_or(0, |_| self.shell.max_envelope_size())
    }

    /// Round trips made so far.
    pub fn round_trips(&self) -> RoundTrips {
        self.link
            .as_ref()
            .map_or(RoundTrips::default(), |link| RoundTrips {
                wsman: self.shell.operations(),
                http: link.transport.round_trips(),
            })
    }

    /// A handle that cancels the running command from another task or thread.
    pub fn cancel_handle(&self) -> CancelHandle {
        self.cancel.clone()
    }

    /// Runs a command to its end and collects everything it produced. The command is always
    /// ended on the server with the terminate Signal, so that the shell does not accumulate
    /// finished commands (Windows fails a shell after about 1000 of them).
    ///
    /// A pipeline that fails with a terminating error returns [`SessionError::Pipeline`],
    /// carrying the error record and what arrived before it; non-terminating errors are in
    /// [`CommandResult::errors`].
    pub async fn invoke(
        &mut self,
        invocation: impl Into<Invocation>,
    ) -> Result<CommandResult, SessionError> {
        let stream = self.invoke_stream(invocation).await?;
        Collector::collect_stream(stream).await
    }

    /// Starts a command and returns its items as they arrive, one Receive response at a
    /// time, so that large results never sit in memory whole. Read it to the end with
    /// [`InvokeStream::next`]; a stream dropped early leaves the command to be stopped and
    /// ended before the session's next operation.
    pub async fn invoke_stream(
        &mut self,
        invocation: impl Into<Invocation>,
    ) -> Result<InvokeStream<'_>, SessionError> {
        // Reset first: a cancel that arrives while an abandoned command is cleaned up is
        // meant for this one.
        self.cancel.reset();
        self.shell.invoke(invocation.into())?;
        let id = match self.run(&mut VecDeque::new()).await? {
            ShellEvent::Started { pipeline } => pipeline,
            _ => return Err(SessionError::Closed),
        };
        Ok(InvokeStream {
            session: self,
            id,
            items: VecDeque::new(),
            state: None,
            last_error: None,
            done: false,
        })
    }

    /// Deletes the shell (wst:Delete, [MS-PSRP] 3.1.5.3.10), which also ends any command a
    /// dropped [`InvokeStream`] left running, and marks the pool Closed.
    pub async fn close(mut self) -> Result<(), SessionError> {
        let shell_open = self.shell.close();
        let mut link = self.link.take().ok_or(SessionError::Closed)?;
        shell_open?;
        link.drive(&mut self.shell, &self.cancel).await;
        let mut ignored = VecDeque::new();
        Self::outcome(&mut self.shell, &mut ignored).map(drop)
    }

    /// Drives the work queued on the shell to its end: its items go to `items`, its last
    /// event is returned, its failure is the error.
    async fn run(&mut self, items: &mut VecDeque<StreamItem>) -> Result<ShellEvent, SessionError> {
        let link = self.link.as_mut().ok_or(SessionError::Closed)?;
        link.drive(&mut self.shell, &self.cancel).await;
        Self::outcome(&mut self.shell, items)
    }

    fn outcome(
        shell: &mut ShellClient,
        items: &mut VecDeque<StreamItem>,
    ) -> Result<ShellEvent, SessionError> {
        while let Some(event) = shell.poll_event() {
            match event {
                ShellEvent::Item { item, .. } => items.push_back(item),
                ShellEvent::KeyExchanged => {}
                ShellEvent::Failed(e) => return Err(e),
                done => return Ok(done),
            }
        }
        // Every piece of work ends with an event; none means the shell has nothing to work on.
        Err(SessionError::Closed)
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let Some(mut link) = self.link.take() else {
            return;
        };
        let Some(delete) = self.shell.delete_request() else {
            return;
        };
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(async move {
                    let answer = link.post(&delete).await;
                    if let Err(e) = read_answer(Operation::Delete, answer) {
                        tracing::warn!(error = %e, "deleting the shell of a dropped session failed");
                    }
                });
            }
            Err(_) => tracing::warn!(
                "session dropped outside a tokio runtime without close(): the shell stays until its idle timeout"
            ),
        }
    }
}

/// The items of one running command; see [`Session::invoke_stream`].
#[derive(Debug)]
pub struct InvokeStream<'s> {
    session: &'s mut Session,
    id: Uuid,
    items: VecDeque<StreamItem>,
    state: Option<PSInvocationState>,
    last_error: Option<SessionError>,
    done: bool,
}

impl InvokeStream<'_> {
    /// The PSRP pipeline id (the WS-Management CommandId the client proposed; the server
    /// may have assigned another, which the session uses on the wire).
    pub fn pipeline_id(&self) -> Uuid {
        self.id
    }

    /// The pipeline's final state, once it finished.
    pub fn state(&self) -> Option<PSInvocationState> {
        self.state
    }

    /// The next item, receiving more when none is buffered; `None` after the command
    /// completed. A failed command ends the stream with [`SessionError::Pipeline`] (its
    /// `partial` result is empty here: the items came before).
    pub async fn next(&mut self) -> Option<Result<StreamItem, SessionError>> {
        loop {
            if let Some(item) = self.items.pop_front() {
                return Some(Ok(item));
            }
            if let Some(e) = self.last_error.take() {
                return Some(Err(e));
            }
            if self.done {
                return None;
            }
            let step = match self.session.shell.read(self.id) {
                Ok(()) => self.session.run(&mut self.items).await,
                Err(e) => Err(e),
            };
            match step {
                Ok(ShellEvent::Finished { state, error, .. }) => {
                    self.done = true;
                    self.state = Some(state);
                    if state != PSInvocationState::Completed {
                        self.last_error = Some(SessionError::Pipeline(Box::new(PipelineFailure {
                            state,
                            record: error,
                            partial: CommandResult::default(),
                        })));
                    }
                }
                Ok(_) => {}
                Err(e) => {
                    self.done = true;
                    // Items that arrived with the failing response are dropped: the error
                    // matters more, and the command's output is incomplete anyway.
                    self.items.clear();
                    return Some(Err(e));
                }
            }
        }
    }
}

impl Drop for InvokeStream<'_> {
    fn drop(&mut self) {
        if !self.done {
            self.session.shell.abandon(self.id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_and_handles_cross_threads() {
        fn send<T: Send>() {}
        fn sync<T: Send + Sync>() {}
        send::<Session>();
        send::<InvokeStream<'static>>();
        sync::<CancelHandle>();
    }
}
