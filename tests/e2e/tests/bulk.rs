//! A 100,000-object `Get-Mailbox` streamed with `invoke_stream` over NTLM-sealed HTTP, with
//! bounded memory: the process's peak RSS (VmHWM) grows far less than the bytes received.
//!
//! The simulator runs in this process, so its organisation is built first and the peak is
//! reset (`/proc/self/clear_refs`) before streaming; what the peak gains after that is the
//! client's (and the server's per-Receive) working memory.

use std::time::Instant;

use monosync_exchange::exchange::{
    Command, ResultSize, Session, SessionOptions, StreamItem, is_truncation_warning,
};
use monosync_exchange::psrp::PSInvocationState;
use monosync_exchange::transport::{AuthMethod, Credentials};
use mx_sim::exchange::Exchange;
use mx_sim::exchange::directory::Directory;
use mx_sim::{DEFAULT_SEED, Endpoint, Server, SimConfig};

const OBJECTS: u32 = 100_000;
/// About 65% of generated recipients are user mailboxes; this many give more than
/// [`OBJECTS`], so the explicit `-ResultSize` also cuts the output.
const RECIPIENTS: usize = 160_000;

/// A `/proc/self/status` value in KiB.
fn status_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_mailbox_100k_streams_in_bounded_memory() {
    let started = Instant::now();
    let rbac = Exchange::from_seed_json(DEFAULT_SEED)
        .expect("seed")
        .rbac()
        .clone();
    let directory = Directory::generate(RECIPIENTS, 2016);
    let mailboxes = directory.iter().filter(|r| r.kind.is_mailbox()).count();
    assert!(mailboxes > OBJECTS as usize, "{mailboxes}");
    let server = Server::start(SimConfig {
        exchange: Some(Exchange::with_rbac(directory, rbac)),
        ..SimConfig::default()
    })
    .expect("server");
    println!(
        "directory of {RECIPIENTS} recipients ({mailboxes} mailboxes) ready in {:?}",
        started.elapsed()
    );
    let mut session = Session::connect(SessionOptions::exchange(
        server.url(Endpoint::PowerShell),
        AuthMethod::Ntlm,
        Credentials::new("CONTOSO\\Administrator", "P@ssw0rd!"),
    ))
    .await
    .expect("connect");

    // "5" resets the peak to the current RSS (Linux 4.0+).
    let reset = std::fs::write("/proc/self/clear_refs", "5").is_ok();
    let before = status_kib("VmHWM:").expect("VmHWM");
    let log_from = server.request_log().entries().len();
    let streaming = Instant::now();
    let mut stream = session
        .invoke_stream(Command::new("Get-Mailbox").result_size(ResultSize::Limit(OBJECTS)))
        .await
        .expect("start");
    let mut count = 0u32;
    let mut truncated = false;
    let mut last_name = String::new();
    while let Some(item) = stream.next().await {
        match item.expect("item") {
            StreamItem::Output(v) => {
                count += 1;
                if let Some(name) = v.property("Name").and_then(|n| n.as_str()) {
                    name.clone_into(&mut last_name);
                }
            }
            StreamItem::Warning(w) => truncated |= is_truncation_warning(&w.message),
            other => panic!("unexpected item {other:?}"),
        }
    }
    assert_eq!(stream.state(), Some(PSInvocationState::Completed));
    drop(stream);
    let elapsed = streaming.elapsed();
    let after = status_kib("VmHWM:").expect("VmHWM");
    let rss_now = status_kib("VmRSS:").unwrap_or(0);

    let received: usize = server.request_log().entries()[log_from..]
        .iter()
        .filter(|e| e.operation == "Receive")
        .map(|e| e.bytes_out)
        .sum();
    let receives = server.request_log().entries()[log_from..]
        .iter()
        .filter(|e| e.operation == "Receive")
        .count();
    let grown_kib = after.saturating_sub(before);
    let received_kib = u64::try_from(received / 1024).unwrap_or(u64::MAX);
    println!(
        "Get-Mailbox -ResultSize {OBJECTS}: {count} objects in {elapsed:?} over {receives} Receives; \
         {received_kib} KiB received"
    );
    println!(
        "peak RSS (VmHWM) before {before} KiB, after {after} KiB: grew {grown_kib} KiB \
         (peak reset: {reset}; VmRSS now {rss_now} KiB); last object {last_name}"
    );

    assert_eq!(count, OBJECTS);
    assert!(truncated, "Exchange says more results are available");
    assert!(receives > 10, "{receives}");
    // Holding the objects would take more than the bytes that carried them; streaming keeps
    // the growth a small fraction of that.
    assert!(received_kib > 100_000, "{received_kib}");
    assert!(
        grown_kib * 10 < received_kib,
        "peak RSS grew {grown_kib} KiB for {received_kib} KiB received"
    );
    session.close().await.expect("close");
    assert_eq!(server.shell_count(), 0);
}
