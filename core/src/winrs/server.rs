//! The server side of WinRS shells ([MS-WSMV] 3.1.4) carrying PSRP runspace pools ([MS-PSRP]
//! 3.2), sans I/O: [`ShellServer::handle`] takes a request envelope and the time, and answers
//! at once or leaves a Receive pending; the host runs the pipelines it is told about
//! ([`ShellServer::poll_event`]) and writes their output into the shell's pool
//! ([`ShellServer::shell_mut`]); [`ShellServer::poll_answer`] and [`ShellServer::answer`] give
//! the Receives that output completes, and [`ShellServer::handle_timeout`] the ones whose
//! OperationTimeout passed (the TimedOut fault).
//!
//! The machine owns the shell and command ids, the shells' runspace pools, the per-user quota,
//! the idle timeouts, envelope sizes, Signal, Delete, Disconnect/Reconnect/Connect and
//! Enumerate, and the faults for unknown shells and commands.

// A fault is built at most once per request and turned into the answer straight away; boxing
// it on every `?` would add allocations and noise for no gain.
#![allow(clippy::result_large_err)]

mod connection;
mod enumerate;
pub mod faults;
mod host_info;
mod shell;
#[cfg(test)]
mod tests;

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use uuid::Uuid;

pub use host_info::can_prompt;
pub use shell::ServerShell;

use crate::clixml::{self as values, PsObject, PsValue, PsVersion};
use crate::psrp::messages::{HostInfo, HostResponse};
use crate::psrp::{PowerShellSpec, ServerOptions, StateError};
use crate::wsman::header::{format_duration, format_guid};
use crate::wsman::namespaces::{WSMAN, signal};
use crate::wsman::response::{CreateResponse, IdentifyResponse, ShellInfo};
use crate::wsman::{
    Header, ReceiveResponse, Request, Response, Selector, WsManFault, max_stream_payload,
};
use faults::{malformed, response_header};

/// The limits of the shell service.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerConfig {
    /// The machine name written in faults.
    pub machine: String,
    /// Shells one user may hold at once.
    pub max_shells_per_user: usize,
    /// A shell unused this long is deleted (WinRM's IdleTimeout); a Create may ask for less.
    pub idle_timeout: Duration,
    /// The largest request envelope accepted, and the cap on responses (WinRM's
    /// MaxEnvelopeSizekb).
    pub max_envelope_size: usize,
    /// The longest a Receive waits for output, whatever the client's OperationTimeout says.
    pub max_operation_timeout: Duration,
    /// Accounts that authenticate but that the service's RootSDDL refuses: every request gets
    /// the access-denied fault.
    pub denied_users: Vec<String>,
    /// The APPLICATION_PRIVATE_DATA a pool sends when it opens ([MS-PSRP] 2.2.2.13).
    pub private_data: PsValue,
    /// The versions each shell's pool announces in its SESSION_CAPABILITY ([MS-PSRP]
    /// 2.2.2.1): protocol 2.3 by default, 2.1 for a PowerShell 2.0 server.
    pub pool_options: ServerOptions,
}

/// WinRM's defaults: MaxShellsPerUser 30, IdleTimeout two hours, MaxEnvelopeSizekb 500.
impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            machine: "localhost".into(),
            max_shells_per_user: 30,
            idle_timeout: Duration::from_secs(7200),
            max_envelope_size: 512_000,
            max_operation_timeout: Duration::from_secs(60),
            denied_users: Vec::new(),
            private_data: windows_powershell_private_data(),
            pool_options: ServerOptions::default(),
        }
    }
}

/// The OperationTimeout of a Receive that names none.
const DEFAULT_OPERATION_TIMEOUT: Duration = Duration::from_secs(20);

/// Who sent a request, as the transport authenticated it, and where it arrived.
#[derive(Debug, Clone, Copy)]
pub struct Client<'a> {
    /// The account's logon name.
    pub user: &'a str,
    /// The resource URI of the shells the endpoint serves; requests for another are refused.
    pub resource_uri: &'a str,
}

/// An answer to send: the HTTP status (200, or 500 with a fault) and the SOAP envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The HTTP status.
    pub status: u16,
    /// The SOAP envelope.
    pub body: Vec<u8>,
}

impl Answer {
    fn ok(relates_to: Uuid, response: &Response) -> Self {
        Answer {
            status: 200,
            body: response.to_xml(&response_header(Some(relates_to))),
        }
    }

