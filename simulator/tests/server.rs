//! The simulator over real loopback sockets, driven by the core's client pieces.

mod common;

use common::Client;
use monosync_exchange::psrp::{Command, PSInvocationState, PowerShellSpec};
use monosync_exchange::transport::AuthMethod;
use monosync_exchange::wsman::namespaces::{RESOURCE_EXCHANGE, RESOURCE_POWERSHELL};
use mx_sim::{Endpoint, Server, SimConfig};

const ADMIN: &str = "Administrator";
const ADMIN_PW: &str = "P@ssw0rd!";

fn ntlm_client(server: &mx_sim::RunningServer) -> Client {
    let url = server.url(Endpoint::PowerShell);
    let opts = Client::options(&url, AuthMethod::Ntlm, &format!("CORP\\{ADMIN}"), ADMIN_PW);
    Client::new(&url, RESOURCE_EXCHANGE, opts)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ntlm_sealed_get_mailbox_end_to_end() {
    let server = Server::start(SimConfig::default()).expect("server starts");
    let mut client = ntlm_client(&server);
    client.open().await.expect("shell opens");
    assert_eq!(server.shell_count(), 1);
    let spec = PowerShellSpec::new(Command::new("Get-Mailbox").arg(ADMIN));
    let outcome = client.run(&spec).await.expect("pipeline runs");
    assert_eq!(outcome.state, Some(PSInvocationState::Completed));
    assert_eq!(outcome.output.len(), 1);
    let name = outcome.output[0]
        .property("SamAccountName")
        .and_then(|v| v.as_str())
        .map(str::to_owned);
    assert_eq!(name.as_deref(), Some(ADMIN));
    client.delete().await.expect("shell deleted");
    assert_eq!(server.shell_count(), 0);
    let log = server.request_log().entries();
    let soap: Vec<_> = log
        .iter()
        .filter(|e| e.operation != "Auth" && e.status == 200)
        .collect();
    assert!(
        soap.iter().all(|e| e.sealed),
        "every SOAP request was sealed: {log:?}"
    );
    assert!(soap.iter().all(|e| e.auth.as_deref() == Some("Ntlm")));
    assert_eq!(server.request_log().count("Create"), 1);
    assert_eq!(server.request_log().count("Delete"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_command_is_command_not_found_and_script_is_refused() {
    let server = Server::start(SimConfig::default()).expect("server starts");
    let mut client = ntlm_client(&server);
    client.open().await.expect("shell opens");
    let outcome = client
        .run(&PowerShellSpec::new(Command::script("Get-Mailbox | fl")))
        .await
        .expect("pipeline runs");
    assert_eq!(outcome.state, Some(PSInvocationState::Failed));
    let err = outcome.state_error.expect("error record");
    assert_eq!(err.fully_qualified_error_id(), Some("ScriptsNotAllowed"));
    assert_eq!(
        err.exception_message(),
        Some(
            "The syntax is not supported by this runspace. This can occur if the runspace is in no-language mode."
        )
    );
    let outcome = client
        .run(&PowerShellSpec::new(Command::new("Get-Nothing")))
        .await
        .expect("pipeline runs");
    assert_eq!(outcome.state, Some(PSInvocationState::Failed));
    assert_eq!(
        outcome
            .state_error
            .and_then(|e| e.fully_qualified_error_id().map(str::to_owned)),
        Some("CommandNotFoundException".to_owned())
    );
    client.delete().await.expect("shell deleted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_resource_uri_and_unknown_shell_faults() {
    let server = Server::start(SimConfig::default()).expect("server starts");
    let url = server.url(Endpoint::Wsman);
    let opts = Client::options(&url, AuthMethod::Ntlm, ADMIN, ADMIN_PW);
    let mut client = Client::new(&url, RESOURCE_EXCHANGE, opts);
    let err = client.open().await.expect_err("Exchange URI on /wsman");
    assert_eq!(err.fault_code(), Some(2_150_858_811));
    assert_eq!(server.shell_count(), 0);

    let mut client = ntlm_client(&server);
    client.shell_id = Some(uuid::Uuid::new_v4());
    let err = client.receive(None).await.expect_err("no such shell");
    assert_eq!(err.fault_code(), Some(2_150_858_843));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn receive_times_out_with_the_wsman_fault() {
    let server = Server::start(SimConfig::default()).expect("server starts");
    let mut client = ntlm_client(&server);
    client.open().await.expect("shell opens");
    client.operation_timeout = std::time::Duration::from_millis(300);
    let started = std::time::Instant::now();
    let err = client.receive(None).await.expect_err("nothing to receive");
    assert_eq!(err.fault_code(), Some(2_150_858_793));
    assert!(started.elapsed() >= std::time::Duration::from_millis(250));
    client.delete().await.expect("shell deleted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shell_quota_per_user() {
    let mut config = SimConfig::default();
    config.service.max_shells_per_user = 2;
    let server = Server::start(config).expect("server starts");
    let mut a = ntlm_client(&server);
    let mut b = ntlm_client(&server);
    let mut c = ntlm_client(&server);
    a.open().await.expect("first");
    b.open().await.expect("second");
    let err = c.open().await.expect_err("third is over the quota");
    assert_eq!(err.fault_code(), Some(2_150_859_173));
    a.delete().await.expect("delete");
    let mut d = ntlm_client(&server);
    d.open().await.expect("a slot is free again");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wsman_endpoint_has_no_exchange_cmdlets() {
    let server = Server::start(SimConfig::default()).expect("server starts");
    let url = server.url(Endpoint::Wsman);
    let opts = Client::options(&url, AuthMethod::Ntlm, ADMIN, ADMIN_PW);
    let mut client = Client::new(&url, RESOURCE_POWERSHELL, opts);
    client.open().await.expect("shell opens");
    let outcome = client
        .run(&PowerShellSpec::new(Command::new("Get-Mailbox")))
        .await
        .expect("runs");
    assert_eq!(outcome.state, Some(PSInvocationState::Failed));
    assert_eq!(
        outcome
            .state_error
            .and_then(|e| e.fully_qualified_error_id().map(str::to_owned)),
        Some("CommandNotFoundException".to_owned())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secure_string_password_after_the_key_exchange() {
    let server = Server::start(SimConfig::default()).expect("server starts");
    let mut client = ntlm_client(&server);
    client.open().await.expect("shell opens");
    client.pool.exchange_key().expect("key exchange starts");
    client.flush().await.expect("public key sent");
    while !client.pool.has_session_key() {
        client.receive(None).await.expect("session key arrives");
    }
    let password = client
        .pool
        .encrypt_secure_string("N3w-Passw0rd!")
        .expect("encrypts");
    let outcome = client
        .run(&PowerShellSpec::new(
            Command::new("New-Mailbox")
                .param("Name", "Dana Secure")
                .param("UserPrincipalName", "dana@contoso.com")
                .param("Password", password),
        ))
        .await
        .expect("runs");
    assert!(outcome.errors.is_empty(), "{:?}", outcome.errors);
    assert_eq!(outcome.state, Some(PSInvocationState::Completed));
    assert_eq!(outcome.output.len(), 1);
    assert!(
        !server
            .exchange()
            .directory()
            .resolve("Dana Secure")
            .is_empty()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_piped_statement_runs_every_stage() {
    let server = Server::start(SimConfig::default()).expect("server starts");
    let mut client = ntlm_client(&server);
    client.open().await.expect("shell opens");
    let outcome = client
        .run(&PowerShellSpec::pipeline(vec![
            Command::new("Get-Mailbox").param("ResultSize", 2),
            Command::new("Set-Mailbox").param("Office", "Piped HQ"),
        ]))
        .await
        .expect("runs");
    assert_eq!(outcome.state, Some(PSInvocationState::Completed));
    let outcome = client
        .run(&PowerShellSpec::new(
            Command::new("Get-Mailbox").param("Filter", "Office -eq 'Piped HQ'"),
        ))
        .await
        .expect("runs");
    assert_eq!(outcome.output.len(), 2, "{:?}", outcome.errors);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listens_on_ipv6_loopback() {
    let server = Server::start(SimConfig {
        listen: vec!["[::1]:0".parse().expect("address")],
        ..SimConfig::default()
    });
    let Ok(server) = server else {
        eprintln!("no IPv6 loopback on this machine");
        return;
    };
    let url = server.url(Endpoint::PowerShell);
    assert!(url.starts_with("http://[::1]:"), "{url}");
    let opts = Client::options(&url, AuthMethod::Ntlm, ADMIN, ADMIN_PW);
    let mut client = Client::new(&url, RESOURCE_EXCHANGE, opts);
    client.open().await.expect("shell opens over IPv6");
    client.delete().await.expect("deleted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_concurrent_pipeline_is_refused() {
    let server = Server::start(SimConfig::default()).expect("server starts");
    let mut client = ntlm_client(&server);
    client.open().await.expect("shell opens");
    // A pipeline waiting for input holds the runspace.
    let waiting = client
        .start(&PowerShellSpec::new(Command::new("Set-Mailbox").param("Office", "X")).with_input())
        .await
        .expect("starts");
    let outcome = client
        .run(&PowerShellSpec::new(Command::new("Get-Mailbox").arg(ADMIN)))
        .await
        .expect("runs");
    assert_eq!(outcome.state, Some(PSInvocationState::Failed));
    assert!(outcome.output.is_empty());
    client
        .signal(
            waiting,
            monosync_exchange::wsman::namespaces::signal::TERMINATE,
        )
        .await
        .expect("terminated");
    let outcome = client
        .run(&PowerShellSpec::new(Command::new("Get-Mailbox").arg(ADMIN)))
        .await
        .expect("runs");
    assert_eq!(outcome.state, Some(PSInvocationState::Completed));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_result_spans_many_receives_within_the_envelope() {
    let (dir, rbac) =
        mx_sim::exchange::seed::build(mx_sim::exchange::generate::generate_seed(600, 11))
            .expect("generated seed");
    let server = Server::start(SimConfig {
        exchange: Some(mx_sim::exchange::Exchange::with_rbac(dir, rbac)),
        ..SimConfig::default()
    })
    .expect("server starts");
    let mut client = ntlm_client(&server);
    client.open().await.expect("shell opens");
    let outcome = client
        .run(&PowerShellSpec::new(
            Command::new("Get-Mailbox").param("ResultSize", "Unlimited"),
        ))
        .await
        .expect("runs");
    assert_eq!(outcome.state, Some(PSInvocationState::Completed));
    let expected = server
        .exchange()
        .invoke(
            "Get-Mailbox",
            &[mx_sim::exchange::BoundArg::named("ResultSize", "Unlimited")],
        )
        .output
        .len();
    assert!(expected > 100);
    assert_eq!(outcome.output.len(), expected);
    let log = server.request_log().entries();
    let receives: Vec<_> = log.iter().filter(|e| e.operation == "Receive").collect();
    assert!(receives.len() > 2, "{} receives", receives.len());
    // Sealed bodies add a few hundred bytes to the envelope the client allowed.
    assert!(
        receives
            .iter()
            .all(|e| e.bytes_out <= common::MAX_ENVELOPE as usize + 1024)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn negotiate_client_without_kerberos_gets_in_with_ntlm() {
    let server = Server::start(SimConfig::default()).expect("server starts");
    let url = server.url(Endpoint::PowerShell);
    let opts = Client::options(
        &url,
        AuthMethod::Negotiate,
        &format!("CORP\\{ADMIN}"),
        ADMIN_PW,
    );
    let mut client = Client::new(&url, RESOURCE_EXCHANGE, opts);
    client.open().await.expect("shell opens");
    client.delete().await.expect("deleted");
    let log = server.request_log().entries();
    assert!(log.iter().any(|e| e.status == 200 && e.sealed), "{log:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pipeline_input_arrives_through_send() {
    let server = Server::start(SimConfig::default()).expect("server starts");
    let mut client = ntlm_client(&server);
    client.open().await.expect("shell opens");
    let id = client
        .start(
            &PowerShellSpec::new(Command::new("Set-Mailbox").param("Office", "Input HQ"))
                .with_input(),
        )
        .await
        .expect("starts");
    client
        .pool
        .send_input(id, monosync_exchange::clixml::PsValue::String(ADMIN.into()))
        .expect("input");
    client.pool.end_input(id).expect("end of input");
    client.flush().await.expect("sent");
    let mut outcome = common::Outcome::default();
    while !client.receive(Some(id)).await.expect("receives") {}
    client.collect(&mut outcome);
    assert_eq!(
        outcome.state,
        Some(PSInvocationState::Completed),
        "{:?}",
        outcome.errors
    );
    let check = client
        .run(&PowerShellSpec::new(Command::new("Get-Mailbox").arg(ADMIN)))
        .await
        .expect("runs");
    assert_eq!(
        check.output[0].property("Office").and_then(|v| v.as_str()),
        Some("Input HQ")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_stops_a_waiting_pipeline() {
    let server = Server::start(SimConfig::default()).expect("server starts");
    let mut client = ntlm_client(&server);
    client.open().await.expect("shell opens");
    let id = client
        .start(
            &PowerShellSpec::new(Command::new("Set-Mailbox").param("Office", "Never")).with_input(),
        )
        .await
        .expect("starts");
    client
        .signal(id, monosync_exchange::wsman::namespaces::signal::PS_CTRL_C)
        .await
        .expect("signalled");
    let mut outcome = common::Outcome::default();
    while !client.receive(Some(id)).await.expect("receives") {}
    client.collect(&mut outcome);
    assert_eq!(outcome.state, Some(PSInvocationState::Stopped));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_envelope_over_the_server_limit_gets_the_max_envelope_fault() {
    let mut config = SimConfig::default();
    config.service.max_envelope_size = 20_000;
    let server = Server::start(config).expect("server starts");
    let mut client = ntlm_client(&server);
    client.open().await.expect("shell opens");
    let big = "x".repeat(30_000);
    let err = client
        .start(&PowerShellSpec::new(
            Command::new("Set-Mailbox").param("Office", big),
        ))
        .await
        .expect_err("too large");
    assert_eq!(err.fault_code(), Some(2_150_859_025));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_directory_streams_get_results_from_a_snapshot() {
    let (dir, rbac) =
        mx_sim::exchange::seed::build(mx_sim::exchange::generate::generate_seed(2_500, 5))
            .expect("generated seed");
    let server = Server::start(SimConfig {
        exchange: Some(mx_sim::exchange::Exchange::with_rbac(dir, rbac)),
        ..SimConfig::default()
    })
    .expect("server starts");
    let expected = server
        .exchange()
        .invoke(
            "Get-Recipient",
            &[mx_sim::exchange::BoundArg::named("ResultSize", "Unlimited")],
        )
        .output
        .len();
    assert!(expected > 2_000);
    let mut client = ntlm_client(&server);
    client.open().await.expect("shell opens");
    let outcome = client
        .run(&PowerShellSpec::new(
            Command::new("Get-Recipient").param("ResultSize", "Unlimited"),
        ))
        .await
        .expect("runs");
    assert_eq!(outcome.state, Some(PSInvocationState::Completed));
    assert_eq!(outcome.output.len(), expected);
    // The default limit still warns through the streaming path.
    let limited = client
        .run(&PowerShellSpec::new(Command::new("Get-Recipient")))
        .await
        .expect("runs");
    assert_eq!(limited.output.len(), 1000);
    assert_eq!(limited.warnings.len(), 1);
    // A stream the client abandons does not hold the shell.
    let id = client
        .start(&PowerShellSpec::new(
            Command::new("Get-Recipient").param("ResultSize", "Unlimited"),
        ))
        .await
        .expect("starts");
    client
        .signal(id, monosync_exchange::wsman::namespaces::signal::TERMINATE)
        .await
        .expect("terminated");
    let after = client
        .run(&PowerShellSpec::new(
            Command::new("Get-Mailbox").param("ResultSize", 1),
        ))
        .await
        .expect("runs");
    assert_eq!(after.state, Some(PSInvocationState::Completed));
    assert_eq!(after.output.len(), 1);
}
