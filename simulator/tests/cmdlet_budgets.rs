//! The cmdlet budgets of a throttling policy (`--throttling-policy`) over real sockets: the
//! pipeline past a budget fails with Exchange's quota text and the wait until a slot frees, and
//! runs once that wait has passed. The organisation's clock is fixed and moved by the test.

mod common;

use std::time::Duration;

use common::Client;
use monosync_exchange::error::{ErrorKind, stated_wait};
use monosync_exchange::psrp::{Command, PSInvocationState, PowerShellSpec};
use monosync_exchange::transport::AuthMethod;
use monosync_exchange::wsman::namespaces::RESOURCE_EXCHANGE;
use mx_sim::exchange::ThrottlingPolicy;
use mx_sim::{Endpoint, RunningServer, Server, SimConfig};

const ADMIN: &str = "Administrator";
const ADMIN_PW: &str = "P@ssw0rd!";
const T0_MS: i64 = 1_700_000_000_000;

fn server(policy: &str) -> RunningServer {
    let server = Server::start(SimConfig {
        throttling_policy: Some(ThrottlingPolicy::from_json(policy).expect("policy")),
        ..SimConfig::default()
    })
    .expect("server starts");
    server.exchange().set_clock_ms(Some(T0_MS));
    server
}

async fn client(server: &RunningServer) -> Client {
    let url = server.url(Endpoint::PowerShell);
    let opts = Client::options(&url, AuthMethod::Ntlm, &format!("CORP\\{ADMIN}"), ADMIN_PW);
    let mut client = Client::new(&url, RESOURCE_EXCHANGE, opts);
    client.open().await.expect("shell opens");
    client
}

fn get_user() -> PowerShellSpec {
    PowerShellSpec::new(Command::new("Get-User").arg(ADMIN))
}

fn remove_contact() -> PowerShellSpec {
    PowerShellSpec::new(
        Command::new("Remove-MailContact")
            .arg("no.such.contact")
            .param("Confirm", false),
    )
}

/// The refusal: Failed, with the quota text naming `limit` per `period` and a wait > 0.
fn refused_wait(outcome: &common::Outcome, limit: u32, period: u32) -> Duration {
    assert_eq!(
        outcome.state,
        Some(PSInvocationState::Failed),
        "{outcome:?}"
    );
    let record = outcome.state_error.as_ref().expect("a terminating record");
    let message = record.message().unwrap_or_default();
    assert!(
        message.starts_with(&format!(
            "The WS-Management service cannot process the request. The user load quota of {limit} requests per {period} seconds has been exceeded. Send future requests at a slower rate or raise the quota for this user. The next request from this user will not be approved for at least "
        )),
        "{message}"
    );
    assert_eq!(
        record.exception_type(),
        Some("System.Management.Automation.Remoting.PSRemotingTransportException")
    );
    assert_eq!(ErrorKind::of_record(record), ErrorKind::Throttled);
    let wait = stated_wait(message).expect("a stated wait");
    assert!(wait > Duration::ZERO);
    wait
}

fn advance(server: &RunningServer, by: Duration) {
    let mut ex = server.exchange();
    let now = ex.now_ms();
    ex.set_clock_ms(Some(now + i64::try_from(by.as_millis()).expect("ms")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cmdlet_past_the_budget_fails_until_its_stated_wait_has_passed() {
    let server = server(r#"{"PowerShellMaxCmdlets": 5, "PowerShellMaxCmdletsTimePeriod": 10}"#);
    let mut client = client(&server).await;
    for i in 0..5 {
        let outcome = client.run(&get_user()).await.expect("runs");
        assert_eq!(outcome.state, Some(PSInvocationState::Completed), "{i}");
        assert_eq!(outcome.output.len(), 1);
        // Above four fifths of the budget (the 5th of 5), the micro-delay warning.
        if i == 4 {
            assert_eq!(outcome.warnings.len(), 1, "{:?}", outcome.warnings);
            assert!(
                outcome.warnings[0]
                    .starts_with("Micro delay applied. Actual delayed: 0 msecs, Enforced: False"),
                "{:?}",
                outcome.warnings
            );
        } else {
            assert!(outcome.warnings.is_empty(), "{i}: {:?}", outcome.warnings);
        }
        advance(&server, Duration::from_millis(1_000));
    }
    // Five at 0..4 s; now 5 s: the first leaves the window at 10 s.
    let outcome = client.run(&get_user()).await.expect("runs");
    let wait = refused_wait(&outcome, 5, 10);
    assert_eq!(wait, Duration::from_millis(5_000));
    // A refusal charges nothing; just short of the wait, still refused.
    advance(&server, wait - Duration::from_millis(1));
    let outcome = client.run(&get_user()).await.expect("runs");
    assert_eq!(refused_wait(&outcome, 5, 10), Duration::from_millis(1));
    advance(&server, Duration::from_millis(1));
    let outcome = client.run(&get_user()).await.expect("runs");
    assert_eq!(outcome.state, Some(PSInvocationState::Completed));
    assert_eq!(outcome.output.len(), 1);
    client.delete().await.expect("shell deleted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn destructive_cmdlets_spend_their_own_budget() {
    let server = server(
        r#"{"PowerShellMaxDestructiveCmdlets": 2, "PowerShellMaxDestructiveCmdletsTimePeriod": 60}"#,
    );
    let mut client = client(&server).await;
    for _ in 0..2 {
        let outcome = client.run(&remove_contact()).await.expect("runs");
        // Admitted: the cmdlet itself runs and reports the missing contact.
        assert!(
            outcome
                .state_error
                .as_ref()
                .is_none_or(|r| { !r.message().unwrap_or_default().contains("user load quota") })
        );
        assert!(!outcome.errors.is_empty() || outcome.state_error.is_some());
    }
    let outcome = client.run(&remove_contact()).await.expect("runs");
    let wait = refused_wait(&outcome, 2, 60);
    assert_eq!(wait, Duration::from_millis(60_000));
    // Other cmdlets are not destructive: unlimited.
    for _ in 0..10 {
        let outcome = client.run(&get_user()).await.expect("runs");
        assert_eq!(outcome.state, Some(PSInvocationState::Completed));
    }
    advance(&server, wait);
    let outcome = client.run(&remove_contact()).await.expect("runs");
    assert!(
        outcome
            .state_error
            .as_ref()
            .is_none_or(|r| { !r.message().unwrap_or_default().contains("user load quota") })
    );
    client.delete().await.expect("shell deleted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_policy_is_what_get_throttlingpolicy_reports() {
    let server = server(r#"{"PowerShellMaxConcurrency": 2, "PowerShellMaxCmdlets": 150}"#);
    let r = server
        .exchange()
        .invoke_as(ADMIN, "Get-ThrottlingPolicy", &[]);
    let p = &r.output[0];
    let text = |name: &str| p.property(name).and_then(|v| v.as_str()).map(str::to_owned);
    assert_eq!(text("PowerShellMaxConcurrency").as_deref(), Some("2"));
    assert_eq!(text("PowerShellMaxCmdlets").as_deref(), Some("150"));
    assert_eq!(
        text("PowerShellMaxCmdletsTimePeriod").as_deref(),
        Some("Unlimited")
    );
    // PowerShellMaxConcurrency is the shell quota.
    let _a = client(&server).await;
    let _b = client(&server).await;
    let url = server.url(Endpoint::PowerShell);
    let opts = Client::options(&url, AuthMethod::Ntlm, &format!("CORP\\{ADMIN}"), ADMIN_PW);
    let mut third = Client::new(&url, RESOURCE_EXCHANGE, opts);
    assert!(third.open().await.is_err());
}
