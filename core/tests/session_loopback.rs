//! `exchange::Session` end to end against a small WinRM server on loopback, built from the
//! crate's own server pieces (wsman `Request::parse` / `Response::to_xml`, psrp
//! `ServerRunspacePool`) behind plain hyper, with Basic over HTTP and unencrypted bodies.
//!
//! The server knows a handful of commands, enough to exercise every path of the session:
//! output, non-terminating and terminating errors, SecureString parameters, host calls,
//! every record stream, long outputs spread over many Receives, and a command that only ends
//! when stopped.

use std::collections::{HashMap, HashSet, VecDeque};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use monosync_exchange::clixml::hashtable;
use monosync_exchange::clixml::{Property, PsObject, PsValue};
use monosync_exchange::exchange::Session;
use monosync_exchange::exchange::{Command, Endpoint, SessionError, SessionOptions, StreamItem};
use monosync_exchange::psrp::messages::{
    CategoryInfo, ErrorRecord, InformationalRecord, RemoteHostMethodId,
};
use monosync_exchange::psrp::{
    PSInvocationState, PowerShellSpec, RunspacePoolState, ServerEvent, ServerOptions,
    ServerRunspacePool,
};
use monosync_exchange::transport::{AuthMethod, Credentials, TransportOptions};
use monosync_exchange::wsman::namespaces::signal;
use monosync_exchange::wsman::response::CreateResponse;
use monosync_exchange::wsman::{
    CommandState, CommandStateKind, Header, ReceiveResponse, Request, Response, ResponseHeader,
    Selector, StreamData, WsManFault, max_stream_payload,
};
use tokio::net::TcpListener;
use tokio::sync::Notify;
use uuid::Uuid;

const MACHINE: &str = "ex01.corp.example";
/// How long the server holds a Receive with no output before the timed-out fault.
const HOLD: Duration = Duration::from_millis(300);

struct Shell {
    pool: ServerRunspacePool,
    /// Receive payloads by target (`None` for the shell).
    out: HashMap<Option<Uuid>, VecDeque<Vec<u8>>>,
    /// Commands whose end the next Receive reports (CommandState Done).
    finished: HashSet<Uuid>,
    /// Live WS-Management commands (created, not yet terminated).
    commands: HashSet<Uuid>,
    max_payload: usize,
}

#[derive(Default)]
struct Sim {
    shells: HashMap<Uuid, Shell>,
    /// Actions of every request, in order (`Create`, `Receive`, ...).
    log: Vec<String>,
    /// The header of every request, in the same order.
    headers: Vec<Header>,
    mailboxes: Vec<String>,
    /// Passwords New-Mailbox received, decrypted.
    passwords: Vec<String>,
    generated: usize,
    /// What the server's SESSION_CAPABILITY says.
    server: ServerOptions,
    /// `(stream name, command id)` of every Send stream.
    sent: Vec<(String, Option<Uuid>)>,
    /// Assign ShellIds and CommandIds rather than take the client's proposals, as
    /// PowerShell 2.0 servers do ([MS-WSMV] 3.1.4.5, 3.1.4.11); a request naming an id the
    /// server did not assign then gets the InvalidSelectors fault.
    assign_ids: bool,
    /// The ids the server assigned, in order.
    assigned: Vec<Uuid>,
    /// The `(shell, command)` ids every request named.
    named: Vec<(Option<Uuid>, Option<Uuid>)>,
}

type Shared = Arc<(Mutex<Sim>, Notify)>;

fn lock(shared: &Shared) -> std::sync::MutexGuard<'_, Sim> {
    shared.0.lock().unwrap_or_else(|e| e.into_inner())
}

fn mailbox(name: &str) -> PsValue {
    PsValue::object(PsObject {
        type_names: Some(Arc::from(vec![
            "Microsoft.Exchange.Data.Directory.Management.Mailbox".to_owned(),
            "System.Object".to_owned(),
        ])),
        to_string: Some(name.to_owned()),
        adapted: vec![
            Property::new("Name", name),
            Property::new("Alias", name.to_lowercase()),
            Property::new(
                "PrimarySmtpAddress",
                format!("{}@corp.example", name.to_lowercase()),
            ),
            Property::new("RecipientTypeDetails", "UserMailbox"),
        ],
        ..PsObject::default()
    })
}

