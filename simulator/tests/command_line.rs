//! The `mx-sim` command line as scripts and users run it: help, version, usage errors, and a
//! server started from flags.

use std::io::{BufRead, BufReader};
use std::process::{Command, Output, Stdio};

fn mx_sim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mx-sim"))
        .args(args)
        .output()
        .expect("mx-sim runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn help_lists_every_flag_and_exits_zero() {
    let out = mx_sim(&["--help"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let help = text(&out.stdout);
    for flag in [
        "--listen",
        "--https",
        "--cert",
        "--key",
        "--cert-name",
        "--write-cert",
        "--expired-cert",
        "--no-basic",
        "--no-ntlm",
        "--kerberos-realm",
        "--kerberos-host",
        "--kerberos-password",
        "--kdc",
        "--offer-kerberos",
        "--allow-unencrypted",
        "--cbt",
        "--seed",
        "--generate",
        "--faults",
        "--log",
        "--shell-quota",
        "--machine",
        "--deny",
        "--throttling-policy",
        "--version",
    ] {
        assert!(
            help.contains(flag),
            "--help does not mention {flag}:\n{help}"
        );
    }
}

#[test]
fn version_is_the_workspace_version() {
    let out = mx_sim(&["--version"]);
    assert!(out.status.success());
    assert_eq!(
        text(&out.stdout).trim(),
        format!("mx-sim {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn a_bad_throttling_policy_file_exits_two_naming_the_key() {
    let dir = std::env::temp_dir().join(format!("mx-sim-policy-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    for (json, expected) in [
        (r#"{"PowerShellMaxCmdletz": 5}"#, "PowerShellMaxCmdletz"),
        (
            r#"{"PowerShellMaxCmdlets": "lots"}"#,
            "PowerShellMaxCmdlets",
        ),
        (r#"{"PowerShellMaxCmdlets": -1}"#, "PowerShellMaxCmdlets"),
    ] {
        let path = dir.join("policy.json");
        std::fs::write(&path, json).expect("policy written");
        let out = mx_sim(&["--throttling-policy", path.to_str().expect("utf-8 path")]);
        assert_eq!(out.status.code(), Some(2), "{json}: {}", text(&out.stderr));
        let stderr = text(&out.stderr);
        assert!(stderr.contains(expected), "{json}: {stderr}");
        assert!(stderr.contains("policy.json"), "{json}: {stderr}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn usage_errors_exit_two_and_name_the_problem() {
    for (args, expected) in [
        (&["--bogus"][..], "--bogus"),
        (&["--listen"][..], "--listen"),
        (&["--listen", "nowhere"][..], "nowhere"),
        (&["--cbt", "loose"][..], "loose"),
        (&["--cert", "c.pem"][..], "--key"),
        (
            &["--kerberos-realm", "CONTOSO.COM"][..],
            "--kerberos-password",
        ),
        (&["--seed", "a.json", "--generate", "5"][..], "--generate"),
        (&["--shell-quota", "many"][..], "many"),
        (
            &["--seed", "/nonexistent/seed.json"][..],
            "/nonexistent/seed.json",
        ),
    ] {
        let out = mx_sim(args);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&out.stderr)
        );
        let stderr = text(&out.stderr);
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
        assert!(out.stdout.is_empty(), "{args:?}: {}", text(&out.stdout));
    }
}

#[test]
fn serves_with_the_flags_given() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_mx-sim"))
        .args([
            "--listen",
            "127.0.0.1:0",
            "--cbt",
            "STRICT",
            "--shell-quota",
            "3",
            "--deny",
            "CONTOSO\\intern",
            "--machine",
            "EX02",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("mx-sim starts");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let first = lines.next().expect("a line").expect("utf-8");
    let second = lines.next().expect("a line").expect("utf-8");
    child.kill().expect("kill");
    child.wait().expect("wait");
    assert!(first.starts_with("listening on 127.0.0.1:"), "{first}");
    assert!(
        second.starts_with("Exchange endpoint: http://127.0.0.1:"),
        "{second}"
    );
}

#[test]
fn completions_and_man_page_come_from_the_parser() {
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let out = mx_sim(&["--completions", shell]);
        assert!(out.status.success(), "{shell}");
        let script = text(&out.stdout);
        assert!(
            script.contains("mx-sim") && script.contains("shell-quota"),
            "{shell}"
        );
    }
    let out = mx_sim(&["--man"]);
    assert!(out.status.success());
    assert!(text(&out.stdout).contains(".TH mx-sim 1"));
    let out = mx_sim(&["--man", "--https"]);
    assert_eq!(out.status.code(), Some(2), "--man takes no other flag");
}
