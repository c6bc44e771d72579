//! [`Replay`]: serves a recorded conversation to a live client, sans-IO. Each request the
//! client sends is matched against the next recorded request and answered with the recorded
//! response, its ids rewritten ([`super::IdMap`]) so that the client sees its own runspace pool
//! and pipeline ids and the ShellIds and CommandIds the replaying server hands out.
//!
//! Matching compares what matters and what the client decides deterministically: the action,
//! the ShellId and CommandId each request names (they must be the ones the server handed
//! out: [MS-WSMV] 3.1.4.5, 3.1.4.11), the Signal code, and the PSRP messages the client
//! sends, in order: their types, and for CREATE_PIPELINE the commands, parameters and
//! invocation settings, for PIPELINE_INPUT the value. SecureStrings compare as SecureStrings
//! (their ciphertext depends on the session key). Differences are collected as
//! [`Mismatch`]es; a request that cannot be placed in the recording at all is an error.
//!
//! Clients legitimately differ in one more way: whether they end each finished command with
//! the terminate Signal ([MS-WSMV] 3.1.4.12). A terminate Signal the recording does not have
//! is answered with a SignalResponse, and a recorded one the client does not send is passed
//! over; both are counted.
//!
//! The session key: a recorded ENCRYPTED_SESSION_KEY is encrypted for the recorded client's
//! RSA key, which the live client does not hold. The replay encrypts a fresh session key
//! with the live client's PUBLIC_KEY instead ([MS-PSRP] 3.1.4.1). Server messages that carry
//! SecureStrings encrypted with the recorded key stay undecryptable; recordings of Exchange
//! sessions have none.

use std::collections::VecDeque;

use uuid::Uuid;

use super::RecordingError;
use super::format::Exchange;
use super::ids::IdMap;
use super::redact::next_payload_text;
use crate::psrp::messages::{EncryptedSessionKey, PsrpMessage};
use crate::psrp::{Defragmenter, MessageType, PowerShellSpec, RawMessage, SessionKey};
use crate::wsman::namespaces::signal;
use crate::wsman::{Header, Request, Response, ResponseHeader, WsManFault, WsmanError};

/// How the replaying server picks the ShellIds and CommandIds it hands out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IdPolicy {
    /// As the recorded server did: where it took the client's proposal, take the live
    /// client's; where it assigned its own (PowerShell 2.0 CommandIds), assign a new one.
    #[default]
    AsRecorded,
    /// Always assign new ones, as a server may: a client that keeps using its own proposals
    /// is then found out.
    Fresh,
}

/// A difference between a live request and the recorded one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    /// The position of the recorded exchange (from 0).
    pub exchange: usize,
    /// Its line in the recording file (0 when not read from a file).
    pub line: usize,
    /// What differs.
    pub what: String,
}

impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exchange {} (line {}): {}",
            self.exchange, self.line, self.what
        )
    }
}

/// An answer for the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Served {
    /// The HTTP status: 500 for a fault (or the status the recording names), else 200.
    pub status: u16,
    /// The response envelope.
    pub body: Vec<u8>,
    /// The recorded exchange it came from; `None` for a synthesized SignalResponse.
    pub exchange: Option<usize>,
}

/// What a replay did, for a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReplayStats {
    /// Recorded exchanges served.
    pub served: usize,
    /// Terminate Signals answered without a recorded counterpart.
    pub synthesized_signals: usize,
    /// Recorded terminate Signals the client did not send.
    pub skipped_signals: usize,
}

/// A recorded conversation being served; see the module documentation.
pub struct Replay {
    exchanges: Vec<Exchange>,
    next: usize,
    policy: IdPolicy,
    /// ShellIds, CommandIds and MessageIDs.
    wsman: IdMap,
    /// What the live client proposed for each recorded proposal (Create's ShellId,
    /// Command's CommandId).
    proposals: IdMap,
    /// Runspace pool and pipeline ids.
    psrp: IdMap,
    recorded_out: Defragmenter,
    live_out: Defragmenter,
    recorded_messages: VecDeque<(usize, Vec<u8>)>,
    live_messages: VecDeque<Vec<u8>>,
    client_public_key: Option<String>,
    mismatches: Vec<Mismatch>,
    stats: ReplayStats,
}

impl std::fmt::Debug for Replay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Replay")
            .field("exchanges", &self.exchanges.len())
            .field("next", &self.next)
            .field("policy", &self.policy)
            .field("stats", &self.stats)
            .field("mismatches", &self.mismatches.len())
            .finish_non_exhaustive()
    }
}