fn not_found(identity: &str) -> ErrorRecord {
    ErrorRecord::new(
        &[
            "Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException",
            "System.Exception",
        ],
        &format!(
            "The operation couldn't be performed because object '{identity}' couldn't be found on 'DC01.corp.example'."
        ),
        "[Server=EX01,RequestId=1,TimeStamp=1/1/2026] [FailureCategory=Cmdlet-ManagementObjectNotFoundException] 8288830C,Microsoft.Exchange.Management.RecipientTasks.GetMailbox",
        CategoryInfo {
            category: 13,
            activity: Some("Get-Mailbox".into()),
            reason: Some("ManagementObjectNotFoundException".into()),
            target_name: Some(identity.into()),
            target_type: None,
            message: None,
        },
        None,
    )
}

fn command_not_found(name: &str) -> ErrorRecord {
    ErrorRecord::new(
        &["System.Management.Automation.CommandNotFoundException"],
        &format!("The term '{name}' is not recognized as the name of a cmdlet."),
        "CommandNotFoundException",
        CategoryInfo {
            category: 13,
            activity: None,
            reason: Some("CommandNotFoundException".into()),
            target_name: Some(name.into()),
            target_type: None,
            message: None,
        },
        None,
    )
}

fn text(v: Option<&PsValue>) -> Option<String> {
    v.and_then(PsValue::as_str).map(str::to_owned)
}

fn run(sim: &mut Sim, pool: &mut ServerRunspacePool, id: Uuid, spec: &PowerShellSpec) {
    let Some(cmd) = spec.statements.first().and_then(|s| s.first()) else {
        return;
    };
    let done = match cmd.name.as_str() {
        "Get-Mailbox" => {
            if let Some(identity) = text(cmd.parameter("Identity")) {
                if sim
                    .mailboxes
                    .iter()
                    .any(|m| m.eq_ignore_ascii_case(&identity))
                {
                    pool.write_output(id, mailbox(&identity)).ok();
                } else {
                    pool.write_error(id, not_found(&identity)).ok();
                }
            } else {
                let unlimited = text(cmd.parameter("ResultSize")).as_deref() == Some("Unlimited");
                let limit = if unlimited { usize::MAX } else { 1000 };
                for i in 0..sim.generated.min(limit) {
                    pool.write_output(id, mailbox(&format!("User{i:05}"))).ok();
                }
                if !unlimited && sim.generated > 1000 {
                    pool.write_warning(
                        id,
                        InformationalRecord::new(
                            "Warning",
                            "By default, only the first 1000 items are returned.",
                        ),
                    )
                    .ok();
                }
            }
            Some((PSInvocationState::Completed, None))
        }
        "New-Mailbox" => match (text(cmd.parameter("Name")), cmd.parameter("Password")) {
            (Some(name), Some(PsValue::SecureString(ss))) => match pool.decrypt_secure_string(ss) {
                Ok(pw) => {
                    sim.passwords.push(pw.to_string());
                    sim.mailboxes.push(name.clone());
                    pool.write_output(id, mailbox(&name)).ok();
                    Some((PSInvocationState::Completed, None))
                }
                Err(_) => Some((PSInvocationState::Failed, Some(command_not_found("key")))),
            },
            _ => Some((
                PSInvocationState::Failed,
                Some(command_not_found("New-Mailbox without a SecureString")),
            )),
        },
        "Write-Streams" => {
            pool.write_warning(id, InformationalRecord::new("Warning", "w1"))
                .ok();
            pool.write_verbose(id, InformationalRecord::new("Verbose", "v1"))
                .ok();
            pool.write_debug(id, InformationalRecord::new("Debug", "d1"))
                .ok();
            pool.write_output(id, PsValue::I32(42)).ok();
            Some((PSInvocationState::Completed, None))
        }
        "Read-Host" => {
            pool.host_call(Some(id), RemoteHostMethodId::ReadLine, Vec::new())
                .ok();
            None
        }
        "Wait-Forever" => None,
        other => Some((PSInvocationState::Failed, Some(command_not_found(other)))),
    };
    if let Some((state, error)) = done {
        pool.set_pipeline_state(id, state, error).ok();
    }
}

