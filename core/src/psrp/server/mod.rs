//! The server side of a runspace pool ([MS-PSRP] 3.2), for simulators and tests: it reads
//! what a client sends (the Create `creationXml`, Command `Arguments`, Send streams), reports
//! it as [`ServerEvent`]s, and turns the server code's answers into fragment bytes for the
//! Receive responses.
//!
//! The same method families as the client: [`ServerRunspacePool::receive`] in;
//! `send_*`/`write_*`/`set_*` commands; [`ServerRunspacePool::poll_transmit`] and
//! [`ServerRunspacePool::poll_event`] out.

use std::collections::{HashMap, HashSet, VecDeque};

use uuid::Uuid;
use zeroize::Zeroizing;

use crate::clixml::{EncryptedSecureString, PsValue, PsVersion};
use crate::psrp::codec::{self, Inbox};
use crate::psrp::command::PowerShellSpec;
use crate::psrp::crypto::SessionKey;
use crate::psrp::events::ServerEvent;
use crate::psrp::message::MessageType;
use crate::psrp::messages::{
    ApplicationPrivateData, Availability, EncryptedSessionKey, ErrorRecord, HostCall,
    InformationRecord, InformationalRecord, PSInvocationState, PipelineStateMessage,
    ProgressRecord, PsrpMessage, PublicKeyRequest, RemoteHostMethodId, RunspaceAvailability,
    RunspacePoolInitData, RunspacePoolState, RunspacePoolStateMessage, SessionCapability,
    UserEvent,
};
use crate::psrp::outbox::{Outbox, StreamName, Transmit, TransmitPurpose};
use crate::psrp::state_error::{StateError, check_pool_state};

/// What the server announces in its SESSION_CAPABILITY ([MS-PSRP] 2.2.2.1).
#[derive(Debug, Clone, PartialEq)]
pub struct ServerOptions {
    /// The protocol version ("2.3" for PowerShell 5.1, "2.1" for PowerShell 2.0).
    pub protocol_version: PsVersion,
    /// `PSVersion` ("2.0").
    pub ps_version: PsVersion,
    /// `SerializationVersion` ("1.1.0.1").
    pub serialization_version: PsVersion,
}

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions {
            protocol_version: PsVersion {
                major: 2,
                minor: 3,
                build: None,
                revision: None,
            },
            ps_version: PsVersion {
                major: 2,
                minor: 0,
                build: None,
                revision: None,
            },
            serialization_version: PsVersion {
                major: 1,
                minor: 1,
                build: Some(0),
                revision: Some(1),
            },
        }
    }
}

const FINISHED: &[PSInvocationState] = &[
    PSInvocationState::Completed,
    PSInvocationState::Failed,
    PSInvocationState::Stopped,
];
const RUNNING: &[PSInvocationState] = &[PSInvocationState::Running, PSInvocationState::Stopping];
const OPENING: &[RunspacePoolState] = &[RunspacePoolState::BeforeOpen, RunspacePoolState::Opening];
const OPENED: &[RunspacePoolState] = &[RunspacePoolState::Opened];
const OPENING_OR_OPENED: &[RunspacePoolState] = &[
    RunspacePoolState::BeforeOpen,
    RunspacePoolState::Opening,
    RunspacePoolState::Opened,
];

/// The server side of one runspace pool ([MS-PSRP] 3.2).
#[derive(Debug)]
pub struct ServerRunspacePool {
    options: ServerOptions,
    id: Option<Uuid>,
    state: RunspacePoolState,
    outbox: Outbox,
    inbox: Inbox,
    events: VecDeque<ServerEvent>,
    pipelines: HashMap<Uuid, PSInvocationState>,
    /// The pipeline id as the client wrote it in message headers, by CommandId.
    wire_ids: HashMap<Uuid, Uuid>,
    client_protocol_version: Option<PsVersion>,
    min_runspaces: i32,
    max_runspaces: i32,
    client_public_key: Option<String>,
    session_key: Option<SessionKey>,
    next_call_id: i64,
    pending_host_calls: HashSet<(Option<Uuid>, i64)>,
    fatal: Option<StateError>,
    fatal_reported: bool,
}

