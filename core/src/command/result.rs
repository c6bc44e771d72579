//! What a command returns: its output objects and the records of every other stream
//! ([MS-PSRP] 2.2.2.19 to 2.2.2.27).

use crate::clixml::PsValue;
use crate::psrp::PSInvocationState;
use crate::psrp::events::HostCall;
use crate::psrp::host::HostAnswer;
use crate::psrp::messages::{ErrorRecord, InformationRecord, InformationalRecord, ProgressRecord};

/// One item of a running command, in the order the server sent it.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum StreamItem {
    /// An output object (PIPELINE_OUTPUT, 2.2.2.19).
    Output(PsValue),
    /// A non-terminating error (ERROR_RECORD, 2.2.2.20).
    Error(ErrorRecord),
    /// WARNING_RECORD (2.2.2.24), e.g. Exchange's "more results are available" warning.
    Warning(InformationalRecord),
    /// VERBOSE_RECORD (2.2.2.23).
    Verbose(InformationalRecord),
    /// DEBUG_RECORD (2.2.2.22).
    Debug(InformationalRecord),
    /// INFORMATION_RECORD (2.2.2.26).
    Information(InformationRecord),
    /// PROGRESS_RECORD (2.2.2.25).
    Progress(ProgressRecord),
    /// A host call (2.2.2.27) and the answer already sent to the server
    /// ([`crate::psrp::host::non_interactive_answer`]).
    HostCall {
        /// The call.
        call: HostCall,
        /// What was answered.
        answer: HostAnswer,
    },
}

/// Everything a finished command produced.
#[derive(Debug, Clone, Default)]
pub struct CommandResult {
    /// Output objects.
    pub output: Vec<PsValue>,
    /// Non-terminating errors.
    pub errors: Vec<ErrorRecord>,
    /// Warnings.
    pub warnings: Vec<InformationalRecord>,
    /// Verbose messages.
    pub verbose: Vec<InformationalRecord>,
    /// Debug messages.
    pub debug: Vec<InformationalRecord>,
    /// Information records (`Write-Information`, `Write-Host`).
    pub information: Vec<InformationRecord>,
    /// Progress records.
    pub progress: Vec<ProgressRecord>,
    /// Host calls the command made, with the answers sent.
    pub host_calls: Vec<(HostCall, HostAnswer)>,
    /// The pipeline's final state; `None` until it finished.
    pub state: Option<PSInvocationState>,
    /// Exchange cut the output short and said so in a warning: the default `-ResultSize` of
    /// 1000, or a smaller explicit one, left objects out. Ask again with
    /// [`crate::exchange::ResultSize::Unlimited`] (and stream) to get them all.
    pub truncated: bool,
}

/// Whether a warning is Exchange's note that the output was cut at the result size
/// (WarningDefaultResultSizeReached, WarningMoreResultsAvailable).
pub fn is_truncation_warning(message: &str) -> bool {
    message.starts_with("By default, only the first ")
        || message.starts_with("There are more results available than are currently displayed")
}

impl CommandResult {
    /// Files `item` in its stream.
    pub fn push(&mut self, item: StreamItem) {
        match item {
            StreamItem::Output(v) => self.output.push(v),
            StreamItem::Error(r) => self.errors.push(r),
            StreamItem::Warning(r) => {
                self.truncated |= is_truncation_warning(&r.message);
                self.warnings.push(r);
            }
            StreamItem::Verbose(r) => self.verbose.push(r),
            StreamItem::Debug(r) => self.debug.push(r),
            StreamItem::Information(r) => self.information.push(r),
            StreamItem::Progress(r) => self.progress.push(r),
            StreamItem::HostCall { call, answer } => self.host_calls.push((call, answer)),
        }
    }
}

/// Round trips a session made, to compare with other clients (pypsrp opens a pool with a
/// Create and one Receive).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RoundTrips {
    /// WS-Management operations (Create, Command, Send, Receive, Signal, Delete).
    pub wsman: u64,
    /// HTTP requests, authentication legs included.
    pub http: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_go_to_their_stream() {
        let mut r = CommandResult::default();
        r.push(StreamItem::Output(PsValue::I32(1)));
        r.push(StreamItem::Warning(InformationalRecord::new(
            "Warning", "careful",
        )));
        r.push(StreamItem::Output(PsValue::I32(2)));
        assert_eq!(r.output, vec![PsValue::I32(1), PsValue::I32(2)]);
        assert_eq!(r.warnings.len(), 1);
        assert_eq!(r.warnings[0].message, "careful");
        assert!(r.errors.is_empty());
        assert_eq!(r.state, None);
        assert!(!r.truncated, "an ordinary warning is no truncation");
        r.push(StreamItem::Warning(InformationalRecord::new(
            "Warning",
            "By default, only the first 1000 items are returned. Use the ResultSize parameter to specify the number of items returned.",
        )));
        assert!(r.truncated);
        assert!(is_truncation_warning(
            "There are more results available than are currently displayed. To view them, increase the value for the ResultSize parameter."
        ));
    }
}
