//! Transport over plain HTTP against a loopback server: NTLM with sealed bodies, failures,
//! reconnection, cookies and address selection.

mod common;

use std::sync::atomic::Ordering;
use std::time::Duration;

use common::transport::{Mode, ServerConfig, start, wait_for};
use monosync_exchange::transport::{
    AuthMethod, Credentials, ResolveOverride, TimeoutPhase, Transport, TransportError,
    TransportOptions,
};

fn ntlm_opts(url: String, user: &str, password: &str) -> TransportOptions {
    TransportOptions::new(url, AuthMethod::Ntlm, Credentials::new(user, password))
}

#[tokio::test]
async fn ntlm_seals_requests_and_unseals_replies() {
    let server = start("127.0.0.1:0", ServerConfig::new(Mode::Ntlm))
        .await
        .unwrap();
    let url = format!("http://127.0.0.1:{}/wsman", server.addr.port());
    let mut t = Transport::new(ntlm_opts(url, "CORP\\alice", "Passw0rd!")).unwrap();
    let out = t.post(b"<s:Envelope>one</s:Envelope>").await.unwrap();
    assert_eq!(out, b"<reply><s:Envelope>one</s:Envelope>");
    assert!(t.is_sealing());
    // Negotiate, authenticate, then the sealed request.
    assert_eq!(t.round_trips(), 3);
    let out = t.post(b"two").await.unwrap();
    assert_eq!(out, b"<reply>two");
    assert_eq!(t.round_trips(), 4);
    assert_eq!(server.observed.sealed_requests.load(Ordering::SeqCst), 2);
    assert_eq!(
        server.observed.signature_lens.lock().unwrap().as_slice(),
        [16, 16]
    );
    // Every request, authentication legs included, refuses compression.
    let encodings = server.observed.accept_encodings.lock().unwrap().clone();
    assert_eq!(encodings.len(), 4);
    assert!(encodings.iter().all(|e| e.as_deref() == Some("identity")));
    assert_eq!(server.observed.connections.load(Ordering::SeqCst), 1);
    assert_eq!(
        server.observed.acceptors.lock().unwrap().as_slice(),
        ["ntlm"]
    );
    assert_eq!(
        server
            .observed
            .authenticated_users
            .lock()
            .unwrap()
            .as_slice(),
        ["CORP\\alice"]
    );
}

