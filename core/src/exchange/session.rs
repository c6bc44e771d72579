//! [`Session`]: one runspace pool in one WinRM shell, driven over the transport
//! ([MS-PSRP] 3.1.5.3 maps each PSRP step onto a WS-Management operation).
//!
//! Round trips, as pypsrp makes them: opening is a Create (SESSION_CAPABILITY and
//! INIT_RUNSPACEPOOL in `creationXml`) and Receives until RUNSPACEPOOL_STATE says Opened (one,
//! normally). A command is a Command (CREATE_PIPELINE in `Arguments`), Receives until
//! PIPELINE_STATE says it finished, and the terminate Signal. The key exchange, only before the
//! first SecureString, adds a Send of PUBLIC_KEY and a Receive of ENCRYPTED_SESSION_KEY.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use tokio::time::Instant;
use uuid::Uuid;

use super::cancel::CancelHandle;
use super::collect::Collector;
use super::error::{PipelineFailure, SessionError};
use super::invocation::Invocation;
use super::jump_host;
use super::options::{Endpoint, SessionOptions};
use super::result::{CommandResult, RoundTrips, StreamItem};
use crate::clixml::PsVersion;
use crate::psrp::events::Event;
use crate::psrp::messages::ErrorRecord;
use crate::psrp::transmit::MIN_TRANSMIT_LEN;
use crate::psrp::{
    PSInvocationState, RunspacePool, RunspacePoolOptions, RunspacePoolState, Transmit,
    TransmitPurpose, max_envelope_size,
};
use crate::recording::Recorder;
use crate::transport::Transport;
use crate::wsman::fault::CODE_INVALID_SELECTORS;
use crate::wsman::namespaces::signal;
use crate::wsman::response::CreateResponse;
use crate::wsman::{Header, ReceiveResponse, Request, Response, StreamData, max_stream_payload};

/// The stream every PSRP server answers on ([MS-PSRP] 3.1.5.3.5).
const STDOUT: &str = "stdout";

/// Receives without any data, each waiting at most the OperationTimeout, after which a
/// stopped pipeline that never reported its state is terminated regardless.
const STOP_IDLE_RECEIVES: usize = 3;

/// The WS-Management side of a session: the transport and what every header carries.
#[derive(Debug)]
struct Wire {
    transport: Transport,
    to: String,
    resource_uri: String,
    shell_id: Option<Uuid>,
    operation_timeout: Duration,
    locale: String,
    max_envelope: u32,
    operations: u64,
    /// The CommandId the server gave each pipeline's Command ([MS-WSMV] 3.1.4.11): every
    /// later Send, Receive and Signal for the pipeline must carry it, whatever the client
    /// proposed (PowerShell 2.0 servers assign their own).
    command_ids: HashMap<Uuid, Uuid>,
    /// Where the conversation is recorded, if it is.
    recorder: Option<Recorder>,
}

impl Wire {
    /// The WS-Management CommandId of `pipeline`: the one the server assigned, or the
    /// pipeline id itself before the Command was answered.
    fn command_id(&self, pipeline: Uuid) -> Uuid {
        self.command_ids.get(&pipeline).copied().unwrap_or(pipeline)
    }

    /// Forgets the CommandId of an ended pipeline.
    fn forget(&mut self, pipeline: Uuid) {
        self.command_ids.remove(&pipeline);
    }

    fn header(&self) -> Header {
        let mut header = Header::new(
            self.to.clone(),
            self.resource_uri.clone(),
            Uuid::new_v4(),
            self.max_envelope,
        );
        header.operation_timeout = Some(self.operation_timeout);
        header.locale = Some(self.locale.clone());
        header.data_locale = Some(self.locale.clone());
        match self.shell_id {
            Some(id) => header.with_shell_id(id),
            None => header,
        }
    }

    async fn call(&mut self, request: &Request, header: Header) -> Result<Response, SessionError> {
        let xml = request.to_xml(&header);
        self.operations += 1;
        // The server keeps its answer within the MaxEnvelopeSize the request carries.
        self.transport.set_max_envelope_size(self.max_envelope);
        let body = self.transport.post(&xml).await;
        if let Some(recorder) = &mut self.recorder {
            match &body {
                Ok(body) => recorder.record(&xml, Ok(body)),
                Err(e) => recorder.record(&xml, Err(&e.to_string())),
            }
        }
        let (_, response) = Response::parse(&body?)?;
        Ok(response)
    }

