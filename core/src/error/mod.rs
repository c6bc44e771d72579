//! Errors of a [`crate::exchange::Session`]: each layer's error kept whole, so that the server's own
//! words (fault codes, error records) reach the caller.

use std::time::Duration;

use crate::psrp::messages::ErrorRecord;
use crate::psrp::state_error::StateError;
use crate::psrp::{PSInvocationState, RunspacePoolState};
use crate::transport::TransportError;
use crate::wsman::{WsManFault, WsmanError};

use crate::command::result::CommandResult;

pub mod bootstrap;
mod hint;
pub mod kind;

pub use bootstrap::BootstrapFailure;
pub use kind::{ErrorKind, failure_category, is_confirmation_prompt, stated_wait};

/// A command that ended Failed or Stopped ([MS-PSRP] 2.2.2.21 PIPELINE_STATE), with what it
/// produced before.
#[derive(Debug, Clone)]
pub struct PipelineFailure {
    /// Failed, or Stopped by the server.
    pub state: PSInvocationState,
    /// The terminating error (`ExceptionAsErrorRecord`): exception type, message,
    /// FullyQualifiedErrorId and CategoryInfo.
    pub record: Option<ErrorRecord>,
    /// Output and records that arrived before the failure.
    pub partial: CommandResult,
}

impl std::fmt::Display for PipelineFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the command ended {:?}", self.state)?;
        if let Some(r) = &self.record {
            write!(f, ": {}", RecordSummary(r))?;
        }
        Ok(())
    }
}

/// An error record in an error message: exception type, message and FullyQualifiedErrorId,
/// each as the server wrote it, cut by [`crate::server_text::clip`].
pub(crate) struct RecordSummary<'a>(pub(crate) &'a ErrorRecord);

impl std::fmt::Display for RecordSummary<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use crate::server_text::clip;
        let r = self.0;
        write!(
            f,
            "{}: {} ({})",
            clip(r.exception_type().unwrap_or("unknown exception")),
            clip(r.message().unwrap_or("no message")),
            clip(r.fully_qualified_error_id().unwrap_or("no error id")),
        )
    }
}

/// The failure of a session operation.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SessionError {
    /// Connecting, authenticating, sealing or HTTP failed.
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// The server answered with a WS-Management fault ([MS-WSMV] 2.2.4.43): its code, machine
    /// and message are in the fault.
    #[error("WS-Management fault: {0}")]
    Fault(Box<WsManFault>),
    /// A response envelope could not be read.
    #[error("unreadable WS-Management response: {0}")]
    Wsman(WsmanError),
    /// The PSRP state machine refused an operation or broke on the server's data.
    #[error(transparent)]
    State(#[from] StateError),
    /// The server broke or closed the runspace pool ([MS-PSRP] 2.2.2.9).
    #[error("the runspace pool is {state:?}{}", record_suffix(.record))]
    PoolEnded {
        /// Broken or Closed.
        state: RunspacePoolState,
        /// The server's reason.
        record: Option<ErrorRecord>,
    },
    /// The command failed with a terminating error or was stopped by the server.
    #[error("{0}")]
    Pipeline(Box<PipelineFailure>),
    /// The server answered an operation with the response of another.
    #[error("expected a {expected} response, got {got}")]
    UnexpectedResponse {
        /// The response the request calls for.
        expected: &'static str,
        /// The response's action.
        got: &'static str,
    },
    /// The server reported the command done before PSRP said the pipeline finished.
    #[error("the server ended the command before reporting a pipeline state")]
    CommandEndedEarly,
    /// The command ran longer than `invoke_timeout`; it was stopped on the server.
    #[error("the command did not finish within {0:?}; it was stopped")]
    Timeout(Duration),
    /// Opening the session (connect, authenticate, create the shell, open the runspace pool)
    /// took longer than `open_timeout`.
    #[error(
        "the session did not open within {0:?}: the server, or something on the path to it, is \
         too slow or does not answer"
    )]
    OpenTimeout(Duration),
    /// The session was closed, or its shell was never created.
    #[error("the session is closed")]
    Closed,
    /// The command was cancelled with a [`crate::exchange::CancelHandle`]; it was stopped on the server.
    #[error("the command was cancelled")]
    Cancelled,
    /// A blocking call was made from inside an async runtime, where blocking would stall it.
    #[error("a blocking call was made from inside an async runtime; use the async Session there")]
    InAsyncContext,
    /// A call was made on a blocking session from the thread that holds one of its open
    /// result streams, which would wait for itself.
    #[error(
        "a result stream of this session is still open on this thread; read it to the end or drop it first"
    )]
    StreamOpen,
    /// Jump-host mode: the WinRM service ran the bootstrap, but `New-PSSession` to Exchange or
    /// `Import-PSSession` failed; the failure carries the server's error record (a wrong
    /// Exchange password is `AccessDenied,PSSessionOpenFailed`). The shell was deleted.
    #[error("{0}")]
    JumpHost(Box<BootstrapFailure>),
    /// The recording file ([`crate::exchange::SessionOptions::record`]) could not be created.
    #[error("{0}; check the path given to record")]
    Record(#[from] crate::recording::RecordingError),
    /// A command that changes state failed after it was sent, so it may or may not have run;
    /// it is not re-run. The error that cut it off is inside.
    #[error("the command may or may not have run: {0}")]
    OutcomeUnknown(Box<SessionError>),
}

