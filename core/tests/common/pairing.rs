//! A [`ShellClient`] paired with a [`ShellServer`] in memory: each request the client gives is
//! handed to the server, and its answer (at once, or when the host's output or the clock
//! completes a pending Receive) back to the client. No socket and no real time: the clock is
//! [`Pairing::now`], moved only to the next thing that happens.

use std::time::{Duration, Instant};

use monosync_exchange::exchange::{CommandResult, Invocation, SessionError, StreamItem};
use monosync_exchange::psrp::PSInvocationState;
use monosync_exchange::psrp::messages::ErrorRecord;
use monosync_exchange::winrs::client::{ShellClient, ShellConfig, ShellEvent};
use monosync_exchange::winrs::envelope::{Operation, Outgoing, read_answer};
use monosync_exchange::winrs::server::{
    Answer, Client, Outcome, ReceiveId, ServerConfig, ShellServer,
};
use monosync_exchange::wsman::namespaces::RESOURCE_EXCHANGE;
use monosync_exchange::wsman::{Header, Request, Response};
use uuid::Uuid;

use super::exchange_host::ExchangeHost;

/// The machine name the server writes in its faults.
pub const MACHINE: &str = "ex01.corp.example";
/// The account every request authenticated as.
pub const USER: &str = "CORP\\admin";

/// The client's configuration: Exchange's endpoint, Receives of at most a second.
pub fn shell_config() -> ShellConfig {
    let mut config = ShellConfig::new("http://ex01.corp.example/PowerShell/", RESOURCE_EXCHANGE);
    config.operation_timeout = Duration::from_secs(1);
    config
}

/// The server's configuration: WinRM's defaults on [`MACHINE`], shells idle for 15 minutes
/// deleted.
pub fn server_config() -> ServerConfig {
    ServerConfig {
        machine: MACHINE.to_owned(),
        idle_timeout: Duration::from_secs(900),
        ..ServerConfig::default()
    }
}

/// One request as the server received it.
#[derive(Debug, Clone)]
pub struct Seen {
    /// The action's last segment: `Create`, `Receive`, ...
    pub action: String,
    /// The header.
    pub header: Header,
}

/// How a command ended: its final state and terminating error.
#[derive(Debug)]
pub struct Finish {
    /// Completed, Failed or Stopped.
    pub state: PSInvocationState,
    /// The terminating error.
    pub error: Option<ErrorRecord>,
}

/// What one [`ShellClient::read`] brought.
#[derive(Debug, Default)]
pub struct Read {
    /// The items, in order.
    pub items: Vec<StreamItem>,
    /// The command's end, or the read's failure; `None` while the command runs.
    pub end: Option<Result<Finish, SessionError>>,
}

/// A command run to its end.
#[derive(Debug)]
pub struct Ran {
    /// Its items, filed.
    pub result: CommandResult,
    /// Its end.
    pub end: Result<Finish, SessionError>,
}

impl Ran {
    /// The end of a command that must have completed.
    pub fn completed(self) -> CommandResult {
        match self.end {
            Ok(Finish {
                state: PSInvocationState::Completed,
                ..
            }) => self.result,
            other => panic!("expected Completed, got {other:?}"),
        }
    }

    /// The failure of a command that must have failed.
    pub fn failure(self) -> SessionError {
        match self.end {
            Err(e) => e,
            Ok(f) => panic!("expected a failure, the command ended {:?}", f.state),
        }
    }
}

/// A client and a server shell machine, with the host of the server's pipelines.
#[derive(Debug)]
pub struct Pairing {
    pub client: ShellClient,
    pub server: ShellServer,
    pub host: ExchangeHost,
    /// The clock both machines are told.
    pub now: Instant,
    /// Every request, in order.
    pub seen: Vec<Seen>,
    /// `(stream name, command id)` of every Send stream.
    pub sent: Vec<(String, Option<Uuid>)>,
    /// `(shell, command)` ids every request after the Create named.
    pub named: Vec<(Option<Uuid>, Option<Uuid>)>,
    /// Take no ids the client proposes, as PowerShell 2.0 servers do ([MS-WSMV] 3.1.4.5,
    /// 3.1.4.11): the server assigns the ShellId and every CommandId.
    pub assign_ids: bool,
    /// The ShellIds and CommandIds the server assigned, in order.
    pub assigned: Vec<Uuid>,
    /// When the caller cancels the command being read.
    pub cancel_at: Option<Instant>,
}