/// Answers the pool's events and moves its payloads into the per-target buffers.
fn pump(sim: &mut Sim, shell: &mut Shell) {
    while let Some(event) = shell.pool.poll_event() {
        match event {
            ServerEvent::SessionCapability { .. } => {
                shell.pool.send_session_capability().ok();
            }
            ServerEvent::InitRunspacePool { .. } => {
                shell
                    .pool
                    .send_application_private_data(hashtable(Vec::<(PsValue, PsValue)>::new()))
                    .ok();
                shell.pool.set_state(RunspacePoolState::Opened, None).ok();
            }
            ServerEvent::PublicKey => {
                shell.pool.send_session_key().ok();
            }
            ServerEvent::CreatePipeline { pipeline_id, spec } => {
                run(sim, &mut shell.pool, pipeline_id, &spec);
            }
            ServerEvent::HostResponse {
                pipeline_id: Some(p),
                response,
            } => {
                let answer = response
                    .error
                    .as_ref()
                    .and_then(|e| e.fully_qualified_error_id().map(str::to_owned))
                    .unwrap_or_else(|| "no error".into());
                shell.pool.write_output(p, PsValue::String(answer)).ok();
                shell
                    .pool
                    .set_pipeline_state(p, PSInvocationState::Completed, None)
                    .ok();
            }
            _ => {}
        }
    }
    while let Some(t) = shell.pool.poll_transmit(shell.max_payload) {
        if let Some(p) = t.pipeline_id {
            let running = shell.pool.pipeline_state(p).is_ok_and(|s| {
                matches!(s, PSInvocationState::Running | PSInvocationState::Stopping)
            });
            if !running {
                shell.finished.insert(p);
            }
        }
        shell
            .out
            .entry(t.pipeline_id)
            .or_default()
            .push_back(t.data);
    }
}

enum Reply {
    Ok(Response),
    Fault(WsManFault),
    /// A Receive with nothing to say yet: wait and look again.
    Wait,
}

fn handle(sim: &mut Sim, header: &Header, request: &Request) -> Reply {
    let envelope = header.max_envelope_size.unwrap_or(153_600) as usize;
    let shell_id = header.shell_id().ok().flatten();
    if let Request::Create {
        shell_id: Some(id),
        creation_xml: Some(xml),
        ..
    } = request
    {
        let id = if sim.assign_ids {
            let assigned = Uuid::new_v4();
            sim.assigned.push(assigned);
            assigned
        } else {
            *id
        };
        let mut shell = Shell {
            pool: ServerRunspacePool::new(sim.server.clone()),
            out: HashMap::new(),
            finished: HashSet::new(),
            commands: HashSet::new(),
            max_payload: max_stream_payload(envelope),
        };
        if shell.pool.receive(None, xml).is_err() {
            return Reply::Fault(WsManFault::access_denied(MACHINE));
        }
        pump(sim, &mut shell);
        sim.shells.insert(id, shell);
        return Reply::Ok(Response::Created(CreateResponse {
            address: header.to.clone(),
            resource_uri: header.resource_uri.clone(),
            selectors: vec![Selector {
                name: "ShellId".into(),
                value: id.to_string().to_uppercase(),
            }],
            shell: None,
        }));
    }
    let Some(id) = shell_id else {
        return Reply::Fault(WsManFault::unknown_shell("", MACHINE));
    };
    let Some(mut shell) = sim.shells.remove(&id) else {
        return Reply::Fault(WsManFault::unknown_shell(&id.to_string(), MACHINE));
    };
    shell.max_payload = max_stream_payload(envelope);
    let known = |cid: &Option<Uuid>| cid.is_none_or(|c| shell.commands.contains(&c));
    let named = match request {
        Request::Send { streams } => streams.iter().find_map(|s| s.command_id),
        Request::Receive { command_id, .. } | Request::Signal { command_id, .. } => *command_id,
        _ => None,
    };
    sim.named.push((Some(id), named));
    if !known(&named) {
        sim.shells.insert(id, shell);
        return Reply::Fault(WsManFault::unknown_command(MACHINE));
    }
    let reply = match request {
        Request::Command {
            command_id: Some(cid),
            arguments: Some(args),
            ..
        } => {
            let assigned = if sim.assign_ids {
                let assigned = Uuid::new_v4();
                sim.assigned.push(assigned);
                assigned
            } else {
                *cid
            };
            let cid = &assigned;
            shell.commands.insert(*cid);
            shell.pool.receive(Some(*cid), args).ok();
            pump(sim, &mut shell);
            Reply::Ok(Response::Command { command_id: *cid })
        }
        Request::Send { streams } => {
            for s in streams {
                sim.sent.push((s.name.clone(), s.command_id));
                shell.pool.receive(s.command_id, &s.data).ok();
            }
            pump(sim, &mut shell);
            Reply::Ok(Response::Send)
        }
        Request::Receive { command_id, .. } => {
            let queue = shell.out.entry(*command_id).or_default();
            let mut streams = Vec::new();
            // One payload per response, as a busy server would send them.
            if let Some(data) = queue.pop_front() {
                streams.push(StreamData::new("stdout", *command_id, data));
            }
            let drained = queue.is_empty();
            let command_state = match command_id {
                Some(c) if drained && shell.finished.remove(c) => Some(CommandState {
                    command_id: Some(*c),
                    state: CommandStateKind::Done,
                    exit_code: Some(0),
                }),
                _ => None,
            };
            if streams.is_empty() && command_state.is_none() {
                Reply::Wait
            } else {
                Reply::Ok(Response::Receive(ReceiveResponse {
                    streams,
                    command_state,
                }))
            }
        }
        Request::Signal {
            command_id: Some(cid),
            code,
        } => {
            if code == signal::TERMINATE {
                if shell.pool.pipeline_state(*cid).is_ok_and(|s| {
                    matches!(s, PSInvocationState::Running | PSInvocationState::Stopping)
                }) {
                    shell
                        .pool
                        .set_pipeline_state(*cid, PSInvocationState::Stopped, None)
                        .ok();
                }
                shell.pool.end_pipeline(*cid).ok();
                shell.commands.remove(cid);
                shell.out.remove(&Some(*cid));
                shell.finished.remove(cid);
            } else if code == signal::PS_CRTL_C || code == signal::PS_CTRL_C {
                shell
                    .pool
                    .set_pipeline_state(*cid, PSInvocationState::Stopped, None)
                    .ok();
                pump(sim, &mut shell);
            }
            Reply::Ok(Response::Signal)
        }
        Request::Delete => {
            shell.pool.close();
            return Reply::Ok(Response::Delete);
        }
        _ => Reply::Fault(WsManFault::access_denied(MACHINE)),
    };
    sim.shells.insert(id, shell);
    reply
}

