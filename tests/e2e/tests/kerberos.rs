//! `Session` over HTTP with Kerberos message encryption against a KDC fixture of tests/kdc:
//! MIT's (`start-kdc.sh`) or a Samba AD DC (`samba/start-dc.sh`), whichever environment is
//! sourced; `scripts/test.sh` runs these tests once with each. Without `MX_KDC_URL` the tests
//! say so and pass, except under CI (`CI` set), where a missing KDC is a failure. The AD-only
//! tests (user name forms, keytab logons) run when the Samba DC's `MX_AD_*` variables are set.

use monosync_exchange::exchange::{Command, ErrorKind, Session, SessionError, SessionOptions};
use monosync_exchange::psrp::PSInvocationState;
use monosync_exchange::transport::keytab::{Keytab, KeytabError};
use monosync_exchange::transport::{AuthMethod, Credentials, TransportError};
use mx_fixtures::{AdAccounts, Realm, add_admin};
use mx_sim::RunningServer;

fn options(r: &Realm, server: &RunningServer, auth: AuthMethod, password: &str) -> SessionOptions {
    options_with(r, server, auth, Credentials::new(r.principal(), password))
}

fn options_with(
    r: &Realm,
    server: &RunningServer,
    auth: AuthMethod,
    credentials: Credentials,
) -> SessionOptions {
    let port = server.addr().port();
    let mut o = SessionOptions::exchange(
        format!("http://{}:{port}/PowerShell", r.host),
        auth,
        credentials,
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
    let server = r.kerberos_server(&r.user);
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
    let Some(r) = Realm::from_env() else { return };
    connect_invoke_close(&r, AuthMethod::Kerberos, &["Kerberos"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn negotiate_chooses_kerberos() {
    let Some(r) = Realm::from_env() else { return };
    // The server has NTLM off, so a SPNEGO logon that succeeds carried Kerberos.
    connect_invoke_close(&r, AuthMethod::Negotiate, &["Kerberos", "Spnego"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_kerberos_password_is_auth_with_the_spn_hint() {
    let Some(r) = Realm::from_env() else { return };
    let server = r.kerberos_server(&r.user);
    let err = Session::connect(options(&r, &server, AuthMethod::Kerberos, "wrong-password"))
        .await
        .expect_err("the KDC refuses");
    let hint = err.hint().expect("hint");
    println!("{err}\n    hint: {hint}");
    assert_eq!(err.kind(), ErrorKind::Auth);
    assert!(hint.contains("setspn -S HTTP/<fqdn>"), "{hint}");
    assert_eq!(server.shell_count(), 0);
}

/// Connects with `credentials`, runs Get-Mailbox, closes; returns the user the simulator
/// saw on every SOAP request.
async fn logon(
    r: &Realm,
    server: &RunningServer,
    auth: AuthMethod,
    credentials: Credentials,
) -> Result<String, SessionError> {
    let before = server.request_log().entries().len();
    let mut session = Session::connect(options_with(r, server, auth, credentials)).await?;
    let result = session
        .invoke(Command::new("Get-Mailbox").param("Identity", "Administrator"))
        .await?;
    assert_eq!(result.state, Some(PSInvocationState::Completed));
    session.close().await?;
    let log = server.request_log().entries();
    let users: Vec<_> = log[before..]
        .iter()
        .filter(|e| e.operation != "Auth" && e.status == 200)
        .map(|e| {
            assert!(e.sealed, "{e:?}");
            e.user.clone().unwrap_or_default()
        })
        .collect();
    assert!(
        !users.is_empty() && users.iter().all(|u| u == &users[0]),
        "{users:?}"
    );
    Ok(users[0].clone())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ad_user_name_forms_log_on_with_a_password() {
    let (Some(r), Some(ad)) = (Realm::from_env(), AdAccounts::from_env()) else {
        return;
    };
    let server = r.kerberos_server(&r.user);
    add_admin(&server, &ad.upn_user);
    let upn_prefix = ad.upn.split('@').next().unwrap_or_default();
    let forms = [
        // user@REALM, the realm in any case.
        (format!("{}@{}", r.user, r.realm), &r.password, &r.user),
        (
            format!("{}@{}", r.user, r.realm.to_ascii_lowercase()),
            &r.password,
            &r.user,
        ),
        (
            format!("{}@{}", r.user.to_ascii_uppercase(), ad.dns_domain),
            &r.password,
            &r.user,
        ),
        // DOMAIN\user with the NetBIOS domain: the realm comes from krb5.conf.
        (format!("{}\\{}", ad.netbios, r.user), &r.password, &r.user),
        (
            format!("{}\\{}", ad.netbios.to_ascii_lowercase(), r.user),
            &r.password,
            &r.user,
        ),
        // A user whose UPN prefix is not the sAMAccountName, by either name.
        (
            format!("{}@{}", ad.upn_user, r.realm),
            &ad.upn_password,
            &ad.upn_user,
        ),
        (
            format!("{}\\{}", ad.netbios, ad.upn_user),
            &ad.upn_password,
            &ad.upn_user,
        ),
        (ad.upn.clone(), &ad.upn_password, &ad.upn_user),
        (
            format!("{upn_prefix}@{}", r.realm),
            &ad.upn_password,
            &ad.upn_user,
        ),
    ];
    for (name, password, account) in forms {
        for auth in [AuthMethod::Kerberos, AuthMethod::Negotiate] {
            let user = logon(
                &r,
                &server,
                auth,
                Credentials::new(name.clone(), password.as_str()),
            )
            .await
            .unwrap_or_else(|e| panic!("{name} ({auth:?}): {e}"));
            assert!(
                user.eq_ignore_ascii_case(account),
                "{name}: logged on as {user}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ad_service_account_logs_on_with_its_keytab() {
    let (Some(r), Some(ad)) = (Realm::from_env(), AdAccounts::from_env()) else {
        return;
    };
    let server = r.kerberos_server(&r.user);
    add_admin(&server, &ad.keytab_user);
    // The principal named, in AD's forms, and none (the keytab's first principal).
    let names = [
        ad.keytab_principal.clone(),
        format!("{}\\{}", ad.netbios, ad.keytab_user),
        ad.keytab_user.clone(),
        String::new(),
    ];
    for name in names {
        for auth in [AuthMethod::Kerberos, AuthMethod::Negotiate] {
            let user = logon(
                &r,
                &server,
                auth,
                Credentials::with_keytab(name.clone(), &ad.keytab),
            )
            .await
            .unwrap_or_else(|e| panic!("keytab logon as `{name}` ({auth:?}): {e}"));
            assert_eq!(user, ad.keytab_user, "{name}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keytab_failures_are_typed_and_keep_the_key_out() {
    let (Some(r), Some(ad)) = (Realm::from_env(), AdAccounts::from_env()) else {
        return;
    };
    let server = r.kerberos_server(&r.user);
    // Only RC4 keys: refused before any KDC traffic, naming msDS-SupportedEncryptionTypes.
    let err = Session::connect(options_with(
        &r,
        &server,
        AuthMethod::Kerberos,
        Credentials::with_keytab("", &ad.rc4_keytab),
    ))
    .await
    .expect_err("an RC4-only keytab is refused");
    println!("{err}");
    assert_eq!(err.kind(), ErrorKind::Auth);
    assert!(
        matches!(
            &err,
            SessionError::Transport(TransportError::Keytab(KeytabError::NoAesKey { .. }))
        ),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("msDS-SupportedEncryptionTypes"),
        "{err}"
    );
    // A principal the keytab does not hold: the error lists what it holds.
    let err = Session::connect(options_with(
        &r,
        &server,
        AuthMethod::Kerberos,
        Credentials::with_keytab(format!("{}@{}", r.user, r.realm), &ad.keytab),
    ))
    .await
    .expect_err("no key for alice");
    assert!(err.to_string().contains(&ad.keytab_principal), "{err}");
    // The key bytes appear in no message.
    let keytab = Keytab::read(&ad.keytab).expect("keytab");
    let key = keytab.logon_key(None).expect("AES key").key().to_vec();
    for text in [format!("{err}"), format!("{err:?}"), format!("{keytab:?}")] {
        let hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
        assert!(
            !text.contains(&hex) && !text.contains(&format!("{key:?}")),
            "{text}"
        );
    }
    // A keytab with NTLM is a configuration error.
    let err = Session::connect(options_with(
        &r,
        &server,
        AuthMethod::Ntlm,
        Credentials::with_keytab("", &ad.keytab),
    ))
    .await
    .expect_err("NTLM cannot use a keytab");
    assert_eq!(err.kind(), ErrorKind::Config, "{err}");
    assert_eq!(server.shell_count(), 0);
}