impl Pairing {
    /// A pairing with the default configurations, the shell not created yet.
    pub fn new(host: ExchangeHost) -> Self {
        Pairing::with(host, shell_config(), server_config())
    }

    /// A pairing with these configurations, the shell not created yet.
    pub fn with(host: ExchangeHost, client: ShellConfig, server: ServerConfig) -> Self {
        Pairing {
            client: ShellClient::new(client),
            server: ShellServer::new(server),
            host,
            now: Instant::now(),
            seen: Vec::new(),
            sent: Vec::new(),
            named: Vec::new(),
            assign_ids: false,
            assigned: Vec::new(),
            cancel_at: None,
        }
    }

    /// A pairing with the default configurations, opened.
    pub fn connect(host: ExchangeHost) -> Self {
        let mut pairing = Pairing::new(host);
        pairing.open();
        pairing
    }

    /// Creates the shell and opens the pool.
    pub fn open(&mut self) {
        self.client.open().expect("open");
        let events = self.drive();
        assert!(
            matches!(events.as_slice(), [ShellEvent::Opened]),
            "{events:?}"
        );
    }

    /// Deletes the shell.
    pub fn close(&mut self) {
        self.client.close().expect("close");
        let events = self.drive();
        assert!(
            matches!(events.as_slice(), [ShellEvent::Deleted]),
            "{events:?}"
        );
    }

    /// Starts a command; its pipeline id.
    pub fn start(&mut self, invocation: impl Into<Invocation>) -> Result<Uuid, SessionError> {
        self.client.invoke(invocation.into())?;
        let mut failure = None;
        for event in self.drive() {
            match event {
                ShellEvent::Started { pipeline } => return Ok(pipeline),
                ShellEvent::KeyExchanged => {}
                ShellEvent::Failed(e) => failure = Some(e),
                other => panic!("unexpected {other:?}"),
            }
        }
        Err(failure.unwrap_or(SessionError::Closed))
    }

    /// One read of `pipeline`'s output.
    pub fn read(&mut self, pipeline: Uuid) -> Read {
        self.client.read(pipeline).expect("read");
        let mut read = Read::default();
        for event in self.drive() {
            match event {
                ShellEvent::Item { item, .. } => read.items.push(item),
                ShellEvent::Received { .. } => {}
                ShellEvent::Finished { state, error, .. } => {
                    read.end = Some(Ok(Finish { state, error }));
                }
                ShellEvent::Failed(e) => read.end = Some(Err(e)),
                other => panic!("unexpected {other:?}"),
            }
        }
        read
    }

    /// Runs a command to its end.
    pub fn invoke(&mut self, invocation: impl Into<Invocation>) -> Ran {
        let mut result = CommandResult::default();
        let pipeline = match self.start(invocation) {
            Ok(pipeline) => pipeline,
            Err(e) => {
                return Ran {
                    result,
                    end: Err(e),
                };
            }
        };
        loop {
            let read = self.read(pipeline);
            for item in read.items {
                result.push(item);
            }
            if let Some(end) = read.end {
                if let Ok(finish) = &end {
                    result.state = Some(finish.state);
                }
                return Ran { result, end };
            }
        }
    }

    /// The Delete a dropped session sends on its own, answered.
    pub fn delete_on_drop(&mut self) -> Result<(), SessionError> {
        let delete = self.client.delete_request().ok_or(SessionError::Closed)?;
        let answer = self.exchange(&delete).expect("a Delete is answered");
        read_answer(Operation::Delete, Ok(answer)).map(drop)
    }

    /// Runs the client's queued work to its end: each request to the server, each answer
    /// back, the clock moved when a Receive waits. The client's events.
    pub fn drive(&mut self) -> Vec<ShellEvent> {
        loop {
            if self.client.poll_timeout().is_some_and(|at| at <= self.now) {
                self.client.handle_timeout(self.now);
            }
            let Some(request) = self.client.poll_request(self.now) else {
                break;
            };
            if let Some(answer) = self.exchange(&request) {
                self.client.handle_response(Ok(answer));
            }
        }
        std::iter::from_fn(|| self.client.poll_event()).collect()
    }

