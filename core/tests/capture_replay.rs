//! The crate's `Session` against real Windows conversations: every shared capture whose
//! conversation the session can make is served back to it over a socket by
//! `recording::Replay`, which hands out ShellIds and CommandIds of its own (as a server may;
//! PowerShell 2.0 does for CommandIds) and checks that the session's requests match the
//! recorded ones in order: action, the ids each request names, Signal codes, and the PSRP
//! messages (types, and the commands of CREATE_PIPELINE). Every output, record and final state
//! the session reads must decode and match what the recorded server sent.
//!
//! The commands are the recorded ones: each recorded CREATE_PIPELINE is decoded and run
//! through `Session::invoke`. Where the session legitimately differs from pypsrp (which
//! recorded the captures), the replay allows it: the session ends each finished command with
//! the terminate Signal (pypsrp did not), and writes its own host info, RemoteStreamOptions
//! and INIT_RUNSPACEPOOL settings, which are not compared.

mod common;

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use common::captures::{self, Capture, Sender};
use http_body_util::{BodyExt as _, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use monosync_exchange::exchange::{Endpoint, Session, SessionError, SessionOptions};
use monosync_exchange::psrp::messages::PsrpMessage;
use monosync_exchange::psrp::{
    Defragmenter, MessageType, PSInvocationState, PowerShellSpec, RawMessage,
};
use monosync_exchange::recording::{Exchange, IdPolicy, Replay};
use monosync_exchange::transport::{AuthMethod, Credentials, TransportOptions};
use tokio::net::TcpListener;
use uuid::Uuid;

/// Captures the session cannot make, and why.
const OUT_OF_REACH: &[(&str, &str)] = &[
    (
        "test_psrp_disconnect_runspaces",
        "disconnects and reconnects the pool; Session has no disconnect",
    ),
    (
        "test_psrp_disconnected_commands",
        "disconnects and reconnects the pool; Session has no disconnect",
    ),
    (
        "test_psrp_get_command_metadata",
        "GET_COMMAND_METADATA; Session runs pipelines only",
    ),
    (
        "test_psrp_multiple_commands",
        "two statements with a SecureString the recorded key encrypted; Session encrypts secrets of single-statement pipelines only",
    ),
    (
        "test_psrp_nested_command",
        "two pipelines at once (a nested one); Session runs one command at a time",
    ),
    (
        "test_psrp_pshost_raw_ui_mocked_methods",
        "answers host calls with values an interactive host chose",
    ),
    (
        "test_psrp_pshost_ui_mocked_methods",
        "answers host calls with values an interactive host chose",
    ),
    (
        "test_psrp_receive_failure",
        "receives for a command that was never created",
    ),
    (
        "test_psrp_reset_runspace_state",
        "RESET_RUNSPACE_STATE; Session has no runspace reset",
    ),
    (
        "test_psrp_reset_runspace_state_fail",
        "RESET_RUNSPACE_STATE; Session has no runspace reset",
    ),
    (
        "test_psrp_run_protocol_version_2.1",
        "sends pipeline input; Session has no input API",
    ),
    (
        "test_psrp_run_protocol_version_2.2",
        "sends pipeline input; Session has no input API",
    ),
    (
        "test_psrp_run_protocol_version_2.3",
        "sends pipeline input; Session has no input API",
    ),
    (
        "test_psrp_set_runspaces",
        "SET_MAX/MIN_RUNSPACES and GET_AVAILABLE_RUNSPACES; Session has no pool sizing",
    ),
    (
        "test_psrp_with_input",
        "sends pipeline input; Session has no input API",
    ),
];

/// What a recorded pipeline received, by message type.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct Counts {
    output: usize,
    errors: usize,
    warnings: usize,
    verbose: usize,
    debug: usize,
    information: usize,
    progress: usize,
    host_calls: usize,
    state: Option<PSInvocationState>,
}

/// The recorded pipelines in order: what each ran and what came back.
fn recorded_pipelines(capture: &Capture) -> Vec<(PowerShellSpec, Counts)> {
    let mut client = Defragmenter::new();
    let mut server: HashMap<Option<Uuid>, Defragmenter> = HashMap::new();
    let mut order: Vec<Uuid> = Vec::new();
    let mut specs: HashMap<Uuid, PowerShellSpec> = HashMap::new();
    let mut counts: HashMap<Uuid, Counts> = HashMap::new();
    for exchange in &capture.messages {
        let payloads = exchange.payloads().expect("capture payloads");
        for payload in payloads {
            let blobs = match payload.sender {
                Sender::Client => client.feed(&payload.data),
                Sender::Server => server
                    .entry(payload.command_id)
                    .or_default()
                    .feed(&payload.data),
            }
            .expect("fragments");
            for blob in blobs {
                let raw = RawMessage::decode(&blob).expect("message");
                let message = PsrpMessage::decode(&raw).expect("message body");
                let id = raw.pipeline_id;
                match (payload.sender, message) {
                    (Sender::Client, PsrpMessage::CreatePipeline(c)) => {
                        order.push(id);
                        specs.insert(id, PowerShellSpec::from_create_pipeline(&c));
                    }
                    (Sender::Server, message) => {
                        let c = counts.entry(id).or_default();
                        match raw.message_type {
                            MessageType::PipelineOutput => c.output += 1,
                            MessageType::ErrorRecord => c.errors += 1,
                            MessageType::WarningRecord => c.warnings += 1,
                            MessageType::VerboseRecord => c.verbose += 1,
                            MessageType::DebugRecord => c.debug += 1,
                            MessageType::InformationRecord => c.information += 1,
                            MessageType::ProgressRecord => c.progress += 1,
                            MessageType::PipelineHostCall => c.host_calls += 1,
                            _ => {}
                        }
                        if let PsrpMessage::PipelineState(s) = message {
                            c.state = Some(s.state);
                        }
                    }
                    _ => {}
                }
            }
        }
    }
    order
        .into_iter()
        .map(|id| {
            (
                specs.remove(&id).expect("spec"),
                counts.remove(&id).unwrap_or_default(),
            )
        })
        .collect()
}

