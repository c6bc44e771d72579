//! `Pool` failover and retry rules against simulators: a dead first server, a server killed
//! while commands run, a state change whose answer is lost (never re-run) next to a read
//! under the same fault (retried), and a 503 before the command ran (retried).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use monosync_exchange::clixml::PsValue;
use monosync_exchange::exchange::{
    BlockingPool, Command, ErrorKind, Pool, PoolOptions, SessionError, SessionOptions,
};
use monosync_exchange::transport::{AuthMethod, Credentials};
use mx_sim::{Endpoint, FaultAction, FaultPlan, FaultRule, RunningServer, Server, SimConfig};

const ADMIN: &str = "Administrator";
const ADMIN_PW: &str = "P@ssw0rd!";
const JUSTIN: &str = "justin.martin";

fn options(servers: &[String], max_sessions: usize) -> PoolOptions {
    let session = SessionOptions::exchange(
        servers[0].clone(),
        AuthMethod::Ntlm,
        Credentials::new(format!("CONTOSO\\{ADMIN}"), ADMIN_PW),
    );
    let mut o = PoolOptions::with_servers(session, servers.iter().cloned());
    o.max_sessions = max_sessions;
    o.retry.base_delay = Duration::from_millis(20);
    o.retry.throttle_delay = Duration::from_millis(50);
    o
}

/// A URL where nothing listens: a port bound and released.
fn dead_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    format!("http://{addr}/PowerShell")
}

fn url(server: &RunningServer) -> String {
    server.url(Endpoint::PowerShell)
}

fn sam(v: &PsValue) -> Option<&str> {
    v.property("SamAccountName").and_then(PsValue::as_str)
}

