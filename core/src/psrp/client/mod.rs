//! The client runspace pool ([MS-PSRP] 3.1): opens the pool, runs pipelines, answers host calls,
//! and exchanges the session key, without doing any I/O.
//!
//! Method families, in the order a driver uses them (as quinn-proto's `Connection`):
//! - getters (`&self`): [`RunspacePool::state`], [`RunspacePool::server_protocol_version`], ...
//! - inputs: [`RunspacePool::receive`] with every Receive payload of the shell or of a command;
//! - commands: [`RunspacePool::open`], [`RunspacePool::create_pipeline`], ...: they check the
//!   state and queue messages, they never send;
//! - outputs: after each input or command, drain [`RunspacePool::poll_transmit`] (send each
//!   payload as its [`Transmit::purpose`] says), then [`RunspacePool::poll_event`].

use std::collections::{HashMap, VecDeque};

use uuid::Uuid;
use zeroize::Zeroizing;

use crate::psrp::codec::{self, Inbox};
use crate::psrp::command::PowerShellSpec;
use crate::psrp::crypto::{KeyExchange, SessionKey};
use crate::psrp::events::{Event, HostCall};
use crate::psrp::host::{self, HostAnswer};
use crate::psrp::message::MessageType;
use crate::psrp::messages::{
    ApartmentState, ApplicationPrivateData, Availability, CallId, ConnectRunspacePool, HostInfo,
    HostResponse, InitRunspacePool, PSInvocationState, PsThreadOptions, PsrpMessage, PublicKey,
    RemoteHostMethodId, RunspacePoolState, SessionCapability, SetRunspaces,
};

use crate::clixml::{EncryptedSecureString, PsValue, PsVersion};
use crate::psrp::outbox::{Outbox, StreamName, Transmit, TransmitPurpose};
use crate::psrp::state_error::{StateError, check_pool_state};
use pipeline::ClientPipeline;

mod pipeline;

/// How a client pool introduces itself ([MS-PSRP] 2.2.2.1 SESSION_CAPABILITY, 2.2.2.2
/// INIT_RUNSPACEPOOL).
#[derive(Debug, Clone, PartialEq)]
pub struct RunspacePoolOptions {
    /// The pool id; it is also the WS-Management ShellId.
    pub id: Uuid,
    /// Minimum runspaces (at least 1).
    pub min_runspaces: i32,
    /// Maximum runspaces (at least `min_runspaces`).
    pub max_runspaces: i32,
    /// `ApplicationArguments`: a `PSPrimitiveDictionary` the server's application reads.
    pub application_arguments: Option<PsValue>,
    /// The host the pool announces ([MS-PSRP] 2.2.3.14). The default, no host, makes commands
    /// that need a user fail on the server instead of prompting.
    pub host_info: HostInfo,
    /// Our protocol version; "2.3" (PowerShell 5.1).
    pub protocol_version: PsVersion,
    /// `PSVersion`; "2.0".
    pub ps_version: PsVersion,
    /// `SerializationVersion`; "1.1.0.1".
    pub serialization_version: PsVersion,
}

impl RunspacePoolOptions {
    /// Options for one runspace with the versions Windows PowerShell 5.1 sends.
    pub fn new(id: Uuid) -> Self {
        RunspacePoolOptions {
            id,
            min_runspaces: 1,
            max_runspaces: 1,
            application_arguments: None,
            host_info: HostInfo::null_host(),
            protocol_version: version(2, 3, None),
            ps_version: version(2, 0, None),
            serialization_version: version(1, 1, Some((0, 1))),
        }
    }
}

fn version(major: u32, minor: u32, build_revision: Option<(u32, u32)>) -> PsVersion {
    PsVersion {
        major,
        minor,
        build: build_revision.map(|b| b.0),
        revision: build_revision.map(|b| b.1),
    }
}

/// The request a pending RUNSPACE_AVAILABILITY answers.
#[derive(Debug, Clone, Copy)]
enum AvailabilityRequest {
    SetMax(i32),
    SetMin(i32),
    Other,
}