impl Replay {
    /// A replay of `exchanges` (a recording's list).
    pub fn new(exchanges: Vec<Exchange>, policy: IdPolicy) -> Self {
        Replay {
            exchanges,
            next: 0,
            policy,
            wsman: IdMap::default(),
            proposals: IdMap::default(),
            psrp: IdMap::default(),
            recorded_out: Defragmenter::new(),
            live_out: Defragmenter::new(),
            recorded_messages: VecDeque::new(),
            live_messages: VecDeque::new(),
            client_public_key: None,
            mismatches: Vec::new(),
            stats: ReplayStats::default(),
        }
    }

    /// Whether every recorded exchange was served.
    pub fn is_done(&self) -> bool {
        self.next >= self.exchanges.len()
    }

    /// Counts of what was served.
    pub fn stats(&self) -> ReplayStats {
        self.stats
    }

    /// The differences found so far.
    pub fn mismatches(&self) -> &[Mismatch] {
        &self.mismatches
    }

    /// Ends the replay: the differences, plus recorded exchanges the client never asked
    /// for and messages only one side sent.
    pub fn finish(mut self) -> Vec<Mismatch> {
        let line = |r: &Replay, i: usize| r.exchanges.get(i).map_or(0, |e| e.line);
        let mut rest = self.next;
        while rest < self.exchanges.len() {
            let skippable = self.exchanges[rest]
                .request
                .as_deref()
                .is_some_and(is_terminate_signal);
            if !skippable {
                let what = format!(
                    "the client stopped before this recorded {}",
                    action_of(self.exchanges[rest].request.as_deref())
                );
                self.mismatches.push(Mismatch {
                    exchange: rest,
                    line: line(&self, rest),
                    what,
                });
                break;
            }
            rest += 1;
        }
        for (exchange, blob) in std::mem::take(&mut self.recorded_messages) {
            let what = format!("the client never sent the recorded {}", message_name(&blob));
            let line = line(&self, exchange);
            self.mismatches.push(Mismatch {
                exchange,
                line,
                what,
            });
        }
        for blob in std::mem::take(&mut self.live_messages) {
            let what = format!(
                "the client sent a {} the recording lacks",
                message_name(&blob)
            );
            self.mismatches.push(Mismatch {
                exchange: self.next,
                line: 0,
                what,
            });
        }
        self.mismatches
    }

    /// Answers one request of the live client.
    pub fn answer(&mut self, body: &[u8]) -> Result<Served, RecordingError> {
        let (header, request) = Request::parse(body).map_err(RecordingError::Request)?;
        loop {
            let Some(recorded) = self.exchanges.get(self.next) else {
                if is_terminate(&request) {
                    return Ok(self.synthesize_signal(&header));
                }
                return Err(RecordingError::Exhausted {
                    got: short_action(request.action()),
                });
            };
            let line = recorded.line;
            let text = recorded.request.as_deref().unwrap_or_default();
            let (rec_header, rec_request) = Request::parse(text.as_bytes())
                .map_err(|source| RecordingError::Recorded { line, source })?;
            if rec_request.action() == request.action() && same_signal(&rec_request, &request) {
                let index = self.next;
                self.next += 1;
                self.compare(index, line, &rec_header, &rec_request, &header, &request)?;
                return self.respond(index);
            }
            if is_terminate(&request) {
                return Ok(self.synthesize_signal(&header));
            }
            if is_terminate(&rec_request) {
                self.next += 1;
                self.stats.skipped_signals += 1;
                continue;
            }
            return Err(RecordingError::OutOfStep {
                exchange: self.next,
                line,
                expected: short_action(rec_request.action()),
                got: short_action(request.action()),
            });
        }
    }

    /// Answers one request, turning a request the recording cannot answer into a
    /// WS-Management fault that says why (and keeping it among the [`Mismatch`]es): what a
    /// server serving the recording to any client sends.
    pub fn answer_or_fault(&mut self, body: &[u8]) -> Served {
        match self.answer(body) {
            Ok(served) => served,
            Err(e) => {
                let what = e.to_string();
                let line = self.exchanges.get(self.next).map_or(0, |x| x.line);
                self.mismatch(self.next, line, what.clone());
                let relates_to = Request::parse(body).ok().map(|(h, _)| h.message_id);
                let fault = WsManFault {
                    soap_code: "Receiver".into(),
                    soap_subcode: Some("InternalError".into()),
                    reason: format!("replay: {what}"),
                    reason_lang: Some("en-US".into()),
                    fault_detail: None,
                    wsman_code: None,
                    machine: None,
                    message: Some(format!("replay: {what}")),
                    provider_fault: None,
                };
                Served {
                    status: 500,
                    body: fault.to_xml(&ResponseHeader {
                        message_id: Uuid::new_v4(),
                        relates_to,
                        activity_id: None,
                    }),
                    exchange: None,
                }
            }
        }
    }

