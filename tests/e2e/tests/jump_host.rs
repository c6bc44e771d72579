//! Jump-host mode against the simulator: the session opens `Microsoft.PowerShell` on `/wsman`,
//! imports a session to Exchange's local `/PowerShell/` endpoint with an explicit PSCredential,
//! and runs Exchange cmdlets through it as the credential's user. Also: the refusal of a wrong
//! Exchange password, Exchange cmdlets on `/wsman` without the bootstrap, and the password never
//! crossing the wire in clear.

use std::sync::{Arc, Mutex};

use monosync_exchange::clixml::PsValue;
use monosync_exchange::exchange::{
    Command, Endpoint, Session, SessionError, SessionOptions, StreamItem,
};
use monosync_exchange::psrp::messages::CreatePipeline;
use monosync_exchange::psrp::{Defragmenter, PSInvocationState, PsrpMessage, RawMessage};
use monosync_exchange::transport::{AuthMethod, Credentials, TransportOptions};
use monosync_exchange::wsman::Request;
use mx_sim::exchange::BoundArg;
use mx_sim::http::tls::TlsIdentity;
use mx_sim::{RunningServer, Server, SimConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The WinRM account (Organization Management).
const ADMIN: &str = "Administrator";
const ADMIN_PW: &str = "P@ssw0rd!";
/// The Exchange account of the second hop (Recipient Management).
const RECIPIENT_ADMIN: &str = "CONTOSO\\recipientadmin";
const RECIPIENT_ADMIN_PW: &str = "Recipients1!";
/// Exchange's endpoint as the jump host reaches it.
const EXCHANGE_URI: &str = "http://ex01.contoso.com/PowerShell/";
/// A seeded user without a mailbox.
const SHARON: &str = "Sharon Price";
/// A seeded mailbox.
const JUSTIN: &str = "justin.martin";
const MAILBOX_TYPE: &str = "Deserialized.Microsoft.Exchange.Data.Directory.Management.Mailbox";

fn https_server() -> (RunningServer, String) {
    let identity =
        TlsIdentity::self_signed(&["localhost".into(), "127.0.0.1".into()]).expect("certificate");
    let thumbprint = identity.sha1_thumbprint();
    let server = Server::start(SimConfig {
        tls: Some(identity),
        ..SimConfig::default()
    })
    .expect("server");
    (server, thumbprint)
}

fn jump_options(
    server: &RunningServer,
    thumbprint: &str,
    exchange_user: &str,
    exchange_password: &str,
) -> SessionOptions {
    let mut options = SessionOptions::jump_host(
        server.url(mx_sim::Endpoint::Wsman),
        AuthMethod::Basic,
        Credentials::new(ADMIN, ADMIN_PW),
        EXCHANGE_URI,
        Credentials::new(exchange_user, exchange_password),
    );
    options.transport.tls.pinned_thumbprints = vec![thumbprint.to_owned()];
    options
}

fn text<'a>(v: &'a PsValue, name: &str) -> Option<&'a str> {
    v.property(name).and_then(PsValue::as_str)
}

fn first_type_name(v: &PsValue) -> Option<&str> {
    v.as_object()
        .and_then(|o| o.type_names.as_deref())
        .and_then(|t| t.first())
        .map(String::as_str)
}

