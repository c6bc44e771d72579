//! `mx doctor`'s Kerberos checks against a live KDC and mx-sim: the host name (`kerberos.fqdn`),
//! the service ticket (`kerberos.spn`), the clocks (`kerberos.clock`) and the ticket's
//! encryption type (`kerberos.aes`), with a UPN whose suffix is not the realm and the KDC
//! proxy.
//!
//! Reads the variables of tests/kdc/start-kdc.sh (or an AD KDC's script exporting the same
//! names): `MX_KDC_URL`, `MX_KRB5_REALM`, `MX_KRB5_USER`, `MX_KRB5_PASSWORD`,
//! `MX_KRB5_SERVICE_HOST`, `MX_KRB5_SERVICE_PASSWORD` (MIT; for the Samba AD DC, whose
//! service key exists only in its exported keytab, `MX_KRB5_KEYTAB`), `MX_KRB5_UPN_USER`,
//! `MX_KRB5_UPN_PASSWORD`, `MX_KRB5_UPN_ACCOUNT`; and, when set, `MX_KDC_PROXY_URL` /
//! `MX_KDC_PROXY_CA` (start-kdcproxy.sh), `MX_KDC_SKEWED_URL` (start-skewed-kdc.sh) and
//! `MX_KRB5_RC4_SERVICE_HOST` (an SPN whose account has no AES keys, AD only). Without the base
//! variables the tests say so and pass, except under CI (`CI` set).

use std::process::{Command, Output};

use mx_sim::exchange::SimAccount;
use mx_sim::http::auth::KerberosService;
use mx_sim::{AuthConfig, RunningServer, Server, SimConfig};
use serde_json::Value;

const PASSWORD_VAR: &str = "MX_DOCTOR_PASSWORD";

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
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
    let r = (|| {
        let (kdc, realm, host) = (
            env("MX_KDC_URL")?,
            env("MX_KRB5_REALM")?,
            env("MX_KRB5_SERVICE_HOST")?,
        );
        let service = match env("MX_KRB5_SERVICE_PASSWORD") {
            Some(password) => KerberosService {
                realm: realm.clone(),
                host: host.clone(),
                password,
                kdc_url: kdc.clone(),
                keytab: None,
            },
            None => KerberosService::from_keytab_file(env("MX_KRB5_KEYTAB")?, Some(kdc.clone()))
                .expect("the fixture's keytab"),
        };
        Some(Realm {
            kdc,
            realm,
            user: env("MX_KRB5_USER")?,
            password: env("MX_KRB5_PASSWORD")?,
            host,
            service,
        })
    })();
    if r.is_none() {
        assert!(
            env("CI").is_none(),
            "MX_KDC_URL not set under CI: start tests/kdc/start-kdc.sh and source its env"
        );
        eprintln!("MX_KDC_URL not set: start tests/kdc/start-kdc.sh and source its env");
    }
    r
}

fn server(r: &Realm, account: &str) -> RunningServer {
    let server = Server::start(SimConfig {
        auth: AuthConfig {
            kerberos: Some(r.service.clone()),
            ..AuthConfig::default()
        },
        ..SimConfig::default()
    })
    .expect("sim");
    server.exchange().rbac_mut().set_account(SimAccount {
        user: account.to_owned(),
        password: String::new(),
        role_groups: vec!["Organization Management".into()],
        cmdlets: Vec::new(),
    });
    server
}

/// Runs `mx doctor http://<host>:<port>/PowerShell --auth kerberos --json` with `host`
/// resolved to the simulator.
fn doctor(server: &RunningServer, host: &str, password: &str, rest: &[&str]) -> (Output, Value) {
    let port = server.addr().port();
    let resolve = format!("{host}:{port}:127.0.0.1");
    let out = Command::new(env!("CARGO_BIN_EXE_mx"))
        .arg("doctor")
        .arg(format!("http://{host}:{port}/PowerShell"))
        .args([
            "--password-env",
            PASSWORD_VAR,
            "--json",
            "--connect-timeout",
            "2",
            "--auth",
            "kerberos",
            "--resolve",
            &resolve,
        ])
        .args(rest)
        .env(PASSWORD_VAR, password)
        .output()
        .expect("mx runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let doc: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out, doc)
}

fn check<'a>(doc: &'a Value, id: &str) -> &'a Value {
    doc["checks"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["id"] == id))
        .unwrap_or_else(|| panic!("no check {id} in {doc:#}"))
}

fn status<'a>(doc: &'a Value, id: &str) -> &'a str {
    check(doc, id)["status"].as_str().unwrap_or("")
}

fn text<'a>(doc: &'a Value, id: &str, field: &str) -> &'a str {
    check(doc, id)[field].as_str().unwrap_or("")
}

