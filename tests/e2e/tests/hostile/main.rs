//! The client against hostile HTTP and TLS servers: stalls, drips, endless chunks, huge
//! headers, huge or endless bodies, redirect loops, cookie floods, 401 loops, malformed
//! tokens, XML bombs, a pool that never opens, TLS garbage. Each case must end within its
//! bound with a typed error, grow the process's peak memory by little, and never show the
//! password.
//!
//! Each case runs in a child process of its own (this binary again, with `MX_HOSTILE_CASE`
//! naming it), so that its peak resident set (`VmHWM` of `/proc/self/status`) is its own.
//! The parent prints a table of every case: the error kind, the time and the peak RSS growth.
//! The client's bounds are set short here (1 s per HTTP exchange, 3 s to open) so the suite
//! takes seconds; the defaults are the documented ones.
//!
//! Run one case with `cargo test -p monosync-exchange-e2e --test hostile -- <name>`.

mod server;

use std::process::{Command, ExitCode};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use monosync_exchange::exchange::{ErrorKind, Session, SessionError, SessionOptions};
use monosync_exchange::transport::cookies::MAX_HEADER_LEN;
use monosync_exchange::transport::{AuthMethod, Credentials, TransportOptions};
use serde_json::{Value, json};
use server::{Behaviour, Hostile};

const PASSWORD: &str = "Hostile-Pa55word-31337";
const CASE_VAR: &str = "MX_HOSTILE_CASE";
/// Time per HTTP exchange, and per TCP connect or TLS handshake.
const EXCHANGE: Duration = Duration::from_secs(1);
/// Time to open a session.
const OPEN: Duration = Duration::from_secs(3);
/// Peak RSS growth allowed to one case.
const MAX_GROWTH_KIB: u64 = 32 * 1024;

/// How the client reaches the server.
#[derive(Debug, Clone, Copy)]
enum Client {
    /// Basic over plain HTTP: the hostile answer meets the first request.
    Basic,
    /// NTLM over plain HTTP: the hostile answer meets the authentication.
    Ntlm,
    /// Basic over HTTPS.
    Tls,
}

struct Case {
    name: &'static str,
    behaviour: Behaviour,
    client: Client,
    expect: ErrorKind,
    /// The longest the case may take.
    bound: Duration,
}

const fn case(
    name: &'static str,
    behaviour: Behaviour,
    client: Client,
    expect: ErrorKind,
    bound_ms: u64,
) -> Case {
    Case {
        name,
        behaviour,
        client,
        expect,
        bound: Duration::from_millis(bound_ms),
    }
}

