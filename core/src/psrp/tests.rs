//! A client pool and a server pool talking through memory, as quinn's `Pair` and psrpcore's
//! `get_runspace_pair` do: every payload one side transmits is received by the other.

use uuid::Uuid;

use super::client::{RunspacePool, RunspacePoolOptions};
use super::command::{Command, PowerShellSpec};
use super::events::{Event, ServerEvent};
use super::host::{HOST_NOT_INTERACTIVE_ERROR_ID, HostAnswer};
use super::messages::{
    Availability, CategoryInfo, ErrorRecord, InformationRecord, InformationalRecord,
    PSInvocationState, ProgressRecord, ProgressRecordType, RemoteHostMethodId, RunspacePoolState,
};
use super::outbox::{Transmit, TransmitPurpose};
use super::server::{ServerOptions, ServerRunspacePool};
use super::state_error::StateError;
use crate::clixml::{DateTimeKind, PsDateTime, PsValue, PsVersion};

fn error_record(message: &str, id: &str) -> ErrorRecord {
    ErrorRecord::new(
        &["System.Exception", "System.Object"],
        message,
        id,
        CategoryInfo::default(),
        None,
    )
}

/// Both ends plus everything they reported.
struct Pair {
    client: RunspacePool,
    server: ServerRunspacePool,
    max_len: usize,
    client_events: Vec<Event>,
    server_events: Vec<ServerEvent>,
    client_transmits: Vec<Transmit>,
    server_transmits: usize,
}

impl Pair {
    fn new(server: ServerOptions) -> Self {
        Pair {
            client: RunspacePool::new(RunspacePoolOptions::new(Uuid::new_v4())),
            server: ServerRunspacePool::new(server),
            max_len: 150_000,
            client_events: Vec::new(),
            server_events: Vec::new(),
            client_transmits: Vec::new(),
            server_transmits: 0,
        }
    }

    /// Moves bytes both ways until neither side has anything to send. The server answers the
    /// opening handshake and key exchange on its own, as a real server does.
    fn drive(&mut self) {
        loop {
            let mut progress = false;
            while let Some(t) = self.client.poll_transmit(self.max_len) {
                assert!(t.data.len() <= self.max_len.max(22));
                progress = true;
                let result = self.server.receive(t.pipeline_id, &t.data);
                self.client_transmits.push(t);
                if result.is_err() {
                    break;
                }
            }
            while let Some(event) = self.server.poll_event() {
                progress = true;
                self.serve(&event);
                self.server_events.push(event);
            }
            while let Some(t) = self.server.poll_transmit(self.max_len) {
                assert!(t.data.len() <= self.max_len.max(22));
                assert_eq!(t.purpose, TransmitPurpose::Receive);
                assert_eq!(t.stream.as_str(), "stdout");
                progress = true;
                self.server_transmits += 1;
                if self.client.receive(t.pipeline_id, &t.data).is_err() {
                    break;
                }
            }
            while let Some(event) = self.client.poll_event() {
                progress = true;
                self.client_events.push(event);
            }
            if !progress {
                return;
            }
        }
    }

    fn serve(&mut self, event: &ServerEvent) {
        let result = match event {
            ServerEvent::SessionCapability { .. } => self.server.send_session_capability(),
            ServerEvent::InitRunspacePool { .. } => self
                .server
                .send_application_private_data(PsValue::String("private".into()))
                .and_then(|()| self.server.set_state(RunspacePoolState::Opened, None)),
            ServerEvent::PublicKey => self.server.send_session_key(),
            ServerEvent::ConnectRunspacePool => {
                self.server.send_runspace_pool_init_data().and_then(|()| {
                    self.server
                        .send_application_private_data(PsValue::String("again".into()))
                })
            }
            _ => Ok(()),
        };
        assert!(
            result.is_ok(),
            "server failed to answer {event:?}: {result:?}"
        );
    }

    fn open(&mut self) {
        assert!(self.client.open().is_ok());
        self.drive();
        assert_eq!(self.client.state(), RunspacePoolState::Opened);
    }

    /// Creates a pipeline and returns its id and the spec the server read.
    fn start(&mut self, spec: &PowerShellSpec) -> (Uuid, PowerShellSpec) {
        let id = self.client.create_pipeline(spec).expect("pool is open");
        self.drive();
        let received = self.server_events.iter().rev().find_map(|e| match e {
            ServerEvent::CreatePipeline { pipeline_id, spec } if *pipeline_id == id => {
                Some(spec.clone())
            }
            _ => None,
        });
        (id, received.expect("server saw CREATE_PIPELINE"))
    }

    fn take_client_events(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.client_events)
    }
}

fn v(major: u32, minor: u32) -> PsVersion {
    PsVersion {
        major,
        minor,
        build: None,
        revision: None,
    }
}

