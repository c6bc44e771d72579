//! [`ShellClient`]: the client side of one WinRS shell that carries a PSRP runspace pool,
//! sans-IO ([MS-PSRP] 3.1.5.3 maps each PSRP step onto a WS-Management operation).
//!
//! The machine owns the [`RunspacePool`] and everything the WS-Management side remembers: the
//! ShellId and CommandIds the server assigned, the MaxEnvelopeSize, the count of operations,
//! the pipeline a caller left running, and the invoke deadline. A driver queues work
//! ([`ShellClient::open`], [`ShellClient::invoke`], [`ShellClient::read`],
//! [`ShellClient::close`]), then loops: POST what [`ShellClient::poll_request`] gives, hand
//! the answer to [`ShellClient::handle_response`], until no request is left; the work's end
//! is then among the [`ShellClient::poll_event`]s. While a command's output is awaited,
//! [`ShellClient::poll_timeout`] says when the deadline passes, and [`ShellClient::cancel`]
//! or [`ShellClient::handle_timeout`] abandon the Receive in flight and stop the command.
//!
//! Round trips, as pypsrp makes them: opening is a Create (SESSION_CAPABILITY and
//! INIT_RUNSPACEPOOL in `creationXml`) and Receives until RUNSPACEPOOL_STATE says Opened (one,
//! normally). A command is a Command (CREATE_PIPELINE in `Arguments`), Receives until
//! PIPELINE_STATE says it finished, and the terminate Signal. The key exchange, only before the
//! first SecureString, adds a Send of PUBLIC_KEY and a Receive of ENCRYPTED_SESSION_KEY.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use uuid::Uuid;

use self::stop::Stop;
use super::envelope::{
    Addressing, Answer, Operation, Outgoing, STDOUT, envelope_u32, max_envelope_size, payload_len,
    read_answer, with_options,
};
use crate::clixml::PsVersion;
use crate::command::{Invocation, StreamItem};
use crate::error::SessionError;
use crate::psrp::events::Event;
use crate::psrp::messages::ErrorRecord;
use crate::psrp::{
    PSInvocationState, RunspacePool, RunspacePoolOptions, RunspacePoolState, StateError,
    TransmitPurpose,
};
use crate::transport::TransportError;
use crate::wsman::fault::CODE_INVALID_SELECTORS;
use crate::wsman::namespaces::signal;
use crate::wsman::response::CreateResponse;
use crate::wsman::{CommandStateKind, ReceiveResponse, Request, StreamData};

/// Receives without any data, each waiting at most the OperationTimeout, after which a
/// stopped pipeline that never reported its state is terminated regardless.
pub const STOP_IDLE_RECEIVES: usize = 3;

/// What the shell is and how its requests are addressed.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ShellConfig {
    /// The endpoint URL (`wsa:To`).
    pub to: String,
    /// The session configuration's resource URI.
    pub resource_uri: String,
    /// The shell's `Name`.
    pub shell_name: Option<String>,
    /// The shell's `rsp:IdleTimeOut`.
    pub idle_timeout: Option<Duration>,
    /// The OperationTimeout every request carries.
    pub operation_timeout: Duration,
    /// The Locale and DataLocale every request carries.
    pub locale: String,
    /// A fixed MaxEnvelopeSize; `None` lets the server's SESSION_CAPABILITY pick it.
    pub max_envelope_size: Option<u32>,
    /// How long a command may run, from [`ShellClient::invoke`] on.
    pub invoke_timeout: Option<Duration>,
}

impl ShellConfig {
    /// A shell at `to` for the configuration `resource_uri`, with the defaults of
    /// [`crate::exchange::SessionOptions`].
    pub fn new(to: impl Into<String>, resource_uri: impl Into<String>) -> Self {
        ShellConfig {
            to: to.into(),
            resource_uri: resource_uri.into(),
            shell_name: None,
            idle_timeout: None,
            operation_timeout: Duration::from_secs(20),
            locale: "en-US".to_owned(),
            max_envelope_size: None,
            invoke_timeout: None,
        }
    }
}