const CASES: &[Case] = &[
    case(
        "stall",
        Behaviour::Stall,
        Client::Basic,
        ErrorKind::Timeout,
        2_000,
    ),
    case(
        "tls-silent",
        Behaviour::Silent,
        Client::Tls,
        ErrorKind::Timeout,
        2_000,
    ),
    case(
        "drip",
        Behaviour::Drip,
        Client::Basic,
        ErrorKind::Timeout,
        2_000,
    ),
    case(
        "endless-chunks",
        Behaviour::EndlessChunks,
        Client::Basic,
        ErrorKind::Protocol,
        1_000,
    ),
    case(
        "huge-headers",
        Behaviour::HugeHeaders,
        Client::Basic,
        ErrorKind::Protocol,
        1_000,
    ),
    case(
        "many-headers",
        Behaviour::ManyHeaders,
        Client::Basic,
        ErrorKind::Protocol,
        1_000,
    ),
    case(
        "huge-body",
        Behaviour::HugeBody,
        Client::Basic,
        ErrorKind::Protocol,
        1_000,
    ),
    case(
        "endless-body",
        Behaviour::EndlessBody,
        Client::Basic,
        ErrorKind::Protocol,
        1_000,
    ),
    case(
        "redirect-loop",
        Behaviour::RedirectLoop,
        Client::Basic,
        ErrorKind::Protocol,
        1_000,
    ),
    case(
        "401-loop",
        Behaviour::Unauthorized,
        Client::Ntlm,
        ErrorKind::Auth,
        1_000,
    ),
    case(
        "malformed-token",
        Behaviour::MalformedToken,
        Client::Ntlm,
        ErrorKind::Auth,
        1_000,
    ),
    case(
        "garbage-token",
        Behaviour::GarbageToken,
        Client::Ntlm,
        ErrorKind::Auth,
        1_000,
    ),
    case(
        "entity-bomb",
        Behaviour::EntityBomb,
        Client::Basic,
        ErrorKind::Protocol,
        1_000,
    ),
    case(
        "deep-xml",
        Behaviour::DeepXml,
        Client::Basic,
        ErrorKind::Protocol,
        1_000,
    ),
    case(
        "huge-fault",
        Behaviour::HugeFault,
        Client::Basic,
        ErrorKind::AccessDenied,
        1_000,
    ),
    case(
        "echo",
        Behaviour::Echo,
        Client::Basic,
        ErrorKind::Transient,
        1_000,
    ),
    case(
        "timed-out-opening",
        Behaviour::TimedOutForever,
        Client::Basic,
        ErrorKind::Timeout,
        4_000,
    ),
    case(
        "cookie-flood",
        Behaviour::CookieFlood,
        Client::Basic,
        ErrorKind::Timeout,
        4_000,
    ),
    case(
        "tls-garbage",
        Behaviour::TlsGarbage,
        Client::Tls,
        ErrorKind::Tls,
        1_000,
    ),
];