fn record_suffix(record: &Option<ErrorRecord>) -> String {
    match record.as_ref().and_then(ErrorRecord::message) {
        Some(m) => format!(": {}", crate::server_text::clip(m)),
        None => String::new(),
    }
}

impl From<WsmanError> for SessionError {
    fn from(e: WsmanError) -> Self {
        match e {
            WsmanError::Fault(f) => SessionError::Fault(f),
            other => SessionError::Wsman(other),
        }
    }
}

impl SessionError {
    /// The WS-Management fault, if the server sent one.
    pub fn fault(&self) -> Option<&WsManFault> {
        match self {
            SessionError::Fault(f) => Some(f),
            _ => None,
        }
    }

    /// The kind of failure, from the layer that failed and the server's own words: the
    /// fault code, the error record's exception type, FullyQualifiedErrorId and CategoryInfo,
    /// or the body of an HTTP error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            SessionError::Transport(e) => transport_kind(e),
            SessionError::Fault(f) => fault_kind(f),
            SessionError::State(StateError::Broken { .. }) => ErrorKind::Transient,
            SessionError::Wsman(_)
            | SessionError::State(_)
            | SessionError::UnexpectedResponse { .. }
            | SessionError::CommandEndedEarly => ErrorKind::Protocol,
            SessionError::PoolEnded { .. } => ErrorKind::Transient,
            SessionError::Pipeline(p) => p
                .record
                .as_ref()
                .map_or(ErrorKind::Command, ErrorKind::of_record),
            SessionError::JumpHost(f) => f
                .record
                .as_ref()
                .map_or(ErrorKind::Command, ErrorKind::of_record),
            SessionError::Timeout(_) | SessionError::OpenTimeout(_) => ErrorKind::Timeout,
            SessionError::Closed
            | SessionError::InAsyncContext
            | SessionError::StreamOpen
            | SessionError::Record(_) => ErrorKind::Config,
            SessionError::Cancelled => ErrorKind::Cancelled,
            SessionError::OutcomeUnknown(_) => ErrorKind::OutcomeUnknown,
        }
    }

    /// What an administrator can change to cure the failure, where it is known: the group
    /// that grants WinRM access, the SPN command, what channel-binding hardening expects, how to
    /// rebind a renewed certificate, the role group that grants a cmdlet.
    pub fn hint(&self) -> Option<String> {
        crate::error::hint::of(self)
    }

    /// The WSManFault code ([MS-WSMV] 2.2.4.43, `f:WSManFault/@Code`): 5 for access denied,
    /// 2150859173 for the shell quota, ...
    pub fn server_code(&self) -> Option<u32> {
        self.fault().and_then(|f| f.wsman_code)
    }

    /// The FullyQualifiedErrorId of the command's error record
    /// (`[Server=EX01,...] [FailureCategory=Cmdlet-...] 8288830C,Microsoft.Exchange...`).
    pub fn fully_qualified_error_id(&self) -> Option<&str> {
        self.error_record()
            .and_then(ErrorRecord::fully_qualified_error_id)
    }

    /// The server's full text: the fault's message (or reason), the error record's message, or
    /// the body of an HTTP error (Exchange's IIS modules answer 400 with
    /// `[FailureCategory=...] <text>`).
    pub fn server_message(&self) -> Option<String> {
        match self {
            SessionError::Fault(f) => Some(
                f.message
                    .clone()
                    .filter(|m| !m.trim().is_empty())
                    .unwrap_or_else(|| f.reason.clone()),
            ),
            SessionError::Transport(TransportError::Http { body, .. }) if !body.is_empty() => {
                Some(String::from_utf8_lossy(body).into_owned())
            }
            _ => self
                .error_record()
                .and_then(ErrorRecord::message)
                .map(str::to_owned),
        }
    }

    /// How long the server said to wait before the next request, when it refused one for
    /// throttling ("... will not be approved for at least 4500 milliseconds"): see
    /// [`stated_wait`].
    pub fn stated_wait(&self) -> Option<Duration> {
        self.server_message().as_deref().and_then(stated_wait)
    }

    /// The error record of a failed command or a broken pool.
    pub fn error_record(&self) -> Option<&ErrorRecord> {
        match self {
            SessionError::Pipeline(p) => p.record.as_ref(),
            SessionError::PoolEnded { record, .. } => record.as_ref(),
            SessionError::JumpHost(f) => f.record.as_ref(),
            _ => None,
        }
    }
}