async fn answer(shared: &Shared, body: &[u8]) -> Vec<u8> {
    let Ok((header, request)) = Request::parse(body) else {
        return b"not a request".to_vec();
    };
    let response_header = ResponseHeader {
        message_id: Uuid::new_v4(),
        relates_to: Some(header.message_id),
        activity_id: None,
    };
    {
        let mut sim = lock(shared);
        sim.log.push(
            request
                .action()
                .rsplit('/')
                .next()
                .unwrap_or_default()
                .to_owned(),
        );
        sim.headers.push(header.clone());
    }
    let deadline = tokio::time::Instant::now() + HOLD;
    loop {
        let notified = shared.1.notified();
        let reply = handle(&mut lock(shared), &header, &request);
        match reply {
            Reply::Ok(r) => {
                shared.1.notify_waiters();
                return r.to_xml(&response_header);
            }
            Reply::Fault(f) => return f.to_xml(&response_header),
            Reply::Wait => {
                if tokio::time::timeout_at(deadline, notified).await.is_err() {
                    return WsManFault::timed_out(MACHINE).to_xml(&response_header);
                }
            }
        }
    }
}

struct Server {
    addr: SocketAddr,
    shared: Shared,
}

impl Server {
    async fn start(mailboxes: &[&str], generated: usize) -> Server {
        let shared: Shared = Arc::new((
            Mutex::new(Sim {
                mailboxes: mailboxes.iter().map(|m| (*m).to_owned()).collect(),
                generated,
                ..Sim::default()
            }),
            Notify::new(),
        ));
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let state = shared.clone();
        tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let state = state.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |req: hyper::Request<Incoming>| {
                        let state = state.clone();
                        async move {
                            let body = req
                                .into_body()
                                .collect()
                                .await
                                .map(|b| b.to_bytes())
                                .unwrap_or_default();
                            let reply = answer(&state, &body).await;
                            let status = if reply.windows(7).any(|w| w == b":Fault>") {
                                500
                            } else {
                                200
                            };
                            Ok::<_, Infallible>(
                                hyper::Response::builder()
                                    .status(status)
                                    .header("content-type", "application/soap+xml;charset=UTF-8")
                                    .body(Full::new(Bytes::from(reply)))
                                    .unwrap_or_default(),
                            )
                        }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(tcp), service)
                        .await;
                });
            }
        });
        Server { addr, shared }
    }

    fn options(&self) -> SessionOptions {
        let mut transport = TransportOptions::new(
            format!("http://{}/PowerShell/", self.addr),
            AuthMethod::Basic,
            Credentials::new("CORP\\admin", "Passw0rd!"),
        );
        transport.allow_basic_over_http = true;
        let mut options = SessionOptions::new(transport, Endpoint::Exchange);
        options.operation_timeout = Duration::from_secs(1);
        options
    }

    fn log(&self) -> Vec<String> {
        lock(&self.shared).log.clone()
    }

    fn log_len(&self) -> usize {
        lock(&self.shared).log.len()
    }

    fn shells(&self) -> usize {
        lock(&self.shared).shells.len()
    }

    fn live_commands(&self) -> usize {
        lock(&self.shared)
            .shells
            .values()
            .map(|s| s.commands.len())
            .sum()
    }
}

fn prop<'a>(v: &'a PsValue, name: &str) -> Option<&'a str> {
    v.property(name).and_then(PsValue::as_str)
}

