//! `Session` over HTTP with Kerberos message encryption against the MIT KDC fixture
//! (tests/kdc): run with its environment sourced, as `scripts/test.sh` does. Without
//! `MX_KDC_URL` the tests say so and pass, except under CI (`CI` set), where a missing KDC is a
//! failure.

use monosync_exchange::exchange::{Command, ErrorKind, Session, SessionOptions};
use monosync_exchange::psrp::PSInvocationState;
use monosync_exchange::transport::{AuthMethod, Credentials};
use mx_sim::exchange::SimAccount;
use mx_sim::http::auth::KerberosService;
use mx_sim::{AuthConfig, RunningServer, Server, SimConfig};

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// The realm of the KDC fixture.
struct Realm {
    kdc: String,
    realm: String,
    user: String,
    password: String,
    host: String,
    service_password: String,
}

fn realm() -> Option<Realm> {
    let realm = (|| {
        Some(Realm {
            kdc: env("MX_KDC_URL")?,
            realm: env("MX_KRB5_REALM")?,
            user: env("MX_KRB5_USER")?,
            password: env("MX_KRB5_PASSWORD")?,
            host: env("MX_KRB5_SERVICE_HOST")?,
            service_password: env("MX_KRB5_SERVICE_PASSWORD")?,
        })
    })();
    if realm.is_none() {
        assert!(
            env("CI").is_none(),
            "MX_KDC_URL not set under CI: scripts/test.sh must start tests/kdc/start-kdc.sh"
        );
        eprintln!("MX_KDC_URL not set: start tests/kdc/start-kdc.sh and source its env");
    }
    realm
}

/// The simulator with the service key of `HTTP/<host>` and the realm's user as an
/// Organization Management member; NTLM off, so only Kerberos can succeed.
fn kerberos_server(r: &Realm) -> RunningServer {
    let server = Server::start(SimConfig {
        auth: AuthConfig {
            basic: false,
            ntlm: false,
            kerberos: Some(KerberosService {
                realm: r.realm.clone(),
                host: r.host.clone(),
                password: r.service_password.clone(),
                kdc_url: r.kdc.clone(),
            }),
            offer_kerberos_scheme: true,
            domains: Vec::new(),
        },
        ..SimConfig::default()
    })
    .expect("server starts");
    server.exchange().rbac_mut().set_account(SimAccount {
        user: r.user.clone(),
        password: String::new(),
        role_groups: vec!["Organization Management".into()],
        cmdlets: Vec::new(),
    });
    server
}

fn options(r: &Realm, server: &RunningServer, auth: AuthMethod, password: &str) -> SessionOptions {
    let port = server.addr().port();
    let mut o = SessionOptions::exchange(
        format!("http://{}:{port}/PowerShell", r.host),
        auth,
        Credentials::new(format!("{}@{}", r.user, r.realm), password),
    );
    o.transport.kdc = Some(r.kdc.clone());
    // The service name must resolve to the simulator whatever /etc/hosts says.
    o.transport.resolve_overrides = vec![
        format!("{}:{port}:127.0.0.1", r.host)
            .parse()
            .expect("override"),
    ];
    o
}

/// Runs connect, Get-Mailbox and close, and checks the log: every SOAP body sealed, on a
/// connection authenticated with one of `mechanisms`.
async fn connect_invoke_close(r: &Realm, auth: AuthMethod, mechanisms: &[&str]) {
    let server = kerberos_server(r);
    let mut session = Session::connect(options(r, &server, auth, &r.password))
        .await
        .expect("connect over Kerberos");
    let result = session
        .invoke(Command::new("Get-Mailbox").param("Identity", "Administrator"))
        .await
        .expect("Get-Mailbox");
    assert_eq!(result.state, Some(PSInvocationState::Completed));
    assert_eq!(
        result.output[0]
            .property("SamAccountName")
            .and_then(|v| v.as_str()),
        Some("Administrator")
    );
    println!("{auth:?}: {:?}", session.round_trips());
    session.close().await.expect("close");
    assert_eq!(server.shell_count(), 0);
    let log = server.request_log().entries();
    let soap: Vec<_> = log
        .iter()
        .filter(|e| e.operation != "Auth" && e.status == 200)
        .collect();
    let ops: Vec<&str> = soap.iter().map(|e| e.operation.as_str()).collect();
    assert_eq!(
        ops,
        [
            "Create", "Receive", "Command", "Receive", "Signal", "Delete"
        ],
        "{log:?}"
    );
    // Every SOAP body travelled sealed with the Kerberos session key, as the realm's user.
    assert!(
        soap.iter()
            .all(|e| e.sealed && e.auth.as_deref().is_some_and(|a| mechanisms.contains(&a))),
        "{log:?}"
    );
    assert!(
        soap.iter()
            .all(|e| e.user.as_deref() == Some(r.user.as_str())),
        "{log:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kerberos_sealed_session() {
    let Some(r) = realm() else { return };
    connect_invoke_close(&r, AuthMethod::Kerberos, &["Kerberos"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn negotiate_chooses_kerberos() {
    let Some(r) = realm() else { return };
    // The server has NTLM off, so a SPNEGO logon that succeeds carried Kerberos.
    connect_invoke_close(&r, AuthMethod::Negotiate, &["Kerberos", "Spnego"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_kerberos_password_is_auth_with_the_spn_hint() {
    let Some(r) = realm() else { return };
    let server = kerberos_server(&r);
    let err = Session::connect(options(&r, &server, AuthMethod::Kerberos, "wrong-password"))
        .await
        .expect_err("the KDC refuses");
    let hint = err.hint().expect("hint");
    println!("{err}\n    hint: {hint}");
    assert_eq!(err.kind(), ErrorKind::Auth);
    assert!(hint.contains("setspn -S HTTP/<fqdn>"), "{hint}");
    assert_eq!(server.shell_count(), 0);
}
