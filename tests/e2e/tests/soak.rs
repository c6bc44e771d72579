//! Soak: `MX_SOAK_CMDLETS` commands (100,000 by default) over one session, then as many over
//! a pool of four sessions fed by eight callers, against an in-process mx-sim. The process's
//! resident memory after a warm-up and at the end are printed and must stay within
//! [`RSS_SLACK_KIB`] of each other, and the simulator holds no shell once both are closed.
//!
//! Minutes in a debug build: it runs in release from `scripts/suites/25-soak.sh`
//! (`cargo test --release -p monosync-exchange-e2e --features soak --test soak`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use monosync_exchange::clixml::PsValue;
use monosync_exchange::exchange::{Command, Pool, PoolOptions, Session, SessionOptions};
use monosync_exchange::transport::{AuthMethod, Credentials};
use mx_sim::{Endpoint, RunningServer, Server, SimConfig};

const JUSTIN: &str = "justin.martin";
/// Commands run before the first measurement: buffers, caches and the allocator's arenas
/// reach their working size.
const WARM_UP: usize = 1_000;
/// How far the resident set may move between the warm-up and the end.
const RSS_SLACK_KIB: u64 = 8 * 1024;
/// The simulator keeps every request in its in-memory log; the test empties it this often so
/// that what is measured is the client's and the server's working memory.
const LOG_CLEAR_EVERY: usize = 1_000;

fn cmdlets() -> usize {
    std::env::var("MX_SOAK_CMDLETS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000)
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

fn options(server: &RunningServer) -> SessionOptions {
    SessionOptions::exchange(
        server.url(Endpoint::PowerShell),
        AuthMethod::Ntlm,
        Credentials::new("CONTOSO\\Administrator", "P@ssw0rd!"),
    )
}

fn get_justin() -> Command {
    Command::new("Get-Mailbox").param("Identity", JUSTIN)
}

fn check(output: &[PsValue]) {
    let sam = output
        .first()
        .and_then(|v| v.property("SamAccountName"))
        .and_then(PsValue::as_str);
    assert_eq!(sam, Some(JUSTIN));
}

fn report(label: &str, n: usize, start: u64, end: u64, elapsed: Duration) {
    let per_sec = n as f64 / elapsed.as_secs_f64();
    println!(
        "{label}: {n} cmdlets in {elapsed:.1?} ({per_sec:.0}/s); RSS after warm-up {start} KiB, \
         at the end {end} KiB ({:+} KiB)",
        i128::from(end) - i128::from(start)
    );
    assert!(
        end <= start + RSS_SLACK_KIB,
        "{label}: RSS grew from {start} KiB to {end} KiB"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_session_then_a_pool_stay_flat() {
    let n = cmdlets();
    let server = Server::start(SimConfig::default()).expect("server");
    println!("RSS at start: {} KiB", rss_kib());

    // One session.
    let mut session = Session::connect(options(&server)).await.expect("connect");
    let mut start = 0;
    let mut started = Instant::now();
    for i in 0..WARM_UP + n {
        if i == WARM_UP {
            server.request_log().clear();
            start = rss_kib();
            started = Instant::now();
        }
        let r = session.invoke(get_justin()).await.expect("invoke");
        check(&r.output);
        if i % LOG_CLEAR_EVERY == 0 {
            server.request_log().clear();
        }
    }
    let elapsed = started.elapsed();
    server.request_log().clear();
    report("one session", n, start, rss_kib(), elapsed);
    assert_eq!(server.shell_count(), 1);
    session.close().await.expect("close");
    assert_eq!(server.shell_count(), 0, "the session's shell is deleted");

    // A pool: four sessions, eight callers.
    let mut o = PoolOptions::new(options(&server));
    o.max_sessions = 4;
    let pool = Arc::new(Pool::new(o).expect("pool"));
    let callers = 8;
    let run = |count: usize| {
        let tasks: Vec<_> = (0..callers)
            .map(|c| {
                let pool = Arc::clone(&pool);
                let server_log = Arc::clone(server.request_log());
                let share = count / callers + usize::from(c < count % callers);
                tokio::spawn(async move {
                    for i in 0..share {
                        let r = pool.invoke(get_justin()).await.expect("pool invoke");
                        check(&r.output);
                        if c == 0 && i % (LOG_CLEAR_EVERY / callers) == 0 {
                            server_log.clear();
                        }
                    }
                })
            })
            .collect();
        async move {
            for t in tasks {
                t.await.expect("caller");
            }
        }
    };
    run(WARM_UP).await;
    server.request_log().clear();
    let start = rss_kib();
    let started = Instant::now();
    run(n).await;
    let elapsed = started.elapsed();
    server.request_log().clear();
    report("pool of 4", n, start, rss_kib(), elapsed);
    let stats = pool.stats();
    println!("pool: {stats:?}");
    assert!(stats.opened <= 4, "{stats:?}");
    assert_eq!(stats.retries, 0, "{stats:?}");
    pool.close().await.expect("close");
    assert_eq!(server.shell_count(), 0, "the pool's shells are deleted");
}
