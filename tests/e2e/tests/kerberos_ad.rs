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
use mx_fixtures::{KdcProxy, Realm, UnderCi, UpnUser, need};
use mx_sim::RunningServer;

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
    let Some(r) = Realm::from_env() else { return };
    let Some(upn) = UpnUser::from_env() else {
        return;
    };
    let server = r.kerberos_server(&upn.account);
    let mut o = options(&server, &r.host, &upn.upn, &upn.password);
    o.transport.kdc = Some(r.kdc.clone());
    o.transport.realm = Some(r.realm.to_ascii_lowercase());
    get_mailbox(o, &server, &upn.account).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_upn_with_another_suffix_takes_the_realm_from_krb5_conf() {
    let Some(r) = Realm::from_env() else { return };
    let (Some(upn), Some(_)) = (
        UpnUser::from_env(),
        need(["KRB5_CONFIG"], UnderCi::Required),
    ) else {
        return;
    };
    // No kdc and no realm option: default_realm and the realm's kdc come from krb5.conf.
    let server = r.kerberos_server(&upn.account);
    let o = options(&server, &r.host, &upn.upn, &upn.password);
    get_mailbox(o, &server, &upn.account).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_realm_option_turns_a_netbios_style_name_into_the_realm() {
    let Some(r) = Realm::from_env() else { return };
    let server = r.kerberos_server(&r.user);
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
    let Some(r) = Realm::from_env() else { return };
    let server = r.kerberos_server(&r.user);
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
    let Some(r) = Realm::from_env() else { return };
    let Some(p) = KdcProxy::from_env() else {
        return;
    };
    let server = r.kerberos_server(&r.user);
    let mut o = options(&server, &r.host, &r.principal(), &r.password);
    o.transport.kdc = Some(p.url.clone());
    o.transport.tls.ca_file = Some(p.ca.clone().into());
    get_mailbox(o, &server, &r.user).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_kdc_proxy_certificate_is_verified() {
    let Some(r) = Realm::from_env() else { return };
    let Some(p) = KdcProxy::from_env() else {
        return;
    };
    let server = r.kerberos_server(&r.user);
    let mut o = options(&server, &r.host, &r.principal(), &r.password);
    // The test CA is not trusted, and pinning or switching off the Exchange server's
    // certificate checks does not apply to the proxy.
    o.transport.kdc = Some(p.url.clone());
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
    let Some(r) = Realm::from_env() else { return };
    // MIT only: no skewed AD KDC is started (a Samba DC takes its clock from the host).
    let Some([skewed]) = need(["MX_KDC_SKEWED_URL"], UnderCi::Optional) else {
        return;
    };
    let server = r.kerberos_server(&r.user);
    let mut o = options(&server, &r.host, &r.principal(), &r.password);
    o.transport.kdc = Some(skewed);
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
    let Some(r) = Realm::from_env() else { return };
    let server = r.kerberos_server(&r.user);
    let domain = r.host.split_once('.').map(|(_, d)| d).unwrap_or("test");
    let host = format!("nospn.{domain}");
    let mut o = options(&server, &host, &r.principal(), &r.password);
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
    let Some(r) = Realm::from_env() else { return };
    let server = r.kerberos_server(&r.user);
    let mut o = options(&server, "nospn", &r.principal(), &r.password);
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
    let Some(r) = Realm::from_env() else { return };
    let server = r.kerberos_server(&r.user);
    let mut o = options(&server, "127.0.0.1", &r.principal(), &r.password);
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
    let Some(r) = Realm::from_env() else { return };
    let Some([rc4_host]) = need(["MX_KRB5_RC4_SERVICE_HOST"], UnderCi::Optional) else {
        return;
    };
    // The simulator holds AES keys for its own SPN only: the RC4 ticket for the other host's
    // SPN is refused, as a server with AES-only keys refuses it.
    let server = r.kerberos_server(&r.user);
    let mut o = options(&server, &rc4_host, &r.principal(), &r.password);
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
