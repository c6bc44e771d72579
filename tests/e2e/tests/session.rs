//! `Session` against the simulator: NTLM-sealed HTTP and Basic over HTTPS, real Exchange
//! cmdlets over the seeded organisation, streaming, cancellation, and clean shells. Each test
//! prints the WS-Management round trips its operations took, from the simulator's request log.

use std::time::Duration;

use monosync_exchange::clixml::PsValue;
use monosync_exchange::exchange::{Command, Session, SessionError, SessionOptions, StreamItem};
use monosync_exchange::psrp::PSInvocationState;
use monosync_exchange::transport::{AuthMethod, Credentials};
use mx_sim::exchange::directory::Directory;
use mx_sim::exchange::{BoundArg, Exchange};
use mx_sim::http::tls::TlsIdentity;
use mx_sim::{
    DEFAULT_SEED, Endpoint, FaultAction, FaultPlan, FaultRule, RunningServer, Server, SimConfig,
};

const ADMIN: &str = "Administrator";
const ADMIN_PW: &str = "P@ssw0rd!";
/// A seeded mailbox.
const JUSTIN: &str = "justin.martin";
/// A seeded user without a mailbox.
const SHARON: &str = "Sharon Price";

fn ntlm_options(server: &RunningServer) -> SessionOptions {
    SessionOptions::exchange(
        server.url(Endpoint::PowerShell),
        AuthMethod::Ntlm,
        Credentials::new(format!("CONTOSO\\{ADMIN}"), ADMIN_PW),
    )
}

fn text<'a>(v: &'a PsValue, name: &str) -> Option<&'a str> {
    v.property(name).and_then(PsValue::as_str)
}

/// WS-Management operations in the log since `from`; authentication legs (the 401
/// challenges of a new connection) are left out.
fn operations_since(server: &RunningServer, from: usize) -> Vec<String> {
    server.request_log().entries()[from..]
        .iter()
        .filter(|e| e.operation != "Auth" && e.status != 401)
        .map(|e| e.operation.clone())
        .collect()
}

