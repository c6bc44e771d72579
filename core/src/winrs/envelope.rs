//! The client's WS-Management envelopes for one shell: what every header carries, which
//! options each operation adds, and which answer each operation expects.

use std::time::Duration;

use uuid::Uuid;

use crate::clixml::PsVersion;
use crate::error::SessionError;
use crate::psrp::outbox::MIN_TRANSMIT_LEN;
use crate::transport::TransportError;
use crate::wsman::response::CreateResponse;
use crate::wsman::{
    DEFAULT_MAX_ENVELOPE_SIZE, Header, ReceiveResponse, Request, Response, max_stream_payload,
};

/// The stream every PSRP server answers on ([MS-PSRP] 3.1.5.3.5).
pub(crate) const STDOUT: &str = "stdout";

/// The WS-Management operation of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Operation {
    /// wxf:Create of the shell, with the pool's opening messages in `creationXml`.
    Create,
    /// rsp:Command of a pipeline, CREATE_PIPELINE in `Arguments`.
    Command,
    /// rsp:Send of PSRP data on `stdin` or host responses on `pr`.
    Send,
    /// rsp:Receive on `stdout`.
    Receive,
    /// rsp:Signal (`crtl_c` or terminate).
    Signal,
    /// wxf:Delete of the shell.
    Delete,
}

impl Operation {
    /// The response the operation calls for.
    fn expected(self) -> &'static str {
        match self {
            Operation::Create => "CreateResponse",
            Operation::Command => "CommandResponse",
            Operation::Send => "SendResponse",
            Operation::Receive => "ReceiveResponse",
            Operation::Signal => "SignalResponse",
            Operation::Delete => "DeleteResponse",
        }
    }
}

/// The response an operation calls for, as the server gave it.
#[derive(Debug)]
pub enum Answer {
    /// The shell exists.
    Created(Box<CreateResponse>),
    /// The command exists, under the server's CommandId.
    Command(Uuid),
    /// The data was taken.
    Sent,
    /// Output and, at a command's end, its state.
    Received(ReceiveResponse),
    /// The signal was taken.
    Signalled,
    /// The shell is gone.
    Deleted,
}

/// One request to POST: the envelope and what it is for.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Outgoing {
    /// The SOAP envelope.
    pub body: Vec<u8>,
    /// The WS-Management operation it is.
    pub operation: Operation,
    /// The MaxEnvelopeSize the envelope carries: the server keeps its answer within it.
    pub max_envelope: u32,
    /// A Receive of a running command's output: the driver may abandon it when the caller
    /// cancels or the deadline ([`super::client::ShellClient::poll_timeout`]) passes.
    pub interruptible: bool,
}

/// Reads the answer to `operation`: the response it calls for, or the fault, transport or
/// envelope error. A Receive that ran into the OperationTimeout comes back empty.
pub fn read_answer(
    operation: Operation,
    answer: Result<Vec<u8>, TransportError>,
) -> Result<Answer, SessionError> {
    let parsed = answer
        .map_err(SessionError::from)
        .and_then(|body| Ok(Response::parse(&body)?.1));
    match (operation, parsed) {
        (Operation::Create, Ok(Response::Created(created))) => {
            Ok(Answer::Created(Box::new(created)))
        }
        (Operation::Command, Ok(Response::Command { command_id })) => {
            Ok(Answer::Command(command_id))
        }
        (Operation::Send, Ok(Response::Send)) => Ok(Answer::Sent),
        (Operation::Receive, Ok(Response::Receive(received))) => Ok(Answer::Received(received)),
        (Operation::Signal, Ok(Response::Signal)) => Ok(Answer::Signalled),
        (Operation::Delete, Ok(Response::Delete)) => Ok(Answer::Deleted),
        (Operation::Receive, Err(SessionError::Fault(f))) if f.is_timed_out() => {
            Ok(Answer::Received(ReceiveResponse::default()))
        }
        (_, Ok(other)) => Err(SessionError::UnexpectedResponse {
            expected: operation.expected(),
            got: other.action(),
        }),
        (_, Err(e)) => Err(e),
    }
}

/// What every header of the shell carries.
#[derive(Debug, Clone)]
pub(crate) struct Addressing {
    pub(crate) to: String,
    pub(crate) resource_uri: String,
    pub(crate) operation_timeout: Duration,
    pub(crate) locale: String,
}

impl Addressing {
    pub(crate) fn header(&self, max_envelope: u32, shell_id: Option<Uuid>) -> Header {
        let mut header = Header::new(
            self.to.clone(),
            self.resource_uri.clone(),
            Uuid::new_v4(),
            max_envelope,
        );
        header.operation_timeout = Some(self.operation_timeout);
        header.locale = Some(self.locale.clone());
        header.data_locale = Some(self.locale.clone());
        match shell_id {
            Some(id) => header.with_shell_id(id),
            None => header,
        }
    }
}

/// The options of `request`'s header beyond the addressing.
pub(crate) fn with_options(request: &Request, header: Header, version: PsVersion) -> Header {
    match request {
        // [MS-PSRP] 3.1.5.3.1: the client's protocol version goes in the option set, and the
        // server must honour it.
        Request::Create { .. } => header.with_option(
            "protocolversion",
            &format!("{}.{}", version.major, version.minor),
            Some(true),
        ),
        // As PowerShell and pypsrp send it (captured traffic): run no cmd.exe around the
        // command.
        Request::Command { .. } => header.with_option("WINRS_SKIP_CMD_SHELL", "False", None),
        // [MS-WSMV] 3.1.4.14: keep the shell alive while output is awaited, as PowerShell and
        // pypsrp ask.
        Request::Receive { .. } => {
            header.with_option("WSMAN_CMDSHELL_OPTION_KEEPALIVE", "True", None)
        }
        _ => header,
    }
}

/// The MaxEnvelopeSize a server speaking `protocol_version` accepts: 512000 bytes from
/// protocol 2.2 on, 153600 before (PowerShell 2.0). Before the server's SESSION_CAPABILITY
/// arrives, use the smaller one.
pub fn max_envelope_size(protocol_version: Option<PsVersion>) -> usize {
    match protocol_version {
        Some(v) if (v.major, v.minor) >= (2, 2) => 512_000,
        _ => DEFAULT_MAX_ENVELOPE_SIZE,
    }
}

pub(crate) fn envelope_u32(size: usize) -> u32 {
    u32::try_from(size).unwrap_or(u32::MAX)
}

/// The largest PSRP fragment a request within `max_envelope` carries.
pub(crate) fn payload_len(max_envelope: u32) -> usize {
    let envelope = usize::try_from(max_envelope).unwrap_or(usize::MAX);
    max_stream_payload(envelope).max(MIN_TRANSMIT_LEN)
}

#[cfg(test)]
mod tests {
    #[test]
    fn envelope_size_follows_the_protocol_version() {
        let v = |major, minor| {
            Some(crate::clixml::PsVersion {
                major,
                minor,
                build: None,
                revision: None,
            })
        };
        assert_eq!(max_envelope_size(v(2, 3)), 512_000);
        assert_eq!(max_envelope_size(v(2, 2)), 512_000);
        assert_eq!(max_envelope_size(v(2, 1)), 153_600);
        assert_eq!(max_envelope_size(None), 153_600);
        assert_eq!(max_envelope_size(v(3, 0)), 512_000);
    }

    use super::*;

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
}
