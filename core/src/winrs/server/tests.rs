//! The shell machine without sockets: requests in, answers and events out, time injected.

use std::time::{Duration, Instant};

use uuid::Uuid;

use super::{Answer, Client, Outcome, ServerConfig, ShellEvent, ShellServer};
use crate::clixml::PsValue;
use crate::psrp::{
    Command, Event, PSInvocationState, PowerShellSpec, RunspacePool, RunspacePoolOptions,
    RunspacePoolState,
};
use crate::wsman::namespaces::{RESOURCE_POWERSHELL, signal};
use crate::wsman::{Header, Request, Response};

const USER: &str = "alice";

fn client() -> Client<'static> {
    Client {
        user: USER,
        resource_uri: RESOURCE_POWERSHELL,
    }
}

/// A client runspace pool talking to one shell of the machine.
struct Harness {
    server: ShellServer,
    pool: RunspacePool,
    shell: Uuid,
    now: Instant,
}

fn header(shell: Option<Uuid>) -> Header {
    let h = Header::new(
        "http://ex01/wsman",
        RESOURCE_POWERSHELL,
        Uuid::new_v4(),
        512_000,
    );
    match shell {
        Some(id) => h.with_shell_id(id),
        None => h,
    }
}

fn ok(outcome: Outcome) -> Response {
    match outcome {
        Outcome::Answer(Answer { status: 200, body }) => {
            Response::parse(&body).expect("a response").1
        }
        other => panic!("expected an answer, got {other:?}"),
    }
}

fn fault_name(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Answer(Answer { status: 500, body }) => {
            let text = String::from_utf8_lossy(body);
            ["TimedOut", "InvalidSelectors", "AccessDenied", "QuotaLimit"]
                .into_iter()
                .find(|n| text.contains(n))
                .unwrap_or("other")
                .to_owned()
        }
        other => panic!("expected a fault, got {other:?}"),
    }
}

impl Harness {
    fn open(config: ServerConfig) -> Self {
        let mut server = ShellServer::new(config);
        let mut pool = RunspacePool::new(RunspacePoolOptions::new(Uuid::new_v4()));
        pool.open().expect("opens");
        let mut creation = Vec::new();
        while let Some(t) = pool.poll_transmit(100_000) {
            creation.extend_from_slice(&t.data);
        }
        let now = Instant::now();
        let create = Request::Create {
            shell_id: Some(pool.id()),
            name: None,
            idle_timeout: None,
            input_streams: vec!["stdin".into(), "pr".into()],
            output_streams: vec!["stdout".into()],
            creation_xml: Some(creation),
        };
        let created = server.handle_request(now, &client(), &header(None), create);
        assert!(matches!(ok(created), Response::Created(_)));
        let shell = pool.id();
        assert!(matches!(
            server.poll_event(),
            Some(ShellEvent::ShellCreated { shell: s, .. }) if s == shell
        ));
        let mut h = Harness {
            server,
            pool,
            shell,
            now,
        };
        let opened = h.receive(None, Duration::from_secs(5));
        h.feed(&opened);
        assert_eq!(h.pool.state(), RunspacePoolState::Opened);
        h
    }

    fn request(&mut self, request: Request) -> Outcome {
        let h = header(Some(self.shell));
        self.server.handle_request(self.now, &client(), &h, request)
    }

    fn receive_request(&mut self, command: Option<Uuid>, timeout: Duration) -> Outcome {
        let mut h = header(Some(self.shell));
        h.operation_timeout = Some(timeout);
        let request = Request::Receive {
            desired_stream: "stdout".into(),
            command_id: command,
        };
        self.server.handle_request(self.now, &client(), &h, request)
    }

    /// A Receive that has output now.
    fn receive(&mut self, command: Option<Uuid>, timeout: Duration) -> Response {
        ok(self.receive_request(command, timeout))
    }

    fn feed(&mut self, response: &Response) {
        let Response::Receive(r) = response else {
            panic!("not a ReceiveResponse: {response:?}");
        };
        for s in &r.streams {
            self.pool
                .receive(s.command_id, &s.data)
                .expect("client reads");
        }
    }

    /// Starts a pipeline and returns its id, with the machine's PipelineCreated seen.
    fn command(&mut self, name: &str) -> Uuid {
        let pid = self
            .pool
            .create_pipeline(&PowerShellSpec::new(Command::new(name)))
            .expect("pool open");
        let mut arguments = Vec::new();
        while let Some(t) = self.pool.poll_transmit(100_000) {
            arguments.extend_from_slice(&t.data);
        }
        let request = Request::Command {
            command_id: Some(pid),
            command: String::new(),
            arguments: Some(arguments),
        };
        assert!(matches!(
            ok(self.request(request)),
            Response::Command { command_id } if command_id == pid
        ));
        let created = std::iter::from_fn(|| self.server.poll_event())
            .any(|e| matches!(e, ShellEvent::PipelineCreated { pipeline, .. } if pipeline == pid));
        assert!(created);
        pid
    }

