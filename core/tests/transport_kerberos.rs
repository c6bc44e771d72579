//! Kerberos client paths that need no real KDC: KDC framing, unreachable KDCs and name checks.
//! Authentication against a real MIT KDC is covered by the cross-component tests.

use std::time::Duration;

use monosync_exchange::transport::{
    AuthMethod, Credentials, TimeoutPhase, Transport, TransportError, TransportOptions,
};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

/// A loopback HTTP endpoint that accepts connections and never answers: the Kerberos step
/// fails before the first request is sent.
async fn endpoint() -> (u16, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let task = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((sock, _)) = listener.accept().await {
            held.push(sock);
        }
    });
    (port, task)
}

fn kerberos_opts(http_port: u16, kdc: String) -> TransportOptions {
    let mut o = TransportOptions::new(
        format!("http://ex01.corp.test:{http_port}/wsman"),
        AuthMethod::Kerberos,
        Credentials::new("alice@CORP.TEST", "Passw0rd!"),
    );
    o.resolve_overrides = vec![
        format!("ex01.corp.test:{http_port}:127.0.0.1")
            .parse()
            .unwrap(),
    ];
    o.kdc = Some(kdc);
    o.timeouts.read = Duration::from_secs(5);
    o
}

#[tokio::test]
async fn unreachable_kdc_is_an_auth_error_with_a_hint() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let (http, _server) = endpoint().await;
    let mut t = Transport::new(kerberos_opts(http, format!("tcp://127.0.0.1:{port}"))).unwrap();
    match t.post(b"x").await.unwrap_err() {
        TransportError::Auth {
            scheme,
            hint,
            message,
        } => {
            assert_eq!(scheme, "Kerberos");
            assert!(hint.unwrap_or_default().contains("KDC"), "{message}");
            // The HTTP server was never contacted.
            assert_eq!(t.round_trips(), 0);
        }
        other => panic!("expected an auth error, got {other:?}"),
    }
}

#[tokio::test]
async fn kdc_requests_are_length_framed_and_oversized_replies_refused() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let kdc = tokio::spawn(async move {
        let (mut sock, _) = listener.accept().await.unwrap();
        let len = sock.read_u32().await.unwrap() as usize;
        let mut req = vec![0u8; len];
        sock.read_exact(&mut req).await.unwrap();
        // Announce a reply far larger than any KDC sends.
        sock.write_all(&u32::MAX.to_be_bytes()).await.unwrap();
        req
    });
    let (http, _server) = endpoint().await;
    let mut t = Transport::new(kerberos_opts(http, format!("tcp://127.0.0.1:{port}"))).unwrap();
    let err = t.post(b"x").await.unwrap_err();
    assert!(matches!(err, TransportError::Auth { .. }), "{err:?}");
    let req = kdc.await.unwrap();
    // An AS-REQ: [APPLICATION 10] (0x6a), naming the client and the realm.
    assert_eq!(req.first(), Some(&0x6a));
    assert!(req.windows(5).any(|w| w == b"alice"));
    assert!(req.windows(9).any(|w| w == b"CORP.TEST"));
    assert!(
        !req.windows(15).any(|w| w == b"alice@CORP.TEST"),
        "the client name must be a principal, not an enterprise name"
    );
}

#[tokio::test]
async fn a_silent_kdc_times_out() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let hold = tokio::spawn(async move {
        let (_sock, _) = listener.accept().await.unwrap();
        tokio::time::sleep(Duration::from_secs(30)).await;
    });
    let (http, _server) = endpoint().await;
    let mut o = kerberos_opts(http, format!("tcp://127.0.0.1:{port}"));
    o.timeouts.read = Duration::from_millis(200);
    let mut t = Transport::new(o).unwrap();
    let err = t.post(b"x").await.unwrap_err();
    assert!(
        matches!(
            err,
            TransportError::Timeout {
                phase: TimeoutPhase::Kdc
            }
        ),
        "{err:?}"
    );
    hold.abort();
}

#[test]
fn post_future_is_send() {
    fn assert_send<T: Send>(_: &T) {}
    let mut t = Transport::new(kerberos_opts(1, "tcp://127.0.0.1:1".into())).unwrap();
    let fut = t.post(b"x");
    assert_send(&fut);
}