    /// A fault answering the request `relates_to`.
    pub fn fault(relates_to: Option<Uuid>, fault: &WsManFault) -> Self {
        Answer {
            status: 500,
            body: fault.to_xml(&response_header(relates_to)),
        }
    }
}

/// A Receive left waiting for output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ReceiveId(u64);

/// What [`ShellServer::handle`] decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Send this now.
    Answer(Answer),
    /// A Receive found nothing: its answer comes from [`ShellServer::answer`] once output
    /// arrives, or from [`ShellServer::handle_timeout`] when its OperationTimeout passes.
    Pending(ReceiveId),
}

/// What the host does for the shells, taken with [`ShellServer::poll_event`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum ShellEvent {
    /// A shell was created.
    ShellCreated {
        /// The shell.
        shell: Uuid,
        /// The user who created it.
        owner: String,
        /// The resource URI it was created on.
        resource_uri: String,
    },
    /// CREATE_PIPELINE: run it, write its output into the shell's pool and set a final state.
    PipelineCreated {
        /// The shell.
        shell: Uuid,
        /// The pipeline (the command id).
        pipeline: Uuid,
        /// What to run.
        spec: PowerShellSpec,
        /// The pipeline's HostInfo.
        host_info: Option<HostInfo>,
    },
    /// PIPELINE_INPUT: one input object.
    PipelineInput {
        /// The shell.
        shell: Uuid,
        /// The pipeline.
        pipeline: Uuid,
        /// The object.
        value: PsValue,
    },
    /// END_OF_PIPELINE_INPUT.
    EndOfInput {
        /// The shell.
        shell: Uuid,
        /// The pipeline.
        pipeline: Uuid,
    },
    /// The client answered a host call.
    HostResponse {
        /// The shell.
        shell: Uuid,
        /// The pipeline, `None` for a pool host call.
        pipeline: Option<Uuid>,
        /// The response.
        response: HostResponse,
    },
    /// A Ctrl+C Signal: a running pipeline should end Stopped.
    StopRequested {
        /// The shell.
        shell: Uuid,
        /// The pipeline.
        pipeline: Uuid,
    },
    /// A terminate Signal: the pipeline is gone, stopped if it ran; its work can be dropped.
    PipelineEnded {
        /// The shell.
        shell: Uuid,
        /// The pipeline.
        pipeline: Uuid,
    },
    /// A Receive waits for output of the pipeline (`None`: the pool): output produced lazily
    /// can be written now.
    OutputWanted {
        /// The shell.
        shell: Uuid,
        /// The pipeline.
        pipeline: Option<Uuid>,
    },
    /// The shell was deleted (Delete, or its idle timeout passed).
    ShellDeleted {
        /// The shell.
        shell: Uuid,
    },
}

#[derive(Debug)]
struct Wait {
    id: ReceiveId,
    shell: Uuid,
    /// The ShellId selector as the client wrote it.
    shell_text: String,
    command: Option<Uuid>,
    relates_to: Uuid,
    payload: usize,
    deadline: Instant,
}

/// The shells of one WS-Management service.
#[derive(Debug)]
pub struct ShellServer {
    config: ServerConfig,
    shells: HashMap<Uuid, ServerShell>,
    waits: Vec<Wait>,
    ready: VecDeque<(ReceiveId, Answer)>,
    events: VecDeque<ShellEvent>,
    next_wait: u64,
}

impl ShellServer {
    /// A service without shells.
    pub fn new(config: ServerConfig) -> Self {
        ShellServer {
            config,
            shells: HashMap::new(),
            waits: Vec::new(),
            ready: VecDeque::new(),
            events: VecDeque::new(),
            next_wait: 0,
        }
    }

    /// The limits.
    pub fn config(&self) -> &ServerConfig {
        &self.config
    }

    /// Shells open now.
    pub fn shell_count(&self) -> usize {
        self.shells.len()
    }

    /// The ids of the shells open now.
    pub fn shell_ids(&self) -> Vec<Uuid> {
        self.shells.keys().copied().collect()
    }

    /// A shell.
    pub fn shell(&self, id: Uuid) -> Option<&ServerShell> {
        self.shells.get(&id)
    }

    /// A shell, to write its pipelines' output.
    pub fn shell_mut(&mut self, id: Uuid) -> Option<&mut ServerShell> {
        self.shells.get_mut(&id)
    }