    fn pool_mut(&mut self) -> &mut crate::psrp::ServerRunspacePool {
        self.server.shell_mut(self.shell).expect("shell").pool_mut()
    }
}

#[test]
fn receive_waits_then_times_out_after_the_operation_timeout() {
    let mut h = Harness::open(ServerConfig::default());
    let pid = h.command("Get-Date");
    let Outcome::Pending(id) = h.receive_request(Some(pid), Duration::from_secs(10)) else {
        panic!("nothing to receive yet");
    };
    assert!(
        std::iter::from_fn(|| h.server.poll_event())
            .any(|e| matches!(e, ShellEvent::OutputWanted { pipeline: Some(p), .. } if p == pid))
    );
    let deadline = h.server.poll_timeout().expect("a Receive waits");
    assert_eq!(deadline, h.now + Duration::from_secs(10));
    h.server.handle_timeout(h.now + Duration::from_secs(9));
    assert_eq!(h.server.answer(id), None);
    h.server.handle_timeout(deadline);
    let answer = h.server.answer(id).expect("answered at the deadline");
    assert_eq!(fault_name(&Outcome::Answer(answer)), "TimedOut");
    assert_eq!(h.server.answer(id), None);
}

#[test]
fn output_completes_a_waiting_receive() {
    let mut h = Harness::open(ServerConfig::default());
    let pid = h.command("Get-Date");
    let Outcome::Pending(id) = h.receive_request(Some(pid), Duration::from_secs(60)) else {
        panic!("nothing to receive yet");
    };
    assert_eq!(h.server.poll_answer(), None);
    h.pool_mut()
        .write_output(pid, PsValue::String("today".into()))
        .expect("running");
    h.pool_mut()
        .set_pipeline_state(pid, PSInvocationState::Completed, None)
        .expect("running");
    let (done, answer) = h.server.poll_answer().expect("output arrived");
    assert_eq!(done, id);
    let response = ok(Outcome::Answer(answer));
    h.feed(&response);
    let Response::Receive(r) = &response else {
        unreachable!()
    };
    assert!(
        r.command_state.is_some(),
        "the final state ends the command"
    );
    let events: Vec<Event> = std::iter::from_fn(|| h.pool.poll_event()).collect();
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::Output { value, .. }
        if *value == PsValue::String("today".into())))
    );
}

#[test]
fn unknown_shell_and_command_are_invalid_selectors() {
    let mut h = Harness::open(ServerConfig::default());
    let stranger = header(Some(Uuid::new_v4()));
    let outcome = h
        .server
        .handle_request(h.now, &client(), &stranger, Request::Delete);
    assert_eq!(fault_name(&outcome), "InvalidSelectors");
    let outcome = h.receive_request(Some(Uuid::new_v4()), Duration::from_secs(1));
    assert_eq!(fault_name(&outcome), "InvalidSelectors");
    let outcome = h.request(Request::Signal {
        command_id: Some(Uuid::new_v4()),
        code: signal::TERMINATE.into(),
    });
    assert_eq!(fault_name(&outcome), "InvalidSelectors");
    // Another user's shell is as unknown as a missing one.
    let bob = Client {
        user: "bob",
        resource_uri: RESOURCE_POWERSHELL,
    };
    let outcome = h
        .server
        .handle_request(h.now, &bob, &header(Some(h.shell)), Request::Delete);
    assert_eq!(fault_name(&outcome), "InvalidSelectors");
}

#[test]
fn terminate_ends_a_command() {
    let mut h = Harness::open(ServerConfig::default());
    let pid = h.command("Get-Date");
    let Outcome::Pending(id) = h.receive_request(Some(pid), Duration::from_secs(60)) else {
        panic!("nothing to receive yet");
    };
    let signalled = h.request(Request::Signal {
        command_id: Some(pid),
        code: signal::TERMINATE.into(),
    });
    assert!(matches!(ok(signalled), Response::Signal));
    assert!(
        std::iter::from_fn(|| h.server.poll_event())
            .any(|e| matches!(e, ShellEvent::PipelineEnded { pipeline, .. } if pipeline == pid))
    );
    assert!(!h.server.shell(h.shell).expect("shell").has_command(pid));
    let answer = h.server.answer(id).expect("the waiting Receive ends");
    assert_eq!(fault_name(&Outcome::Answer(answer)), "InvalidSelectors");
    let outcome = h.receive_request(Some(pid), Duration::from_secs(1));
    assert_eq!(fault_name(&outcome), "InvalidSelectors");
}

