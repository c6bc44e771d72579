//! On a connection that seals its messages, a clear answer is never trusted. A proxy between
//! the client and mx-sim (NTLM over plain HTTP, so every body is sealed) swaps one sealed
//! answer for an unsealed HTTP 500 carrying a crafted WS-Management envelope, as anyone on the
//! path could. The session must report an untrusted transport error, without reading the
//! envelope as a fault, and go on as if nothing had happened.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use monosync_exchange::exchange::{Command, ErrorKind, Session, SessionError, SessionOptions};
use monosync_exchange::psrp::RunspacePoolState;
use monosync_exchange::transport::{AuthMethod, Credentials, TransportError};
use monosync_exchange::wsman::{ResponseHeader, WsManFault};
use mx_sim::{Server, SimConfig};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

/// What the crafted envelope says: a quota fault that, were it believed, would make the
/// caller back off as throttled.
const CRAFTED: &str = "crafted by the network: the shell quota is exhausted";

/// Reads one HTTP/1.1 message with a `Content-Length` body (what the client and mx-sim send).
async fn read_message(stream: &mut TcpStream) -> Option<Vec<u8>> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    let end = loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break end + 4;
        }
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    while buf.len() < end + length {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    Some(buf)
}

/// A proxy to `upstream`; while `armed`, the next answer to a sealed request is replaced.
struct Proxy {
    port: u16,
    armed: Arc<AtomicBool>,
    injected: Arc<AtomicUsize>,
}

async fn proxy(upstream: std::net::SocketAddr) -> Proxy {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let armed = Arc::new(AtomicBool::new(false));
    let injected = Arc::new(AtomicUsize::new(0));
    let (a, i) = (armed.clone(), injected.clone());
    tokio::spawn(async move {
        while let Ok((mut client, _)) = listener.accept().await {
            let (armed, injected) = (a.clone(), i.clone());
            tokio::spawn(async move {
                let Ok(mut server) = TcpStream::connect(upstream).await else {
                    return;
                };
                while let Some(request) = read_message(&mut client).await {
                    if server.write_all(&request).await.is_err() {
                        return;
                    }
                    let Some(answer) = read_message(&mut server).await else {
                        return;
                    };
                    let sealed = String::from_utf8_lossy(&request).contains("multipart/encrypted");
                    let answer = if sealed && armed.swap(false, Ordering::SeqCst) {
                        injected.fetch_add(1, Ordering::SeqCst);
                        crafted_500()
                    } else {
                        answer
                    };
                    if client.write_all(&answer).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    Proxy {
        port,
        armed,
        injected,
    }
}

fn crafted_500() -> Vec<u8> {
    let mut fault = WsManFault::shell_quota_exceeded(5, "EX01");
    fault.message = Some(CRAFTED.to_owned());
    let body = fault.to_xml(&ResponseHeader::default());
    let mut out = format!(
        "HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/soap+xml;charset=UTF-8\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(&body);
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unsealed_500_on_a_sealed_session_changes_nothing_but_the_error() {
    let server = Server::start(SimConfig::default()).expect("server");
    let proxy = proxy(server.addr()).await;
    let url = format!("http://127.0.0.1:{}/PowerShell/", proxy.port);
    let options = SessionOptions::exchange(
        url,
        AuthMethod::Ntlm,
        Credentials::new("CONTOSO\\Administrator", "P@ssw0rd!"),
    );
    let mut session = Session::connect(options).await.expect("connect");
    let shell = session.shell_id();
    let get = || Command::new("Get-Mailbox").param("Identity", "justin.martin");
    let before = session.invoke(get()).await.expect("a command before");
    assert_eq!(before.output.len(), 1);

    proxy.armed.store(true, Ordering::SeqCst);
    let err = session
        .invoke(get())
        .await
        .expect_err("the injected answer");
    assert_eq!(proxy.injected.load(Ordering::SeqCst), 1);
    let transport = match &err {
        SessionError::Transport(t) => t,
        SessionError::OutcomeUnknown(inner) => match inner.as_ref() {
            SessionError::Transport(t) => t,
            other => panic!("expected a transport error, got {other:?}"),
        },
        other => panic!("expected a transport error, got {other:?}"),
    };
    assert!(
        matches!(transport, TransportError::UnsealedReply { status: 500, .. }),
        "{transport:?}"
    );
    // The envelope was not read: no fault, not throttled; its text is there for the admin.
    assert!(err.fault().is_none());
    assert_eq!(err.server_code(), None);
    assert_eq!(err.kind(), ErrorKind::Protocol, "{err}");
    assert!(err.to_string().contains("not trusted"), "{err}");
    assert!(err.to_string().contains(CRAFTED), "{err}");

    // The session goes on, in the same shell, with the same pool.
    assert_eq!(session.shell_id(), shell);
    assert_eq!(session.pool().state(), RunspacePoolState::Opened);
    let after = session.invoke(get()).await.expect("a command after");
    assert_eq!(after.output.len(), 1);
    session.close().await.expect("close");
}
