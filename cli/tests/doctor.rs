//! `mx doctor` against mx-sim over real sockets: a healthy server, and servers with one thing
//! wrong each (an expired certificate, an SPN the KDC does not know, channel-binding hardening
//! off, an account outside Remote Management Users, a user without the provisioning role).
//!
//! The Kerberos test needs the MIT KDC of tests/kdc (`scripts/test.sh` starts it and exports
//! its `MX_*` variables); without them it says so and passes, except under CI (`CI` set).

use std::process::{Command, Output};

use monosync_exchange::transport::keytab::Keytab;
use mx_fixtures::{AdAccounts, Realm, start_sim};
use mx_sim::http::auth::KerberosService;
use mx_sim::http::tls::TlsIdentity;
use mx_sim::{AuthConfig, CbtLevel, Endpoint, RunningServer, Server, ServiceConfig, SimConfig};
use serde_json::Value;

mod common;

use common::{PASSWORD_VAR, check, doctor, status, text};

const ADMIN: &str = "CONTOSO\\Administrator";
const ADMIN_PASSWORD: &str = "P@ssw0rd!";

/// `mx doctor <server> <rest>` as the administrator, output not parsed.
fn doctor_raw(server: &str, rest: &[&str]) -> (Output, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_mx"))
        .arg("doctor")
        .arg(server)
        .args([
            "--auth",
            "ntlm",
            "--username",
            ADMIN,
            "--password-env",
            PASSWORD_VAR,
        ])
        .args(rest)
        .env(PASSWORD_VAR, ADMIN_PASSWORD)
        .output()
        .expect("mx runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    (out, stdout)
}

/// `doctor` as the administrator over NTLM.
fn admin_doctor(server: &str, rest: &[&str]) -> (Output, Value) {
    let args = [&["--auth", "ntlm", "--username", ADMIN][..], rest].concat();
    doctor(server, ADMIN_PASSWORD, &args)
}

fn https_server(identity: TlsIdentity, cbt: CbtLevel, service: ServiceConfig) -> RunningServer {
    Server::start(SimConfig {
        tls: Some(identity),
        cbt,
        service,
        ..SimConfig::default()
    })
    .expect("sim starts")
}

fn localhost_cert() -> TlsIdentity {
    TlsIdentity::self_signed(&["localhost".into(), "127.0.0.1".into()]).expect("certificate")
}

/// The shells the server created: its `Create` requests that succeeded.
fn shells_created(server: &RunningServer) -> usize {
    server
        .request_log()
        .entries()
        .iter()
        .filter(|e| e.operation == "Create" && e.status == 200)
        .count()
}

#[test]
fn healthy_server_passes_every_check_and_closes_its_shells() {
    let identity = localhost_cert();
    let sha1 = identity.sha1_thumbprint();
    let server = https_server(identity, CbtLevel::Relaxed, ServiceConfig::default());
    let url = server.url(Endpoint::PowerShell);
    let (out, doc) = admin_doctor(&url, &["--pin-thumbprint", &sha1]);
    assert_eq!(out.status.code(), Some(0), "{doc:#}");
    assert_eq!(doc["server"], url.as_str());
    for c in doc["checks"].as_array().expect("checks") {
        let keys: Vec<&str> = c
            .as_object()
            .expect("object")
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys, ["detail", "fix", "id", "status"], "{c}");
        assert!(
            ["pass", "skip"].contains(&c["status"].as_str().unwrap_or("")),
            "{c}"
        );
        if c["status"] == "pass" {
            assert!(c["fix"].is_null(), "{c}");
        }
    }
    for id in [
        "tcp.endpoint",
        "dns.answer",
        "tls.expiry",
        "tls.name",
        "tls.trust",
        "tls.thumbprint",
        "wsman.auth",
        "auth.account",
        "wsman.identify",
        "cbt.enforced",
        "exchange.endpoint",
        "exchange.rbac",
        "exchange.throttling",
    ] {
        assert_eq!(status(&doc, id), "pass", "{id}: {:#}", check(&doc, id));
    }
    assert!(text(&doc, "tls.thumbprint", "detail").contains(&sha1));
    assert!(text(&doc, "tls.name", "detail").contains("localhost, 127.0.0.1"));
    assert!(text(&doc, "wsman.identify", "detail").contains("Microsoft Corporation"));
    assert!(text(&doc, "wsman.auth", "detail").contains("Negotiate"));
    assert!(text(&doc, "cbt.enforced", "detail").contains("Relaxed"));
    let budget = text(&doc, "exchange.throttling", "detail");
    assert!(budget.contains("GlobalThrottlingPolicy_"), "{budget}");
    assert!(budget.contains("PowerShellMaxConcurrency 18"), "{budget}");
    assert!(
        budget.contains("PowerShellMaxCmdlets Unlimited"),
        "{budget}"
    );
    assert!(
        budget.contains("PowerShellMaxRunspaces Unlimited"),
        "{budget}"
    );
    assert!(budget.contains("a pool of 2 session(s) fits"), "{budget}");
    // Nothing spends the budget by default: the probe says what it would cost.
    assert_eq!(status(&doc, "exchange.headroom"), "skip");
    assert!(
        text(&doc, "exchange.headroom", "detail").contains("PowerShellMaxConcurrency"),
        "{doc:#}"
    );
    assert_eq!(status(&doc, "kerberos.spn"), "skip");
    assert_eq!(doc["summary"]["fail"], 0);
    assert_eq!(
        shells_created(&server),
        1,
        "one session for the Exchange checks"
    );
    assert_eq!(server.shell_count(), 0, "and it is closed");
}

