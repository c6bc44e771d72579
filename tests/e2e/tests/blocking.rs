//! `BlockingSession`, the face the C ABI and the bindings use, against the simulator: one
//! handle shared by several threads, streaming through an iterator, cancel from another
//! thread, and the misuse that would otherwise hang.

use std::sync::Arc;
use std::time::Duration;

use monosync_exchange::exchange::{
    BlockingSession, Command, ErrorKind, ResultSize, SessionError, SessionOptions, StreamItem,
};
use monosync_exchange::transport::{AuthMethod, Credentials};
use mx_sim::{Endpoint, FaultAction, FaultPlan, FaultRule, RunningServer, Server, SimConfig};

fn connect(server: &RunningServer) -> BlockingSession {
    BlockingSession::connect(SessionOptions::exchange(
        server.url(Endpoint::PowerShell),
        AuthMethod::Ntlm,
        Credentials::new("CONTOSO\\Administrator", "P@ssw0rd!"),
    ))
    .expect("connect")
}

fn identity_of(item: &StreamItem) -> Option<String> {
    match item {
        StreamItem::Output(v) => v
            .property("SamAccountName")
            .and_then(|p| p.as_str())
            .map(str::to_owned),
        _ => None,
    }
}

#[test]
fn one_handle_serves_eight_threads() {
    let server = Server::start(SimConfig::default()).expect("server");
    let session = Arc::new(connect(&server));
    let names = ["justin.martin", "Administrator"];
    let threads: Vec<_> = (0..8)
        .map(|i| {
            let session = Arc::clone(&session);
            let name = names[i % names.len()];
            std::thread::spawn(move || {
                for _ in 0..5 {
                    let result = session
                        .invoke(Command::new("Get-User").param("Identity", name))
                        .expect("Get-User");
                    assert_eq!(result.output.len(), 1);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().expect("thread");
    }
    // One shell served all 40 calls, one at a time.
    assert_eq!(server.shell_count(), 1);
    // Exchange reports a missing object as a non-terminating error.
    let missing = session
        .invoke(Command::new("Get-Mailbox").param("Identity", "nobody-here"))
        .expect("completes");
    assert_eq!(missing.errors.len(), 1);
    assert_eq!(
        ErrorKind::of_record(&missing.errors[0]),
        ErrorKind::NotFound
    );
    session.close().expect("close");
    assert_eq!(server.shell_count(), 0);
    assert!(matches!(
        session.invoke(Command::new("Get-User")),
        Err(SessionError::Closed)
    ));
}

#[test]
fn stream_iterates_and_guards_against_waiting_on_itself() {
    let server = Server::start(SimConfig::default()).expect("server");
    let session = connect(&server);
    let mut stream = session
        .invoke_stream(Command::new("Get-User").param("ResultSize", "Unlimited"))
        .expect("stream");
    let first = stream.next().expect("an item").expect("ok");
    assert!(identity_of(&first).is_some());
    // The same thread may not start another call while its stream is open...
    assert!(matches!(
        session.invoke(Command::new("Get-User")),
        Err(SessionError::StreamOpen)
    ));
    let rest: Vec<_> = stream.by_ref().collect::<Result<_, _>>().expect("items");
    assert!(
        rest.iter().filter_map(identity_of).count() > 200,
        "the seeded users stream"
    );
    drop(stream);
    // ...and may once it is read to the end.
    let again = session
        .invoke(Command::new("Get-User").param("Identity", "justin.martin"))
        .expect("after the stream");
    assert_eq!(again.output.len(), 1);

    // A stream dropped early leaves its command to be ended before the next call.
    let mut partial = session
        .invoke_stream(Command::new("Get-User").param("ResultSize", "Unlimited"))
        .expect("stream");
    assert!(partial.next().is_some());
    drop(partial);
    let after = session
        .invoke(Command::new("Get-User").param("Identity", "justin.martin"))
        .expect("after an abandoned stream");
    assert_eq!(after.output.len(), 1);
}

#[test]
fn cancel_from_another_thread_stops_the_running_command() {
    let server = Server::start(SimConfig::default()).expect("server");
    let session = connect(&server);
    // The command's first Receive hangs on the server, so the cancel lands mid-request.
    server.set_faults(FaultPlan {
        rules: vec![FaultRule {
            operation: "Receive".into(),
            nth: 1,
            count: 1,
            action: FaultAction::Delay { ms: 10_000 },
        }],
    });
    let cancel = session.cancel_handle();
    let canceller = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        cancel.cancel();
    });
    let started = std::time::Instant::now();
    let err = session
        .invoke(Command::new("Get-User").param("Identity", "justin.martin"))
        .expect_err("cancelled");
    canceller.join().expect("thread");
    assert_eq!(err.kind(), ErrorKind::Cancelled, "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "the cancel did not wait for the delayed Receive"
    );
    server.set_faults(FaultPlan::default());
    let ok = session
        .invoke(Command::new("Get-User").param("Identity", "justin.martin"))
        .expect("usable after cancel");
    assert_eq!(ok.output.len(), 1);
}

#[test]
fn a_cancel_after_the_command_finished_still_ends_the_stream_cancelled() {
    let server = Server::start(SimConfig::default()).expect("server");
    let session = connect(&server);
    let mut stream = session
        .invoke_stream(Command::new("Get-Mailbox").result_size(ResultSize::Limit(5)))
        .expect("stream");
    let first = stream.next().expect("an item").expect("ok");
    assert!(identity_of(&first).is_some());
    // The whole output is buffered and the command ended on the server (its terminate
    // Signal was sent) before the reader asks to stop.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while server.request_log().count("Signal") == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the command never ended"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    session.cancel();
    let rest: Vec<_> = stream.by_ref().collect();
    let (last, before) = rest.split_last().expect("the stream ends with an error");
    assert!(before.iter().all(Result::is_ok), "{before:?}");
    match last {
        Err(e) => assert_eq!(e.kind(), ErrorKind::Cancelled, "{e}"),
        Ok(item) => panic!("ended cleanly with {item:?} after a cancel"),
    }
    assert!(stream.next().is_none(), "one error, then the end");
    drop(stream);
    let ok = session
        .invoke(Command::new("Get-User").param("Identity", "justin.martin"))
        .expect("usable after the cancelled stream");
    assert_eq!(ok.output.len(), 1);
}

#[tokio::test]
async fn blocking_calls_inside_a_runtime_are_refused() {
    let server = Server::start(SimConfig::default()).expect("server");
    let url = server.url(Endpoint::PowerShell);
    let err = BlockingSession::connect(SessionOptions::exchange(
        url,
        AuthMethod::Ntlm,
        Credentials::new("CONTOSO\\Administrator", "P@ssw0rd!"),
    ))
    .expect_err("refused");
    assert!(matches!(err, SessionError::InAsyncContext));
    assert_eq!(err.kind(), ErrorKind::Config);
}
