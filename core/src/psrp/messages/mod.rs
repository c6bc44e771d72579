//! Typed PSRP message bodies ([MS-PSRP] 2.2.2) and the objects they carry (2.2.3).
//!
//! [`PsrpMessage`] is one variant per [`MessageType`]; each variant's struct converts to and
//! from the CLIXML object model. [`PsrpMessage::encode`] / [`PsrpMessage::decode`] go all the way
//! to and from a [`RawMessage`].

mod host;
mod pipeline;
mod pool;
mod props;
mod records;
mod session;

pub use host::{
    HostCall, HostDefaultData, HostDefaultEntry, HostInfo, HostResponse, RemoteHostMethodId,
};
pub use pipeline::{
    CommandArgument, CreatePipeline, PSInvocationState, PipelineCommand, PipelineResultTypes,
    PipelineStateMessage, PowerShell, RemoteStreamOptions,
};
pub use pool::{
    ApartmentState, ApplicationPrivateData, Availability, CallId, ConnectRunspacePool,
    GetCommandMetadata, InitRunspacePool, PsThreadOptions, RunspaceAvailability,
    RunspacePoolInitData, RunspacePoolState, RunspacePoolStateMessage, SetRunspaces, UserEvent,
    dict_get,
};
pub use records::{
    CategoryInfo, ERROR_RECORD_TYPE_NAMES, ErrorRecord, InformationRecord, InformationalRecord,
    ProgressRecord, ProgressRecordType,
};
pub use session::{EncryptedSessionKey, PublicKey, PublicKeyRequest, SessionCapability};

use uuid::Uuid;

use crate::clixml::{PsValue, from_slice, to_vec};

use super::error::PsrpError;
use super::message::{Destination, MessageType, RawMessage};

/// A PSRP message with a typed body: one variant per message type ([MS-PSRP] 2.2.1).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum PsrpMessage {
    /// SESSION_CAPABILITY.
    SessionCapability(SessionCapability),
    /// INIT_RUNSPACEPOOL.
    InitRunspacePool(InitRunspacePool),
    /// PUBLIC_KEY.
    PublicKey(PublicKey),
    /// ENCRYPTED_SESSION_KEY.
    EncryptedSessionKey(EncryptedSessionKey),
    /// PUBLIC_KEY_REQUEST.
    PublicKeyRequest(PublicKeyRequest),
    /// CONNECT_RUNSPACEPOOL.
    ConnectRunspacePool(ConnectRunspacePool),
    /// SET_MAX_RUNSPACES.
    SetMaxRunspaces(SetRunspaces),
    /// SET_MIN_RUNSPACES.
    SetMinRunspaces(SetRunspaces),
    /// RUNSPACE_AVAILABILITY.
    RunspaceAvailability(RunspaceAvailability),
    /// RUNSPACEPOOL_STATE.
    RunspacePoolState(RunspacePoolStateMessage),
    /// CREATE_PIPELINE.
    CreatePipeline(CreatePipeline),
    /// GET_AVAILABLE_RUNSPACES.
    GetAvailableRunspaces(CallId),
    /// USER_EVENT.
    UserEvent(UserEvent),
    /// APPLICATION_PRIVATE_DATA.
    ApplicationPrivateData(ApplicationPrivateData),
    /// GET_COMMAND_METADATA.
    GetCommandMetadata(GetCommandMetadata),
    /// RUNSPACEPOOL_INIT_DATA.
    RunspacePoolInitData(RunspacePoolInitData),
    /// RESET_RUNSPACE_STATE.
    ResetRunspaceState(CallId),
    /// RUNSPACEPOOL_HOST_CALL.
    RunspacePoolHostCall(HostCall),
    /// RUNSPACEPOOL_HOST_RESPONSE.
    RunspacePoolHostResponse(HostResponse),
    /// PIPELINE_INPUT: one input object.
    PipelineInput(PsValue),
    /// END_OF_PIPELINE_INPUT.
    EndOfPipelineInput,
    /// PIPELINE_OUTPUT: one output object.
    PipelineOutput(PsValue),
    /// ERROR_RECORD.
    ErrorRecord(ErrorRecord),
    /// PIPELINE_STATE.
    PipelineState(PipelineStateMessage),
    /// DEBUG_RECORD.
    DebugRecord(InformationalRecord),
    /// VERBOSE_RECORD.
    VerboseRecord(InformationalRecord),
    /// WARNING_RECORD.
    WarningRecord(InformationalRecord),
    /// PROGRESS_RECORD.
    ProgressRecord(ProgressRecord),
    /// INFORMATION_RECORD.
    InformationRecord(InformationRecord),
    /// PIPELINE_HOST_CALL.
    PipelineHostCall(HostCall),
    /// PIPELINE_HOST_RESPONSE.
    PipelineHostResponse(HostResponse),
}

