//! A 100,000-object `Get-Mailbox` streamed with `invoke_stream` over NTLM-sealed HTTP, with
//! bounded memory: this process's peak RSS (VmHWM) grows far less than the bytes received.
//!
//! The simulator runs as its own process (the `mx-sim` binary next to this test's, which
//! `cargo test --workspace` builds), so the peak measured here is the client's alone.
//! `MX_BULK_OBJECTS` changes the count for a quicker local run.

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command as Process, Stdio};
use std::time::Instant;

use monosync_exchange::exchange::{
    Command, ResultSize, Session, SessionOptions, StreamItem, is_truncation_warning,
};
use monosync_exchange::psrp::PSInvocationState;
use monosync_exchange::transport::{AuthMethod, Credentials};

/// A `/proc/self/status` value in KiB.
fn status_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
}

/// `target/<profile>/mx-sim`, beside `target/<profile>/deps/<this test>`.
fn mx_sim_binary() -> std::path::PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    let dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target directory");
    dir.join(format!("mx-sim{}", std::env::consts::EXE_SUFFIX))
}

/// The simulator process; killed on drop.
struct Sim(Child);

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `mx-sim --generate <recipients>` and returns it with its Exchange URL.
fn start_sim(recipients: usize, log: &std::path::Path) -> (Sim, String) {
    let binary = mx_sim_binary();
    assert!(
        binary.exists(),
        "{} is missing: cargo build -p monosync-exchange-sim --bin mx-sim",
        binary.display()
    );
    let mut child = Process::new(binary)
        .args(["--listen", "127.0.0.1:0", "--generate"])
        .arg(recipients.to_string())
        .arg("--log")
        .arg(log)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("mx-sim starts");
    let stdout = child.stdout.take().expect("stdout");
    let sim = Sim(child);
    let mut lines = BufReader::new(stdout).lines();
    let url = lines
        .by_ref()
        .map_while(Result::ok)
        .find_map(|l| {
            l.strip_prefix("Exchange endpoint: ")
                .map(|u| u.trim().to_owned())
        })
        .expect("mx-sim prints its endpoint");
    // Keep reading: a closed pipe would fail the simulator's next print.
    std::thread::spawn(move || lines.for_each(drop));
    (sim, url)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_mailbox_100k_streams_in_bounded_memory() {
    let objects: u32 = std::env::var("MX_BULK_OBJECTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    // About 65% of generated recipients are user mailboxes: this many give more than
    // `objects`, so the explicit -ResultSize also cuts the output.
    let recipients = usize::try_from(objects).unwrap_or(usize::MAX) / 10 * 16;
    let log = std::env::temp_dir().join(format!("mx-bulk-{}.jsonl", std::process::id()));
    let _ = std::fs::remove_file(&log);
    let started = Instant::now();
    let (sim, url) = start_sim(recipients, &log);
    println!(
        "mx-sim with {recipients} recipients up in {:?}",
        started.elapsed()
    );
    let mut session = Session::connect(SessionOptions::exchange(
        url,
        AuthMethod::Ntlm,
        Credentials::new("CONTOSO\\Administrator", "P@ssw0rd!"),
    ))
    .await
    .expect("connect");

    let before = status_kib("VmHWM:").expect("VmHWM");
    let streaming = Instant::now();
    let mut stream = session
        .invoke_stream(Command::new("Get-Mailbox").result_size(ResultSize::Limit(objects)))
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
    session.close().await.expect("close");
    drop(sim);

    let text = std::fs::read_to_string(&log).expect("request log");
    let _ = std::fs::remove_file(&log);
    let receives: Vec<serde_json::Value> = text
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .filter(|e: &serde_json::Value| e["operation"] == "Receive")
        .collect();
    let received: u64 = receives
        .iter()
        .filter_map(|e| e["bytes_out"].as_u64())
        .sum();
    let grown_kib = after.saturating_sub(before);
    let received_kib = received / 1024;
    println!(
        "Get-Mailbox -ResultSize {objects}: {count} objects in {elapsed:?} over {} Receives, \
         {received_kib} KiB received; last object {last_name}",
        receives.len()
    );
    println!(
        "client peak RSS (VmHWM): {before} KiB before, {after} KiB after, grew {grown_kib} KiB"
    );

    assert_eq!(count, objects);
    assert!(truncated, "Exchange says more results are available");
    assert!(receives.len() > 2, "{}", receives.len());
    // Holding the objects would take at least the bytes that carried them; streaming keeps
    // the peak's growth a small fraction of that.
    assert!(received_kib > u64::from(objects), "{received_kib}");
    assert!(
        grown_kib * 10 < received_kib,
        "peak RSS grew {grown_kib} KiB for {received_kib} KiB received"
    );
}
