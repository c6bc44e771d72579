//! Reader for the recorded Windows conversations in `shared/fixtures/windows-captures/*.yml`
//! (the format is `monosync_exchange::recording::format`'s).
//!
//! The PSRP payloads of an exchange are read by the crate's own WS-Management parser, which
//! `wsman_conformance` holds to every capture.

use std::path::PathBuf;

use monosync_exchange::wsman::{Request, Response, WsmanError};
use uuid::Uuid;

use super::fixtures::fixtures_dir;

/// One request/response pair, or a request that failed at the transport.
#[derive(Debug, Clone, Default)]
pub struct Exchange {
    /// The line of `- request:` in the file.
    pub line: usize,
    /// The SOAP envelope the client sent.
    pub request: Option<String>,
    /// The SOAP envelope the server answered.
    pub response: Option<String>,
    /// A transport-level outcome, e.g. `transport_error: protocol=http code=500`.
    pub error: Option<String>,
}

/// One list of exchanges in one file.
#[derive(Debug, Clone)]
pub struct Capture {
    /// File name, e.g. `test_psrp_receive_failure.yml`.
    pub file: String,
    /// List name, e.g. `messages`.
    pub list: String,
    /// The exchanges in order.
    pub messages: Vec<Exchange>,
}

/// The captures directory, `shared/fixtures/windows-captures`.
pub fn captures_dir() -> PathBuf {
    fixtures_dir().join("windows-captures")
}

/// Who sent a payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Sender {
    /// The request side.
    Client,
    /// Windows.
    Server,
}

/// One base64 PSRP payload of an envelope, decoded: a whole number of fragments
/// ([MS-PSRP] 2.2.4).
#[derive(Debug, Clone)]
pub struct Payload {
    /// Who sent the envelope.
    pub sender: Sender,
    /// The carrying element: `creationXml`, `Arguments`, `Stream`, `connectXml` or
    /// `connectResponseXml`.
    pub element: &'static str,
    /// The `CommandId` of an `rsp:Stream`; none for runspace-pool data and the other elements.
    pub command_id: Option<Uuid>,
    /// The decoded bytes, never empty.
    pub data: Vec<u8>,
}

impl Exchange {
    /// The non-empty PSRP payloads of the request, then of the response, in document order. A
    /// fault response carries none; any other parse failure is returned.
    pub fn payloads(&self) -> Result<Vec<Payload>, WsmanError> {
        let mut found = Vec::new();
        let mut push = |sender, element, command_id, data: Vec<u8>| {
            if !data.is_empty() {
                found.push(Payload {
                    sender,
                    element,
                    command_id,
                    data,
                });
            }
        };
        if let Some(xml) = &self.request {
            let client = Sender::Client;
            match Request::parse(xml.as_bytes())?.1 {
                Request::Create {
                    creation_xml: Some(data),
                    ..
                } => push(client, "creationXml", None, data),
                Request::Command {
                    arguments: Some(data),
                    ..
                } => push(client, "Arguments", None, data),
                Request::Send { streams } => {
                    for s in streams {
                        push(client, "Stream", s.command_id, s.data);
                    }
                }
                Request::Connect {
                    connect_xml: Some(data),
                    ..
                } => push(client, "connectXml", None, data),
                _ => {}
            }
        }
        if let Some(xml) = &self.response {
            let server = Sender::Server;
            match Response::parse(xml.as_bytes()) {
                Ok((_, Response::Receive(receive))) => {
                    for s in receive.streams {
                        push(server, "Stream", s.command_id, s.data);
                    }
                }
                Ok((_, Response::Connect(connect))) => {
                    if let Some(data) = connect.connect_response_xml {
                        push(server, "connectResponseXml", None, data);
                    }
                }
                Ok(_) | Err(WsmanError::Fault(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(found)
    }
}

/// Reads one capture file's text with the crate's recording reader
/// (`monosync_exchange::recording::format`); a format error panics with file and line, so a
/// format change is noticed.
pub fn parse(file: &str, text: &str) -> Vec<Capture> {
    let lists = monosync_exchange::recording::parse(text).unwrap_or_else(|e| panic!("{file}: {e}"));
    lists
        .into_iter()
        .map(|list| Capture {
            file: file.to_owned(),
            list: list.list,
            messages: list
                .exchanges
                .into_iter()
                .map(|e| Exchange {
                    line: e.line,
                    request: e.request,
                    response: e.response,
                    error: e.error,
                })
                .collect(),
        })
        .collect()
}

/// Every list of every capture file, files in name order.
pub fn load_all() -> Vec<Capture> {
    let dir = captures_dir();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yml"))
        .collect();
    files.sort();
    files
        .iter()
        .flat_map(|path| {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let text = std::fs::read_to_string(path)
                .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
            parse(&name, &text)
        })
        .collect()
}