#[test]
fn ctrl_c_asks_the_host_to_stop() {
    let mut h = Harness::open(ServerConfig::default());
    let pid = h.command("Get-Date");
    let signalled = h.request(Request::Signal {
        command_id: Some(pid),
        code: signal::PS_CTRL_C.into(),
    });
    assert!(matches!(ok(signalled), Response::Signal));
    assert!(matches!(
        h.server.poll_event(),
        Some(ShellEvent::StopRequested { pipeline, .. }) if pipeline == pid
    ));
}

#[test]
fn delete_removes_the_shell() {
    let mut h = Harness::open(ServerConfig::default());
    assert_eq!(h.server.shell_count(), 1);
    let Outcome::Pending(id) = h.receive_request(None, Duration::from_secs(60)) else {
        panic!("nothing to receive yet");
    };
    assert!(matches!(ok(h.request(Request::Delete)), Response::Delete));
    assert_eq!(h.server.shell_count(), 0);
    assert!(
        std::iter::from_fn(|| h.server.poll_event())
            .any(|e| matches!(e, ShellEvent::ShellDeleted { shell } if shell == h.shell))
    );
    let answer = h.server.answer(id).expect("the shell went away");
    assert_eq!(fault_name(&Outcome::Answer(answer)), "InvalidSelectors");
    let outcome = h.request(Request::Delete);
    assert_eq!(fault_name(&outcome), "InvalidSelectors");
}

#[test]
fn output_larger_than_an_envelope_takes_several_receives() {
    let config = ServerConfig {
        max_envelope_size: 8_192,
        ..ServerConfig::default()
    };
    let mut h = Harness::open(config);
    let pid = h.command("Get-Content");
    let line = "x".repeat(1_000);
    for _ in 0..40 {
        h.pool_mut()
            .write_output(pid, PsValue::String(line.clone()))
            .expect("running");
    }
    h.pool_mut()
        .set_pipeline_state(pid, PSInvocationState::Completed, None)
        .expect("running");
    let mut receives = 0;
    loop {
        let Outcome::Answer(answer) = h.receive_request(Some(pid), Duration::from_secs(1)) else {
            panic!("output is there");
        };
        assert!(answer.body.len() <= 8_192, "{} bytes", answer.body.len());
        receives += 1;
        let response = ok(Outcome::Answer(answer));
        h.feed(&response);
        let Response::Receive(r) = response else {
            unreachable!()
        };
        if r.command_state.is_some() {
            break;
        }
    }
    assert!(receives > 4, "{receives} receives");
    let outputs = std::iter::from_fn(|| h.pool.poll_event())
        .filter(|e| matches!(e, Event::Output { .. }))
        .count();
    assert_eq!(outputs, 40);
}

#[test]
fn idle_shells_are_deleted_when_their_timeout_passes() {
    let config = ServerConfig {
        idle_timeout: Duration::from_secs(30),
        ..ServerConfig::default()
    };
    let mut h = Harness::open(config);
    assert_eq!(
        h.server.poll_timeout(),
        Some(h.now + Duration::from_secs(30))
    );
    h.server.handle_timeout(h.now + Duration::from_secs(29));
    assert_eq!(h.server.shell_count(), 1);
    h.server.handle_timeout(h.now + Duration::from_secs(30));
    assert_eq!(h.server.shell_count(), 0);
}

#[test]
fn a_create_pipeline_split_over_command_and_send_makes_one_command() {
    let mut h = Harness::open(ServerConfig::default());
    let spec =
        PowerShellSpec::new(Command::new("Get-Mailbox").param("Identity", "x".repeat(4_000)));
    let pid = h.pool.create_pipeline(&spec).expect("pool open");
    let mut fragments = Vec::new();
    while let Some(t) = h.pool.poll_transmit(1_000) {
        fragments.push(t.data);
    }
    assert!(fragments.len() > 1, "{} fragments", fragments.len());
    let rest = fragments.split_off(1);
    let command = Request::Command {
        command_id: Some(pid),
        command: String::new(),
        arguments: fragments.pop(),
    };
    assert!(matches!(ok(h.request(command)), Response::Command { .. }));
    assert!(h.server.shell(h.shell).expect("shell").has_command(pid));
    let send = Request::Send {
        streams: vec![crate::wsman::StreamData::new(
            "stdin",
            Some(pid),
            rest.concat(),
        )],
    };
    assert!(matches!(ok(h.request(send)), Response::Send));
    let created = std::iter::from_fn(|| h.server.poll_event())
        .filter(|e| matches!(e, ShellEvent::PipelineCreated { pipeline, .. } if *pipeline == pid))
        .count();
    assert_eq!(created, 1);
}