#[test]
fn open_negotiates_protocol_2_3() {
    let mut pair = Pair::new(ServerOptions::default());
    pair.open();
    assert_eq!(pair.client.server_protocol_version(), Some(v(2, 3)));
    assert_eq!(pair.server.client_protocol_version(), Some(v(2, 3)));
    assert_eq!(pair.server.id(), Some(pair.client.id()));
    assert_eq!(
        pair.client.application_private_data().map(|d| &d.data),
        Some(&PsValue::String("private".into()))
    );
    let first = &pair.client_transmits[0];
    assert_eq!(first.purpose, TransmitPurpose::CreateShell);
    assert_eq!(first.pipeline_id, None);
    let states: Vec<_> = pair
        .client_events
        .iter()
        .filter_map(|e| match e {
            Event::PoolStateChanged { state, .. } => Some(*state),
            _ => None,
        })
        .collect();
    assert_eq!(
        states,
        vec![RunspacePoolState::Opening, RunspacePoolState::Opened]
    );
}

#[test]
fn open_against_a_protocol_2_1_server() {
    let mut pair = Pair::new(ServerOptions {
        protocol_version: v(2, 1),
        ..ServerOptions::default()
    });
    pair.open();
    assert_eq!(pair.client.server_protocol_version(), Some(v(2, 1)));
}

#[test]
fn connect_reopens_a_pool_with_the_server_sizes() {
    let mut pair = Pair::new(ServerOptions::default());
    assert!(pair.client.connect().is_ok());
    pair.drive();
    assert_eq!(pair.client_transmits[0].purpose, TransmitPurpose::Connect);
    assert_eq!(pair.client.state(), RunspacePoolState::Opened);
    assert_eq!(
        pair.client.application_private_data().map(|d| &d.data),
        Some(&PsValue::String("again".into()))
    );
    assert_eq!(pair.client.runspaces(), pair.server.runspaces());
    assert!(
        pair.client
            .create_pipeline(&PowerShellSpec::new(Command::new("Get-Date")))
            .is_ok()
    );
}

#[test]
fn a_broken_pool_can_still_be_closed() {
    let mut pair = Pair::new(ServerOptions::default());
    pair.open();
    let (pid, _) = pair.start(&PowerShellSpec::new(Command::new("Get-Date")));
    assert!(
        pair.server
            .set_state(RunspacePoolState::Broken, None)
            .is_ok()
    );
    pair.drive();
    assert!(matches!(
        pair.client.begin_close(),
        Err(StateError::PipelinesNotEnded { .. })
    ));
    assert!(pair.client.end_pipeline(pid).is_ok());
    assert!(pair.client.begin_close().is_ok());
    assert!(pair.client.close().is_ok());
    assert_eq!(pair.client.state(), RunspacePoolState::Closed);
}

#[test]
fn create_pipeline_before_open_names_action_and_states() {
    let mut pair = Pair::new(ServerOptions::default());
    let err = pair
        .client
        .create_pipeline(&PowerShellSpec::new(Command::new("Get-Date")));
    match err {
        Err(StateError::InvalidPoolState {
            action,
            current,
            expected,
        }) => {
            assert_eq!(action, "create a pipeline");
            assert_eq!(current, RunspacePoolState::BeforeOpen);
            assert_eq!(expected, &[RunspacePoolState::Opened]);
        }
        other => panic!("unexpected {other:?}"),
    }
    let err = pair.client.exchange_key().map_err(|e| e.to_string());
    assert_eq!(
        err,
        Err("cannot exchange the session key: the runspace pool is BeforeOpen, expected one of [Opened]".to_owned())
    );
}

#[test]
fn parameters_arrive_intact() {
    let mut pair = Pair::new(ServerOptions::default());
    pair.open();
    let spec = PowerShellSpec::pipeline(vec![
        Command::new("Get-Mailbox")
            .param("Identity", "alice@contoso.com")
            .param("ResultSize", "Unlimited")
            .switch("IgnoreDefaultScope")
            .arg(PsValue::I32(42)),
        Command::new("Select-Object").arg("DisplayName"),
    ]);
    let (_, received) = pair.start(&spec);
    assert_eq!(received, spec);
    let cmd = &received.statements[0][0];
    assert_eq!(
        cmd.parameter("identity").and_then(PsValue::as_str),
        Some("alice@contoso.com")
    );
    assert_eq!(
        cmd.parameter("IgnoreDefaultScope"),
        Some(&PsValue::Bool(true))
    );
    assert_eq!(
        cmd.positional().cloned().collect::<Vec<_>>(),
        vec![PsValue::I32(42)]
    );
}

#[test]
fn session_key_lets_the_server_read_a_secure_string() {
    let mut pair = Pair::new(ServerOptions::default());
    pair.open();
    assert!(matches!(
        pair.client.encrypt_secure_string("x"),
        Err(StateError::NoSessionKey)
    ));
    assert!(pair.client.exchange_key().is_ok());
    pair.drive();
    assert!(pair.client.has_session_key());
    assert!(
        pair.take_client_events()
            .iter()
            .any(|e| matches!(e, Event::SessionKeyReady))
    );
    let password = pair.client.encrypt_secure_string("Pa$$w0rd!").expect("key");
    let spec = PowerShellSpec::new(Command::new("Set-Mailbox").param("Password", password));
    let (_, received) = pair.start(&spec);
    let sent = received.statements[0][0].parameter("Password").cloned();
    let Some(PsValue::SecureString(ss)) = sent else {
        panic!("not a SecureString: {sent:?}")
    };
    assert_eq!(
        pair.server
            .decrypt_secure_string(&ss)
            .map(|s| s.to_string())
            .map_err(|e| e.to_string()),
        Ok("Pa$$w0rd!".to_owned())
    );
}