#[test]
fn a_healthy_realm_passes_every_kerberos_check() {
    let Some(r) = realm() else { return };
    let s = server(&r, &r.user);
    let principal = format!("{}@{}", r.user, r.realm);
    let (_, doc) = doctor(
        &s,
        &r.host,
        &r.password,
        &["--username", &principal, "--kdc", &r.kdc],
    );
    for id in [
        "kerberos.fqdn",
        "kerberos.spn",
        "kerberos.clock",
        "kerberos.aes",
    ] {
        assert_eq!(status(&doc, id), "pass", "{id}: {doc:#}");
    }
    assert!(
        text(&doc, "kerberos.aes", "detail").contains("aes"),
        "{doc:#}"
    );
    assert!(
        text(&doc, "kerberos.spn", "detail").contains(&format!("as {principal}")),
        "{doc:#}"
    );
}

#[test]
fn a_upn_suffix_through_the_kdc_proxy_with_the_realm_option() {
    let Some(r) = realm() else { return };
    let (Some(upn), Some(upn_password), Some(account)) = (
        env("MX_KRB5_UPN_USER"),
        env("MX_KRB5_UPN_PASSWORD"),
        env("MX_KRB5_UPN_ACCOUNT"),
    ) else {
        assert!(env("CI").is_none(), "MX_KRB5_UPN_USER not set under CI");
        return;
    };
    let (Some(proxy), Some(ca)) = (env("MX_KDC_PROXY_URL"), env("MX_KDC_PROXY_CA")) else {
        assert!(env("CI").is_none(), "MX_KDC_PROXY_URL not set under CI");
        eprintln!("MX_KDC_PROXY_URL not set: start tests/kdc/start-kdcproxy.sh");
        return;
    };
    let s = server(&r, &account);
    let (_, doc) = doctor(
        &s,
        &r.host,
        &upn_password,
        &[
            "--username",
            &upn,
            "--realm",
            &r.realm,
            "--kdc",
            &proxy,
            "--ca-file",
            &ca,
        ],
    );
    assert_eq!(status(&doc, "kerberos.spn"), "pass", "{doc:#}");
    let detail = text(&doc, "kerberos.spn", "detail");
    assert!(
        detail.contains(&format!("{upn} (NT-ENTERPRISE name) in realm {}", r.realm)),
        "{detail}"
    );
    assert!(detail.contains(&proxy), "{detail}");
    assert_eq!(status(&doc, "auth.account"), "pass", "{doc:#}");
}

#[test]
fn a_short_host_name_is_flagged_and_the_spn_fix_names_the_fqdn() {
    let Some(r) = realm() else { return };
    let s = server(&r, &r.user);
    let principal = format!("{}@{}", r.user, r.realm);
    let (out, doc) = doctor(
        &s,
        "nospn",
        &r.password,
        &["--username", &principal, "--kdc", &r.kdc],
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(status(&doc, "kerberos.fqdn"), "warn", "{doc:#}");
    assert!(text(&doc, "kerberos.fqdn", "detail").contains("FQDN"));
    assert_eq!(status(&doc, "kerberos.spn"), "fail", "{doc:#}");
    assert!(
        text(&doc, "kerberos.spn", "fix").contains("setspn -S HTTP/nospn"),
        "{doc:#}"
    );
}

#[test]
fn a_skewed_kdc_fails_the_clock_check_with_both_times() {
    let Some(r) = realm() else { return };
    // MIT only: no skewed AD KDC is started (a Samba DC takes its clock from the host).
    let Some(skewed) = env("MX_KDC_SKEWED_URL") else {
        eprintln!("MX_KDC_SKEWED_URL not set: start tests/kdc/start-skewed-kdc.sh");
        return;
    };
    let s = server(&r, &r.user);
    let principal = format!("{}@{}", r.user, r.realm);
    let (out, doc) = doctor(
        &s,
        &r.host,
        &r.password,
        &["--username", &principal, "--kdc", &skewed],
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(status(&doc, "kerberos.clock"), "fail", "{doc:#}");
    let detail = text(&doc, "kerberos.clock", "detail");
    assert!(
        detail.contains("the KDC's time is") && detail.contains("this machine's"),
        "{detail}"
    );
    assert!(
        text(&doc, "kerberos.clock", "fix").contains("NTP"),
        "{doc:#}"
    );
}

#[test]
fn an_rc4_service_ticket_fails_the_aes_check() {
    let Some(r) = realm() else { return };
    let Some(host) = env("MX_KRB5_RC4_SERVICE_HOST") else {
        eprintln!("MX_KRB5_RC4_SERVICE_HOST not set (an AD KDC provides it): skipped");
        return;
    };
    let s = server(&r, &r.user);
    let principal = format!("{}@{}", r.user, r.realm);
    let (out, doc) = doctor(
        &s,
        &host,
        &r.password,
        &["--username", &principal, "--kdc", &r.kdc],
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(status(&doc, "kerberos.aes"), "fail", "{doc:#}");
    assert!(
        text(&doc, "kerberos.aes", "fix").contains("msDS-SupportedEncryptionTypes"),
        "{doc:#}"
    );
}