impl PsrpMessage {
    /// The message type of this body.
    pub fn message_type(&self) -> MessageType {
        use PsrpMessage as M;
        match self {
            M::SessionCapability(_) => MessageType::SessionCapability,
            M::InitRunspacePool(_) => MessageType::InitRunspacePool,
            M::PublicKey(_) => MessageType::PublicKey,
            M::EncryptedSessionKey(_) => MessageType::EncryptedSessionKey,
            M::PublicKeyRequest(_) => MessageType::PublicKeyRequest,
            M::ConnectRunspacePool(_) => MessageType::ConnectRunspacePool,
            M::SetMaxRunspaces(_) => MessageType::SetMaxRunspaces,
            M::SetMinRunspaces(_) => MessageType::SetMinRunspaces,
            M::RunspaceAvailability(_) => MessageType::RunspaceAvailability,
            M::RunspacePoolState(_) => MessageType::RunspacePoolState,
            M::CreatePipeline(_) => MessageType::CreatePipeline,
            M::GetAvailableRunspaces(_) => MessageType::GetAvailableRunspaces,
            M::UserEvent(_) => MessageType::UserEvent,
            M::ApplicationPrivateData(_) => MessageType::ApplicationPrivateData,
            M::GetCommandMetadata(_) => MessageType::GetCommandMetadata,
            M::RunspacePoolInitData(_) => MessageType::RunspacePoolInitData,
            M::ResetRunspaceState(_) => MessageType::ResetRunspaceState,
            M::RunspacePoolHostCall(_) => MessageType::RunspacePoolHostCall,
            M::RunspacePoolHostResponse(_) => MessageType::RunspacePoolHostResponse,
            M::PipelineInput(_) => MessageType::PipelineInput,
            M::EndOfPipelineInput => MessageType::EndOfPipelineInput,
            M::PipelineOutput(_) => MessageType::PipelineOutput,
            M::ErrorRecord(_) => MessageType::ErrorRecord,
            M::PipelineState(_) => MessageType::PipelineState,
            M::DebugRecord(_) => MessageType::DebugRecord,
            M::VerboseRecord(_) => MessageType::VerboseRecord,
            M::WarningRecord(_) => MessageType::WarningRecord,
            M::ProgressRecord(_) => MessageType::ProgressRecord,
            M::InformationRecord(_) => MessageType::InformationRecord,
            M::PipelineHostCall(_) => MessageType::PipelineHostCall,
            M::PipelineHostResponse(_) => MessageType::PipelineHostResponse,
        }
    }

    /// The CLIXML body.
    pub fn to_clixml(&self) -> PsValue {
        use PsrpMessage as M;
        match self {
            M::SessionCapability(m) => m.to_clixml(),
            M::InitRunspacePool(m) => m.to_clixml(),
            M::PublicKey(m) => m.to_clixml(),
            M::EncryptedSessionKey(m) => m.to_clixml(),
            M::PublicKeyRequest(m) => m.to_clixml(),
            M::ConnectRunspacePool(m) => m.to_clixml(),
            M::SetMaxRunspaces(m) => m.to_clixml(MessageType::SetMaxRunspaces),
            M::SetMinRunspaces(m) => m.to_clixml(MessageType::SetMinRunspaces),
            M::RunspaceAvailability(m) => m.to_clixml(),
            M::RunspacePoolState(m) => m.to_clixml(),
            M::CreatePipeline(m) => m.to_clixml(),
            M::GetAvailableRunspaces(m) | M::ResetRunspaceState(m) => m.to_clixml(),
            M::UserEvent(m) => m.to_clixml(),
            M::ApplicationPrivateData(m) => m.to_clixml(),
            M::GetCommandMetadata(m) => m.to_clixml(),
            M::RunspacePoolInitData(m) => m.to_clixml(),
            M::RunspacePoolHostCall(m) | M::PipelineHostCall(m) => m.to_clixml(),
            M::RunspacePoolHostResponse(m) | M::PipelineHostResponse(m) => m.to_clixml(),
            M::PipelineInput(v) | M::PipelineOutput(v) => v.clone(),
            // 2.2.2.18: the body is an empty string.
            M::EndOfPipelineInput => PsValue::String(String::new()),
            M::ErrorRecord(m) => m.to_clixml(),
            M::PipelineState(m) => m.to_clixml(),
            M::DebugRecord(m) | M::VerboseRecord(m) | M::WarningRecord(m) => m.to_clixml(),
            M::ProgressRecord(m) => m.to_clixml(),
            M::InformationRecord(m) => m.to_clixml(),
        }
    }