#[tokio::test]
async fn connect_opens_with_create_and_one_receive() {
    let server = Server::start(&["Ann"], 0).await;
    let session = Session::connect(server.options()).await.expect("connect");
    assert_eq!(server.log(), vec!["Create", "Receive"]);
    assert_eq!(session.round_trips().wsman, 2);
    // The server speaks protocol 2.3, so the envelope grows to 512000 bytes.
    assert_eq!(session.max_envelope_size(), 512_000);
    assert_eq!(session.pool().state(), RunspacePoolState::Opened);
    println!("connect: {:?}", session.round_trips());
    session.close().await.expect("close");
    assert_eq!(server.shells(), 0);
    assert_eq!(server.log().last().map(String::as_str), Some("Delete"));
}

#[tokio::test]
async fn get_mailbox_returns_properties_and_ends_the_command() {
    let server = Server::start(&["Ann"], 0).await;
    let mut session = Session::connect(server.options()).await.expect("connect");
    let before = server.log_len();
    let result = session
        .invoke(Command::new("Get-Mailbox").param("Identity", "Ann"))
        .await
        .expect("invoke");
    assert_eq!(result.output.len(), 1);
    assert_eq!(prop(&result.output[0], "Name"), Some("Ann"));
    assert_eq!(
        prop(&result.output[0], "PrimarySmtpAddress"),
        Some("ann@corp.example")
    );
    assert_eq!(result.state, Some(PSInvocationState::Completed));
    assert!(result.errors.is_empty());
    let ops = &server.log()[before..];
    assert_eq!(ops, ["Command", "Receive", "Signal"]);
    println!("Get-Mailbox -Identity: {} round trips", ops.len());
    assert_eq!(server.live_commands(), 0, "the terminate signal ended it");
    session.close().await.expect("close");
}

#[tokio::test]
async fn not_found_surfaces_as_an_error_record() {
    let server = Server::start(&["Ann"], 0).await;
    let mut session = Session::connect(server.options()).await.expect("connect");
    let result = session
        .invoke(Command::new("Get-Mailbox").param("Identity", "nobody"))
        .await
        .expect("a non-terminating error still completes");
    assert!(result.output.is_empty());
    assert_eq!(result.errors.len(), 1);
    let record = &result.errors[0];
    assert!(
        record
            .fully_qualified_error_id()
            .is_some_and(|id| id.contains("ManagementObjectNotFoundException")
                && id.ends_with("Microsoft.Exchange.Management.RecipientTasks.GetMailbox"))
    );
    assert_eq!(
        record.exception_type(),
        Some("Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException")
    );
    session.close().await.expect("close");
}

#[tokio::test]
async fn a_terminating_error_is_a_pipeline_failure() {
    let server = Server::start(&[], 0).await;
    let mut session = Session::connect(server.options()).await.expect("connect");
    let err = session
        .invoke(Command::new("Remove-Everything"))
        .await
        .expect_err("unknown command");
    match &err {
        SessionError::Pipeline(f) => {
            assert_eq!(f.state, PSInvocationState::Failed);
            assert_eq!(
                f.record.as_ref().and_then(|r| r.fully_qualified_error_id()),
                Some("CommandNotFoundException")
            );
        }
        other => panic!("expected a pipeline failure, got {other:?}"),
    }
    assert_eq!(server.live_commands(), 0);
    // The session is still usable.
    let r = session
        .invoke(Command::new("Write-Streams"))
        .await
        .expect("next command");
    assert_eq!(r.output, vec![PsValue::I32(42)]);
    session.close().await.expect("close");
}

#[tokio::test]
async fn every_stream_is_collected() {
    let server = Server::start(&[], 0).await;
    let mut session = Session::connect(server.options()).await.expect("connect");
    // Commands run from a spawned task too: the futures are Send.
    let (r, session) = tokio::spawn(async move {
        let r = session.invoke(Command::new("Write-Streams")).await;
        (r, session)
    })
    .await
    .expect("task");
    let r = r.expect("invoke");
    assert_eq!(
        r.warnings
            .iter()
            .map(|w| w.message.as_str())
            .collect::<Vec<_>>(),
        ["w1"]
    );
    assert_eq!(
        r.verbose
            .iter()
            .map(|w| w.message.as_str())
            .collect::<Vec<_>>(),
        ["v1"]
    );
    assert_eq!(
        r.debug
            .iter()
            .map(|w| w.message.as_str())
            .collect::<Vec<_>>(),
        ["d1"]
    );
    assert_eq!(r.output, vec![PsValue::I32(42)]);
    session.close().await.expect("close");
}