    fn synthesize_signal(&mut self, header: &Header) -> Served {
        self.stats.synthesized_signals += 1;
        let response = ResponseHeader {
            message_id: Uuid::new_v4(),
            relates_to: Some(header.message_id),
            activity_id: None,
        };
        Served {
            status: 200,
            body: Response::Signal.to_xml(&response),
            exchange: None,
        }
    }

    fn mismatch(&mut self, exchange: usize, line: usize, what: String) {
        self.mismatches.push(Mismatch {
            exchange,
            line,
            what,
        });
    }

    /// Checks a request against the recorded one and learns the client's proposals.
    fn compare(
        &mut self,
        index: usize,
        line: usize,
        rec_header: &Header,
        rec: &Request,
        header: &Header,
        live: &Request,
    ) -> Result<(), RecordingError> {
        self.wsman.set(rec_header.message_id, header.message_id);
        let rec_shell = rec_header.shell_id().ok().flatten();
        let live_shell = header.shell_id().ok().flatten();
        if let Some(recorded) = rec_shell {
            let expected = self.wsman.get(recorded);
            if expected != live_shell {
                self.mismatch(
                    index,
                    line,
                    format!(
                        "ShellId {} where the server handed out {}",
                        show(live_shell),
                        show(expected)
                    ),
                );
            }
        }
        let mut payloads: (Vec<&[u8]>, Vec<&[u8]>) = (Vec::new(), Vec::new());
        match (rec, live) {
            (
                Request::Create {
                    shell_id: r,
                    creation_xml: rx,
                    ..
                },
                Request::Create {
                    shell_id: l,
                    creation_xml: lx,
                    ..
                },
            ) => {
                if let (Some(r), Some(l)) = (r, l) {
                    self.proposals.set(*r, *l);
                }
                payloads.0.extend(rx.as_deref());
                payloads.1.extend(lx.as_deref());
            }
            (
                Request::Command {
                    command_id: r,
                    arguments: rx,
                    ..
                },
                Request::Command {
                    command_id: l,
                    arguments: lx,
                    ..
                },
            ) => {
                if let (Some(r), Some(l)) = (r, l) {
                    self.proposals.set(*r, *l);
                }
                payloads.0.extend(rx.as_deref());
                payloads.1.extend(lx.as_deref());
            }
            (Request::Send { streams: rs }, Request::Send { streams: ls }) => {
                let rec_cmd = rs.iter().find_map(|s| s.command_id);
                let live_cmd = ls.iter().find_map(|s| s.command_id);
                self.check_command(index, line, rec_cmd, live_cmd);
                let names = |s: &[crate::wsman::StreamData]| {
                    s.iter().map(|s| s.name.clone()).collect::<Vec<_>>()
                };
                let mut rec_names = names(rs);
                let mut live_names = names(ls);
                rec_names.dedup();
                live_names.dedup();
                if rec_names != live_names {
                    self.mismatch(
                        index,
                        line,
                        format!("Send streams {live_names:?}, recorded {rec_names:?}"),
                    );
                }
                payloads.0.extend(rs.iter().map(|s| s.data.as_slice()));
                payloads.1.extend(ls.iter().map(|s| s.data.as_slice()));
            }
            (Request::Receive { command_id: r, .. }, Request::Receive { command_id: l, .. })
            | (Request::Signal { command_id: r, .. }, Request::Signal { command_id: l, .. }) => {
                self.check_command(index, line, *r, *l);
            }
            _ => {}
        }
        for data in payloads.0 {
            let blobs = self
                .recorded_out
                .feed(data)
                .map_err(|e| RecordingError::Payload { line, source: e })?;
            self.recorded_messages
                .extend(blobs.into_iter().map(|b| (index, b)));
        }
        for data in payloads.1 {
            match self.live_out.feed(data) {
                Ok(blobs) => self.live_messages.extend(blobs),
                Err(e) => self.mismatch(index, line, format!("the client's fragments: {e}")),
            }
        }
        while !self.recorded_messages.is_empty() && !self.live_messages.is_empty() {
            let (at, recorded) = self.recorded_messages.pop_front().unwrap_or_default();
            let live = self.live_messages.pop_front().unwrap_or_default();
            if let Some(what) = self.compare_messages(&recorded, &live) {
                let line = self.exchanges.get(at).map_or(0, |e| e.line);
                self.mismatch(at, line, what);
            }
        }
        Ok(())
    }

