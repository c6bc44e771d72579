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

use std::process::Output;

use mx_fixtures::{KdcProxy, Realm, UnderCi, UpnUser, need, start_sim};
use mx_sim::RunningServer;
use serde_json::Value;

mod common;

use common::{status, text};

/// Runs `mx doctor http://<host>:<port>/PowerShell --auth kerberos --json` with `host`
/// resolved to the simulator.
fn doctor(server: &RunningServer, host: &str, password: &str, rest: &[&str]) -> (Output, Value) {
    let port = server.addr().port();
    let resolve = format!("{host}:{port}:127.0.0.1");
    let args = [&["--auth", "kerberos", "--resolve", &resolve][..], rest].concat();
    common::doctor(&format!("http://{host}:{port}/PowerShell"), password, &args)
}

#[test]
fn a_healthy_realm_passes_every_kerberos_check() {
    let Some(r) = Realm::from_env() else { return };
    let s = start_sim(r.kerberos_beside_defaults(), &r.user);
    let principal = r.principal();
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
    let Some(r) = Realm::from_env() else { return };
    let (Some(upn), Some(proxy)) = (UpnUser::from_env(), KdcProxy::from_env()) else {
        return;
    };
    let s = start_sim(r.kerberos_beside_defaults(), &upn.account);
    let (_, doc) = doctor(
        &s,
        &r.host,
        &upn.password,
        &[
            "--username",
            &upn.upn,
            "--realm",
            &r.realm,
            "--kdc",
            &proxy.url,
            "--ca-file",
            &proxy.ca,
        ],
    );
    assert_eq!(status(&doc, "kerberos.spn"), "pass", "{doc:#}");
    let detail = text(&doc, "kerberos.spn", "detail");
    assert!(
        detail.contains(&format!(
            "{} (NT-ENTERPRISE name) in realm {}",
            upn.upn, r.realm
        )),
        "{detail}"
    );
    assert!(detail.contains(&proxy.url), "{detail}");
    assert_eq!(status(&doc, "auth.account"), "pass", "{doc:#}");
}

#[test]
fn a_short_host_name_is_flagged_and_the_spn_fix_names_the_fqdn() {
    let Some(r) = Realm::from_env() else { return };
    let s = start_sim(r.kerberos_beside_defaults(), &r.user);
    let principal = r.principal();
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
    let Some(r) = Realm::from_env() else { return };
    // MIT only: no skewed AD KDC is started (a Samba DC takes its clock from the host).
    let Some([skewed]) = need(["MX_KDC_SKEWED_URL"], UnderCi::Optional) else {
        return;
    };
    let s = start_sim(r.kerberos_beside_defaults(), &r.user);
    let principal = r.principal();
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
    let Some(r) = Realm::from_env() else { return };
    let Some([host]) = need(["MX_KRB5_RC4_SERVICE_HOST"], UnderCi::Optional) else {
        return;
    };
    let s = start_sim(r.kerberos_beside_defaults(), &r.user);
    let principal = r.principal();
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
