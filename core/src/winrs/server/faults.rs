//! The faults of the shell service that [`WsManFault`] does not build itself, with Windows'
//! codes.

use uuid::Uuid;

use crate::wsman::{ResponseHeader, WsManFault};

/// ERROR_WSMAN_INTERNAL_ERROR.
const CODE_INTERNAL_ERROR: u32 = 2_150_858_770;
/// ERROR_WSMAN_INVALID_MESSAGE_INFORMATION_HEADER.
const CODE_MALFORMED: u32 = 2_150_858_817;
/// ERROR_WINRS_SHELL_DISCONNECTED.
const CODE_SHELL_DISCONNECTED: u32 = 2_150_859_204;

fn fault(code: &str, subcode: &str, wsman_code: u32, text: String, machine: &str) -> WsManFault {
    WsManFault {
        soap_code: code.into(),
        soap_subcode: Some(subcode.into()),
        reason: text.clone(),
        reason_lang: Some("en-US".into()),
        fault_detail: None,
        wsman_code: Some(wsman_code),
        machine: Some(machine.to_owned()),
        message: Some(text),
        provider_fault: None,
    }
}

/// The service failed on its side (the host could not run the request).
pub fn internal_error(machine: &str) -> WsManFault {
    let text = "The WS-Management service cannot process the request. ";
    fault(
        "Receiver",
        "InternalError",
        CODE_INTERNAL_ERROR,
        text.into(),
        machine,
    )
}

/// Windows' answer to an envelope it cannot read (invalid message information header); the
/// detail names what was wrong.
pub fn malformed(machine: &str, detail: &str) -> WsManFault {
    let text = format!(
        "The WS-Management service cannot process the request because the request is malformed: {detail} "
    );
    fault(
        "Sender",
        "InvalidMessageInformationHeader",
        CODE_MALFORMED,
        text,
        machine,
    )
}

/// A request other than Reconnect, Connect or Delete on a disconnected shell. The code is
/// Windows'; the wording is ours.
pub fn shell_disconnected(machine: &str) -> WsManFault {
    let text = "The request is not valid because the Windows Remote Shell is disconnected. Reconnect to the shell, or connect to it from a new client, and retry the operation. ";
    fault(
        "Sender",
        "InvalidParameter",
        CODE_SHELL_DISCONNECTED,
        text.into(),
        machine,
    )
}

/// A Connect to a shell that is connected: ERROR_WSMAN_INTERNAL_ERROR, as [MS-WSMV] 3.1.4.17
/// prescribes.
pub fn already_connected(machine: &str) -> WsManFault {
    let text = "The WS-Management service cannot process the request because the shell is already connected to a client. ";
    fault(
        "Receiver",
        "InternalError",
        CODE_INTERNAL_ERROR,
        text.into(),
        machine,
    )
}

/// The header of an answer to the request `relates_to`.
pub(super) fn response_header(relates_to: Option<Uuid>) -> ResponseHeader {
    ResponseHeader {
        message_id: Uuid::new_v4(),
        relates_to,
        activity_id: None,
    }
}