    fn check_command(&mut self, index: usize, line: usize, rec: Option<Uuid>, live: Option<Uuid>) {
        let expected = rec.map(|r| self.wsman.get(r).unwrap_or(r));
        if expected != live {
            self.mismatch(
                index,
                line,
                format!(
                    "CommandId {} where the server handed out {}",
                    show(live),
                    show(expected)
                ),
            );
        }
    }

    /// Compares one PSRP message of each side; learns the live pool and pipeline ids.
    fn compare_messages(&mut self, recorded: &[u8], live: &[u8]) -> Option<String> {
        let (rec, liv) = match (RawMessage::decode(recorded), RawMessage::decode(live)) {
            (Ok(r), Ok(l)) => (r, l),
            (Err(e), _) => return Some(format!("a recorded message does not decode: {e}")),
            (_, Err(e)) => return Some(format!("the client's message does not decode: {e}")),
        };
        if rec.message_type != liv.message_type {
            return Some(format!(
                "the client sent {:?}, the recording has {:?}",
                liv.message_type, rec.message_type
            ));
        }
        for (r, l, what) in [
            (rec.runspace_pool_id, liv.runspace_pool_id, "runspace pool"),
            (rec.pipeline_id, liv.pipeline_id, "pipeline"),
        ] {
            let known = self.psrp.learn(r, l);
            if known != l {
                return Some(format!("{what} id {l} where {known} was used before"));
            }
        }
        let (Ok(rec_msg), Ok(live_msg)) = (PsrpMessage::decode(&rec), PsrpMessage::decode(&liv))
        else {
            return None;
        };
        match (rec_msg, live_msg) {
            (PsrpMessage::CreatePipeline(r), PsrpMessage::CreatePipeline(l)) => {
                let r = comparable(&PowerShellSpec::from_create_pipeline(&r));
                let l = comparable(&PowerShellSpec::from_create_pipeline(&l));
                (r != l)
                    .then(|| format!("CREATE_PIPELINE differs:\n  sent     {l}\n  recorded {r}"))
            }
            (PsrpMessage::PipelineInput(r), PsrpMessage::PipelineInput(l)) => {
                let (r, l) = (comparable(&r), comparable(&l));
                (r != l).then(|| format!("PIPELINE_INPUT {l}, recorded {r}"))
            }
            (_, PsrpMessage::PublicKey(key)) => {
                self.client_public_key = Some(key.public_key);
                None
            }
            _ => None,
        }
    }

    /// The recorded response of exchange `index`, rewritten for the live client.
    fn respond(&mut self, index: usize) -> Result<Served, RecordingError> {
        let exchange = &self.exchanges[index];
        let line = exchange.line;
        let status = exchange.http_status();
        let Some(text) = exchange.response.clone() else {
            return Ok(Served {
                status: status.unwrap_or(500),
                body: Vec::new(),
                exchange: Some(index),
            });
        };
        match Response::parse(text.as_bytes()) {
            Ok((_, Response::Created(created))) => {
                if let Ok(Some(recorded)) = created.shell_id() {
                    self.hand_out(recorded);
                }
            }
            Ok((_, Response::Command { command_id })) => self.hand_out(command_id),
            Ok(_) | Err(WsmanError::Fault(_)) => {}
            Err(source) => return Err(RecordingError::Recorded { line, source }),
        }
        let text = self.wsman.rewrite_text(&text);
        let body = self.rewrite_streams(&text, line)?;
        let fault = body.windows(7).any(|w| w == b":Fault>");
        self.stats.served += 1;
        Ok(Served {
            status: status.unwrap_or(if fault { 500 } else { 200 }),
            body,
            exchange: Some(index),
        })
    }

    /// Picks the live id of a ShellId or CommandId the recorded server handed out.
    fn hand_out(&mut self, recorded: Uuid) {
        let proposed = self.proposals.get(recorded).filter(|p| !p.is_nil());
        let live = match (self.policy, proposed) {
            (IdPolicy::AsRecorded, Some(p)) => p,
            _ => Uuid::new_v4(),
        };
        self.wsman.set(recorded, live);
    }

