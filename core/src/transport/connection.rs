//! One HTTP/1.1 connection that the transport owns: TCP (tried on every address in turn), TLS
//! when the endpoint is HTTPS, and hyper's connection-level client on top. Never a pooled
//! client: NTLM and Kerberos contexts are bound to a single TCP connection.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use rustls_pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::task::JoinHandle;

use super::cbt;
use super::error::{TimeoutPhase, TransportError};
use super::tls::{SeenCert, explain_handshake_error};

/// Largest response body accepted, so a hostile server cannot exhaust memory.
const MAX_BODY: usize = 256 * 1024 * 1024;

trait Io: AsyncRead + AsyncWrite + Send + Unpin {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin> Io for T {}

/// A response read in full.
#[derive(Debug)]
pub(crate) struct Response {
    pub(crate) status: u16,
    pub(crate) headers: hyper::HeaderMap,
    pub(crate) body: Vec<u8>,
}

impl Response {
    pub(crate) fn header_values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
    }
}

/// Why sending on an open connection failed.
#[derive(Debug)]
pub(crate) enum SendFailure {
    /// The connection was closed before the request was written: it is safe to send it again
    /// on a new connection.
    NotSent(String),
    /// The connection failed after the request was (at least partly) written: the server may
    /// have processed it, so it must not be replayed blindly.
    Lost(String),
    /// A terminal error (timeout, oversized body).
    Fatal(TransportError),
}

/// An open HTTP connection.
pub(crate) struct Connection {
    sender: SendRequest<Full<Bytes>>,
    task: JoinHandle<()>,
    /// The address connected to.
    pub(crate) peer: SocketAddr,
    /// `tls-server-end-point` channel binding data, for HTTPS.
    pub(crate) channel_binding: Option<Vec<u8>>,
    /// Requests completed on this connection.
    pub(crate) served: u64,
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// TLS parameters of a connection attempt.
pub(crate) struct TlsSetup<'a> {
    pub(crate) config: Arc<rustls::ClientConfig>,
    pub(crate) seen: &'a SeenCert,
}

/// Connects to the first address that accepts, in order, then performs the TLS and HTTP/1.1
/// handshakes. Every failed address is reported.
pub(crate) async fn open(
    addrs: &[SocketAddr],
    host: &str,
    tls: Option<TlsSetup<'_>>,
    connect_timeout: Duration,
) -> Result<Connection, TransportError> {
    let mut attempts = Vec::new();
    let mut stream = None;
    for addr in addrs {
        match tokio::time::timeout(connect_timeout, TcpStream::connect(addr)).await {
            Ok(Ok(s)) => {
                stream = Some((s, *addr));
                break;
            }
            Ok(Err(e)) => {
                tracing::debug!(%addr, error = %e, "connect failed");
                attempts.push((*addr, e.to_string()));
            }
            Err(_) => {
                tracing::debug!(%addr, "connect timed out");
                attempts.push((*addr, format!("timed out after {connect_timeout:?}")));
            }
        }
    }
    let Some((tcp, peer)) = stream else {
        return Err(TransportError::Connect { attempts });
    };
    let _ = tcp.set_nodelay(true);
    let (io, channel_binding): (Box<dyn Io>, Option<Vec<u8>>) = match tls {
        None => (Box::new(tcp), None),
        Some(setup) => {
            let bare = host.trim_start_matches('[').trim_end_matches(']');
            let name = ServerName::try_from(bare.to_owned()).map_err(|e| {
                TransportError::Config(format!("host `{host}` is not a valid TLS name: {e}"))
            })?;
            let connector = tokio_rustls::TlsConnector::from(setup.config);
            let tls = tokio::time::timeout(connect_timeout, connector.connect(name, tcp))
                .await
                .map_err(|_| TransportError::Timeout {
                    phase: TimeoutPhase::TlsHandshake,
                })?
                .map_err(|e| explain_handshake_error(&e, bare, setup.seen))?;
            let cb = tls
                .get_ref()
                .1
                .peer_certificates()
                .and_then(|c| c.first())
                .map(|c| cbt::tls_server_end_point(c.as_ref()))
                .transpose()
                .map_err(|e| TransportError::Tls(e.to_string()))?;
            (Box::new(tls), cb)
        }
    };
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(io))
        .await
        .map_err(|e| TransportError::Io(format!("HTTP handshake with {peer}: {e}")))?;
    let task = tokio::spawn(async move {
        if let Err(e) = conn.await {
            tracing::debug!(error = %e, "HTTP connection ended");
        }
    });
    Ok(Connection {
        sender,
        task,
        peer,
        channel_binding,
        served: 0,
    })
}

impl Connection {
    /// Whether the server has closed the connection (or it failed).
    pub(crate) fn is_closed(&self) -> bool {
        self.sender.is_closed() || self.task.is_finished()
    }

    /// Sends a request and reads the whole response.
    pub(crate) async fn send(
        &mut self,
        request: hyper::Request<Full<Bytes>>,
        read_timeout: Duration,
    ) -> Result<Response, SendFailure> {
        self.send_bounded(request, read_timeout, MAX_BODY).await
    }

    /// Sends a request and reads the whole response, refusing a body over `max_body` bytes.
    pub(crate) async fn send_bounded(
        &mut self,
        request: hyper::Request<Full<Bytes>>,
        read_timeout: Duration,
        max_body: usize,
    ) -> Result<Response, SendFailure> {
        if self.sender.ready().await.is_err() {
            return Err(SendFailure::NotSent("connection closed".to_owned()));
        }
        let response = tokio::time::timeout(read_timeout, self.sender.send_request(request))
            .await
            .map_err(|_| {
                SendFailure::Fatal(TransportError::Timeout {
                    phase: TimeoutPhase::Read,
                })
            })?
            .map_err(|e| {
                if e.is_canceled() {
                    SendFailure::NotSent(e.to_string())
                } else {
                    SendFailure::Lost(e.to_string())
                }
            })?;
        let (parts, body) = response.into_parts();
        let limited = http_body_util::Limited::new(body, max_body.min(MAX_BODY));
        let body = tokio::time::timeout(read_timeout, limited.collect())
            .await
            .map_err(|_| {
                SendFailure::Fatal(TransportError::Timeout {
                    phase: TimeoutPhase::Read,
                })
            })?
            .map_err(|e| {
                SendFailure::Fatal(TransportError::Io(format!(
                    "reading the response body: {e}"
                )))
            })?
            .to_bytes()
            .to_vec();
        self.served += 1;
        Ok(Response {
            status: parts.status.as_u16(),
            headers: parts.headers,
            body,
        })
    }
}