/// What the machine reports.
#[derive(Debug)]
#[non_exhaustive]
pub enum ShellEvent {
    /// The shell exists and the runspace pool is Opened.
    Opened,
    /// The session key arrived (ENCRYPTED_SESSION_KEY).
    KeyExchanged,
    /// The command of [`ShellClient::invoke`] runs on the server.
    Started {
        /// The PSRP pipeline id.
        pipeline: Uuid,
    },
    /// An item the running command produced.
    Item {
        /// The pipeline it came from.
        pipeline: Uuid,
        /// The item.
        item: StreamItem,
    },
    /// A [`ShellClient::read`] ended; the command has not finished.
    Received {
        /// The pipeline read.
        pipeline: Uuid,
    },
    /// The command finished and was ended on the server.
    Finished {
        /// The pipeline.
        pipeline: Uuid,
        /// Completed, Failed or Stopped.
        state: PSInvocationState,
        /// The terminating error, if it failed.
        error: Option<ErrorRecord>,
    },
    /// The shell was deleted and the pool is Closed.
    Deleted,
    /// The queued work failed.
    Failed(SessionError),
}

/// Why a Receive was abandoned.
#[derive(Debug, Clone, Copy)]
enum Interrupt {
    Cancelled,
    Timeout(Duration),
}

impl Interrupt {
    fn error(self) -> SessionError {
        match self {
            Interrupt::Cancelled => SessionError::Cancelled,
            Interrupt::Timeout(d) => SessionError::Timeout(d),
        }
    }
}

/// How a pipeline ended, from its PIPELINE_STATE.
#[derive(Debug, Clone)]
struct Finish {
    state: PSInvocationState,
    error: Option<ErrorRecord>,
}

/// The request awaiting its answer.
#[derive(Debug, Clone, Copy)]
struct InFlight {
    operation: Operation,
    /// For a Command: the pipeline whose CommandId the answer assigns.
    pipeline: Option<Uuid>,
}

#[derive(Debug)]
enum OpenPhase {
    /// The Create, carrying the pool's opening messages.
    Create(Option<Request>),
    /// Receives on the shell until the pool is Opened.
    Opening,
}

#[derive(Debug, Clone, Copy)]
enum InvokePhase {
    /// Stopping the pipeline a caller left running.
    Cleanup(Stop),
    /// Starting the deadline, and the key exchange if the command needs it.
    Begin,
    /// Receives on the shell until the session key arrived.
    Key,
    /// Creating the pipeline.
    Create,
    /// Sending the pipeline's Command and input.
    Started(Uuid),
}

#[derive(Debug, Clone, Copy)]
enum ReadPhase {
    /// The Receive of the pipeline's output; the one request a caller may interrupt.
    Receive,
    /// The Receive was fed; what the pool answers is sent, then its events are read.
    Drain { done: bool },
    /// The terminate Signal of the finished pipeline.
    Terminate,
    /// Stopping the pipeline after an interrupted Receive.
    Stopping(Stop, Interrupt),
}

/// The work in progress.
#[derive(Debug)]
enum Task {
    Idle,
    Open(OpenPhase),
    Invoke {
        invocation: Option<Invocation>,
        phase: InvokePhase,
    },
    Read {
        pipeline: Uuid,
        phase: ReadPhase,
        finish: Option<Finish>,
    },
    Close {
        /// The first Delete's failure, once it is sent again.
        retry_of: Option<SessionError>,
    },
}

/// Whether a step produced a request, or the task moved on.
type Step = Result<Option<Outgoing>, SessionError>;