impl ServerRunspacePool {
    /// A pool waiting for the client's creation data.
    pub fn new(options: ServerOptions) -> Self {
        ServerRunspacePool {
            options,
            id: None,
            state: RunspacePoolState::BeforeOpen,
            outbox: Outbox::new(TransmitPurpose::Receive),
            inbox: Inbox::default(),
            events: VecDeque::new(),
            pipelines: HashMap::new(),
            wire_ids: HashMap::new(),
            client_protocol_version: None,
            min_runspaces: 1,
            max_runspaces: 1,
            client_public_key: None,
            session_key: None,
            next_call_id: 1,
            pending_host_calls: HashSet::new(),
            fatal: None,
            fatal_reported: false,
        }
    }

    /// The pool id, known from the client's first message.
    pub fn id(&self) -> Option<Uuid> {
        self.id
    }

    /// The pool's state.
    pub fn state(&self) -> RunspacePoolState {
        self.state
    }

    /// The client's protocol version, once its SESSION_CAPABILITY arrived.
    pub fn client_protocol_version(&self) -> Option<PsVersion> {
        self.client_protocol_version
    }

    /// The minimum and maximum runspaces the client asked for.
    pub fn runspaces(&self) -> (i32, i32) {
        (self.min_runspaces, self.max_runspaces)
    }

    /// The state of pipeline `pipeline_id`.
    pub fn pipeline_state(&self, pipeline_id: Uuid) -> Result<PSInvocationState, StateError> {
        self.pipelines
            .get(&pipeline_id)
            .copied()
            .ok_or(StateError::UnknownPipeline(pipeline_id))
    }

    /// Feeds client data: the `creationXml` of the Create (`pipeline_id` `None`), the
    /// `Arguments` of a Command (`Some(command id)`), or a Send stream.
    pub fn receive(&mut self, pipeline_id: Option<Uuid>, data: &[u8]) -> Result<(), StateError> {
        self.check_alive()?;
        let messages = match self.inbox.feed(pipeline_id, data) {
            Ok(m) => m,
            Err(e) => return Err(self.fail(e.into())),
        };
        for incoming in messages {
            // The WS-Management CommandId names the pipeline. The header's id is the same
            // GUID when the client writes .NET byte order, but some clients (pypsrp) write
            // RFC order; it is kept and echoed so that such a client recognises the replies.
            let routed = match (pipeline_id, incoming.pipeline_id) {
                (Some(target), Some(header)) => {
                    self.wire_ids.entry(target).or_insert(header);
                    Some(target)
                }
                (_, header) => header,
            };
            let result = self
                .check_pool_id(incoming.runspace_pool_id)
                .and_then(|()| self.handle_message(routed, incoming.message));
            if let Err(e) = result {
                return Err(self.fail(e));
            }
        }
        Ok(())
    }

    /// Sends the server's SESSION_CAPABILITY ([MS-PSRP] 3.2.4), when opening or when a
    /// client reconnects.
    pub fn send_session_capability(&mut self) -> Result<(), StateError> {
        self.check_pool("send the session capability", OPENING_OR_OPENED)?;
        let message = PsrpMessage::SessionCapability(SessionCapability {
            protocol_version: self.options.protocol_version,
            ps_version: self.options.ps_version,
            serialization_version: self.options.serialization_version,
            time_zone: None,
        });
        self.queue(None, &message);
        Ok(())
    }

    /// Sends APPLICATION_PRIVATE_DATA ([MS-PSRP] 2.2.2.13): before opening, or as the last
    /// answer to a reconnection.
    pub fn send_application_private_data(&mut self, data: PsValue) -> Result<(), StateError> {
        self.check_pool("send application private data", OPENING_OR_OPENED)?;
        let message = PsrpMessage::ApplicationPrivateData(ApplicationPrivateData { data });
        self.queue(None, &message);
        Ok(())
    }

    /// Changes the pool state and tells the client (RUNSPACEPOOL_STATE, [MS-PSRP] 2.2.2.9).
    /// `Opened` opens the pool; `Broken` or `Closed` carry an error record.
    pub fn set_state(
        &mut self,
        state: RunspacePoolState,
        error: Option<ErrorRecord>,
    ) -> Result<(), StateError> {
        self.check_alive()?;
        if state == RunspacePoolState::Opened {
            self.check_pool("open the runspace pool", OPENING)?;
        }
        self.state = state;
        let message = PsrpMessage::RunspacePoolState(RunspacePoolStateMessage { state, error });
        self.queue(None, &message);
        Ok(())
    }

