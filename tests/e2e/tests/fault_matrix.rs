//! Every fault mx-sim injects, at every phase of a session's life, against a bare [`Session`]
//! and a [`Pool`]: each run ends within its time limit with the expected outcome (a typed
//! error of the right kind, or success where the client recovers by itself), the pool
//! recovers for the next command, a state change is never run twice, and no thread or shell
//! is left behind. Run with `--nocapture` to see the whole matrix.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use monosync_exchange::exchange::{
    Command, ErrorKind, Pool, PoolOptions, Session, SessionError, SessionOptions,
};
use monosync_exchange::transport::{AuthMethod, Credentials};
use mx_sim::{
    Endpoint, FaultAction, FaultPlan, FaultRule, RunningServer, Server, ServiceConfig, SimConfig,
};

const ADMIN: &str = "CONTOSO\\Administrator";
const ADMIN_PW: &str = "P@ssw0rd!";
const JUSTIN: &str = "justin.martin";

/// The client's limit on one HTTP exchange; the delay fault waits longer.
const READ_TIMEOUT: Duration = Duration::from_millis(1_000);
const DELAY_MS: u64 = 2_000;
/// A run that takes longer than this hangs.
const HANG_LIMIT: Duration = Duration::from_secs(15);
/// The longest one call may take: three attempts that each wait out the read timeout, and
/// the pool's short backoffs. Anything slower ignored a timeout somewhere.
const TIME_BOUND: Duration = Duration::from_millis(3 * 1_000 + 1_500);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Auth,
    Create,
    Command,
    Receive,
    Signal,
    Delete,
}

const PHASES: [Phase; 6] = [
    Phase::Auth,
    Phase::Create,
    Phase::Command,
    Phase::Receive,
    Phase::Signal,
    Phase::Delete,
];

impl Phase {
    fn operation(self) -> &'static str {
        match self {
            Phase::Auth => "Auth",
            Phase::Create => "Create",
            Phase::Command => "Command",
            Phase::Receive => "Receive",
            Phase::Signal => "Signal",
            Phase::Delete => "Delete",
        }
    }
}

fn faults() -> Vec<(&'static str, FaultAction)> {
    vec![
        ("drop", FaultAction::Drop),
        ("http500", FaultAction::Http500),
        ("http503", FaultAction::Http503),
        ("delay", FaultAction::Delay { ms: DELAY_MS }),
        ("truncated", FaultAction::TruncatedBody),
        ("corrupt", FaultAction::CorruptFragment),
        ("broken-rs", FaultAction::BreakRunspace),
        ("expired", FaultAction::ExpireAuth),
    ]
}

fn plan(phase: Phase, action: &FaultAction) -> FaultPlan {
    FaultPlan {
        rules: vec![FaultRule {
            operation: phase.operation().into(),
            nth: 1,
            count: 1,
            action: action.clone(),
        }],
    }
}

fn session_options(server: &RunningServer) -> SessionOptions {
    let mut o = SessionOptions::exchange(
        server.url(Endpoint::PowerShell),
        AuthMethod::Ntlm,
        Credentials::new(ADMIN, ADMIN_PW),
    );
    o.transport.timeouts.read = READ_TIMEOUT;
    o.operation_timeout = Duration::from_millis(400);
    o
}

fn pool_options(server: &RunningServer) -> PoolOptions {
    let mut o = PoolOptions::new(session_options(server));
    o.max_sessions = 1;
    o.retry.base_delay = Duration::from_millis(10);
    o.retry.throttle_delay = Duration::from_millis(10);
    o.server_cooldown = Duration::from_millis(50);
    o.probe_timeout = Duration::from_secs(3);
    o.acquire_timeout = Some(Duration::from_secs(10));
    o
}

fn get_justin() -> Command {
    Command::new("Get-Mailbox").param("Identity", JUSTIN)
}

fn new_contact(name: &str) -> Command {
    let mail = format!("{}@fabrikam.example", name.replace(' ', "."));
    Command::new("New-MailContact")
        .param("Name", name)
        .param("ExternalEmailAddress", mail)
}

/// What one run ended with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Ok,
    Err(ErrorKind),
}

impl Outcome {
    fn of<T>(r: &Result<T, SessionError>) -> Outcome {
        match r {
            Ok(_) => Outcome::Ok,
            Err(e) => Outcome::Err(e.kind()),
        }
    }

    fn label(self) -> String {
        match self {
            Outcome::Ok => "ok".into(),
            Outcome::Err(k) => k.to_string(),
        }
    }
}

