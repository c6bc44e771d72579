//! Every [`ErrorKind`] produced for real against the simulator (its organisation, RBAC accounts,
//! shell quota and fault injection) and classified by [`SessionError::kind`] /
//! [`ErrorKind::of_record`], with the administrator's hint where one applies.

use std::time::Duration;

use monosync_exchange::exchange::{
    Command, ErrorKind, ResultSize, Session, SessionError, SessionOptions, is_confirmation_prompt,
};
use monosync_exchange::psrp::messages::ErrorRecord;
use monosync_exchange::transport::{AuthMethod, Credentials};
use mx_sim::{
    Endpoint, FaultAction, FaultPlan, FaultRule, RunningServer, Server, ServiceConfig, SimConfig,
};

const ADMIN: &str = "Administrator";
const ADMIN_PW: &str = "P@ssw0rd!";
const JUSTIN: &str = "justin.martin";
const SHARON: &str = "Sharon Price";
const RECIPIENT_ADMIN: &str = "recipientadmin";
const RECIPIENT_ADMIN_PW: &str = "Recipients1!";

fn options_as(server: &RunningServer, user: &str, password: &str) -> SessionOptions {
    SessionOptions::exchange(
        server.url(Endpoint::PowerShell),
        AuthMethod::Ntlm,
        Credentials::new(format!("CONTOSO\\{user}"), password),
    )
}

async fn admin_session(server: &RunningServer) -> Session {
    Session::connect(options_as(server, ADMIN, ADMIN_PW))
        .await
        .expect("connect")
}

/// Asserts the kind, prints the error and its hint, and returns the hint.
fn expect_kind(err: &SessionError, kind: ErrorKind) -> Option<String> {
    let hint = err.hint();
    println!("{kind}: {err}\n    hint: {hint:?}");
    assert_eq!(err.kind(), kind, "{err:?}");
    hint
}

