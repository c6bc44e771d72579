//! Address selection through `Session`: IPv6 loopback end to end, and a first address that
//! refuses the connection, after which the next one is used.

use monosync_exchange::exchange::{Command, ErrorKind, Session, SessionError, SessionOptions};
use monosync_exchange::transport::{AuthMethod, Credentials, TransportError};
use mx_sim::{Server, SimConfig};

const ADMIN: &str = "Administrator";
const ADMIN_PW: &str = "P@ssw0rd!";

fn options(url: String) -> SessionOptions {
    SessionOptions::exchange(
        url,
        AuthMethod::Ntlm,
        Credentials::new(format!("CONTOSO\\{ADMIN}"), ADMIN_PW),
    )
}

/// A loopback port nothing listens on.
fn dead_port(ip: &str) -> u16 {
    let l = std::net::TcpListener::bind(format!("{ip}:0")).expect("bind");
    l.local_addr().expect("addr").port()
}

async fn get_admin(session: &mut Session) {
    let r = session
        .invoke(Command::new("Get-Mailbox").param("Identity", ADMIN))
        .await
        .expect("Get-Mailbox");
    assert_eq!(
        r.output[0]
            .property("SamAccountName")
            .and_then(|v| v.as_str()),
        Some(ADMIN)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ipv6_loopback_end_to_end() {
    if std::net::TcpListener::bind("[::1]:0").is_err() {
        assert!(
            std::env::var_os("CI").is_none(),
            "no IPv6 loopback under CI"
        );
        eprintln!("no IPv6 loopback on this machine");
        return;
    }
    let server = Server::start(SimConfig {
        listen: vec!["[::1]:0".parse().expect("addr")],
        ..SimConfig::default()
    })
    .expect("server");
    let port = server.addr().port();
    let mut session = Session::connect(options(format!("http://[::1]:{port}/PowerShell")))
        .await
        .expect("connect over IPv6");
    get_admin(&mut session).await;
    session.close().await.expect("close");
    assert_eq!(server.shell_count(), 0);
    assert!(server.request_log().entries().iter().all(|e| e.status != 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refusing_first_address_falls_back_to_the_next() {
    let server = Server::start(SimConfig::default()).expect("server");
    let port = server.addr().port();
    let host = "ex01.corp.example";
    let url = format!("http://{host}:{port}/PowerShell");
    // 127.0.0.2 is loopback too but nothing listens there on this port.
    let dead_first = format!("{host}:{port}:127.0.0.2,127.0.0.1");
    let mut o = options(url.clone());
    o.transport.resolve_overrides = vec![dead_first.parse().expect("override")];
    let mut session = Session::connect(o).await.expect("falls back");
    get_admin(&mut session).await;
    session.close().await.expect("close");
    assert_eq!(server.shell_count(), 0);

    // Only dead addresses: every attempt is listed, and the error is transient.
    let dead = dead_port("127.0.0.1");
    let mut o = options(format!("http://{host}:{dead}/PowerShell"));
    o.transport.resolve_overrides = vec![
        format!("{host}:{dead}:127.0.0.2,127.0.0.1")
            .parse()
            .expect("override"),
    ];
    let err = Session::connect(o).await.expect_err("nothing listens");
    println!("{err}");
    assert_eq!(err.kind(), ErrorKind::Transient);
    match &err {
        SessionError::Transport(TransportError::Connect { attempts }) => {
            let tried: Vec<String> = attempts.iter().map(|(a, _)| a.to_string()).collect();
            assert_eq!(
                tried,
                [format!("127.0.0.2:{dead}"), format!("127.0.0.1:{dead}")]
            );
        }
        other => panic!("expected a connect error, got {other:?}"),
    }
}