    /// Parses the CLIXML body of a message of type `mt`.
    pub fn from_clixml(mt: MessageType, v: &PsValue) -> Result<PsrpMessage, PsrpError> {
        use MessageType as T;
        use PsrpMessage as M;
        Ok(match mt {
            T::SessionCapability => M::SessionCapability(SessionCapability::from_clixml(v)?),
            T::InitRunspacePool => M::InitRunspacePool(InitRunspacePool::from_clixml(v)?),
            T::PublicKey => M::PublicKey(PublicKey::from_clixml(v)?),
            T::EncryptedSessionKey => M::EncryptedSessionKey(EncryptedSessionKey::from_clixml(v)?),
            T::PublicKeyRequest => M::PublicKeyRequest(PublicKeyRequest::from_clixml(v)?),
            T::ConnectRunspacePool => M::ConnectRunspacePool(ConnectRunspacePool::from_clixml(v)?),
            T::SetMaxRunspaces => M::SetMaxRunspaces(SetRunspaces::from_clixml(mt, v)?),
            T::SetMinRunspaces => M::SetMinRunspaces(SetRunspaces::from_clixml(mt, v)?),
            T::RunspaceAvailability => {
                M::RunspaceAvailability(RunspaceAvailability::from_clixml(v)?)
            }
            T::RunspacePoolState => M::RunspacePoolState(RunspacePoolStateMessage::from_clixml(v)?),
            T::CreatePipeline => M::CreatePipeline(CreatePipeline::from_clixml(v)?),
            T::GetAvailableRunspaces => M::GetAvailableRunspaces(CallId::from_clixml(mt, v)?),
            T::UserEvent => M::UserEvent(UserEvent::from_clixml(v)?),
            T::ApplicationPrivateData => {
                M::ApplicationPrivateData(ApplicationPrivateData::from_clixml(v)?)
            }
            T::GetCommandMetadata => M::GetCommandMetadata(GetCommandMetadata::from_clixml(v)?),
            T::RunspacePoolInitData => {
                M::RunspacePoolInitData(RunspacePoolInitData::from_clixml(v)?)
            }
            T::ResetRunspaceState => M::ResetRunspaceState(CallId::from_clixml(mt, v)?),
            T::RunspacePoolHostCall => M::RunspacePoolHostCall(HostCall::from_clixml(mt, v)?),
            T::RunspacePoolHostResponse => {
                M::RunspacePoolHostResponse(HostResponse::from_clixml(mt, v)?)
            }
            T::PipelineInput => M::PipelineInput(v.clone()),
            T::EndOfPipelineInput => M::EndOfPipelineInput,
            T::PipelineOutput => M::PipelineOutput(v.clone()),
            T::ErrorRecord => M::ErrorRecord(ErrorRecord::from_clixml(mt, v)?),
            T::PipelineState => M::PipelineState(PipelineStateMessage::from_clixml(v)?),
            T::DebugRecord => M::DebugRecord(InformationalRecord::from_clixml(mt, v)?),
            T::VerboseRecord => M::VerboseRecord(InformationalRecord::from_clixml(mt, v)?),
            T::WarningRecord => M::WarningRecord(InformationalRecord::from_clixml(mt, v)?),
            T::ProgressRecord => M::ProgressRecord(ProgressRecord::from_clixml(v)?),
            T::InformationRecord => M::InformationRecord(InformationRecord::from_clixml(v)?),
            T::PipelineHostCall => M::PipelineHostCall(HostCall::from_clixml(mt, v)?),
            T::PipelineHostResponse => M::PipelineHostResponse(HostResponse::from_clixml(mt, v)?),
        })
    }

    /// A complete message: header plus CLIXML body, for `runspace_pool_id`, `pipeline_id` (nil
    /// for a pool message) and `destination`.
    pub fn encode(
        &self,
        runspace_pool_id: Uuid,
        pipeline_id: Uuid,
        destination: Destination,
    ) -> RawMessage {
        RawMessage {
            destination,
            message_type: self.message_type(),
            runspace_pool_id,
            pipeline_id,
            data: to_vec(&self.to_clixml()),
        }
    }

    /// The typed body of a raw message. An empty body (some END_OF_PIPELINE_INPUT senders) counts
    /// as an empty string.
    pub fn decode(raw: &RawMessage) -> Result<PsrpMessage, PsrpError> {
        let body = raw.data.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&raw.data);
        let value = if body.iter().all(u8::is_ascii_whitespace) {
            PsValue::String(String::new())
        } else {
            from_slice(body)?
        };
        PsrpMessage::from_clixml(raw.message_type, &value)
    }
}

#[cfg(test)]
mod tests;