/// The client side of one WinRS shell with its runspace pool; see the [module](self).
#[derive(Debug)]
pub struct ShellClient {
    config: ShellConfig,
    addressing: Addressing,
    protocol_version: PsVersion,
    pool: RunspacePool,
    /// The ShellId the server gave the shell; `None` until it exists.
    shell_id: Option<Uuid>,
    max_envelope: u32,
    operations: u64,
    /// The CommandId the server gave each pipeline's Command ([MS-WSMV] 3.1.4.11): every
    /// later Send, Receive and Signal for the pipeline must carry it, whatever the client
    /// proposed (PowerShell 2.0 servers assign their own).
    command_ids: HashMap<Uuid, Uuid>,
    /// A pipeline a caller left unfinished; it is stopped and ended before the next command.
    abandoned: Option<Uuid>,
    /// The last pipeline whose Command the server accepted.
    last_command: Option<Uuid>,
    /// When the running command's time is up, and its limit.
    deadline: Option<(Instant, Duration)>,
    task: Task,
    in_flight: Option<InFlight>,
    events: VecDeque<ShellEvent>,
    deleted: bool,
}

impl ShellClient {
    /// A machine for a shell not created yet, with a new runspace pool.
    pub fn new(config: ShellConfig) -> Self {
        let options = RunspacePoolOptions::new(Uuid::new_v4());
        let protocol_version = options.protocol_version;
        ShellClient {
            addressing: Addressing {
                to: config.to.clone(),
                resource_uri: config.resource_uri.clone(),
                operation_timeout: config.operation_timeout,
                locale: config.locale.clone(),
            },
            max_envelope: config
                .max_envelope_size
                .unwrap_or_else(|| envelope_u32(max_envelope_size(None))),
            config,
            protocol_version,
            pool: RunspacePool::new(options),
            shell_id: None,
            operations: 0,
            command_ids: HashMap::new(),
            abandoned: None,
            last_command: None,
            deadline: None,
            task: Task::Idle,
            in_flight: None,
            events: VecDeque::new(),
            deleted: false,
        }
    }

    /// The runspace pool.
    pub fn pool(&self) -> &RunspacePool {
        &self.pool
    }

    /// The ShellId the server assigned, once the shell exists.
    pub fn shell_id(&self) -> Option<Uuid> {
        self.shell_id
    }

    /// The MaxEnvelopeSize requests carry now.
    pub fn max_envelope_size(&self) -> u32 {
        self.max_envelope
    }

    /// WS-Management operations sent so far.
    pub fn operations(&self) -> u64 {
        self.operations
    }

    /// Queues opening: the Create of the shell ([MS-PSRP] 3.1.5.3.1), then Receives until
    /// the pool is Opened. Ends with [`ShellEvent::Opened`].
    pub fn open(&mut self) -> Result<(), SessionError> {
        self.pool.open()?;
        let creation = match self.pool.poll_transmit(self.max_payload()) {
            Some(t) if t.purpose == TransmitPurpose::CreateShell => t,
            _ => {
                return Err(SessionError::State(StateError::InvalidPoolState {
                    action: "create the shell",
                    current: self.pool.state(),
                    expected: &[RunspacePoolState::Opening],
                }));
            }
        };
        let request = Request::Create {
            shell_id: Some(self.pool.id()),
            name: self.config.shell_name.clone(),
            idle_timeout: self.config.idle_timeout,
            input_streams: vec!["stdin".to_owned(), "pr".to_owned()],
            output_streams: vec![STDOUT.to_owned()],
            creation_xml: Some(creation.data),
        };
        self.begin(Task::Open(OpenPhase::Create(Some(request))));
        Ok(())
    }

    /// Queues a command: first the pipeline a caller left running is stopped, the deadline
    /// starts, the session key is exchanged if the command has SecureStrings and there is no
    /// key yet; then the Command and its input. Ends with [`ShellEvent::Started`].
    pub fn invoke(&mut self, invocation: Invocation) -> Result<(), SessionError> {
        self.check_open()?;
        let phase = match self.abandoned.take() {
            Some(id) if self.pool.pipeline_state(id).is_ok() => InvokePhase::Cleanup(Stop::new(id)),
            _ => InvokePhase::Begin,
        };
        self.begin(Task::Invoke {
            invocation: Some(invocation),
            phase,
        });
        Ok(())
    }