/// The client side of a runspace pool ([MS-PSRP] 3.1). See the module docs for the calling
/// order.
#[derive(Debug)]
pub struct RunspacePool {
    options: RunspacePoolOptions,
    state: RunspacePoolState,
    outbox: Outbox,
    inbox: Inbox,
    events: VecDeque<Event>,
    pipelines: HashMap<Uuid, ClientPipeline>,
    server_protocol_version: Option<PsVersion>,
    application_private_data: Option<ApplicationPrivateData>,
    key_exchange: Option<KeyExchange>,
    session_key: Option<SessionKey>,
    next_call_id: i64,
    pending_availability: HashMap<i64, AvailabilityRequest>,
    fatal: Option<StateError>,
    fatal_reported: bool,
}

const BEFORE_OPEN: &[RunspacePoolState] = &[RunspacePoolState::BeforeOpen];
const OPENED: &[RunspacePoolState] = &[RunspacePoolState::Opened];
const CLOSABLE: &[RunspacePoolState] = &[
    RunspacePoolState::Opened,
    RunspacePoolState::Opening,
    RunspacePoolState::Closing,
    RunspacePoolState::Closed,
];
const CLOSING: &[RunspacePoolState] = &[RunspacePoolState::Closing, RunspacePoolState::Closed];

impl RunspacePool {
    /// A pool in state BeforeOpen; nothing is queued until [`RunspacePool::open`].
    pub fn new(options: RunspacePoolOptions) -> Self {
        RunspacePool {
            options,
            state: RunspacePoolState::BeforeOpen,
            outbox: Outbox::new(TransmitPurpose::Send),
            inbox: Inbox::default(),
            events: VecDeque::new(),
            pipelines: HashMap::new(),
            server_protocol_version: None,
            application_private_data: None,
            key_exchange: None,
            session_key: None,
            next_call_id: 1,
            pending_availability: HashMap::new(),
            fatal: None,
            fatal_reported: false,
        }
    }

    /// The pool id (the WS-Management ShellId).
    pub fn id(&self) -> Uuid {
        self.options.id
    }

    /// The pool's state.
    pub fn state(&self) -> RunspacePoolState {
        self.state
    }

    /// The protocol version the server announced in its SESSION_CAPABILITY, once received.
    /// Servers at 2.2 or later accept a MaxEnvelopeSize of 512000 bytes, older ones 153600
    /// ([`crate::winrs::envelope::max_envelope_size`]).
    pub fn server_protocol_version(&self) -> Option<PsVersion> {
        self.server_protocol_version
    }

    /// The server's APPLICATION_PRIVATE_DATA ([MS-PSRP] 2.2.2.13), once received: a
    /// dictionary holding `PSVersionTable` (see `ps_version_table()`) and the application's
    /// data.
    pub fn application_private_data(&self) -> Option<&ApplicationPrivateData> {
        self.application_private_data.as_ref()
    }

    /// The current minimum and maximum runspaces.
    pub fn runspaces(&self) -> (i32, i32) {
        (self.options.min_runspaces, self.options.max_runspaces)
    }

    /// Whether the session key has been exchanged.
    pub fn has_session_key(&self) -> bool {
        self.session_key.is_some()
    }

    /// The state of pipeline `pipeline_id`.
    pub fn pipeline_state(&self, pipeline_id: Uuid) -> Result<PSInvocationState, StateError> {
        self.pipeline(pipeline_id).map(ClientPipeline::state)
    }