pub(super) fn transport_kind(e: &TransportError) -> ErrorKind {
    match e {
        TransportError::Config(_) => ErrorKind::Config,
        TransportError::Resolve { .. } | TransportError::Connect { .. } | TransportError::Io(_) => {
            ErrorKind::Transient
        }
        TransportError::TlsExpired { .. }
        | TransportError::TlsWrongName { .. }
        | TransportError::TlsUntrusted { .. }
        | TransportError::TlsPinMismatch { .. }
        | TransportError::TlsRejected { .. }
        | TransportError::Tls(_) => ErrorKind::Tls,
        TransportError::Auth { .. } | TransportError::Kerberos(_) | TransportError::Keytab(_) => {
            ErrorKind::Auth
        }
        TransportError::Http { status, body } => http_kind(*status, body),
        TransportError::Timeout { .. } => ErrorKind::Timeout,
        TransportError::Sealing(_)
        | TransportError::ResponseTooLarge { .. }
        | TransportError::MalformedHttp(_)
        | TransportError::UnsealedReply { .. } => ErrorKind::Protocol,
    }
}

/// Exchange's IIS modules answer HTTP 400 with `[FailureCategory=AuthZ-<name>] <text>` for
/// throttling and authorization refusals, before WinRM sees the request.
fn http_kind(status: u16, body: &[u8]) -> ErrorKind {
    let text = String::from_utf8_lossy(body);
    let throttled = [
        "exceeded the maximum number of connections allowed",
        "exceeded your budget",
        "exceeded the budget to create runspace",
        "exceeded your throttling policy budget",
        "OverBudget",
    ];
    let denied = [
        "RpsNotEnabled",
        "ClientAccessRules",
        "isn't assigned to any management roles",
        "Access is denied",
    ];
    if throttled.iter().any(|t| text.contains(t)) {
        return ErrorKind::Throttled;
    }
    if denied.iter().any(|t| text.contains(t)) {
        return ErrorKind::AccessDenied;
    }
    match status {
        401 => ErrorKind::Auth,
        403 => ErrorKind::AccessDenied,
        429 => ErrorKind::Throttled,
        // 500 reaches here only without a WS-Management fault: IIS or the application pool
        // failed, as when a worker process crashes.
        408 | 500 | 502..=504 => ErrorKind::Transient,
        _ => ErrorKind::Protocol,
    }
}