    /// Queues one Receive of `pipeline`'s output: its items come as [`ShellEvent::Item`],
    /// then [`ShellEvent::Received`], or [`ShellEvent::Finished`] once PIPELINE_STATE says
    /// so and the command was ended with the terminate Signal.
    pub fn read(&mut self, pipeline: Uuid) -> Result<(), SessionError> {
        self.check_open()?;
        self.begin(Task::Read {
            pipeline,
            phase: ReadPhase::Receive,
            finish: None,
        });
        Ok(())
    }

    /// Leaves `pipeline` unfinished: it is stopped and ended before the next command.
    pub fn abandon(&mut self, pipeline: Uuid) {
        self.abandoned = Some(pipeline);
    }

    /// Queues the Delete of the shell ([MS-PSRP] 3.1.5.3.10), which also ends any command
    /// left running, sent once more when it fails in a way worth retrying. Ends with
    /// [`ShellEvent::Deleted`], the pool Closed.
    pub fn close(&mut self) -> Result<(), SessionError> {
        self.abandoned = None;
        // A pool with pipelines not ended refuses `begin_close`; the Delete removes the
        // shell and its commands regardless.
        let _ = self.pool.begin_close();
        if self.shell_id.is_none() || self.deleted {
            return Err(SessionError::Closed);
        }
        self.begin(Task::Close { retry_of: None });
        Ok(())
    }

    /// The Delete of the shell on its own, for a driver that cannot wait for the answer
    /// (read it with [`read_answer`]); `None` without a shell.
    pub fn delete_request(&mut self) -> Option<Outgoing> {
        if self.deleted {
            return None;
        }
        let shell = self.shell_id?;
        Some(self.build(Request::Delete, Operation::Delete, Some(shell), false))
    }

    /// Cancels the command being read: the Receive in flight is abandoned, the command
    /// stopped, and the read fails with [`SessionError::Cancelled`]. Does nothing at other
    /// times.
    pub fn cancel(&mut self) {
        self.interrupt(Interrupt::Cancelled);
    }

    /// When the running command's deadline passes, while its output is awaited.
    pub fn poll_timeout(&self) -> Option<Instant> {
        match self.task {
            Task::Read {
                phase: ReadPhase::Receive,
                ..
            } => self.deadline.map(|(at, _)| at),
            _ => None,
        }
    }

    /// Tells the machine the time is `now`: past the deadline, the Receive in flight is
    /// abandoned, the command stopped, and the read fails with [`SessionError::Timeout`].
    pub fn handle_timeout(&mut self, now: Instant) {
        if let Some((at, limit)) = self.deadline
            && now >= at
            && self.poll_timeout().is_some()
        {
            self.interrupt(Interrupt::Timeout(limit));
        }
    }

    /// The next request to POST, `None` while one awaits its answer or when the queued work
    /// is done.
    pub fn poll_request(&mut self, now: Instant) -> Option<Outgoing> {
        if self.in_flight.is_some() {
            return None;
        }
        loop {
            let mut task = std::mem::replace(&mut self.task, Task::Idle);
            let step = self.step(&mut task, now);
            self.task = task;
            match step {
                Ok(request) => return request,
                Err(e) => self.fail(e),
            }
        }
    }

    /// Takes the answer to the request in flight: the body the server sent, or why none came.
    pub fn handle_response(&mut self, answer: Result<Vec<u8>, TransportError>) {
        let Some(flight) = self.in_flight.take() else {
            return;
        };
        let answer = read_answer(flight.operation, answer);
        let outcome = match (flight.operation, answer) {
            (Operation::Command, Ok(Answer::Command(command_id))) => {
                if let Some(pipeline) = flight.pipeline {
                    self.command_ids.insert(pipeline, command_id);
                }
                self.last_command = flight.pipeline;
                Ok(())
            }
            (Operation::Command | Operation::Send, answer) => answer.map(drop),
            (_, answer) => {
                let mut task = std::mem::replace(&mut self.task, Task::Idle);
                let outcome = self.take_answer(&mut task, answer);
                self.task = task;
                outcome
            }
        };
        if let Err(e) = outcome {
            self.fail(e);
        }
    }

    /// The next thing that happened.
    pub fn poll_event(&mut self) -> Option<ShellEvent> {
        self.events.pop_front()
    }

