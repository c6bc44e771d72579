//! The machine against an in-memory server pool: no socket, time passed in.

use super::*;
use crate::clixml::{PsValue, hashtable};
use crate::exchange::Command;
use crate::psrp::messages::{CategoryInfo, InformationalRecord};
use crate::psrp::{ServerEvent, ServerOptions, ServerRunspacePool};
use crate::wsman::{Header, Response, ResponseHeader, Selector, WsManFault};

/// The ShellId the server assigns (never the one the client proposes).
const SHELL: Uuid = Uuid::from_u128(0x5e11);
/// The CommandId the server assigns to every command.
const COMMAND: Uuid = Uuid::from_u128(0xc0de);

struct Harness {
    shell: ShellClient,
    server: ServerRunspacePool,
    now: Instant,
    /// Key exchanges seen.
    keys: usize,
}

fn config() -> ShellConfig {
    ShellConfig::new(
        "http://ex01.corp.example/PowerShell/",
        "http://schemas.microsoft.com/powershell/Microsoft.Exchange",
    )
}

fn body(response: Response) -> Result<Vec<u8>, TransportError> {
    Ok(response.to_xml(&ResponseHeader::default()))
}

fn fault(fault: &WsManFault) -> Result<Vec<u8>, TransportError> {
    Ok(fault.to_xml(&ResponseHeader::default()))
}

fn record(id: &str, message: &str) -> ErrorRecord {
    ErrorRecord::new(
        &["System.Exception"],
        message,
        id,
        CategoryInfo {
            category: 0,
            activity: None,
            reason: None,
            target_name: None,
            target_type: None,
            message: None,
        },
        None,
    )
}

impl Harness {
    /// A shell opened against the server pool, its requests checked on the way.
    fn opened(config: ShellConfig) -> Harness {
        let mut h = Harness {
            shell: ShellClient::new(config),
            server: ServerRunspacePool::new(ServerOptions::default()),
            now: Instant::now(),
            keys: 0,
        };
        h.shell.open().expect("open");
        let (header, request) = h.next(Operation::Create);
        assert_eq!(header.shell_id().expect("selector"), None);
        assert_eq!(header.option("protocolversion"), Some("2.3"));
        let Request::Create {
            creation_xml: Some(data),
            shell_id,
            ..
        } = request
        else {
            panic!("a Create with creationXml");
        };
        assert_eq!(shell_id, Some(h.shell.pool().id()));
        h.server.receive(None, &data).expect("opening messages");
        while let Some(event) = h.server.poll_event() {
            match event {
                ServerEvent::SessionCapability { .. } => {
                    h.server.send_session_capability().expect("capability");
                }
                ServerEvent::InitRunspacePool { .. } => {
                    h.server
                        .send_application_private_data(hashtable(Vec::new()))
                        .expect("private data");
                    h.server
                        .set_state(RunspacePoolState::Opened, None)
                        .expect("opened");
                }
                _ => {}
            }
        }
        h.answer(Response::Created(CreateResponse {
            address: "http://ex01.corp.example/PowerShell/".into(),
            resource_uri: "http://schemas.microsoft.com/powershell/Microsoft.Exchange".into(),
            selectors: vec![Selector {
                name: "ShellId".into(),
                value: SHELL.to_string(),
            }],
            shell: None,
        }));
        let (header, request) = h.next(Operation::Receive);
        assert_eq!(header.shell_id().expect("selector"), Some(SHELL));
        assert!(matches!(
            request,
            Request::Receive {
                command_id: None,
                ..
            }
        ));
        h.answer_output(None);
        h.done();
        assert!(matches!(h.shell.poll_event(), Some(ShellEvent::Opened)));
        assert_eq!(h.shell.pool().state(), RunspacePoolState::Opened);
        assert_eq!(h.shell.shell_id(), Some(SHELL));
        h
    }

    /// The next request, which must be `operation`.
    fn next(&mut self, operation: Operation) -> (Header, Request) {
        let out = self.shell.poll_request(self.now).expect("a request");
        assert_eq!(out.operation, operation);
        assert!(
            self.shell.poll_request(self.now).is_none(),
            "one request at a time"
        );
        Request::parse(&out.body).expect("a request envelope")
    }