#[tokio::test]
async fn wrong_password_is_an_auth_error() {
    let server = start("127.0.0.1:0", ServerConfig::new(Mode::Ntlm))
        .await
        .unwrap();
    let url = format!("http://127.0.0.1:{}/wsman", server.addr.port());
    let mut t = Transport::new(ntlm_opts(url, "CORP\\alice", "wrong")).unwrap();
    let err = t.post(b"x").await.unwrap_err();
    match &err {
        TransportError::Auth {
            scheme,
            message,
            hint,
        } => {
            assert_eq!(scheme, "NTLM", "named for the method asked for");
            assert!(message.contains("rejected"), "{message}");
            assert!(hint.as_deref().unwrap_or_default().contains("password"));
        }
        other => panic!("expected an auth error, got {other:?}"),
    }
    assert_eq!(server.observed.soap_requests.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn wrong_user_name_with_right_password_is_refused() {
    let server = start("127.0.0.1:0", ServerConfig::new(Mode::Ntlm))
        .await
        .unwrap();
    let url = format!("http://127.0.0.1:{}/wsman", server.addr.port());
    let mut t = Transport::new(ntlm_opts(url, "CORP\\mallory", "Passw0rd!")).unwrap();
    assert!(matches!(
        t.post(b"x").await,
        Err(TransportError::Auth { .. })
    ));
}

#[tokio::test]
async fn reconnects_and_reauthenticates_after_a_dropped_connection() {
    let mut config = ServerConfig::new(Mode::Ntlm);
    config.drop_after_reply = true;
    let server = start("127.0.0.1:0", config).await.unwrap();
    let url = format!("http://127.0.0.1:{}/wsman", server.addr.port());
    let mut t = Transport::new(ntlm_opts(url, "CORP\\alice", "Passw0rd!")).unwrap();
    assert_eq!(t.post(b"a").await.unwrap(), b"<reply>a");
    wait_for(&server.observed.drops, 1).await;
    assert_eq!(t.post(b"b").await.unwrap(), b"<reply>b");
    assert_eq!(server.observed.connections.load(Ordering::SeqCst), 2);
    assert_eq!(server.observed.authenticated_users.lock().unwrap().len(), 2);
    assert_eq!(t.round_trips(), 6);
}

#[tokio::test]
async fn reconnects_for_each_dropped_connection() {
    let mut config = ServerConfig::new(Mode::Ntlm);
    config.drop_after_reply = true;
    let server = start("127.0.0.1:0", config).await.unwrap();
    let url = format!("http://127.0.0.1:{}/wsman", server.addr.port());
    let mut t = Transport::new(ntlm_opts(url, "CORP\\alice", "Passw0rd!")).unwrap();
    for i in 0..3u8 {
        let body = [b'0' + i];
        let out = t.post(&body).await.unwrap();
        assert_eq!(out, [b"<reply>".as_slice(), &body].concat());
        wait_for(&server.observed.drops, usize::from(i) + 1).await;
    }
    assert_eq!(server.observed.connections.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn cookies_are_sent_back() {
    let mut config = ServerConfig::new(Mode::Ntlm);
    config.set_cookie = Some("MS-WSMAN=backend-7; path=/; HttpOnly".into());
    let server = start("127.0.0.1:0", config).await.unwrap();
    let url = format!("http://127.0.0.1:{}/wsman", server.addr.port());
    let mut t = Transport::new(ntlm_opts(url, "CORP\\alice", "Passw0rd!")).unwrap();
    t.post(b"a").await.unwrap();
    t.post(b"b").await.unwrap();
    let seen = server.observed.cookies.lock().unwrap().clone();
    assert_eq!(
        seen,
        [
            Some("MS-WSMAN=backend-7".to_owned()),
            Some("MS-WSMAN=backend-7".to_owned())
        ]
    );
}

#[tokio::test]
async fn basic_over_http_is_refused_before_connecting() {
    let opts = TransportOptions::new(
        "http://127.0.0.1:1/wsman",
        AuthMethod::Basic,
        Credentials::new("u", "p"),
    );
    let err = Transport::new(opts).unwrap_err();
    assert!(
        matches!(&err, TransportError::Auth { scheme, hint: Some(h), .. } if scheme == "Basic" && h.contains("allow_basic_over_http")),
        "{err:?}"
    );
}

#[tokio::test]
async fn basic_over_http_when_allowed() {
    let server = start("127.0.0.1:0", ServerConfig::new(Mode::Basic))
        .await
        .unwrap();
    let url = format!("http://127.0.0.1:{}/wsman", server.addr.port());
    let mut opts = TransportOptions::new(
        url,
        AuthMethod::Basic,
        Credentials::new("CORP\\alice", "Passw0rd!"),
    );
    opts.allow_basic_over_http = true;
    let mut t = Transport::new(opts).unwrap();
    assert_eq!(t.post(b"x").await.unwrap(), b"<reply>x");
    assert_eq!(t.round_trips(), 1);
}

#[tokio::test]
async fn unreachable_first_address_falls_back_to_the_next() {
    let server = start("127.0.0.1:0", ServerConfig::new(Mode::Ntlm))
        .await
        .unwrap();
    let port = server.addr.port();
    // Nothing listens on 127.0.0.2 at that port (the server is bound to 127.0.0.1 only).
    let mut opts = ntlm_opts(
        format!("http://ex01.corp.test:{port}/wsman"),
        "CORP\\alice",
        "Passw0rd!",
    );
    opts.resolve_overrides = vec![
        format!("ex01.corp.test:{port}:127.0.0.2,127.0.0.1")
            .parse::<ResolveOverride>()
            .unwrap(),
    ];
    let mut t = Transport::new(opts).unwrap();
    assert_eq!(t.post(b"x").await.unwrap(), b"<reply>x");
    assert_eq!(t.peer_addr().unwrap(), server.addr);
    assert_eq!(server.observed.connections.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn every_failed_address_is_reported() {
    let a = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = a.local_addr().unwrap().port();
    drop(a);
    let mut opts = ntlm_opts(
        format!("http://ex01.corp.test:{port}/wsman"),
        "CORP\\alice",
        "x",
    );
    opts.resolve_overrides = vec![
        format!("ex01.corp.test:{port}:127.0.0.1,[::1]")
            .parse()
            .unwrap(),
    ];
    let mut t = Transport::new(opts).unwrap();
    match t.post(b"x").await.unwrap_err() {
        TransportError::Connect { attempts } => {
            let addrs: Vec<String> = attempts.iter().map(|(a, _)| a.to_string()).collect();
            assert_eq!(
                addrs,
                [format!("127.0.0.1:{port}"), format!("[::1]:{port}")]
            );
        }
        other => panic!("expected a connect error, got {other:?}"),
    }
}

#[tokio::test]
async fn ipv6_loopback_literal() {
    let server = match start("[::1]:0", ServerConfig::new(Mode::Ntlm)).await {
        Ok(s) => s,
        Err(e) => {
            println!("skipped: this machine has no IPv6 loopback ({e})");
            return;
        }
    };
    let url = format!("http://[::1]:{}/wsman", server.addr.port());
    let mut t = Transport::new(ntlm_opts(url, "CORP\\alice", "Passw0rd!")).unwrap();
    assert_eq!(t.post(b"v6").await.unwrap(), b"<reply>v6");
    assert!(t.peer_addr().unwrap().is_ipv6());
}

#[tokio::test]
async fn switches_to_the_scheme_the_server_offers() {
    let mut config = ServerConfig::new(Mode::Ntlm);
    config.scheme = "NTLM";
    let server = start("127.0.0.1:0", config).await.unwrap();
    let url = format!("http://127.0.0.1:{}/wsman", server.addr.port());
    let mut t = Transport::new(ntlm_opts(url, "CORP\\alice", "Passw0rd!")).unwrap();
    assert_eq!(t.post(b"x").await.unwrap(), b"<reply>x");
    // Rejected Negotiate attempt, then NTLM negotiate and authenticate, then the request.
    assert_eq!(t.round_trips(), 4);
    assert_eq!(server.observed.sealed_requests.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_silent_server_times_out_on_read() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let hold = tokio::spawn(async move {
        let (_sock, _) = listener.accept().await.unwrap();
        tokio::time::sleep(Duration::from_secs(30)).await;
    });
    let mut opts = TransportOptions::new(
        format!("http://127.0.0.1:{port}/wsman"),
        AuthMethod::Basic,
        Credentials::new("u", "p"),
    );
    opts.allow_basic_over_http = true;
    opts.timeouts.read = Duration::from_millis(200);
    let mut t = Transport::new(opts).unwrap();
    let err = t.post(b"x").await.unwrap_err();
    assert!(
        matches!(
            err,
            TransportError::Timeout {
                phase: TimeoutPhase::Read
            }
        ),
        "{err:?}"
    );
    hold.abort();
}

#[tokio::test]
async fn negotiate_falls_back_to_ntlm_inside_spnego() {
    // No KDC is reachable for the realm CORP, so SPNEGO carries NTLM.
    let server = start("127.0.0.1:0", ServerConfig::new(Mode::Ntlm))
        .await
        .unwrap();
    let url = format!("http://127.0.0.1:{}/wsman", server.addr.port());
    let mut opts = TransportOptions::new(
        url,
        AuthMethod::Negotiate,
        Credentials::new("CORP\\alice", "Passw0rd!"),
    );
    opts.kdc = Some("tcp://127.0.0.1:1".into());
    let mut t = Transport::new(opts).unwrap();
    assert_eq!(t.post(b"spnego").await.unwrap(), b"<reply>spnego");
    assert_eq!(
        server.observed.acceptors.lock().unwrap().as_slice(),
        ["spnego"]
    );
    assert!(t.is_sealing());
    assert_eq!(server.observed.sealed_requests.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn reauthenticates_when_the_server_forgets_the_context() {
    let mut config = ServerConfig::new(Mode::Ntlm);
    config.forget_after_reply = true;
    let server = start("127.0.0.1:0", config).await.unwrap();
    let url = format!("http://127.0.0.1:{}/wsman", server.addr.port());
    let mut t = Transport::new(ntlm_opts(url, "CORP\\alice", "Passw0rd!")).unwrap();
    assert_eq!(t.post(b"a").await.unwrap(), b"<reply>a");
    assert_eq!(t.post(b"b").await.unwrap(), b"<reply>b");
    // 3 legs for the first request; a refused sealed request, then 3 more legs.
    assert_eq!(t.round_trips(), 7);
    assert_eq!(server.observed.authenticated_users.lock().unwrap().len(), 2);
}

#[tokio::test]
async fn unencrypted_http_when_allowed() {
    let server = start("127.0.0.1:0", ServerConfig::new(Mode::Ntlm))
        .await
        .unwrap();
    let url = format!("http://127.0.0.1:{}/wsman", server.addr.port());
    let mut opts = ntlm_opts(url, "CORP\\alice", "Passw0rd!");
    opts.allow_unencrypted = true;
    let mut t = Transport::new(opts).unwrap();
    assert_eq!(t.post(b"clear").await.unwrap(), b"<reply>clear");
    assert!(!t.is_sealing());
    assert_eq!(server.observed.sealed_requests.load(Ordering::SeqCst), 0);
    assert_eq!(server.observed.soap_requests.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn operation_timeout_bounds_the_whole_call() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let hold = tokio::spawn(async move {
        let (_sock, _) = listener.accept().await.unwrap();
        tokio::time::sleep(Duration::from_secs(30)).await;
    });
    let mut opts = TransportOptions::new(
        format!("http://127.0.0.1:{port}/wsman"),
        AuthMethod::Basic,
        Credentials::new("u", "p"),
    );
    opts.allow_basic_over_http = true;
    opts.timeouts.request = Some(Duration::from_millis(200));
    let mut t = Transport::new(opts).unwrap();
    let err = t.post(b"x").await.unwrap_err();
    assert!(
        matches!(
            err,
            TransportError::Timeout {
                phase: TimeoutPhase::Operation
            }
        ),
        "{err:?}"
    );
    assert!(
        t.peer_addr().is_none(),
        "the connection is dropped after a timeout"
    );
    hold.abort();
}

#[tokio::test]
async fn a_request_lost_after_sending_is_not_replayed() {
    let mut config = ServerConfig::new(Mode::Ntlm);
    config.vanish_on_request = Some(1);
    let server = start("127.0.0.1:0", config).await.unwrap();
    let url = format!("http://127.0.0.1:{}/wsman", server.addr.port());
    let mut t = Transport::new(ntlm_opts(url, "CORP\\alice", "Passw0rd!")).unwrap();
    assert_eq!(t.post(b"a").await.unwrap(), b"<reply>a");
    let err = t.post(b"b").await.unwrap_err();
    assert!(
        matches!(&err, TransportError::Io(m) if m.contains("may have processed")),
        "{err:?}"
    );
    assert_eq!(server.observed.bodies_seen.load(Ordering::SeqCst), 2);
    // The next call reconnects and authenticates again.
    assert_eq!(t.post(b"c").await.unwrap(), b"<reply>c");
    assert_eq!(server.observed.connections.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn basic_wrong_password_names_the_scheme() {
    let server = start("127.0.0.1:0", ServerConfig::new(Mode::Basic))
        .await
        .unwrap();
    let url = format!("http://127.0.0.1:{}/wsman", server.addr.port());
    let mut opts = TransportOptions::new(
        url,
        AuthMethod::Basic,
        Credentials::new("CORP\\alice", "nope"),
    );
    opts.allow_basic_over_http = true;
    let mut t = Transport::new(opts).unwrap();
    match t.post(b"x").await.unwrap_err() {
        TransportError::Auth {
            scheme, message, ..
        } => {
            assert_eq!(scheme, "Basic");
            assert!(
                message.contains("Basic"),
                "offered schemes are listed: {message}"
            );
        }
        other => panic!("expected an auth error, got {other:?}"),
    }
}

#[tokio::test]
async fn a_post_dropped_half_way_leaves_no_answer_for_the_next() {
    // The first connection takes a request and never answers; later ones answer at once.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = tokio::spawn(async move {
        use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
        let mut held = Vec::new();
        for n in 0.. {
            let (mut sock, _) = listener.accept().await.unwrap();
            if n == 0 {
                held.push(sock);
                continue;
            }
            tokio::spawn(async move {
                let mut buf = vec![0u8; 4096];
                while let Ok(read) = sock.read(&mut buf).await {
                    if read == 0 {
                        break;
                    }
                    let body = b"<reply>";
                    let head = format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: application/soap+xml\r\nContent-Length: {}\r\n\r\n",
                        body.len()
                    );
                    if sock.write_all(head.as_bytes()).await.is_err()
                        || sock.write_all(body).await.is_err()
                    {
                        break;
                    }
                }
            });
        }
    });
    let mut opts = TransportOptions::new(
        format!("http://127.0.0.1:{port}/wsman"),
        AuthMethod::Basic,
        Credentials::new("u", "p"),
    );
    opts.allow_basic_over_http = true;
    opts.timeouts.read = Duration::from_secs(5);
    let mut t = Transport::new(opts).unwrap();
    // The caller gives up (a cancelled task, an outer deadline): the future is dropped.
    assert!(
        tokio::time::timeout(Duration::from_millis(200), t.post(b"a"))
            .await
            .is_err()
    );
    // The next call must not wait for the first one's answer on the same connection.
    let out = tokio::time::timeout(Duration::from_secs(2), t.post(b"b"))
        .await
        .expect("answered on a new connection")
        .unwrap();
    assert_eq!(out, b"<reply>");
    server.abort();
}
