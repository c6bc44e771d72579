//! Kerberos as Active Directory deployments use it, end to end (client -> KDC -> mx-sim):
//! UPNs whose suffix is not the realm (NT-ENTERPRISE names), the realm option, the KDC proxy
//! ([MS-KKDCP]), and failures named with what to change (clock skew, missing SPN, short host
//! names and addresses, RC4 service tickets).
//!
//! Runs against any KDC whose environment provides these variables (tests/kdc/start-kdc.sh
//! for MIT; tests/kdc/samba/start-dc.sh exports the same names for the Samba AD DC, and
//! scripts/test.sh runs this file with each):
//!
//! | variable | meaning |
//! | --- | --- |
//! | `MX_KDC_URL`, `MX_KRB5_REALM` | the KDC and its realm |
//! | `MX_KRB5_USER`, `MX_KRB5_PASSWORD` | a user in the realm (account name) |
//! | `MX_KRB5_SERVICE_HOST`, `MX_KRB5_SERVICE_PASSWORD` | the SPN host `HTTP/<host>` and the password its key derives from (MIT) |
//! | `MX_KRB5_KEYTAB` | without a service password (AD): the keytab holding the service's keys |
//! | `MX_KRB5_UPN_USER`, `MX_KRB5_UPN_PASSWORD`, `MX_KRB5_UPN_ACCOUNT` | a user logging on by a UPN whose suffix is not the realm, and the account name (sAMAccountName) the server sees |
//! | `MX_KDC_PROXY_URL`, `MX_KDC_PROXY_CA` | a KDC proxy for the realm (tests/kdc/start-kdcproxy.sh) and its CA |
//! | `MX_KDC_SKEWED_URL` | a KDC of the realm whose clock is hours off (tests/kdc/start-skewed-kdc.sh) |
//! | `MX_KRB5_RC4_SERVICE_HOST` | a host whose SPN account has no AES keys (AD only) |
//!
//! A test whose variables are missing says so and passes, except under CI (`CI` set) for the
//! base realm, the UPN user and the KDC proxy.

use monosync_exchange::exchange::{Command, ErrorKind, Session, SessionError, SessionOptions};
use monosync_exchange::psrp::PSInvocationState;
use monosync_exchange::transport::{AuthMethod, Credentials, KerberosError, TransportError};
use mx_sim::exchange::SimAccount;
use mx_sim::http::auth::KerberosService;
use mx_sim::{AuthConfig, RunningServer, Server, SimConfig};

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// `Some(value)`, or `None` after saying what is missing; under CI a missing required
/// variable fails the test.
fn need(names: &[&str], required_in_ci: bool) -> Option<Vec<String>> {
    let values: Vec<Option<String>> = names.iter().map(|n| env(n)).collect();
    if values.iter().all(Option::is_some) {
        return Some(values.into_iter().flatten().collect());
    }
    let missing: Vec<&str> = names
        .iter()
        .zip(&values)
        .filter(|(_, v)| v.is_none())
        .map(|(n, _)| *n)
        .collect();
    assert!(
        !(required_in_ci && env("CI").is_some()),
        "{missing:?} not set under CI: start tests/kdc/start-kdc.sh (and start-kdcproxy.sh) and source their env"
    );
    eprintln!("{missing:?} not set: skipped");
    None
}

struct Realm {
    kdc: String,
    realm: String,
    user: String,
    password: String,
    host: String,
    /// The service's keys: derived from the password (MIT's realm), else the exported keytab
    /// (the Samba AD DC, where the service key exists only there).
    service: KerberosService,
}

