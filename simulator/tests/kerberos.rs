//! Kerberos against a KDC fixture of tests/kdc, MIT's (`start-kdc.sh`) or a Samba AD DC
//! (`samba/start-dc.sh`): run with its environment sourced, as `scripts/test.sh` does with
//! each. Without `MX_KDC_URL` the test says so and passes, except under CI (`CI` set), where
//! a missing KDC is a failure.

mod common;

use std::io::{BufRead as _, BufReader};
use std::process::{Command as Process, Stdio};

use common::Client;
use monosync_exchange::psrp::{Command, PSInvocationState, PowerShellSpec};
use monosync_exchange::transport::AuthMethod;
use monosync_exchange::wsman::namespaces::RESOURCE_EXCHANGE;
use mx_fixtures::{Realm, UnderCi, need};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kerberos_sealed_get_mailbox() {
    let Some(r) = Realm::from_env() else { return };
    let server = r.kerberos_server(&r.user);
    let url = format!("http://{}:{}/PowerShell", r.host, server.addr().port());
    let mut opts = Client::options(&url, AuthMethod::Kerberos, &r.principal(), &r.password);
    opts.kdc = Some(r.kdc.clone());
    let mut client = Client::new(&url, RESOURCE_EXCHANGE, opts);
    client.open().await.expect("shell opens over Kerberos");
    let outcome = client
        .run(&PowerShellSpec::new(
            Command::new("Get-Mailbox").arg("Administrator"),
        ))
        .await
        .expect("runs");
    assert_eq!(outcome.state, Some(PSInvocationState::Completed));
    assert_eq!(outcome.output.len(), 1);
    client.delete().await.expect("deleted");
    let log = server.request_log().entries();
    let soap: Vec<_> = log
        .iter()
        .filter(|e| e.operation != "Auth" && e.status == 200)
        .collect();
    assert!(!soap.is_empty());
    assert!(
        soap.iter()
            .all(|e| e.sealed && e.auth.as_deref() == Some("Kerberos")),
        "{log:?}"
    );
    assert_eq!(soap[0].user.as_deref(), Some(r.user.as_str()));
}

/// `mx-sim --kerberos-keytab FILE`, the keytab alone: realm and host come from its principals,
/// and a ticket for the service, whatever salt made its key (AD: the computer account's), is
/// accepted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mx_sim_serves_kerberos_from_a_keytab_alone() {
    let (Some(r), Some([keytab])) = (
        Realm::from_env(),
        need(["MX_KRB5_KEYTAB"], UnderCi::Optional),
    ) else {
        return;
    };
    let Realm {
        kdc,
        realm,
        user,
        password,
        host,
        ..
    } = r;
    // A seed whose only account is the realm's user, and the request log, in a temp dir.
    let dir = std::env::temp_dir().join(format!("mx-sim-keytab-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let seed = dir.join("seed.json");
    let log = dir.join("requests.jsonl");
    std::fs::write(
        &seed,
        format!(
            r#"{{"accounts": [{{"user": "{user}", "password": "unused-{}", "role_groups": ["Organization Management"]}}]}}"#,
            std::process::id()
        ),
    )
    .expect("seed");
    let mut child = Process::new(env!("CARGO_BIN_EXE_mx-sim"))
        .args(["--listen", "127.0.0.1:0", "--no-basic", "--no-ntlm"])
        .args(["--kerberos-keytab", &keytab, "--offer-kerberos"])
        .arg("--seed")
        .arg(&seed)
        .arg("--log")
        .arg(&log)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("mx-sim starts");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let mut announced = String::new();
    let mut port = None;
    for line in lines.by_ref() {
        let line = line.expect("line");
        if let Some(addr) = line.strip_prefix("listening on ") {
            port = addr
                .rsplit_once(':')
                .and_then(|(_, p)| p.parse::<u16>().ok());
            break;
        }
        announced.push_str(&line);
    }
    let Some(port) = port else {
        let _ = child.kill();
        let err = child
            .wait_with_output()
            .map(|o| o.stderr)
            .unwrap_or_default();
        panic!("mx-sim did not start: {}", String::from_utf8_lossy(&err));
    };
    assert!(
        announced.contains(&format!("HTTP/{host}@{realm}")),
        "{announced}"
    );
    let url = format!("http://{host}:{port}/PowerShell");
    let mut opts = Client::options(
        &url,
        AuthMethod::Kerberos,
        &format!("{user}@{realm}"),
        &password,
    );
    opts.kdc = Some(kdc);
    opts.resolve_overrides = vec![
        format!("{host}:{port}:127.0.0.1")
            .parse()
            .expect("override"),
    ];
    let mut client = Client::new(&url, RESOURCE_EXCHANGE, opts);
    let opened = client.open().await;
    let deleted = match &opened {
        Ok(()) => client.delete().await.map_err(|e| format!("{e:?}")),
        Err(_) => Ok(()),
    };
    let _ = child.kill();
    let _ = child.wait();
    let requests = std::fs::read_to_string(&log).unwrap_or_default();
    let _ = std::fs::remove_dir_all(&dir);
    opened.expect("a shell opens with a ticket the keytab's key decrypts");
    deleted.expect("deleted");
    let create = requests
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|e| e["operation"] == "Create" && e["status"] == 200)
        .unwrap_or_else(|| panic!("no Create in the log: {requests}"));
    assert_eq!(create["auth"], "Kerberos", "{create}");
    assert_eq!(create["user"], user.as_str(), "{create}");
    assert_eq!(create["sealed"], true, "{create}");
}