#[test]
fn server_public_key_request_starts_the_exchange() {
    let mut pair = Pair::new(ServerOptions::default());
    pair.open();
    assert!(pair.server.request_public_key().is_ok());
    pair.drive();
    assert!(pair.client.has_session_key());
    let secret = pair
        .server
        .encrypt_secure_string("from server")
        .expect("key");
    let PsValue::SecureString(ss) = secret else {
        panic!("not a SecureString")
    };
    assert_eq!(
        pair.client
            .decrypt_secure_string(&ss)
            .map(|s| s.to_string())
            .map_err(|e| e.to_string()),
        Ok("from server".to_owned())
    );
}

#[test]
fn every_stream_reaches_the_client() {
    let mut pair = Pair::new(ServerOptions::default());
    pair.open();
    let (pid, _) = pair.start(&PowerShellSpec::new(Command::new("Get-Thing")));
    pair.take_client_events();
    let s = &mut pair.server;
    assert!(s.write_output(pid, PsValue::String("out".into())).is_ok());
    assert!(
        s.write_error(pid, error_record("bad", "BadThing,Get-Thing"))
            .is_ok()
    );
    assert!(
        s.write_warning(pid, InformationalRecord::new("Warning", "warn"))
            .is_ok()
    );
    assert!(
        s.write_verbose(pid, InformationalRecord::new("Verbose", "verb"))
            .is_ok()
    );
    assert!(
        s.write_debug(pid, InformationalRecord::new("Debug", "dbg"))
            .is_ok()
    );
    assert!(
        s.write_information(
            pid,
            InformationRecord::new(
                PsValue::String("info".into()),
                "Get-Thing",
                PsDateTime {
                    ticks: 638_000_000_000_000_000,
                    kind: DateTimeKind::Utc,
                },
            ),
        )
        .is_ok()
    );
    assert!(
        s.write_progress(
            pid,
            ProgressRecord {
                activity: "Working".into(),
                activity_id: 1,
                status_description: "half".into(),
                current_operation: None,
                parent_activity_id: -1,
                percent_complete: 50,
                record_type: ProgressRecordType::Processing,
                seconds_remaining: -1,
            }
        )
        .is_ok()
    );
    assert!(
        s.set_pipeline_state(pid, PSInvocationState::Completed, None)
            .is_ok()
    );
    pair.drive();
    let events = pair.take_client_events();
    let summary: Vec<String> = events
        .iter()
        .map(|e| match e {
            Event::Output { pipeline_id, value } if *pipeline_id == pid => {
                format!("output {}", value.as_str().unwrap_or("?"))
            }
            Event::Error { record, .. } => format!(
                "error {} {}",
                record.message().unwrap_or("?"),
                record.fully_qualified_error_id().unwrap_or("?")
            ),
            Event::Warning { record, .. } => format!("warning {}", record.message),
            Event::Verbose { record, .. } => format!("verbose {}", record.message),
            Event::Debug { record, .. } => format!("debug {}", record.message),
            Event::Information { record, .. } => {
                format!(
                    "information {}",
                    record
                        .message_data()
                        .and_then(PsValue::as_str)
                        .unwrap_or("?")
                )
            }
            Event::Progress { record, .. } => {
                format!("progress {} {}", record.activity, record.status_description)
            }
            Event::PipelineStateChanged { state, error, .. } => {
                format!("state {state:?} {}", error.is_some())
            }
            other => format!("other {other:?}"),
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            "output out",
            "error bad BadThing,Get-Thing",
            "warning warn",
            "verbose verb",
            "debug dbg",
            "information info",
            "progress Working half",
            "state Completed false",
        ]
    );
    assert_eq!(
        pair.client.finished_pipelines().collect::<Vec<_>>(),
        vec![pid]
    );
    assert!(pair.client.end_pipeline(pid).is_ok());
    assert!(matches!(
        pair.client.pipeline_state(pid),
        Err(StateError::UnknownPipeline(p)) if p == pid
    ));
}

#[test]
fn pipeline_input_flows_and_then_closes() {
    let mut pair = Pair::new(ServerOptions::default());
    pair.open();
    let (pid, received) = pair.start(&PowerShellSpec::new(Command::new("Out-Null")).with_input());
    assert!(!received.no_input);
    assert!(pair.client.send_input(pid, PsValue::I32(1)).is_ok());
    assert!(
        pair.client
            .send_input(pid, PsValue::String("two".into()))
            .is_ok()
    );
    assert!(pair.client.end_input(pid).is_ok());
    assert!(matches!(
        pair.client.send_input(pid, PsValue::I32(3)),
        Err(StateError::InputClosed { pipeline_id }) if pipeline_id == pid
    ));
    pair.drive();
    let seen: Vec<String> = pair
        .server_events
        .iter()
        .filter_map(|e| match e {
            ServerEvent::PipelineInput { pipeline_id, value } if *pipeline_id == pid => {
                Some(format!("{value:?}"))
            }
            ServerEvent::EndOfInput { pipeline_id } if *pipeline_id == pid => {
                Some("end".to_owned())
            }
            _ => None,
        })
        .collect();
    assert_eq!(seen, vec!["I32(1)", "String(\"two\")", "end"]);
}

