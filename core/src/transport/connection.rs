//! One HTTP/1.1 connection that the transport owns: TCP (tried on every address in turn), TLS
//! when the endpoint is HTTPS, and hyper's connection-level client on top. Never a pooled
//! client: NTLM and Kerberos contexts are bound to a single TCP connection.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::body::{Body as _, Incoming};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use rustls_pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::task::JoinHandle;

use super::cbt;
use super::encryption::SealProtocol;
use super::error::{TimeoutPhase, TransportError};
use super::tls::{SeenCert, explain_handshake_error};

trait Io: AsyncRead + AsyncWrite + Send + Unpin {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin> Io for T {}

/// A response read in full (or, for a clear body on a sealed connection, its first bytes).
#[derive(Debug)]
pub(crate) struct Response {
    pub(crate) status: u16,
    pub(crate) headers: hyper::HeaderMap,
    pub(crate) body: Vec<u8>,
    /// The body was cut at [`ReadLimits::clear`]; the connection cannot serve another request.
    pub(crate) cut: bool,
}

/// How much of a response is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ReadLimits {
    /// The largest body accepted; a larger one fails the request.
    pub(crate) body: usize,
    /// On a connection that seals, a body that is not `multipart/encrypted` cannot be trusted:
    /// only this many of its bytes are read, for the administrator's diagnostics.
    pub(crate) clear: Option<usize>,
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

    /// Sends a request and reads the response, head and body together within `deadline`,
    /// so that a server sending a byte at a time cannot hold the request longer.
    pub(crate) async fn send(
        &mut self,
        request: hyper::Request<Full<Bytes>>,
        deadline: Duration,
        limits: ReadLimits,
    ) -> Result<Response, SendFailure> {
        let exchange = async {
            if self.sender.ready().await.is_err() {
                return Err(SendFailure::NotSent("connection closed".to_owned()));
            }
            let response = self.sender.send_request(request).await.map_err(|e| {
                if e.is_canceled() {
                    SendFailure::NotSent(e.to_string())
                } else if e.is_parse() {
                    // Head too large, too many headers, not HTTP: a broken or hostile peer.
                    SendFailure::Fatal(TransportError::MalformedHttp(e.to_string()))
                } else {
                    SendFailure::Lost(e.to_string())
                }
            })?;
            let (parts, body) = response.into_parts();
            let sealed = parts
                .headers
                .get(hyper::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .and_then(SealProtocol::from_content_type)
                .is_some();
            let (body, cut) = match limits.clear.filter(|_| !sealed) {
                Some(keep) => read_prefix(body, keep).await?,
                None => (read_body(body, limits.body).await?, false),
            };
            Ok(Response {
                status: parts.status.as_u16(),
                headers: parts.headers,
                body,
                cut,
            })
        };
        let response = tokio::time::timeout(deadline, exchange)
            .await
            .map_err(|_| {
                SendFailure::Fatal(TransportError::Timeout {
                    phase: TimeoutPhase::Read,
                })
            })??;
        self.served += 1;
        Ok(response)
    }
}

/// Reads a whole body into one buffer, refusing it as soon as it is known to exceed `max`:
/// from its `Content-Length` before reading, or when the bytes read pass it.
async fn read_body(mut body: Incoming, max: usize) -> Result<Vec<u8>, SendFailure> {
    let too_large = |declared: Option<u64>| {
        SendFailure::Fatal(TransportError::ResponseTooLarge {
            limit: max,
            declared,
        })
    };
    let declared = body.size_hint().exact();
    if let Some(n) = declared
        && n > max as u64
    {
        return Err(too_large(Some(n)));
    }
    let mut out = Vec::with_capacity(declared.map_or(0, |n| n as usize));
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| {
            SendFailure::Fatal(TransportError::Io(format!(
                "reading the response body: {e}"
            )))
        })?;
        if let Ok(data) = frame.into_data() {
            if data.len() > max - out.len() {
                return Err(too_large(declared));
            }
            out.extend_from_slice(&data);
        }
    }
    Ok(out)
}

/// Reads at most `keep` bytes of a body; the rest is left unread. Returns whether bytes were
/// left.
async fn read_prefix(mut body: Incoming, keep: usize) -> Result<(Vec<u8>, bool), SendFailure> {
    let mut out = Vec::new();
    while let Some(frame) = body.frame().await {
        let Ok(frame) = frame else {
            // Diagnostics only: a broken body still leaves what was read.
            return Ok((out, true));
        };
        if let Ok(data) = frame.into_data() {
            let room = keep - out.len();
            if data.len() >= room {
                out.extend_from_slice(data.get(..room).unwrap_or_default());
                return Ok((out, data.len() > room || !body.is_end_stream()));
            }
            out.extend_from_slice(&data);
        }
    }
    Ok((out, false))
}