fn main() -> ExitCode {
    if let Ok(name) = std::env::var(CASE_VAR) {
        let Some(case) = CASES.iter().find(|c| c.name == name) else {
            eprintln!("no case {name}");
            return ExitCode::FAILURE;
        };
        println!("{}", run_case(case));
        return ExitCode::SUCCESS;
    }
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let exe = std::env::current_exe().expect("own path");
    let mut rows = Vec::new();
    let mut failures = 0usize;
    for case in CASES
        .iter()
        .filter(|c| filter.is_empty() || filter.iter().any(|f| c.name.contains(f.as_str())))
    {
        let out = Command::new(&exe)
            .env(CASE_VAR, case.name)
            .output()
            .expect("run a case");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let report: Value = stdout
            .lines()
            .rev()
            .find_map(|l| serde_json::from_str(l).ok())
            .unwrap_or_else(|| {
                json!({
                    "kind": "crashed",
                    "problems": [format!(
                        "the case process ended with {} and printed no report: {}",
                        out.status,
                        String::from_utf8_lossy(&out.stderr)
                    )],
                })
            });
        let problems: Vec<String> = report["problems"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|p| p.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        let verdict = if problems.is_empty() { "ok" } else { "FAILED" };
        println!("test hostile::{} ... {verdict}", case.name);
        for p in &problems {
            println!("    {p}");
        }
        if !problems.is_empty() {
            failures += 1;
        }
        rows.push((case, report, verdict));
    }
    println!();
    println!(
        "{:<18} {:<14} {:>9} {:>9} {:>13}  {:<6} note",
        "case", "error kind", "time ms", "bound ms", "peak RSS KiB", "result"
    );
    for (case, report, verdict) in &rows {
        println!(
            "{:<18} {:<14} {:>9} {:>9} {:>13}  {:<6} {}",
            case.name,
            report["kind"].as_str().unwrap_or("?"),
            report["ms"].as_u64().map_or("?".into(), |v| v.to_string()),
            case.bound.as_millis(),
            report["rss_growth_kib"]
                .as_u64()
                .map_or("?".into(), |v| format!("+{v}")),
            verdict,
            report["note"].as_str().unwrap_or(""),
        );
    }
    println!();
    let passed = rows.len() - failures;
    println!(
        "test result: {}. {passed} passed; {failures} failed",
        if failures == 0 { "ok" } else { "FAILED" }
    );
    if failures == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Peak resident set size of this process, in KiB.
fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

fn options(case: &Case, port: u16) -> SessionOptions {
    let (scheme, auth) = match case.client {
        Client::Basic => ("http", AuthMethod::Basic),
        Client::Ntlm => ("http", AuthMethod::Ntlm),
        Client::Tls => ("https", AuthMethod::Basic),
    };
    let mut transport = TransportOptions::new(
        format!("{scheme}://127.0.0.1:{port}/PowerShell/"),
        auth,
        Credentials::new("CONTOSO\\hostile", PASSWORD),
    );
    transport.allow_basic_over_http = true;
    transport.tls.insecure = true;
    transport.timeouts.connect = EXCHANGE;
    transport.timeouts.read = EXCHANGE;
    let mut options =
        SessionOptions::new(transport, monosync_exchange::exchange::Endpoint::Exchange);
    options.open_timeout = Some(OPEN);
    options.operation_timeout = Duration::from_millis(500);
    options
}

/// Runs one case in this process and returns its report as one JSON line.
fn run_case(case: &Case) -> Value {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let server = runtime.block_on(Hostile::start(case.behaviour));
    let options = options(case, server.port);
    let before = peak_rss_kib();
    let started = Instant::now();
    let outcome = runtime.block_on(Session::connect(options));
    let elapsed = started.elapsed();
    let growth = peak_rss_kib().saturating_sub(before);
    let mut problems = Vec::new();
    let (kind, note) = match outcome {
        Ok(_) => {
            problems.push("the session opened against a hostile server".to_owned());
            ("none".to_owned(), String::new())
        }
        Err(e) => {
            check_error(case, &e, &mut problems);
            (e.kind().as_str().to_owned(), first_words(&e))
        }
    };
    if elapsed > case.bound {
        problems.push(format!(
            "took {elapsed:?}, more than its bound of {:?}",
            case.bound
        ));
    }
    if growth > MAX_GROWTH_KIB {
        problems.push(format!(
            "peak RSS grew by {growth} KiB, more than {MAX_GROWTH_KIB}"
        ));
    }
    let mut note = note;
    if case.behaviour == Behaviour::CookieFlood {
        let longest = server.seen.longest_cookie_header.load(Ordering::SeqCst);
        let requests = server.seen.requests.load(Ordering::SeqCst);
        if longest > MAX_HEADER_LEN {
            problems.push(format!(
                "a Cookie header of {longest} bytes was sent back, more than {MAX_HEADER_LEN}"
            ));
        }
        if requests < 3 {
            problems.push(format!("only {requests} requests: the flood was not tried"));
        }
        note = format!("{requests} requests, longest Cookie header {longest} B; {note}");
    }
    json!({
        "kind": kind,
        "ms": u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX),
        "rss_growth_kib": growth,
        "note": note,
        "problems": problems,
    })
}

fn check_error(case: &Case, e: &SessionError, problems: &mut Vec<String>) {
    if e.kind() != case.expect {
        problems.push(format!(
            "error kind {:?}, expected {:?}: {e}",
            e.kind(),
            case.expect
        ));
    }
    let shown = format!("{e}\n{e:?}\n{}", e.hint().unwrap_or_default());
    if shown.contains(PASSWORD) {
        problems.push("the error shows the password".to_owned());
    }
    // One server text is cut to a readable length (the 120 KB fault above all).
    let display = e.to_string();
    if display.len() > 4096 {
        problems.push(format!("the error message is {} bytes long", display.len()));
    }
}

/// The error message, cut for the table.
fn first_words(e: &SessionError) -> String {
    let text = e.to_string().replace(['\r', '\n'], " ");
    match text.char_indices().nth(90) {
        Some((i, _)) => format!("{}...", &text[..i]),
        None => text,
    }
}