    async fn create(
        &mut self,
        request: &Request,
        protocol_version: PsVersion,
    ) -> Result<CreateResponse, SessionError> {
        // [MS-PSRP] 3.1.5.3.1: the client's protocol version goes in the option set, and
        // the server must honour it.
        let header = self.header().with_option(
            "protocolversion",
            &format!("{}.{}", protocol_version.major, protocol_version.minor),
            Some(true),
        );
        match self.call(request, header).await? {
            Response::Created(created) => Ok(created),
            other => Err(unexpected("CreateResponse", &other)),
        }
    }

    /// The Command of a pipeline; the server's CommandId is kept for the pipeline's later
    /// operations.
    async fn command(&mut self, transmit: Transmit) -> Result<(), SessionError> {
        let pipeline = transmit.pipeline_id;
        let request = Request::Command {
            command_id: pipeline,
            command: String::new(),
            arguments: Some(transmit.data),
        };
        // As PowerShell and pypsrp send it (captured traffic): run no cmd.exe around the
        // command.
        let header = self
            .header()
            .with_option("WINRS_SKIP_CMD_SHELL", "False", None);
        match self.call(&request, header).await? {
            Response::Command { command_id } => {
                if let Some(pipeline) = pipeline {
                    self.command_ids.insert(pipeline, command_id);
                }
                Ok(())
            }
            other => Err(unexpected("CommandResponse", &other)),
        }
    }

    async fn send(&mut self, transmit: Transmit) -> Result<(), SessionError> {
        let request = Request::Send {
            streams: vec![StreamData::new(
                transmit.stream.as_str(),
                transmit.pipeline_id.map(|p| self.command_id(p)),
                transmit.data,
            )],
        };
        match self.call(&request, self.header()).await? {
            Response::Send => Ok(()),
            other => Err(unexpected("SendResponse", &other)),
        }
    }

    /// One Receive for the shell (`None`) or a pipeline; a Receive that ran into the
    /// OperationTimeout comes back empty.
    async fn receive(&mut self, pipeline: Option<Uuid>) -> Result<ReceiveResponse, SessionError> {
        let request = Request::Receive {
            desired_stream: STDOUT.to_owned(),
            command_id: pipeline.map(|p| self.command_id(p)),
        };
        // [MS-WSMV] 3.1.4.14: keep the shell alive while output is awaited, as PowerShell
        // and pypsrp ask.
        let header = self
            .header()
            .with_option("WSMAN_CMDSHELL_OPTION_KEEPALIVE", "True", None);
        match self.call(&request, header).await {
            Ok(Response::Receive(r)) => Ok(r),
            Ok(other) => Err(unexpected("ReceiveResponse", &other)),
            Err(SessionError::Fault(f)) if f.is_timed_out() => Ok(ReceiveResponse {
                streams: Vec::new(),
                command_state: None,
            }),
            Err(e) => Err(e),
        }
    }

    async fn signal(&mut self, pipeline: Uuid, code: &str) -> Result<(), SessionError> {
        let request = Request::Signal {
            command_id: Some(self.command_id(pipeline)),
            code: code.to_owned(),
        };
        match self.call(&request, self.header()).await? {
            Response::Signal => Ok(()),
            other => Err(unexpected("SignalResponse", &other)),
        }
    }

    async fn delete(&mut self) -> Result<(), SessionError> {
        match self.call(&Request::Delete, self.header()).await? {
            Response::Delete => Ok(()),
            other => Err(unexpected("DeleteResponse", &other)),
        }
    }
}

fn unexpected(expected: &'static str, got: &Response) -> SessionError {
    SessionError::UnexpectedResponse {
        expected,
        got: got.action(),
    }
}

/// How a pipeline ended, from its PIPELINE_STATE.
#[derive(Debug, Clone)]
struct Finish {
    state: PSInvocationState,
    error: Option<ErrorRecord>,
}

/// Why a Receive was abandoned.
enum Interrupt {
    Cancelled,
    Timeout(Duration),
}

/// One remote runspace pool: connect, run commands, close.
///
/// Calls take `&mut self`: a session runs one command at a time, as Exchange runspaces do.
/// Dropping a session without [`Session::close`] deletes the shell in a task spawned on the
/// current tokio runtime; without a runtime the shell stays on the server until its idle
/// timeout, so call `close` when you can.
#[derive(Debug)]
pub struct Session {
    wire: Option<Wire>,
    pool: RunspacePool,
    fixed_envelope: bool,
    invoke_timeout: Option<Duration>,
    cancel: CancelHandle,
    /// A pipeline an [`InvokeStream`] left unfinished; it is stopped and ended before the
    /// next operation.
    abandoned: Option<Uuid>,
    /// The last pipeline whose WS-Management Command the server accepted.
    last_command: Option<Uuid>,
}