    /// The next thing for the host to do.
    pub fn poll_event(&mut self) -> Option<ShellEvent> {
        self.events.pop_front()
    }

    /// Handles one request envelope.
    pub fn handle(&mut self, now: Instant, client: &Client<'_>, envelope: &[u8]) -> Outcome {
        let machine = self.config.machine.as_str();
        if envelope.len() > self.config.max_envelope_size {
            let fault = WsManFault::max_envelope_size_exceeded(machine);
            return Outcome::Answer(Answer::fault(None, &fault));
        }
        match Request::parse(envelope) {
            Ok((header, request)) => self.handle_request(now, client, &header, request),
            Err(e) => Outcome::Answer(Answer::fault(None, &malformed(machine, &e.to_string()))),
        }
    }

    /// Handles one parsed request.
    pub fn handle_request(
        &mut self,
        now: Instant,
        client: &Client<'_>,
        header: &Header,
        request: Request,
    ) -> Outcome {
        match self.dispatch(now, client, header, request) {
            Ok(outcome) => outcome,
            Err(fault) => Outcome::Answer(Answer::fault(Some(header.message_id), &fault)),
        }
    }

    fn dispatch(
        &mut self,
        now: Instant,
        client: &Client<'_>,
        header: &Header,
        request: Request,
    ) -> Result<Outcome, WsManFault> {
        let machine = self.config.machine.clone();
        if self
            .config
            .denied_users
            .iter()
            .any(|d| d.eq_ignore_ascii_case(client.user))
        {
            return Err(WsManFault::access_denied(&machine));
        }
        self.reap_idle(now);
        if matches!(request, Request::Enumerate { .. }) {
            return self.enumerate(now, client, header, request);
        }
        if !matches!(request, Request::Identify)
            && !header
                .resource_uri
                .trim_end_matches('/')
                .eq_ignore_ascii_case(client.resource_uri)
        {
            return Err(WsManFault::resource_not_found(
                &header.resource_uri,
                &machine,
            ));
        }
        let answer = match request {
            Request::Create {
                shell_id,
                idle_timeout,
                creation_xml,
                input_streams,
                output_streams,
                ..
            } => {
                let create = Create {
                    shell_id,
                    idle_timeout,
                    creation_xml,
                    input_streams,
                    output_streams,
                };
                return self.create(now, client, header, create);
            }
            Request::Identify => Answer::ok(
                header.message_id,
                &Response::Identify(IdentifyResponse {
                    protocol_version: WSMAN.to_owned(),
                    product_vendor: "Microsoft Corporation".into(),
                    product_version: "OS: 10.0.14393 SP: 0.0 Stack: 3.0".into(),
                    security_profiles: Vec::new(),
                }),
            ),
            other => {
                let shell_text = header.selector("ShellId").unwrap_or("").to_owned();
                let id = match header.shell_id() {
                    Ok(Some(id)) => id,
                    _ => return Err(WsManFault::unknown_shell(&shell_text, &machine)),
                };
                let Some(shell) = self.shells.get_mut(&id) else {
                    return Err(WsManFault::unknown_shell(&shell_text, &machine));
                };
                // Another user's shell is as invisible as a missing one.
                if !shell.owner.eq_ignore_ascii_case(client.user) {
                    return Err(WsManFault::unknown_shell(&shell_text, &machine));
                }
                // Requests a disconnected shell refuses do not keep it alive.
                let resumes = matches!(
                    other,
                    Request::Reconnect | Request::Connect { .. } | Request::Delete
                );
                if resumes || !shell.disconnected {
                    shell.last_used = now;
                }
                return match self.connection(id, header, other)? {
                    connection::Step::Answered(answer) => Ok(Outcome::Answer(answer)),
                    connection::Step::Pass(other) => {
                        self.on_shell(now, id, &shell_text, header, other)
                    }
                };
            }
        };
        Ok(Outcome::Answer(answer))
    }