fn log_len(server: &RunningServer) -> usize {
    server.request_log().entries().len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ntlm_sealed_connect_get_mailbox_and_close() {
    let server = Server::start(SimConfig::default()).expect("server");
    let session = Session::connect(ntlm_options(&server))
        .await
        .expect("connect");
    assert_eq!(operations_since(&server, 0), ["Create", "Receive"]);
    println!("connect: {:?}", session.round_trips());
    assert_eq!(session.max_envelope_size(), 512_000);
    assert_eq!(server.shell_count(), 1);
    let mut session = session;

    let from = log_len(&server);
    let r = session
        .invoke(Command::new("Get-Mailbox").param("Identity", JUSTIN))
        .await
        .expect("Get-Mailbox");
    assert_eq!(r.state, Some(PSInvocationState::Completed));
    assert_eq!(r.output.len(), 1);
    let mbx = &r.output[0];
    assert_eq!(text(mbx, "SamAccountName"), Some(JUSTIN));
    assert_eq!(text(mbx, "DisplayName"), Some("Justin Martin"));
    assert_eq!(text(mbx, "RecipientTypeDetails"), Some("UserMailbox"));
    assert_eq!(text(mbx, "Database"), Some("DB02"));
    assert_eq!(
        text(mbx, "PrimarySmtpAddress"),
        Some("justin.martin@contoso.com")
    );
    assert_eq!(
        mbx.property("ExchangeGuid")
            .and_then(PsValue::as_guid)
            .map(|g| g.to_string()),
        Some("12ff2aa0-e0d7-4726-8aa9-2073717538cb".to_owned())
    );
    let ops = operations_since(&server, from);
    assert_eq!(ops, ["Command", "Receive", "Signal"]);
    println!("Get-Mailbox -Identity: {} round trips {ops:?}", ops.len());

    let log = server.request_log().entries();
    assert!(
        log.iter()
            .filter(|e| e.operation != "Auth" && e.status == 200)
            .all(|e| e.sealed),
        "every SOAP request is sealed"
    );
    session.close().await.expect("close");
    assert_eq!(server.shell_count(), 0, "close leaves no shell");
    assert_eq!(server.request_log().count("Delete"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enable_mailbox_then_get_mailbox_shows_it() {
    let server = Server::start(SimConfig::default()).expect("server");
    let mut session = Session::connect(ntlm_options(&server))
        .await
        .expect("connect");
    let before = session
        .invoke(Command::new("Get-Mailbox").param("Identity", SHARON))
        .await
        .expect("lookup");
    assert!(before.output.is_empty());
    assert_eq!(before.errors.len(), 1, "no mailbox yet");

    let from = log_len(&server);
    let enabled = session
        .invoke(Command::new("Enable-Mailbox").param("Identity", SHARON))
        .await
        .expect("Enable-Mailbox");
    assert!(enabled.errors.is_empty(), "{:?}", enabled.errors);
    assert_eq!(enabled.output.len(), 1);
    println!(
        "Enable-Mailbox: {} round trips",
        operations_since(&server, from).len()
    );

    let after = session
        .invoke(Command::new("Get-Mailbox").param("Identity", SHARON))
        .await
        .expect("Get-Mailbox");
    assert_eq!(after.output.len(), 1);
    assert_eq!(text(&after.output[0], "Name"), Some(SHARON));
    assert_eq!(
        text(&after.output[0], "RecipientTypeDetails"),
        Some("UserMailbox")
    );
    session.close().await.expect("close");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn not_found_is_an_error_record_with_its_fully_qualified_id() {
    let server = Server::start(SimConfig::default()).expect("server");
    let mut session = Session::connect(ntlm_options(&server))
        .await
        .expect("connect");
    let r = session
        .invoke(Command::new("Get-Mailbox").param("Identity", "no.such.person"))
        .await
        .expect("a task error still completes the pipeline");
    assert!(r.output.is_empty());
    assert_eq!(r.errors.len(), 1);
    let e = &r.errors[0];
    let id = e.fully_qualified_error_id().expect("id");
    assert!(
        id.contains("[FailureCategory=Cmdlet-ManagementObjectNotFoundException]")
            && id.ends_with(",Microsoft.Exchange.Management.RecipientTasks.GetMailbox"),
        "{id}"
    );
    assert_eq!(
        e.exception_type(),
        Some("Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException")
    );
    assert!(e.message().is_some_and(|m| m.contains("no.such.person")));

    // An engine error ends the pipeline Failed: a SessionError carrying the record.
    let err = session
        .invoke(Command::new("Get-Nothing"))
        .await
        .expect_err("unknown cmdlet");
    assert_eq!(
        err.error_record()
            .and_then(|r| r.fully_qualified_error_id()),
        Some("CommandNotFoundException")
    );
    assert!(matches!(&err, SessionError::Pipeline(f) if f.state == PSInvocationState::Failed));
    session.close().await.expect("close");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_mailbox_with_a_secure_string_password() {
    let server = Server::start(SimConfig::default()).expect("server");
    let mut session = Session::connect(ntlm_options(&server))
        .await
        .expect("connect");
    let from = log_len(&server);
    let r = session
        .invoke(
            Command::new("New-Mailbox")
                .param("Name", "Quinn Hart")
                .param("UserPrincipalName", "quinn.hart@contoso.com")
                .secure("Password", "Str0ng!Passw0rd"),
        )
        .await
        .expect("New-Mailbox");
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    assert_eq!(r.output.len(), 1);
    assert_eq!(
        text(&r.output[0], "UserPrincipalName"),
        Some("quinn.hart@contoso.com")
    );
    let ops = operations_since(&server, from);
    assert_eq!(ops, ["Send", "Receive", "Command", "Receive", "Signal"]);
    println!(
        "New-Mailbox with the key exchange: {} round trips {ops:?}",
        ops.len()
    );
    let r = session
        .invoke(Command::new("Get-Mailbox").param("Identity", "quinn.hart@contoso.com"))
        .await
        .expect("Get-Mailbox");
    assert_eq!(text(&r.output[0], "Name"), Some("Quinn Hart"));
    session.close().await.expect("close");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streaming_get_mailbox_unlimited_over_a_generated_directory() {
    let rbac = Exchange::from_seed_json(DEFAULT_SEED)
        .expect("seed")
        .rbac()
        .clone();
    let mut exchange = Exchange::with_rbac(Directory::generate(6000, 11), rbac);
    let expected = exchange
        .invoke("Get-Mailbox", &[BoundArg::named("ResultSize", "Unlimited")])
        .output
        .len();
    assert!(expected > 3000, "{expected}");
    let server = Server::start(SimConfig {
        exchange: Some(exchange),
        ..SimConfig::default()
    })
    .expect("server");
    let mut session = Session::connect(ntlm_options(&server))
        .await
        .expect("connect");
    let from = log_len(&server);
    let mut stream = session
        .invoke_stream(Command::new("Get-Mailbox").param("ResultSize", "Unlimited"))
        .await
        .expect("start");
    let mut count = 0usize;
    let mut others = 0usize;
    while let Some(item) = stream.next().await {
        match item.expect("item") {
            StreamItem::Output(v) => {
                assert!(text(&v, "PrimarySmtpAddress").is_some());
                count += 1;
            }
            _ => others += 1,
        }
    }
    assert_eq!(stream.state(), Some(PSInvocationState::Completed));
    drop(stream);
    assert_eq!(count, expected);
    assert_eq!(others, 0, "no warning with -ResultSize Unlimited");
    let ops = operations_since(&server, from);
    let receives = ops.iter().filter(|o| *o == "Receive").count();
    assert!(receives > 1, "{ops:?}");
    println!(
        "Get-Mailbox -ResultSize Unlimited ({count} objects): {} round trips, {receives} Receives",
        ops.len()
    );

    // Cancelled halfway: the rest is discarded, the command ended, the session usable.
    let handle = session.cancel_handle();
    let mut stream = session
        .invoke_stream(Command::new("Get-Mailbox").param("ResultSize", "Unlimited"))
        .await
        .expect("start");
    let mut seen = 0usize;
    let outcome = loop {
        match stream.next().await {
            Some(Ok(_)) => {
                seen += 1;
                if seen == 100 {
                    handle.cancel();
                }
            }
            Some(Err(e)) => break Some(e),
            None => break None,
        }
    };
    assert!(
        matches!(outcome, Some(SessionError::Cancelled)),
        "{outcome:?}"
    );
    assert!(seen >= 100 && seen < expected, "{seen}");
    assert!(stream.next().await.is_none(), "nothing after the end");
    drop(stream);

    // Without -ResultSize, Exchange stops at 1000 and says so on the warning stream.
    let r = session
        .invoke(Command::new("Get-Mailbox"))
        .await
        .expect("default result size");
    assert_eq!(r.output.len(), 1000);
    assert!(r.truncated, "the default 1000 cut the output");
    assert_eq!(r.warnings.len(), 1);
    assert!(
        r.warnings[0].message.contains("1000"),
        "{}",
        r.warnings[0].message
    );
    session.close().await.expect("close");
    assert_eq!(server.shell_count(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_from_another_task() {
    let server = Server::start(SimConfig::default()).expect("server");
    let mut session = Session::connect(ntlm_options(&server))
        .await
        .expect("connect");
    // The first Receive of the command hangs on the server, so the cancel lands mid-request.
    server.set_faults(FaultPlan {
        rules: vec![FaultRule {
            operation: "Receive".into(),
            nth: 1,
            count: 1,
            action: FaultAction::Delay { ms: 10_000 },
        }],
    });
    let handle = session.cancel_handle();
    let canceller = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        handle.cancel();
    });
    let from = log_len(&server);
    let err = tokio::time::timeout(
        Duration::from_secs(8),
        session.invoke(Command::new("Get-Mailbox").param("Identity", JUSTIN)),
    )
    .await
    .expect("the cancel does not wait for the delayed Receive")
    .expect_err("cancelled");
    assert!(matches!(err, SessionError::Cancelled), "{err:?}");
    canceller.await.expect("task");
    let ops = operations_since(&server, from);
    println!("cancelled Get-Mailbox: {} round trips {ops:?}", ops.len());
    assert_eq!(
        ops.iter().filter(|o| *o == "Signal").count(),
        2,
        "stop and terminate: {ops:?}"
    );
    // The session goes on over a fresh connection.
    let r = session
        .invoke(Command::new("Get-Mailbox").param("Identity", ADMIN))
        .await
        .expect("usable after cancel");
    assert_eq!(text(&r.output[0], "SamAccountName"), Some(ADMIN));
    session.close().await.expect("close");
    assert_eq!(server.shell_count(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_a_session_deletes_the_shell() {
    let server = Server::start(SimConfig::default()).expect("server");
    let session = Session::connect(ntlm_options(&server))
        .await
        .expect("connect");
    assert_eq!(server.shell_count(), 1);
    drop(session);
    for _ in 0..100 {
        if server.shell_count() == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(server.shell_count(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn basic_over_https_with_a_pinned_certificate() {
    let identity =
        TlsIdentity::self_signed(&["localhost".into(), "127.0.0.1".into()]).expect("certificate");
    let thumbprint = identity.sha1_thumbprint();
    let server = Server::start(SimConfig {
        tls: Some(identity),
        ..SimConfig::default()
    })
    .expect("server");
    let mut options = SessionOptions::exchange(
        server.url(Endpoint::PowerShell),
        AuthMethod::Basic,
        Credentials::new(ADMIN, ADMIN_PW),
    );
    options.transport.tls.pinned_thumbprints = vec![thumbprint];
    let mut session = Session::connect(options).await.expect("connect");
    let r = session
        .invoke(Command::new("Get-Mailbox").param("Identity", JUSTIN))
        .await
        .expect("Get-Mailbox");
    assert_eq!(text(&r.output[0], "SamAccountName"), Some(JUSTIN));
    println!(
        "Basic over HTTPS, connect + Get-Mailbox: {:?}",
        session.round_trips()
    );
    session.close().await.expect("close");
    assert_eq!(server.shell_count(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_confirmation_prompt_fails_cleanly_and_never_hangs() {
    let server = Server::start(SimConfig::default()).expect("server");
    let mut session = Session::connect(ntlm_options(&server))
        .await
        .expect("connect");
    session
        .invoke(
            Command::new("New-MailContact")
                .param("Name", "Bob Partner")
                .param("ExternalEmailAddress", "bob@fabrikam.example"),
        )
        .await
        .expect("New-MailContact");
    let from = log_len(&server);
    let err = tokio::time::timeout(
        Duration::from_secs(20),
        // Asked for explicitly; without it the session sends -Confirm:$false.
        session.invoke(
            Command::new("Remove-MailContact")
                .param("Identity", "Bob Partner")
                .confirm(true),
        ),
    )
    .await
    .expect("no hang on the prompt")
    .expect_err("the unanswered prompt fails the cmdlet");
    let SessionError::Pipeline(failure) = &err else {
        panic!("expected a pipeline failure, got {err:?}");
    };
    // The session announces no host ([MS-PSRP] 2.2.3.14), so the server fails the prompt
    // itself, as PowerShell's server does, instead of sending a host call.
    assert_eq!(failure.state, PSInvocationState::Failed);
    let record = failure.record.as_ref().expect("error record");
    assert_eq!(
        record.exception_type(),
        Some("System.Management.Automation.Host.HostException")
    );
    assert_eq!(record.fully_qualified_error_id(), Some("HostException"));
    assert!(
        record
            .message()
            .is_some_and(|m| m.contains("does not support user interaction")),
        "{record:?}"
    );
    let ops = operations_since(&server, from);
    assert_eq!(ops, ["Command", "Receive", "Signal"]);
    println!(
        "Remove-MailContact with a prompt: {} round trips {ops:?}",
        ops.len()
    );
    assert!(
        !server
            .exchange()
            .directory()
            .resolve("Bob Partner")
            .is_empty(),
        "nothing was removed"
    );
    let r = session
        .invoke(
            Command::new("Remove-MailContact")
                .param("Identity", "Bob Partner")
                .param("Confirm", false),
        )
        .await
        .expect("confirmed removal");
    assert!(r.host_calls.is_empty());
    assert!(
        server
            .exchange()
            .directory()
            .resolve("Bob Partner")
            .is_empty()
    );
    session.close().await.expect("close");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broken_runspace_pool_fails_the_next_command_without_hanging() {
    let server = Server::start(SimConfig::default()).expect("server");
    let mut session = Session::connect(ntlm_options(&server))
        .await
        .expect("connect");
    server.set_faults(FaultPlan {
        rules: vec![FaultRule {
            operation: "Receive".into(),
            nth: 1,
            count: 1,
            action: FaultAction::BreakRunspace,
        }],
    });
    // The pool breaks while this command's Receive is handled; the command itself had
    // already finished, so its output still arrives.
    let first = session
        .invoke(Command::new("Get-Mailbox").param("Identity", JUSTIN))
        .await;
    println!(
        "command during the break: {:?}",
        first.as_ref().map(|r| r.output.len())
    );
    let err = tokio::time::timeout(
        Duration::from_secs(20),
        session.invoke(Command::new("Get-Mailbox").param("Identity", ADMIN)),
    )
    .await
    .expect("no hang")
    .expect_err("the pool is broken");
    println!("next command on the broken pool: {err}");
    assert_eq!(err.fault().and_then(|f| f.wsman_code), Some(2_150_858_817));
    assert!(err.to_string().contains("Broken"), "{err}");
    session.close().await.expect("the shell is still deleted");
    assert_eq!(server.shell_count(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_endpoint_kind_picks_the_resource_uri() {
    let server = Server::start(SimConfig::default()).expect("server");
    let url = server.url(Endpoint::Wsman);
    let credentials = Credentials::new(format!("CONTOSO\\{ADMIN}"), ADMIN_PW);
    // Exchange's resource URI sent to the WinRM service: the fault keeps its code and machine.
    let wrong = SessionOptions::exchange(url.clone(), AuthMethod::Ntlm, credentials.clone());
    let err = Session::connect(wrong).await.expect_err("wrong endpoint");
    let fault = err.fault().expect("a WS-Management fault");
    assert_eq!(fault.wsman_code, Some(2_150_858_811));
    assert_eq!(fault.machine.as_deref(), Some("EX01.corp.example"));
    assert_eq!(server.shell_count(), 0);

    let mut right = SessionOptions::exchange(url, AuthMethod::Ntlm, credentials);
    right.endpoint =
        monosync_exchange::exchange::Endpoint::Configuration("Microsoft.PowerShell".into());
    let session = Session::connect(right).await.expect("connect to /wsman");
    assert_eq!(server.shell_count(), 1);
    session.close().await.expect("close");
    assert_eq!(server.shell_count(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn corrupt_fragments_are_a_typed_error_and_the_shell_still_closes() {
    let server = Server::start(SimConfig::default()).expect("server");
    let mut session = Session::connect(ntlm_options(&server))
        .await
        .expect("connect");
    server.set_faults(FaultPlan {
        rules: vec![FaultRule {
            operation: "Receive".into(),
            nth: 1,
            count: 1,
            action: FaultAction::CorruptFragment,
        }],
    });
    let err = tokio::time::timeout(
        Duration::from_secs(20),
        session.invoke(Command::new("Get-Mailbox").param("Identity", JUSTIN)),
    )
    .await
    .expect("no hang")
    .expect_err("corrupt data");
    println!("corrupt fragment: {err}");
    assert!(matches!(err, SessionError::State(_)), "{err:?}");
    session.close().await.expect("close");
    assert_eq!(server.shell_count(), 0);
}