pub(super) fn fault_kind(f: &WsManFault) -> ErrorKind {
    use crate::wsman::fault::{CODE_ACCESS_DENIED, CODE_SHELL_QUOTA, CODE_TIMED_OUT};
    let message = f.message.as_deref().unwrap_or(&f.reason);
    match f.wsman_code {
        Some(CODE_ACCESS_DENIED) => ErrorKind::AccessDenied,
        Some(CODE_SHELL_QUOTA) => ErrorKind::Throttled,
        Some(CODE_TIMED_OUT) => ErrorKind::Timeout,
        _ if f.soap_subcode.as_deref() == Some("QuotaLimit")
            || message.contains("concurrent shells")
            || message.contains("user load quota") =>
        {
            ErrorKind::Throttled
        }
        _ if f.soap_subcode.as_deref() == Some("AccessDenied") => ErrorKind::AccessDenied,
        // A request for a pool the server broke (a recycled worker): a new session cures it.
        _ if message.contains("runspace pool is Broken") || message.contains("is broken") => {
            ErrorKind::Transient
        }
        _ => ErrorKind::Protocol,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::psrp::messages::CategoryInfo;

    fn not_found() -> ErrorRecord {
        ErrorRecord::new(
            &[
                "Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException",
                "System.Exception",
            ],
            "The operation couldn't be performed because object 'nobody' couldn't be found.",
            "[Server=EX01] [FailureCategory=Cmdlet-ManagementObjectNotFoundException] 8288830C,Microsoft.Exchange.Management.RecipientTasks.GetMailbox",
            CategoryInfo {
                category: 13,
                activity: Some("Get-Mailbox".into()),
                reason: Some("ManagementObjectNotFoundException".into()),
                target_name: None,
                target_type: None,
                message: None,
            },
            None,
        )
    }

    #[test]
    fn pipeline_failure_shows_the_servers_words() {
        let err = SessionError::Pipeline(Box::new(PipelineFailure {
            state: PSInvocationState::Failed,
            record: Some(not_found()),
            partial: CommandResult::default(),
        }));
        let text = err.to_string();
        assert!(text.starts_with("the command ended Failed: Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException: The operation couldn't"), "{text}");
        assert!(text.contains("8288830C,Microsoft.Exchange.Management.RecipientTasks.GetMailbox"));
        assert_eq!(
            err.error_record()
                .and_then(|r| r.category_info())
                .map(|c| c.category),
            Some(13)
        );
        assert_eq!(err.kind(), ErrorKind::NotFound);
    }

    #[test]
    fn a_bootstrap_failure_names_the_second_hop_and_keeps_the_record() {
        let record = ErrorRecord::new(
            &[
                "System.Management.Automation.Remoting.PSRemotingTransportException",
                "System.Exception",
            ],
            "Connecting to remote server ex01.contoso.com failed with the following error message : Access is denied.",
            "AccessDenied,PSSessionOpenFailed",
            CategoryInfo {
                category: 1,
                activity: Some("New-PSSession".into()),
                reason: Some("PSRemotingTransportException".into()),
                target_name: None,
                target_type: None,
                message: None,
            },
            None,
        );
        let err = SessionError::JumpHost(Box::new(BootstrapFailure {
            exchange_uri: "http://ex01.contoso.com/PowerShell/".into(),
            user: "CONTOSO\\ann".into(),
            state: Some(PSInvocationState::Failed),
            record: Some(record),
            errors: Vec::new(),
        }));
        let text = err.to_string();
        assert!(
            text.starts_with("the jump host could not open the Exchange session at http://ex01.contoso.com/PowerShell/ as CONTOSO\\ann: System.Management.Automation.Remoting.PSRemotingTransportException: Connecting"),
            "{text}"
        );
        assert!(
            text.ends_with("(AccessDenied,PSSessionOpenFailed)"),
            "{text}"
        );
        assert_eq!(
            err.error_record()
                .and_then(|r| r.fully_qualified_error_id()),
            Some("AccessDenied,PSSessionOpenFailed")
        );
    }

    #[test]
    fn faults_are_kept_whole() {
        let fault = WsManFault::timed_out("EX01");
        let err = SessionError::from(WsmanError::Fault(Box::new(fault.clone())));
        assert_eq!(err.fault(), Some(&fault));
        assert_eq!(err.fault().and_then(|f| f.machine.as_deref()), Some("EX01"));
        let other = SessionError::from(WsmanError::UnknownAction("x".into()));
        assert!(matches!(other, SessionError::Wsman(_)));
    }
}