    fn create(
        &mut self,
        now: Instant,
        client: &Client<'_>,
        header: &Header,
        create: Create,
    ) -> Result<Outcome, WsManFault> {
        let machine = self.config.machine.clone();
        let id = create.shell_id.unwrap_or_else(Uuid::new_v4);
        let idle = create
            .idle_timeout
            .unwrap_or(self.config.idle_timeout)
            .min(self.config.idle_timeout);
        let mut shell = ServerShell::new(
            id,
            client.user,
            client.resource_uri,
            self.config.private_data.clone(),
            self.config.pool_options.clone(),
            now,
            idle,
        );
        let mut events = VecDeque::new();
        if let Some(xml) = create.creation_xml
            && shell.receive(None, &xml, &mut events).is_err()
        {
            let fault = malformed(
                &machine,
                "the creationXml is not a valid PSRP runspace pool opening",
            );
            return Ok(Outcome::Answer(Answer::fault(None, &fault)));
        }
        let owned = self
            .shells
            .values()
            .filter(|s| s.owner.eq_ignore_ascii_case(client.user))
            .count();
        if owned >= self.config.max_shells_per_user {
            let max = u32::try_from(self.config.max_shells_per_user).unwrap_or(u32::MAX);
            return Err(WsManFault::shell_quota_exceeded(max, &machine));
        }
        if self.shells.contains_key(&id) {
            return Err(WsManFault::access_denied(&machine));
        }
        self.shells.insert(id, shell);
        self.events.push_back(ShellEvent::ShellCreated {
            shell: id,
            owner: client.user.to_owned(),
            resource_uri: client.resource_uri.to_owned(),
        });
        self.events.extend(events);
        let guid = format_guid(id);
        let text = |s: &str| s.to_owned();
        let properties = vec![
            (text("ShellId"), guid.clone()),
            (text("ResourceUri"), text(client.resource_uri)),
            (text("Owner"), client.user.to_owned()),
            (text("ClientIP"), text("127.0.0.1")),
            (text("IdleTimeOut"), format_duration(idle)),
            (text("InputStreams"), create.input_streams.join(" ")),
            (text("OutputStreams"), create.output_streams.join(" ")),
            (text("ShellRunTime"), text("P0DT0H0M0S")),
            (text("ShellInactivity"), text("P0DT0H0M0S")),
        ];
        Ok(Outcome::Answer(Answer::ok(
            header.message_id,
            &Response::Created(CreateResponse {
                address: header.to.clone(),
                resource_uri: client.resource_uri.to_owned(),
                selectors: vec![Selector {
                    name: "ShellId".into(),
                    value: guid,
                }],
                shell: Some(ShellInfo { properties }),
            }),
        )))
    }

    /// The bytes of one Receive answer when the client allows `header`'s envelope size.
    fn payload(&self, header: &Header) -> usize {
        let envelope = header
            .max_envelope_size
            .map_or(self.config.max_envelope_size, |m| {
                usize::try_from(m).unwrap_or(usize::MAX)
            })
            .min(self.config.max_envelope_size);
        max_stream_payload(envelope).max(64)
    }

