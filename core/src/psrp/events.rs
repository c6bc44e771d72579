//! What the state machines report: [`Event`] on the client, [`ServerEvent`] on the server.
//!
//! Each variant says where it comes from (the message that produced it) and what the caller
//! must do, if anything.

use std::collections::VecDeque;

use uuid::Uuid;

use super::command::PowerShellSpec;
use super::host::HostAnswer;
use super::messages::{
    Availability, ErrorRecord, HostResponse, InformationRecord, InformationalRecord,
    PSInvocationState, ProgressRecord, RemoteHostMethodId, RunspacePoolState, UserEvent,
};
use super::state_error::StateError;
use crate::clixml::{PsValue, PsVersion};

/// A host call from the server ([MS-PSRP] 2.2.2.15 RUNSPACEPOOL_HOST_CALL, 2.2.2.27
/// PIPELINE_HOST_CALL).
#[derive(Debug, Clone, PartialEq)]
pub struct HostCall {
    /// The pipeline that made the call, `None` for the pool.
    pub pipeline_id: Option<Uuid>,
    /// The call id (`ci`), echoed by the response.
    pub call_id: i64,
    /// The method (`mi`, [MS-PSRP] 2.2.3.17).
    pub method: RemoteHostMethodId,
    /// The arguments (`mp`).
    pub parameters: Vec<PsValue>,
}

/// An event of the client [`super::RunspacePool`], taken with `poll_event()`.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Event {
    /// The pool changed state (RUNSPACEPOOL_STATE, [MS-PSRP] 2.2.2.9, or a local transition).
    /// `Opened` means commands may run. `Broken` and `Closed` from the server carry the server's
    /// error; after `Broken` only [`Event::Failed`] follows.
    PoolStateChanged {
        /// The new state.
        state: RunspacePoolState,
        /// The server's error record, for `Broken`/`Closed`.
        error: Option<ErrorRecord>,
    },
    /// The server's SESSION_CAPABILITY arrived ([MS-PSRP] 2.2.2.1); the negotiated protocol
    /// version is in `server_protocol_version()`. A transport picks its MaxEnvelopeSize here.
    SessionCapability,
    /// APPLICATION_PRIVATE_DATA arrived ([MS-PSRP] 2.2.2.13): `application_private_data()`
    /// holds it (PSVersionTable and the application's own data).
    ApplicationPrivateData,
    /// ENCRYPTED_SESSION_KEY arrived ([MS-PSRP] 2.2.2.4): SecureStrings can now be sent.
    SessionKeyReady,
    /// The answer to `set_max_runspaces`, `set_min_runspaces`, `get_available_runspaces` or
    /// `reset_runspace_state` (RUNSPACE_AVAILABILITY, [MS-PSRP] 2.2.2.8).
    RunspaceAvailability {
        /// The call id the request returned.
        call_id: i64,
        /// Success for set/reset requests, the free count for `get_available_runspaces`.
        response: Availability,
    },
    /// A USER_EVENT ([MS-PSRP] 2.2.2.12): a PowerShell event forwarded by the server.
    UserEvent(UserEvent),
    /// A host call. It has been answered already, per `answer`
    /// ([`super::host::non_interactive_answer`]); the event is for logging.
    HostCall {
        /// The call.
        call: HostCall,
        /// What was sent back.
        answer: HostAnswer,
    },
    /// PIPELINE_OUTPUT ([MS-PSRP] 2.2.2.19).
    Output {
        /// The pipeline.
        pipeline_id: Uuid,
        /// The object.
        value: PsValue,
    },
    /// ERROR_RECORD ([MS-PSRP] 2.2.2.20): a non-terminating error.
    Error {
        /// The pipeline.
        pipeline_id: Uuid,
        /// The record.
        record: ErrorRecord,
    },
    /// WARNING_RECORD ([MS-PSRP] 2.2.2.24).
    Warning {
        /// The pipeline.
        pipeline_id: Uuid,
        /// The record.
        record: InformationalRecord,
    },
    /// VERBOSE_RECORD ([MS-PSRP] 2.2.2.23).
    Verbose {
        /// The pipeline.
        pipeline_id: Uuid,
        /// The record.
        record: InformationalRecord,
    },
    /// DEBUG_RECORD ([MS-PSRP] 2.2.2.22).
    Debug {
        /// The pipeline.
        pipeline_id: Uuid,
        /// The record.
        record: InformationalRecord,
    },
    /// INFORMATION_RECORD ([MS-PSRP] 2.2.2.26, protocol 2.3).
    Information {
        /// The pipeline.
        pipeline_id: Uuid,
        /// The record.
        record: InformationRecord,
    },
    /// PROGRESS_RECORD ([MS-PSRP] 2.2.2.25).
    Progress {
        /// The pipeline.
        pipeline_id: Uuid,
        /// The record.
        record: ProgressRecord,
    },
    /// PIPELINE_STATE ([MS-PSRP] 2.2.2.21). When `state` is Completed, Failed or Stopped the
    /// pipeline is finished: the transport sends the WS-Management terminate Signal for it and
    /// then calls `end_pipeline`, or the server keeps the command.
    PipelineStateChanged {
        /// The pipeline.
        pipeline_id: Uuid,
        /// Its new state.
        state: PSInvocationState,
        /// Why it failed or stopped.
        error: Option<ErrorRecord>,
    },
    /// The pool failed for good. Always the last event; the same error is returned by every
    /// later call.
    Failed(StateError),
}