fn get_justin() -> Command {
    Command::new("Get-Mailbox").param("Identity", JUSTIN)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_first_server_is_skipped() {
    let server = Server::start(SimConfig::default()).expect("server");
    let pool = Pool::new(options(&[dead_url(), url(&server)], 2)).expect("pool");
    for _ in 0..3 {
        let r = pool
            .invoke(get_justin())
            .await
            .expect("answered by the second");
        assert_eq!(sam(&r.output[0]), Some(JUSTIN));
    }
    let stats = pool.stats();
    assert_eq!(stats.opened_per_server, [0, 1]);
    assert_eq!(
        stats.retries, 0,
        "failover happens while opening, not by retry"
    );
    assert_eq!(server.request_log().count("Command"), 3);
    pool.close().await.expect("close");
    assert_eq!(server.shell_count(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_mid_run_fails_over_without_losing_reads() {
    let first = Server::start(SimConfig::default()).expect("first");
    let second = Server::start(SimConfig::default()).expect("second");
    let mut o = options(&[url(&first), url(&second)], 3);
    o.retry.max_attempts = 5;
    let pool = Pool::new(o).expect("pool");
    let done = Arc::new(AtomicUsize::new(0));
    let callers: Vec<_> = (0..12)
        .map(|_| {
            let (pool, done) = (pool.clone(), Arc::clone(&done));
            tokio::spawn(async move {
                for _ in 0..6 {
                    let r = pool.invoke(get_justin()).await?;
                    assert_eq!(sam(&r.output[0]), Some(JUSTIN));
                    done.fetch_add(1, Ordering::SeqCst);
                }
                Ok::<(), SessionError>(())
            })
        })
        .collect();
    // Kill the first server once a few commands went through it.
    while done.load(Ordering::SeqCst) < 10 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let before_kill = first.request_log().count("Command");
    first.shutdown();
    for caller in callers {
        caller.await.expect("task").expect("every read succeeds");
    }
    assert_eq!(done.load(Ordering::SeqCst), 72);
    let stats = pool.stats();
    println!("killed mid-run: {stats:?}, {before_kill} commands on the first");
    assert!(before_kill >= 10);
    assert!(stats.opened_per_server[0] >= 1);
    assert!(stats.opened_per_server[1] >= 1, "{stats:?}");
    assert!(second.request_log().count("Command") >= 1);
    assert!(second.shell_count() <= 3);
    pool.close().await.expect("close");
    assert_eq!(second.shell_count(), 0);
}

fn drop_next_receive(server: &RunningServer) {
    server.set_faults(FaultPlan {
        rules: vec![FaultRule {
            operation: "Receive".into(),
            nth: 1,
            count: 1,
            action: FaultAction::Drop,
        }],
    });
}

/// Waits until the pool has no session out (a background probe may still hold one).
async fn settle(pool: &Pool) {
    for _ in 0..200 {
        let s = pool.stats();
        if s.idle == s.sessions {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_answer_to_a_state_change_is_outcome_unknown_and_never_rerun() {
    let server = Server::start(SimConfig::default()).expect("server");
    let pool = Pool::new(options(&[url(&server)], 1)).expect("pool");
    pool.invoke(get_justin()).await.expect("warm the pool");

    drop_next_receive(&server);
    let commands = server.request_log().count("Command");
    let probes = pool.stats().probes;
    let err = pool
        .invoke(
            Command::new("New-MailContact")
                .param("Name", "Failover Contact")
                .param("ExternalEmailAddress", "failover.contact@fabrikam.example"),
        )
        .await
        .expect_err("the answer was lost");
    println!("state change with a dropped Receive: {err}");
    assert_eq!(err.kind(), ErrorKind::OutcomeUnknown);
    match &err {
        SessionError::OutcomeUnknown(inner) => assert_eq!(inner.kind(), ErrorKind::Transient),
        other => panic!("expected OutcomeUnknown, got {other:?}"),
    }
    settle(&pool).await;
    let stats = pool.stats();
    // Exactly one New-MailContact reached the server: every other Command was a probe.
    assert_eq!(
        server.request_log().count("Command") as u64,
        commands as u64 + 1 + (stats.probes - probes)
    );
    assert_eq!(stats.retries, 0);
    assert_eq!(
        server
            .exchange()
            .directory()
            .resolve("Failover Contact")
            .len(),
        1,
        "the command ran, once"
    );

    // The same fault under a read: it is retried and answered.
    drop_next_receive(&server);
    let r = pool.invoke(get_justin()).await.expect("retried read");
    assert_eq!(sam(&r.output[0]), Some(JUSTIN));
    assert_eq!(pool.stats().retries, 1);
    settle(&pool).await;
    pool.close().await.expect("close");
    assert_eq!(server.shell_count(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_503_before_the_command_ran_is_retried_even_for_a_state_change() {
    let server = Server::start(SimConfig::default()).expect("server");
    let pool = Pool::new(options(&[url(&server)], 1)).expect("pool");
    pool.invoke(get_justin()).await.expect("warm the pool");
    server.set_faults(FaultPlan {
        rules: vec![FaultRule {
            operation: "Command".into(),
            nth: 1,
            count: 1,
            action: FaultAction::Http503,
        }],
    });
    pool.invoke(
        Command::new("New-MailContact")
            .param("Name", "Retried Contact")
            .param("ExternalEmailAddress", "retried.contact@fabrikam.example"),
    )
    .await
    .expect("the refused command was sent again");
    assert_eq!(pool.stats().retries, 1);
    let refused = server
        .request_log()
        .entries()
        .iter()
        .filter(|e| e.operation == "Command" && e.status == 503)
        .count();
    assert_eq!(refused, 1);
    assert_eq!(
        server
            .exchange()
            .directory()
            .resolve("Retried Contact")
            .len(),
        1
    );
    settle(&pool).await;
    pool.close().await.expect("close");
}

#[test]
fn the_blocking_pool_fails_over_from_threads() {
    let server = Server::start(SimConfig::default()).expect("server");
    let pool = Arc::new(BlockingPool::new(options(&[dead_url(), url(&server)], 2)).expect("pool"));
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let pool = Arc::clone(&pool);
            std::thread::spawn(move || pool.invoke(get_justin()))
        })
        .collect();
    for t in threads {
        let r = t.join().expect("thread").expect("answered");
        assert_eq!(sam(&r.output[0]), Some(JUSTIN));
    }
    let stats = pool.stats();
    assert_eq!(stats.opened_per_server[0], 0);
    assert!((1..=2).contains(&stats.opened_per_server[1]));
    drop(pool);
    assert_eq!(
        server.shell_count(),
        0,
        "dropping the pool deleted its shells"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_connection_reconnects_to_the_same_server() {
    let first = Server::start(SimConfig::default()).expect("first");
    let second = Server::start(SimConfig::default()).expect("second");
    let pool = Pool::new(options(&[url(&first), url(&second)], 1)).expect("pool");
    pool.invoke(get_justin()).await.expect("warm the pool");
    let connections = |s: &RunningServer| {
        let mut ids: Vec<u64> = s
            .request_log()
            .entries()
            .iter()
            .map(|e| e.connection)
            .collect();
        ids.dedup();
        ids.len()
    };
    let before = connections(&first);
    drop_next_receive(&first);
    let r = pool.invoke(get_justin()).await.expect("retried read");
    assert_eq!(sam(&r.output[0]), Some(JUSTIN));
    settle(&pool).await;
    let stats = pool.stats();
    // The session's shell lives on the first server: it reconnected there, on a new
    // connection, and the second server never heard from the pool.
    assert_eq!(stats.opened_per_server, [1, 0], "{stats:?}");
    assert!(connections(&first) > before);
    assert!(second.request_log().entries().is_empty());
    assert_eq!(first.shell_count(), 1);
    pool.close().await.expect("close");
    assert_eq!(first.shell_count(), 0);
}