#[tokio::test]
async fn secure_string_parameters_run_the_key_exchange_once() {
    let server = Server::start(&[], 0).await;
    let mut session = Session::connect(server.options()).await.expect("connect");
    let before = server.log_len();
    let r = session
        .invoke(
            Command::new("New-Mailbox")
                .param("Name", "Bob")
                .secure("Password", "S3cret!pw"),
        )
        .await
        .expect("new mailbox");
    assert_eq!(prop(&r.output[0], "Name"), Some("Bob"));
    let ops = server.log()[before..].to_vec();
    assert_eq!(ops, ["Send", "Receive", "Command", "Receive", "Signal"]);
    println!("New-Mailbox with key exchange: {} round trips", ops.len());
    let before = server.log_len();
    session
        .invoke(
            Command::new("New-Mailbox")
                .param("Name", "Cy")
                .secure("Password", "other"),
        )
        .await
        .expect("second");
    assert_eq!(server.log()[before..], ["Command", "Receive", "Signal"]);
    assert_eq!(lock(&server.shared).passwords, ["S3cret!pw", "other"]);
    let r = session
        .invoke(Command::new("Get-Mailbox").param("Identity", "Bob"))
        .await
        .expect("get");
    assert_eq!(prop(&r.output[0], "Alias"), Some("bob"));
    session.close().await.expect("close");
}

#[tokio::test]
async fn host_calls_are_answered_and_surfaced() {
    let server = Server::start(&[], 0).await;
    let mut session = Session::connect(server.options()).await.expect("connect");
    let r = tokio::time::timeout(
        Duration::from_secs(20),
        session.invoke(Command::new("Read-Host")),
    )
    .await
    .expect("no hang")
    .expect("invoke");
    assert_eq!(r.host_calls.len(), 1);
    assert_eq!(r.host_calls[0].0.method, RemoteHostMethodId::ReadLine);
    // The server saw the error answer, sent on the pr stream of the command.
    assert_eq!(r.output, vec![PsValue::String("HostNotInteractive".into())]);
    let sent = lock(&server.shared).sent.clone();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0].0, "pr");
    assert!(sent[0].1.is_some(), "addressed to the command");
    session.close().await.expect("close");
}

#[tokio::test]
async fn streaming_counts_many_objects_over_many_receives() {
    let server = Server::start(&[], 3000).await;
    let mut session = Session::connect(server.options()).await.expect("connect");
    let before = server.log_len();
    let mut stream = session
        .invoke_stream(Command::new("Get-Mailbox").param("ResultSize", "Unlimited"))
        .await
        .expect("start");
    let mut count = 0usize;
    let mut last = String::new();
    while let Some(item) = stream.next().await {
        match item.expect("item") {
            StreamItem::Output(v) => {
                count += 1;
                last = prop(&v, "Name").unwrap_or_default().to_owned();
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(stream.state(), Some(PSInvocationState::Completed));
    drop(stream);
    assert_eq!(count, 3000);
    assert_eq!(last, "User02999");
    let receives = server.log()[before..]
        .iter()
        .filter(|a| *a == "Receive")
        .count();
    assert!(
        receives > 1,
        "the output spans several Receives: {receives}"
    );
    println!(
        "Get-Mailbox -ResultSize Unlimited, 3000 objects: {} round trips ({receives} Receives)",
        server.log_len() - before
    );
    assert_eq!(server.live_commands(), 0);
    session.close().await.expect("close");
}

#[tokio::test]
async fn a_dropped_stream_is_stopped_before_the_next_command() {
    let server = Server::start(&[], 3000).await;
    let mut session = Session::connect(server.options()).await.expect("connect");
    {
        let mut stream = session
            .invoke_stream(Command::new("Get-Mailbox").param("ResultSize", "Unlimited"))
            .await
            .expect("start");
        assert!(matches!(
            stream.next().await,
            Some(Ok(StreamItem::Output(_)))
        ));
    }
    let r = session
        .invoke(Command::new("Write-Streams"))
        .await
        .expect("next");
    assert_eq!(r.output, vec![PsValue::I32(42)]);
    assert_eq!(server.live_commands(), 0);
    session.close().await.expect("close");
}

#[tokio::test]
async fn cancel_from_another_task_stops_the_command() {
    let server = Server::start(&[], 0).await;
    let mut session = Session::connect(server.options()).await.expect("connect");
    let handle = session.cancel_handle();
    let canceller = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(500)).await;
        handle.cancel();
    });
    let err = tokio::time::timeout(
        Duration::from_secs(20),
        session.invoke(Command::new("Wait-Forever")),
    )
    .await
    .expect("cancel ends it")
    .expect_err("cancelled");
    assert!(matches!(err, SessionError::Cancelled), "{err:?}");
    canceller.await.expect("task");
    let log = server.log();
    let signals = log.iter().filter(|a| *a == "Signal").count();
    assert_eq!(signals, 2, "stop, then terminate: {log:?}");
    assert_eq!(server.live_commands(), 0);
    let r = session
        .invoke(Command::new("Write-Streams"))
        .await
        .expect("usable");
    assert_eq!(r.output, vec![PsValue::I32(42)]);
    session.close().await.expect("close");
}

