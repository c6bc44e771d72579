//! `mx run --record FILE` against an in-process mx-sim, then the recording served back by
//! mx-sim's replay to `mx run` again: the same output, and no request the recording lacks.

use std::process::{Command, Output};

use monosync_exchange::recording::{self, IdPolicy, Replay};
use mx_sim::{Endpoint, Server, SimConfig};

const PASSWORD_VAR: &str = "MX_TEST_PASSWORD";
const ADMIN_PASSWORD: &str = "P@ssw0rd!";

fn run(url: &str, record: Option<&std::path::Path>, command: &[&str]) -> Output {
    let mut mx = Command::new(env!("CARGO_BIN_EXE_mx"));
    mx.args([
        "run",
        "--server",
        url,
        "--auth",
        "ntlm",
        "--username",
        "CONTOSO\\Administrator",
        "--password-env",
        PASSWORD_VAR,
        "--json",
    ]);
    if let Some(path) = record {
        mx.arg("--record").arg(path);
    }
    mx.args(command)
        .env(PASSWORD_VAR, ADMIN_PASSWORD)
        .output()
        .expect("mx runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn a_recorded_mx_run_replays_to_the_same_output() {
    let dir = std::env::temp_dir().join(format!("mx-record-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    for (n, command) in [
        &["Get-Mailbox", "-Identity", "justin.martin"][..],
        &["Get-Mailbox", "-Identity", "no.such.user"][..],
    ]
    .into_iter()
    .enumerate()
    {
        let file = dir.join(format!("run-{n}.yml"));
        let sim = Server::start(SimConfig::default()).expect("sim");
        let recorded = run(&sim.url(Endpoint::PowerShell), Some(&file), command);
        sim.shutdown();
        let yaml = std::fs::read_to_string(&file).expect("recording written");
        assert!(yaml.contains("messages:\n- request: "), "{yaml}");
        assert!(!yaml.contains(ADMIN_PASSWORD));

        let exchanges = recording::parse(&yaml).expect("parse").remove(0).exchanges;
        let replay = Server::start(SimConfig {
            replay: Some(Replay::new(exchanges, IdPolicy::Fresh)),
            ..SimConfig::default()
        })
        .expect("replay");
        let replayed = run(&replay.url(Endpoint::PowerShell), None, command);
        let (stats, mismatches) = replay.replay_report().expect("a replay");
        replay.shutdown();
        assert_eq!(
            replayed.status.code(),
            recorded.status.code(),
            "{command:?}: {}",
            text(&replayed.stderr)
        );
        assert_eq!(
            text(&replayed.stdout),
            text(&recorded.stdout),
            "{command:?}"
        );
        assert_eq!(
            text(&replayed.stderr),
            text(&recorded.stderr),
            "{command:?}"
        );
        assert!(mismatches.is_empty(), "{command:?}: {mismatches:#?}");
        assert!(stats.served >= 5, "{stats:?}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_unwritable_record_file_is_reported_before_any_command() {
    let sim = Server::start(SimConfig::default()).expect("sim");
    let out = run(
        &sim.url(Endpoint::PowerShell),
        Some(std::path::Path::new("/nonexistent-dir/run.yml")),
        &["Get-Mailbox", "-Identity", "justin.martin"],
    );
    assert_ne!(out.status.code(), Some(0));
    // With --json the error is a JSON document on stdout.
    let err = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(err.contains("/nonexistent-dir/run.yml"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(sim.shell_count(), 0);
}