impl Session {
    /// Creates the shell and opens the runspace pool in it ([MS-PSRP] 3.1.4, 3.1.5.3.1):
    /// a Create carrying SESSION_CAPABILITY and INIT_RUNSPACEPOOL, then Receives until the
    /// pool is Opened. The server's SESSION_CAPABILITY picks the MaxEnvelopeSize unless
    /// `options.max_envelope_size` fixes it.
    ///
    /// With [`Endpoint::JumpHost`] it then runs the bootstrap (key exchange, `New-PSSession`
    /// to Exchange and `Import-PSSession`, see [`super::jump_host`]); its failure is
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
        let pool_options = RunspacePoolOptions::new(Uuid::new_v4());
        let protocol_version = pool_options.protocol_version;
        let mut pool = RunspacePool::new(pool_options);
        let wire = Wire {
            transport,
            to: options.transport.url.clone(),
            resource_uri: options.endpoint.resource_uri(),
            shell_id: None,
            operation_timeout: options.operation_timeout,
            locale: options.locale.clone(),
            max_envelope: options
                .max_envelope_size
                .unwrap_or_else(|| envelope_u32(max_envelope_size(None))),
            operations: 0,
            command_ids: HashMap::new(),
            recorder: match &options.record {
                Some(path) => Some(Recorder::create(path)?),
                None => None,
            },
        };
        pool.open()?;
        let max_len = payload_len(wire.max_envelope);
        let creation = match pool.poll_transmit(max_len) {
            Some(t) if t.purpose == TransmitPurpose::CreateShell => t,
            _ => {
                return Err(SessionError::State(
                    crate::psrp::StateError::InvalidPoolState {
                        action: "create the shell",
                        current: pool.state(),
                        expected: &[RunspacePoolState::Opening],
                    },
                ));
            }
        };
        let request = Request::Create {
            shell_id: Some(pool.id()),
            name: options.shell_name.clone(),
            idle_timeout: options.idle_timeout,
            input_streams: vec!["stdin".to_owned(), "pr".to_owned()],
            output_streams: vec![STDOUT.to_owned()],
            creation_xml: Some(creation.data),
        };
        let mut session = Session {
            wire: Some(wire),
            pool,
            fixed_envelope: options.max_envelope_size.is_some(),
            invoke_timeout: options.invoke_timeout,
            cancel: CancelHandle::default(),
            abandoned: None,
            last_command: None,
        };
        let wire = session.wire_mut()?;
        let created = wire.create(&request, protocol_version).await;
        let created = match created {
            Ok(c) => c,
            Err(e) => {
                // No shell exists: nothing for Drop to delete.
                session.wire = None;
                return Err(e);
            }
        };
        // The server's ShellId is authoritative: the selector of the endpoint reference,
        // else the `rsp:Shell` Windows appends, else (a server that says neither) the id
        // proposed.
        let shell_id = match created.shell_id()? {
            Some(id) => id,
            None => match &created.shell {
                Some(shell) => shell.shell_id()?.unwrap_or(session.pool.id()),
                None => session.pool.id(),
            },
        };
        session.wire_mut()?.shell_id = Some(shell_id);
        session.flush().await?;
        session
            .receive_shell_until(|pool| pool.state() == RunspacePoolState::Opened)
            .await?;
        if let Endpoint::JumpHost(jump) = &options.endpoint
            && let Err(e) = jump_host::bootstrap(&mut session, jump).await
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
        self.wire.as_ref().and_then(|w| w.shell_id)
    }

    /// The runspace pool, for its state, the server's protocol version and
    /// APPLICATION_PRIVATE_DATA.
    pub fn pool(&self) -> &RunspacePool {
        &self.pool
    }

    /// The MaxEnvelopeSize requests carry now.
    pub fn max_envelope_size(&self) -> u32 {
        self.wire.as_ref().map_or(0, |w| w.max_envelope)
    }

    /// Round trips made so far.
    pub fn round_trips(&self) -> RoundTrips {
        self.wire
            .as_ref()
            .map_or(RoundTrips::default(), |w| RoundTrips {
                wsman: w.operations,
                http: w.transport.round_trips(),
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
        self.cleanup_abandoned().await?;
        let deadline = self.invoke_timeout.map(|d| (Instant::now() + d, d));
        let invocation = invocation.into();
        if invocation.needs_session_key() && !self.pool.has_session_key() {
            self.exchange_key().await?;
        }
        let pool = &self.pool;
        let spec = invocation.into_spec(|text| pool.encrypt_secure_string(text))?;
        let id = self.pool.create_pipeline(&spec)?;
        if let Err(e) = self.flush().await {
            // A command the server refused to create needs no stopping.
            if self.last_command == Some(id) {
                self.abandoned = Some(id);
            }
            return Err(e);
        }
        Ok(InvokeStream {
            session: self,
            id,
            items: VecDeque::new(),
            deadline,
            state: None,
            last_error: None,
            done: false,
        })
    }

    /// Deletes the shell (wst:Delete, [MS-PSRP] 3.1.5.3.10), which also ends any command a
    /// dropped [`InvokeStream`] left running, and marks the pool Closed.
    pub async fn close(mut self) -> Result<(), SessionError> {
        self.abandoned = None;
        // A pool with pipelines not ended refuses `begin_close`; the Delete removes the
        // shell and its commands regardless.
        let _ = self.pool.begin_close();
        let Some(mut wire) = self.wire.take() else {
            return Err(SessionError::Closed);
        };
        match wire.delete().await {
            Ok(()) => {}
            // The Delete or its answer was lost. Deleting is idempotent, so it is sent once
            // more: a shell left behind would hold one of the account's few shells until the
            // server's idle timeout. "No such shell" then means the first one was done.
            Err(e) if e.kind().is_retryable() => {
                tracing::debug!(error = %e, "the shell's Delete failed; sending it again");
                match wire.delete().await {
                    Ok(()) => {}
                    Err(SessionError::Fault(f)) if f.wsman_code == Some(CODE_INVALID_SELECTORS) => {
                    }
                    Err(_) => return Err(e),
                }
            }
            Err(e) => return Err(e),
        }
        let _ = self.pool.close();
        Ok(())
    }

    fn wire_mut(&mut self) -> Result<&mut Wire, SessionError> {
        self.wire.as_mut().ok_or(SessionError::Closed)
    }

    fn max_payload(&self) -> usize {
        payload_len(self.max_envelope_size())
    }

    /// Sends everything the pool queued: a pipeline's Command, then Sends (data on `stdin`,
    /// host responses on `pr`).
    async fn flush(&mut self) -> Result<(), SessionError> {
        while let Some(transmit) = self.pool.poll_transmit(self.max_payload()) {
            let wire = self.wire_mut()?;
            match transmit.purpose {
                TransmitPurpose::CreateCommand => {
                    let id = transmit.pipeline_id;
                    wire.command(transmit).await?;
                    self.last_command = id;
                }
                _ => wire.send(transmit).await?,
            }
        }
        Ok(())
    }

    /// Feeds one Receive response to the pool and sends what it answers.
    async fn absorb(
        &mut self,
        target: Option<Uuid>,
        response: ReceiveResponse,
    ) -> Result<(), SessionError> {
        for stream in response.streams {
            if stream.name == STDOUT && !stream.data.is_empty() {
                self.feed(target, &stream.data)?;
            }
        }
        self.flush().await
    }

    /// Feeds one stream's data to the pool. When the data breaks the pool, the server's own
    /// account (a Broken RUNSPACEPOOL_STATE with its error record) is reported rather than
    /// the state machine's summary of it.
    fn feed(&mut self, target: Option<Uuid>, data: &[u8]) -> Result<(), SessionError> {
        match self.pool.receive(target, data) {
            Ok(()) => Ok(()),
            Err(e) => {
                let mut discarded = VecDeque::new();
                self.drain_events(target, &mut discarded)?;
                Err(e.into())
            }
        }
    }

    /// Takes the pool's events: items of `pipeline` go to `items`, its final state is
    /// returned, a broken pool is an error.
    fn drain_events(
        &mut self,
        pipeline: Option<Uuid>,
        items: &mut VecDeque<StreamItem>,
    ) -> Result<Option<Finish>, SessionError> {
        let mut finish = None;
        while let Some(event) = self.pool.poll_event() {
            let (id, item) = match event {
                Event::PoolStateChanged { state, error } => {
                    if matches!(state, RunspacePoolState::Broken | RunspacePoolState::Closed) {
                        return Err(SessionError::PoolEnded {
                            state,
                            record: error,
                        });
                    }
                    continue;
                }
                Event::SessionCapability => {
                    if !self.fixed_envelope {
                        let size =
                            envelope_u32(max_envelope_size(self.pool.server_protocol_version()));
                        self.wire_mut()?.max_envelope = size;
                    }
                    continue;
                }
                Event::Failed(e) => return Err(SessionError::State(e)),
                Event::HostCall { call, answer } => {
                    tracing::debug!(method = ?call.method, "host call answered non-interactively");
                    (call.pipeline_id, StreamItem::HostCall { call, answer })
                }
                Event::Output { pipeline_id, value } => {
                    (Some(pipeline_id), StreamItem::Output(value))
                }
                Event::Error {
                    pipeline_id,
                    record,
                } => (Some(pipeline_id), StreamItem::Error(record)),
                Event::Warning {
                    pipeline_id,
                    record,
                } => (Some(pipeline_id), StreamItem::Warning(record)),
                Event::Verbose {
                    pipeline_id,
                    record,
                } => (Some(pipeline_id), StreamItem::Verbose(record)),
                Event::Debug {
                    pipeline_id,
                    record,
                } => (Some(pipeline_id), StreamItem::Debug(record)),
                Event::Information {
                    pipeline_id,
                    record,
                } => (Some(pipeline_id), StreamItem::Information(record)),
                Event::Progress {
                    pipeline_id,
                    record,
                } => (Some(pipeline_id), StreamItem::Progress(record)),
                Event::PipelineStateChanged {
                    pipeline_id,
                    state,
                    error,
                } => {
                    if Some(pipeline_id) == pipeline && is_final(state) {
                        finish = Some(Finish { state, error });
                    }
                    continue;
                }
                _ => continue,
            };
            // A pool host call while a pipeline runs belongs to it too: the caller sees it.
            if pipeline.is_some() && (id == pipeline || id.is_none()) {
                items.push_back(item);
            }
        }
        Ok(finish)
    }

    /// Receives on the shell until `done` holds (pool opened, session key arrived).
    async fn receive_shell_until(
        &mut self,
        done: impl Fn(&RunspacePool) -> bool,
    ) -> Result<(), SessionError> {
        let mut ignored = VecDeque::new();
        loop {
            self.drain_events(None, &mut ignored)?;
            if done(&self.pool) {
                return Ok(());
            }
            let response = self.wire_mut()?.receive(None).await?;
            self.absorb(None, response).await?;
        }
    }

    /// The session-key exchange ([MS-PSRP] 3.1.4): PUBLIC_KEY in a Send to the shell,
    /// ENCRYPTED_SESSION_KEY from a Receive.
    async fn exchange_key(&mut self) -> Result<(), SessionError> {
        self.pool.exchange_key()?;
        self.flush().await?;
        self.receive_shell_until(RunspacePool::has_session_key)
            .await
    }

    /// One Receive for `pipeline`, raced against cancellation and the deadline. An
    /// interrupted request is abandoned mid-flight, so the connection is dropped: its
    /// security context may be out of step, and the next request authenticates again.
    async fn receive_pipeline(
        &mut self,
        pipeline: Uuid,
        deadline: Option<(Instant, Duration)>,
    ) -> Result<Result<ReceiveResponse, Interrupt>, SessionError> {
        let cancel = self.cancel.clone();
        let wire = self.wire_mut()?;
        let outcome = {
            let receive = wire.receive(Some(pipeline));
            let expiry = async {
                match deadline {
                    Some((at, _)) => tokio::time::sleep_until(at).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                biased;
                () = cancel.cancelled() => Err(Interrupt::Cancelled),
                () = expiry => Err(Interrupt::Timeout(deadline.map_or(Duration::ZERO, |d| d.1))),
                r = receive => Ok(r),
            }
        };
        match outcome {
            Ok(r) => r.map(Ok),
            Err(interrupt) => {
                wire.transport.disconnect();
                Ok(Err(interrupt))
            }
        }
    }

    /// One Receive of `pipeline`'s output, fed to the pool. Returns the pipeline's end once
    /// PIPELINE_STATE says so, after ending the command on the server.
    async fn step(
        &mut self,
        pipeline: Uuid,
        deadline: Option<(Instant, Duration)>,
        items: &mut VecDeque<StreamItem>,
    ) -> Result<Option<Finish>, SessionError> {
        let response = match self.receive_pipeline(pipeline, deadline).await? {
            Ok(r) => r,
            Err(interrupt) => {
                self.pool.lost_receive(pipeline);
                self.stop(pipeline).await?;
                return Err(match interrupt {
                    Interrupt::Cancelled => SessionError::Cancelled,
                    Interrupt::Timeout(d) => SessionError::Timeout(d),
                });
            }
        };
        let command_id = self.wire_mut()?.command_id(pipeline);
        let done = response.command_state.as_ref().is_some_and(|s| {
            s.command_id.is_none_or(|id| id == command_id)
                && s.state == crate::wsman::CommandStateKind::Done
        });
        self.absorb(Some(pipeline), response).await?;
        match self.drain_events(Some(pipeline), items)? {
            Some(finish) => {
                // The command has finished and everything it produced is here: a terminate
                // Signal that fails loses none of it, so the result stands. The server frees
                // the command with the shell; the transport reconnects for the next request.
                let wire = self.wire_mut()?;
                if let Err(e) = wire.signal(pipeline, signal::TERMINATE).await {
                    tracing::debug!(error = %e, "the terminate Signal of a finished command failed");
                }
                wire.forget(pipeline);
                self.pool.end_pipeline(pipeline)?;
                Ok(Some(finish))
            }
            None if done => {
                self.abandoned = Some(pipeline);
                Err(SessionError::CommandEndedEarly)
            }
            None => Ok(None),
        }
    }

    /// Stops a running pipeline (Signal `crtl_c`, [MS-PSRP] 3.1.5.3.8), receives until it
    /// reports its final state (discarding the output still buffered on the server), and ends
    /// the command. A server that stays silent for a few Receives gets the terminate Signal
    /// anyway; the pool then keeps the pipeline as Stopping until the shell is closed.
    async fn stop(&mut self, pipeline: Uuid) -> Result<(), SessionError> {
        let running = self
            .pool
            .pipeline_state(pipeline)
            .is_ok_and(|s| !is_final(s));
        if !running {
            return self.end_command(pipeline).await;
        }
        self.pool.begin_stop(pipeline)?;
        self.wire_mut()?.signal(pipeline, signal::PS_CRTL_C).await?;
        let mut discard = VecDeque::new();
        let mut idle = 0;
        let mut finished = false;
        while idle < STOP_IDLE_RECEIVES {
            let response = self.wire_mut()?.receive(Some(pipeline)).await?;
            let progress = response.streams.iter().any(|s| !s.data.is_empty());
            let done = response
                .command_state
                .as_ref()
                .is_some_and(|s| s.state == crate::wsman::CommandStateKind::Done);
            self.absorb(Some(pipeline), response).await?;
            finished = self.drain_events(Some(pipeline), &mut discard)?.is_some();
            discard.clear();
            if finished || done {
                break;
            }
            if !progress {
                idle += 1;
            }
        }
        let wire = self.wire_mut()?;
        wire.signal(pipeline, signal::TERMINATE).await?;
        wire.forget(pipeline);
        match self.pool.end_pipeline(pipeline) {
            Ok(()) => Ok(()),
            Err(e) if !finished => {
                tracing::debug!(error = %e, "a stopped pipeline never reported its state");
                Ok(())
            }
            Err(e) => Err(e.into()),
        }
    }

    /// The terminate Signal, then forgetting the pipeline.
    async fn end_command(&mut self, pipeline: Uuid) -> Result<(), SessionError> {
        let wire = self.wire_mut()?;
        wire.signal(pipeline, signal::TERMINATE).await?;
        wire.forget(pipeline);
        self.pool.end_pipeline(pipeline)?;
        Ok(())
    }

    /// Stops and ends the command an [`InvokeStream`] left behind. A fault means the server
    /// no longer has it (or its pool broke): nothing is left to stop.
    async fn cleanup_abandoned(&mut self) -> Result<(), SessionError> {
        match self.abandoned.take() {
            Some(id) if self.pool.pipeline_state(id).is_ok() => match self.stop(id).await {
                Err(SessionError::Fault(fault)) => {
                    tracing::debug!(%fault, "the abandoned command is gone on the server");
                    Ok(())
                }
                other => other,
            },
            _ => Ok(()),
        }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let Some(mut wire) = self.wire.take() else {
            return;
        };
        if wire.shell_id.is_none() {
            return;
        }
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(async move {
                    if let Err(e) = wire.delete().await {
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
    deadline: Option<(Instant, Duration)>,
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
            match self
                .session
                .step(self.id, self.deadline, &mut self.items)
                .await
            {
                Ok(None) => {}
                Ok(Some(finish)) => {
                    self.done = true;
                    self.state = Some(finish.state);
                    if finish.state != PSInvocationState::Completed {
                        self.last_error = Some(SessionError::Pipeline(Box::new(PipelineFailure {
                            state: finish.state,
                            record: finish.error,
                            partial: CommandResult::default(),
                        })));
                    }
                }
                Err(e) => {
                    self.done = true;
                    if !matches!(e, SessionError::Cancelled | SessionError::Timeout(_))
                        && self.session.pool.pipeline_state(self.id).is_ok()
                    {
                        self.session.abandoned = Some(self.id);
                    }
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
            self.session.abandoned = Some(self.id);
        }
    }
}

fn is_final(state: PSInvocationState) -> bool {
    matches!(
        state,
        PSInvocationState::Completed | PSInvocationState::Failed | PSInvocationState::Stopped
    )
}

fn envelope_u32(size: usize) -> u32 {
    u32::try_from(size).unwrap_or(u32::MAX)
}

fn payload_len(max_envelope: u32) -> usize {
    let envelope = usize::try_from(max_envelope).unwrap_or(usize::MAX);
    max_stream_payload(envelope).max(MIN_TRANSMIT_LEN)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clixml::PsValue;

    #[test]
    fn payloads_fit_the_envelope() {
        assert_eq!(payload_len(512_000), max_stream_payload(512_000));
        assert_eq!(payload_len(153_600), (153_600 - 3072) / 4 * 3);
        // An envelope too small for the SOAP overhead still yields a usable fragment size,
        // and the server's fault then says what is wrong.
        assert_eq!(payload_len(1000), MIN_TRANSMIT_LEN);
        assert_eq!(envelope_u32(512_000), 512_000);
        assert_eq!(envelope_u32(usize::MAX), u32::MAX);
    }

    #[test]
    fn final_states() {
        assert!(is_final(PSInvocationState::Completed));
        assert!(is_final(PSInvocationState::Failed));
        assert!(is_final(PSInvocationState::Stopped));
        assert!(!is_final(PSInvocationState::Running));
        assert!(!is_final(PSInvocationState::Stopping));
    }

    use crate::clixml::hashtable;
    use crate::psrp::messages::{CategoryInfo, InformationalRecord};
    use crate::psrp::{Command, PowerShellSpec, ServerEvent, ServerOptions, ServerRunspacePool};
    use crate::transport::{AuthMethod, Credentials, TransportOptions};

    /// A session whose pool talks to an in-memory server pool; no request is ever posted.
    fn offline_session() -> (Session, ServerRunspacePool) {
        let mut transport = TransportOptions::new(
            "http://127.0.0.1:9/wsman",
            AuthMethod::Basic,
            Credentials::new("u", "p"),
        );
        transport.allow_basic_over_http = true;
        let wire = Wire {
            transport: Transport::new(transport).expect("transport options"),
            to: "http://127.0.0.1:9/wsman".into(),
            resource_uri: "http://schemas.microsoft.com/powershell/Microsoft.Exchange".into(),
            shell_id: None,
            operation_timeout: Duration::from_secs(20),
            locale: "en-US".into(),
            max_envelope: 153_600,
            operations: 0,
            command_ids: HashMap::new(),
            recorder: None,
        };
        let mut session = Session {
            wire: Some(wire),
            pool: RunspacePool::new(RunspacePoolOptions::new(Uuid::new_v4())),
            fixed_envelope: false,
            invoke_timeout: None,
            cancel: CancelHandle::default(),
            abandoned: None,
            last_command: None,
        };
        let mut server = ServerRunspacePool::new(ServerOptions::default());
        session.pool.open().expect("open");
        deliver_to_server(&mut session, &mut server);
        while let Some(event) = server.poll_event() {
            match event {
                ServerEvent::SessionCapability { .. } => {
                    server.send_session_capability().expect("capability");
                }
                ServerEvent::InitRunspacePool { .. } => {
                    server
                        .send_application_private_data(hashtable(Vec::new()))
                        .expect("private data");
                    server
                        .set_state(RunspacePoolState::Opened, None)
                        .expect("opened");
                }
                _ => {}
            }
        }
        deliver_to_client(&mut server, &mut session);
        (session, server)
    }

    fn deliver_to_server(session: &mut Session, server: &mut ServerRunspacePool) {
        while let Some(t) = session.pool.poll_transmit(session.max_payload()) {
            server
                .receive(t.pipeline_id, &t.data)
                .expect("server input");
        }
    }

    fn deliver_to_client(server: &mut ServerRunspacePool, session: &mut Session) {
        while let Some(t) = server.poll_transmit(100_000) {
            session
                .pool
                .receive(t.pipeline_id, &t.data)
                .expect("client input");
        }
    }

    #[test]
    fn the_servers_capability_raises_the_envelope() {
        let (mut session, _server) = offline_session();
        let mut items = VecDeque::new();
        assert!(
            session
                .drain_events(None, &mut items)
                .expect("events")
                .is_none()
        );
        assert_eq!(session.pool.state(), RunspacePoolState::Opened);
        assert_eq!(session.max_envelope_size(), 512_000);
        assert!(items.is_empty());
    }

    #[test]
    fn pipeline_events_become_items_in_order_and_the_state_ends_them() {
        let (mut session, mut server) = offline_session();
        let mut items = VecDeque::new();
        session.drain_events(None, &mut items).expect("open");
        let id = session
            .pool
            .create_pipeline(&PowerShellSpec::new(Command::new("Get-Thing")))
            .expect("pipeline");
        deliver_to_server(&mut session, &mut server);
        let mut created = false;
        while let Some(event) = server.poll_event() {
            if let ServerEvent::CreatePipeline { pipeline_id, .. } = event {
                assert_eq!(pipeline_id, id);
                created = true;
            }
        }
        assert!(created);
        server.write_output(id, PsValue::I32(7)).expect("output");
        server
            .write_warning(id, InformationalRecord::new("Warning", "careful"))
            .expect("warning");
        let record = ErrorRecord::new(
            &["System.Exception"],
            "bad thing",
            "BadThing",
            CategoryInfo {
                category: 0,
                activity: None,
                reason: None,
                target_name: None,
                target_type: None,
                message: None,
            },
            None,
        );
        server.write_error(id, record).expect("error");
        server
            .write_verbose(id, InformationalRecord::new("Verbose", "v"))
            .expect("verbose");
        server
            .write_debug(id, InformationalRecord::new("Debug", "d"))
            .expect("debug");
        server
            .set_pipeline_state(id, PSInvocationState::Completed, None)
            .expect("state");
        deliver_to_client(&mut server, &mut session);
        let finish = session
            .drain_events(Some(id), &mut items)
            .expect("events")
            .expect("finished");
        assert_eq!(finish.state, PSInvocationState::Completed);
        let kinds: Vec<&str> = items
            .iter()
            .map(|i| match i {
                StreamItem::Output(_) => "output",
                StreamItem::Warning(_) => "warning",
                StreamItem::Error(_) => "error",
                StreamItem::Verbose(_) => "verbose",
                StreamItem::Debug(_) => "debug",
                _ => "other",
            })
            .collect();
        assert_eq!(kinds, ["output", "warning", "error", "verbose", "debug"]);
        assert!(matches!(&items[0], StreamItem::Output(PsValue::I32(7))));
        assert!(
            matches!(&items[2], StreamItem::Error(r) if r.fully_qualified_error_id() == Some("BadThing"))
        );
    }

    #[test]
    fn a_broken_pool_is_an_error_with_the_servers_record() {
        let (mut session, mut server) = offline_session();
        let mut items = VecDeque::new();
        session.drain_events(None, &mut items).expect("open");
        let record = ErrorRecord::new(
            &["System.Management.Automation.Remoting.PSRemotingTransportException"],
            "the worker process crashed",
            "PSSessionStateBroken",
            CategoryInfo {
                category: 0,
                activity: None,
                reason: None,
                target_name: None,
                target_type: None,
                message: None,
            },
            None,
        );
        server
            .set_state(RunspacePoolState::Broken, Some(record))
            .expect("broken");
        let t = server.poll_transmit(100_000).expect("state message");
        match session.feed(t.pipeline_id, &t.data) {
            Err(SessionError::PoolEnded { state, record }) => {
                assert_eq!(state, RunspacePoolState::Broken);
                assert_eq!(
                    record.as_ref().and_then(ErrorRecord::message),
                    Some("the worker process crashed")
                );
            }
            other => panic!("expected PoolEnded, got {other:?}"),
        }
    }

    #[test]
    fn sessions_and_handles_cross_threads() {
        fn send<T: Send>() {}
        fn sync<T: Send + Sync>() {}
        send::<Session>();
        send::<InvokeStream<'static>>();
        sync::<CancelHandle>();
    }
}