    /// Rewrites the PSRP payload of every `Stream` (and `connectResponseXml`) element of a
    /// response envelope.
    fn rewrite_streams(&self, text: &str, line: usize) -> Result<Vec<u8>, RecordingError> {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some((start, end)) = next_payload_text(rest) {
            out.push_str(&rest[..start]);
            let encoded = &rest[start..end];
            let data = crate::wsman::stream::decode_base64("Stream", encoded.trim())
                .map_err(|source| RecordingError::Recorded { line, source })?;
            let rewritten = self
                .psrp
                .rewrite_payload(&data, |number, _| self.replace_session_key(number))
                .map_err(|source| RecordingError::Payload { line, source })?;
            out.push_str(&crate::wsman::stream::encode_base64(&rewritten));
            rest = &rest[end..];
        }
        out.push_str(rest);
        Ok(out.into_bytes())
    }

    fn replace_session_key(&self, number: u32) -> Option<Vec<u8>> {
        if number != MessageType::EncryptedSessionKey.value() {
            return None;
        }
        let key = self.client_public_key.as_deref()?;
        let encrypted = SessionKey::generate().encrypt_for(key).ok()?;
        let message = PsrpMessage::EncryptedSessionKey(EncryptedSessionKey {
            encrypted_session_key: encrypted,
        });
        Some(crate::clixml::to_vec(&message.to_clixml()))
    }
}

fn is_terminate(request: &Request) -> bool {
    matches!(request, Request::Signal { code, .. } if code == signal::TERMINATE)
}

fn is_terminate_signal(text: &str) -> bool {
    Request::parse(text.as_bytes()).is_ok_and(|(_, r)| is_terminate(&r))
}

fn same_signal(a: &Request, b: &Request) -> bool {
    match (a, b) {
        (Request::Signal { code: x, .. }, Request::Signal { code: y, .. }) => x == y,
        _ => true,
    }
}

fn short_action(action: &str) -> String {
    action.rsplit('/').next().unwrap_or(action).to_owned()
}

fn action_of(text: Option<&str>) -> String {
    text.and_then(|t| Request::parse(t.as_bytes()).ok())
        .map_or_else(|| "request".into(), |(_, r)| short_action(r.action()))
}

fn message_name(blob: &[u8]) -> String {
    RawMessage::decode(blob).map_or_else(
        |_| "undecodable message".into(),
        |m| format!("{:?}", m.message_type),
    )
}

fn show(id: Option<Uuid>) -> String {
    id.map_or_else(|| "none".into(), |i| i.to_string())
}