    fn check_open(&self) -> Result<(), SessionError> {
        match self.shell_id {
            Some(_) if !self.deleted => Ok(()),
            _ => Err(SessionError::Closed),
        }
    }

    /// Starts `task`; work a driver stopped driving midway is dropped.
    fn begin(&mut self, task: Task) {
        self.in_flight = None;
        self.task = task;
    }

    fn complete(&mut self, task: &mut Task, event: ShellEvent) {
        *task = Task::Idle;
        self.events.push_back(event);
    }

    /// Ends the task with `e`, unless the task outlives it. A command a caller can no longer
    /// read is left to be stopped before the next one.
    fn fail(&mut self, e: SessionError) {
        self.in_flight = None;
        match &mut self.task {
            // A fault means the server no longer has the command (or its pool broke):
            // nothing is left to stop.
            Task::Invoke { phase, .. }
                if matches!(phase, InvokePhase::Cleanup(_))
                    && matches!(e, SessionError::Fault(_)) =>
            {
                tracing::debug!(error = %e, "the abandoned command is gone on the server");
                *phase = InvokePhase::Begin;
                return;
            }
            // A command the server refused to create needs no stopping.
            Task::Invoke {
                phase: InvokePhase::Started(id),
                ..
            } if self.last_command == Some(*id) => self.abandoned = Some(*id),
            Task::Read { pipeline, .. }
                if !matches!(e, SessionError::Cancelled | SessionError::Timeout(_))
                    && self.pool.pipeline_state(*pipeline).is_ok() =>
            {
                self.abandoned = Some(*pipeline);
            }
            _ => {}
        }
        self.task = Task::Idle;
        self.events.push_back(ShellEvent::Failed(e));
    }

    fn interrupt(&mut self, interrupt: Interrupt) {
        if let Task::Read {
            pipeline,
            phase: phase @ ReadPhase::Receive,
            ..
        } = &mut self.task
        {
            self.in_flight = None;
            self.pool.lost_receive(*pipeline);
            *phase = ReadPhase::Stopping(Stop::new(*pipeline), interrupt);
        }
    }

    /// Advances `task` to its next request, or to its end.
    fn step(&mut self, task: &mut Task, now: Instant) -> Step {
        loop {
            match task {
                Task::Idle => return Ok(None),
                Task::Open(OpenPhase::Create(request)) => {
                    return Ok(request
                        .take()
                        .map(|r| self.send(r, Operation::Create, None, false)));
                }
                Task::Open(OpenPhase::Opening) => {
                    if let Some(request) = self.flush() {
                        return Ok(Some(request));
                    }
                    self.drain(None, false)?;
                    if self.pool.state() == RunspacePoolState::Opened {
                        self.complete(task, ShellEvent::Opened);
                        return Ok(None);
                    }
                    return Ok(Some(self.receive(None, false)));
                }
                Task::Invoke {
                    phase: InvokePhase::Started(pipeline),
                    ..
                } => {
                    let pipeline = *pipeline;
                    if let Some(request) = self.flush() {
                        return Ok(Some(request));
                    }
                    self.complete(task, ShellEvent::Started { pipeline });
                    return Ok(None);
                }
                Task::Invoke { invocation, phase } => {
                    if let Some(request) = self.step_invoke(invocation, phase, now)? {
                        return Ok(Some(request));
                    }
                }
                Task::Read { .. } => return self.step_read(task),
                Task::Close { .. } => {
                    return Ok(Some(self.send(
                        Request::Delete,
                        Operation::Delete,
                        None,
                        false,
                    )));
                }
            }
        }
    }