/// Serves `replay` over HTTP on loopback.
async fn serve(replay: Arc<Mutex<Replay>>) -> (String, Arc<Mutex<Vec<String>>>) {
    let errors = Arc::new(Mutex::new(Vec::new()));
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let seen = errors.clone();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let replay = replay.clone();
            let errors = seen.clone();
            tokio::spawn(async move {
                let service = service_fn(move |req: hyper::Request<Incoming>| {
                    let replay = replay.clone();
                    let errors = errors.clone();
                    async move {
                        let body = req
                            .into_body()
                            .collect()
                            .await
                            .map(|b| b.to_bytes())
                            .unwrap_or_default();
                        let answer = replay.lock().expect("replay").answer(&body);
                        let (status, body) = match answer {
                            Ok(served) => (served.status, served.body),
                            Err(e) => {
                                errors.lock().expect("errors").push(e.to_string());
                                (400, e.to_string().into_bytes())
                            }
                        };
                        Ok::<_, Infallible>(
                            hyper::Response::builder()
                                .status(status)
                                .header("content-type", "application/soap+xml;charset=UTF-8")
                                .body(Full::new(Bytes::from(body)))
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
    (format!("http://{addr}/wsman"), errors)
}

fn options(url: &str) -> SessionOptions {
    let mut transport = TransportOptions::new(
        url,
        AuthMethod::Basic,
        Credentials::new("vagrant", "vagrant"),
    );
    transport.allow_basic_over_http = true;
    let mut options = SessionOptions::new(
        transport,
        Endpoint::Configuration("Microsoft.PowerShell".into()),
    );
    options.operation_timeout = Duration::from_secs(20);
    options
}

/// Replays one capture to a session; returns a description of every difference.
async fn replay_capture(capture: &Capture) -> Vec<String> {
    let exchanges: Vec<Exchange> = capture
        .messages
        .iter()
        .map(|e| Exchange {
            line: e.line,
            request: e.request.clone(),
            response: e.response.clone(),
            error: e.error.clone(),
        })
        .collect();
    let pipelines = recorded_pipelines(capture);
    let replay = Arc::new(Mutex::new(Replay::new(exchanges, IdPolicy::Fresh)));
    let (url, errors) = serve(replay.clone()).await;
    let mut problems = Vec::new();
    let mut session = match Session::connect(options(&url)).await {
        Ok(s) => s,
        Err(e) => return vec![format!("connect: {e}")],
    };
    if session.shell_id() == Some(session.pool().id()) {
        problems.push("the replay handed out the ShellId the session proposed".into());
    }
    for (n, (spec, expected)) in pipelines.into_iter().enumerate() {
        let result = match session.invoke(spec).await {
            Ok(r) => r,
            // A terminating error: its record came with PIPELINE_STATE; the items before
            // it are in the partial result.
            Err(SessionError::Pipeline(failure)) => failure.partial,
            Err(e) => {
                problems.push(format!("command {n}: {e}"));
                break;
            }
        };
        let got = Counts {
            output: result.output.len(),
            errors: result.errors.len(),
            warnings: result.warnings.len(),
            verbose: result.verbose.len(),
            debug: result.debug.len(),
            information: result.information.len(),
            progress: result.progress.len(),
            host_calls: result.host_calls.len(),
            state: result.state,
        };
        if got != expected {
            problems.push(format!(
                "command {n}: read {got:?}, the server sent {expected:?}"
            ));
        }
    }
    if let Err(e) = session.close().await {
        problems.push(format!("close: {e}"));
    }
    problems.extend(errors.lock().expect("errors").iter().cloned());
    // The server's connection tasks still hold the replay: take it from them.
    let replay = std::mem::replace(
        &mut *replay.lock().expect("replay"),
        Replay::new(Vec::new(), IdPolicy::Fresh),
    );
    problems.extend(replay.finish().iter().map(ToString::to_string));
    problems
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_session_repeats_every_capture_it_can_make() {
    let all = captures::load_all();
    let mut replayed = Vec::new();
    let mut failures = Vec::new();
    for capture in all.iter().filter(|c| c.list == "messages") {
        let name = capture.file.trim_end_matches(".yml");
        if let Some((_, why)) = OUT_OF_REACH.iter().find(|(n, _)| *n == name) {
            println!("{name}: not replayed: {why}");
            continue;
        }
        let problems = replay_capture(capture).await;
        println!(
            "{name}: {}",
            if problems.is_empty() { "ok" } else { "DIFFERS" }
        );
        for p in &problems {
            failures.push(format!("{name}: {p}"));
        }
        replayed.push(name.to_owned());
    }
    assert!(
        replayed.len() >= 10,
        "only {} captures replayed: {replayed:?}",
        replayed.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_capture_is_replayed_or_said_to_be_out_of_reach() {
    let all = captures::load_all();
    for (name, _) in OUT_OF_REACH {
        assert!(
            all.iter().any(|c| c.file.trim_end_matches(".yml") == *name),
            "{name} is listed but no capture has that name"
        );
    }
}