    fn answer(&mut self, response: Response) {
        self.shell.handle_response(body(response));
    }

    /// Answers a Receive with all the server queued for `command`.
    fn answer_output(&mut self, command: Option<Uuid>) {
        self.answer_receive(command, None);
    }

    fn answer_receive(&mut self, command: Option<Uuid>, state: Option<CommandStateKind>) {
        let mut streams = Vec::new();
        while let Some(t) = self.server.poll_transmit(100_000) {
            streams.push(StreamData::new(STDOUT, command, t.data));
        }
        self.answer(Response::Receive(ReceiveResponse {
            streams,
            command_state: state.map(|state| crate::wsman::CommandState {
                command_id: command,
                state,
                exit_code: None,
            }),
        }));
    }

    /// The work queued is done: nothing more to send.
    fn done(&mut self) {
        assert!(self.shell.poll_request(self.now).is_none());
    }

    /// Starts `command`: its Command gets [`COMMAND`] as CommandId. Returns the pipeline.
    fn start(&mut self, command: &str) -> Uuid {
        self.shell
            .invoke(Command::new(command).into())
            .expect("invoke");
        self.command()
    }

    /// Answers the Command of a new pipeline and delivers it to the server.
    fn command(&mut self) -> Uuid {
        let (header, request) = self.next(Operation::Command);
        assert_eq!(header.shell_id().expect("selector"), Some(SHELL));
        assert_eq!(header.option("WINRS_SKIP_CMD_SHELL"), Some("False"));
        let Request::Command {
            command_id: Some(pipeline),
            arguments: Some(data),
            ..
        } = request
        else {
            panic!("a Command with Arguments");
        };
        self.server
            .receive(Some(pipeline), &data)
            .expect("CREATE_PIPELINE");
        while self.server.poll_event().is_some() {}
        self.answer(Response::Command {
            command_id: COMMAND,
        });
        self.done();
        match self.events().as_slice() {
            [ShellEvent::Started { pipeline: p }] => assert_eq!(*p, pipeline),
            [
                ShellEvent::KeyExchanged,
                ShellEvent::Started { pipeline: p },
            ] => {
                assert_eq!(*p, pipeline);
                self.keys += 1;
            }
            other => panic!("expected Started, got {other:?}"),
        }
        pipeline
    }

    /// Expects a Signal with `code` for the server's CommandId and answers it.
    fn signal(&mut self, code: &str) {
        let (_, request) = self.next(Operation::Signal);
        assert_eq!(
            request,
            Request::Signal {
                command_id: Some(COMMAND),
                code: code.to_owned(),
            }
        );
        self.answer(Response::Signal);
    }

    /// Expects a Receive of the command's output (by the server's CommandId).
    fn receive(&mut self) -> Header {
        let (header, request) = self.next(Operation::Receive);
        assert_eq!(
            request,
            Request::Receive {
                desired_stream: STDOUT.to_owned(),
                command_id: Some(COMMAND),
            }
        );
        header
    }

    fn events(&mut self) -> Vec<ShellEvent> {
        std::iter::from_fn(|| self.shell.poll_event()).collect()
    }
}

#[test]
fn the_servers_ids_are_used_in_every_later_request() {
    let mut h = Harness::opened(config());
    let pipeline = h.start("Get-Thing");
    assert_ne!(pipeline, COMMAND);
    h.shell.read(pipeline).expect("read");
    let header = h.receive();
    assert_eq!(header.shell_id().expect("selector"), Some(SHELL));
    assert_eq!(
        header.option("WSMAN_CMDSHELL_OPTION_KEEPALIVE"),
        Some("True")
    );
    h.server
        .write_output(pipeline, PsValue::I32(7))
        .expect("output");
    h.server
        .set_pipeline_state(pipeline, PSInvocationState::Completed, None)
        .expect("state");
    h.answer_receive(Some(COMMAND), Some(CommandStateKind::Done));
    h.signal(signal::TERMINATE);
    h.done();
    let events = h.events();
    assert!(matches!(
        events.as_slice(),
        [
            ShellEvent::Item {
                item: StreamItem::Output(PsValue::I32(7)),
                ..
            },
            ShellEvent::Finished {
                state: PSInvocationState::Completed,
                error: None,
                ..
            },
        ]
    ));
    assert!(h.shell.pool().pipeline_state(pipeline).is_err(), "ended");
    // Open: Create, Receive. Command: Command, Receive, Signal.
    assert_eq!(h.shell.operations(), 5);
}

