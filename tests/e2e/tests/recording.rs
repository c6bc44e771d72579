//! Field recordings: a session against mx-sim recorded with `SessionOptions::record`, checked
//! for secrets in every encoding, then served back by mx-sim's replay to the same calls, which
//! must read the same results. `cli/tests/record_replay.rs` does the same through `mx run`;
//! `simulator/tests/pypsrp` replays a recording to pypsrp.

use std::path::Path;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use monosync_exchange::exchange::{
    Command, CommandResult, Pool, PoolOptions, Session, SessionError, SessionOptions,
};
use monosync_exchange::psrp::{Defragmenter, MessageType, RawMessage};
use monosync_exchange::recording::{self, IdPolicy, Replay};
use monosync_exchange::transport::{AuthMethod, Credentials};
use monosync_exchange::wsman::{Request, Response};
use mx_sim::{Endpoint, RunningServer, Server, SimConfig};

const ADMIN: &str = "CONTOSO\\Administrator";
const ADMIN_PW: &str = "P@ssw0rd!";
/// The secrets the commands carry.
const MAILBOX_PW: &str = "Rec0rded!Secret";
const CREDENTIAL_PW: &str = "An0ther!Secret";

fn options(server: &RunningServer, record: Option<&Path>) -> SessionOptions {
    let mut o = SessionOptions::exchange(
        server.url(Endpoint::PowerShell),
        AuthMethod::Ntlm,
        Credentials::new(ADMIN, ADMIN_PW),
    );
    o.operation_timeout = Duration::from_secs(2);
    o.record = record.map(Path::to_path_buf);
    o
}

/// What a caller reads from a result: outputs, records and state, as text.
fn summary(result: &Result<CommandResult, SessionError>) -> String {
    match result {
        Ok(r) => format!(
            "ok {:?} output={:?} errors={:?} warnings={:?}",
            r.state,
            r.output,
            r.errors
                .iter()
                .map(|e| e.fully_qualified_error_id().map(str::to_owned))
                .collect::<Vec<_>>(),
            r.warnings
                .iter()
                .map(|w| w.message.clone())
                .collect::<Vec<_>>()
        ),
        Err(SessionError::Pipeline(f)) => format!(
            "failed {:?} {:?}",
            f.state,
            f.record
                .as_ref()
                .and_then(|r| r.fully_qualified_error_id().map(str::to_owned))
        ),
        Err(e) => format!("error {e}"),
    }
}

/// The same calls each time: a SecureString parameter (the key exchange first), a
/// PSCredential, a read, and a command that fails.
async fn conversation(options: SessionOptions) -> Vec<String> {
    let mut session = Session::connect(options).await.expect("connect");
    let calls = [
        Command::new("New-Mailbox")
            .param("Name", "Rita Corder")
            .param("UserPrincipalName", "rita.corder@contoso.com")
            .secure("Password", MAILBOX_PW),
        Command::new("Get-Mailbox")
            .param("Identity", "rita.corder@contoso.com")
            .credential("Credential", "CONTOSO\\rita", CREDENTIAL_PW),
        Command::new("Get-Mailbox").param("Identity", "rita.corder@contoso.com"),
        Command::new("Get-Mailbox").param("Identity", "nobody.here@contoso.com"),
    ];
    let mut out = Vec::new();
    for call in calls {
        out.push(summary(&session.invoke(call).await));
    }
    session.close().await.expect("close");
    out
}

