//! Disconnected shells ([MS-WSMV] 3.1.4.15 to 3.1.4.17; [MS-PSRP] 3.1.4.10 to 3.1.4.12):
//! Disconnect keeps the shell, its runspace pool and its pipelines, which go on producing into
//! the shell's output buffer; output waits there until Reconnect (same client) or Connect (a new
//! client, with a CONNECT_RUNSPACEPOOL) resumes the shell. A disconnected shell is still subject
//! to its idle timeout, which the Disconnect body may change; only Reconnect, Connect and Delete
//! reach it.

use std::time::Duration;

use uuid::Uuid;

use super::faults::{already_connected, malformed, shell_disconnected};
use super::{Answer, ShellServer};
use crate::wsman::response::ConnectResponse;
use crate::wsman::{Header, Request, Response, WsManFault, max_stream_payload};

/// The longest idle timeout a Disconnect may ask for (WinRM's MaxIdleTimeoutms default,
/// 12 hours).
pub(super) const MAX_IDLE_TIMEOUT: Duration = Duration::from_secs(12 * 3600);

/// What the connection rules made of a request on a shell.
pub(super) enum Step {
    /// Disconnect, Reconnect or Connect, answered.
    Answered(Answer),
    /// Any other request, for the shell to run.
    Pass(Request),
}

impl ShellServer {
    /// Answers Disconnect, Reconnect and Connect, and refuses what a disconnected shell does not
    /// take; any other request comes back for the shell to run.
    pub(super) fn connection(
        &mut self,
        id: Uuid,
        header: &Header,
        request: Request,
    ) -> Result<Step, WsManFault> {
        let machine = self.config.machine.clone();
        let payload = max_stream_payload(self.config.max_envelope_size).max(64);
        let Some(shell) = self.shells.get_mut(&id) else {
            let text = header.selector("ShellId").unwrap_or("");
            return Err(WsManFault::unknown_shell(text, &machine));
        };
        let ok = |response: &Response| Ok(Step::Answered(Answer::ok(header.message_id, response)));
        let disconnected = shell.disconnected;
        match request {
            Request::Disconnect { idle_timeout } => {
                if disconnected {
                    return Err(shell_disconnected(&machine));
                }
                if let Some(timeout) = idle_timeout {
                    shell.idle_timeout = timeout.min(MAX_IDLE_TIMEOUT);
                }
                shell.disconnected = true;
                ok(&Response::Disconnect)
            }
            // A Reconnect from the client that is connected is ignored (3.1.4.16).
            Request::Reconnect => {
                shell.disconnected = false;
                ok(&Response::Reconnect)
            }
            // A command is connected to ([MS-PSRP] 3.1.4.10) once its shell is connected again.
            Request::Connect {
                command_id: Some(command),
                ..
            } => {
                if disconnected {
                    return Err(shell_disconnected(&machine));
                }
                if !shell.has_command(command) {
                    return Err(WsManFault::unknown_command(&machine));
                }
                let response = ConnectResponse {
                    input_streams: vec!["stdin".into(), "pr".into()],
                    output_streams: vec!["stdout".into()],
                    connect_response_xml: None,
                };
                ok(&Response::Connect(response))
            }
            Request::Connect {
                command_id: None,
                connect_xml,
            } => {
                if !disconnected {
                    return Err(already_connected(&machine));
                }
                let mut response = ConnectResponse::default();
                if let Some(xml) = connect_xml {
                    // SESSION_CAPABILITY and CONNECT_RUNSPACEPOOL: the pool answers with
                    // RUNSPACEPOOL_INIT_DATA and APPLICATION_PRIVATE_DATA, which travel in the
                    // ConnectResponse rather than in a Receive.
                    if let Err(e) = shell.receive(None, &xml, &mut self.events) {
                        let fault = malformed(&machine, &e.to_string());
                        return Ok(Step::Answered(Answer::fault(None, &fault)));
                    }
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
                shell.disconnected = false;
                ok(&Response::Connect(response))
            }
            Request::Delete => Ok(Step::Pass(Request::Delete)),
            _ if disconnected => Err(shell_disconnected(&machine)),
            other => Ok(Step::Pass(other)),
        }
    }
}