#[test]
fn the_opt_in_probe_measures_the_headroom_and_says_what_it_costs() {
    let server = Server::start(SimConfig::default()).expect("sim");
    let (out, doc) = admin_doctor(&server.url(Endpoint::PowerShell), &["--shell-probe", "4"]);
    assert_eq!(out.status.code(), Some(0), "{doc:#}");
    assert_eq!(status(&doc, "exchange.headroom"), "pass", "{doc:#}");
    assert!(text(&doc, "exchange.headroom", "detail").contains("4 more shells"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--shell-probe 4") && stderr.contains("refused new sessions"),
        "{stderr}"
    );
    assert_eq!(shells_created(&server), 1 + 4);
    assert_eq!(server.shell_count(), 0);
}

#[test]
fn a_budget_below_the_pool_is_a_warning_with_the_policy_fix() {
    let server = Server::start(SimConfig {
        service: ServiceConfig {
            max_shells_per_user: 3,
            ..ServiceConfig::default()
        },
        ..SimConfig::default()
    })
    .expect("sim");
    let url = server.url(Endpoint::PowerShell);
    let (out, doc) = admin_doctor(&url, &["--max-sessions", "4"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "a warning does not fail: {doc:#}"
    );
    assert_eq!(status(&doc, "exchange.throttling"), "warn", "{doc:#}");
    let detail = text(&doc, "exchange.throttling", "detail");
    assert!(
        detail.contains("PowerShellMaxConcurrency 3 is below the 4 sessions"),
        "{detail}"
    );
    let fix = text(&doc, "exchange.throttling", "fix");
    assert!(fix.contains("Set-ThrottlingPolicyAssociation"), "{fix}");
    assert!(fix.contains("max_sessions"), "{fix}");
    // As many shells as the pool: nothing left for anyone else.
    let (_, doc) = admin_doctor(&url, &["--max-sessions", "3"]);
    assert!(
        text(&doc, "exchange.throttling", "detail").contains("leaves no shell"),
        "{doc:#}"
    );
    // The pool option is bounded like the pool itself.
    let (out, _) = doctor_raw(&url, &["--max-sessions", "17"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(server.shell_count(), 0);
}

#[test]
fn an_account_that_may_not_read_the_policy_is_told_how_to_grant_it() {
    let server = Server::start(SimConfig::default()).expect("sim");
    let (_, doc) = doctor(
        &server.url(Endpoint::PowerShell),
        "Recipients1!",
        &["--auth", "ntlm", "--username", "CONTOSO\\recipientadmin"],
    );
    assert_eq!(status(&doc, "exchange.rbac"), "pass", "{doc:#}");
    assert_eq!(status(&doc, "exchange.throttling"), "warn", "{doc:#}");
    let detail = text(&doc, "exchange.throttling", "detail");
    assert!(detail.contains("CommandNotFound"), "{detail}");
    let fix = text(&doc, "exchange.throttling", "fix");
    assert!(
        fix.contains(
            "Add-RoleGroupMember \"View-Only Organization Management\" -Member recipientadmin"
        ),
        "{fix}"
    );
    assert!(fix.contains("Get-ThrottlingPolicy"), "{fix}");
    assert_eq!(shells_created(&server), 1);
    assert_eq!(server.shell_count(), 0);
}

#[test]
fn failing_commands_still_close_the_session() {
    use mx_sim::{FaultAction, FaultPlan, FaultRule};

    let server = Server::start(SimConfig::default()).expect("sim");
    // Every command of doctor's session is refused, as by an overloaded server.
    server.set_faults(FaultPlan {
        rules: vec![FaultRule {
            operation: "Command".into(),
            nth: 1,
            count: 100,
            action: FaultAction::Http503,
        }],
    });
    let (_, doc) = admin_doctor(&server.url(Endpoint::PowerShell), &[]);
    assert_eq!(status(&doc, "exchange.endpoint"), "pass", "{doc:#}");
    assert_eq!(status(&doc, "exchange.rbac"), "warn", "{doc:#}");
    assert_eq!(status(&doc, "exchange.throttling"), "warn", "{doc:#}");
    assert!(
        text(&doc, "exchange.throttling", "detail").contains("the budget was not read"),
        "{doc:#}"
    );
    assert_eq!(shells_created(&server), 1);
    assert_eq!(server.shell_count(), 0, "closed after the errors");
}

#[cfg(unix)]
#[test]
fn ctrl_c_during_the_exchange_checks_closes_the_session() {
    use mx_sim::{FaultAction, FaultPlan, FaultRule};

    let server = Server::start(SimConfig::default()).expect("sim");
    // The first command (Get-Command) is held long enough to interrupt it.
    server.set_faults(FaultPlan {
        rules: vec![FaultRule {
            operation: "Command".into(),
            nth: 1,
            count: 1,
            action: FaultAction::Delay { ms: 4000 },
        }],
    });
    let child = Command::new(env!("CARGO_BIN_EXE_mx"))
        .arg("doctor")
        .arg(server.url(Endpoint::PowerShell))
        .args(["--auth", "ntlm", "--username", ADMIN])
        .args(["--password-env", PASSWORD_VAR, "--json"])
        .env(PASSWORD_VAR, ADMIN_PASSWORD)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("mx runs");
    let started = std::time::Instant::now();
    while shells_created(&server) == 0 {
        assert!(started.elapsed().as_secs() < 20, "doctor opened no shell");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    // Past the opening, into the delayed Get-Command.
    std::thread::sleep(std::time::Duration::from_millis(700));
    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(killed.success());
    let out = child.wait_with_output().expect("doctor ends");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let doc: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    assert_eq!(status(&doc, "exchange.endpoint"), "pass", "{doc:#}");
    assert_eq!(status(&doc, "exchange.rbac"), "skip", "{doc:#}");
    assert!(text(&doc, "exchange.rbac", "detail").contains("interrupted"));
    assert_eq!(status(&doc, "exchange.headroom"), "skip");
    assert_eq!(shells_created(&server), 1);
    assert_eq!(server.shell_count(), 0, "the interrupted session is closed");
}

#[test]
fn expired_certificate_fails_with_its_dates_and_the_rebind_command() {
    let identity =
        TlsIdentity::self_signed_expired(&["localhost".into(), "127.0.0.1".into()]).expect("cert");
    let sha1 = identity.sha1_thumbprint();
    let server = https_server(identity, CbtLevel::Relaxed, ServiceConfig::default());
    let url = server.url(Endpoint::Wsman);
    let (out, doc) = admin_doctor(&url, &["--shell-probe", "0"]);
    assert_eq!(out.status.code(), Some(1), "{doc:#}");
    assert_eq!(status(&doc, "tls.expiry"), "fail");
    let detail = text(&doc, "tls.expiry", "detail");
    assert!(detail.contains("expired"), "{detail}");
    assert!(
        detail.contains("2020") && detail.contains("2021"),
        "{detail}"
    );
    let fix = text(&doc, "tls.expiry", "fix");
    assert!(
        fix.contains(
            "winrm set winrm/config/Listener?Address=*+Transport=HTTPS @{CertificateThumbprint="
        ),
        "{fix}"
    );
    assert_eq!(status(&doc, "tls.name"), "pass");
    assert!(text(&doc, "tls.thumbprint", "detail").contains(&sha1));
    // Unpinned, nothing else logs on over this certificate.
    assert_eq!(status(&doc, "auth.account"), "fail");
}

#[test]
fn untrusted_certificate_gives_the_thumbprint_to_pin() {
    let identity = localhost_cert();
    let sha1 = identity.sha1_thumbprint();
    let server = https_server(identity, CbtLevel::Relaxed, ServiceConfig::default());
    let (out, doc) = admin_doctor(&server.url(Endpoint::PowerShell), &["--shell-probe", "0"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(status(&doc, "tls.expiry"), "pass");
    assert_eq!(status(&doc, "tls.trust"), "fail");
    let fix = text(&doc, "tls.trust", "fix");
    assert!(fix.contains(&format!("--pin-thumbprint {sha1}")), "{fix}");
    assert!(fix.contains("self-signed"), "{fix}");
    assert_eq!(status(&doc, "auth.account"), "fail");
    // --insecure lets the logon through but does not make the certificate trusted.
    let (_, doc) = admin_doctor(
        &server.url(Endpoint::PowerShell),
        &["--shell-probe", "0", "--insecure"],
    );
    assert_eq!(status(&doc, "tls.trust"), "fail", "{doc:#}");
    assert_eq!(status(&doc, "auth.account"), "pass", "{doc:#}");
}

#[test]
fn cbt_hardening_off_is_a_warning_with_the_winrm_fix() {
    let identity = localhost_cert();
    let sha1 = identity.sha1_thumbprint();
    let server = https_server(identity, CbtLevel::None, ServiceConfig::default());
    let (out, doc) = admin_doctor(
        &server.url(Endpoint::Wsman),
        &["--pin-thumbprint", &sha1, "--shell-probe", "0"],
    );
    assert_eq!(status(&doc, "cbt.enforced"), "warn", "{doc:#}");
    assert!(text(&doc, "cbt.enforced", "detail").contains("CBT hardening is off"));
    assert!(
        text(&doc, "cbt.enforced", "fix")
            .contains("winrm set winrm/config/service/auth @{CbtHardeningLevel=\"Strict\"}")
    );
    // A warning alone does not fail the run.
    assert_eq!(out.status.code(), Some(0), "{doc:#}");
}

#[test]
fn strict_cbt_is_reported_as_strict() {
    let identity = localhost_cert();
    let sha1 = identity.sha1_thumbprint();
    let server = https_server(identity, CbtLevel::Strict, ServiceConfig::default());
    let (_, doc) = admin_doctor(
        &server.url(Endpoint::Wsman),
        &["--pin-thumbprint", &sha1, "--shell-probe", "0"],
    );
    assert_eq!(status(&doc, "cbt.enforced"), "pass", "{doc:#}");
    assert!(text(&doc, "cbt.enforced", "detail").contains("Strict"));
}

#[test]
fn account_outside_remote_management_users_gets_the_group_hint() {
    let server = Server::start(SimConfig {
        service: ServiceConfig {
            denied_users: vec!["recipientadmin".into()],
            ..ServiceConfig::default()
        },
        ..SimConfig::default()
    })
    .expect("sim");
    let (out, doc) = doctor(
        &server.url(Endpoint::PowerShell),
        "Recipients1!",
        &["--auth", "ntlm", "--username", "CONTOSO\\recipientadmin"],
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(status(&doc, "auth.account"), "fail", "{doc:#}");
    assert!(text(&doc, "auth.account", "detail").contains("Access is denied"));
    let fix = text(&doc, "auth.account", "fix");
    assert!(fix.contains("Remote Management Users"), "{fix}");
    assert!(fix.contains("Add-RoleGroupMember"), "{fix}");
    assert_eq!(status(&doc, "exchange.endpoint"), "skip");
    for id in ["tls.expiry", "cbt.enforced"] {
        assert_eq!(status(&doc, id), "skip", "{id}: plain HTTP");
    }
}

#[test]
fn view_only_account_lacks_enable_mailbox_and_reads_the_budget() {
    let server = Server::start(SimConfig {
        service: ServiceConfig {
            max_shells_per_user: 3,
            ..ServiceConfig::default()
        },
        ..SimConfig::default()
    })
    .expect("sim");
    let (out, doc) = doctor(
        &server.url(Endpoint::PowerShell),
        "ReadOnly1!",
        &["--auth", "ntlm", "--username", "CONTOSO\\auditor"],
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(status(&doc, "exchange.endpoint"), "pass", "{doc:#}");
    assert_eq!(status(&doc, "exchange.rbac"), "fail");
    assert!(text(&doc, "exchange.rbac", "detail").contains("Enable-Mailbox is not in"));
    assert!(
        text(&doc, "exchange.rbac", "fix")
            .contains("Add-RoleGroupMember \"Recipient Management\" -Member auditor")
    );
    // View-Only Organization Management may read the policy; the account is not a
    // recipient here, so the default policy is assumed, and said so.
    let budget = text(&doc, "exchange.throttling", "detail");
    assert!(budget.contains("PowerShellMaxConcurrency 3"), "{budget}");
    assert!(budget.contains("could not be read"), "{budget}");
    assert_eq!(status(&doc, "exchange.headroom"), "skip");
    let (_, doc) = doctor(
        &server.url(Endpoint::PowerShell),
        "ReadOnly1!",
        &[
            "--auth",
            "ntlm",
            "--username",
            "CONTOSO\\auditor",
            "--shell-probe",
            "18",
        ],
    );
    assert_eq!(status(&doc, "exchange.headroom"), "pass");
    assert!(
        text(&doc, "exchange.headroom", "detail").contains("can open 3 more shell(s)"),
        "{doc:#}"
    );
    assert_eq!(server.shell_count(), 0);
}

#[test]
fn keytab_logon_passes_the_kerberos_checks() {
    let (Some(r), Some(ad)) = (Realm::from_env(), AdAccounts::from_env()) else {
        return;
    };
    let server = start_sim(r.kerberos_beside_defaults(), &ad.keytab_user);
    let (kdc, host, keytab) = (&r.kdc, &r.host, &ad.keytab);
    let port = server.addr().port();
    let url = format!("http://{host}:{port}/PowerShell");
    let resolve = format!("{host}:{port}:127.0.0.1");
    // No --username: the keytab's first principal logs on.
    for auth in ["kerberos", "negotiate"] {
        let (out, doc) = doctor(
            &url,
            "",
            &[
                "--auth",
                auth,
                "--keytab",
                keytab,
                "--kdc",
                kdc,
                "--resolve",
                &resolve,
            ],
        );
        assert_eq!(status(&doc, "kerberos.spn"), "pass", "{doc:#}");
        assert_eq!(status(&doc, "auth.account"), "pass", "{doc:#}");
        assert_eq!(out.status.code(), Some(0), "{doc:#}");
    }
    // An RC4-only keytab: the logon fails and says what to change on the account.
    let rc4 = &ad.rc4_keytab;
    let (out, doc) = doctor(
        &url,
        "",
        &[
            "--auth",
            "kerberos",
            "--keytab",
            rc4,
            "--kdc",
            kdc,
            "--resolve",
            &resolve,
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{doc:#}");
    assert!(
        doc.to_string().contains("msDS-SupportedEncryptionTypes"),
        "{doc:#}"
    );
}

#[test]
fn unknown_spn_hints_setspn_and_the_fqdn() {
    let Some(r) = Realm::from_env() else { return };
    let server = start_sim(r.kerberos_beside_defaults(), &r.user);
    let (kdc, realm, host, password) = (&r.kdc, &r.realm, &r.host, &r.password);
    let port = server.addr().port();
    let principal = r.principal();
    // The registered SPN first: the ticket is issued and the logon works.
    let good = format!("http://{host}:{port}/PowerShell");
    let resolve_good = format!("{host}:{port}:127.0.0.1");
    let (_, doc) = doctor(
        &good,
        password,
        &[
            "--auth",
            "kerberos",
            "--username",
            &principal,
            "--kdc",
            kdc,
            "--resolve",
            &resolve_good,
            "--shell-probe",
            "1",
        ],
    );
    assert_eq!(status(&doc, "kerberos.spn"), "pass", "{doc:#}");
    assert!(text(&doc, "kerberos.spn", "detail").contains(&format!("HTTP/{host}")));
    assert_eq!(status(&doc, "auth.account"), "pass", "{doc:#}");
    // A name the KDC has no principal for.
    let alias = format!(
        "alias.{}",
        host.split_once('.').map_or(host.as_str(), |(_, d)| d)
    );
    let bad = format!("http://{alias}:{port}/PowerShell");
    // HOST:ADDR, without a port, covers every port.
    let resolve_bad = format!("{alias}:127.0.0.1");
    let (out, doc) = doctor(
        &bad,
        password,
        &[
            "--auth",
            "kerberos",
            "--username",
            &principal,
            "--kdc",
            kdc,
            "--resolve",
            &resolve_bad,
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(status(&doc, "kerberos.spn"), "fail", "{doc:#}");
    assert!(text(&doc, "kerberos.spn", "detail").contains("KDC_ERR_S_PRINCIPAL_UNKNOWN"));
    let fix = text(&doc, "kerberos.spn", "fix");
    assert!(fix.contains(&format!("setspn -S HTTP/{alias}")), "{fix}");
    assert!(fix.contains("FQDN"), "{fix}");
    assert_eq!(status(&doc, "dns.ipv4"), "pass");
    assert!(text(&doc, "dns.ipv4", "detail").contains("--resolve"));

    // The KDC issues the ticket, but the server holds the key of another SPN (MIT:
    // HTTP/localhost; AD: the keytab of another account, whose only key is RC4).
    let other = match mx_fixtures::env("MX_KRB5_SERVICE_PASSWORD") {
        Some(password) => KerberosService {
            realm: realm.clone(),
            host: "localhost".into(),
            password,
            kdc_url: kdc.clone(),
            keytab: None,
        },
        None => KerberosService::from_keytab(
            Keytab::read(
                mx_fixtures::env("MX_AD_RC4_KEYTAB").expect("the AD fixture's RC4 keytab"),
            )
            .expect("keytab"),
            Some(kdc.clone()),
        )
        .expect("service"),
    };
    let other_key = Server::start(SimConfig {
        auth: AuthConfig {
            kerberos: Some(other),
            ..AuthConfig::default()
        },
        ..SimConfig::default()
    })
    .expect("sim");
    let port = other_key.addr().port();
    let url = format!("http://{host}:{port}/PowerShell");
    let resolve = format!("{host}:{port}:127.0.0.1");
    let (out, doc) = doctor(
        &url,
        password,
        &[
            "--auth",
            "kerberos",
            "--username",
            &principal,
            "--kdc",
            kdc,
            "--resolve",
            &resolve,
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(status(&doc, "auth.account"), "fail", "{doc:#}");
    assert_eq!(status(&doc, "kerberos.spn"), "fail", "{doc:#}");
    assert!(text(&doc, "kerberos.spn", "detail").contains("the server refused it"));
    assert!(
        text(&doc, "kerberos.spn", "fix").contains(&format!("setspn -Q HTTP/{host}")),
        "{doc:#}"
    );
}

#[test]
fn ip_order_reports_which_family_answers() {
    let server = Server::start(SimConfig::default()).expect("sim");
    let port = server.addr().port();
    let url = format!("http://ex01.corp.example:{port}/PowerShell");
    let run = |addrs: &str| {
        let resolve = format!("ex01.corp.example:{port}:{addrs}");
        admin_doctor(
            &url,
            &[
                "--resolve",
                &resolve,
                "--ip-order",
                "ipv6-first",
                "--shell-probe",
                "0",
            ],
        )
        .1
    };
    let doc = run("127.0.0.1,[::1]");
    assert_eq!(status(&doc, "dns.ipv4"), "pass", "{doc:#}");
    assert!(text(&doc, "dns.ipv4", "detail").contains("127.0.0.1"));
    assert!(text(&doc, "dns.ipv6", "detail").contains("::1"));
    assert_eq!(status(&doc, "dns.answer"), "pass", "{doc:#}");
    let detail = text(&doc, "dns.answer", "detail");
    assert!(detail.starts_with("IPv4 answers first"), "{detail}");
    assert!(detail.contains("the --resolve order"), "{detail}");
    // The listener is on IPv4 only: an IPv6 address tried first never answers.
    let doc = run("[::1],127.0.0.1");
    assert_eq!(status(&doc, "dns.answer"), "warn", "{doc:#}");
    assert!(text(&doc, "dns.answer", "detail").contains("[::1]"));
    assert!(text(&doc, "dns.answer", "fix").contains("--ip-order ipv4-first"));
    assert_eq!(
        status(&doc, "auth.account"),
        "pass",
        "falls back to IPv4: {doc:#}"
    );
}

#[test]
fn text_report_lists_each_check_and_its_fix() {
    let server = Server::start(SimConfig::default()).expect("sim");
    let out = Command::new(env!("CARGO_BIN_EXE_mx"))
        .args(["doctor", &server.url(Endpoint::PowerShell)])
        .args([
            "--auth",
            "ntlm",
            "--username",
            ADMIN,
            "--password-env",
            PASSWORD_VAR,
        ])
        .args(["--shell-probe", "0"])
        .env(PASSWORD_VAR, "wrong password")
        .output()
        .expect("mx runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.lines().any(|l| l.starts_with("  FAIL  auth.account")),
        "{text}"
    );
    assert!(text.contains("fix: check the user name"), "{text}");
    assert!(text.contains("PASS  wsman.auth"), "{text}");
    assert!(text.trim_end().ends_with("skipped"), "{text}");
}

#[test]
fn certificate_for_another_name_lists_the_names_it_has() {
    let identity = TlsIdentity::self_signed(&["ex01.corp.example".into()]).expect("cert");
    let sha1 = identity.sha1_thumbprint();
    let server = https_server(identity, CbtLevel::Relaxed, ServiceConfig::default());
    let (out, doc) = admin_doctor(&server.url(Endpoint::PowerShell), &["--shell-probe", "0"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(status(&doc, "tls.name"), "fail", "{doc:#}");
    assert!(
        text(&doc, "tls.name", "detail")
            .contains("does not name 127.0.0.1; it names ex01.corp.example")
    );
    assert!(text(&doc, "tls.name", "fix").contains("subjectAltName includes 127.0.0.1"));
    assert!(text(&doc, "tls.thumbprint", "detail").contains(&sha1));
}

#[test]
fn a_method_the_server_does_not_offer_is_named_with_how_to_enable_it() {
    let server = Server::start(SimConfig {
        auth: AuthConfig {
            ntlm: false,
            ..AuthConfig::default()
        },
        allow_unencrypted: true,
        ..SimConfig::default()
    })
    .expect("sim");
    let (out, doc) = admin_doctor(&server.url(Endpoint::Wsman), &["--shell-probe", "0"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(status(&doc, "wsman.auth"), "fail", "{doc:#}");
    assert!(
        text(&doc, "wsman.auth", "detail").contains("offers Basic but not Negotiate or NTLM"),
        "{doc:#}"
    );
    assert!(
        text(&doc, "wsman.auth", "fix")
            .contains("winrm set winrm/config/service/auth @{Negotiate=\"true\"}")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shells_held_elsewhere_leave_little_headroom() {
    use monosync_exchange::exchange::{Session, SessionOptions};
    use monosync_exchange::transport::{AuthMethod, Credentials};

    let server = Server::start(SimConfig {
        service: ServiceConfig {
            max_shells_per_user: 2,
            ..ServiceConfig::default()
        },
        ..SimConfig::default()
    })
    .expect("sim");
    let url = server.url(Endpoint::PowerShell);
    // Another client of the same account holds one of its two shells.
    let held = Session::connect(SessionOptions::exchange(
        url.clone(),
        AuthMethod::Ntlm,
        Credentials::new(ADMIN, ADMIN_PASSWORD),
    ))
    .await
    .expect("session");
    let doc = tokio::task::spawn_blocking(move || admin_doctor(&url, &["--shell-probe", "18"]).1)
        .await
        .expect("doctor ran");
    assert_eq!(status(&doc, "exchange.endpoint"), "pass", "{doc:#}");
    assert_eq!(status(&doc, "exchange.headroom"), "warn", "{doc:#}");
    let detail = text(&doc, "exchange.headroom", "detail");
    assert!(detail.contains("can open 1 more shell(s)"), "{detail}");
    assert!(detail.contains("budget of 2 reached"), "{detail}");
    assert!(text(&doc, "exchange.headroom", "fix").contains("Remove-PSSession"));
    assert_eq!(
        server.shell_count(),
        1,
        "only the other client's shell is left"
    );
    held.close().await.expect("closed");
}