/// Every encoding a secret could leak in: plain, UTF-16LE, base64 of each, hex of each.
fn encodings(secret: &str) -> Vec<Vec<u8>> {
    let utf8 = secret.as_bytes().to_vec();
    let utf16: Vec<u8> = secret.encode_utf16().flat_map(u16::to_le_bytes).collect();
    let mut all = Vec::new();
    for raw in [utf8, utf16] {
        let hex: String = raw.iter().map(|b| format!("{b:02x}")).collect();
        all.push(
            STANDARD
                .encode(&raw)
                .trim_end_matches('=')
                .as_bytes()
                .to_vec(),
        );
        all.push(hex.as_bytes().to_vec());
        all.push(hex.to_uppercase().into_bytes());
        all.push(raw);
    }
    all
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// The PSRP messages of a recording, both directions, reassembled.
fn messages(text: &str) -> Vec<RawMessage> {
    let lists = recording::parse(text).expect("recording parses");
    let mut client = Defragmenter::new();
    let mut server = Defragmenter::new();
    let mut out = Vec::new();
    for exchange in &lists[0].exchanges {
        let (_, request) =
            Request::parse(exchange.request.as_deref().unwrap_or_default().as_bytes())
                .expect("request");
        let mut sent = Vec::new();
        match request {
            Request::Create {
                creation_xml: Some(d),
                ..
            }
            | Request::Command {
                arguments: Some(d), ..
            } => sent.push(d),
            Request::Send { streams } => sent.extend(streams.into_iter().map(|s| s.data)),
            _ => {}
        }
        for d in sent {
            for blob in client.feed(&d).expect("client fragments") {
                out.push(RawMessage::decode(&blob).expect("client message"));
            }
        }
        if let Some(Ok((_, Response::Receive(r)))) = exchange
            .response
            .as_deref()
            .map(|t| Response::parse(t.as_bytes()))
        {
            for s in r.streams {
                for blob in server.feed(&s.data).expect("server fragments") {
                    out.push(RawMessage::decode(&blob).expect("server message"));
                }
            }
        }
    }
    out
}

/// The texts of the elements whose start tag begins with `open` (`<SS` finds `<SS>` and
/// `<SS N="V">`).
fn texts<'a>(body: &'a str, open: &str) -> Vec<&'a str> {
    body.match_indices(open)
        .filter(|(at, _)| {
            open.ends_with('>') || matches!(body.as_bytes().get(at + open.len()), Some(b' ' | b'>'))
        })
        .filter_map(|(at, _)| {
            let rest = &body[at..];
            let rest = &rest[rest.find('>')? + 1..];
            rest.find('<').map(|end| &rest[..end])
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recorded_session_has_no_secrets_and_replays_to_the_same_results() {
    let dir = std::env::temp_dir().join(format!("mx-recording-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("session.yml");

    let sim = Server::start(SimConfig::default()).expect("sim");
    let recorded = conversation(options(&sim, Some(&file))).await;
    sim.shutdown();
    assert!(
        recorded[0].starts_with("ok Some(Completed)"),
        "{recorded:?}"
    );
    assert!(
        recorded[3].contains("NotFound") || recorded[3].contains("errors=[Some"),
        "{recorded:?}"
    );

    let bytes = std::fs::read(&file).expect("recording written");
    let text = String::from_utf8(bytes.clone()).expect("UTF-8");
    // Every secret, in every encoding, in the file and in every PSRP message inside it.
    let messages = messages(&text);
    for secret in [ADMIN_PW, MAILBOX_PW, CREDENTIAL_PW] {
        for needle in encodings(secret) {
            assert!(
                !contains(&bytes, &needle),
                "{} found in the file",
                String::from_utf8_lossy(&needle)
            );
            for m in &messages {
                assert!(
                    !contains(&m.data, &needle),
                    "{} found in a {:?}",
                    String::from_utf8_lossy(&needle),
                    m.message_type
                );
            }
        }
    }
    // What was redacted was there: two SecureStrings (the password, the credential's) and
    // the key material of the exchange, each now zero bytes.
    let mut secure_strings = 0;
    let mut keys = 0;
    for m in &messages {
        let body = String::from_utf8_lossy(&m.data);
        for t in texts(&body, "<SS") {
            secure_strings += 1;
            assert!(t.trim_end_matches('=').bytes().all(|b| b == b'A'), "{t}");
        }
        for open in ["<S N=\"PublicKey\">", "<S N=\"EncryptedSessionKey\">"] {
            for t in texts(&body, open) {
                keys += 1;
                assert!(t.len() > 100, "{t}");
                assert!(t.trim_end_matches('=').bytes().all(|b| b == b'A'), "{t}");
            }
        }
    }
    assert_eq!(secure_strings, 2, "SecureStrings in the recording");
    assert_eq!(keys, 2, "PUBLIC_KEY and ENCRYPTED_SESSION_KEY");
    assert!(
        messages
            .iter()
            .any(|m| m.message_type == MessageType::EncryptedSessionKey)
    );

    // Served back, with new ShellIds and CommandIds.
    for policy in [IdPolicy::AsRecorded, IdPolicy::Fresh] {
        let exchanges = recording::parse(&text).expect("parse").remove(0).exchanges;
        let replay = Server::start(SimConfig {
            replay: Some(Replay::new(exchanges, policy)),
            ..SimConfig::default()
        })
        .expect("replay sim");
        let replayed = conversation(options(&replay, None)).await;
        let (stats, mismatches) = replay.replay_report().expect("a replay");
        replay.shutdown();
        assert_eq!(replayed, recorded, "{policy:?}");
        assert!(mismatches.is_empty(), "{policy:?}: {mismatches:#?}");
        assert_eq!(stats.synthesized_signals + stats.skipped_signals, 0);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn an_unwritable_record_path_is_a_config_error() {
    let sim = Server::start(SimConfig::default()).expect("sim");
    let missing = std::env::temp_dir().join("mx-no-such-dir/deeper/session.yml");
    let err = Session::connect(options(&sim, Some(&missing)))
        .await
        .expect_err("no such directory");
    assert!(matches!(err, SessionError::Record(_)), "{err:?}");
    assert_eq!(err.kind(), monosync_exchange::exchange::ErrorKind::Config);
    assert!(err.to_string().contains("mx-no-such-dir"), "{err}");
    assert_eq!(sim.shell_count(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_session_of_a_pool_records_into_its_own_numbered_file() {
    let dir = std::env::temp_dir().join(format!("mx-pool-recording-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let sim = Server::start(SimConfig::default()).expect("sim");
    let mut pool_options = PoolOptions::new(options(&sim, Some(&dir.join("pool.yml"))));
    pool_options.max_sessions = 2;
    let pool = Pool::new(pool_options).expect("pool");
    let get = || Command::new("Get-Mailbox").param("Identity", "Administrator");
    let (a, b) = tokio::join!(pool.invoke(get()), pool.invoke(get()));
    a.expect("first");
    b.expect("second");
    pool.close().await.expect("close");
    sim.shutdown();
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .expect("dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(files, ["pool.1.yml", "pool.2.yml"]);
    for f in &files {
        let text = std::fs::read_to_string(dir.join(f)).expect("read");
        let exchanges = &recording::parse(&text).expect("parse")[0].exchanges;
        let first = exchanges[0].request.as_deref().unwrap_or_default();
        let last = exchanges
            .last()
            .and_then(|e| e.request.as_deref())
            .unwrap_or_default();
        assert!(
            first.contains("transfer/Create"),
            "{f} starts with its own Create"
        );
        assert!(
            last.contains("transfer/Delete"),
            "{f} ends with its own Delete"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