    fn on_shell(
        &mut self,
        now: Instant,
        id: Uuid,
        shell_text: &str,
        header: &Header,
        request: Request,
    ) -> Result<Outcome, WsManFault> {
        let machine = self.config.machine.clone();
        let malformed_state = |e: StateError| malformed(&machine, &e.to_string());
        let relates_to = header.message_id;
        let payload = self.payload(header);
        let Some(shell) = self.shells.get_mut(&id) else {
            return Err(WsManFault::unknown_shell(shell_text, &machine));
        };
        let answer = match request {
            Request::Delete => {
                shell.close();
                self.shells.remove(&id);
                self.events
                    .push_back(ShellEvent::ShellDeleted { shell: id });
                Answer::ok(relates_to, &Response::Delete)
            }
            Request::Command {
                command_id,
                arguments,
                ..
            } => {
                let pid = command_id.unwrap_or_else(Uuid::new_v4);
                if shell.has_command(pid) {
                    return Err(WsManFault::unknown_command(&machine));
                }
                let data = arguments.unwrap_or_default();
                if let Err(e) = shell.receive(Some(pid), &data, &mut self.events) {
                    return Ok(Outcome::Answer(Answer::fault(None, &malformed_state(e))));
                }
                Answer::ok(relates_to, &Response::Command { command_id: pid })
            }
            Request::Send { streams } => {
                for s in streams {
                    if s.command_id.is_some_and(|c| !shell.has_command(c)) {
                        return Err(WsManFault::unknown_command(&machine));
                    }
                    if let Err(e) = shell.receive(s.command_id, &s.data, &mut self.events) {
                        return Ok(Outcome::Answer(Answer::fault(None, &malformed_state(e))));
                    }
                }
                Answer::ok(relates_to, &Response::Send)
            }
            Request::Signal { command_id, code } => {
                let Some(pid) = command_id else {
                    return Ok(Outcome::Answer(Answer::ok(relates_to, &Response::Signal)));
                };
                if !shell.has_command(pid) {
                    return Err(WsManFault::unknown_command(&machine));
                }
                let code = code.trim();
                if code.eq_ignore_ascii_case(signal::TERMINATE) {
                    if let Err(e) = shell.terminate(pid) {
                        return Ok(Outcome::Answer(Answer::fault(None, &malformed_state(e))));
                    }
                    self.events.push_back(ShellEvent::PipelineEnded {
                        shell: id,
                        pipeline: pid,
                    });
                } else if code.eq_ignore_ascii_case(signal::PS_CTRL_C)
                    || code.eq_ignore_ascii_case(signal::PS_CRTL_C)
                {
                    self.events.push_back(ShellEvent::StopRequested {
                        shell: id,
                        pipeline: pid,
                    });
                }
                Answer::ok(relates_to, &Response::Signal)
            }
            Request::Receive { command_id, .. } => {
                let timeout = header
                    .operation_timeout
                    .unwrap_or(DEFAULT_OPERATION_TIMEOUT)
                    .min(self.config.max_operation_timeout);
                self.next_wait += 1;
                let wait = Wait {
                    id: ReceiveId(self.next_wait),
                    shell: id,
                    shell_text: shell_text.to_owned(),
                    command: command_id,
                    relates_to,
                    payload,
                    deadline: now + timeout,
                };
                if let Some(answer) = self.check(&wait) {
                    return Ok(Outcome::Answer(answer));
                }
                self.events.push_back(ShellEvent::OutputWanted {
                    shell: id,
                    pipeline: command_id,
                });
                let pending = wait.id;
                self.waits.push(wait);
                return Ok(Outcome::Pending(pending));
            }
            _ => return Err(WsManFault::access_denied(&machine)),
        };
        Ok(Outcome::Answer(answer))
    }

    /// The answer a waiting Receive can have now, if any.
    fn check(&mut self, wait: &Wait) -> Option<Answer> {
        let machine = self.config.machine.as_str();
        let fault = |f: WsManFault| Some(Answer::fault(Some(wait.relates_to), &f));
        let Some(shell) = self.shells.get_mut(&wait.shell) else {
            return fault(WsManFault::unknown_shell(&wait.shell_text, machine));
        };
        if shell.disconnected {
            return fault(faults::shell_disconnected(machine));
        }
        if wait.command.is_some_and(|c| !shell.has_command(c)) {
            return fault(WsManFault::unknown_command(machine));
        }
        if shell.has_output(wait.command, wait.payload) {
            let output = shell.take_output(wait.command, wait.payload);
            return Some(Answer::ok(
                wait.relates_to,
                &Response::Receive(ReceiveResponse {
                    streams: output.streams,
                    command_state: output.command_state,
                }),
            ));
        }
        if shell.is_broken() && wait.command.is_none() {
            return fault(WsManFault::unknown_shell(&wait.shell_text, machine));
        }
        None
    }

    /// The answer of the pending Receive `id`, once there is one (output arrived, the shell
    /// went away, or its timeout passed in [`ShellServer::handle_timeout`]).
    pub fn answer(&mut self, id: ReceiveId) -> Option<Answer> {
        if let Some(at) = self.ready.iter().position(|(r, _)| *r == id) {
            return self.ready.remove(at).map(|(_, a)| a);
        }
        let at = self.waits.iter().position(|w| w.id == id)?;
        let wait = self.waits.remove(at);
        match self.check(&wait) {
            Some(answer) => Some(answer),
            None => {
                self.waits.insert(at, wait);
                None
            }
        }
    }

    /// Any pending Receive that has its answer now.
    pub fn poll_answer(&mut self) -> Option<(ReceiveId, Answer)> {
        if let Some(ready) = self.ready.pop_front() {
            return Some(ready);
        }
        let ids: Vec<ReceiveId> = self.waits.iter().map(|w| w.id).collect();
        ids.into_iter()
            .find_map(|id| self.answer(id).map(|a| (id, a)))
    }