/// One cell: what the bare session and the pool did, and what went wrong.
struct Cell {
    session: Outcome,
    pool: Outcome,
    problems: Vec<String>,
}

async fn limited<T>(
    what: &str,
    problems: &mut Vec<String>,
    f: impl std::future::Future<Output = Result<T, SessionError>>,
) -> Result<T, SessionError> {
    let started = Instant::now();
    match tokio::time::timeout(HANG_LIMIT, f).await {
        Ok(r) => {
            let took = started.elapsed();
            if took > TIME_BOUND {
                problems.push(format!("{what} took {took:?}"));
            }
            if let Err(e) = &r {
                // Every error must read well and name its kind; building both texts must
                // not panic.
                let _ = (e.to_string(), format!("{e:?}"), e.hint());
            }
            r
        }
        Err(_) => {
            problems.push(format!("{what} hung for {:?}", started.elapsed()));
            Err(SessionError::Timeout(HANG_LIMIT))
        }
    }
}

fn contacts(server: &RunningServer, name: &str) -> usize {
    server.exchange().directory().resolve(name).len()
}

/// The bare session: the fault at `phase`, the error it gives, and whether the same session
/// still works afterwards (it reconnects and re-authenticates by itself).
async fn run_session(
    server: &RunningServer,
    phase: Phase,
    action: &FaultAction,
    tag: &str,
    problems: &mut Vec<String>,
) -> Outcome {
    let fault = plan(phase, action);
    match phase {
        Phase::Auth | Phase::Create => {
            server.set_faults(fault);
            let r = limited(
                "connect",
                problems,
                Session::connect(session_options(server)),
            )
            .await;
            server.set_faults(FaultPlan::default());
            let outcome = Outcome::of(&r);
            if let Ok(mut s) = r {
                if let Err(e) =
                    limited("invoke after connect", problems, s.invoke(get_justin())).await
                {
                    problems.push(format!("session: invoke after a recovered connect: {e}"));
                }
                let _ = limited("close", problems, s.close()).await;
            }
            outcome
        }
        Phase::Command | Phase::Receive | Phase::Signal => {
            let mut s = match limited(
                "connect",
                problems,
                Session::connect(session_options(server)),
            )
            .await
            {
                Ok(s) => s,
                Err(e) => {
                    problems.push(format!("session: connect without a fault: {e}"));
                    return Outcome::Err(e.kind());
                }
            };
            let name = format!("Matrix S {tag}");
            server.set_faults(fault);
            let r = limited("invoke", problems, s.invoke(new_contact(&name))).await;
            server.set_faults(FaultPlan::default());
            let n = contacts(server, &name);
            if n > 1 {
                problems.push(format!("session: the state change ran {n} times"));
            }
            if r.is_ok() && n != 1 {
                problems.push(format!("session: succeeded but ran {n} times"));
            }
            let _ = limited("close", problems, s.close()).await;
            Outcome::of(&r)
        }
        Phase::Delete => {
            let mut s = match limited(
                "connect",
                problems,
                Session::connect(session_options(server)),
            )
            .await
            {
                Ok(s) => s,
                Err(e) => {
                    problems.push(format!("session: connect without a fault: {e}"));
                    return Outcome::Err(e.kind());
                }
            };
            if let Err(e) = limited("invoke", problems, s.invoke(get_justin())).await {
                problems.push(format!("session: invoke without a fault: {e}"));
            }
            server.set_faults(fault);
            let r = limited("close", problems, s.close()).await;
            server.set_faults(FaultPlan::default());
            Outcome::of(&r)
        }
    }
}