    /// Answers a reconnection with the pool's sizes (RUNSPACEPOOL_INIT_DATA, [MS-PSRP]
    /// 2.2.2.30); APPLICATION_PRIVATE_DATA follows.
    pub fn send_runspace_pool_init_data(&mut self) -> Result<(), StateError> {
        self.check_pool("send the runspace pool init data", OPENED)?;
        let message = PsrpMessage::RunspacePoolInitData(RunspacePoolInitData {
            min_runspaces: self.min_runspaces,
            max_runspaces: self.max_runspaces,
        });
        self.queue(None, &message);
        Ok(())
    }

    /// Asks the client for its public key (PUBLIC_KEY_REQUEST, [MS-PSRP] 2.2.2.5) before the
    /// server sends a SecureString.
    pub fn request_public_key(&mut self) -> Result<(), StateError> {
        self.check_pool("request the public key", OPENED)?;
        self.queue(None, &PsrpMessage::PublicKeyRequest(PublicKeyRequest));
        Ok(())
    }

    /// Answers the client's PUBLIC_KEY with a fresh session key (ENCRYPTED_SESSION_KEY,
    /// [MS-PSRP] 2.2.2.4).
    pub fn send_session_key(&mut self) -> Result<(), StateError> {
        self.check_pool("send the session key", OPENED)?;
        let public_key =
            self.client_public_key
                .take()
                .ok_or_else(|| StateError::UnexpectedMessage {
                    message: MessageType::EncryptedSessionKey,
                    context: "cannot be sent before the client's PUBLIC_KEY".to_owned(),
                })?;
        let key = SessionKey::generate();
        let encrypted = key.encrypt_for(&public_key)?;
        self.session_key = Some(key);
        let message = PsrpMessage::EncryptedSessionKey(EncryptedSessionKey {
            encrypted_session_key: encrypted,
        });
        self.queue(None, &message);
        Ok(())
    }

    /// Decrypts a SecureString the client sent (a `<SS>` parameter value).
    pub fn decrypt_secure_string(
        &self,
        value: &EncryptedSecureString,
    ) -> Result<Zeroizing<String>, StateError> {
        let key = self.session_key.as_ref().ok_or(StateError::NoSessionKey)?;
        Ok(key.decrypt(value)?)
    }

    /// Encrypts `text` for the client.
    pub fn encrypt_secure_string(&self, text: &str) -> Result<PsValue, StateError> {
        let key = self.session_key.as_ref().ok_or(StateError::NoSessionKey)?;
        Ok(PsValue::SecureString(key.encrypt(text)))
    }

    /// Answers a set/get/reset request (RUNSPACE_AVAILABILITY, [MS-PSRP] 2.2.2.8).
    pub fn send_runspace_availability(
        &mut self,
        call_id: i64,
        response: Availability,
    ) -> Result<(), StateError> {
        self.check_pool("answer a runspace request", OPENED)?;
        let message = PsrpMessage::RunspaceAvailability(RunspaceAvailability { response, call_id });
        self.queue(None, &message);
        Ok(())
    }

    /// Forwards a PowerShell event (USER_EVENT, [MS-PSRP] 2.2.2.12).
    pub fn send_user_event(&mut self, event: UserEvent) -> Result<(), StateError> {
        self.check_pool("send a user event", OPENED)?;
        self.queue(None, &PsrpMessage::UserEvent(event));
        Ok(())
    }

    /// Writes one output object (PIPELINE_OUTPUT, [MS-PSRP] 2.2.2.19).
    pub fn write_output(&mut self, pipeline_id: Uuid, value: PsValue) -> Result<(), StateError> {
        self.pipeline_write(
            pipeline_id,
            "write output",
            PsrpMessage::PipelineOutput(value),
        )
    }

    /// Writes a non-terminating error (ERROR_RECORD, [MS-PSRP] 2.2.2.20).
    pub fn write_error(
        &mut self,
        pipeline_id: Uuid,
        record: ErrorRecord,
    ) -> Result<(), StateError> {
        self.pipeline_write(
            pipeline_id,
            "write an error",
            PsrpMessage::ErrorRecord(record),
        )
    }