    /// One step of [`Task::Read`].
    fn step_read(&mut self, task: &mut Task) -> Step {
        loop {
            let Task::Read {
                pipeline,
                phase,
                finish,
            } = task
            else {
                return Ok(None);
            };
            let pipeline = *pipeline;
            match *phase {
                ReadPhase::Receive => return Ok(Some(self.receive(Some(pipeline), true))),
                ReadPhase::Drain { done } => {
                    if let Some(request) = self.flush() {
                        return Ok(Some(request));
                    }
                    match self.drain(Some(pipeline), true)? {
                        Some(f) => {
                            *finish = Some(f);
                            *phase = ReadPhase::Terminate;
                        }
                        None if done => {
                            self.abandoned = Some(pipeline);
                            return Err(SessionError::CommandEndedEarly);
                        }
                        None => {
                            self.complete(task, ShellEvent::Received { pipeline });
                            return Ok(None);
                        }
                    }
                }
                ReadPhase::Terminate => {
                    return Ok(Some(self.signal(pipeline, signal::TERMINATE)));
                }
                ReadPhase::Stopping(mut stop, interrupt) => {
                    let request = self.step_stop(&mut stop)?;
                    *phase = ReadPhase::Stopping(stop, interrupt);
                    return match request {
                        Some(request) => Ok(Some(request)),
                        None => Err(interrupt.error()),
                    };
                }
            }
        }
    }

    /// One step of [`Task::Invoke`] before the pipeline exists; `None` with the phase moved
    /// on.
    fn step_invoke(
        &mut self,
        invocation: &mut Option<Invocation>,
        phase: &mut InvokePhase,
        now: Instant,
    ) -> Step {
        match *phase {
            InvokePhase::Cleanup(mut stop) => {
                let request = self.step_stop(&mut stop)?;
                *phase = match request {
                    Some(_) => InvokePhase::Cleanup(stop),
                    None => InvokePhase::Begin,
                };
                Ok(request)
            }
            InvokePhase::Begin => {
                self.deadline = self.config.invoke_timeout.map(|d| (now + d, d));
                let needs_key = invocation
                    .as_ref()
                    .is_some_and(Invocation::needs_session_key);
                *phase = if needs_key && !self.pool.has_session_key() {
                    self.pool.exchange_key()?;
                    InvokePhase::Key
                } else {
                    InvokePhase::Create
                };
                Ok(None)
            }
            InvokePhase::Key => {
                if let Some(request) = self.flush() {
                    return Ok(Some(request));
                }
                self.drain(None, false)?;
                if !self.pool.has_session_key() {
                    return Ok(Some(self.receive(None, false)));
                }
                self.events.push_back(ShellEvent::KeyExchanged);
                *phase = InvokePhase::Create;
                Ok(None)
            }
            InvokePhase::Create => {
                let Some(invocation) = invocation.take() else {
                    return Err(SessionError::Closed);
                };
                let pool = &self.pool;
                let spec = invocation.into_spec(|text| pool.encrypt_secure_string(text))?;
                *phase = InvokePhase::Started(self.pool.create_pipeline(&spec)?);
                Ok(None)
            }
            InvokePhase::Started(_) => Ok(None),
        }
    }

    /// Takes the answer to a request of `task` (a Command's or Send's is taken before).
    fn take_answer(
        &mut self,
        task: &mut Task,
        answer: Result<Answer, SessionError>,
    ) -> Result<(), SessionError> {
        if let Task::Read {
            pipeline,
            phase: ReadPhase::Terminate,
            finish,
        } = task
        {
            // The command has finished and everything it produced is here: a terminate
            // Signal that fails loses none of it, so the result stands. The server frees the
            // command with the shell; the transport reconnects for the next request.
            if let Err(e) = answer {
                tracing::debug!(error = %e, "the terminate Signal of a finished command failed");
            }
            let pipeline = *pipeline;
            let finish = finish.take();
            self.command_ids.remove(&pipeline);
            self.pool.end_pipeline(pipeline)?;
            let (state, error) =
                finish.map_or((PSInvocationState::Completed, None), |f| (f.state, f.error));
            self.complete(
                task,
                ShellEvent::Finished {
                    pipeline,
                    state,
                    error,
                },
            );
            return Ok(());
        }
        if let Task::Close { retry_of } = task {
            return self.take_delete_answer(retry_of, answer).map(|deleted| {
                if deleted {
                    let _ = self.pool.close();
                    self.deleted = true;
                    self.complete(task, ShellEvent::Deleted);
                }
            });
        }
        let answer = answer?;
        match (task, answer) {
            (Task::Open(phase), Answer::Created(created)) => {
                self.shell_id = Some(assigned_shell_id(&created, self.pool.id())?);
                *phase = OpenPhase::Opening;
            }
            (
                Task::Open(OpenPhase::Opening)
                | Task::Invoke {
                    phase: InvokePhase::Key,
                    ..
                },
                Answer::Received(response),
            ) => self.absorb(None, response)?,
            (
                Task::Invoke {
                    phase: InvokePhase::Cleanup(stop),
                    ..
                }
                | Task::Read {
                    phase: ReadPhase::Stopping(stop, _),
                    ..
                },
                answer,
            ) => self.take_stop_answer(stop, answer)?,
            (
                Task::Read {
                    pipeline,
                    phase: phase @ ReadPhase::Receive,
                    ..
                },
                Answer::Received(response),
            ) => {
                let command_id = self.command_id(*pipeline);
                let done = response.command_state.as_ref().is_some_and(|s| {
                    s.command_id.is_none_or(|id| id == command_id)
                        && s.state == CommandStateKind::Done
                });
                self.absorb(Some(*pipeline), response)?;
                *phase = ReadPhase::Drain { done };
            }
            _ => {}
        }
        Ok(())
    }