    /// Asks the host again for the output a pending Receive waits for
    /// ([`ShellEvent::OutputWanted`]).
    pub fn want_output(&mut self, id: ReceiveId) {
        if let Some(w) = self.waits.iter().find(|w| w.id == id) {
            self.events.push_back(ShellEvent::OutputWanted {
                shell: w.shell,
                pipeline: w.command,
            });
        }
    }

    /// Forgets a pending Receive whose client went away.
    pub fn cancel(&mut self, id: ReceiveId) {
        self.waits.retain(|w| w.id != id);
        self.ready.retain(|(r, _)| *r != id);
    }

    /// When [`ShellServer::handle_timeout`] has something to do: a Receive's OperationTimeout
    /// or a shell's idle timeout.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let waits = self.waits.iter().map(|w| w.deadline);
        let idle = self.shells.values().map(|s| s.last_used + s.idle_timeout);
        waits.chain(idle).min()
    }

    /// Answers the Receives whose OperationTimeout passed with the TimedOut fault, and deletes
    /// the shells idle for longer than their IdleTimeOut.
    pub fn handle_timeout(&mut self, now: Instant) {
        let machine = self.config.machine.clone();
        let (expired, waiting): (Vec<Wait>, Vec<Wait>) = std::mem::take(&mut self.waits)
            .into_iter()
            .partition(|w| w.deadline <= now);
        self.waits = waiting;
        for w in expired {
            let answer = Answer::fault(Some(w.relates_to), &WsManFault::timed_out(&machine));
            self.ready.push_back((w.id, answer));
        }
        self.reap_idle(now);
    }

    /// Deletes every shell, connected or disconnected, unused for longer than its IdleTimeOut;
    /// returns how many went.
    pub fn reap_idle(&mut self, now: Instant) -> usize {
        let idle: Vec<Uuid> = self
            .shells
            .values()
            .filter(|s| now.saturating_duration_since(s.last_used) >= s.idle_timeout)
            .map(|s| s.id)
            .collect();
        for id in &idle {
            if let Some(mut shell) = self.shells.remove(id) {
                shell.close();
                self.events
                    .push_back(ShellEvent::ShellDeleted { shell: *id });
            }
        }
        idle.len()
    }
}

/// The body values of a Create.
struct Create {
    shell_id: Option<Uuid>,
    idle_timeout: Option<Duration>,
    creation_xml: Option<Vec<u8>>,
    input_streams: Vec<String>,
    output_streams: Vec<String>,
}

fn version(major: u32, minor: u32, build: Option<u32>, revision: Option<u32>) -> PsValue {
    PsValue::Version(PsVersion {
        major,
        minor,
        build,
        revision,
    })
}

/// APPLICATION_PRIVATE_DATA with the `PSVersionTable` of Windows PowerShell 5.1 on Windows
/// Server 2016 ([MS-PSRP] 2.2.2.13).
pub fn windows_powershell_private_data() -> PsValue {
    let s = |t: &str| PsValue::String(t.to_owned());
    let table = values::hashtable([
        (s("PSVersion"), version(5, 1, Some(14393), Some(4583))),
        (s("PSEdition"), s("Desktop")),
        (
            s("PSCompatibleVersions"),
            values::array([
                version(1, 0, None, None),
                version(2, 0, None, None),
                version(3, 0, None, None),
                version(4, 0, None, None),
                version(5, 0, None, None),
                version(5, 1, Some(14393), Some(4583)),
            ]),
        ),
        (s("CLRVersion"), version(4, 0, Some(30319), Some(42000))),
        (s("BuildVersion"), version(10, 0, Some(14393), Some(4583))),
        (s("WSManStackVersion"), version(3, 0, None, None)),
        (s("PSRemotingProtocolVersion"), version(2, 3, None, None)),
        (s("SerializationVersion"), version(1, 1, Some(0), Some(1))),
    ]);
    // A System.Management.Automation.PSPrimitiveDictionary.
    PsValue::object(PsObject {
        type_names: Some(Arc::from(vec![
            "System.Management.Automation.PSPrimitiveDictionary".to_owned(),
            "System.Collections.Hashtable".to_owned(),
            "System.Object".to_owned(),
        ])),
        content: Some(crate::clixml::Container::Dictionary(vec![(
            s("PSVersionTable"),
            table,
        )])),
        ..PsObject::default()
    })
}