fn operations(server: &RunningServer) -> Vec<String> {
    server
        .request_log()
        .entries()
        .iter()
        .filter(|e| e.operation != "Auth" && e.status != 401)
        .map(|e| e.operation.clone())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bootstrap_then_enable_mailbox_and_get_mailbox_through_the_jump_host() {
    let (server, thumbprint) = https_server();
    let mut session = Session::connect(jump_options(
        &server,
        &thumbprint,
        RECIPIENT_ADMIN,
        RECIPIENT_ADMIN_PW,
    ))
    .await
    .expect("connect and bootstrap");
    // Open the pool, exchange the session key for the credential, run the bootstrap.
    assert_eq!(
        operations(&server),
        [
            "Create", "Receive", "Send", "Receive", "Command", "Receive", "Signal"
        ]
    );
    println!("connect + bootstrap: {:?}", session.round_trips());
    let log = server.request_log().entries();
    assert!(
        log.iter().all(|e| e.path == "/wsman"),
        "only /wsman is used"
    );
    assert!(
        log.iter()
            .filter(|e| e.status == 200)
            .all(|e| e.user.as_deref() == Some(ADMIN)),
        "the WinRM hop authenticates as the WinRM account"
    );
    assert_eq!(server.shell_count(), 1);

    let enabled = session
        .invoke(Command::new("Enable-Mailbox").param("Identity", SHARON))
        .await
        .expect("Enable-Mailbox");
    assert!(enabled.errors.is_empty(), "{:?}", enabled.errors);
    assert_eq!(enabled.output.len(), 1);
    assert_eq!(first_type_name(&enabled.output[0]), Some(MAILBOX_TYPE));

    let r = session
        .invoke(Command::new("Get-Mailbox").param("Identity", SHARON))
        .await
        .expect("Get-Mailbox");
    assert_eq!(r.state, Some(PSInvocationState::Completed));
    assert_eq!(r.output.len(), 1);
    let mbx = &r.output[0];
    assert_eq!(text(mbx, "Name"), Some(SHARON));
    assert_eq!(text(mbx, "RecipientTypeDetails"), Some("UserMailbox"));
    assert_eq!(first_type_name(mbx), Some(MAILBOX_TYPE));
    assert_eq!(text(mbx, "PSComputerName"), Some("ex01.contoso.com"));

    // A SecureString parameter of an imported command travels like any other.
    let created = session
        .invoke(
            Command::new("New-Mailbox")
                .param("Name", "Quinn Hart")
                .param("UserPrincipalName", "quinn.hart@contoso.com")
                .secure("Password", "Str0ng!Passw0rd"),
        )
        .await
        .expect("New-Mailbox");
    assert!(created.errors.is_empty(), "{:?}", created.errors);
    assert_eq!(
        text(&created.output[0], "UserPrincipalName"),
        Some("quinn.hart@contoso.com")
    );
    let directory_has_it = server
        .exchange()
        .directory()
        .iter()
        .any(|r| r.name == "Quinn Hart");
    assert!(directory_has_it);

    // Streaming works through the imported session like anywhere else.
    let mut stream = session
        .invoke_stream(Command::new("Get-Mailbox").param("ResultSize", "Unlimited"))
        .await
        .expect("stream");
    let mut mailboxes = 0;
    while let Some(item) = stream.next().await {
        if let StreamItem::Output(mbx) = item.expect("item") {
            assert_eq!(first_type_name(&mbx), Some(MAILBOX_TYPE));
            mailboxes += 1;
        }
    }
    assert_eq!(stream.state(), Some(PSInvocationState::Completed));
    drop(stream);
    let expected = server
        .exchange()
        .invoke(
            "Get-Mailbox",
            &[BoundArg::named("ResultSize", PsValue::from("Unlimited"))],
        )
        .output
        .len();
    assert!(expected > 1);
    assert_eq!(mailboxes, expected);

    session.close().await.expect("close");
    assert_eq!(server.shell_count(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_exchange_credential_decides_the_rbac_not_the_winrm_account() {
    let (server, thumbprint) = https_server();
    let mut session = Session::connect(jump_options(
        &server,
        &thumbprint,
        "auditor@contoso.com",
        "ReadOnly1!",
    ))
    .await
    .expect("connect and bootstrap");
    let r = session
        .invoke(Command::new("Get-Mailbox").param("Identity", JUSTIN))
        .await
        .expect("View-Only may read");
    assert_eq!(text(&r.output[0], "SamAccountName"), Some(JUSTIN));
    let err = session
        .invoke(Command::new("Enable-Mailbox").param("Identity", SHARON))
        .await
        .expect_err("View-Only has no Enable-Mailbox, though the WinRM account could run it");
    assert_eq!(
        err.error_record()
            .and_then(|r| r.fully_qualified_error_id()),
        Some("CommandNotFoundException")
    );
    session.close().await.expect("close");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_exchange_password_is_a_typed_bootstrap_error() {
    let (server, thumbprint) = https_server();
    let err = Session::connect(jump_options(
        &server,
        &thumbprint,
        RECIPIENT_ADMIN,
        "not-the-password",
    ))
    .await
    .expect_err("the second hop refuses the logon");
    let SessionError::JumpHost(failure) = &err else {
        panic!("expected a jump-host failure, got {err:?}");
    };
    assert_eq!(failure.exchange_uri, EXCHANGE_URI);
    assert_eq!(failure.user, RECIPIENT_ADMIN);
    assert_eq!(failure.state, Some(PSInvocationState::Failed));
    let record = failure.record.as_ref().expect("the server's error record");
    assert_eq!(
        record.fully_qualified_error_id(),
        Some("AccessDenied,PSSessionOpenFailed")
    );
    assert_eq!(
        record.exception_type(),
        Some("System.Management.Automation.Remoting.PSRemotingTransportException")
    );
    assert!(
        record
            .message()
            .is_some_and(|m| m.contains("Access is denied")),
        "{:?}",
        record.message()
    );
    assert!(err.to_string().contains("AccessDenied,PSSessionOpenFailed"));
    assert!(!err.to_string().contains("not-the-password"));
    // The shell was deleted before the error was returned.
    assert_eq!(server.shell_count(), 0);
    assert_eq!(server.request_log().count("Delete"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exchange_cmdlets_on_wsman_without_the_bootstrap_are_not_found() {
    let (server, thumbprint) = https_server();
    let mut transport = TransportOptions::new(
        server.url(mx_sim::Endpoint::Wsman),
        AuthMethod::Basic,
        Credentials::new(ADMIN, ADMIN_PW),
    );
    transport.tls.pinned_thumbprints = vec![thumbprint];
    let mut session = Session::connect(SessionOptions::new(
        transport,
        Endpoint::Configuration("Microsoft.PowerShell".into()),
    ))
    .await
    .expect("connect");
    for cmdlet in ["Get-Mailbox", "Enable-Mailbox"] {
        let err = session
            .invoke(Command::new(cmdlet).param("Identity", SHARON))
            .await
            .expect_err("no Exchange cmdlets on /wsman");
        let record = err.error_record().expect("record");
        assert_eq!(
            record.fully_qualified_error_id(),
            Some("CommandNotFoundException")
        );
        assert!(record.message().is_some_and(|m| m.contains(cmdlet)));
    }
    session.close().await.expect("close");
}

/// Forwards TCP connections to `target`, keeping what each client sent.
async fn recording_proxy(target: std::net::SocketAddr) -> (String, Arc<Mutex<Vec<Vec<u8>>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("proxy listener");
    let addr = listener.local_addr().expect("proxy address");
    let sent: Arc<Mutex<Vec<Vec<u8>>>> = Arc::default();
    let record = Arc::clone(&sent);
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let Ok(upstream) = tokio::net::TcpStream::connect(target).await else {
                return;
            };
            let index = {
                let mut all = record.lock().expect("record");
                all.push(Vec::new());
                all.len() - 1
            };
            let record = Arc::clone(&record);
            let (mut client_read, mut client_write) = client.into_split();
            let (mut upstream_read, mut upstream_write) = upstream.into_split();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 16 * 1024];
                while let Ok(n) = client_read.read(&mut buf).await {
                    if n == 0 {
                        break;
                    }
                    record.lock().expect("record")[index].extend_from_slice(&buf[..n]);
                    if upstream_write.write_all(&buf[..n]).await.is_err() {
                        break;
                    }
                }
            });
            tokio::spawn(async move {
                let _ = tokio::io::copy(&mut upstream_read, &mut client_write).await;
            });
        }
    });
    (format!("http://{addr}/wsman"), sent)
}

/// The bodies of the HTTP requests in one connection's bytes (Content-Length framed).
fn request_bodies(mut stream: &[u8]) -> Vec<Vec<u8>> {
    let mut bodies = Vec::new();
    while let Some(end) = stream.windows(4).position(|w| w == b"\r\n\r\n") {
        let head = String::from_utf8_lossy(&stream[..end]).to_ascii_lowercase();
        let length = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .map(|v| v.trim().parse::<usize>().expect("content length"))
            .unwrap_or(0);
        let body_start = end + 4;
        let body_end = (body_start + length).min(stream.len());
        bodies.push(stream[body_start..body_end].to_vec());
        stream = &stream[body_end..];
    }
    bodies
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_exchange_password_never_crosses_the_wire_in_clear() {
    // Plain HTTP with Basic (AllowUnencrypted), so that a proxy sees every request body as the
    // server does.
    let server = Server::start(SimConfig {
        allow_unencrypted: true,
        ..SimConfig::default()
    })
    .expect("server");
    let target = server
        .url(mx_sim::Endpoint::Wsman)
        .trim_start_matches("http://")
        .trim_end_matches("/wsman")
        .parse()
        .expect("server address");
    let (url, sent) = recording_proxy(target).await;
    let mut options = SessionOptions::jump_host(
        url,
        AuthMethod::Basic,
        Credentials::new(ADMIN, ADMIN_PW),
        EXCHANGE_URI,
        Credentials::new(RECIPIENT_ADMIN, RECIPIENT_ADMIN_PW),
    );
    options.transport.allow_basic_over_http = true;
    let mut session = Session::connect(options)
        .await
        .expect("connect and bootstrap");
    let r = session
        .invoke(Command::new("Get-Mailbox").param("Identity", JUSTIN))
        .await
        .expect("Get-Mailbox");
    assert_eq!(r.output.len(), 1);
    session.close().await.expect("close");

    let connections = sent.lock().expect("record").clone();
    let password = RECIPIENT_ADMIN_PW.as_bytes();
    let utf16: Vec<u8> = RECIPIENT_ADMIN_PW
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    let mut bodies = 0;
    let mut credential_seen = false;
    for stream in &connections {
        assert!(
            !contains(stream, password),
            "the password in clear on the wire"
        );
        for body in request_bodies(stream) {
            bodies += 1;
            let (_, request) = Request::parse(&body).expect("a WS-Management request");
            // Every PSRP payload, base64-decoded from the envelope.
            let payloads: Vec<Vec<u8>> = match request {
                Request::Create { creation_xml, .. } => creation_xml.into_iter().collect(),
                Request::Command { arguments, .. } => arguments.into_iter().collect(),
                Request::Send { streams } => streams.into_iter().map(|s| s.data).collect(),
                _ => Vec::new(),
            };
            for payload in payloads {
                let mut defrag = Defragmenter::new();
                for message in defrag.feed(&payload).expect("fragments") {
                    assert!(
                        !contains(&message, password),
                        "the password in a PSRP message"
                    );
                    assert!(!contains(&message, &utf16), "the password as UTF-16");
                    let raw = RawMessage::decode(&message).expect("PSRP message");
                    if let Ok(PsrpMessage::CreatePipeline(CreatePipeline { power_shell, .. })) =
                        PsrpMessage::decode(&raw)
                    {
                        let command = &power_shell.statements[0][0];
                        let Some(credential) = command
                            .args
                            .iter()
                            .find(|a| a.name.as_deref() == Some("Credential"))
                        else {
                            continue;
                        };
                        assert!(command.is_script);
                        assert!(!command.cmd.contains(RECIPIENT_ADMIN_PW));
                        assert_eq!(text(&credential.value, "UserName"), Some(RECIPIENT_ADMIN));
                        assert!(
                            matches!(
                                credential.value.property("Password"),
                                Some(PsValue::SecureString(s)) if !s.0.is_empty()
                            ),
                            "the password is a SecureString"
                        );
                        credential_seen = true;
                    }
                }
            }
        }
    }
    assert!(bodies >= 8, "every request was seen ({bodies})");
    assert!(credential_seen, "the bootstrap's PSCredential was decoded");
}