#[test]
fn input_is_refused_for_a_no_input_pipeline() {
    let mut pair = Pair::new(ServerOptions::default());
    pair.open();
    let (pid, _) = pair.start(&PowerShellSpec::new(Command::new("Get-Date")));
    assert!(matches!(
        pair.client.send_input(pid, PsValue::I32(1)),
        Err(StateError::InputClosed { .. })
    ));
}

#[test]
fn ended_pipelines_leave_no_reassembly_state() {
    let mut pair = Pair::new(ServerOptions::default());
    pair.open();
    let (client_base, server_base) = (pair.client.open_streams(), pair.server.open_streams());
    for i in 0..50 {
        let (pid, _) = pair.start(&PowerShellSpec::new(
            Command::new("Get-Mailbox").arg(PsValue::I32(i)),
        ));
        assert!(pair.server.write_output(pid, PsValue::I32(i)).is_ok());
        assert!(
            pair.server
                .set_pipeline_state(pid, PSInvocationState::Completed, None)
                .is_ok()
        );
        pair.drive();
        let _ = pair.take_client_events();
        assert!(pair.client.end_pipeline(pid).is_ok());
        assert!(pair.server.end_pipeline(pid).is_ok());
    }
    assert_eq!(pair.client.open_streams(), client_base);
    assert_eq!(pair.server.open_streams(), server_base);
    assert!(client_base <= 1 && server_base <= 1);
}