/// The pool: the fault at `phase` under a command, then the next command must work (the pool
/// rebuilt or reconnected its session).
async fn run_pool(
    server: &RunningServer,
    phase: Phase,
    action: &FaultAction,
    tag: &str,
    problems: &mut Vec<String>,
) -> Outcome {
    let pool = match Pool::new(pool_options(server)) {
        Ok(p) => p,
        Err(e) => {
            problems.push(format!("pool: {e}"));
            return Outcome::Err(e.kind());
        }
    };
    let fault = plan(phase, action);
    let outcome = match phase {
        Phase::Auth | Phase::Create => {
            server.set_faults(fault);
            let r = limited("pool invoke", problems, pool.invoke(get_justin())).await;
            server.set_faults(FaultPlan::default());
            Outcome::of(&r)
        }
        Phase::Command | Phase::Receive | Phase::Signal => {
            if let Err(e) = limited("warm-up", problems, pool.invoke(get_justin())).await {
                problems.push(format!("pool: warm-up without a fault: {e}"));
            }
            let name = format!("Matrix P {tag}");
            server.set_faults(fault);
            let r = limited("pool invoke", problems, pool.invoke(new_contact(&name))).await;
            server.set_faults(FaultPlan::default());
            let n = contacts(server, &name);
            match &r {
                _ if n > 1 => problems.push(format!("pool: the state change ran {n} times")),
                Ok(_) if n != 1 => problems.push(format!("pool: succeeded but ran {n} times")),
                Err(e) if e.kind() != ErrorKind::OutcomeUnknown && n != 0 => problems.push(
                    format!("pool: reported {} but the state change ran", e.kind()),
                ),
                _ => {}
            }
            Outcome::of(&r)
        }
        Phase::Delete => {
            if let Err(e) = limited("warm-up", problems, pool.invoke(get_justin())).await {
                problems.push(format!("pool: warm-up without a fault: {e}"));
            }
            server.set_faults(fault);
            let r = limited("pool close", problems, pool.close()).await;
            server.set_faults(FaultPlan::default());
            return Outcome::of(&r);
        }
    };
    // Recovery: the next command works on the same pool.
    if let Err(e) = limited("pool recovery", problems, pool.invoke(get_justin())).await {
        problems.push(format!("pool: did not recover: {e}"));
    }
    let _ = limited("pool close", problems, pool.close()).await;
    outcome
}

