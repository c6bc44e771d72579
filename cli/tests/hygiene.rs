//! `mx` as part of a shell pipeline and with odd arguments: a reader that closes standard
//! output early (`| head`) ends mx quietly, without a panic or a shell left on the server; an
//! authentication error names the method asked for; an unusable `--kdc` is a usage error
//! before any request.

use std::process::{Command, Output, Stdio};

use mx_fixtures::{Realm, shared_fixtures_dir};
use mx_sim::{Endpoint, Server, SimConfig};

const PASSWORD_VAR: &str = "MX_HYGIENE_PASSWORD";
const ADMIN: &str = "CONTOSO\\Administrator";
const ADMIN_PASSWORD: &str = "P@ssw0rd!";

/// Runs mx with its standard output a pipe whose reader has already gone.
fn with_closed_stdout(args: &[&str]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_mx"))
        .args(args)
        .env(PASSWORD_VAR, ADMIN_PASSWORD)
        .env("RUST_BACKTRACE", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("mx runs");
    drop(child.stdout.take());
    child.wait_with_output().expect("mx ends")
}

fn assert_quiet(out: &Output) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert!(!err.contains("Broken pipe"), "{err}");
    assert!(!err.contains("backtrace"), "{err}");
}

fn connect_args<'a>(url: &'a str, auth: &'a str, user: &'a str) -> Vec<&'a str> {
    vec![
        "--auth",
        auth,
        "--username",
        user,
        "--password-env",
        PASSWORD_VAR,
        "--server",
        url,
    ]
}

#[test]
fn run_into_a_closed_pipe_ends_quietly_and_closes_its_shell() {
    let server = Server::start(SimConfig::default()).expect("sim");
    let url = server.url(Endpoint::PowerShell);
    for json in [false, true] {
        let mut args = vec!["run"];
        args.extend(connect_args(&url, "ntlm", ADMIN));
        if json {
            args.push("--json");
        }
        args.extend(["Get-Mailbox", "-ResultSize", "Unlimited"]);
        let out = with_closed_stdout(&args);
        assert_quiet(&out);
        assert_eq!(
            out.status.code(),
            Some(0),
            "json={json}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert_eq!(server.shell_count(), 0, "the session was closed");
}

#[test]
fn clixml_doctor_and_demo_into_a_closed_pipe_end_quietly() {
    let file = shared_fixtures_dir()
        .join("exchange/get-mailbox_ex2016-cu23_pipeline-output_3gstudent.xml");
    let out = with_closed_stdout(&["clixml", file.to_str().expect("utf-8 path")]);
    assert_quiet(&out);
    assert_eq!(out.status.code(), Some(0));

    let server = Server::start(SimConfig::default()).expect("sim");
    let url = server.url(Endpoint::PowerShell);
    for json in [false, true] {
        let mut args = vec![
            "doctor",
            url.as_str(),
            "--auth",
            "ntlm",
            "--username",
            ADMIN,
            "--password-env",
            PASSWORD_VAR,
        ];
        if json {
            args.push("--json");
        }
        let out = with_closed_stdout(&args);
        assert_quiet(&out);
        assert_eq!(out.status.code(), Some(0), "json={json}");
    }
    assert_eq!(server.shell_count(), 0);

    let out = with_closed_stdout(&["demo"]);
    assert_quiet(&out);
    assert_eq!(out.status.code(), Some(0));
}

/// Needs the MIT KDC of tests/kdc (`MX_*` variables); without them it says so and passes,
/// except under CI.
#[test]
fn kerberos_errors_name_kerberos_even_in_a_negotiate_header() {
    let Some(r) = Realm::from_env() else { return };
    let (kdc, host) = (&r.kdc, &r.host);
    // The server holds another key than the KDC's for its SPN: the ticket is issued, the
    // server cannot read it and refuses the logon. It offers only Negotiate, as Exchange's
    // /PowerShell does, so Kerberos travels in a Negotiate header.
    let server = Server::start(SimConfig {
        auth: mx_sim::AuthConfig {
            kerberos: Some(mx_sim::http::auth::KerberosService {
                realm: r.realm.clone(),
                host: host.clone(),
                password: "not-the-service-password".into(),
                kdc_url: kdc.clone(),
                keytab: None,
            }),
            ..mx_sim::AuthConfig::default()
        },
        ..SimConfig::default()
    })
    .expect("sim");
    let port = server.addr().port();
    let url = format!("http://{host}:{port}/PowerShell");
    let resolve = format!("{host}:{port}:127.0.0.1");
    let principal = r.principal();
    let mut args = vec!["run"];
    args.extend(connect_args(&url, "kerberos", &principal));
    args.extend(["--kdc", kdc, "--resolve", &resolve, "Get-Mailbox"]);
    let out = Command::new(env!("CARGO_BIN_EXE_mx"))
        .args(&args)
        .env(PASSWORD_VAR, &r.password)
        .output()
        .expect("mx runs");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{err}");
    assert!(err.contains("Kerberos authentication failed"), "{err}");
    assert!(!err.contains("Negotiate authentication failed"), "{err}");
}

#[test]
fn an_unusable_kdc_is_a_usage_error_before_any_request() {
    let server = Server::start(SimConfig::default()).expect("sim");
    let url = server.url(Endpoint::PowerShell);
    for kdc in ["http://kdc.corp.test:88", "kdc.corp.test:notaport", "a b"] {
        for mode in ["run", "doctor"] {
            let mut args = vec![mode];
            if mode == "doctor" {
                args.push(url.as_str());
                args.extend([
                    "--auth",
                    "kerberos",
                    "--username",
                    "administrator@CONTOSO.COM",
                ]);
                args.extend(["--password-env", PASSWORD_VAR]);
            } else {
                args.extend(connect_args(&url, "kerberos", "administrator@CONTOSO.COM"));
            }
            args.extend(["--kdc", kdc]);
            if mode == "run" {
                args.push("Get-Mailbox");
            }
            let out = Command::new(env!("CARGO_BIN_EXE_mx"))
                .args(&args)
                .env(PASSWORD_VAR, ADMIN_PASSWORD)
                .output()
                .expect("mx runs");
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{mode} --kdc {kdc}: {err}");
            assert!(err.contains("--kdc"), "{err}");
        }
    }
    assert!(
        server.request_log().entries().is_empty(),
        "no request reached the server"
    );
}
