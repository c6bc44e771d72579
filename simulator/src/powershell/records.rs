//! Error records the shell service itself raises (not the Exchange model's): the NoLanguage
//! refusal, a second concurrent pipeline, a stopped pipeline. Shaped like the model's
//! [`SimErrorRecord`]s so that both render the same way ([MS-PSRP] 2.2.3.15).

use monosync_exchange::clixml::PsValue;
use monosync_exchange::psrp::MessageType;
use monosync_exchange::psrp::messages::ErrorRecord;

use crate::exchange::{ErrorCategory, SimErrorRecord};

fn owned(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

const RUNTIME_BASES: &[&str] = &[
    "System.Management.Automation.RuntimeException",
    "System.SystemException",
    "System.Exception",
    "System.Object",
];

/// Exchange runspaces are NoLanguage: script text is refused by the parser before anything runs
/// (FullyQualifiedErrorId `ScriptsNotAllowed`, category ParserError).
pub(crate) fn scripts_not_allowed(script: &str) -> SimErrorRecord {
    SimErrorRecord {
        exception_type: "System.Management.Automation.ParseException".into(),
        exception_base_types: owned(RUNTIME_BASES),
        message: "The syntax is not supported by this runspace. This can occur if the runspace is in no-language mode.".into(),
        category: ErrorCategory::ParserError.code(),
        category_name: ErrorCategory::ParserError.name().into(),
        activity: String::new(),
        reason: "ParseException".into(),
        target_name: script.to_owned(),
        target_type: "String".into(),
        fully_qualified_error_id: "ScriptsNotAllowed".into(),
        target_object: Some(PsValue::String(script.to_owned())),
        terminating: true,
    }
}

/// A runspace runs one pipeline at a time; PowerShell refuses a second one with
/// `InvalidOperationException`.
pub(crate) fn pipeline_already_running() -> SimErrorRecord {
    SimErrorRecord {
        exception_type: "System.Management.Automation.PSInvalidOperationException".into(),
        exception_base_types: owned(&[
            "System.InvalidOperationException",
            "System.SystemException",
            "System.Exception",
            "System.Object",
        ]),
        message: "The pipeline was not run because a pipeline is already running. Pipelines cannot be run concurrently.".into(),
        category: ErrorCategory::InvalidOperation.code(),
        category_name: ErrorCategory::InvalidOperation.name().into(),
        activity: String::new(),
        reason: "PSInvalidOperationException".into(),
        target_name: String::new(),
        target_type: String::new(),
        fully_qualified_error_id: "InvalidOperation".into(),
        target_object: None,
        terminating: true,
    }
}

/// The record of a pipeline stopped by the client's Ctrl+C signal.
pub(crate) fn pipeline_stopped() -> SimErrorRecord {
    SimErrorRecord {
        exception_type: "System.Management.Automation.PipelineStoppedException".into(),
        exception_base_types: owned(RUNTIME_BASES),
        message: "The pipeline has been stopped.".into(),
        category: ErrorCategory::OperationStopped.code(),
        category_name: ErrorCategory::OperationStopped.name().into(),
        activity: String::new(),
        reason: "PipelineStoppedException".into(),
        target_name: String::new(),
        target_type: String::new(),
        fully_qualified_error_id: "PipelineStopped".into(),
        target_object: None,
        terminating: true,
    }
}

/// A SecureString argument arrived before the session-key exchange.
pub(crate) fn no_session_key(parameter: &str) -> SimErrorRecord {
    SimErrorRecord {
        exception_type: "System.Management.Automation.PSInvalidOperationException".into(),
        exception_base_types: owned(&[
            "System.InvalidOperationException",
            "System.SystemException",
            "System.Exception",
            "System.Object",
        ]),
        message: format!(
            "Cannot process argument '{parameter}': the SecureString could not be decrypted because no session key was exchanged."
        ),
        category: ErrorCategory::InvalidArgument.code(),
        category_name: ErrorCategory::InvalidArgument.name().into(),
        activity: String::new(),
        reason: "PSInvalidOperationException".into(),
        target_name: parameter.to_owned(),
        target_type: "String".into(),
        fully_qualified_error_id: "SecureStringDecryptionFailed".into(),
        target_object: None,
        terminating: true,
    }
}

/// The model's record as the PSRP ERROR_RECORD body.
pub(crate) fn to_wire(record: &SimErrorRecord) -> Option<ErrorRecord> {
    ErrorRecord::from_clixml(MessageType::ErrorRecord, &record.to_ps_value()).ok()
}

/// A prompt (ShouldProcess confirmation) on a client without a host: PowerShell's server throws
/// instead of calling the host.
pub(crate) fn host_cannot_prompt(prompt_message: &str) -> SimErrorRecord {
    SimErrorRecord {
        exception_type: "System.Management.Automation.Host.HostException".into(),
        exception_base_types: owned(RUNTIME_BASES),
        message: format!(
            "A command that prompts the user failed because the host program or the command type does not support user interaction. The host was attempting to request confirmation with the following message: {prompt_message}"
        ),
        category: ErrorCategory::NotSpecified.code(),
        category_name: ErrorCategory::NotSpecified.name().into(),
        activity: String::new(),
        reason: "HostException".into(),
        target_name: String::new(),
        target_type: String::new(),
        fully_qualified_error_id: "HostException".into(),
        target_object: None,
        terminating: true,
    }
}
