//! `Pool` against the simulator: many callers on a capped pool, idle sessions closed, long-idle
//! sessions probed, broken ones rebuilt, and shell creation throttled by the server.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use monosync_exchange::clixml::PsValue;
use monosync_exchange::exchange::{
    BlockingPool, Command, ErrorKind, Pool, PoolOptions, Session, SessionError, SessionOptions,
    StreamItem,
};
use monosync_exchange::transport::{AuthMethod, Credentials};
use mx_sim::exchange::directory::Directory;
use mx_sim::exchange::{BoundArg, Exchange};
use mx_sim::winrm::ServiceConfig;
use mx_sim::{Endpoint, FaultAction, FaultPlan, FaultRule, RunningServer, Server, SimConfig};

const ADMIN: &str = "Administrator";
const ADMIN_PW: &str = "P@ssw0rd!";
/// Seeded mailboxes.
const MAILBOXES: [&str; 2] = ["justin.martin", "Administrator"];

fn session_options(server: &RunningServer) -> SessionOptions {
    SessionOptions::exchange(
        server.url(Endpoint::PowerShell),
        AuthMethod::Ntlm,
        Credentials::new(format!("CONTOSO\\{ADMIN}"), ADMIN_PW),
    )
}

fn pool_options(server: &RunningServer, max_sessions: usize) -> PoolOptions {
    let mut o = PoolOptions::new(session_options(server));
    o.max_sessions = max_sessions;
    o.retry.base_delay = Duration::from_millis(20);
    o.retry.throttle_delay = Duration::from_millis(50);
    o
}

fn sam(v: &PsValue) -> Option<&str> {
    v.property("SamAccountName").and_then(PsValue::as_str)
}

