//! Disconnected shells ([MS-WSMV] 3.1.4.15 to 3.1.4.17; [MS-PSRP] 3.1.4.10 to 3.1.4.12):
//! Disconnect keeps the shell, its runspace pool and its pipelines, which go on producing into
//! the shell's output buffer; output waits there (a streaming cmdlet blocks once its buffer is
//! full, as WinRM's Block buffering mode) until Reconnect (same client) or Connect (a new client,
//! with a CONNECT_RUNSPACEPOOL) resumes the shell. A disconnected shell is still subject to its
//! idle timeout, which the Disconnect body may change; only Reconnect, Connect and Delete reach it.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use monosync_exchange::wsman::response::ConnectResponse;
use monosync_exchange::wsman::{Header, Request, Response, WsManFault, max_stream_payload};

use super::{ShellSlot, Step, lock, malformed};
use crate::winrm::Service;

/// The longest idle timeout a Disconnect may ask for (WinRM's MaxIdleTimeoutms default,
/// 12 hours).
pub(super) const MAX_IDLE_TIMEOUT: Duration = Duration::from_secs(12 * 3600);

/// ERROR_WINRS_SHELL_DISCONNECTED.
const CODE_SHELL_DISCONNECTED: u32 = 2_150_859_204;
/// ERROR_WSMAN_INTERNAL_ERROR, what [MS-WSMV] 3.1.4.17 prescribes for a Connect to a connected
/// shell.
const CODE_INTERNAL_ERROR: u32 = 2_150_858_770;

/// A request other than Reconnect, Connect or Delete on a disconnected shell. The code is
/// Windows'; the wording is ours.
fn shell_disconnected(machine: &str) -> WsManFault {
    let text = "The request is not valid because the Windows Remote Shell is disconnected. Reconnect to the shell, or connect to it from a new client, and retry the operation. ";
    WsManFault {
        soap_code: "Sender".into(),
        soap_subcode: Some("InvalidParameter".into()),
        reason: text.into(),
        reason_lang: Some("en-US".into()),
        fault_detail: None,
        wsman_code: Some(CODE_SHELL_DISCONNECTED),
        machine: Some(machine.to_owned()),
        message: Some(text.into()),
        provider_fault: None,
    }
}

/// A Connect to a shell that is connected.
fn already_connected(machine: &str) -> WsManFault {
    let text = "The WS-Management service cannot process the request because the shell is already connected to a client. ";
    WsManFault {
        soap_code: "Receiver".into(),
        soap_subcode: Some("InternalError".into()),
        reason: text.into(),
        reason_lang: Some("en-US".into()),
        fault_detail: None,
        wsman_code: Some(CODE_INTERNAL_ERROR),
        machine: Some(machine.to_owned()),
        message: Some(text.into()),
        provider_fault: None,
    }
}

impl Service {
    /// Answers Disconnect, Reconnect and Connect, and refuses what a disconnected shell does not
    /// take; any other request comes back for the shell to run.
    pub(super) fn connection_state(
        &self,
        slot: &Arc<ShellSlot>,
        header: &Header,
        request: Request,
    ) -> Result<Request, Step> {
        let machine = self.config.machine.as_str();
        let disconnected = slot.disconnected.load(Ordering::SeqCst);
        match request {
            Request::Disconnect { idle_timeout } => {
                if disconnected {
                    return Err(self.fault(header, shell_disconnected(machine)));
                }
                if let Some(timeout) = idle_timeout {
                    *lock(&slot.idle_timeout) = timeout.min(MAX_IDLE_TIMEOUT);
                }
                slot.disconnected.store(true, Ordering::SeqCst);
                Err(Self::ok(header, &Response::Disconnect))
            }
            // A Reconnect from the client that is connected is ignored (3.1.4.16).
            Request::Reconnect => {
                slot.disconnected.store(false, Ordering::SeqCst);
                Err(Self::ok(header, &Response::Reconnect))
            }
            // A command is connected to ([MS-PSRP] 3.1.4.10) once its shell is connected again.
            Request::Connect {
                command_id: Some(id),
                ..
            } => {
                if disconnected {
                    return Err(self.fault(header, shell_disconnected(machine)));
                }
                if !lock(&slot.shell).has_pipeline(id) {
                    return Err(self.fault(header, WsManFault::unknown_command(machine)));
                }
                let response = ConnectResponse {
                    input_streams: vec!["stdin".into(), "pr".into()],
                    output_streams: vec!["stdout".into()],
                    connect_response_xml: None,
                };
                Err(Self::ok(header, &Response::Connect(response)))
            }
            Request::Connect {
                command_id: None,
                connect_xml,
            } => {
                if !disconnected {
                    return Err(self.fault(header, already_connected(machine)));
                }
                let mut response = ConnectResponse::default();
                if let Some(xml) = connect_xml {
                    let mut shell = lock(&slot.shell);
                    // SESSION_CAPABILITY and CONNECT_RUNSPACEPOOL: the pool answers with
                    // RUNSPACEPOOL_INIT_DATA and APPLICATION_PRIVATE_DATA, which travel in the
                    // ConnectResponse rather than in a Receive.
                    if let Err(e) = shell.receive(None, &xml) {
                        return Err(Step::Answer((500, malformed(machine, &e.to_string()))));
                    }
                    let payload = max_stream_payload(self.config.max_envelope_size).max(64);
                    let mut data = Vec::new();
                    loop {
                        let output = shell.take_output(None, payload);
                        if output.streams.is_empty() {
                            break;
                        }
                        for s in output.streams {
                            data.extend_from_slice(&s.data);
                        }
                    }
                    response.connect_response_xml = Some(data);
                    shell.announce_connected();
                }
                slot.disconnected.store(false, Ordering::SeqCst);
                Err(Self::ok(header, &Response::Connect(response)))
            }
            Request::Delete => Ok(Request::Delete),
            _ if disconnected => Err(self.fault(header, shell_disconnected(machine))),
            other => Ok(other),
        }
    }
}
