//! `mx doctor --json`: running it, and reading its report (a check by its id, its status and
//! its text fields).
// Each test binary that includes this module uses part of it.
#![allow(dead_code)]

use std::process::{Command, Output};

use serde_json::Value;

/// The variable `doctor` passes the password in.
pub const PASSWORD_VAR: &str = "MX_DOCTOR_PASSWORD";

/// Runs `mx doctor <server> --json <rest>` with the password in `PASSWORD_VAR`.
pub fn doctor(server: &str, password: &str, rest: &[&str]) -> (Output, Value) {
    // A keytab logon reads no password.
    let password_args: &[&str] = if rest.contains(&"--keytab") {
        &[]
    } else {
        &["--password-env", PASSWORD_VAR]
    };
    let out = Command::new(env!("CARGO_BIN_EXE_mx"))
        .arg("doctor")
        .arg(server)
        .args(password_args)
        .args(["--json", "--connect-timeout", "2"])
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

/// The check `id` of the report `doc`.
pub fn check<'a>(doc: &'a Value, id: &str) -> &'a Value {
    doc["checks"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["id"] == id))
        .unwrap_or_else(|| panic!("no check {id} in {doc:#}"))
}

/// The status (`pass`, `warn`, `fail`, ...) of the check `id`.
pub fn status<'a>(doc: &'a Value, id: &str) -> &'a str {
    check(doc, id)["status"].as_str().unwrap_or("")
}

/// The text `field` (`detail`, `fix`) of the check `id`.
pub fn text<'a>(doc: &'a Value, id: &str, field: &str) -> &'a str {
    check(doc, id)[field].as_str().unwrap_or("")
}