/// Samples the server's shell count until stopped, keeping the highest.
fn watch_shells(server: &Arc<RunningServer>) -> (Arc<AtomicUsize>, tokio::task::JoinHandle<()>) {
    let peak = Arc::new(AtomicUsize::new(0));
    let (server, seen) = (Arc::clone(server), Arc::clone(&peak));
    let task = tokio::spawn(async move {
        loop {
            seen.fetch_max(server.shell_count(), Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    });
    (peak, task)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_callers_share_a_capped_pool_and_all_get_their_answer() {
    let server = Arc::new(Server::start(SimConfig::default()).expect("server"));
    let pool = Pool::new(pool_options(&server, 4)).expect("pool");
    let (peak, watcher) = watch_shells(&server);
    let callers: Vec<_> = (0..50)
        .map(|i| {
            let pool = pool.clone();
            let who = MAILBOXES[i % 2];
            tokio::spawn(async move {
                let r = pool
                    .invoke(Command::new("Get-Mailbox").param("Identity", who))
                    .await;
                (who, r)
            })
        })
        .collect();
    for caller in callers {
        let (who, r) = caller.await.expect("caller task");
        let r = r.expect("every caller gets its answer");
        assert_eq!(r.output.len(), 1);
        assert_eq!(sam(&r.output[0]), Some(who));
    }
    watcher.abort();
    let stats = pool.stats();
    println!(
        "50 callers: {stats:?}, peak shells {}",
        peak.load(Ordering::SeqCst)
    );
    assert!(
        peak.load(Ordering::SeqCst) <= 4,
        "peak {}",
        peak.load(Ordering::SeqCst)
    );
    assert!(stats.opened <= 4 && stats.opened >= 1, "{stats:?}");
    assert_eq!(stats.retries, 0);
    let log = server.request_log();
    assert!(log.count("Create") <= 4, "{} Creates", log.count("Create"));
    // One Command per caller: nothing lost, nothing sent twice.
    assert_eq!(log.count("Command"), 50);
    pool.close().await.expect("close");
    assert_eq!(server.shell_count(), 0);
    assert_eq!(pool.stats().sessions, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_sessions_are_closed_and_reopened_on_demand() {
    let server = Server::start(SimConfig::default()).expect("server");
    let mut options = pool_options(&server, 2);
    options.idle_close = Duration::from_millis(300);
    let pool = Pool::new(options).expect("pool");
    let get = |who: &'static str| {
        let pool = pool.clone();
        async move {
            pool.invoke(Command::new("Get-Mailbox").param("Identity", who))
                .await
        }
    };
    let (a, b) = tokio::join!(get(MAILBOXES[0]), get(MAILBOXES[1]));
    a.expect("first");
    b.expect("second");
    let opened = pool.stats().opened;
    assert!(opened >= 1);
    assert_eq!(server.shell_count() as u64, opened);
    let deadline = Instant::now() + Duration::from_secs(5);
    while server.shell_count() > 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(server.shell_count(), 0, "idle shells were deleted");
    let stats = pool.stats();
    assert_eq!(stats.idle_closed, opened);
    assert_eq!(stats.sessions, 0);
    assert_eq!(stats.idle, 0);
    // The pool still works: it opens a session again.
    get(MAILBOXES[0]).await.expect("after the idle close");
    assert_eq!(pool.stats().opened, opened + 1);
    assert_eq!(server.shell_count(), 1);
    pool.close().await.expect("close");
    assert_eq!(server.shell_count(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_idle_session_is_probed_before_reuse() {
    let server = Server::start(SimConfig::default()).expect("server");
    let mut options = pool_options(&server, 1);
    options.probe_after_idle = Duration::from_millis(200);
    let pool = Pool::new(options).expect("pool");
    let get = || pool.invoke(Command::new("Get-Mailbox").param("Identity", MAILBOXES[0]));
    get().await.expect("first");
    get().await.expect("second, at once");
    assert_eq!(pool.stats().probes, 0);
    let commands = server.request_log().count("Command");
    tokio::time::sleep(Duration::from_millis(400)).await;
    get().await.expect("after a rest");
    let stats = pool.stats();
    assert_eq!(stats.probes, 1);
    assert_eq!(stats.opened, 1, "the probe found the session alive");
    // The probe and the command.
    assert_eq!(server.request_log().count("Command"), commands + 2);
    pool.close().await.expect("close");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_sessions_are_rebuilt() {
    let server = Server::start(SimConfig::default()).expect("server");
    let pool = Pool::new(pool_options(&server, 1)).expect("pool");
    let get = || pool.invoke(Command::new("Get-Mailbox").param("Identity", MAILBOXES[1]));
    get().await.expect("before the break");
    assert_eq!(pool.stats().opened, 1);
    // The worker crashes: every runspace breaks while the next Receive is handled.
    server.set_faults(FaultPlan {
        rules: vec![FaultRule {
            operation: "Receive".into(),
            nth: 1,
            count: 1,
            action: FaultAction::BreakRunspace,
        }],
    });
    for _ in 0..2 {
        let r = get().await.expect("answered on a rebuilt session");
        assert_eq!(sam(&r.output[0]), Some(MAILBOXES[1]));
    }
    let stats = pool.stats();
    println!("after the break: {stats:?}");
    assert_eq!(stats.opened, 2, "{stats:?}");
    assert_eq!(stats.discarded, 1, "{stats:?}");
    assert_eq!(stats.sessions, 1);
    assert_eq!(server.shell_count(), 1, "the broken shell was deleted");
    pool.close().await.expect("close");
    assert_eq!(server.shell_count(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shell_quota_makes_callers_wait_for_pooled_sessions() {
    // The server grants two shells where the pool would open six.
    let config = SimConfig {
        service: ServiceConfig {
            max_shells_per_user: 2,
            ..ServiceConfig::default()
        },
        ..SimConfig::default()
    };
    let server = Arc::new(Server::start(config).expect("server"));
    let pool = Pool::new(pool_options(&server, 6)).expect("pool");
    let (peak, watcher) = watch_shells(&server);
    let callers: Vec<_> = (0..20)
        .map(|i| {
            let pool = pool.clone();
            tokio::spawn(async move {
                pool.invoke(Command::new("Get-Mailbox").param("Identity", MAILBOXES[i % 2]))
                    .await
            })
        })
        .collect();
    for caller in callers {
        let r = caller.await.expect("task").expect("no caller fails");
        assert_eq!(r.output.len(), 1);
    }
    watcher.abort();
    let stats = pool.stats();
    let refused = server
        .request_log()
        .entries()
        .iter()
        .filter(|e| e.operation == "Create" && e.status == 500)
        .count();
    println!("quota of 2: {stats:?}, {refused} refused Creates");
    assert!(refused >= 1, "the quota was hit");
    assert!(peak.load(Ordering::SeqCst) <= 2);
    assert_eq!(stats.opened, 2);
    assert_eq!(server.request_log().count("Command"), 20);
    pool.close().await.expect("close");
    assert_eq!(server.shell_count(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_throttled_shell_creation_is_retried_after_a_backoff() {
    let config = SimConfig {
        service: ServiceConfig {
            max_shells_per_user: 1,
            ..ServiceConfig::default()
        },
        ..SimConfig::default()
    };
    let server = Server::start(config).expect("server");
    // Another client of the same account holds the only shell for a while.
    let other = Session::connect(session_options(&server))
        .await
        .expect("the other client");
    let mut options = pool_options(&server, 1);
    options.retry.max_attempts = 6;
    options.retry.throttle_delay = Duration::from_millis(200);
    let pool = Pool::new(options).expect("pool");
    let release = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        other.close().await.expect("the other client leaves");
    });
    let started = Instant::now();
    let r = pool
        .invoke(Command::new("Get-Mailbox").param("Identity", MAILBOXES[0]))
        .await
        .expect("answered once the shell is free");
    let took = started.elapsed();
    release.await.expect("release");
    assert_eq!(sam(&r.output[0]), Some(MAILBOXES[0]));
    let stats = pool.stats();
    let refused: Vec<u64> = server
        .request_log()
        .entries()
        .iter()
        .filter(|e| e.operation == "Create" && e.status == 500)
        .map(|e| e.at_ms)
        .collect();
    println!("throttled: {stats:?}, refused at {refused:?}, took {took:?}");
    assert!(stats.retries >= 1 && !refused.is_empty());
    assert!(took >= Duration::from_millis(300));
    // Backoff between refused attempts: at least half the first delay.
    for pair in refused.windows(2) {
        assert!(pair[1] - pair[0] >= 100, "{refused:?}");
    }
    pool.close().await.expect("close");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_caller_gives_up_waiting_after_the_acquire_timeout() {
    let server = Server::start(SimConfig::default()).expect("server");
    let mut options = pool_options(&server, 1);
    options.acquire_timeout = Some(Duration::from_millis(200));
    let pool = Pool::new(options).expect("pool");
    pool.invoke(Command::new("Get-Mailbox").param("Identity", MAILBOXES[0]))
        .await
        .expect("warm the pool");
    // The only session is busy for 1.5 s.
    server.set_faults(FaultPlan {
        rules: vec![FaultRule {
            operation: "Receive".into(),
            nth: 1,
            count: 1,
            action: FaultAction::Delay { ms: 1500 },
        }],
    });
    let slow = {
        let pool = pool.clone();
        tokio::spawn(async move {
            pool.invoke(Command::new("Get-Mailbox").param("Identity", MAILBOXES[1]))
                .await
        })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = Instant::now();
    let e = pool
        .invoke(Command::new("Get-Mailbox").param("Identity", MAILBOXES[0]))
        .await
        .expect_err("no session within the limit");
    let waited = started.elapsed();
    assert!(
        matches!(e, SessionError::Timeout(d) if d == Duration::from_millis(200)),
        "{e}"
    );
    assert!(
        waited >= Duration::from_millis(200) && waited < Duration::from_millis(1000),
        "{waited:?}"
    );
    assert_eq!(
        pool.stats().retries,
        0,
        "a caller's own limit is not retried"
    );
    let r = slow
        .await
        .expect("task")
        .expect("the slow command still ends");
    assert_eq!(sam(&r.output[0]), Some(MAILBOXES[1]));
    pool.close().await.expect("close");
}

/// A server over a generated organisation of `recipients`, with how many mailboxes
/// `Get-Mailbox -ResultSize Unlimited` returns there.
fn generated_server(recipients: usize) -> (Arc<RunningServer>, usize) {
    let rbac = Exchange::from_seed_json(mx_sim::DEFAULT_SEED)
        .expect("seed")
        .rbac()
        .clone();
    let mut exchange = Exchange::with_rbac(Directory::generate(recipients, 5), rbac);
    let expected = exchange
        .invoke("Get-Mailbox", &[BoundArg::named("ResultSize", "Unlimited")])
        .output
        .len();
    let server = Server::start(SimConfig {
        exchange: Some(exchange),
        ..SimConfig::default()
    })
    .expect("server");
    (Arc::new(server), expected)
}

fn get_all() -> Command {
    Command::new("Get-Mailbox").param("ResultSize", "Unlimited")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_holds_one_session_while_other_callers_share_the_rest() {
    let (server, expected) = generated_server(1000);
    assert!(expected > 500, "{expected}");
    let pool = Pool::new(pool_options(&server, 2)).expect("pool");
    let (peak, watcher) = watch_shells(&server);
    let mut stream = pool.invoke_stream(get_all()).await.expect("started");
    let callers: Vec<_> = (0..12)
        .map(|_| {
            let pool = pool.clone();
            tokio::spawn(async move {
                let r = pool
                    .invoke(Command::new("Get-Mailbox").param("ResultSize", 1))
                    .await
                    .expect("a caller beside the stream");
                assert_eq!(r.output.len(), 1);
                assert!(sam(&r.output[0]).is_some());
            })
        })
        .collect();
    let mut outputs = 0usize;
    while let Some(item) = stream.next().await {
        if let StreamItem::Output(v) = item.expect("item") {
            assert!(sam(&v).is_some());
            outputs += 1;
        }
    }
    drop(stream);
    for caller in callers {
        caller.await.expect("caller task");
    }
    watcher.abort();
    assert_eq!(outputs, expected);
    let peak = peak.load(Ordering::SeqCst);
    assert!(peak <= 2, "peak {peak}");
    let stats = pool.stats();
    assert_eq!(stats.retries, 0, "{stats:?}");
    assert_eq!(stats.discarded, 0, "{stats:?}");
    // The stream's session went back to the pool: at most two ever opened.
    assert!(stats.opened <= 2, "{stats:?}");
    assert_eq!(server.request_log().count("Command"), 13);
    pool.close().await.expect("close");
    assert_eq!(server.shell_count(), 0);
}

#[test]
fn a_blocking_stream_cancelled_from_another_thread_frees_its_session() {
    let (server, expected) = generated_server(1000);
    let pool = Arc::new(BlockingPool::new(pool_options(&server, 2)).expect("pool"));
    let peak = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let watcher = {
        let (server, peak, stop) = (Arc::clone(&server), Arc::clone(&peak), Arc::clone(&stop));
        std::thread::spawn(move || {
            while !stop.load(Ordering::SeqCst) {
                peak.fetch_max(server.shell_count(), Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(2));
            }
        })
    };
    let mut stream = pool.invoke_stream(get_all()).expect("started");
    let cancel = stream.cancel_handle();
    let mut seen = 0usize;
    let mut canceller = None;
    let end = loop {
        match stream.next() {
            Some(Ok(_)) => {
                seen += 1;
                if seen == 50 {
                    let cancel = cancel.clone();
                    canceller = Some(std::thread::spawn(move || cancel.cancel()));
                }
                // Meanwhile, the other session serves other callers.
                if seen == 60 {
                    let r = pool
                        .invoke(Command::new("Get-Mailbox").param("ResultSize", 1))
                        .expect("a caller beside the stream");
                    assert_eq!(r.output.len(), 1);
                }
            }
            Some(Err(e)) => break e,
            None => panic!("the stream completed despite the cancel ({seen} items)"),
        }
    };
    canceller.expect("started").join().expect("canceller");
    assert!(matches!(end, SessionError::Cancelled), "{end}");
    assert!(stream.next().is_none());
    assert!(seen < expected, "{seen} of {expected}");
    drop(stream);
    // The pool stays usable: a second stream reads everything.
    let count = pool
        .invoke_stream(get_all())
        .expect("second stream")
        .filter(|i| matches!(i, Ok(StreamItem::Output(_))))
        .count();
    assert_eq!(count, expected);
    let stats = pool.stats();
    assert_eq!(
        stats.discarded, 1,
        "the cancelled session was closed: {stats:?}"
    );
    pool.close().expect("close");
    // The cancelled session's shell is deleted in the background.
    let deadline = Instant::now() + Duration::from_secs(5);
    while server.shell_count() > 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    stop.store(true, Ordering::SeqCst);
    watcher.join().expect("watcher");
    let peak = peak.load(Ordering::SeqCst);
    assert!(peak <= 2, "peak {peak}");
    assert_eq!(server.shell_count(), 0, "no shell left after close");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_retries_a_lost_first_answer_only_for_a_read() {
    let server = Server::start(SimConfig::default()).expect("server");
    let pool = Pool::new(pool_options(&server, 1)).expect("pool");
    pool.invoke(Command::new("Get-Mailbox").param("Identity", MAILBOXES[0]))
        .await
        .expect("warm the pool");
    let drop_receive = || {
        server.set_faults(FaultPlan {
            rules: vec![FaultRule {
                operation: "Receive".into(),
                nth: 1,
                count: 1,
                action: FaultAction::Drop,
            }],
        })
    };

    drop_receive();
    let mut stream = pool
        .invoke_stream(Command::new("Get-Mailbox").param("Identity", MAILBOXES[1]))
        .await
        .expect("started");
    let first = stream.next().await.expect("an item").expect("retried");
    assert!(matches!(&first, StreamItem::Output(v) if sam(v) == Some(MAILBOXES[1])));
    assert!(stream.next().await.is_none());
    drop(stream);
    assert_eq!(pool.stats().retries, 1);

    drop_receive();
    let commands = server.request_log().count("Command");
    let mut stream = pool
        .invoke_stream(
            Command::new("New-MailContact")
                .param("Name", "Stream Contact")
                .param("ExternalEmailAddress", "stream.contact@fabrikam.example"),
        )
        .await
        .expect("started");
    let err = stream
        .next()
        .await
        .expect("an item")
        .expect_err("the answer was lost");
    assert_eq!(err.kind(), ErrorKind::OutcomeUnknown, "{err}");
    assert!(stream.next().await.is_none());
    drop(stream);
    assert_eq!(
        server.request_log().count("Command"),
        commands + 1,
        "never re-run"
    );
    assert_eq!(pool.stats().retries, 1);
    pool.close().await.expect("close");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_stream_deletes_its_shell_without_draining_the_output() {
    let (server, expected) = generated_server(1000);
    let pool = Pool::new(pool_options(&server, 1)).expect("pool");
    let mut stream = pool.invoke_stream(get_all()).await.expect("started");
    for _ in 0..5 {
        stream.next().await.expect("an item").expect("output");
    }
    let receives = server.request_log().count("Receive");
    drop(stream);
    let deadline = Instant::now() + Duration::from_secs(5);
    while (pool.stats().discarded == 0 || server.shell_count() > 0) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    println!(
        "dropped stream: shell deleted {:?} before the deadline",
        deadline - Instant::now()
    );
    assert_eq!(pool.stats().discarded, 1);
    assert_eq!(server.shell_count(), 0, "the shell was deleted");
    let log = server.request_log();
    assert!(
        log.count("Receive") <= receives + 1,
        "at most the Receive in flight: {} then {}",
        receives,
        log.count("Receive")
    );
    // The next caller gets a new session and the whole output.
    let all = pool.invoke(get_all()).await.expect("after the drop");
    assert_eq!(all.output.len(), expected);
    pool.close().await.expect("close");
    assert_eq!(server.shell_count(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_invoke_stops_on_the_server_and_is_not_retried() {
    let server = Server::start(SimConfig::default()).expect("server");
    let pool = Pool::new(pool_options(&server, 1)).expect("pool");
    pool.invoke(Command::new("Get-Mailbox").param("Identity", MAILBOXES[0]))
        .await
        .expect("warm the pool");
    server.set_faults(FaultPlan {
        rules: vec![FaultRule {
            operation: "Receive".into(),
            nth: 1,
            count: 1,
            action: FaultAction::Delay { ms: 5000 },
        }],
    });
    let cancel = monosync_exchange::exchange::CancelHandle::default();
    let later = cancel.clone();
    let canceller = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(200));
        later.cancel();
    });
    let started = Instant::now();
    let e = pool
        .invoke_cancellable(
            Command::new("Get-Mailbox").param("Identity", MAILBOXES[1]),
            &cancel,
        )
        .await
        .expect_err("cancelled");
    canceller.join().expect("canceller");
    assert!(matches!(e, SessionError::Cancelled), "{e}");
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(pool.stats().retries, 0);
    assert!(
        server.request_log().count("Signal") >= 2,
        "stop, then terminate"
    );
    let r = pool
        .invoke(Command::new("Get-Mailbox").param("Identity", MAILBOXES[1]))
        .await
        .expect("the pool goes on");
    assert_eq!(r.output.first().and_then(sam), Some(MAILBOXES[1]));
    pool.close().await.expect("close");
    assert_eq!(server.shell_count(), 0);
}

#[test]
fn a_cancel_after_the_command_finished_still_ends_the_pool_stream_cancelled() {
    let server = Server::start(SimConfig::default()).expect("server");
    let pool = BlockingPool::new(pool_options(&server, 1)).expect("pool");
    let mut stream = pool
        .invoke_stream(Command::new("Get-Mailbox").param("ResultSize", 2))
        .expect("started");
    assert!(matches!(stream.next(), Some(Ok(StreamItem::Output(_)))));
    // The command ended on the server (its terminate Signal was sent) before the reader asks
    // to stop; its last item is still buffered.
    let deadline = Instant::now() + Duration::from_secs(10);
    while server.request_log().count("Signal") == 0 {
        assert!(Instant::now() < deadline, "the command never ended");
        std::thread::sleep(Duration::from_millis(10));
    }
    stream.cancel();
    match stream.next() {
        Some(Err(e)) => assert_eq!(e.kind(), ErrorKind::Cancelled, "{e}"),
        other => panic!("a cancelled stream ended with {other:?}"),
    }
    assert!(stream.next().is_none(), "one error, then the end");
    drop(stream);
    let r = pool
        .invoke(Command::new("Get-Mailbox").param("ResultSize", 1))
        .expect("the pool serves the next caller");
    assert_eq!(r.output.len(), 1);
    pool.close().expect("close");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spent_cmdlet_budget_is_retried_after_the_wait_the_server_states() {
    // Three cmdlets per 2 s: the fourth read is refused with Exchange's quota text, which
    // names the milliseconds until the window has room.
    let config = SimConfig {
        throttling_policy: Some(
            mx_sim::exchange::ThrottlingPolicy::from_json(
                r#"{"PowerShellMaxCmdlets": 3, "PowerShellMaxCmdletsTimePeriod": 2}"#,
            )
            .expect("policy"),
        ),
        ..SimConfig::default()
    };
    let server = Server::start(config).expect("server");
    let mut options = pool_options(&server, 1);
    // A blind backoff would wait at least 60 s before the retry; the stated wait is at most 2 s.
    options.retry.throttle_delay = Duration::from_secs(120);
    options.retry.max_delay = Duration::from_secs(120);
    let pool = Pool::new(options).expect("pool");
    let started = Instant::now();
    for _ in 0..4 {
        let r = pool
            .invoke(Command::new("Get-Mailbox").param("Identity", MAILBOXES[0]))
            .await
            .expect("answered, after the stated wait where the budget was spent");
        assert_eq!(sam(&r.output[0]), Some(MAILBOXES[0]));
    }
    let took = started.elapsed();
    let stats = pool.stats();
    println!("budget: {stats:?}, took {took:?}");
    assert_eq!(stats.retries, 1, "{stats:?}");
    assert!(took < Duration::from_secs(60), "{took:?}");
}