    /// Writes a warning (WARNING_RECORD, [MS-PSRP] 2.2.2.24).
    pub fn write_warning(
        &mut self,
        pipeline_id: Uuid,
        record: InformationalRecord,
    ) -> Result<(), StateError> {
        self.pipeline_write(
            pipeline_id,
            "write a warning",
            PsrpMessage::WarningRecord(record),
        )
    }

    /// Writes a verbose message (VERBOSE_RECORD, [MS-PSRP] 2.2.2.23).
    pub fn write_verbose(
        &mut self,
        pipeline_id: Uuid,
        record: InformationalRecord,
    ) -> Result<(), StateError> {
        self.pipeline_write(
            pipeline_id,
            "write a verbose message",
            PsrpMessage::VerboseRecord(record),
        )
    }

    /// Writes a debug message (DEBUG_RECORD, [MS-PSRP] 2.2.2.22).
    pub fn write_debug(
        &mut self,
        pipeline_id: Uuid,
        record: InformationalRecord,
    ) -> Result<(), StateError> {
        self.pipeline_write(
            pipeline_id,
            "write a debug message",
            PsrpMessage::DebugRecord(record),
        )
    }

    /// Writes an information record (INFORMATION_RECORD, [MS-PSRP] 2.2.2.26).
    pub fn write_information(
        &mut self,
        pipeline_id: Uuid,
        record: InformationRecord,
    ) -> Result<(), StateError> {
        self.pipeline_write(
            pipeline_id,
            "write an information record",
            PsrpMessage::InformationRecord(record),
        )
    }

    /// Writes a progress record (PROGRESS_RECORD, [MS-PSRP] 2.2.2.25).
    pub fn write_progress(
        &mut self,
        pipeline_id: Uuid,
        record: ProgressRecord,
    ) -> Result<(), StateError> {
        self.pipeline_write(
            pipeline_id,
            "write progress",
            PsrpMessage::ProgressRecord(record),
        )
    }

    /// Calls a host method on the client (PIPELINE_HOST_CALL or, with `pipeline_id` `None`,
    /// RUNSPACEPOOL_HOST_CALL; [MS-PSRP] 2.2.2.27, 2.2.2.15). Returns the call id the response
    /// carries.
    pub fn host_call(
        &mut self,
        pipeline_id: Option<Uuid>,
        method: RemoteHostMethodId,
        params: Vec<PsValue>,
    ) -> Result<i64, StateError> {
        let call_id = self.next_call_id;
        let call = HostCall {
            call_id,
            method,
            params,
        };
        match pipeline_id {
            Some(pid) => {
                self.pipeline_write(pid, "make a host call", PsrpMessage::PipelineHostCall(call))?
            }
            None => {
                self.check_pool("make a host call", OPENED)?;
                self.queue(None, &PsrpMessage::RunspacePoolHostCall(call));
            }
        }
        self.next_call_id += 1;
        if crate::psrp::host::has_return_value(method) {
            self.pending_host_calls.insert((pipeline_id, call_id));
        }
        Ok(call_id)
    }

    /// Sets a pipeline's state and tells the client (PIPELINE_STATE, [MS-PSRP] 2.2.2.21).
    /// Completed, Failed and Stopped finish it; `error` says why it failed or stopped.
    pub fn set_pipeline_state(
        &mut self,
        pipeline_id: Uuid,
        state: PSInvocationState,
        error: Option<ErrorRecord>,
    ) -> Result<(), StateError> {
        self.check_pipeline(pipeline_id, "set the pipeline state", RUNNING)?;
        self.pipelines.insert(pipeline_id, state);
        let message = PsrpMessage::PipelineState(PipelineStateMessage { state, error });
        self.queue(Some(pipeline_id), &message);
        Ok(())
    }

    /// Marks the pool Closed: the client deleted the shell (WS-Management Delete, [MS-PSRP]
    /// 3.2.5.3). Pipelines still present are dropped; no message is sent.
    pub fn close(&mut self) {
        self.state = RunspacePoolState::Closed;
        self.pipelines.clear();
        self.wire_ids.clear();
        self.pending_host_calls.clear();
        self.outbox = Outbox::new(TransmitPurpose::Receive);
    }