#[test]
fn a_timed_out_receive_is_an_empty_answer() {
    let mut h = Harness::opened(config());
    let pipeline = h.start("Get-Slow");
    h.shell.read(pipeline).expect("read");
    h.receive();
    h.shell
        .handle_response(fault(&WsManFault::timed_out("ex01")));
    h.done();
    assert!(matches!(
        h.events().as_slice(),
        [ShellEvent::Received { pipeline: p }] if *p == pipeline
    ));
    // Another fault is the read's failure, and the command is left to be stopped.
    h.shell.read(pipeline).expect("read");
    h.receive();
    h.shell
        .handle_response(fault(&WsManFault::access_denied("ex01")));
    h.done();
    assert!(matches!(
        h.events().as_slice(),
        [ShellEvent::Failed(SessionError::Fault(_))]
    ));
    assert_eq!(h.shell.abandoned, Some(pipeline));
}

#[test]
fn the_deadline_stops_a_silent_command_after_idle_receives() {
    let mut cfg = config();
    cfg.invoke_timeout = Some(Duration::from_secs(10));
    let mut h = Harness::opened(cfg);
    let started = h.now;
    let pipeline = h.start("Get-Forever");
    assert_eq!(h.shell.poll_timeout(), None, "nothing is awaited yet");
    h.shell.read(pipeline).expect("read");
    assert_eq!(
        h.shell.poll_timeout(),
        Some(started + Duration::from_secs(10))
    );
    let out = h.shell.poll_request(h.now).expect("the Receive");
    assert!(out.interruptible);
    h.shell.handle_timeout(started + Duration::from_secs(9));
    assert_eq!(h.shell.poll_request(h.now).map(|o| o.operation), None);
    h.shell.handle_timeout(started + Duration::from_secs(10));
    assert_eq!(h.shell.poll_timeout(), None);
    // The abandoned Receive's answer, should it come, is not taken.
    h.shell
        .handle_response(fault(&WsManFault::access_denied("ex01")));
    h.signal(signal::PS_CRTL_C);
    for _ in 0..STOP_IDLE_RECEIVES {
        let out = h.shell.poll_request(h.now).expect("a stop Receive");
        assert_eq!(out.operation, Operation::Receive);
        assert!(!out.interruptible);
        h.shell
            .handle_response(fault(&WsManFault::timed_out("ex01")));
    }
    h.signal(signal::TERMINATE);
    h.done();
    assert!(matches!(
        h.events().as_slice(),
        [ShellEvent::Failed(SessionError::Timeout(d))] if *d == Duration::from_secs(10)
    ));
    assert_eq!(
        h.shell.pool().pipeline_state(pipeline).ok(),
        Some(PSInvocationState::Stopping),
        "kept until the shell is closed"
    );
    assert_eq!(h.shell.abandoned, None);
}

#[test]
fn a_cancelled_read_stops_the_command_once_it_reports_stopped() {
    let mut h = Harness::opened(config());
    let pipeline = h.start("Get-Forever");
    h.shell.read(pipeline).expect("read");
    h.receive();
    h.shell.cancel();
    h.signal(signal::PS_CRTL_C);
    h.receive();
    h.server
        .set_pipeline_state(pipeline, PSInvocationState::Stopped, None)
        .expect("stopped");
    h.answer_output(Some(COMMAND));
    h.signal(signal::TERMINATE);
    h.done();
    assert!(matches!(
        h.events().as_slice(),
        [ShellEvent::Failed(SessionError::Cancelled)]
    ));
    assert!(h.shell.pool().pipeline_state(pipeline).is_err(), "ended");
    // Cancelling at other times does nothing.
    h.shell.cancel();
    h.done();
}

