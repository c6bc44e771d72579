//! The HTTP side over real sockets: Basic over HTTPS, unsealed bodies refused, confirmation
//! prompts, and hostile input that must not stop the server.

mod common;

use std::io::{Read as _, Write as _};
use std::time::Duration;

use common::Client;
use monosync_exchange::psrp::{Command, PSInvocationState, PowerShellSpec};
use monosync_exchange::transport::AuthMethod;
use monosync_exchange::wsman::namespaces::RESOURCE_EXCHANGE;
use mx_sim::http::tls::TlsIdentity;
use mx_sim::{Endpoint, FaultAction, FaultPlan, FaultRule, Server, SimConfig};

const ADMIN: &str = "Administrator";
const ADMIN_PW: &str = "P@ssw0rd!";

fn ntlm_client(server: &mx_sim::RunningServer) -> Client {
    let url = server.url(Endpoint::PowerShell);
    let opts = Client::options(&url, AuthMethod::Ntlm, ADMIN, ADMIN_PW);
    Client::new(&url, RESOURCE_EXCHANGE, opts)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn basic_over_https_with_a_pinned_self_signed_certificate() {
    let identity =
        TlsIdentity::self_signed(&["localhost".into(), "127.0.0.1".into()]).expect("certificate");
    let thumbprint = identity.sha1_thumbprint();
    assert_eq!(thumbprint.len(), 40);
    let server = Server::start(SimConfig {
        tls: Some(identity),
        ..SimConfig::default()
    })
    .expect("server starts");
    let url = server.url(Endpoint::PowerShell);
    assert!(url.starts_with("https://"));
    let mut opts = Client::options(&url, AuthMethod::Basic, ADMIN, ADMIN_PW);
    opts.tls.pinned_thumbprints = vec![thumbprint];
    let mut client = Client::new(&url, RESOURCE_EXCHANGE, opts);
    client.open().await.expect("shell opens");
    let outcome = client
        .run(&PowerShellSpec::new(
            Command::new("Get-Mailbox").param("ResultSize", 3),
        ))
        .await
        .expect("runs");
    assert_eq!(outcome.state, Some(PSInvocationState::Completed));
    assert_eq!(outcome.output.len(), 3);
    client.delete().await.expect("deleted");
    let log = server.request_log().entries();
    assert!(
        log.iter()
            .any(|e| e.auth.as_deref() == Some("Basic") && e.status == 200)
    );
    assert!(log.iter().all(|e| !e.sealed));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_basic_password_is_refused() {
    let identity = TlsIdentity::self_signed(&["localhost".into()]).expect("certificate");
    let thumbprint = identity.sha256_thumbprint();
    let server = Server::start(SimConfig {
        tls: Some(identity),
        ..SimConfig::default()
    })
    .expect("server starts");
    let url = server.url(Endpoint::PowerShell);
    let mut opts = Client::options(&url, AuthMethod::Basic, ADMIN, "wrong");
    opts.tls.pinned_thumbprints = vec![thumbprint];
    let mut client = Client::new(&url, RESOURCE_EXCHANGE, opts);
    assert!(client.open().await.is_err());
    assert_eq!(server.shell_count(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsealed_ntlm_bodies_are_refused_over_http_by_default() {
    let server = Server::start(SimConfig::default()).expect("server starts");
    let url = server.url(Endpoint::PowerShell);
    let mut opts = Client::options(&url, AuthMethod::Ntlm, ADMIN, ADMIN_PW);
    opts.allow_unencrypted = true;
    let mut client = Client::new(&url, RESOURCE_EXCHANGE, opts);
    assert!(client.open().await.is_err(), "plain SOAP must be refused");
    assert_eq!(server.shell_count(), 0);
    assert!(
        server
            .request_log()
            .entries()
            .iter()
            .any(|e| e.status == 400)
    );

    let allowing = Server::start(SimConfig {
        allow_unencrypted: true,
        ..SimConfig::default()
    })
    .expect("server starts");
    let url = allowing.url(Endpoint::PowerShell);
    let mut opts = Client::options(&url, AuthMethod::Ntlm, ADMIN, ADMIN_PW);
    opts.allow_unencrypted = true;
    let mut client = Client::new(&url, RESOURCE_EXCHANGE, opts);
    client
        .open()
        .await
        .expect("AllowUnencrypted accepts plain SOAP");
    client.delete().await.expect("deleted");
}

async fn create_contact(client: &mut Client, name: &str) {
    let created = client
        .run(&PowerShellSpec::new(
            Command::new("New-MailContact").param("Name", name).param(
                "ExternalEmailAddress",
                format!("{}@fabrikam.example", name.replace(' ', ".")),
            ),
        ))
        .await
        .expect("runs");
    assert_eq!(created.state, Some(PSInvocationState::Completed));
    assert_eq!(created.output.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn destructive_cmdlet_without_a_host_fails_with_host_exception() {
    let server = Server::start(SimConfig::default()).expect("server starts");
    let mut client = ntlm_client(&server);
    client.open().await.expect("shell opens");
    create_contact(&mut client, "Bob Partner").await;
    let removed = client
        .run(&PowerShellSpec::new(
            Command::new("Remove-MailContact").param("Identity", "Bob Partner"),
        ))
        .await
        .expect("runs");
    assert_eq!(removed.host_calls, 0, "no host, no host call");
    assert_eq!(removed.state, Some(PSInvocationState::Failed));
    let error = removed.state_error.expect("record");
    assert_eq!(error.fully_qualified_error_id(), Some("HostException"));
    assert!(
        !server
            .exchange()
            .directory()
            .resolve("Bob Partner")
            .is_empty()
    );
    let confirmed = client
        .run(&PowerShellSpec::new(
            Command::new("Remove-MailContact")
                .param("Identity", "Bob Partner")
                .param("Confirm", false),
        ))
        .await
        .expect("runs");
    assert_eq!(confirmed.state, Some(PSInvocationState::Completed));
    assert!(
        server
            .exchange()
            .directory()
            .resolve("Bob Partner")
            .is_empty()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn destructive_cmdlet_prompts_a_host_and_a_refusal_changes_nothing() {
    let server = Server::start(SimConfig::default()).expect("server starts");
    let mut client = ntlm_client(&server).with_host();
    client.open().await.expect("shell opens");
    create_contact(&mut client, "Carol Partner").await;
    let removed = client
        .run(&PowerShellSpec::new(
            Command::new("Remove-MailContact").param("Identity", "Carol Partner"),
        ))
        .await
        .expect("runs");
    assert_eq!(removed.host_calls, 1, "one PromptForChoice");
    // The non-interactive client answers the prompt with an error.
    assert_eq!(removed.state, Some(PSInvocationState::Failed));
    assert!(
        !server
            .exchange()
            .directory()
            .resolve("Carol Partner")
            .is_empty()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn result_size_warning_arrives_on_the_warning_stream() {
    let server = Server::start(SimConfig::default()).expect("server starts");
    let mut client = ntlm_client(&server);
    client.open().await.expect("shell opens");
    let outcome = client
        .run(&PowerShellSpec::new(
            Command::new("Get-Recipient").param("ResultSize", 5),
        ))
        .await
        .expect("runs");
    assert_eq!(outcome.output.len(), 5);
    assert_eq!(outcome.warnings.len(), 1, "{:?}", outcome.warnings);
    assert!(
        outcome.warnings[0]
            .starts_with("There are more results available than are currently displayed."),
        "{}",
        outcome.warnings[0]
    );
}

/// Sends raw bytes and returns the status line's code (0 when the server closed without one).
fn raw_status(addr: std::net::SocketAddr, request: &[u8]) -> u16 {
    let mut tcp = std::net::TcpStream::connect(addr).expect("connect");
    tcp.set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    let _ = tcp.write_all(request);
    let mut buf = vec![0; 4096];
    let n = tcp.read(&mut buf).unwrap_or(0);
    let text = String::from_utf8_lossy(&buf[..n]);
    text.split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

fn post(path: &str, headers: &str, body: &[u8]) -> Vec<u8> {
    let mut r = format!(
        "POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Length: {}\r\n{headers}\r\n",
        body.len()
    )
    .into_bytes();
    r.extend_from_slice(body);
    r
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_input_gets_answers_and_the_server_keeps_serving() {
    let server = Server::start(SimConfig {
        allow_unencrypted: true,
        ..SimConfig::default()
    })
    .expect("server starts");
    let addr = server.addr();
    let basic = format!(
        "Authorization: Basic {}\r\n",
        base64_encode(format!("{ADMIN}:{ADMIN_PW}").as_bytes())
    );
    let statuses = tokio::task::spawn_blocking(move || {
        // Garbage auth tokens.
        let mut s = Vec::with_capacity(8);
        s.push(raw_status(addr, &post("/PowerShell", "Authorization: Negotiate !!!notbase64\r\n", b"")));
        s.push(raw_status(addr, &post("/PowerShell", "Authorization: Negotiate TlRMTVNTUAADAAAA\r\n", b"x")));
        s.push(raw_status(addr, &post("/PowerShell", "Authorization: Basic ???\r\n", b"x")));
        // Malformed SOAP and bad base64 inside a valid envelope.
        s.push(raw_status(addr, &post("/PowerShell", &basic, b"<s:Envelope><oops")));
        let bad_b64 = br#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd" xmlns:rsp="http://schemas.microsoft.com/wbem/wsman/1/windows/shell"><s:Header><a:To>http://x/PowerShell</a:To><w:ResourceURI>http://schemas.microsoft.com/powershell/Microsoft.Exchange</w:ResourceURI><a:Action>http://schemas.xmlsoap.org/ws/2004/09/transfer/Create</a:Action><a:MessageID>uuid:00000000-0000-0000-0000-000000000001</a:MessageID></s:Header><s:Body><rsp:Shell><rsp:InputStreams>stdin</rsp:InputStreams><rsp:OutputStreams>stdout</rsp:OutputStreams><creationXml xmlns="http://schemas.microsoft.com/powershell">@@@not base64@@@</creationXml></rsp:Shell></s:Body></s:Envelope>"#;
        s.push(raw_status(addr, &post("/PowerShell", &basic, bad_b64)));
        // Oversized body: refused before it is read in full.
        let big = vec![b'a'; 2_000_000];
        s.push(raw_status(addr, &post("/PowerShell", &basic, &big)));
        // A client that hangs up mid-body.
        {
            let mut tcp = std::net::TcpStream::connect(addr).expect("connect");
            let _ = tcp.write_all(
                format!("POST /PowerShell HTTP/1.1\r\nHost: x\r\n{basic}Content-Length: 5000\r\n\r\n<s:Env").as_bytes(),
            );
        }
        // Unknown path.
        s.push(raw_status(addr, &post("/nothing", "", b"")));
        s
    })
    .await
    .expect("no panic in the test thread");
    assert_eq!(statuses[0], 401);
    assert_eq!(statuses[1], 401);
    assert_eq!(statuses[2], 401);
    assert_eq!(statuses[3], 500, "malformed SOAP gets a fault");
    assert_eq!(statuses[4], 500, "bad base64 gets a fault");
    assert!(matches!(statuses[5], 413 | 0), "oversized: {}", statuses[5]);
    assert_eq!(statuses[6], 404);
    // Still serving.
    let mut client = ntlm_client(&server);
    client.open().await.expect("shell opens after the abuse");
    client.delete().await.expect("deleted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fault_plan_injects_503_then_recovers() {
    let server = Server::start(SimConfig::default()).expect("server starts");
    server.set_faults(FaultPlan {
        rules: vec![FaultRule {
            operation: "Create".into(),
            nth: 1,
            count: 1,
            action: FaultAction::Http503,
        }],
    });
    let mut client = ntlm_client(&server);
    assert!(client.open().await.is_err(), "first Create gets 503");
    let mut client = ntlm_client(&server);
    client.open().await.expect("second Create passes");
    let log = server.request_log().entries();
    assert!(
        log.iter()
            .any(|e| e.status == 503 && e.operation == "Create" && e.fault.is_some())
    );
}

fn base64_encode(data: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(data)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn strict_channel_binding_accepts_a_client_that_binds() {
    let identity = TlsIdentity::self_signed(&["localhost".into()]).expect("certificate");
    let thumbprint = identity.sha1_thumbprint();
    let server = Server::start(SimConfig {
        tls: Some(identity),
        cbt: mx_sim::CbtLevel::Strict,
        ..SimConfig::default()
    })
    .expect("server starts");
    let url = server.url(Endpoint::PowerShell);
    let mut opts = Client::options(&url, AuthMethod::Ntlm, ADMIN, ADMIN_PW);
    opts.tls.pinned_thumbprints = vec![thumbprint];
    let mut client = Client::new(&url, RESOURCE_EXCHANGE, opts);
    client
        .open()
        .await
        .expect("NTLM with channel bindings passes Strict");
    client.delete().await.expect("deleted");
    assert!(
        server
            .request_log()
            .entries()
            .iter()
            .any(|e| e.auth.as_deref() == Some("Ntlm") && !e.sealed && e.status == 200)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fault_plan_drops_and_delays() {
    let server = Server::start(SimConfig::default()).expect("server starts");
    server.set_faults(FaultPlan {
        rules: vec![
            FaultRule {
                operation: "Create".into(),
                nth: 1,
                count: 1,
                action: FaultAction::Drop,
            },
            FaultRule {
                operation: "Delete".into(),
                nth: 1,
                count: 1,
                action: FaultAction::Delay { ms: 300 },
            },
        ],
    });
    let mut client = ntlm_client(&server);
    assert!(client.open().await.is_err(), "dropped connection");
    assert_eq!(server.shell_count(), 0);
    let mut client = ntlm_client(&server);
    client.open().await.expect("second Create passes");
    let started = std::time::Instant::now();
    client.delete().await.expect("delayed Delete still answers");
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(server.shell_count(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_shells_are_deleted() {
    let mut config = SimConfig::default();
    config.service.idle_timeout = Duration::from_millis(200);
    let server = Server::start(config).expect("server starts");
    let mut client = ntlm_client(&server);
    client.open().await.expect("shell opens");
    tokio::time::sleep(Duration::from_millis(400)).await;
    let err = client.receive(None).await.expect_err("the shell expired");
    assert_eq!(err.fault_code(), Some(2_150_858_843));
    assert_eq!(server.shell_count(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn injected_faults_break_the_runspace_truncate_and_expire_auth() {
    let server = Server::start(SimConfig::default()).expect("server starts");
    let mut client = ntlm_client(&server);
    client.open().await.expect("shell opens");
    server.set_faults(FaultPlan {
        rules: vec![FaultRule {
            operation: "Command".into(),
            nth: 1,
            count: 1,
            action: FaultAction::BreakRunspace,
        }],
    });
    // The pool is broken before the command arrives: the pipeline cannot complete.
    let result = client
        .run(&PowerShellSpec::new(Command::new("Get-Mailbox").arg(ADMIN)))
        .await;
    assert!(result.is_err() || result.is_ok_and(|o| o.state != Some(PSInvocationState::Completed)));

    let mut client = ntlm_client(&server);
    client.open().await.expect("a new shell opens");
    server.set_faults(FaultPlan {
        rules: vec![FaultRule {
            operation: "Receive".into(),
            nth: 1,
            count: 1,
            action: FaultAction::TruncatedBody,
        }],
    });
    let result = client
        .run(&PowerShellSpec::new(Command::new("Get-Mailbox").arg(ADMIN)))
        .await;
    assert!(result.is_err(), "a truncated sealed body cannot be read");
    let log = server.request_log().entries();
    assert!(
        log.iter()
            .any(|e| e.fault.as_deref() == Some("TruncatedBody"))
    );

    let mut client = ntlm_client(&server);
    client.open().await.expect("a new shell opens");
    server.set_faults(FaultPlan {
        rules: vec![FaultRule {
            operation: "Command".into(),
            nth: 1,
            count: 1,
            action: FaultAction::ExpireAuth,
        }],
    });
    // The client re-authenticates on the 401 or reports it; either way the server answered.
    let _ = client
        .run(&PowerShellSpec::new(Command::new("Get-Mailbox").arg(ADMIN)))
        .await;
    let log = server.request_log().entries();
    assert!(
        log.iter()
            .any(|e| e.fault.as_deref() == Some("ExpireAuth") && e.status == 401)
    );
}

#[test]
fn starts_outside_a_runtime_and_shuts_down() {
    let server = Server::start(SimConfig::default()).expect("server starts on its own thread");
    let addr = server.addr();
    assert_eq!(raw_status(addr, &post("/wsman", "", b"")), 401);
    server.shutdown();
    let refused = (0..50).any(|_| {
        std::thread::sleep(Duration::from_millis(20));
        std::net::TcpStream::connect(addr).is_err()
    });
    assert!(refused, "the listener is closed after shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrupt_fragment_breaks_the_client_not_the_server() {
    let server = Server::start(SimConfig::default()).expect("server starts");
    let mut client = ntlm_client(&server);
    client.open().await.expect("shell opens");
    server.set_faults(FaultPlan {
        rules: vec![FaultRule {
            operation: "Receive".into(),
            nth: 1,
            count: 1,
            action: FaultAction::CorruptFragment,
        }],
    });
    let result = client
        .run(&PowerShellSpec::new(Command::new("Get-Mailbox").arg(ADMIN)))
        .await;
    assert!(
        result.is_err() || result.is_ok_and(|o| o.output.is_empty()),
        "the corrupted payload is not read as output"
    );
    let mut client = ntlm_client(&server);
    client.open().await.expect("the server still serves");
    let outcome = client
        .run(&PowerShellSpec::new(Command::new("Get-Mailbox").arg(ADMIN)))
        .await
        .expect("runs");
    assert_eq!(outcome.output.len(), 1);
}

/// The raw response head to an unauthenticated POST.
fn raw_head(addr: std::net::SocketAddr, path: &str) -> String {
    let mut tcp = std::net::TcpStream::connect(addr).expect("connect");
    tcp.set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    let _ = tcp.write_all(&post(path, "", b""));
    let mut buf = vec![0; 4096];
    let n = tcp.read(&mut buf).unwrap_or(0);
    String::from_utf8_lossy(&buf[..n]).to_ascii_lowercase()
}

#[test]
fn challenges_offer_what_iis_and_winrm_offer() {
    let http = Server::start(SimConfig::default()).expect("server starts");
    let head = raw_head(http.addr(), "/wsman");
    assert!(head.starts_with("http/1.1 401"));
    assert!(head.contains("www-authenticate: negotiate\r\n"));
    assert!(!head.contains("basic"), "no Basic over plain HTTP: {head}");
    assert!(head.contains("set-cookie: ms-wsman="));

    let allowing = Server::start(SimConfig {
        allow_unencrypted: true,
        ..SimConfig::default()
    })
    .expect("server starts");
    let head = raw_head(allowing.addr(), "/wsman");
    assert!(
        head.contains("www-authenticate: basic realm=\"wsman\""),
        "{head}"
    );
}