/// The single non-terminating error of a command that completed.
async fn only_error(session: &mut Session, command: Command) -> ErrorRecord {
    let r = session
        .invoke(command)
        .await
        .expect("the pipeline completes");
    assert_eq!(r.errors.len(), 1, "{:?}", r.errors);
    let e = r.errors.into_iter().next().expect("one error");
    println!(
        "{}: {} ({})",
        ErrorKind::of_record(&e),
        e.message().unwrap_or_default(),
        e.fully_qualified_error_id().unwrap_or_default()
    );
    e
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cmdlet_errors_are_classified_from_their_records() {
    let server = Server::start(SimConfig::default()).expect("server");
    let mut s = admin_session(&server).await;

    let e = only_error(
        &mut s,
        Command::new("Get-Mailbox").param("Identity", "no.such.person"),
    )
    .await;
    assert_eq!(ErrorKind::of_record(&e), ErrorKind::NotFound);

    let e = only_error(
        &mut s,
        Command::new("Enable-Mailbox")
            .param("Identity", SHARON)
            .param("Database", "DB*"),
    )
    .await;
    assert_eq!(ErrorKind::of_record(&e), ErrorKind::Ambiguous);

    // Already mail-enabled: Exchange says "does not support recipients of this type".
    let e = only_error(
        &mut s,
        Command::new("Enable-Mailbox").param("Identity", JUSTIN),
    )
    .await;
    assert_eq!(
        e.exception_type(),
        Some("Microsoft.Exchange.Management.Tasks.RecipientTaskException")
    );
    assert_eq!(ErrorKind::of_record(&e), ErrorKind::AlreadyExists);

    // A proxy address in use.
    let e = only_error(
        &mut s,
        Command::new("Set-Mailbox")
            .param("Identity", ADMIN)
            .param("PrimarySmtpAddress", "justin.martin@contoso.com"),
    )
    .await;
    assert!(
        e.fully_qualified_error_id()
            .is_some_and(|id| id.contains("[FailureCategory=Cmdlet-ProxyAddressExistsException]")),
        "{e:?}"
    );
    assert_eq!(ErrorKind::of_record(&e), ErrorKind::AlreadyExists);

    // A member already in the group.
    let add = || {
        Command::new("Add-DistributionGroupMember")
            .param("Identity", "Engineering All")
            .param("Member", ADMIN)
    };
    let first = s.invoke(add()).await.expect("first add");
    assert!(first.errors.is_empty(), "{:?}", first.errors);
    let e = only_error(&mut s, add()).await;
    assert_eq!(
        e.category_info().and_then(|c| c.reason).as_deref(),
        Some("MemberAlreadyExistsException")
    );
    assert_eq!(ErrorKind::of_record(&e), ErrorKind::AlreadyExists);

    // Parameter binding fails the pipeline: a SessionError carrying the record.
    let err = s
        .invoke(Command::new("Get-Mailbox").param("NoSuchParameter", "x"))
        .await
        .expect_err("binding error");
    expect_kind(&err, ErrorKind::InvalidParameter);
    assert!(
        err.fully_qualified_error_id()
            .is_some_and(|id| id.starts_with("NamedParameterNotFound")),
        "{err:?}"
    );
    assert!(
        err.server_message()
            .is_some_and(|m| m.contains("NoSuchParameter")),
        "{err:?}"
    );
    s.close().await.expect("close");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rbac_refusals_are_access_denied_with_the_role_group_to_join() {
    let server = Server::start(SimConfig::default()).expect("server");
    let mut auditor = Session::connect(options_as(&server, "auditor", "ReadOnly1!"))
        .await
        .expect("auditor connects");
    let r = auditor
        .invoke(Command::new("Get-Mailbox").param("Identity", JUSTIN))
        .await
        .expect("read is granted");
    assert_eq!(r.output.len(), 1);
    let err = auditor
        .invoke(
            Command::new("Set-Mailbox")
                .param("Identity", JUSTIN)
                .param("Office", "Nowhere"),
        )
        .await
        .expect_err("write is not granted");
    let hint = expect_kind(&err, ErrorKind::AccessDenied).expect("hint");
    assert_eq!(
        err.fully_qualified_error_id(),
        Some("CommandNotFoundException")
    );
    assert!(
        hint.contains("Set-Mailbox") && hint.contains("Recipient Management"),
        "{hint}"
    );
    auditor.close().await.expect("close");

    // Recipient Management has no organisation cmdlets.
    let mut recipients = Session::connect(options_as(&server, RECIPIENT_ADMIN, RECIPIENT_ADMIN_PW))
        .await
        .expect("recipientadmin connects");
    let r = recipients
        .invoke(
            Command::new("Set-Mailbox")
                .param("Identity", JUSTIN)
                .param("Office", "Room 7"),
        )
        .await
        .expect("recipient cmdlets are granted");
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    let err = recipients
        .invoke(Command::new("Set-OrganizationConfig").param("MailTipsAllTipsEnabled", true))
        .await
        .expect_err("not granted");
    let hint = expect_kind(&err, ErrorKind::AccessDenied).expect("hint");
    assert!(hint.contains("Organization Management"), "{hint}");
    recipients.close().await.expect("close");
}

/// The WinRM service's own authorization fault (WSManFault code 5): the account logs on, but
/// the service's security descriptor refuses it, as for an account outside Remote Management
/// Users.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_winrm_access_denied_fault() {
    let server = Server::start(SimConfig {
        service: ServiceConfig {
            denied_users: vec![RECIPIENT_ADMIN.into()],
            ..ServiceConfig::default()
        },
        ..SimConfig::default()
    })
    .expect("server");
    let err = Session::connect(options_as(&server, RECIPIENT_ADMIN, RECIPIENT_ADMIN_PW))
        .await
        .expect_err("denied");
    let hint = expect_kind(&err, ErrorKind::AccessDenied).expect("hint");
    assert_eq!(err.server_code(), Some(5));
    assert_eq!(err.server_message().as_deref(), Some("Access is denied. "));
    assert!(hint.contains("Remote Management Users"), "{hint}");
    assert_eq!(server.shell_count(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_shell_quota_is_throttled() {
    let server = Server::start(SimConfig {
        service: ServiceConfig {
            max_shells_per_user: 1,
            ..ServiceConfig::default()
        },
        ..SimConfig::default()
    })
    .expect("server");
    let first = admin_session(&server).await;
    let err = Session::connect(options_as(&server, ADMIN, ADMIN_PW))
        .await
        .expect_err("over the quota");
    let hint = expect_kind(&err, ErrorKind::Throttled).expect("hint");
    assert!(err.kind().is_retryable());
    assert_eq!(err.server_code(), Some(2_150_859_173));
    assert!(
        err.server_message()
            .is_some_and(|m| m.contains("maximum number of 1 concurrent shells")),
        "{err:?}"
    );
    assert!(hint.contains("PowerShellMaxConcurrency"), "{hint}");
    first.close().await.expect("close");
    // The quota frees with the shell.
    admin_session(&server)
        .await
        .close()
        .await
        .expect("second session after the first closed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transient_failures_503_broken_runspace_and_network() {
    let server = Server::start(SimConfig::default()).expect("server");
    let mut s = admin_session(&server).await;
    let rule = |action| FaultPlan {
        rules: vec![FaultRule {
            operation: "Command".into(),
            nth: 1,
            count: 1,
            action,
        }],
    };

    server.set_faults(rule(FaultAction::Http503));
    let err = s
        .invoke(Command::new("Get-Mailbox").param("Identity", JUSTIN))
        .await
        .expect_err("503");
    let hint = expect_kind(&err, ErrorKind::Transient).expect("hint");
    assert!(hint.contains("retry"), "{hint}");

    server.set_faults(FaultPlan {
        rules: vec![FaultRule {
            operation: "Receive".into(),
            nth: 1,
            count: 1,
            action: FaultAction::BreakRunspace,
        }],
    });
    let _ = s
        .invoke(Command::new("Get-Mailbox").param("Identity", JUSTIN))
        .await;
    let err = s
        .invoke(Command::new("Get-Mailbox").param("Identity", ADMIN))
        .await
        .expect_err("broken pool");
    let hint = expect_kind(&err, ErrorKind::Transient).expect("hint");
    assert!(hint.contains("new session"), "{hint}");
    s.close().await.expect("close");

    // Nothing listens: every address refused.
    let dead = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = dead.local_addr().expect("addr").port();
    drop(dead);
    let err = Session::connect(SessionOptions::exchange(
        format!("http://127.0.0.1:{port}/PowerShell"),
        AuthMethod::Ntlm,
        Credentials::new("CONTOSO\\x", "y"),
    ))
    .await
    .expect_err("refused");
    let hint = expect_kind(&err, ErrorKind::Transient).expect("hint");
    assert!(hint.contains("port"), "{hint}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_password_is_auth() {
    let server = Server::start(SimConfig::default()).expect("server");
    let err = Session::connect(options_as(&server, ADMIN, "not-the-password"))
        .await
        .expect_err("refused");
    let hint = expect_kind(&err, ErrorKind::Auth).expect("hint");
    assert!(hint.contains("password"), "{hint}");
    assert_eq!(server.shell_count(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_options_are_config() {
    let err = Session::connect(SessionOptions::exchange(
        "ftp://ex01.corp.example/PowerShell",
        AuthMethod::Ntlm,
        Credentials::new("CONTOSO\\x", "y"),
    ))
    .await
    .expect_err("unusable URL");
    expect_kind(&err, ErrorKind::Config);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn corrupt_data_is_protocol_and_a_server_fault_keeps_its_code() {
    let server = Server::start(SimConfig::default()).expect("server");
    let mut s = admin_session(&server).await;
    server.set_faults(FaultPlan {
        rules: vec![FaultRule {
            operation: "Receive".into(),
            nth: 1,
            count: 1,
            action: FaultAction::CorruptFragment,
        }],
    });
    let err = s
        .invoke(Command::new("Get-Mailbox").param("Identity", JUSTIN))
        .await
        .expect_err("corrupt");
    expect_kind(&err, ErrorKind::Protocol);
    s.close().await.expect("close");

    // Exchange's resource URI sent to the WinRM service's /wsman.
    let mut wrong = options_as(&server, ADMIN, ADMIN_PW);
    wrong.transport.url = server.url(Endpoint::Wsman);
    let err = Session::connect(wrong).await.expect_err("fault");
    expect_kind(&err, ErrorKind::Protocol);
    assert_eq!(err.server_code(), Some(2_150_858_811));
    assert!(
        err.server_message()
            .is_some_and(|m| m.contains("was not found in the WS-Management catalog")),
        "{err:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_and_timeout() {
    let server = Server::start(SimConfig::default()).expect("server");
    let mut s = admin_session(&server).await;
    let delay = FaultPlan {
        rules: vec![FaultRule {
            operation: "Receive".into(),
            nth: 1,
            count: 1,
            action: FaultAction::Delay { ms: 5_000 },
        }],
    };
    server.set_faults(delay.clone());
    let handle = s.cancel_handle();
    let canceller = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        handle.cancel();
    });
    let err = s
        .invoke(Command::new("Get-Mailbox").param("Identity", JUSTIN))
        .await
        .expect_err("cancelled");
    canceller.await.expect("task");
    expect_kind(&err, ErrorKind::Cancelled);
    assert!(!err.kind().is_retryable());
    s.close().await.expect("close");

    let mut options = options_as(&server, ADMIN, ADMIN_PW);
    options.invoke_timeout = Some(Duration::from_millis(500));
    let mut s = Session::connect(options).await.expect("connect");
    server.set_faults(delay);
    let err = s
        .invoke(Command::new("Get-Mailbox").param("Identity", JUSTIN))
        .await
        .expect_err("timed out");
    let hint = expect_kind(&err, ErrorKind::Timeout).expect("hint");
    assert!(hint.contains("invoke_timeout"), "{hint}");
    s.close().await.expect("close");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prompts_are_answered_by_default_and_an_explicit_prompt_is_a_typed_error() {
    let server = Server::start(SimConfig::default()).expect("server");
    let mut s = admin_session(&server).await;
    for name in ["Contact One", "Contact Two"] {
        s.invoke(Command::new("New-MailContact").param("Name", name).param(
            "ExternalEmailAddress",
            format!("{}@fabrikam.example", name.replace(' ', ".")),
        ))
        .await
        .expect("New-MailContact");
    }
    // Remove-* prompts on Exchange; the session adds -Confirm:$false.
    let r = tokio::time::timeout(
        Duration::from_secs(20),
        s.invoke(Command::new("Remove-MailContact").param("Identity", "Contact One")),
    )
    .await
    .expect("no hang")
    .expect("removed without a prompt");
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    assert!(
        server
            .exchange()
            .directory()
            .resolve("Contact One")
            .is_empty()
    );

    // A caller that asks for the prompt gets a typed refusal, never a hang.
    let err = tokio::time::timeout(
        Duration::from_secs(20),
        s.invoke(
            Command::new("Remove-MailContact")
                .param("Identity", "Contact Two")
                .confirm(true),
        ),
    )
    .await
    .expect("no hang")
    .expect_err("the prompt cannot be answered");
    let hint = expect_kind(&err, ErrorKind::InvalidParameter).expect("hint");
    assert!(err.error_record().is_some_and(is_confirmation_prompt));
    assert!(hint.contains("-Confirm:$false"), "{hint}");
    assert!(
        !server
            .exchange()
            .directory()
            .resolve("Contact Two")
            .is_empty()
    );
    s.close().await.expect("close");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn result_size_and_the_truncation_flag() {
    let server = Server::start(SimConfig::default()).expect("server");
    let mut s = admin_session(&server).await;
    let all = s
        .invoke(Command::new("Get-Recipient").result_size(ResultSize::Unlimited))
        .await
        .expect("unlimited");
    assert!(!all.truncated);
    assert!(all.output.len() > 10, "{}", all.output.len());
    let some = s
        .invoke(Command::new("Get-Recipient").result_size(ResultSize::Limit(10)))
        .await
        .expect("limited");
    assert_eq!(some.output.len(), 10);
    assert!(some.truncated, "{:?}", some.warnings);
    println!(
        "Get-Recipient: {} with Unlimited, {} with Limit(10), truncated={}",
        all.output.len(),
        some.output.len(),
        some.truncated
    );
    s.close().await.expect("close");
}