#[test]
fn an_abandoned_command_is_stopped_before_the_next_one() {
    let mut h = Harness::opened(config());
    let first = h.start("Get-Forever");
    h.shell.abandon(first);
    h.shell
        .invoke(Command::new("Get-Next").into())
        .expect("invoke");
    h.signal(signal::PS_CRTL_C);
    h.receive();
    h.server
        .write_output(first, PsValue::I32(1))
        .expect("output");
    h.server
        .set_pipeline_state(first, PSInvocationState::Stopped, None)
        .expect("stopped");
    h.answer_output(Some(COMMAND));
    h.signal(signal::TERMINATE);
    let second = h.command();
    assert_ne!(first, second);
    // The stopped command's output was discarded.
    assert!(h.events().is_empty());
    assert!(h.shell.pool().pipeline_state(first).is_err(), "ended");
}

#[test]
fn a_fault_while_stopping_the_abandoned_command_lets_the_next_one_run() {
    let mut h = Harness::opened(config());
    let first = h.start("Get-Forever");
    h.shell.abandon(first);
    h.shell
        .invoke(Command::new("Get-Next").into())
        .expect("invoke");
    let (_, request) = h.next(Operation::Signal);
    assert!(matches!(request, Request::Signal { .. }));
    h.shell
        .handle_response(fault(&WsManFault::unknown_command("ex01")));
    h.command();
}

#[test]
fn the_servers_capability_raises_the_envelope_unless_it_is_fixed() {
    let h = Harness::opened(config());
    assert_eq!(h.shell.max_envelope_size(), 512_000);
    let mut fixed = config();
    fixed.max_envelope_size = Some(153_600);
    let h = Harness::opened(fixed);
    assert_eq!(h.shell.max_envelope_size(), 153_600);
}

#[test]
fn the_create_carries_the_small_envelope_and_later_requests_the_large_one() {
    let mut h = Harness::opened(config());
    h.shell
        .invoke(Command::new("Get-Thing").into())
        .expect("invoke");
    let out = h.shell.poll_request(h.now).expect("the Command");
    assert_eq!(out.max_envelope, 512_000);
    let (header, _) = Request::parse(&out.body).expect("envelope");
    assert_eq!(header.max_envelope_size, Some(512_000));
}

#[test]
fn a_delete_that_failed_in_transit_is_sent_once_more() {
    let mut h = Harness::opened(config());
    h.shell.close().expect("close");
    let (header, _) = h.next(Operation::Delete);
    assert_eq!(header.shell_id().expect("selector"), Some(SHELL));
    h.shell
        .handle_response(Err(TransportError::Io("connection reset".into())));
    h.next(Operation::Delete);
    // The first one was done after all.
    h.shell.handle_response(fault(&WsManFault::unknown_shell(
        &SHELL.to_string(),
        "ex01",
    )));
    h.done();
    assert!(matches!(h.events().as_slice(), [ShellEvent::Deleted]));
    assert_eq!(h.shell.pool().state(), RunspacePoolState::Closed);
    assert!(matches!(
        h.shell.read(Uuid::new_v4()),
        Err(SessionError::Closed)
    ));
    assert!(h.shell.delete_request().is_none());
}

#[test]
fn a_delete_is_not_repeated_after_a_refusal_nor_more_than_once() {
    let mut h = Harness::opened(config());
    h.shell.close().expect("close");
    h.next(Operation::Delete);
    h.shell
        .handle_response(fault(&WsManFault::access_denied("ex01")));
    h.done();
    assert!(matches!(
        h.events().as_slice(),
        [ShellEvent::Failed(SessionError::Fault(_))]
    ));

    let mut h = Harness::opened(config());
    h.shell.close().expect("close");
    h.next(Operation::Delete);
    h.shell
        .handle_response(Err(TransportError::Io("connection reset".into())));
    h.next(Operation::Delete);
    h.shell
        .handle_response(Err(TransportError::Io("connection reset again".into())));
    h.done();
    match h.events().as_slice() {
        [ShellEvent::Failed(SessionError::Transport(TransportError::Io(m)))] => {
            assert_eq!(m, "connection reset", "the first failure is reported");
        }
        other => panic!("expected the first failure, got {other:?}"),
    }
}

