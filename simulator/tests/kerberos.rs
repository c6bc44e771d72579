//! Kerberos against the MIT KDC fixture (tests/kdc): run with its environment sourced
//! (`. "$(tests/kdc/start-kdc.sh)/env"`), as `scripts/test.sh` does. Without `MX_KDC_URL` the
//! test says so and passes, except under CI (`CI` set), where a missing KDC is a failure.

mod support;

use monosync_exchange::psrp::{Command, PSInvocationState, PowerShellSpec};
use monosync_exchange::transport::AuthMethod;
use monosync_exchange::wsman::namespaces::RESOURCE_EXCHANGE;
use mx_sim::exchange::SimAccount;
use mx_sim::http::auth::KerberosService;
use mx_sim::{AuthConfig, Server, SimConfig};
use support::Client;

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kerberos_sealed_get_mailbox() {
    let (Some(kdc), Some(realm), Some(user), Some(password), Some(host), Some(svc_pw)) = (
        env("MX_KDC_URL"),
        env("MX_KRB5_REALM"),
        env("MX_KRB5_USER"),
        env("MX_KRB5_PASSWORD"),
        env("MX_KRB5_SERVICE_HOST"),
        env("MX_KRB5_SERVICE_PASSWORD"),
    ) else {
        assert!(
            env("CI").is_none(),
            "MX_KDC_URL not set under CI: scripts/test.sh must start tests/kdc/start-kdc.sh"
        );
        eprintln!("MX_KDC_URL not set: start tests/kdc/start-kdc.sh and source its env");
        return;
    };
    let server = Server::start(SimConfig {
        auth: AuthConfig {
            basic: false,
            ntlm: false,
            kerberos: Some(KerberosService {
                realm: realm.clone(),
                host: host.clone(),
                password: svc_pw,
                kdc_url: kdc.clone(),
            }),
            offer_kerberos_scheme: true,
            domains: Vec::new(),
        },
        ..SimConfig::default()
    })
    .expect("server starts");
    server.exchange().rbac_mut().set_account(SimAccount {
        user: user.clone(),
        password: String::new(),
        role_groups: vec!["Organization Management".into()],
        cmdlets: Vec::new(),
    });
    let url = format!("http://{host}:{}/PowerShell", server.addr().port());
    let mut opts = Client::options(
        &url,
        AuthMethod::Kerberos,
        &format!("{user}@{realm}"),
        &password,
    );
    opts.kdc = Some(kdc);
    let mut client = Client::new(&url, RESOURCE_EXCHANGE, opts);
    client.open().await.expect("shell opens over Kerberos");
    let outcome = client
        .run(&PowerShellSpec::new(
            Command::new("Get-Mailbox").arg("Administrator"),
        ))
        .await
        .expect("runs");
    assert_eq!(outcome.state, Some(PSInvocationState::Completed));
    assert_eq!(outcome.output.len(), 1);
    client.delete().await.expect("deleted");
    let log = server.request_log().entries();
    let soap: Vec<_> = log
        .iter()
        .filter(|e| e.operation != "Auth" && e.status == 200)
        .collect();
    assert!(!soap.is_empty());
    assert!(
        soap.iter()
            .all(|e| e.sealed && e.auth.as_deref() == Some("Kerberos")),
        "{log:?}"
    );
    assert_eq!(soap[0].user.as_deref(), Some(user.as_str()));
}