#[tokio::test]
async fn invoke_timeout_stops_the_command() {
    let server = Server::start(&[], 0).await;
    let mut options = server.options();
    options.invoke_timeout = Some(Duration::from_millis(400));
    let mut session = Session::connect(options).await.expect("connect");
    let err = session
        .invoke(Command::new("Wait-Forever"))
        .await
        .expect_err("times out");
    assert!(matches!(err, SessionError::Timeout(d) if d == Duration::from_millis(400)));
    assert_eq!(server.live_commands(), 0);
    session.close().await.expect("close");
}

#[tokio::test]
async fn dropping_a_session_deletes_its_shell() {
    let server = Server::start(&[], 0).await;
    let session = Session::connect(server.options()).await.expect("connect");
    assert_eq!(server.shells(), 1);
    drop(session);
    for _ in 0..50 {
        if server.shells() == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(server.shells(), 0);
    assert_eq!(server.log().last().map(String::as_str), Some("Delete"));
}

#[tokio::test]
async fn a_vanished_shell_is_a_fault_with_its_code() {
    let server = Server::start(&[], 0).await;
    let mut session = Session::connect(server.options()).await.expect("connect");
    lock(&server.shared).shells.clear();
    let err = session
        .invoke(Command::new("Write-Streams"))
        .await
        .expect_err("shell gone");
    let fault = err.fault().expect("a fault");
    assert_eq!(fault.wsman_code, Some(2_150_858_843));
    assert_eq!(fault.machine.as_deref(), Some(MACHINE));
}

#[tokio::test]
async fn requests_carry_what_windows_clients_send() {
    let server = Server::start(&["Ann"], 0).await;
    let mut session = Session::connect(server.options()).await.expect("connect");
    session
        .invoke(Command::new("Get-Mailbox").param("Identity", "Ann"))
        .await
        .expect("invoke");
    let shell = session.shell_id().expect("shell id");
    session.close().await.expect("close");
    let sim = lock(&server.shared);
    let by_action = |action: &str| -> Vec<&Header> {
        sim.log
            .iter()
            .zip(&sim.headers)
            .filter(|(a, _)| *a == action)
            .map(|(_, h)| h)
            .collect()
    };
    let create = by_action("Create");
    assert_eq!(create.len(), 1);
    assert_eq!(
        create[0].resource_uri,
        "http://schemas.microsoft.com/powershell/Microsoft.Exchange"
    );
    assert_eq!(create[0].option("protocolversion"), Some("2.3"));
    assert_eq!(
        create[0].options[0].must_comply,
        Some(true),
        "the server must honour the protocol version"
    );
    assert_eq!(create[0].max_envelope_size, Some(153_600));
    assert_eq!(create[0].shell_id().ok().flatten(), None);
    for h in by_action("Receive") {
        assert_eq!(h.option("WSMAN_CMDSHELL_OPTION_KEEPALIVE"), Some("True"));
        assert_eq!(h.operation_timeout, Some(Duration::from_secs(1)));
        assert_eq!(h.shell_id().ok().flatten(), Some(shell));
    }
    let command = by_action("Command");
    assert_eq!(command[0].option("WINRS_SKIP_CMD_SHELL"), Some("False"));
    // After the server's SESSION_CAPABILITY (protocol 2.3) every request may be 512000 bytes.
    assert_eq!(command[0].max_envelope_size, Some(512_000));
    assert_eq!(command[0].locale.as_deref(), Some("en-US"));
    assert_eq!(by_action("Delete").len(), 1);
}

#[tokio::test]
async fn an_old_server_keeps_the_small_envelope() {
    let server = Server::start(&["Ann"], 0).await;
    lock(&server.shared).server.protocol_version = monosync_exchange::clixml::PsVersion {
        major: 2,
        minor: 1,
        build: None,
        revision: None,
    };
    let mut session = Session::connect(server.options()).await.expect("connect");
    assert_eq!(session.max_envelope_size(), 153_600);
    session
        .invoke(Command::new("Get-Mailbox").param("Identity", "Ann"))
        .await
        .expect("invoke");
    let sim_headers: Vec<Option<u32>> = lock(&server.shared)
        .headers
        .iter()
        .map(|h| h.max_envelope_size)
        .collect();
    assert!(
        sim_headers.iter().all(|m| *m == Some(153_600)),
        "{sim_headers:?}"
    );
    session.close().await.expect("close");
}

#[tokio::test]
async fn close_after_a_dropped_stream_is_one_delete() {
    let server = Server::start(&[], 3000).await;
    let mut session = Session::connect(server.options()).await.expect("connect");
    {
        let mut stream = session
            .invoke_stream(Command::new("Get-Mailbox").param("ResultSize", "Unlimited"))
            .await
            .expect("start");
        assert!(matches!(
            stream.next().await,
            Some(Ok(StreamItem::Output(_)))
        ));
    }
    let before = server.log_len();
    session.close().await.expect("close");
    assert_eq!(server.log()[before..], ["Delete"]);
    assert_eq!(server.shells(), 0);
}

#[tokio::test]
async fn a_large_create_pipeline_continues_in_sends() {
    let server = Server::start(&[], 0).await;
    let mut session = Session::connect(server.options()).await.expect("connect");
    // Far beyond one 512000-byte envelope: the rest of CREATE_PIPELINE follows the Command
    // in Sends on the command's stdin.
    let identity = "x".repeat(900_000);
    let before = server.log_len();
    let r = session
        .invoke(Command::new("Get-Mailbox").param("Identity", identity.as_str()))
        .await
        .expect("invoke");
    assert_eq!(r.errors.len(), 1);
    assert_eq!(
        r.errors[0]
            .category_info()
            .and_then(|c| c.target_name)
            .map(|t| t.len()),
        Some(900_000)
    );
    let ops = server.log()[before..].to_vec();
    assert_eq!(ops[0], "Command");
    assert!(
        ops[1..].iter().take_while(|o| *o == "Send").count() >= 2,
        "{ops:?}"
    );
    let sent = lock(&server.shared).sent.clone();
    assert!(
        sent.iter()
            .all(|(name, id)| name == "stdin" && id.is_some())
    );
    println!("900 kB parameter: {} round trips {ops:?}", ops.len());
    session.close().await.expect("close");
}

#[tokio::test]
async fn the_servers_shell_and_command_ids_are_used_whatever_the_client_proposed() {
    let server = Server::start(&["Ann"], 3000).await;
    lock(&server.shared).assign_ids = true;
    let mut session = Session::connect(server.options()).await.expect("connect");
    let shell = lock(&server.shared).assigned[0];
    assert_eq!(session.shell_id(), Some(shell));
    assert_ne!(
        shell,
        session.pool().id(),
        "the server chose its own ShellId"
    );
    // A command that completes, then the key exchange and a SecureString command, then a
    // stopped stream and a cancelled command: every path that names the command.
    let r = session
        .invoke(Command::new("Get-Mailbox").param("Identity", "Ann"))
        .await
        .expect("get-mailbox");
    assert_eq!(prop(&r.output[0], "Name"), Some("Ann"));
    session
        .invoke(
            Command::new("New-Mailbox")
                .param("Name", "Bob")
                .secure("Password", "S3cret!pw"),
        )
        .await
        .expect("new-mailbox");
    {
        let mut stream = session
            .invoke_stream(Command::new("Get-Mailbox").param("ResultSize", "Unlimited"))
            .await
            .expect("start");
        assert_ne!(
            lock(&server.shared).assigned.last(),
            Some(&stream.pipeline_id()),
            "the server chose its own CommandId"
        );
        assert!(matches!(
            stream.next().await,
            Some(Ok(StreamItem::Output(_)))
        ));
    }
    let handle = session.cancel_handle();
    let canceller = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        handle.cancel();
    });
    let err = tokio::time::timeout(
        Duration::from_secs(20),
        session.invoke(Command::new("Wait-Forever")),
    )
    .await
    .expect("the cancel ends it")
    .expect_err("cancelled");
    assert!(matches!(err, SessionError::Cancelled), "{err:?}");
    canceller.await.expect("task");
    assert_eq!(server.live_commands(), 0, "every command was terminated");
    session.close().await.expect("close");
    let sim = lock(&server.shared);
    assert_eq!(sim.assigned.len(), 5, "one shell and four commands");
    for (shell_named, command_named) in &sim.named {
        assert_eq!(*shell_named, Some(shell));
        if let Some(c) = command_named {
            assert!(sim.assigned.contains(c), "{c} is not a server id");
        }
    }
    let commands_named = sim.named.iter().filter(|(_, c)| c.is_some()).count();
    assert!(
        commands_named >= 10,
        "{commands_named} requests named a command"
    );
    let log = sim.log.join(" ");
    assert!(log.contains("Signal"), "{log}");
}