fn realm() -> Option<Realm> {
    let v = need(
        &[
            "MX_KDC_URL",
            "MX_KRB5_REALM",
            "MX_KRB5_USER",
            "MX_KRB5_PASSWORD",
            "MX_KRB5_SERVICE_HOST",
        ],
        true,
    )?;
    let mut v = v.into_iter();
    let mut next = || v.next().unwrap_or_default();
    let (kdc, realm, user, password, host) = (next(), next(), next(), next(), next());
    let service = match env("MX_KRB5_SERVICE_PASSWORD") {
        Some(password) => KerberosService {
            realm: realm.clone(),
            host: host.clone(),
            password,
            kdc_url: kdc.clone(),
            keytab: None,
        },
        None => {
            let keytab = need(&["MX_KRB5_KEYTAB"], true)?;
            KerberosService::from_keytab_file(&keytab[0], Some(kdc.clone()))
                .expect("the fixture's keytab")
        }
    };
    Some(Realm {
        kdc,
        realm,
        user,
        password,
        host,
        service,
    })
}

/// mx-sim holding the key of `HTTP/<host>`, with `account` an Organization Management member;
/// NTLM off, so only Kerberos can succeed.
fn kerberos_server(r: &Realm, account: &str) -> RunningServer {
    let server = Server::start(SimConfig {
        auth: AuthConfig {
            basic: false,
            ntlm: false,
            kerberos: Some(r.service.clone()),
            offer_kerberos_scheme: true,
            domains: Vec::new(),
        },
        ..SimConfig::default()
    })
    .expect("server starts");
    server.exchange().rbac_mut().set_account(SimAccount {
        user: account.to_owned(),
        password: String::new(),
        role_groups: vec!["Organization Management".into()],
        cmdlets: Vec::new(),
    });
    server
}

/// Options for `http://<host>:<port>/PowerShell` with `host` resolved to the simulator.
fn options(server: &RunningServer, host: &str, user: &str, password: &str) -> SessionOptions {
    let port = server.addr().port();
    let mut o = SessionOptions::exchange(
        format!("http://{host}:{port}/PowerShell"),
        AuthMethod::Kerberos,
        Credentials::new(user, password),
    );
    o.transport.resolve_overrides = vec![
        format!("{host}:{port}:127.0.0.1")
            .parse()
            .expect("override"),
    ];
    o
}

async fn get_mailbox(o: SessionOptions, server: &RunningServer, account: &str) {
    let mut session = Session::connect(o).await.expect("connect over Kerberos");
    let result = session
        .invoke(Command::new("Get-Mailbox").param("Identity", "Administrator"))
        .await
        .expect("Get-Mailbox");
    assert_eq!(result.state, Some(PSInvocationState::Completed));
    session.close().await.expect("close");
    let log = server.request_log().entries();
    let bare = account.split('@').next().unwrap_or(account);
    assert!(
        log.iter()
            .filter(|e| e.operation != "Auth" && e.status == 200)
            .all(|e| e.sealed
                && e.auth.as_deref() == Some("Kerberos")
                && e.user.as_deref().is_some_and(|u| u
                    .split('@')
                    .next()
                    .is_some_and(|u| u.eq_ignore_ascii_case(bare)))),
        "{log:?}"
    );
}

