//! The `mx` binary as a user runs it: `mx demo`, `mx run` against an in-process mx-sim, and
//! `mx clixml` on a real Exchange export.

use std::process::{Command, Output};

use mx_fixtures::{AdAccounts, Realm, shared_fixtures_dir};
use mx_sim::{Endpoint, RunningServer, Server, SimConfig};
use serde_json::Value;

const PASSWORD_VAR: &str = "MX_TEST_PASSWORD";
const ADMIN_PASSWORD: &str = "P@ssw0rd!";
/// A seeded mailbox.
const JUSTIN: &str = "justin.martin";

fn mx(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mx"))
        .args(args)
        .env(PASSWORD_VAR, ADMIN_PASSWORD)
        .output()
        .expect("mx runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// `mx run --server <url> --auth ntlm --username <administrator> --password-env ... <rest>`.
fn run_admin(url: &str, rest: &[&str]) -> Output {
    let args = [
        &[
            "run",
            "--server",
            url,
            "--auth",
            "ntlm",
            "--username",
            "CONTOSO\\Administrator",
            "--password-env",
            PASSWORD_VAR,
        ][..],
        rest,
    ]
    .concat();
    mx(&args)
}

/// [`run_admin`] against the sim's Exchange endpoint with `--json`.
fn run_json(server: &RunningServer, rest: &[&str]) -> (Output, Value) {
    let url = server.url(Endpoint::PowerShell);
    let out = run_admin(&url, &[&["--json"][..], rest].concat());
    let doc: Value = serde_json::from_str(&stdout(&out))
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", stdout(&out), stderr(&out)));
    (out, doc)
}

#[test]
fn demo_runs_every_step() {
    let out = mx(&["demo"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}\n{}", stderr(&out));
    for step in [
        "connect as CONTOSO\\Administrator with NTLM",
        "Get-User -RecipientTypeDetails 'User'",
        "Enable-Mailbox -Identity",
        "Set-Mailbox -Identity",
        "Add-DistributionGroupMember -Identity",
        "Get-Mailbox -Identity",
        "CustomAttribute1     : provisioned-by-mx-demo",
        "close: shell deleted",
        "WS-Management requests were sealed",
        "every step succeeded",
    ] {
        assert!(text.contains(step), "missing `{step}` in:\n{text}");
    }
    let sealed = text
        .lines()
        .find(|l| l.starts_with("traffic: "))
        .expect("traffic line");
    let words: Vec<&str> = sealed.split_whitespace().collect();
    assert_eq!(words[1], words[3], "all requests sealed: {sealed}");
}

#[test]
fn run_get_mailbox_as_json() {
    let server = Server::start(SimConfig::default()).expect("sim");
    let (out, doc) = run_json(&server, &["Get-Mailbox", "-Identity", JUSTIN]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let output = doc["output"].as_array().expect("output array");
    assert_eq!(output.len(), 1);
    let mbx = &output[0];
    assert_eq!(mbx["SamAccountName"], JUSTIN);
    assert_eq!(mbx["DisplayName"], "Justin Martin");
    assert_eq!(mbx["PrimarySmtpAddress"], "justin.martin@contoso.com");
    assert_eq!(mbx["Database"], "DB02");
    assert_eq!(mbx["ExchangeGuid"], "12ff2aa0-e0d7-4726-8aa9-2073717538cb");
    assert_eq!(doc["errors"], Value::Array(Vec::new()));
    for key in ["warnings", "verbose", "information", "progress"] {
        assert!(doc[key].is_array(), "{key}");
    }
    assert_eq!(server.shell_count(), 0, "mx run closes its shell");
    assert!(
        server
            .request_log()
            .entries()
            .iter()
            .filter(|e| e.operation != "Auth" && e.status == 200)
            .all(|e| e.sealed)
    );
}

#[test]
fn run_not_found_exits_1_with_the_error() {
    let server = Server::start(SimConfig::default()).expect("sim");
    let (out, doc) = run_json(&server, &["Get-Mailbox", "-Identity", "no.such.person"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(doc["output"], Value::Array(Vec::new()));
    let err = &doc["errors"][0];
    assert_eq!(err["kind"], "not_found");
    assert_eq!(
        err["exception_type"],
        "Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException"
    );
    let id = err["fully_qualified_error_id"].as_str().expect("id");
    assert!(
        id.ends_with(",Microsoft.Exchange.Management.RecipientTasks.GetMailbox"),
        "{id}"
    );
    assert!(
        err["message"]
            .as_str()
            .is_some_and(|m| m.contains("no.such.person"))
    );
}

#[test]
fn run_switches_and_confirm_false_reach_the_cmdlet() {
    let server = Server::start(SimConfig::default()).expect("sim");
    let (out, doc) = run_json(
        &server,
        &[
            "Set-Mailbox",
            "-Identity",
            JUSTIN,
            "-Office",
            "Room 42",
            "-IgnoreDefaultScope",
            "-Confirm:$false",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{doc}\n{}", stderr(&out));
    assert_eq!(doc["errors"], Value::Array(Vec::new()));
    let (out, doc) = run_json(&server, &["Get-Mailbox", JUSTIN, "-IgnoreDefaultScope"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(doc["output"][0]["Office"], "Room 42");
}

#[test]
fn run_typed_params_and_text_output() {
    let server = Server::start(SimConfig::default()).expect("sim");
    let url = server.url(Endpoint::PowerShell);
    let out = run_admin(
        &url,
        &[
            "--params",
            &format!(r#"{{"Identity":"{JUSTIN}"}}"#),
            "Get-Mailbox",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.lines()
            .any(|l| l.starts_with("DisplayName ") && l.ends_with(" : Justin Martin")),
        "{text}"
    );
}

#[test]
fn run_failures_have_their_exit_codes() {
    let server = Server::start(SimConfig::default()).expect("sim");
    let url = server.url(Endpoint::PowerShell);
    let base = |user: &'static str| {
        vec![
            "run".to_owned(),
            "--server".to_owned(),
            url.clone(),
            "--auth".to_owned(),
            "ntlm".to_owned(),
            "--username".to_owned(),
            user.to_owned(),
            "--password-env".to_owned(),
            PASSWORD_VAR.to_owned(),
            "--json".to_owned(),
            "Get-Mailbox".to_owned(),
        ]
    };
    let wrong_user = base("CONTOSO\\nobody");
    let out = mx(&wrong_user.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(out.status.code(), Some(4), "{}", stdout(&out));
    let doc: Value = serde_json::from_str(&stdout(&out)).expect("json");
    assert_eq!(doc["error"]["kind"], "auth");

    // Nothing listens on port 1 of loopback.
    let out = mx(&[
        "run",
        "--server",
        "http://127.0.0.1:1/PowerShell",
        "--auth",
        "ntlm",
        "--username",
        "u",
        "--password-env",
        PASSWORD_VAR,
        "--json",
        "Get-Mailbox",
    ]);
    assert_eq!(out.status.code(), Some(3), "{}", stdout(&out));
    let doc: Value = serde_json::from_str(&stdout(&out)).expect("json");
    assert_eq!(doc["error"]["kind"], "transient");
    assert!(
        doc["error"]["hint"]
            .as_str()
            .is_some_and(|h| h.contains("listens on the URL's port")),
        "{doc}"
    );
}

#[test]
fn bad_usage_exits_2() {
    assert_eq!(mx(&[]).status.code(), Some(2));
    assert_eq!(mx(&["frobnicate"]).status.code(), Some(2));
    // Missing cmdlet.
    let out = mx(&["run", "--server", "http://x/", "--username", "u"]);
    assert_eq!(out.status.code(), Some(2));
    // Bad --params and an unset password variable, before any connection is tried.
    let out = mx(&[
        "run",
        "--server",
        "http://127.0.0.1:1/",
        "--username",
        "u",
        "--password-env",
        "MX_TEST_UNSET_VARIABLE",
        "Get-Mailbox",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let out = mx(&[
        "run",
        "--server",
        "http://127.0.0.1:1/",
        "--username",
        "u",
        "--password-env",
        PASSWORD_VAR,
        "--params",
        "[1]",
        "Get-Mailbox",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let help = mx(&["run", "--help"]);
    assert_eq!(help.status.code(), Some(0));
    assert!(stdout(&help).contains("4  authentication failure"));
}

#[test]
fn no_password_prompt_without_a_terminal() {
    let out = Command::new(env!("CARGO_BIN_EXE_mx"))
        .args([
            "run",
            "--server",
            "http://127.0.0.1:1/",
            "--username",
            "u",
            "Get-Mailbox",
        ])
        .stdin(std::process::Stdio::null())
        .output()
        .expect("mx runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("not a terminal"), "{}", stderr(&out));
}

#[test]
fn clixml_export_to_json() {
    let file = shared_fixtures_dir()
        .join("exchange/get-mailbox_ex2016-cu23_pipeline-output_3gstudent.xml");
    let out = mx(&["clixml", file.to_str().expect("utf-8 path")]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc: Value = serde_json::from_str(&stdout(&out)).expect("json");
    let first = match &doc {
        Value::Array(items) => items.first().cloned().expect("one object"),
        other => other.clone(),
    };
    assert!(
        first["DisplayName"].as_str().is_some_and(|s| !s.is_empty()),
        "{first}"
    );
}

#[test]
fn clixml_bad_input_exits_2() {
    let dir = std::env::temp_dir().join(format!("mx-clixml-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let bad = dir.join("bad.xml");
    std::fs::write(&bad, "<Objs><Obj RefId=\"0\"><S>unclosed").expect("write");
    let out = mx(&["clixml", bad.to_str().expect("utf-8 path")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).starts_with("mx clixml: "));
    let out = mx(&["clixml", "/nonexistent/file.xml"]);
    assert_eq!(out.status.code(), Some(2));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn clixml_utf16_export_with_a_cycle_and_a_stream() {
    // Windows PowerShell 5.1's Export-Clixml: UTF-16LE with a byte-order mark; an ADObjectId
    // whose DomainId is itself.
    let dir = std::env::temp_dir().join(format!("mx-clixml-utf16-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let export = "<?xml version=\"1.0\" encoding=\"utf-16\"?>\r\n<Objs Version=\"1.1.0.1\" \
        xmlns=\"http://schemas.microsoft.com/powershell/2004/04\"><Obj RefId=\"0\"><MS>\
        <S N=\"Name\">contoso.com</S><Ref N=\"DomainId\" RefId=\"0\" /></MS></Obj></Objs>";
    let mut bytes = vec![0xFF, 0xFE];
    bytes.extend(export.encode_utf16().flat_map(u16::to_le_bytes));
    let file = dir.join("export.xml");
    std::fs::write(&file, &bytes).expect("write");
    let out = mx(&["clixml", file.to_str().expect("utf-8 path")]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc: Value = serde_json::from_str(&stdout(&out)).expect("json");
    assert_eq!(
        doc,
        serde_json::json!([{"$id": 0, "Name": "contoso.com", "DomainId": {"$ref": 0}}])
    );
    // powershell.exe -OutputFormat xml on standard error.
    let stream = dir.join("stderr.txt");
    std::fs::write(
        &stream,
        "#< CLIXML\r\n<Objs Version=\"1.1.0.1\" xmlns=\"http://schemas.microsoft.com/powershell/2004/04\">\
         <S S=\"Error\">denied_x000D__x000A_</S></Objs>",
    )
    .expect("write");
    let out = mx(&["clixml", stream.to_str().expect("utf-8 path")]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc: Value = serde_json::from_str(&stdout(&out)).expect("json");
    assert_eq!(
        doc,
        serde_json::json!([{"$stream": "error", "$value": "denied\r\n"}])
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn run_terminating_error_is_an_error_object() {
    let server = Server::start(SimConfig::default()).expect("sim");
    let (out, doc) = run_json(&server, &["Get-Nothing"]);
    // Exchange hides the cmdlets an account's roles do not grant, so an unknown cmdlet is an
    // RBAC refusal as far as anyone can tell.
    assert_eq!(out.status.code(), Some(6), "{}", stderr(&out));
    let err = &doc["error"];
    assert_eq!(err["kind"], "access_denied");
    assert_eq!(err["record"]["kind"], "access_denied");
    assert!(
        err["hint"]
            .as_str()
            .is_some_and(|h| h.contains("Get-Nothing") && h.contains("Add-RoleGroupMember")),
        "{err}"
    );
    assert_eq!(err["state"], "Failed");
    assert_eq!(
        err["record"]["fully_qualified_error_id"],
        "CommandNotFoundException"
    );
    assert!(
        err["message"]
            .as_str()
            .is_some_and(|m| m.contains("Get-Nothing")),
        "{err}"
    );
    assert_eq!(
        server.shell_count(),
        0,
        "the shell is closed after a failure"
    );
}

#[test]
fn a_terminating_error_prints_the_servers_text_once() {
    let server = Server::start(SimConfig::default()).expect("sim");
    let url = server.url(Endpoint::PowerShell);
    let out = run_admin(&url, &["Get-Nothing"]);
    assert_eq!(out.status.code(), Some(6), "{}", stderr(&out));
    let err = stderr(&out);
    let (_, doc) = run_json(&server, &["Get-Nothing"]);
    let message = doc["error"]["message"].as_str().expect("message");
    // The error record's text, after the exception type.
    let text = message
        .split(": ")
        .nth(2)
        .and_then(|t| t.split(" (").next())
        .expect("the record's text");
    assert!(text.len() > 10, "{message}");
    assert_eq!(err.matches(text).count(), 1, "{err}");
    assert_eq!(doc.to_string().matches(text).count(), 1, "{doc}");
}

#[test]
fn open_timeout_and_timeout_bound_the_run() {
    // A server that takes the connection and never answers.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!(
        "http://127.0.0.1:{}/PowerShell/",
        listener.local_addr().expect("addr").port()
    );
    let hold = std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().take(1) {
            held.push(stream);
            std::thread::sleep(std::time::Duration::from_secs(5));
        }
    });
    let started = std::time::Instant::now();
    let out = run_admin(&url, &["--open-timeout", "0.5", "--json", "Get-Mailbox"]);
    let elapsed = started.elapsed();
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let doc: Value = serde_json::from_str(&stdout(&out)).expect("json");
    assert_eq!(doc["error"]["kind"], "timeout", "{doc}");
    assert!(
        doc["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("did not open within 500ms")),
        "{doc}"
    );
    assert!(elapsed < std::time::Duration::from_secs(4), "{elapsed:?}");
    drop(hold);

    let server = Server::start(SimConfig::default()).expect("sim");
    let (out, doc) = run_json(&server, &["--timeout", "0.001", "Get-Mailbox"]);
    assert_eq!(out.status.code(), Some(3), "{doc}");
    assert_eq!(doc["error"]["kind"], "timeout", "{doc}");
    let out = run_admin(
        &server.url(Endpoint::PowerShell),
        &["--open-timeout", "soon", "Get-Mailbox"],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

#[test]
fn run_text_mode_puts_errors_on_stderr() {
    let server = Server::start(SimConfig::default()).expect("sim");
    let url = server.url(Endpoint::PowerShell);
    let out = run_admin(&url, &["Get-Mailbox", "-Identity", "no.such.person"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stdout(&out), "");
    let err = stderr(&out);
    assert!(
        err.starts_with("ERROR: ") && err.contains("no.such.person"),
        "{err}"
    );
}

/// `mx run` over HTTPS with Basic: `--auth basic` plus the TLS flags.
fn https_run(url: &str, tls_flags: &[&str]) -> Output {
    let mut args = vec![
        "run",
        "--server",
        url,
        "--auth",
        "basic",
        "--username",
        "CONTOSO\\Administrator",
        "--password-env",
        PASSWORD_VAR,
        "--json",
    ];
    args.extend_from_slice(tls_flags);
    args.extend_from_slice(&["Get-Mailbox", "-Identity", JUSTIN]);
    mx(&args)
}

#[test]
fn run_over_https_checks_the_certificate() {
    let identity =
        mx_sim::http::tls::TlsIdentity::self_signed(&["127.0.0.1".into()]).expect("certificate");
    let thumbprint = identity.sha1_thumbprint();
    let server = Server::start(SimConfig {
        tls: Some(identity),
        ..SimConfig::default()
    })
    .expect("sim");
    let url = server.url(Endpoint::PowerShell);
    assert!(url.starts_with("https://"), "{url}");

    let out = https_run(&url, &[]);
    assert_eq!(out.status.code(), Some(3), "{}", stdout(&out));
    let doc: Value = serde_json::from_str(&stdout(&out)).expect("json");
    assert!(
        doc["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains(&thumbprint)),
        "the error names the thumbprint to pin: {doc}"
    );

    let out = https_run(&url, &["--pin-thumbprint", &thumbprint]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let doc: Value = serde_json::from_str(&stdout(&out)).expect("json");
    assert_eq!(doc["output"][0]["SamAccountName"], JUSTIN);

    let out = https_run(&url, &["--insecure"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("WARNING: --insecure"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn basic_over_http_needs_allow_unencrypted() {
    let server = Server::start(SimConfig {
        allow_unencrypted: true,
        ..SimConfig::default()
    })
    .expect("sim");
    let url = server.url(Endpoint::PowerShell);
    let refused = https_run(&url, &[]);
    // The client refuses before sending the password: an authentication failure.
    assert_eq!(refused.status.code(), Some(4), "{}", stdout(&refused));
    assert_eq!(server.request_log().entries().len(), 0, "nothing was sent");
    let out = https_run(&url, &["--allow-unencrypted"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let doc: Value = serde_json::from_str(&stdout(&out)).expect("json");
    assert_eq!(doc["output"][0]["SamAccountName"], JUSTIN);
    assert!(
        server
            .request_log()
            .entries()
            .iter()
            .any(|e| e.auth.as_deref() == Some("Basic") && !e.sealed)
    );
}

#[test]
fn interrupt_stops_the_command_on_the_server() {
    let server = Server::start(SimConfig {
        faults: mx_sim::FaultPlan {
            rules: vec![mx_sim::FaultRule {
                operation: "Receive".into(),
                nth: 2,
                count: 1,
                action: mx_sim::FaultAction::Delay { ms: 5000 },
            }],
        },
        ..SimConfig::default()
    })
    .expect("sim");
    let url = server.url(Endpoint::PowerShell);
    let child = Command::new(env!("CARGO_BIN_EXE_mx"))
        .args([
            "run",
            "--server",
            &url,
            "--auth",
            "ntlm",
            "--username",
            "CONTOSO\\Administrator",
            "--password-env",
            PASSWORD_VAR,
            "Get-Mailbox",
        ])
        .env(PASSWORD_VAR, ADMIN_PASSWORD)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("mx starts");
    // Wait until the command is on the server, then interrupt as Ctrl-C does.
    let started = std::time::Instant::now();
    while server.request_log().count("Command") == 0 {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(10),
            "no Command"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    std::thread::sleep(std::time::Duration::from_millis(500));
    let kill = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(kill.success());
    let out = child.wait_with_output().expect("mx ends");
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(5), "{err}");
    assert!(
        err.contains("interrupted") && err.contains("cancelled"),
        "{err}"
    );
    assert!(
        server.request_log().count("Signal") >= 1,
        "stopped with a Signal"
    );
    assert_eq!(server.shell_count(), 0, "the shell was closed");
}

#[test]
fn configuration_selects_the_resource_uri() {
    let server = Server::start(SimConfig::default()).expect("sim");
    let url = server.url(Endpoint::Wsman);
    let run = |extra: &[&str]| {
        let mut args = vec![
            "run",
            "--server",
            url.as_str(),
            "--auth",
            "ntlm",
            "--username",
            "CONTOSO\\Administrator",
            "--password-env",
            PASSWORD_VAR,
            "--json",
        ];
        args.extend_from_slice(extra);
        args.push("Get-Mailbox");
        let out = mx(&args);
        let doc: Value = serde_json::from_str(&stdout(&out)).expect("json");
        (out, doc)
    };
    // The WinRM service refuses Exchange's resource URI with a WS-Management fault.
    let (out, doc) = run(&[]);
    assert_eq!(out.status.code(), Some(5), "{doc}");
    assert_eq!(doc["error"]["kind"], "protocol");
    assert_eq!(doc["error"]["fault"]["soap_code"], "Sender", "{doc}");
    // The server's text is in the message, once.
    let text = doc.to_string();
    assert_eq!(
        text.matches("cannot process the request").count(),
        1,
        "{doc}"
    );
    // Microsoft.PowerShell opens, and has no Exchange cmdlets.
    let (out, doc) = run(&["--configuration", "Microsoft.PowerShell"]);
    assert_eq!(out.status.code(), Some(6), "{doc}");
    assert_eq!(
        doc["error"]["record"]["fully_qualified_error_id"],
        "CommandNotFoundException"
    );
}

#[test]
fn password_file_resolve_override_and_ip_order() {
    let server = Server::start(SimConfig::default()).expect("sim");
    let port = server.addr().port();
    let dir = std::env::temp_dir().join(format!("mx-password-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let file = dir.join("password");
    std::fs::write(&file, format!("{ADMIN_PASSWORD}\nignored second line\n")).expect("write");
    let url = format!("http://ex01.contoso.test:{port}/PowerShell");
    let resolve = format!("ex01.contoso.test:{port}:127.0.0.1");
    let out = mx(&[
        "run",
        "--server",
        &url,
        "--auth",
        "ntlm",
        "--username",
        "CONTOSO\\Administrator",
        "--password-file",
        file.to_str().expect("utf-8 path"),
        "--resolve",
        &resolve,
        "--ip-order",
        "ipv6-first",
        "--json",
        "Get-Mailbox",
        JUSTIN,
    ]);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let doc: Value = serde_json::from_str(&stdout(&out)).expect("json");
    assert_eq!(doc["output"][0]["SamAccountName"], JUSTIN);

    let bad = mx(&[
        "run",
        "--server",
        &url,
        "--username",
        "u",
        "--password-env",
        PASSWORD_VAR,
        "--ip-order",
        "sideways",
        "Get-Mailbox",
    ]);
    assert_eq!(bad.status.code(), Some(2), "{}", stderr(&bad));
    assert!(stderr(&bad).contains("sideways"));
}

#[test]
fn text_mode_streams_objects_and_warnings() {
    let server = Server::start(SimConfig::default()).expect("sim");
    let url = server.url(Endpoint::PowerShell);
    let out = run_admin(&url, &["Get-Mailbox", "-ResultSize", "2"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert_eq!(
        text.matches("\n\n").count(),
        1,
        "two objects, one blank line"
    );
    assert_eq!(
        text.lines()
            .filter(|l| l.starts_with("SamAccountName "))
            .count(),
        2
    );
    assert!(
        stderr(&out).starts_with("WARNING: There are more results available"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn keytab_usage_errors_exit_2() {
    // Neither a user nor a keytab.
    let out = mx(&["run", "--server", "http://127.0.0.1:1/", "Get-Mailbox"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("--username"), "{}", stderr(&out));
    // A keytab and a password source.
    let out = mx(&[
        "run",
        "--server",
        "http://127.0.0.1:1/",
        "--keytab",
        "/nonexistent.keytab",
        "--password-env",
        PASSWORD_VAR,
        "Get-Mailbox",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    // A keytab with NTLM.
    let out = mx(&[
        "run",
        "--server",
        "http://127.0.0.1:1/",
        "--auth",
        "ntlm",
        "--keytab",
        "/nonexistent.keytab",
        "Get-Mailbox",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("Kerberos only"), "{}", stderr(&out));
}

/// `mx run --keytab` as the Samba AD DC's service account (tests/kdc/samba; skipped without
/// its `MX_AD_*` variables), against mx-sim holding the Exchange computer account's keytab.
#[test]
fn run_logs_on_with_a_keytab() {
    let (Some(r), Some(ad)) = (Realm::from_env(), AdAccounts::from_env()) else {
        return;
    };
    let server = r.kerberos_server(&ad.keytab_user);
    let (kdc, host, account) = (&r.kdc, &r.host, ad.keytab_user.as_str());
    let (keytab, rc4) = (&ad.keytab, &ad.rc4_keytab);
    let port = server.addr().port();
    let url = format!("http://{host}:{port}/PowerShell");
    let resolve = format!("{host}:{port}:127.0.0.1");
    let base = [
        "run",
        "--server",
        &url,
        "--auth",
        "kerberos",
        "--kdc",
        kdc,
        "--resolve",
        &resolve,
        "--json",
    ];
    let out = mx(&[
        &base[..],
        &["--keytab", keytab, "Get-Mailbox", "-Identity", JUSTIN],
    ]
    .concat());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc: Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    assert_eq!(doc["output"][0]["SamAccountName"], JUSTIN, "{doc:#}");
    assert!(
        server
            .request_log()
            .entries()
            .iter()
            .any(|e| e.operation == "Create" && e.user.as_deref() == Some(account)),
        "not logged on as {account}"
    );
    // An RC4-only keytab: authentication failure (exit 4), naming what to change.
    let out = mx(&[&base[..], &["--keytab", rc4, "Get-Mailbox"]].concat());
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    // With --json the error is the JSON document on stdout.
    let said = format!("{}{}", stdout(&out), stderr(&out));
    assert!(said.contains("msDS-SupportedEncryptionTypes"), "{said}");
    assert!(said.contains("rc4-hmac"), "{said}");
}