/// Threads of this process outside the simulator's (whose runtime names them `mx-sim*`).
fn client_threads() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir("/proc/self/task")
        .map(|d| {
            d.filter_map(Result::ok)
                .filter_map(|e| std::fs::read_to_string(e.path().join("comm")).ok())
                .map(|n| n.trim().to_owned())
                .filter(|n| !n.starts_with("mx-sim"))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// Waits up to `limit` for the client's threads to come back to `at_most`.
fn settle_threads(at_most: usize, limit: Duration) -> Vec<String> {
    let deadline = Instant::now() + limit;
    loop {
        let now = client_threads();
        if now.len() <= at_most || Instant::now() >= deadline {
            return now;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// What each cell must end with, for the bare session and for the pool.
///
/// - A fault before anything ran on the server is retried by the pool (503, drop, 500 or a
///   delay while opening the session) and rebuilt after (a broken runspace).
/// - A state change cut off after it was sent is `OutcomeUnknown` in the pool, never re-run.
/// - A failure of the terminate Signal after the command finished loses nothing: the result
///   stands. A lost Delete is sent again (deleting is idempotent).
/// - Damaged authentication tokens, and a 401 answering the request that authenticates (with
///   NTLM that is the Create), are `Auth`; a 401 on an authenticated connection is answered by
///   authenticating again and resending, which the server never ran.
/// - Responses that carry no stream (Create, Command, Signal, Delete) are not touched by the
///   corrupt-fragment fault, and a runspace that breaks before the shell exists, or after the
///   command's output was made, does not matter to that command.
fn expected(fault: &FaultAction, phase: Phase) -> (Outcome, Outcome) {
    use ErrorKind::{Auth, OutcomeUnknown, Protocol, Timeout, Transient};
    use Outcome::{Err as E, Ok as O};
    let lost = |k| (E(k), E(OutcomeUnknown));
    match (fault, phase) {
        (_, Phase::Signal) => (O, O),
        (FaultAction::BreakRunspace, Phase::Command) => (E(Transient), O),
        (FaultAction::BreakRunspace, _) => (O, O),
        (FaultAction::ExpireAuth, Phase::Auth | Phase::Create) => (E(Auth), E(Auth)),
        (FaultAction::ExpireAuth, _) => (O, O),
        (FaultAction::TruncatedBody | FaultAction::CorruptFragment, Phase::Auth) => {
            (E(Auth), E(Auth))
        }
        (FaultAction::CorruptFragment, Phase::Receive) => lost(Protocol),
        (FaultAction::CorruptFragment, _) => (O, O),
        (FaultAction::TruncatedBody, Phase::Create | Phase::Delete) => (E(Protocol), E(Protocol)),
        (FaultAction::TruncatedBody, _) => lost(Protocol),
        (_, Phase::Delete) => (O, O),
        (FaultAction::Delay { .. }, Phase::Auth | Phase::Create) => (E(Timeout), O),
        (FaultAction::Delay { .. }, _) => lost(Timeout),
        (FaultAction::Http503, Phase::Command) => (E(Transient), O),
        (_, Phase::Auth | Phase::Create) => (E(Transient), O),
        _ => lost(Transient),
    }
}

#[test]
fn every_fault_at_every_phase() {
    let threads_at_start = client_threads();
    let server = Server::start(SimConfig {
        service: ServiceConfig {
            // A Create that the client gave up on still made a shell the client never heard
            // of: the server's idle timeout removes it, as on Windows.
            idle_timeout: Duration::from_secs(4),
            ..ServiceConfig::default()
        },
        ..SimConfig::default()
    })
    .expect("server");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_keep_alive(Duration::from_millis(100))
        .enable_all()
        .build()
        .expect("runtime");
    let started = Instant::now();
    let mut cells = Vec::new();
    let (threads_warm, threads_end) = runtime.block_on(async {
        // One fault-free round first, so that the runtime's threads all exist.
        let mut warm_up = Vec::new();
        let _ = run_pool(
            &server,
            Phase::Command,
            &FaultAction::Delay { ms: 0 },
            "warm",
            &mut warm_up,
        )
        .await;
        assert!(warm_up.is_empty(), "{warm_up:?}");
        let threads_warm = client_threads();
        for (name, action) in faults() {
            for phase in PHASES {
                let tag = format!("{name} {}", phase.operation());
                let mut problems = Vec::new();
                let session = run_session(&server, phase, &action, &tag, &mut problems).await;
                let pool = run_pool(&server, phase, &action, &tag, &mut problems).await;
                let (want_session, want_pool) = expected(&action, phase);
                if session != want_session {
                    problems.push(format!(
                        "session: {} instead of {}",
                        session.label(),
                        want_session.label()
                    ));
                }
                if pool != want_pool {
                    problems.push(format!(
                        "pool: {} instead of {}",
                        pool.label(),
                        want_pool.label()
                    ));
                }
                cells.push((
                    name,
                    phase,
                    Cell {
                        session,
                        pool,
                        problems,
                    },
                ));
            }
        }
        // Without a thread of its own: the runtime's idle ones end after 100 ms.
        let deadline = Instant::now() + Duration::from_secs(3);
        let mut end = client_threads();
        while end.len() > threads_warm.len() && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(50)).await;
            end = client_threads();
        }
        (threads_warm, end)
    });
    drop(runtime);
    let elapsed = started.elapsed();

    let mut table = String::new();
    let _ = write!(table, "{:<10}", "fault");
    for phase in PHASES {
        let _ = write!(table, "| {:<34}", phase.operation());
    }
    table.push('\n');
    let mut failures = Vec::new();
    for (name, _) in faults() {
        let _ = write!(table, "{name:<10}");
        for phase in PHASES {
            let Some((_, _, cell)) = cells.iter().find(|(n, p, _)| *n == name && *p == phase)
            else {
                continue;
            };
            let mark = if cell.problems.is_empty() { ' ' } else { '!' };
            let _ = write!(
                table,
                "|{mark}S {:<15} P {:<15}",
                cell.session.label(),
                cell.pool.label()
            );
            for p in &cell.problems {
                failures.push(format!("{name} at {}: {p}", phase.operation()));
            }
        }
        table.push('\n');
    }
    println!("S: a bare Session; P: a Pool of one session (retries, rebuilds)");
    println!("{table}");
    println!("{} cells in {elapsed:?}", cells.len());
    for f in &failures {
        println!("FAIL {f}");
    }

    // Shells of the client's sessions are deleted; one whose Create answer never reached the
    // client goes at the server's idle timeout.
    let deadline = Instant::now() + Duration::from_secs(12);
    while server.shell_count() > 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    let shells = server.shell_count();
    server.shutdown();
    let threads_after = settle_threads(threads_at_start.len(), Duration::from_secs(3));
    println!(
        "client threads: {} at start, {} after warm-up, {} after the matrix, {} after the runtime; \
         shells left: {shells}",
        threads_at_start.len(),
        threads_warm.len(),
        threads_end.len(),
        threads_after.len()
    );
    assert!(failures.is_empty(), "{} cells failed", failures.len());
    assert_eq!(shells, 0, "shells left on the server");
    assert!(
        threads_end.len() <= threads_warm.len(),
        "{threads_warm:?} -> {threads_end:?}"
    );
    assert!(
        threads_after.len() <= threads_at_start.len(),
        "{threads_at_start:?} -> {threads_after:?}"
    );
}