fn kerberos_error(err: &SessionError) -> &KerberosError {
    match err {
        SessionError::Transport(TransportError::Kerberos(k)) => k,
        other => panic!("expected a Kerberos error, got {other:?}: {other}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_upn_with_another_suffix_logs_on_as_an_enterprise_name_with_the_realm_option() {
    let Some(r) = realm() else { return };
    let Some(upn) = need(
        &[
            "MX_KRB5_UPN_USER",
            "MX_KRB5_UPN_PASSWORD",
            "MX_KRB5_UPN_ACCOUNT",
        ],
        true,
    ) else {
        return;
    };
    let server = kerberos_server(&r, &upn[2]);
    let mut o = options(&server, &r.host, &upn[0], &upn[1]);
    o.transport.kdc = Some(r.kdc.clone());
    o.transport.realm = Some(r.realm.to_ascii_lowercase());
    get_mailbox(o, &server, &upn[2]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_upn_with_another_suffix_takes_the_realm_from_krb5_conf() {
    let Some(r) = realm() else { return };
    let Some(upn) = need(
        &[
            "MX_KRB5_UPN_USER",
            "MX_KRB5_UPN_PASSWORD",
            "MX_KRB5_UPN_ACCOUNT",
            "KRB5_CONFIG",
        ],
        true,
    ) else {
        return;
    };
    // No kdc and no realm option: default_realm and the realm's kdc come from krb5.conf.
    let server = kerberos_server(&r, &upn[2]);
    let o = options(&server, &r.host, &upn[0], &upn[1]);
    get_mailbox(o, &server, &upn[2]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_realm_option_turns_a_netbios_style_name_into_the_realm() {
    let Some(r) = realm() else { return };
    let server = kerberos_server(&r, &r.user);
    let mut o = options(
        &server,
        &r.host,
        &format!("NOTAREALM\\{}", r.user),
        &r.password,
    );
    o.transport.kdc = Some(r.kdc.clone());
    o.transport.realm = Some(r.realm.clone());
    get_mailbox(o, &server, &r.user).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_upn_names_the_enterprise_principal_and_the_realm() {
    let Some(r) = realm() else { return };
    let server = kerberos_server(&r, &r.user);
    let mut o = options(
        &server,
        &r.host,
        "nobody.here@fabrikam.test",
        "Some-Pass-2026",
    );
    o.transport.kdc = Some(r.kdc.clone());
    o.transport.realm = Some(r.realm.clone());
    let err = Session::connect(o).await.expect_err("no such user");
    println!("{err}\n    hint: {:?}", err.hint());
    assert_eq!(err.kind(), ErrorKind::Auth);
    match kerberos_error(&err) {
        KerberosError::ClientUnknown {
            principal, realm, ..
        } => {
            assert_eq!(
                principal,
                &format!(
                    "nobody.here@fabrikam.test (NT-ENTERPRISE name) in realm {}",
                    r.realm
                )
            );
            assert_eq!(realm, &r.realm);
        }
        other => panic!("{other:?}"),
    }
    let hint = err.hint().expect("hint");
    assert!(hint.contains("FABRIKAM.TEST"), "{hint}");
    assert_eq!(server.shell_count(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_kdc_proxy_carries_the_logon() {
    let Some(r) = realm() else { return };
    let Some(p) = need(&["MX_KDC_PROXY_URL", "MX_KDC_PROXY_CA"], true) else {
        return;
    };
    let server = kerberos_server(&r, &r.user);
    let mut o = options(
        &server,
        &r.host,
        &format!("{}@{}", r.user, r.realm),
        &r.password,
    );
    o.transport.kdc = Some(p[0].clone());
    o.transport.tls.ca_file = Some(p[1].clone().into());
    get_mailbox(o, &server, &r.user).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_kdc_proxy_certificate_is_verified() {
    let Some(r) = realm() else { return };
    let Some(p) = need(&["MX_KDC_PROXY_URL", "MX_KDC_PROXY_CA"], true) else {
        return;
    };
    let server = kerberos_server(&r, &r.user);
    let mut o = options(
        &server,
        &r.host,
        &format!("{}@{}", r.user, r.realm),
        &r.password,
    );
    // The test CA is not trusted, and pinning or switching off the Exchange server's
    // certificate checks does not apply to the proxy.
    o.transport.kdc = Some(p[0].clone());
    o.transport.tls.insecure = true;
    let err = Session::connect(o).await.expect_err("untrusted proxy");
    println!("{err}");
    assert!(
        matches!(
            err,
            SessionError::Transport(TransportError::TlsUntrusted { .. })
        ),
        "{err:?}"
    );
    assert_eq!(server.shell_count(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clock_skew_is_named_with_both_times() {
    let Some(r) = realm() else { return };
    // MIT only: no skewed AD KDC is started (a Samba DC takes its clock from the host).
    let Some(s) = need(&["MX_KDC_SKEWED_URL"], false) else {
        return;
    };
    let server = kerberos_server(&r, &r.user);
    let mut o = options(
        &server,
        &r.host,
        &format!("{}@{}", r.user, r.realm),
        &r.password,
    );
    o.transport.kdc = Some(s[0].clone());
    let err = Session::connect(o).await.expect_err("skewed KDC");
    println!("{err}");
    match kerberos_error(&err) {
        KerberosError::ClockSkew {
            kdc_time,
            local_time,
            realm,
        } => {
            assert_eq!(realm, &r.realm);
            assert_ne!(kdc_time, local_time);
            assert!(err.to_string().contains(kdc_time.as_str()));
            assert!(err.to_string().contains(local_time.as_str()));
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_spn_names_setspn() {
    let Some(r) = realm() else { return };
    let server = kerberos_server(&r, &r.user);
    let domain = r.host.split_once('.').map(|(_, d)| d).unwrap_or("test");
    let host = format!("nospn.{domain}");
    let mut o = options(
        &server,
        &host,
        &format!("{}@{}", r.user, r.realm),
        &r.password,
    );
    o.transport.kdc = Some(r.kdc.clone());
    let err = Session::connect(o).await.expect_err("no such SPN");
    println!("{err}");
    match kerberos_error(&err) {
        KerberosError::SpnUnknown {
            spn, short_host, ..
        } => {
            assert_eq!(spn, &format!("HTTP/{host}"));
            assert!(!short_host);
        }
        other => panic!("{other:?}"),
    }
    assert!(
        err.to_string()
            .contains(&format!("setspn -S HTTP/{host} <account>")),
        "{err}"
    );
    assert_eq!(server.shell_count(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_short_host_name_says_kerberos_needs_the_fqdn() {
    let Some(r) = realm() else { return };
    let server = kerberos_server(&r, &r.user);
    let mut o = options(
        &server,
        "nospn",
        &format!("{}@{}", r.user, r.realm),
        &r.password,
    );
    o.transport.kdc = Some(r.kdc.clone());
    let err = Session::connect(o).await.expect_err("short name");
    println!("{err}");
    assert!(
        matches!(
            kerberos_error(&err),
            KerberosError::SpnUnknown {
                short_host: true,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("fully qualified domain name"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ip_address_says_kerberos_needs_the_fqdn() {
    let Some(r) = realm() else { return };
    let server = kerberos_server(&r, &r.user);
    let mut o = options(
        &server,
        "127.0.0.1",
        &format!("{}@{}", r.user, r.realm),
        &r.password,
    );
    o.transport.kdc = Some(r.kdc.clone());
    let err = Session::connect(o).await.expect_err("address");
    println!("{err}");
    assert_eq!(err.kind(), ErrorKind::Auth);
    assert!(
        err.to_string().contains("fully qualified host name"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_rc4_service_ticket_names_msds_supported_encryption_types() {
    let Some(r) = realm() else { return };
    let Some(h) = need(&["MX_KRB5_RC4_SERVICE_HOST"], false) else {
        return;
    };
    // The simulator holds AES keys for its own SPN only: the RC4 ticket for the other host's
    // SPN is refused, as a server with AES-only keys refuses it.
    let server = kerberos_server(&r, &r.user);
    let mut o = options(
        &server,
        &h[0],
        &format!("{}@{}", r.user, r.realm),
        &r.password,
    );
    o.transport.kdc = Some(r.kdc.clone());
    let err = Session::connect(o).await.expect_err("RC4 ticket refused");
    println!("{err}");
    let text = err.to_string();
    match kerberos_error(&err) {
        KerberosError::WeakServiceTicket { etype, .. } => assert_eq!(etype, "rc4-hmac"),
        KerberosError::EtypeNotSupported { .. } => {}
        other => panic!("{other:?}"),
    }
    assert!(text.contains("msDS-SupportedEncryptionTypes"), "{text}");
}