    /// Whether the shell is gone after a Delete's answer. A lost Delete or answer is sent
    /// once more: deleting is idempotent, and a shell left behind would hold one of the
    /// account's few shells until the server's idle timeout. "No such shell" then means the
    /// first one was done.
    fn take_delete_answer(
        &mut self,
        retry_of: &mut Option<SessionError>,
        answer: Result<Answer, SessionError>,
    ) -> Result<bool, SessionError> {
        match (answer, retry_of.take()) {
            (Ok(_), _) => Ok(true),
            (Err(SessionError::Fault(f)), Some(_))
                if f.wsman_code == Some(CODE_INVALID_SELECTORS) =>
            {
                Ok(true)
            }
            (Err(_), Some(first)) => Err(first),
            (Err(e), None) if e.kind().is_retryable() => {
                tracing::debug!(error = %e, "the shell's Delete failed; sending it again");
                *retry_of = Some(e);
                Ok(false)
            }
            (Err(e), None) => Err(e),
        }
    }

    fn max_payload(&self) -> usize {
        payload_len(self.max_envelope)
    }

    /// The WS-Management CommandId of `pipeline`: the one the server assigned, or the
    /// pipeline id itself before the Command was answered.
    fn command_id(&self, pipeline: Uuid) -> Uuid {
        self.command_ids.get(&pipeline).copied().unwrap_or(pipeline)
    }

    /// The next thing the pool queued: a pipeline's Command, or a Send (data on `stdin`, host
    /// responses on `pr`).
    fn flush(&mut self) -> Option<Outgoing> {
        let transmit = self.pool.poll_transmit(self.max_payload())?;
        Some(match transmit.purpose {
            TransmitPurpose::CreateCommand => {
                let request = Request::Command {
                    command_id: transmit.pipeline_id,
                    command: String::new(),
                    arguments: Some(transmit.data),
                };
                self.send(request, Operation::Command, transmit.pipeline_id, false)
            }
            _ => {
                let request = Request::Send {
                    streams: vec![StreamData::new(
                        transmit.stream.as_str(),
                        transmit.pipeline_id.map(|p| self.command_id(p)),
                        transmit.data,
                    )],
                };
                self.send(request, Operation::Send, None, false)
            }
        })
    }

    /// One Receive for the shell (`None`) or a pipeline.
    fn receive(&mut self, pipeline: Option<Uuid>, interruptible: bool) -> Outgoing {
        let request = Request::Receive {
            desired_stream: STDOUT.to_owned(),
            command_id: pipeline.map(|p| self.command_id(p)),
        };
        self.send(request, Operation::Receive, None, interruptible)
    }

    fn signal(&mut self, pipeline: Uuid, code: &str) -> Outgoing {
        let request = Request::Signal {
            command_id: Some(self.command_id(pipeline)),
            code: code.to_owned(),
        };
        self.send(request, Operation::Signal, None, false)
    }