    /// Forgets a finished pipeline (its WS-Management terminate Signal arrived).
    pub fn end_pipeline(&mut self, pipeline_id: Uuid) -> Result<(), StateError> {
        self.check_pipeline(pipeline_id, "end a pipeline", FINISHED)?;
        self.pipelines.remove(&pipeline_id);
        self.inbox.forget(Some(pipeline_id));
        self.wire_ids.remove(&pipeline_id);
        self.pending_host_calls
            .retain(|(p, _)| *p != Some(pipeline_id));
        Ok(())
    }

    /// How many streams (the pool's and its pipelines') hold reassembly state; ended
    /// pipelines hold none.
    pub fn open_streams(&self) -> usize {
        self.inbox.targets()
    }

    /// The next payload for a Receive response, at most `max_len` bytes; each payload belongs
    /// to one target (`pipeline_id` `None` for the shell's Receive).
    #[must_use]
    pub fn poll_transmit(&mut self, max_len: usize) -> Option<Transmit> {
        self.outbox.poll(max_len)
    }

    /// The next event; after a fatal error, [`ServerEvent::Failed`] comes once, last.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<ServerEvent> {
        crate::psrp::events::next_event(
            &mut self.events,
            self.fatal.as_ref(),
            &mut self.fatal_reported,
            ServerEvent::Failed,
        )
    }

    fn handle_message(
        &mut self,
        pipeline_id: Option<Uuid>,
        message: PsrpMessage,
    ) -> Result<(), StateError> {
        match (pipeline_id, message) {
            (None, PsrpMessage::SessionCapability(cap)) => {
                self.client_protocol_version = Some(cap.protocol_version);
                self.events.push_back(ServerEvent::SessionCapability {
                    protocol_version: cap.protocol_version,
                });
            }
            (None, PsrpMessage::InitRunspacePool(init)) => {
                self.check_pool("initialise the runspace pool", OPENING)?;
                self.state = RunspacePoolState::Opening;
                self.min_runspaces = init.min_runspaces;
                self.max_runspaces = init.max_runspaces;
                self.events.push_back(ServerEvent::InitRunspacePool {
                    min_runspaces: init.min_runspaces,
                    max_runspaces: init.max_runspaces,
                    application_arguments: init.application_arguments,
                });
            }
            (None, PsrpMessage::ConnectRunspacePool(connect)) => {
                // The shell outlives the client that created it: a new client reconnects to
                // a pool that is open ([MS-PSRP] 3.2.4).
                self.check_pool("reconnect the runspace pool", OPENING_OR_OPENED)?;
                self.state = RunspacePoolState::Opened;
                if let Some(min) = connect.min_runspaces {
                    self.min_runspaces = min;
                }
                if let Some(max) = connect.max_runspaces {
                    self.max_runspaces = max;
                }
                self.events.push_back(ServerEvent::ConnectRunspacePool);
            }
            (None, PsrpMessage::PublicKey(key)) => {
                self.client_public_key = Some(key.public_key);
                self.events.push_back(ServerEvent::PublicKey);
            }
            (None, PsrpMessage::SetMaxRunspaces(msg)) => {
                let granted = msg.runspaces >= self.min_runspaces;
                if granted {
                    self.max_runspaces = msg.runspaces;
                }
                self.send_runspace_availability(msg.call_id, Availability::Set(granted))?;
                self.events.push_back(ServerEvent::SetMaxRunspaces {
                    call_id: msg.call_id,
                    value: msg.runspaces,
                });
            }
            (None, PsrpMessage::SetMinRunspaces(msg)) => {
                let granted = msg.runspaces >= 1 && msg.runspaces <= self.max_runspaces;
                if granted {
                    self.min_runspaces = msg.runspaces;
                }
                self.send_runspace_availability(msg.call_id, Availability::Set(granted))?;
                self.events.push_back(ServerEvent::SetMinRunspaces {
                    call_id: msg.call_id,
                    value: msg.runspaces,
                });
            }
            (None, PsrpMessage::GetAvailableRunspaces(msg)) => {
                let busy = self
                    .pipelines
                    .values()
                    .filter(|s| !FINISHED.contains(s))
                    .count();
                let busy = i64::try_from(busy).unwrap_or(i64::MAX);
                let free = (i64::from(self.max_runspaces) - busy).max(0);
                self.send_runspace_availability(msg.call_id, Availability::Count(free))?;
                self.events.push_back(ServerEvent::GetAvailableRunspaces {
                    call_id: msg.call_id,
                });
            }
            (None, PsrpMessage::ResetRunspaceState(msg)) => {
                self.check_pool("reset the runspace state", OPENED)?;
                self.events.push_back(ServerEvent::ResetRunspaceState {
                    call_id: msg.call_id,
                });
            }
            (pid, PsrpMessage::RunspacePoolHostResponse(resp))
            | (pid, PsrpMessage::PipelineHostResponse(resp)) => {
                if !self.pending_host_calls.remove(&(pid, resp.call_id)) {
                    return Err(StateError::UnknownHostCall {
                        call_id: resp.call_id,
                    });
                }
                self.events.push_back(ServerEvent::HostResponse {
                    pipeline_id: pid,
                    response: resp,
                });
            }
            (Some(pid), PsrpMessage::CreatePipeline(create)) => {
                self.check_pool("create a pipeline", OPENED)?;
                if self.pipelines.contains_key(&pid) {
                    return Err(StateError::DuplicatePipeline(pid));
                }
                let spec = PowerShellSpec::from_create_pipeline(&create);
                self.pipelines.insert(pid, PSInvocationState::Running);
                self.events.push_back(ServerEvent::CreatePipeline {
                    pipeline_id: pid,
                    spec,
                });
            }
            (Some(pid), PsrpMessage::PipelineInput(value)) => {
                self.check_pipeline(pid, "receive pipeline input", RUNNING)?;
                self.events.push_back(ServerEvent::PipelineInput {
                    pipeline_id: pid,
                    value,
                });
            }
            (Some(pid), PsrpMessage::EndOfPipelineInput) => {
                self.check_pipeline(pid, "receive the end of input", RUNNING)?;
                self.events
                    .push_back(ServerEvent::EndOfInput { pipeline_id: pid });
            }
            (pid, other) => {
                return Err(StateError::UnexpectedMessage {
                    message: other.message_type(),
                    context: match pid {
                        Some(p) => format!("from a client, for pipeline {p}"),
                        None => "from a client, for the pool".to_owned(),
                    },
                });
            }
        }
        Ok(())
    }

    fn pipeline_write(
        &mut self,
        pipeline_id: Uuid,
        action: &'static str,
        message: PsrpMessage,
    ) -> Result<(), StateError> {
        self.check_pipeline(pipeline_id, action, RUNNING)?;
        self.queue(Some(pipeline_id), &message);
        Ok(())
    }

    fn queue(&mut self, pipeline_id: Option<Uuid>, message: &PsrpMessage) {
        let pool_id = self.id.unwrap_or(Uuid::nil());
        let header_id = pipeline_id.map(|p| self.wire_ids.get(&p).copied().unwrap_or(p));
        let bytes = codec::encode_to_client(pool_id, header_id, message);
        self.outbox
            .push(pipeline_id, StreamName::Stdout, None, bytes);
    }

    fn check_pool_id(&mut self, id: Uuid) -> Result<(), StateError> {
        match self.id {
            None => {
                self.id = Some(id);
                Ok(())
            }
            Some(known) if known == id => Ok(()),
            Some(known) => Err(StateError::WrongPool {
                expected: known,
                got: id,
            }),
        }
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

    fn check_pipeline(
        &self,
        pipeline_id: Uuid,
        action: &'static str,
        expected: &'static [PSInvocationState],
    ) -> Result<(), StateError> {
        self.check_alive()?;
        let current = self.pipeline_state(pipeline_id)?;
        if expected.contains(&current) {
            Ok(())
        } else {
            Err(StateError::InvalidPipelineState {
                action,
                pipeline_id,
                current,
                expected,
            })
        }
    }

    fn fail(&mut self, error: StateError) -> StateError {
        if self.fatal.is_none() {
            self.state = RunspacePoolState::Broken;
            self.fatal = Some(error.clone());
        }
        error
    }
}