    /// The actions of the requests since the `from`th.
    pub fn actions_since(&self, from: usize) -> Vec<&str> {
        self.seen[from..]
            .iter()
            .map(|s| s.action.as_str())
            .collect()
    }

    /// The headers of the requests of `action`.
    pub fn headers_of(&self, action: &str) -> Vec<&Header> {
        self.seen
            .iter()
            .filter(|s| s.action == action)
            .map(|s| &s.header)
            .collect()
    }

    /// Commands the server holds, over every shell.
    pub fn live_commands(&self) -> usize {
        self.server
            .shell_ids()
            .into_iter()
            .filter_map(|id| self.server.shell(id))
            .map(|s| s.command_states().len())
            .sum()
    }

    /// Hands one request to the server; its answer's body, or `None` when the client gave
    /// up the Receive (cancelled, or its deadline passed) before the answer.
    fn exchange(&mut self, request: &Outgoing) -> Option<Vec<u8>> {
        let (header, parsed) = Request::parse(&request.body).expect("the client's envelope");
        self.note(&header, &parsed);
        let client = Client {
            user: USER,
            resource_uri: RESOURCE_EXCHANGE,
        };
        let outcome = if self.assign_ids {
            let parsed = without_proposed_ids(parsed);
            self.server
                .handle_request(self.now, &client, &header, parsed)
        } else {
            self.server.handle(self.now, &client, &request.body)
        };
        self.run_host();
        let answer = match outcome {
            Outcome::Answer(answer) => answer,
            Outcome::Pending(id) => self.wait(id, request.interruptible)?,
        };
        if self.assign_ids {
            self.note_assigned(&answer);
        }
        Some(answer.body)
    }

    /// Waits for a pending Receive's answer, moving the clock to the next deadline while
    /// nothing completes it: the caller's cancel or invoke deadline (which abandon an
    /// interruptible Receive), or the Receive's OperationTimeout.
    fn wait(&mut self, id: ReceiveId, interruptible: bool) -> Option<Answer> {
        loop {
            if let Some(answer) = self.server.answer(id) {
                return Some(answer);
            }
            let caller = [self.cancel_at, self.client.poll_timeout()];
            let next = caller
                .into_iter()
                .filter(|_| interruptible)
                .chain([self.server.poll_timeout()])
                .flatten()
                .min()
                .expect("a pending Receive has its OperationTimeout");
            self.now = self.now.max(next);
            if interruptible && self.cancel_at.is_some_and(|at| at <= self.now) {
                self.cancel_at = None;
                self.client.cancel();
                self.server.cancel(id);
                return None;
            }
            if interruptible && self.client.poll_timeout().is_some_and(|at| at <= self.now) {
                self.client.handle_timeout(self.now);
                self.server.cancel(id);
                return None;
            }
            self.server.handle_timeout(self.now);
            self.server.want_output(id);
            self.run_host();
        }
    }

    fn run_host(&mut self) {
        while let Some(event) = self.server.poll_event() {
            self.host.on_event(&mut self.server, event);
        }
    }

    fn note(&mut self, header: &Header, request: &Request) {
        let action = request.action().rsplit('/').next().unwrap_or_default();
        self.seen.push(Seen {
            action: action.to_owned(),
            header: header.clone(),
        });
        let command = match request {
            Request::Send { streams } => {
                for s in streams {
                    self.sent.push((s.name.clone(), s.command_id));
                }
                streams.iter().find_map(|s| s.command_id)
            }
            Request::Receive { command_id, .. } | Request::Signal { command_id, .. } => *command_id,
            _ => None,
        };
        if !matches!(request, Request::Create { .. }) {
            self.named.push((header.shell_id().ok().flatten(), command));
        }
    }

    fn note_assigned(&mut self, answer: &Answer) {
        match Response::parse(&answer.body).map(|(_, r)| r) {
            Ok(Response::Created(created)) => {
                let id = created.shell_id().expect("a ShellId").expect("assigned");
                self.assigned.push(id);
            }
            Ok(Response::Command { command_id }) => self.assigned.push(command_id),
            _ => {}
        }
    }
}

/// `request` without the ShellId or CommandId the client proposed.
fn without_proposed_ids(mut request: Request) -> Request {
    match &mut request {
        Request::Create { shell_id, .. } => *shell_id = None,
        Request::Command { command_id, .. } => *command_id = None,
        _ => {}
    }
    request
}