/// An event of the [`super::ServerRunspacePool`], taken with `poll_event()`.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum ServerEvent {
    /// The client's SESSION_CAPABILITY ([MS-PSRP] 2.2.2.1). Action: answer with
    /// `send_session_capability`.
    SessionCapability {
        /// The client's protocol version.
        protocol_version: PsVersion,
    },
    /// INIT_RUNSPACEPOOL ([MS-PSRP] 2.2.2.2): the pool parameters are recorded. Action: send
    /// APPLICATION_PRIVATE_DATA and set the state to Opened.
    InitRunspacePool {
        /// Minimum runspaces.
        min_runspaces: i32,
        /// Maximum runspaces.
        max_runspaces: i32,
        /// The client's application arguments (`PSPrimitiveDictionary`).
        application_arguments: Option<PsValue>,
    },
    /// CONNECT_RUNSPACEPOOL ([MS-PSRP] 2.2.2.29): a client reconnects; the pool is Opened.
    /// Action: `send_runspace_pool_init_data()`, then `send_application_private_data()`.
    ConnectRunspacePool,
    /// PUBLIC_KEY ([MS-PSRP] 2.2.2.3). Action: `send_session_key()`.
    PublicKey,
    /// CREATE_PIPELINE ([MS-PSRP] 2.2.2.10). Action: run it, write its output, and set a final
    /// state.
    CreatePipeline {
        /// The pipeline (the WS-Management command id).
        pipeline_id: Uuid,
        /// What to run.
        spec: PowerShellSpec,
    },
    /// PIPELINE_INPUT ([MS-PSRP] 2.2.2.17).
    PipelineInput {
        /// The pipeline.
        pipeline_id: Uuid,
        /// One input object.
        value: PsValue,
    },
    /// END_OF_PIPELINE_INPUT ([MS-PSRP] 2.2.2.18).
    EndOfInput {
        /// The pipeline.
        pipeline_id: Uuid,
    },
    /// A host response to `host_call` ([MS-PSRP] 2.2.2.16, 2.2.2.28).
    HostResponse {
        /// The pipeline, `None` for a pool host call.
        pipeline_id: Option<Uuid>,
        /// The response: call id, method, and the return value or the client's error.
        response: HostResponse,
    },
    /// SET_MAX_RUNSPACES ([MS-PSRP] 2.2.2.6); answered already with RUNSPACE_AVAILABILITY
    /// `true`.
    SetMaxRunspaces {
        /// The call id.
        call_id: i64,
        /// The new maximum.
        value: i32,
    },
    /// SET_MIN_RUNSPACES ([MS-PSRP] 2.2.2.7); answered already.
    SetMinRunspaces {
        /// The call id.
        call_id: i64,
        /// The new minimum.
        value: i32,
    },
    /// GET_AVAILABLE_RUNSPACES ([MS-PSRP] 2.2.2.11); answered already with max minus running
    /// pipelines.
    GetAvailableRunspaces {
        /// The call id.
        call_id: i64,
    },
    /// RESET_RUNSPACE_STATE ([MS-PSRP] 2.2.2.31). Action: reset, then
    /// `send_runspace_availability(call_id, true)`.
    ResetRunspaceState {
        /// The call id.
        call_id: i64,
    },
    /// The client's input broke the pool. Always the last event.
    Failed(StateError),
}

/// The next event of a machine: what is queued, then, after a fatal error, `failed(error)` once,
/// last. Both sides' `poll_event` are this.
pub(crate) fn next_event<E>(
    events: &mut VecDeque<E>,
    fatal: Option<&StateError>,
    fatal_reported: &mut bool,
    failed: impl FnOnce(StateError) -> E,
) -> Option<E> {
    if let Some(event) = events.pop_front() {
        return Some(event);
    }
    match fatal {
        Some(e) if !*fatal_reported => {
            *fatal_reported = true;
            Some(failed(e.clone()))
        }
        _ => None,
    }
}