    /// Pipelines that finished and wait for [`RunspacePool::end_pipeline`]: for each, the
    /// transport sends the WS-Management terminate Signal.
    pub fn finished_pipelines(&self) -> impl Iterator<Item = Uuid> + '_ {
        self.pipelines
            .iter()
            .filter(|(_, p)| p.is_finished())
            .map(|(id, _)| *id)
    }

    /// Pipelines not yet ended (running or finished).
    pub fn pipeline_ids(&self) -> impl Iterator<Item = Uuid> + '_ {
        self.pipelines.keys().copied()
    }

    /// Opens the pool ([MS-PSRP] 3.1.4): queues SESSION_CAPABILITY and INIT_RUNSPACEPOOL as
    /// the `creationXml` payload. The pool is Opened when the server says so.
    pub fn open(&mut self) -> Result<(), StateError> {
        self.check_pool("open the runspace pool", BEFORE_OPEN)?;
        self.set_state(RunspacePoolState::Opening);
        let capability = PsrpMessage::SessionCapability(self.capability());
        let init = PsrpMessage::InitRunspacePool(InitRunspacePool {
            min_runspaces: self.options.min_runspaces,
            max_runspaces: self.options.max_runspaces,
            thread_options: PsThreadOptions::Default,
            apartment_state: ApartmentState::Unknown,
            host_info: self.options.host_info.clone(),
            application_arguments: self.options.application_arguments.clone(),
        });
        self.queue(
            None,
            StreamName::Stdin,
            Some(TransmitPurpose::CreateShell),
            &capability,
        );
        self.queue(
            None,
            StreamName::Stdin,
            Some(TransmitPurpose::CreateShell),
            &init,
        );
        Ok(())
    }

    /// Reconnects to a pool another client left disconnected ([MS-PSRP] 3.1.4): queues
    /// SESSION_CAPABILITY and CONNECT_RUNSPACEPOOL as one [`TransmitPurpose::Connect`]
    /// payload (the `connectXml` of the WS-Management Connect). The server answers with
    /// RUNSPACEPOOL_INIT_DATA and APPLICATION_PRIVATE_DATA, and the pool is then Opened.
    pub fn connect(&mut self) -> Result<(), StateError> {
        self.check_pool("connect to the runspace pool", BEFORE_OPEN)?;
        self.set_state(RunspacePoolState::Connecting);
        let capability = PsrpMessage::SessionCapability(self.capability());
        let connect = PsrpMessage::ConnectRunspacePool(ConnectRunspacePool::default());
        let purpose = Some(TransmitPurpose::Connect);
        self.queue(None, StreamName::Stdin, purpose, &capability);
        self.queue(None, StreamName::Stdin, purpose, &connect);
        Ok(())
    }

    /// Starts the session-key exchange ([MS-PSRP] 3.1.4): queues PUBLIC_KEY with a fresh
    /// RSA key. [`Event::SessionKeyReady`] follows when the server answers.
    pub fn exchange_key(&mut self) -> Result<(), StateError> {
        self.check_pool("exchange the session key", OPENED)?;
        if self.key_exchange.is_some() {
            return Ok(());
        }
        let exchange = KeyExchange::new()?;
        let message = PsrpMessage::PublicKey(PublicKey {
            public_key: exchange.public_key_blob(),
        });
        self.key_exchange = Some(exchange);
        self.queue(None, StreamName::Stdin, None, &message);
        Ok(())
    }

    /// Encrypts `text` with the session key into a `<SS>` value ([MS-PSRP] 2.2.5.1.24).
    pub fn encrypt_secure_string(&self, text: &str) -> Result<PsValue, StateError> {
        let key = self.session_key.as_ref().ok_or(StateError::NoSessionKey)?;
        Ok(PsValue::SecureString(key.encrypt(text)))
    }

    /// Decrypts a SecureString the server sent.
    pub fn decrypt_secure_string(
        &self,
        value: &EncryptedSecureString,
    ) -> Result<Zeroizing<String>, StateError> {
        let key = self.session_key.as_ref().ok_or(StateError::NoSessionKey)?;
        Ok(key.decrypt(value)?)
    }

    /// Asks the server to change the maximum runspaces ([MS-PSRP] 2.2.2.6). Returns the call
    /// id of the [`Event::RunspaceAvailability`] answer.
    pub fn set_max_runspaces(&mut self, value: i32) -> Result<i64, StateError> {
        self.availability_request(
            "set the maximum runspaces",
            AvailabilityRequest::SetMax(value),
            |call_id| {
                PsrpMessage::SetMaxRunspaces(SetRunspaces {
                    runspaces: value,
                    call_id,
                })
            },
        )
    }

    /// Asks the server to change the minimum runspaces ([MS-PSRP] 2.2.2.7).
    pub fn set_min_runspaces(&mut self, value: i32) -> Result<i64, StateError> {
        self.availability_request(
            "set the minimum runspaces",
            AvailabilityRequest::SetMin(value),
            |call_id| {
                PsrpMessage::SetMinRunspaces(SetRunspaces {
                    runspaces: value,
                    call_id,
                })
            },
        )
    }

    /// Asks how many runspaces are free ([MS-PSRP] 2.2.2.11).
    pub fn get_available_runspaces(&mut self) -> Result<i64, StateError> {
        self.availability_request(
            "get the available runspaces",
            AvailabilityRequest::Other,
            |call_id| PsrpMessage::GetAvailableRunspaces(CallId { call_id }),
        )
    }

    /// Asks the server to reset the runspace's variables ([MS-PSRP] 2.2.2.31, protocol 2.3).
    pub fn reset_runspace_state(&mut self) -> Result<i64, StateError> {
        self.availability_request(
            "reset the runspace state",
            AvailabilityRequest::Other,
            |call_id| PsrpMessage::ResetRunspaceState(CallId { call_id }),
        )
    }

    /// Creates a pipeline with a fresh id ([MS-PSRP] 3.1.4) and queues CREATE_PIPELINE. Its
    /// first payload has purpose [`TransmitPurpose::CreateCommand`]: the transport sends it as
    /// the `Arguments` of a WS-Management Command whose CommandId is the returned id.
    pub fn create_pipeline(&mut self, spec: &PowerShellSpec) -> Result<Uuid, StateError> {
        let id = Uuid::new_v4();
        self.create_pipeline_with_id(id, spec)?;
        Ok(id)
    }

    /// [`RunspacePool::create_pipeline`] with the caller's id.
    pub fn create_pipeline_with_id(
        &mut self,
        pipeline_id: Uuid,
        spec: &PowerShellSpec,
    ) -> Result<(), StateError> {
        self.check_pool("create a pipeline", OPENED)?;
        if self.pipelines.contains_key(&pipeline_id) {
            return Err(StateError::DuplicatePipeline(pipeline_id));
        }
        let message = PsrpMessage::CreatePipeline(spec.to_create_pipeline());
        self.pipelines.insert(
            pipeline_id,
            ClientPipeline::started(pipeline_id, !spec.no_input),
        );
        self.queue(
            Some(pipeline_id),
            StreamName::Stdin,
            Some(TransmitPurpose::CreateCommand),
            &message,
        );
        Ok(())
    }

    /// Sends one input object to a pipeline created with input ([MS-PSRP] 2.2.2.17).
    pub fn send_input(&mut self, pipeline_id: Uuid, value: PsValue) -> Result<(), StateError> {
        self.check_alive()?;
        self.pipeline(pipeline_id)?
            .check_input("send pipeline input")?;
        self.queue(
            Some(pipeline_id),
            StreamName::Stdin,
            None,
            &PsrpMessage::PipelineInput(value),
        );
        Ok(())
    }

    /// Ends a pipeline's input ([MS-PSRP] 2.2.2.18).
    pub fn end_input(&mut self, pipeline_id: Uuid) -> Result<(), StateError> {
        self.check_alive()?;
        self.pipeline_mut(pipeline_id)?.end_input()?;
        self.queue(
            Some(pipeline_id),
            StreamName::Stdin,
            None,
            &PsrpMessage::EndOfPipelineInput,
        );
        Ok(())
    }

    /// Records that the pipeline is being stopped ([MS-PSRP] 3.1.4): the transport sends
    /// the WS-Management Signal `powershell/signal/crtl_c` for the command; the server then
    /// reports the pipeline Stopped.
    pub fn begin_stop(&mut self, pipeline_id: Uuid) -> Result<(), StateError> {
        self.check_alive()?;
        self.pipeline_mut(pipeline_id)?.begin_stop()?;
        self.events.push_back(Event::PipelineStateChanged {
            pipeline_id,
            state: PSInvocationState::Stopping,
            error: None,
        });
        Ok(())
    }

    /// Tells the pool that a Receive for `pipeline_id` was abandoned with its response
    /// unread (a cancel or timeout mid-request), so the pipeline's stream may resume in the
    /// middle of a message. Messages so cut are skipped; the pipeline's later messages, such
    /// as its final PIPELINE_STATE, arrive whole.
    pub fn lost_receive(&mut self, pipeline_id: Uuid) {
        self.inbox.resynchronize(Some(pipeline_id));
    }

    /// Forgets a finished pipeline once the transport has sent its WS-Management terminate
    /// Signal. Fails for a pipeline that is still running: stop it first.
    ///
    /// In a broken pool any pipeline may be ended: the server will not report on it again.
    pub fn end_pipeline(&mut self, pipeline_id: Uuid) -> Result<(), StateError> {
        let pipeline = self.pipeline(pipeline_id)?;
        if self.fatal.is_none() {
            pipeline.check_end()?;
        }
        self.pipelines.remove(&pipeline_id);
        self.outbox.forget_pipeline(pipeline_id);
        self.inbox.forget(Some(pipeline_id));
        Ok(())
    }

    /// How many streams (the pool's and its pipelines') hold reassembly state; ended
    /// pipelines hold none.
    pub fn open_streams(&self) -> usize {
        self.inbox.targets()
    }

    /// Starts closing the pool ([MS-PSRP] 3.1.4): the transport then sends the
    /// WS-Management Delete for the shell and calls [`RunspacePool::close`] when it is
    /// answered. Every pipeline must be ended first. A broken pool can be closed too: its
    /// shell still exists on the server until deleted.
    pub fn begin_close(&mut self) -> Result<(), StateError> {
        if self.fatal.is_none() {
            self.check_pool("close the runspace pool", CLOSABLE)?;
        }
        if let Some(first) = self.pipelines.keys().next() {
            return Err(StateError::PipelinesNotEnded {
                count: self.pipelines.len(),
                first: *first,
            });
        }
        if self.state != RunspacePoolState::Closing && self.state != RunspacePoolState::Closed {
            self.set_state(RunspacePoolState::Closing);
        }
        Ok(())
    }

    /// Marks the pool Closed after the shell was deleted.
    pub fn close(&mut self) -> Result<(), StateError> {
        if !CLOSING.contains(&self.state) {
            return Err(StateError::InvalidPoolState {
                action: "finish closing the runspace pool",
                current: self.state,
                expected: CLOSING,
            });
        }
        if self.state != RunspacePoolState::Closed {
            self.set_state(RunspacePoolState::Closed);
        }
        Ok(())
    }

    /// Feeds the data of one Receive response stream ([MS-PSRP] 3.1.5.3). `pipeline_id` is
    /// the command the Receive was for (`None` for the shell); fragments are reassembled per
    /// Receive target. A fatal error is returned here and also becomes the last event.
    pub fn receive(&mut self, pipeline_id: Option<Uuid>, data: &[u8]) -> Result<(), StateError> {
        self.check_alive()?;
        let messages = match self.inbox.feed(pipeline_id, data) {
            Ok(m) => m,
            Err(e) => return Err(self.fail(e.into())),
        };
        for incoming in messages {
            // The WS-Management target is authoritative for pipeline messages: a server
            // echoes the ids the client wrote, and some clients (pypsrp, in the captures)
            // write them in RFC byte order rather than .NET's, so the header may hold the
            // byte-swapped CommandId. For the same reason the header's pool id is not
            // checked (and Windows sends SESSION_CAPABILITY with a nil one).
            let routed = match (pipeline_id, incoming.pipeline_id) {
                (Some(target), Some(_)) => Some(target),
                (_, header) => header,
            };
            if let Err(e) = self.handle_message(routed, incoming.message) {
                return Err(self.fail(e));
            }
            if self.fatal.is_some() {
                break;
            }
        }
        match &self.fatal {
            Some(e) => Err(e.clone()),
            None => Ok(()),
        }
    }

    /// The next payload to send, at most `max_len` bytes (at least
    /// [`crate::psrp::outbox::MIN_TRANSMIT_LEN`]); compute `max_len` from the MaxEnvelopeSize
    /// minus the envelope and the base64 growth. Payloads never mix pipelines or streams.
    #[must_use]
    pub fn poll_transmit(&mut self, max_len: usize) -> Option<Transmit> {
        self.outbox.poll(max_len)
    }

    /// The next event; after a fatal error, [`Event::Failed`] comes once, last.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<Event> {
        crate::psrp::events::next_event(
            &mut self.events,
            self.fatal.as_ref(),
            &mut self.fatal_reported,
            Event::Failed,
        )
    }

    fn capability(&self) -> SessionCapability {
        SessionCapability {
            protocol_version: self.options.protocol_version,
            ps_version: self.options.ps_version,
            serialization_version: self.options.serialization_version,
            time_zone: None,
        }
    }

    fn handle_message(
        &mut self,
        pipeline_id: Option<Uuid>,
        message: PsrpMessage,
    ) -> Result<(), StateError> {
        if let Some(pid) = pipeline_id {
            return self.handle_pipeline_message(pid, message);
        }
        match message {
            PsrpMessage::SessionCapability(cap) => {
                self.server_protocol_version = Some(cap.protocol_version);
                self.events.push_back(Event::SessionCapability);
            }
            PsrpMessage::ApplicationPrivateData(data) => {
                self.application_private_data = Some(data);
                self.events.push_back(Event::ApplicationPrivateData);
                // A reconnection ends here: no RUNSPACEPOOL_STATE follows ([MS-PSRP] 3.1.4).
                if self.state == RunspacePoolState::Connecting {
                    self.set_state(RunspacePoolState::Opened);
                }
            }
            PsrpMessage::RunspacePoolState(msg) => {
                let error = msg.error;
                match msg.state {
                    RunspacePoolState::Broken => {
                        let reason = error
                            .as_ref()
                            .and_then(|e| e.message())
                            .unwrap_or("no reason given")
                            .to_owned();
                        self.state = RunspacePoolState::Broken;
                        self.events.push_back(Event::PoolStateChanged {
                            state: RunspacePoolState::Broken,
                            error,
                        });
                        self.fatal = Some(StateError::Broken { reason });
                        self.outbox = Outbox::new(TransmitPurpose::Send);
                    }
                    state => {
                        self.state = state;
                        self.events
                            .push_back(Event::PoolStateChanged { state, error });
                    }
                }
            }
            PsrpMessage::EncryptedSessionKey(msg) => {
                let exchange = self.key_exchange.take().ok_or_else(|| {
                    unexpected(
                        MessageType::EncryptedSessionKey,
                        "without a PUBLIC_KEY sent",
                    )
                })?;
                self.session_key = Some(exchange.decrypt_session_key(&msg.encrypted_session_key)?);
                self.events.push_back(Event::SessionKeyReady);
            }
            PsrpMessage::PublicKeyRequest(_) => {
                // The server wants to send a SecureString ([MS-PSRP] 3.1.5.4).
                if self.key_exchange.is_none() && self.session_key.is_none() {
                    self.exchange_key()?;
                }
            }
            PsrpMessage::RunspaceAvailability(msg) => {
                if let Some(request) = self.pending_availability.remove(&msg.call_id) {
                    let granted = msg.response == Availability::Set(true);
                    match request {
                        AvailabilityRequest::SetMax(v) if granted => {
                            self.options.max_runspaces = v;
                        }
                        AvailabilityRequest::SetMin(v) if granted => {
                            self.options.min_runspaces = v;
                        }
                        _ => {}
                    }
                }
                self.events.push_back(Event::RunspaceAvailability {
                    call_id: msg.call_id,
                    response: msg.response,
                });
            }
            PsrpMessage::RunspacePoolInitData(msg) => {
                self.options.min_runspaces = msg.min_runspaces;
                self.options.max_runspaces = msg.max_runspaces;
            }
            PsrpMessage::UserEvent(event) => self.events.push_back(Event::UserEvent(event)),
            PsrpMessage::RunspacePoolHostCall(call) => {
                self.answer_host_call(None, call.call_id, call.method, call.params);
            }
            other => {
                return Err(unexpected(other.message_type(), "for the runspace pool"));
            }
        }
        Ok(())
    }

    fn handle_pipeline_message(
        &mut self,
        pipeline_id: Uuid,
        message: PsrpMessage,
    ) -> Result<(), StateError> {
        if !self.pipelines.contains_key(&pipeline_id) {
            return Err(unexpected(
                message.message_type(),
                &format!("for unknown pipeline {pipeline_id}"),
            ));
        }
        let event = match message {
            PsrpMessage::PipelineOutput(value) => Event::Output { pipeline_id, value },
            PsrpMessage::ErrorRecord(record) => Event::Error {
                pipeline_id,
                record,
            },
            PsrpMessage::WarningRecord(record) => Event::Warning {
                pipeline_id,
                record,
            },
            PsrpMessage::VerboseRecord(record) => Event::Verbose {
                pipeline_id,
                record,
            },
            PsrpMessage::DebugRecord(record) => Event::Debug {
                pipeline_id,
                record,
            },
            PsrpMessage::InformationRecord(record) => Event::Information {
                pipeline_id,
                record,
            },
            PsrpMessage::ProgressRecord(record) => Event::Progress {
                pipeline_id,
                record,
            },
            PsrpMessage::PipelineState(msg) => {
                if let Some(p) = self.pipelines.get_mut(&pipeline_id) {
                    p.set_state(msg.state);
                }
                Event::PipelineStateChanged {
                    pipeline_id,
                    state: msg.state,
                    error: msg.error,
                }
            }
            PsrpMessage::PipelineHostCall(call) => {
                self.answer_host_call(Some(pipeline_id), call.call_id, call.method, call.params);
                return Ok(());
            }
            other => return Err(unexpected(other.message_type(), "for a pipeline")),
        };
        self.events.push_back(event);
        Ok(())
    }

    /// Answers a host call per [`host::non_interactive_answer`] and reports it.
    fn answer_host_call(
        &mut self,
        pipeline_id: Option<Uuid>,
        call_id: i64,
        method: RemoteHostMethodId,
        parameters: Vec<PsValue>,
    ) {
        let answer = host::non_interactive_answer(method);
        if let HostAnswer::Error {
            message,
            fully_qualified_error_id,
        } = &answer
        {
            let response = HostResponse {
                call_id,
                method,
                return_value: None,
                error: Some(host::error_record(message, fully_qualified_error_id)),
            };
            let message = match pipeline_id {
                Some(_) => PsrpMessage::PipelineHostResponse(response),
                None => PsrpMessage::RunspacePoolHostResponse(response),
            };
            self.queue(pipeline_id, StreamName::PromptResponse, None, &message);
        }
        self.events.push_back(Event::HostCall {
            call: HostCall {
                pipeline_id,
                call_id,
                method,
                parameters,
            },
            answer,
        });
    }

    fn availability_request(
        &mut self,
        action: &'static str,
        request: AvailabilityRequest,
        build: impl FnOnce(i64) -> PsrpMessage,
    ) -> Result<i64, StateError> {
        self.check_pool(action, OPENED)?;
        let call_id = self.next_call_id;
        self.next_call_id += 1;
        self.pending_availability.insert(call_id, request);
        let message = build(call_id);
        self.queue(None, StreamName::Stdin, None, &message);
        Ok(call_id)
    }

    fn queue(
        &mut self,
        pipeline_id: Option<Uuid>,
        stream: StreamName,
        purpose: Option<TransmitPurpose>,
        message: &PsrpMessage,
    ) {
        let bytes = codec::encode_to_server(self.options.id, pipeline_id, message);
        self.outbox.push(pipeline_id, stream, purpose, bytes);
    }

    fn set_state(&mut self, state: RunspacePoolState) {
        self.state = state;
        self.events
            .push_back(Event::PoolStateChanged { state, error: None });
    }

    fn check_alive(&self) -> Result<(), StateError> {
        match &self.fatal {
            Some(e) => Err(e.clone()),
            None => Ok(()),
        }
    }

    fn check_pool(
        &self,
        action: &'static str,
        expected: &'static [RunspacePoolState],
    ) -> Result<(), StateError> {
        check_pool_state(self.fatal.as_ref(), action, self.state, expected)
    }

    fn pipeline(&self, pipeline_id: Uuid) -> Result<&ClientPipeline, StateError> {
        self.pipelines
            .get(&pipeline_id)
            .ok_or(StateError::UnknownPipeline(pipeline_id))
    }

    fn pipeline_mut(&mut self, pipeline_id: Uuid) -> Result<&mut ClientPipeline, StateError> {
        self.pipelines
            .get_mut(&pipeline_id)
            .ok_or(StateError::UnknownPipeline(pipeline_id))
    }

    /// Breaks the pool for good with `error`, which is returned.
    fn fail(&mut self, error: StateError) -> StateError {
        if self.fatal.is_none() {
            self.state = RunspacePoolState::Broken;
            self.outbox = Outbox::new(TransmitPurpose::Send);
            self.fatal = Some(error.clone());
        }
        error
    }
}

fn unexpected(message: MessageType, context: &str) -> StateError {
    StateError::UnexpectedMessage {
        message,
        context: context.to_owned(),
    }
}