/// A value's debug text with SecureString ciphertexts left out: they differ with every
/// session key.
fn comparable(value: &impl std::fmt::Debug) -> String {
    let text = format!("{value:?}");
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    const MARK: &str = "EncryptedSecureString(";
    while let Some(at) = rest.find(MARK) {
        out.push_str(&rest[..at]);
        out.push_str("SecureString");
        let tail = &rest[at + MARK.len()..];
        rest = tail.find(')').map_or("", |close| &tail[close + 1..]);
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::recording::Exchange;
    use crate::wsman::response::CreateResponse;
    use crate::wsman::{Header, Request, Response, ResponseHeader, Selector};

    const URL: &str = "http://ex01/PowerShell/";
    const URI: &str = "http://schemas.microsoft.com/powershell/Microsoft.Exchange";

    fn request(request: &Request, shell: Option<Uuid>) -> String {
        let header = Header::new(URL, URI, Uuid::new_v4(), 512_000);
        let header = match shell {
            Some(id) => header.with_shell_id(id),
            None => header,
        };
        String::from_utf8(request.to_xml(&header)).expect("UTF-8")
    }

    fn response(response: &Response) -> String {
        let header = ResponseHeader {
            message_id: Uuid::new_v4(),
            relates_to: Some(Uuid::new_v4()),
            activity_id: None,
        };
        String::from_utf8(response.to_xml(&header)).expect("UTF-8")
    }

    fn create(shell: Uuid) -> Request {
        Request::Create {
            shell_id: Some(shell),
            name: None,
            idle_timeout: None,
            input_streams: vec!["stdin".into()],
            output_streams: vec!["stdout".into()],
            creation_xml: None,
        }
    }

    fn created(shell: Uuid) -> Response {
        Response::Created(CreateResponse {
            address: URL.into(),
            resource_uri: URI.into(),
            selectors: vec![Selector {
                name: "ShellId".into(),
                value: shell.to_string().to_uppercase(),
            }],
            shell: None,
        })
    }

    fn terminate(command: Uuid) -> Request {
        Request::Signal {
            command_id: Some(command),
            code: signal::TERMINATE.into(),
        }
    }

    /// Create, a terminate Signal, Delete: what a client that ends its commands records.
    fn recording() -> (Vec<Exchange>, Uuid) {
        let shell = Uuid::new_v4();
        let exchanges = vec![
            Exchange::new(request(&create(shell), None), response(&created(shell))),
            Exchange::new(
                request(&terminate(Uuid::new_v4()), Some(shell)),
                response(&Response::Signal),
            ),
            Exchange::new(
                request(&Request::Delete, Some(shell)),
                response(&Response::Delete),
            ),
        ];
        (exchanges, shell)
    }

    fn shell_of(served: &Served) -> Uuid {
        match Response::parse(&served.body) {
            Ok((_, Response::Created(c))) => c.shell_id().ok().flatten().expect("ShellId"),
            other => panic!("not a CreateResponse: {other:?}"),
        }
    }

    #[test]
    fn the_recorded_servers_ids_are_handed_out_as_it_did_or_fresh() {
        for policy in [IdPolicy::AsRecorded, IdPolicy::Fresh] {
            let (exchanges, recorded) = recording();
            let mut replay = Replay::new(exchanges, policy);
            let proposal = Uuid::new_v4();
            let served = replay
                .answer(request(&create(proposal), None).as_bytes())
                .expect("create");
            let shell = shell_of(&served);
            assert_ne!(shell, recorded);
            assert_eq!(shell == proposal, policy == IdPolicy::AsRecorded);
            // A client that does not end its commands: the recorded Signal is passed over.
            let served = replay
                .answer(request(&Request::Delete, Some(shell)).as_bytes())
                .expect("delete");
            assert_eq!(served.status, 200);
            assert_eq!(replay.stats().skipped_signals, 1);
            assert!(replay.is_done());
            // One that does: its Signal is answered beyond the recording.
            let served = replay
                .answer(request(&terminate(Uuid::new_v4()), Some(shell)).as_bytes())
                .expect("signal");
            assert_eq!(served.exchange, None);
            assert_eq!(replay.stats().synthesized_signals, 1);
            let receive = Request::Receive {
                desired_stream: "stdout".into(),
                command_id: None,
            };
            assert!(matches!(
                replay.answer(request(&receive, Some(shell)).as_bytes()),
                Err(RecordingError::Exhausted { .. })
            ));
            assert_eq!(replay.finish(), Vec::new());
        }
    }

    #[test]
    fn a_wrong_shell_id_is_a_mismatch_and_a_wrong_action_an_error() {
        let (exchanges, _) = recording();
        let mut replay = Replay::new(exchanges.clone(), IdPolicy::Fresh);
        let proposal = Uuid::new_v4();
        replay
            .answer(request(&create(proposal), None).as_bytes())
            .expect("create");
        // The client keeps its proposal instead of the ShellId it was given.
        replay
            .answer(request(&Request::Delete, Some(proposal)).as_bytes())
            .expect("delete");
        let mismatches = replay.finish();
        assert_eq!(mismatches.len(), 1, "{mismatches:?}");
        assert!(
            mismatches[0].what.starts_with("ShellId"),
            "{}",
            mismatches[0]
        );

        let mut replay = Replay::new(exchanges, IdPolicy::Fresh);
        let err = replay
            .answer(request(&Request::Delete, Some(proposal)).as_bytes())
            .expect_err("out of step");
        assert!(matches!(err, RecordingError::OutOfStep { .. }), "{err}");
        let served = replay.answer_or_fault(request(&Request::Delete, Some(proposal)).as_bytes());
        assert_eq!(served.status, 500);
        assert!(String::from_utf8_lossy(&served.body).contains("replay: exchange 0"));
        assert_eq!(
            replay.finish().len(),
            2,
            "the fault and the unanswered Create"
        );
    }

    #[test]
    fn secure_strings_compare_equal_whatever_their_ciphertext() {
        use crate::clixml::{EncryptedSecureString, PsValue};
        let a = PsValue::SecureString(EncryptedSecureString(vec![1; 16]));
        let b = PsValue::SecureString(EncryptedSecureString(vec![2; 32]));
        assert_eq!(comparable(&a), comparable(&b));
        assert_ne!(comparable(&a), comparable(&PsValue::I32(1)));
    }
}