    /// `request` as the request in flight.
    fn send(
        &mut self,
        request: Request,
        operation: Operation,
        pipeline: Option<Uuid>,
        interruptible: bool,
    ) -> Outgoing {
        self.in_flight = Some(InFlight {
            operation,
            pipeline,
        });
        self.build(request, operation, self.shell_id, interruptible)
    }

    fn build(
        &mut self,
        request: Request,
        operation: Operation,
        shell_id: Option<Uuid>,
        interruptible: bool,
    ) -> Outgoing {
        self.operations += 1;
        let header = self.addressing.header(self.max_envelope, shell_id);
        let header = with_options(&request, header, self.protocol_version);
        Outgoing {
            body: request.to_xml(&header),
            operation,
            max_envelope: self.max_envelope,
            interruptible,
        }
    }

    /// Feeds one Receive response's output to the pool.
    fn absorb(
        &mut self,
        target: Option<Uuid>,
        response: ReceiveResponse,
    ) -> Result<(), SessionError> {
        for stream in response.streams {
            if stream.name == STDOUT && !stream.data.is_empty() {
                self.feed(target, &stream.data)?;
            }
        }
        Ok(())
    }

    /// Feeds one stream's data to the pool. When the data breaks the pool, the server's own
    /// account (a Broken RUNSPACEPOOL_STATE with its error record) is reported rather than
    /// the state machine's summary of it.
    fn feed(&mut self, target: Option<Uuid>, data: &[u8]) -> Result<(), SessionError> {
        match self.pool.receive(target, data) {
            Ok(()) => Ok(()),
            Err(e) => {
                self.drain(target, false)?;
                Err(e.into())
            }
        }
    }

    /// Takes the pool's events: with `emit`, the items of `pipeline` become
    /// [`ShellEvent::Item`]s; its final state is returned; a broken pool is an error. The
    /// server's SESSION_CAPABILITY raises the MaxEnvelopeSize unless it is fixed.
    fn drain(
        &mut self,
        pipeline: Option<Uuid>,
        emit: bool,
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
                    if self.config.max_envelope_size.is_none() {
                        let version = self.pool.server_protocol_version();
                        self.max_envelope = envelope_u32(max_envelope_size(version));
                    }
                    continue;
                }
                Event::Failed(e) => return Err(SessionError::State(e)),
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
                other => match stream_item(other) {
                    Some(item) => item,
                    None => continue,
                },
            };
            // A pool host call while a pipeline runs belongs to it too: the caller sees it.
            if let Some(p) = pipeline
                && emit
                && (id == pipeline || id.is_none())
            {
                self.events
                    .push_back(ShellEvent::Item { pipeline: p, item });
            }
        }
        Ok(finish)
    }
}

/// The item a pool event carries, with its pipeline (`None`: the pool's).
fn stream_item(event: Event) -> Option<(Option<Uuid>, StreamItem)> {
    Some(match event {
        Event::HostCall { call, answer } => {
            tracing::debug!(method = ?call.method, "host call answered non-interactively");
            (call.pipeline_id, StreamItem::HostCall { call, answer })
        }
        Event::Output { pipeline_id, value } => (Some(pipeline_id), StreamItem::Output(value)),
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
        _ => return None,
    })
}

/// The server's ShellId is authoritative: the selector of the endpoint reference, else the
/// `rsp:Shell` Windows appends, else (a server that says neither) the id proposed.
fn assigned_shell_id(created: &CreateResponse, proposed: Uuid) -> Result<Uuid, SessionError> {
    Ok(match created.shell_id()? {
        Some(id) => id,
        None => match &created.shell {
            Some(shell) => shell.shell_id()?.unwrap_or(proposed),
            None => proposed,
        },
    })
}

fn is_final(state: PSInvocationState) -> bool {
    matches!(
        state,
        PSInvocationState::Completed | PSInvocationState::Failed | PSInvocationState::Stopped
    )
}

mod stop;
#[cfg(test)]
mod tests;