#[test]
fn stop_then_end_and_close() {
    let mut pair = Pair::new(ServerOptions::default());
    pair.open();
    let (pid, _) = pair.start(&PowerShellSpec::new(
        Command::new("Start-Sleep").arg(PsValue::I32(60)),
    ));
    assert!(pair.client.begin_stop(pid).is_ok());
    assert_eq!(
        pair.client.pipeline_state(pid).ok(),
        Some(PSInvocationState::Stopping)
    );
    match pair.client.end_pipeline(pid) {
        Err(StateError::InvalidPipelineState {
            action, current, ..
        }) => {
            assert_eq!(action, "end a pipeline");
            assert_eq!(current, PSInvocationState::Stopping);
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(matches!(
        pair.client.begin_close(),
        Err(StateError::PipelinesNotEnded { count: 1, first }) if first == pid
    ));
    let stopped = error_record("The pipeline has been stopped.", "PipelineStopped");
    assert!(
        pair.server
            .set_pipeline_state(pid, PSInvocationState::Stopped, Some(stopped))
            .is_ok()
    );
    pair.drive();
    let last = pair.take_client_events().pop();
    match last {
        Some(Event::PipelineStateChanged {
            state: PSInvocationState::Stopped,
            error: Some(e),
            ..
        }) => assert_eq!(e.message(), Some("The pipeline has been stopped.")),
        other => panic!("unexpected {other:?}"),
    }
    assert!(pair.client.end_pipeline(pid).is_ok());
    assert!(pair.server.end_pipeline(pid).is_ok());
    assert!(pair.client.begin_close().is_ok());
    assert_eq!(pair.client.state(), RunspacePoolState::Closing);
    assert!(pair.client.close().is_ok());
    assert_eq!(pair.client.state(), RunspacePoolState::Closed);
}

#[test]
fn host_calls_are_answered_without_waiting() {
    let mut pair = Pair::new(ServerOptions::default());
    pair.open();
    let (pid, _) = pair.start(&PowerShellSpec::new(Command::new("Remove-Mailbox")));
    pair.take_client_events();
    let prompt = pair
        .server
        .host_call(
            Some(pid),
            RemoteHostMethodId::PromptForChoice,
            vec![
                PsValue::String("Confirm".into()),
                PsValue::String("Are you sure?".into()),
            ],
        )
        .expect("running pipeline");
    let write = pair
        .server
        .host_call(
            Some(pid),
            RemoteHostMethodId::WriteLine2,
            vec![PsValue::String("hello".into())],
        )
        .expect("running pipeline");
    pair.drive();
    let responses: Vec<_> = pair
        .server_events
        .iter()
        .filter_map(|e| match e {
            ServerEvent::HostResponse {
                pipeline_id,
                response,
            } => Some((*pipeline_id, response.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(responses.len(), 1, "only PromptForChoice needs an answer");
    let (rpid, response) = &responses[0];
    assert_eq!(*rpid, Some(pid));
    assert_eq!(response.call_id, prompt);
    assert_eq!(response.method, RemoteHostMethodId::PromptForChoice);
    assert_eq!(response.return_value, None);
    let record = response.error.as_ref().expect("an error answer");
    assert_eq!(
        record.fully_qualified_error_id(),
        Some(HOST_NOT_INTERACTIVE_ERROR_ID)
    );
    assert!(
        record
            .message()
            .is_some_and(|m| m.starts_with("The host is not interactive: PromptForChoice"))
    );
    let calls: Vec<_> = pair
        .take_client_events()
        .into_iter()
        .filter_map(|e| match e {
            Event::HostCall { call, answer } => Some((call.call_id, call.method, answer)),
            _ => None,
        })
        .collect();
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[0].0, prompt);
    assert_eq!(calls[0].1, RemoteHostMethodId::PromptForChoice);
    assert!(matches!(calls[0].2, HostAnswer::Error { .. }));
    assert_eq!(
        (calls[1].0, calls[1].1, &calls[1].2),
        (write, RemoteHostMethodId::WriteLine2, &HostAnswer::None)
    );
    // A host response went to the prompt-response stream of that command.
    assert!(pair.client_transmits.iter().any(
        |t| t.pipeline_id == Some(pid) && t.stream == super::outbox::StreamName::PromptResponse
    ));
}

#[test]
fn broken_pool_surfaces_its_error_once_and_last() {
    let mut pair = Pair::new(ServerOptions::default());
    pair.open();
    pair.take_client_events();
    let error = error_record("The WinRM shell was closed by the server.", "ShellClosed");
    assert!(
        pair.server
            .set_state(RunspacePoolState::Broken, Some(error))
            .is_ok()
    );
    pair.drive();
    let events = pair.take_client_events();
    assert_eq!(events.len(), 2, "{events:?}");
    match &events[0] {
        Event::PoolStateChanged {
            state: RunspacePoolState::Broken,
            error: Some(e),
        } => assert_eq!(
            e.message(),
            Some("The WinRM shell was closed by the server.")
        ),
        other => panic!("unexpected {other:?}"),
    }
    match &events[1] {
        Event::Failed(StateError::Broken { reason }) => {
            assert_eq!(reason, "The WinRM shell was closed by the server.");
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(pair.client.poll_event().is_none());
    assert!(matches!(
        pair.client
            .create_pipeline(&PowerShellSpec::new(Command::new("Get-Date"))),
        Err(StateError::Broken { .. })
    ));
    assert_eq!(pair.client.state(), RunspacePoolState::Broken);
}

#[test]
fn garbage_from_the_server_is_fatal_once() {
    let mut pool = RunspacePool::new(RunspacePoolOptions::new(Uuid::new_v4()));
    assert!(pool.open().is_ok());
    let mut garbage = vec![0u8; 21];
    garbage[16] = 3; // start and end
    garbage[17..21].copy_from_slice(&5u32.to_be_bytes());
    garbage.extend_from_slice(b"hello");
    let err = pool.receive(None, &garbage);
    assert!(matches!(err, Err(StateError::Wire(_))), "{err:?}");
    assert!(pool.receive(None, &garbage).is_err());
    let mut failed = 0;
    while let Some(e) = pool.poll_event() {
        if matches!(e, Event::Failed(StateError::Wire(_))) {
            failed += 1;
        }
    }
    assert_eq!(failed, 1);
    assert_eq!(pool.state(), RunspacePoolState::Broken);
}

#[test]
fn tiny_payloads_carry_everything() {
    let mut pair = Pair::new(ServerOptions::default());
    pair.max_len = 22;
    pair.open();
    let long = "x".repeat(5_000);
    let spec = PowerShellSpec::new(Command::new("Write-Output").arg(long.as_str()));
    let (pid, received) = pair.start(&spec);
    assert_eq!(received, spec);
    let creation: Vec<_> = pair
        .client_transmits
        .iter()
        .filter(|t| t.is_command_creation())
        .collect();
    assert_eq!(creation.len(), 1, "one Command per pipeline");
    assert_eq!(creation[0].data.len(), 22);
    assert!(
        pair.server
            .write_output(pid, PsValue::String(long.clone()))
            .is_ok()
    );
    assert!(
        pair.server
            .set_pipeline_state(pid, PSInvocationState::Completed, None)
            .is_ok()
    );
    let before = pair.server_transmits;
    pair.drive();
    assert!(pair.server_transmits - before > 5_000);
    let out = pair.take_client_events().into_iter().find_map(|e| match e {
        Event::Output { value, .. } => Some(value),
        _ => None,
    });
    assert_eq!(out, Some(PsValue::String(long)));
}

#[test]
fn runspace_counts_are_negotiated() {
    let mut pair = Pair::new(ServerOptions::default());
    pair.open();
    let set = pair.client.set_max_runspaces(4).expect("open");
    let avail = pair.client.get_available_runspaces().expect("open");
    pair.drive();
    assert_eq!(pair.client.runspaces(), (1, 4));
    assert_eq!(pair.server.runspaces(), (1, 4));
    let answers: Vec<_> = pair
        .take_client_events()
        .into_iter()
        .filter_map(|e| match e {
            Event::RunspaceAvailability { call_id, response } => Some((call_id, response)),
            _ => None,
        })
        .collect();
    assert_eq!(
        answers,
        vec![
            (set, Availability::Set(true)),
            (avail, Availability::Count(4))
        ]
    );
}

/// The text between `start` and the next `end` after it.
fn between<'a>(text: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let from = text.find(start)? + start.len();
    let len = text.get(from..)?.find(end)?;
    text.get(from..from + len)
}

/// The recorded conversation `name`: (request, response) pairs of SOAP text.
fn capture(name: &str) -> Vec<(String, String)> {
    let manifest = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let path = manifest
        .ancestors()
        .skip(2)
        .take(2)
        .map(|dir| dir.join("shared/fixtures/windows-captures").join(name))
        .find(|p| p.exists())
        .unwrap_or_else(|| panic!("{name} not found beside {}", manifest.display()));
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    // Each value is a plain YAML scalar; a long one is folded onto more-indented lines,
    // each line break standing for one space.
    let mut pairs: Vec<(String, String)> = Vec::new();
    let mut current: Option<&mut String> = None;
    for line in text.lines() {
        if line.starts_with("messages-py26") {
            break;
        }
        if let Some(r) = line.strip_prefix("- request: ") {
            pairs.push((r.to_owned(), String::new()));
            current = pairs.last_mut().map(|p| &mut p.0);
        } else if let Some(r) = line.strip_prefix("  response: ") {
            current = pairs.last_mut().map(|p| {
                p.1 = r.to_owned();
                &mut p.1
            });
        } else if let (Some(cont), Some(value)) = (line.strip_prefix("    "), current.as_mut()) {
            value.push(' ');
            value.push_str(cont.trim_start());
        } else {
            current = None;
        }
    }
    pairs
}

/// Replays the server half of a capture into a client pool: the pool is created with the
/// recorded ShellId and opened, each recorded Command creates a pipeline with the recorded
/// CommandId, and every Receive stream is fed to the pool. Returns the pool and its events.
fn replay(name: &str, spec: &PowerShellSpec) -> (RunspacePool, Vec<Event>) {
    use base64::Engine as _;
    let mut pool = None;
    let mut events = Vec::new();
    for (request, response) in capture(name) {
        let action = between(
            &request,
            "<wsa:Action s:mustUnderstand=\"true\">",
            "</wsa:Action>",
        )
        .and_then(|a| a.rsplit('/').next())
        .unwrap_or_default()
        .to_owned();
        match action.as_str() {
            "Create" => {
                let id = between(&request, "ShellId=\"", "\"")
                    .and_then(|s| Uuid::parse_str(s).ok())
                    .expect("recorded ShellId");
                let mut p = RunspacePool::new(RunspacePoolOptions::new(id));
                assert!(p.open().is_ok());
                pool = Some(p);
            }
            "Command" => {
                let id = between(&response, "<rsp:CommandId>", "</rsp:CommandId>")
                    .and_then(|s| Uuid::parse_str(s).ok())
                    .expect("recorded CommandId");
                let p = pool.as_mut().expect("created");
                let r = p.create_pipeline_with_id(id, spec);
                assert!(r.is_ok(), "{r:?}");
            }
            "Receive" => {
                let target =
                    between(&request, "CommandId=\"", "\"").and_then(|s| Uuid::parse_str(s).ok());
                let p = pool.as_mut().expect("created");
                let mut rest = response.as_str();
                while let Some(stream) = between(rest, "<rsp:Stream", "</rsp:Stream>") {
                    let b64 = stream.split_once('>').map(|(_, b)| b).unwrap_or_default();
                    let bytes = base64::engine::general_purpose::STANDARD
                        .decode(b64)
                        .expect("recorded base64");
                    let r = p.receive(target, &bytes);
                    assert!(r.is_ok(), "{r:?}");
                    let at = rest.find("</rsp:Stream>").unwrap_or(rest.len());
                    rest = rest.get(at + 1..).unwrap_or_default();
                }
            }
            _ => {}
        }
        if let Some(p) = pool.as_mut() {
            while p.poll_transmit(150_000).is_some() {}
            while let Some(e) = p.poll_event() {
                events.push(e);
            }
        }
    }
    (pool.expect("the capture creates a shell"), events)
}

#[test]
fn windows_server_bytes_open_the_pool() {
    let (pool, events) = replay(
        "test_psrp_open_runspace.yml",
        &PowerShellSpec::new(Command::new("unused")),
    );
    assert_eq!(pool.state(), RunspacePoolState::Opened);
    assert_eq!(pool.server_protocol_version(), Some(v(2, 3)));
    let table = pool
        .application_private_data()
        .and_then(|d| d.ps_version_table())
        .and_then(|t| crate::psrp::messages::dict_get(t, "PSVersion"));
    assert_eq!(
        table,
        Some(&PsValue::Version(PsVersion {
            major: 5,
            minor: 1,
            build: Some(14393),
            revision: Some(2248),
        }))
    );
    assert!(events.iter().all(|e| !matches!(e, Event::Failed(_))));
}

#[test]
fn windows_server_bytes_fill_every_stream() {
    let (pool, events) = replay(
        "test_psrp_stream_output_invocation.yml",
        &PowerShellSpec::new(Command::script("Write-Output 'output'")),
    );
    let kinds: Vec<&str> = events
        .iter()
        .filter_map(|e| match e {
            Event::Output { .. } => Some("output"),
            Event::Error { .. } => Some("error"),
            Event::Warning { .. } => Some("warning"),
            Event::Verbose { .. } => Some("verbose"),
            Event::Debug { .. } => Some("debug"),
            Event::Information { .. } => Some("information"),
            Event::Progress { .. } => Some("progress"),
            Event::PipelineStateChanged { state, .. } => Some(match state {
                PSInvocationState::Completed => "completed",
                _ => "other state",
            }),
            Event::Failed(_) => Some("failed"),
            _ => None,
        })
        .collect();
    assert_eq!(
        kinds,
        vec![
            "progress",
            "debug",
            "verbose",
            "error",
            "output",
            "warning",
            "information",
            "completed"
        ]
    );
    assert_eq!(pool.finished_pipelines().count(), 1);
}

#[test]
fn windows_host_call_for_a_void_method_needs_no_answer() {
    let (mut pool, events) = replay(
        "test_psrp_pshost_methods.yml",
        &PowerShellSpec::new(Command::script("$host.SetShouldExit(1)")),
    );
    let call = events.iter().find_map(|e| match e {
        Event::HostCall { call, answer } => Some((call.call_id, call.method, answer.clone())),
        _ => None,
    });
    assert_eq!(
        call,
        Some((-100, RemoteHostMethodId::SetShouldExit, HostAnswer::None))
    );
    assert!(pool.poll_transmit(150_000).is_none());
}

#[test]
fn server_names_pipelines_by_command_id_and_echoes_the_header_id() {
    let mut pair = Pair::new(ServerOptions::default());
    pair.open();
    // A client that writes GUIDs in RFC byte order puts this id in the header while the
    // WS-Management CommandId says `command_id`.
    let header_id = Uuid::new_v4();
    let command_id = Uuid::from_bytes_le(*header_id.as_bytes());
    assert_ne!(header_id, command_id);
    assert!(
        pair.client
            .create_pipeline_with_id(header_id, &PowerShellSpec::new(Command::new("Get-Date")))
            .is_ok()
    );
    while let Some(t) = pair.client.poll_transmit(150_000) {
        assert!(pair.server.receive(Some(command_id), &t.data).is_ok());
    }
    let created = std::iter::from_fn(|| pair.server.poll_event()).find_map(|e| match e {
        ServerEvent::CreatePipeline { pipeline_id, .. } => Some(pipeline_id),
        _ => None,
    });
    assert_eq!(created, Some(command_id));
    assert!(
        pair.server
            .write_output(command_id, PsValue::I32(5))
            .is_ok()
    );
    let reply = pair.server.poll_transmit(150_000).expect("output");
    assert_eq!(reply.pipeline_id, Some(command_id));
    let blobs = crate::psrp::Defragmenter::new()
        .feed(&reply.data)
        .unwrap_or_default();
    let raw = blobs
        .first()
        .and_then(|b| crate::psrp::RawMessage::decode(b).ok())
        .expect("one message");
    assert_eq!(raw.pipeline(), Some(header_id));
    assert_eq!(raw.runspace_pool_id, pair.client.id());
}

/// Feeds the client half of a capture (what pypsrp sent to Windows) to a server pool that
/// opens itself; returns the server's events.
fn replay_client_half(name: &str) -> Vec<ServerEvent> {
    use base64::Engine as _;
    let decode = |b64: &str| {
        base64::engine::general_purpose::STANDARD
            .decode(b64.trim())
            .expect("recorded base64")
    };
    let mut server = ServerRunspacePool::new(ServerOptions::default());
    let mut events = Vec::new();
    for (request, _) in capture(name) {
        let mut payloads: Vec<(Option<Uuid>, Vec<u8>)> = Vec::new();
        if let Some(b64) = between(
            &request,
            "<creationXml xmlns=\"http://schemas.microsoft.com/powershell\">",
            "</creationXml>",
        ) {
            payloads.push((None, decode(b64)));
        }
        if let Some(b64) = between(&request, "<rsp:Arguments>", "</rsp:Arguments>") {
            let id = between(&request, "CommandId=\"", "\"").and_then(|s| Uuid::parse_str(s).ok());
            payloads.push((id, decode(b64)));
        }
        let mut rest = request.as_str();
        while let Some(stream) = between(rest, "<rsp:Stream ", "</rsp:Stream>") {
            let id = between(stream, "CommandId=\"", "\"").and_then(|s| Uuid::parse_str(s).ok());
            let b64 = stream.split_once('>').map(|(_, b)| b).unwrap_or_default();
            payloads.push((id, decode(b64)));
            let at = rest.find("</rsp:Stream>").unwrap_or(rest.len());
            rest = rest.get(at + 1..).unwrap_or_default();
        }
        for (target, data) in payloads {
            let r = server.receive(target, &data);
            assert!(r.is_ok(), "{r:?}");
            while let Some(e) = server.poll_event() {
                let answered = match &e {
                    ServerEvent::SessionCapability { .. } => server.send_session_capability(),
                    ServerEvent::InitRunspacePool { .. } => {
                        server.set_state(RunspacePoolState::Opened, None)
                    }
                    _ => Ok(()),
                };
                assert!(answered.is_ok(), "{answered:?}");
                events.push(e);
            }
        }
    }
    events
}

#[test]
fn pypsrp_requests_open_a_server_pool_and_run_commands() {
    let events = replay_client_half("test_psrp_multiple_commands.yml");
    assert!(matches!(
        events.first(),
        Some(ServerEvent::SessionCapability { protocol_version }) if *protocol_version == v(2, 3)
    ));
    let specs: Vec<&PowerShellSpec> = events
        .iter()
        .filter_map(|e| match e {
            ServerEvent::CreatePipeline { spec, .. } => Some(spec),
            _ => None,
        })
        .collect();
    let first = specs.first().expect("a pipeline");
    assert!(first.statements.len() >= 2);
    let set = &first.statements[0][0];
    assert_eq!(set.name, "Set-Variable");
    assert_eq!(
        set.parameter("Name").and_then(PsValue::as_str),
        Some("sec_string")
    );
    assert!(matches!(
        set.parameter("Value"),
        Some(PsValue::SecureString(_))
    ));
    assert!(first.statements[1][0].is_script);
}

#[test]
fn pypsrp_input_reaches_the_server_pipeline() {
    let events = replay_client_half("test_psrp_with_input.yml");
    let (pid, spec) = events
        .iter()
        .find_map(|e| match e {
            ServerEvent::CreatePipeline { pipeline_id, spec } => Some((*pipeline_id, spec)),
            _ => None,
        })
        .expect("a pipeline");
    assert!(!spec.no_input);
    let inputs = events
        .iter()
        .filter(
            |e| matches!(e, ServerEvent::PipelineInput { pipeline_id, .. } if *pipeline_id == pid),
        )
        .count();
    assert!(inputs > 0);
    assert!(
        events
            .iter()
            .any(|e| matches!(e, ServerEvent::EndOfInput { pipeline_id } if *pipeline_id == pid))
    );
}

#[test]
fn pool_host_calls_are_answered_on_the_shell() {
    let mut pair = Pair::new(ServerOptions::default());
    pair.open();
    let call = pair
        .server
        .host_call(None, RemoteHostMethodId::ReadLine, Vec::new())
        .expect("open pool");
    pair.drive();
    let response = pair.server_events.iter().find_map(|e| match e {
        ServerEvent::HostResponse {
            pipeline_id: None,
            response,
        } => Some(response.clone()),
        _ => None,
    });
    let response = response.expect("answered");
    assert_eq!(response.call_id, call);
    assert_eq!(response.method, RemoteHostMethodId::ReadLine);
    assert!(
        pair.client_transmits
            .iter()
            .any(|t| t.pipeline_id.is_none()
                && t.stream == super::outbox::StreamName::PromptResponse)
    );
}

#[test]
fn a_second_pool_id_breaks_the_server_once() {
    let mut server = ServerRunspacePool::new(ServerOptions::default());
    let mut a = RunspacePool::new(RunspacePoolOptions::new(Uuid::new_v4()));
    let mut b = RunspacePool::new(RunspacePoolOptions::new(Uuid::new_v4()));
    assert!(a.open().is_ok() && b.open().is_ok());
    let first = a.poll_transmit(150_000).expect("creation");
    let second = b.poll_transmit(150_000).expect("creation");
    assert!(server.receive(None, &first.data).is_ok());
    let err = server.receive(None, &second.data);
    assert!(
        matches!(err, Err(StateError::WrongPool { expected, got }) if expected == a.id() && got == b.id()),
        "{err:?}"
    );
    assert!(
        server.receive(None, &first.data).is_err(),
        "the failure sticks"
    );
    let failed: Vec<_> = std::iter::from_fn(|| server.poll_event())
        .filter(|e| matches!(e, ServerEvent::Failed(_)))
        .collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(server.state(), RunspacePoolState::Broken);
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(24))]

    /// Whatever the payload size, every object arrives whole and in order.
    #[test]
    fn any_payload_size_delivers_the_same_objects(
        max_len in 22usize..600,
        texts in proptest::collection::vec("[a-zA-Z0-9 <>&\"]{0,300}", 1..6),
    ) {
        let mut pair = Pair::new(ServerOptions::default());
        pair.max_len = max_len;
        pair.open();
        let (pid, _) = pair.start(&PowerShellSpec::new(Command::new("Get-Thing")));
        for t in &texts {
            proptest::prop_assert!(pair.server.write_output(pid, PsValue::String(t.clone())).is_ok());
        }
        proptest::prop_assert!(pair
            .server
            .set_pipeline_state(pid, PSInvocationState::Completed, None)
            .is_ok());
        pair.drive();
        let got: Vec<String> = pair
            .take_client_events()
            .into_iter()
            .filter_map(|e| match e {
                Event::Output { value, .. } => value.as_str().map(str::to_owned),
                _ => None,
            })
            .collect();
        proptest::prop_assert_eq!(got, texts);
        proptest::prop_assert_eq!(
            pair.client.pipeline_state(pid).ok(),
            Some(PSInvocationState::Completed)
        );
    }
}

#[test]
fn windows_failed_pipeline_carries_its_error() {
    let (pool, events) = replay(
        "test_psrp_error_failed.yml",
        &PowerShellSpec::new(Command::new("Fake-Cmdlet")),
    );
    let last_state = events.iter().rev().find_map(|e| match e {
        Event::PipelineStateChanged { state, error, .. } => Some((*state, error.clone())),
        _ => None,
    });
    let Some((state, Some(error))) = last_state else {
        panic!("no failed state with an error: {last_state:?}")
    };
    assert_eq!(state, PSInvocationState::Failed);
    assert_eq!(
        error.fully_qualified_error_id(),
        Some("Microsoft.PowerShell.Commands.WriteErrorException")
    );
    assert_eq!(error.message(), Some("error"));
    assert_eq!(pool.finished_pipelines().count(), 1);
}