#[test]
fn pipeline_events_become_items_in_order_and_the_state_ends_them() {
    let mut h = Harness::opened(config());
    let id = h.start("Get-Thing");
    h.server.write_output(id, PsValue::I32(7)).expect("output");
    h.server
        .write_warning(id, InformationalRecord::new("Warning", "careful"))
        .expect("warning");
    h.server
        .write_error(id, record("BadThing", "bad thing"))
        .expect("error");
    h.server
        .write_verbose(id, InformationalRecord::new("Verbose", "v"))
        .expect("verbose");
    h.server
        .write_debug(id, InformationalRecord::new("Debug", "d"))
        .expect("debug");
    h.server
        .set_pipeline_state(id, PSInvocationState::Completed, None)
        .expect("state");
    h.shell.read(id).expect("read");
    h.receive();
    h.answer_output(Some(COMMAND));
    h.signal(signal::TERMINATE);
    h.done();
    let events = h.events();
    let kinds: Vec<&str> = events
        .iter()
        .map(|e| match e {
            ShellEvent::Item { item, .. } => match item {
                StreamItem::Output(_) => "output",
                StreamItem::Warning(_) => "warning",
                StreamItem::Error(_) => "error",
                StreamItem::Verbose(_) => "verbose",
                StreamItem::Debug(_) => "debug",
                _ => "other",
            },
            ShellEvent::Finished { .. } => "finished",
            _ => "event",
        })
        .collect();
    assert_eq!(
        kinds,
        ["output", "warning", "error", "verbose", "debug", "finished"]
    );
    assert!(matches!(
        &events[2],
        ShellEvent::Item { item: StreamItem::Error(r), .. }
            if r.fully_qualified_error_id() == Some("BadThing")
    ));
}

#[test]
fn a_command_the_server_ended_early_is_an_error() {
    let mut h = Harness::opened(config());
    let id = h.start("Get-Thing");
    h.shell.read(id).expect("read");
    h.receive();
    h.answer_receive(Some(COMMAND), Some(CommandStateKind::Done));
    h.done();
    assert!(matches!(
        h.events().as_slice(),
        [ShellEvent::Failed(SessionError::CommandEndedEarly)]
    ));
    assert_eq!(h.shell.abandoned, Some(id));
}

#[test]
fn a_broken_pool_is_an_error_with_the_servers_record() {
    let mut h = Harness::opened(config());
    let id = h.start("Get-Thing");
    h.server
        .set_state(
            RunspacePoolState::Broken,
            Some(record("PSSessionStateBroken", "the worker process crashed")),
        )
        .expect("broken");
    h.shell.read(id).expect("read");
    h.receive();
    h.answer_output(None);
    h.done();
    match h.events().as_slice() {
        [ShellEvent::Failed(SessionError::PoolEnded { state, record })] => {
            assert_eq!(*state, RunspacePoolState::Broken);
            assert_eq!(
                record.as_ref().and_then(ErrorRecord::message),
                Some("the worker process crashed")
            );
        }
        other => panic!("expected PoolEnded, got {other:?}"),
    }
}

#[test]
fn a_secure_string_runs_the_key_exchange_once() {
    let mut h = Harness::opened(config());
    let secret = || {
        Command::new("Set-Thing")
            .secure("Password", "s3cret")
            .into()
    };
    h.shell.invoke(secret()).expect("invoke");
    let (_, request) = h.next(Operation::Send);
    let Request::Send { streams } = request else {
        panic!("a Send");
    };
    assert_eq!(streams[0].command_id, None, "PUBLIC_KEY goes to the shell");
    h.server
        .receive(None, &streams[0].data)
        .expect("PUBLIC_KEY");
    while let Some(event) = h.server.poll_event() {
        if let ServerEvent::PublicKey = event {
            h.server.send_session_key().expect("session key");
        }
    }
    h.answer(Response::Send);
    let (_, request) = h.next(Operation::Receive);
    assert!(matches!(
        request,
        Request::Receive {
            command_id: None,
            ..
        }
    ));
    h.answer_output(None);
    h.command();
    assert_eq!(h.keys, 1);
    assert!(h.shell.pool().has_session_key());
    h.shell.invoke(secret()).expect("invoke");
    h.command();
    assert_eq!(h.keys, 1, "one key for the session");
}

#[test]
fn final_states() {
    assert!(is_final(PSInvocationState::Completed));
    assert!(is_final(PSInvocationState::Failed));
    assert!(is_final(PSInvocationState::Stopped));
    assert!(!is_final(PSInvocationState::Running));
    assert!(!is_final(PSInvocationState::Stopping));
}
