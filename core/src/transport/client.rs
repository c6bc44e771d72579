//! The transport a WS-Management client posts SOAP envelopes through: it connects, authenticates,
//! seals and unseals, keeps cookies, and reconnects and re-authenticates when the connection
//! drops between requests.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::header;

use super::address::{self, IpOrder, ResolveOverride};
use super::auth::{self, AuthMethod, Credentials, KerberosSettings, SecurityContext};
use super::auth_header::{self, Scheme};
use super::connection::{self, Connection, ReadLimits, Response, SendFailure, TlsSetup};
use super::cookies::CookieJar;
use super::encryption::{self, SealProtocol};
use super::error::{TimeoutPhase, TransportError};
use super::handshake::{self, ClientHandshake};
use super::kerberos;
use super::logon::{self, Legs, Logon, LogonFailure};
use super::tls::{self, SeenCert, TlsOptions};
use crate::option_table;

/// Time limits of the transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// Per address for the TCP connect, and again for the TLS handshake.
    pub connect: Duration,
    /// One HTTP exchange: from sending the request to the last byte of the response, head
    /// and body together; also one KDC round trip. Keep it above the WS-Management
    /// OperationTimeout of Receive requests.
    pub read: Duration,
    /// The whole [`Transport::post`] call, including reconnecting; `None` for no limit
    /// (`request_timeout` in every binding).
    pub request: Option<Duration>,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            connect: option_table::DEFAULT_CONNECT_TIMEOUT,
            read: option_table::DEFAULT_READ_TIMEOUT,
            request: None,
        }
    }
}

/// Everything needed to reach and authenticate to a WinRM endpoint.
#[derive(Debug, Clone)]
pub struct TransportOptions {
    /// `http(s)://host[:port]/path`, e.g. `http://ex01.corp.example/PowerShell/` or
    /// `https://[fd00::5]:5986/wsman`.
    pub url: String,
    /// How to authenticate.
    pub auth: AuthMethod,
    /// User and password.
    pub credentials: Credentials,
    /// Certificate checks for HTTPS.
    pub tls: TlsOptions,
    /// Order in which resolved addresses are tried.
    pub ip_order: IpOrder,
    /// Fixed addresses for some `host:port` pairs.
    pub resolve_overrides: Vec<ResolveOverride>,
    /// Kerberos KDC (`tcp://host:port`, or a KDC proxy `https://host/KdcProxy` whose
    /// certificate is checked against the system roots and [`TlsOptions::ca_file`]); otherwise
    /// the realm's `kdc` in `krb5.conf` (`KRB5_CONFIG` or `/etc/krb5.conf`), otherwise DNS SRV
    /// records.
    pub kdc: Option<String>,
    /// Kerberos realm of the user's account (`CORP.EXAMPLE`); otherwise `krb5.conf`'s
    /// `default_realm`, otherwise found in DNS. A user `name@suffix` whose suffix is not this
    /// realm (an alternative UPN suffix) is sent as an NT-ENTERPRISE name to it.
    pub realm: Option<String>,
    /// DNS servers for KDC discovery (`_kerberos._tcp.<realm>` SRV records) when neither `kdc`
    /// nor `krb5.conf` names one; empty means those of `/etc/resolv.conf`.
    pub dns_servers: Vec<SocketAddr>,
    /// Service principal name instead of `HTTP/<host>`.
    pub spn_override: Option<String>,
    /// Over plain HTTP, send NTLM/Kerberos-authenticated messages without sealing them (the
    /// server must have AllowUnencrypted). Off by default.
    pub allow_unencrypted: bool,
    /// Allow Basic authentication over plain HTTP, which exposes the password. Off by default.
    pub allow_basic_over_http: bool,
    /// Time limits.
    pub timeouts: Timeouts,
}

impl TransportOptions {
    /// Options with defaults for everything but the endpoint, method and credentials.
    pub fn new(url: impl Into<String>, auth: AuthMethod, credentials: Credentials) -> Self {
        Self {
            url: url.into(),
            auth,
            credentials,
            tls: TlsOptions::default(),
            ip_order: IpOrder::default(),
            resolve_overrides: Vec::new(),
            kdc: None,
            realm: None,
            dns_servers: Vec::new(),
            spn_override: None,
            allow_unencrypted: false,
            allow_basic_over_http: false,
            timeouts: Timeouts::default(),
        }
    }
}

/// The parts of the endpoint URL.
#[derive(Debug, Clone)]
pub(crate) struct Endpoint {
    pub(crate) https: bool,
    /// Host as written, IPv6 literals without brackets.
    pub(crate) host: String,
    pub(crate) port: u16,
    /// Value of the `Host` header.
    pub(crate) authority: String,
    pub(crate) path: String,
}

pub(crate) fn parse_url(url: &str) -> Result<Endpoint, TransportError> {
    let uri: hyper::Uri = url
        .parse()
        .map_err(|e| TransportError::Config(format!("URL `{url}`: {e}")))?;
    let https = match uri.scheme_str() {
        Some(s) if s.eq_ignore_ascii_case("https") => true,
        Some(s) if s.eq_ignore_ascii_case("http") => false,
        _ => {
            return Err(TransportError::Config(format!(
                "URL `{url}` must start with http:// or https://"
            )));
        }
    };
    let host = uri
        .host()
        .filter(|h| !h.is_empty())
        .ok_or_else(|| TransportError::Config(format!("URL `{url}` has no host")))?;
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    let default_port = if https { 443 } else { 80 };
    let port = uri.port_u16().unwrap_or(default_port);
    let host_part = if host.contains(':') {
        format!("[{host}]")
    } else {
        host.clone()
    };
    let authority = if port == default_port {
        host_part
    } else {
        format!("{host_part}:{port}")
    };
    let path = uri
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| "/".to_owned());
    Ok(Endpoint {
        https,
        host,
        port,
        authority,
        path,
    })
}

/// An authenticated connection and what it needs for the next request.
struct Session {
    conn: Connection,
    context: Option<SecurityContext>,
    /// Set when bodies are sealed on this connection.
    seal: Option<SealProtocol>,
    /// The scheme the connection authenticated with.
    scheme: Scheme,
}

/// A WS-Management HTTP transport bound to one endpoint and one identity.
///
/// Calls are sequential (`&mut self`): the security context and its sequence numbers belong to
/// one connection, so requests cannot overlap.
pub struct Transport {
    opts: TransportOptions,
    endpoint: Endpoint,
    tls: Option<(Arc<rustls::ClientConfig>, SeenCert)>,
    session: Option<Session>,
    cookies: CookieJar,
    round_trips: u64,
    basic_header: Option<zeroize::Zeroizing<String>>,
    /// The KDC found through krb5.conf or DNS, kept across reconnections.
    /// The largest response body accepted.
    response_limit: usize,
    /// Set while a [`Transport::post`] runs: still set at the next call, the previous one was
    /// dropped half-way and the connection is out of step.
    in_flight: bool,
    kerberos: Option<KerberosSettings>,
}

/// Bytes a sealed body adds to the envelope inside it (MIME parts, signature, padding), with
/// room for HTTP error pages, which are not envelopes.
pub const RESPONSE_OVERHEAD: usize = 64 * 1024;

/// The most bytes of a clear (unsealed) body read on a connection that seals, to show the
/// administrator what the server (or whoever answered instead) said.
pub const UNSEALED_TEXT_LIMIT: usize = 4 * 1024;

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transport")
            .field("url", &self.opts.url)
            .field("auth", &self.opts.auth)
            .field("connected", &self.session.is_some())
            .field("round_trips", &self.round_trips)
            .finish()
    }
}

impl Transport {
    /// Checks the options and prepares the TLS configuration; no connection is made yet.
    pub fn new(opts: TransportOptions) -> Result<Self, TransportError> {
        let endpoint = parse_url(&opts.url)?;
        if opts.auth == AuthMethod::Basic && !endpoint.https && !opts.allow_basic_over_http {
            return Err(TransportError::Auth {
                scheme: Scheme::Basic.as_str().to_owned(),
                message: "refused over plain HTTP: the password would travel in clear text"
                    .to_owned(),
                hint: Some(
                    "use an https:// URL, or set allow_basic_over_http if the network is trusted"
                        .to_owned(),
                ),
            });
        }
        if opts.credentials.keytab.is_some()
            && matches!(opts.auth, AuthMethod::Basic | AuthMethod::Ntlm)
        {
            return Err(TransportError::Config(
                "a keytab logs on with Kerberos only: use the kerberos or negotiate authentication"
                    .to_owned(),
            ));
        }
        if matches!(opts.auth, AuthMethod::Kerberos) {
            kerberos::service_principal(&endpoint.host, opts.spn_override.as_deref()).map_err(
                |e| TransportError::Auth {
                    scheme: Scheme::Kerberos.as_str().to_owned(),
                    message: e.to_string(),
                    hint: Some("Kerberos tickets name hosts, not addresses".to_owned()),
                },
            )?;
        }
        let tls = if endpoint.https {
            Some(tls::client_config(&opts.tls)?)
        } else {
            None
        };
        let basic_header = (opts.auth == AuthMethod::Basic).then(|| {
            auth_header::basic_authorization(&opts.credentials.username, &opts.credentials.password)
        });
        Ok(Self {
            opts,
            endpoint,
            tls,
            session: None,
            cookies: CookieJar::default(),
            round_trips: 0,
            basic_header,
            response_limit: response_limit(crate::wsman::DEFAULT_MAX_ENVELOPE_SIZE),
            in_flight: false,
            kerberos: None,
        })
    }

    /// Sets the MaxEnvelopeSize the requests carry: responses larger than it plus
    /// [`RESPONSE_OVERHEAD`] fail with [`TransportError::ResponseTooLarge`]. Until it is set,
    /// the size a client proposes before the runspace pool negotiates (153600 bytes) applies.
    pub fn set_max_envelope_size(&mut self, bytes: u32) {
        self.response_limit = response_limit(usize::try_from(bytes).unwrap_or(usize::MAX));
    }

    /// The largest response body accepted now.
    pub fn response_limit(&self) -> usize {
        self.response_limit
    }

    /// HTTP requests sent so far, authentication legs included.
    pub fn round_trips(&self) -> u64 {
        self.round_trips
    }

    /// The address of the current connection, if connected.
    pub fn peer_addr(&self) -> Option<SocketAddr> {
        self.session.as_ref().map(|s| s.conn.peer)
    }

    /// Whether bodies are sealed on the current connection.
    pub fn is_sealing(&self) -> bool {
        self.session.as_ref().is_some_and(|s| s.seal.is_some())
    }

    /// Drops the connection; the next request reconnects and authenticates again.
    pub fn disconnect(&mut self) {
        self.session = None;
    }

    /// Posts one SOAP envelope and returns the SOAP response body, unsealed. A response with
    /// HTTP 500 is returned as a body too: it carries a SOAP fault for the WS-Management layer.
    ///
    /// On a connection that seals, a clear answer is never returned as a body: at most its
    /// first [`UNSEALED_TEXT_LIMIT`] bytes are read, into [`TransportError::UnsealedReply`].
    pub async fn post(&mut self, soap: &[u8]) -> Result<Vec<u8>, TransportError> {
        if std::mem::replace(&mut self.in_flight, true) {
            tracing::debug!("the previous request was abandoned; reconnecting");
            self.session = None;
        }
        let result = self.post_limited(soap).await;
        self.in_flight = false;
        result
    }

    async fn post_limited(&mut self, soap: &[u8]) -> Result<Vec<u8>, TransportError> {
        match self.opts.timeouts.request {
            Some(limit) => tokio::time::timeout(limit, self.post_inner(soap))
                .await
                .map_err(|_| {
                    // The context's sequence numbers may be out of step now.
                    self.session = None;
                    TransportError::Timeout {
                        phase: TimeoutPhase::Operation,
                    }
                })?,
            None => self.post_inner(soap).await,
        }
    }

    async fn post_inner(&mut self, soap: &[u8]) -> Result<Vec<u8>, TransportError> {
        let mut retried = false;
        loop {
            // Let the connection task notice a close the server sent while we were idle.
            tokio::task::yield_now().await;
            if self.session.as_ref().is_some_and(|s| s.conn.is_closed()) {
                tracing::debug!("connection closed by the server; reconnecting");
                self.session = None;
            }
            let fresh = self.session.is_none();
            if fresh {
                let session = self.establish().await?;
                self.session = Some(session);
            }
            match self.send_soap(soap).await {
                Ok(resp)
                    if resp.status == 401 && !retried && !fresh && self.basic_header.is_none() =>
                {
                    // The server forgot the context (e.g. an application pool recycle).
                    tracing::debug!("401 on an authenticated connection; authenticating again");
                    self.session = None;
                    retried = true;
                }
                Ok(resp) => return self.finish(resp),
                Err(SendFailure::NotSent(reason)) if !retried && !fresh => {
                    tracing::debug!(%reason, "connection closed before the request was sent; reconnecting");
                    self.session = None;
                    retried = true;
                }
                Err(SendFailure::NotSent(reason)) => {
                    self.session = None;
                    return Err(TransportError::Io(reason));
                }
                Err(SendFailure::Lost(reason)) => {
                    // Replaying could run a WS-Management command twice; the next call reconnects.
                    self.session = None;
                    return Err(TransportError::Io(format!(
                        "connection lost after the request was sent (the server may have processed it): {reason}"
                    )));
                }
                Err(SendFailure::Fatal(e)) => {
                    self.session = None;
                    return Err(e);
                }
            }
        }
    }

    fn finish(&mut self, resp: Response) -> Result<Vec<u8>, TransportError> {
        if resp.status == 401 {
            let scheme = self.session.as_ref().map_or(Scheme::Basic, |s| s.scheme);
            let sent_cbt = self
                .session
                .as_ref()
                .is_some_and(|s| s.conn.channel_binding.is_some() && s.context.is_some());
            self.session = None;
            let refused = handshake::refusal(
                scheme,
                resp.header_values("www-authenticate"),
                self.endpoint.https && !sent_cbt,
            );
            return Err(refused.into());
        }
        let content_type = resp
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let sealed_as = content_type
            .as_deref()
            .and_then(SealProtocol::from_content_type);
        if self.is_sealing() && sealed_as.is_none() && resp.status >= 400 {
            return Err(self.untrusted(resp));
        }
        let session = self.session.as_mut();
        let body = match (sealed_as, session) {
            (
                Some(proto),
                Some(Session {
                    context: Some(ctx),
                    seal: Some(expected),
                    ..
                }),
            ) => {
                if proto != *expected {
                    return Err(TransportError::Sealing(
                        super::error::SealingError::WrongProtocol {
                            expected: expected.mime().to_owned(),
                            found: proto.mime().to_owned(),
                        },
                    ));
                }
                encryption::unseal_body(ctx, proto, &resp.body)
                    .inspect_err(|_| self.session = None)?
            }
            (Some(_), _) => {
                return Err(TransportError::Sealing(super::error::SealingError::Crypto(
                    "the server sent a sealed body on a connection without sealing".to_owned(),
                )));
            }
            (None, Some(Session { seal: Some(_), .. })) if !resp.body.is_empty() => {
                // A clear body where a sealed one is due could be injected by the network.
                self.session = None;
                return Err(TransportError::Sealing(
                    super::error::SealingError::MissingBoundary,
                ));
            }
            (None, _) => resp.body,
        };
        match resp.status {
            200..=299 => Ok(body),
            // WinRM sends its SOAP faults with 500; a 500 without an envelope is IIS or the
            // application pool failing, which the caller must see as an HTTP error.
            500 if is_soap_fault(content_type.as_deref(), &body) => Ok(body),
            status => Err(TransportError::Http { status, body }),
        }
    }

    /// A clear error answer on a connection that seals: the network may have put it there,
    /// so only its text is kept, for the administrator, and the connection is dropped (the
    /// real answer may still be on its way).
    fn untrusted(&mut self, resp: Response) -> TransportError {
        self.session = None;
        if resp.body.is_empty() {
            // Nothing to trust or distrust: IIS failing, as without sealing.
            return TransportError::Http {
                status: resp.status,
                body: resp.body,
            };
        }
        TransportError::UnsealedReply {
            status: resp.status,
            text: crate::server_text::without_markup(&resp.body),
            cut: resp.cut,
        }
    }

    fn base_request(
        &self,
        body: Vec<u8>,
        content_type: Option<String>,
    ) -> Result<hyper::Request<Full<Bytes>>, TransportError> {
        let mut builder = hyper::Request::post(self.endpoint.path.as_str())
            .header(header::HOST, self.endpoint.authority.as_str())
            .header(header::ACCEPT_ENCODING, "identity")
            .header(
                header::USER_AGENT,
                concat!("monosync-exchange/", env!("CARGO_PKG_VERSION")),
            )
            .header(header::CONTENT_LENGTH, body.len());
        if let Some(ct) = content_type {
            builder = builder.header(header::CONTENT_TYPE, ct);
        }
        if let Some(cookie) = self.cookies.header(&self.endpoint.host) {
            builder = builder.header(header::COOKIE, cookie);
        }
        builder
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| TransportError::Config(format!("cannot build the request: {e}")))
    }

    fn keep_cookies(&mut self, resp: &Response) {
        self.cookies
            .store_all(&self.endpoint.host, resp.header_values("set-cookie"));
    }

    async fn send_soap(&mut self, soap: &[u8]) -> Result<Response, SendFailure> {
        let seal = self.session.as_ref().and_then(|s| s.seal);
        let (body, content_type) = match seal {
            Some(proto) => {
                let ctx = self
                    .session
                    .as_mut()
                    .and_then(|s| s.context.as_mut())
                    .ok_or_else(|| {
                        SendFailure::Fatal(TransportError::Config(
                            "sealing without a context".to_owned(),
                        ))
                    })?;
                let sealed = encryption::seal_body(ctx, proto, soap)
                    .map_err(|e| SendFailure::Fatal(TransportError::Sealing(e)))?;
                (sealed, proto.content_type())
            }
            None => (
                soap.to_vec(),
                "application/soap+xml;charset=UTF-8".to_owned(),
            ),
        };
        let mut req = self
            .base_request(body, Some(content_type))
            .map_err(SendFailure::Fatal)?;
        if let Some(basic) = &self.basic_header {
            let mut value = header::HeaderValue::from_str(basic).map_err(|_| {
                SendFailure::Fatal(TransportError::Config(
                    "user name or password has characters HTTP cannot carry".to_owned(),
                ))
            })?;
            value.set_sensitive(true);
            req.headers_mut().insert(header::AUTHORIZATION, value);
        }
        let read = self.opts.timeouts.read;
        let limits = ReadLimits {
            body: self.response_limit,
            clear: seal.map(|_| UNSEALED_TEXT_LIMIT),
        };
        let session = self
            .session
            .as_mut()
            .ok_or_else(|| SendFailure::NotSent("no connection".to_owned()))?;
        self.round_trips += 1;
        let resp = session.conn.send(req, read, limits).await?;
        self.keep_cookies(&resp);
        Ok(resp)
    }

    async fn establish(&mut self) -> Result<Session, TransportError> {
        let addrs = address::resolve(
            &self.endpoint.host,
            self.endpoint.port,
            self.opts.ip_order,
            &self.opts.resolve_overrides,
        )
        .await?;
        let tls = self.tls.as_ref().map(|(config, seen)| TlsSetup {
            config: config.clone(),
            seen,
        });
        let mut conn =
            connection::open(&addrs, &self.endpoint.host, tls, self.opts.timeouts.connect).await?;
        tracing::debug!(peer = %conn.peer, "connected");
        if self.opts.auth == AuthMethod::Basic {
            return Ok(Session {
                conn,
                context: None,
                seal: None,
                scheme: Scheme::Basic,
            });
        }
        let (context, scheme) = self
            .authenticate(&mut conn)
            .await
            .map_err(|e| e.naming_method(self.opts.auth))?;
        let seal = (!self.endpoint.https && !self.opts.allow_unencrypted).then_some(match scheme {
            Scheme::Kerberos => SealProtocol::Kerberos,
            _ => SealProtocol::Spnego,
        });
        Ok(Session {
            conn,
            context: Some(context),
            seal,
            scheme,
        })
    }

    pub(crate) fn client_name() -> String {
        std::env::var("HOSTNAME")
            .ok()
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "monosync-exchange".to_owned())
    }

    async fn authenticate(
        &mut self,
        conn: &mut Connection,
    ) -> Result<(SecurityContext, Scheme), TransportError> {
        let settings = match &self.kerberos {
            Some(s) => s.clone(),
            None => {
                let s = auth::kerberos_settings(&self.opts, &self.endpoint.host).await;
                self.kerberos = Some(s.clone());
                s
            }
        };
        let target = match kerberos::service_principal(
            &self.endpoint.host,
            settings.spn_override.as_deref(),
        ) {
            Ok(spn) => spn,
            // NTLM does not need an SPN; the name only labels the target.
            Err(_) => format!("HTTP/{}", self.endpoint.host),
        };
        let channel_binding = conn.channel_binding.clone();
        let handshake = ClientHandshake::new(
            self.opts.auth,
            self.endpoint.https,
            channel_binding.is_some(),
        );
        let credentials = self.opts.credentials.clone();
        let client_name = Self::client_name();
        let logon = Logon {
            credentials: &credentials,
            settings: &settings,
            target: &target,
            channel_binding: channel_binding.as_deref(),
            client_name: &client_name,
            kdc_timeout: settings.kdc_timeout,
        };
        logon::log_on(
            handshake,
            &logon,
            &mut AuthLegs {
                transport: self,
                conn,
            },
        )
        .await
        .map_err(LogonFailure::into_error)
    }
}

/// The authentication requests of a [`Transport`]: empty POSTs with its headers and cookies.
struct AuthLegs<'a> {
    transport: &'a mut Transport,
    conn: &'a mut Connection,
}

impl Legs for AuthLegs<'_> {
    async fn send(&mut self, authorization: String) -> Result<Response, TransportError> {
        let t = &mut *self.transport;
        let mut req = t.base_request(Vec::new(), None)?;
        let mut value = header::HeaderValue::from_str(&authorization)
            .map_err(|e| TransportError::Config(e.to_string()))?;
        value.set_sensitive(true);
        req.headers_mut().insert(header::AUTHORIZATION, value);
        t.round_trips += 1;
        let limits = ReadLimits {
            body: t.response_limit,
            clear: None,
        };
        let resp = match self.conn.send(req, t.opts.timeouts.read, limits).await {
            Ok(r) => r,
            Err(SendFailure::Lost(reason) | SendFailure::NotSent(reason)) => {
                return Err(TransportError::Io(reason));
            }
            Err(SendFailure::Fatal(e)) => return Err(e),
        };
        t.keep_cookies(&resp);
        Ok(resp)
    }
}

/// The largest response body accepted for a MaxEnvelopeSize.
pub(crate) fn response_limit(max_envelope_size: usize) -> usize {
    max_envelope_size.saturating_add(RESPONSE_OVERHEAD)
}

/// Whether an HTTP 500 answer is a SOAP fault for the WS-Management layer, as WinRM sends
/// them: an XML content type (the sealed body's inner one once unsealed) and an envelope of
/// any prefix. A text or HTML page that merely mentions an envelope is an HTTP error.
fn is_soap_fault(content_type: Option<&str>, body: &[u8]) -> bool {
    let xml = content_type.is_none_or(|ct| {
        let media = ct.split(';').next().unwrap_or_default().trim();
        ["application/soap+xml", "application/xml", "text/xml"]
            .iter()
            .any(|m| media.eq_ignore_ascii_case(m))
            || SealProtocol::from_content_type(ct).is_some()
    });
    xml && carries_envelope(body)
}

/// Whether a body holds a SOAP envelope (of any prefix).
fn carries_envelope(body: &[u8]) -> bool {
    body.windows(b"Envelope".len()).any(|w| w == b"Envelope")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_500_counts_as_a_fault_only_with_an_envelope() {
        assert!(carries_envelope(
            b"<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\"><s:Body/></s:Envelope>"
        ));
        assert!(!carries_envelope(b""));
        let fault = b"<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\"/>";
        assert!(is_soap_fault(
            Some("application/soap+xml;charset=UTF-8"),
            fault
        ));
        assert!(is_soap_fault(None, fault));
        assert!(is_soap_fault(
            Some(&SealProtocol::Spnego.content_type()),
            fault
        ));
        assert!(!is_soap_fault(Some("text/plain"), fault));
        assert!(!is_soap_fault(Some("text/html; charset=utf-8"), fault));
        assert!(!carries_envelope(
            b"<html><body>Server Error in '/' Application.</body></html>"
        ));
    }

    #[test]
    fn parses_urls() {
        let e = parse_url("http://EX01.corp.test/PowerShell/").unwrap();
        assert!(!e.https);
        assert_eq!(
            (
                e.host.as_str(),
                e.port,
                e.authority.as_str(),
                e.path.as_str()
            ),
            ("EX01.corp.test", 80, "EX01.corp.test", "/PowerShell/")
        );
        let e = parse_url("https://[fd00::5]:5986/wsman").unwrap();
        assert!(e.https);
        assert_eq!(
            (
                e.host.as_str(),
                e.port,
                e.authority.as_str(),
                e.path.as_str()
            ),
            ("fd00::5", 5986, "[fd00::5]:5986", "/wsman")
        );
        assert!(parse_url("ftp://x/").is_err());
        assert!(parse_url("/relative").is_err());
    }

    #[test]
    fn basic_over_http_is_refused_with_a_way_out() {
        let opts = TransportOptions::new(
            "http://h/wsman",
            AuthMethod::Basic,
            Credentials::new("u", "p"),
        );
        let err = Transport::new(opts.clone()).unwrap_err();
        assert!(err.to_string().contains("allow_basic_over_http"), "{err}");
        let opts = TransportOptions {
            allow_basic_over_http: true,
            ..opts
        };
        assert!(Transport::new(opts).is_ok());
    }

    #[test]
    fn kerberos_to_an_ip_is_refused() {
        let opts = TransportOptions::new(
            "http://10.0.0.1/wsman",
            AuthMethod::Kerberos,
            Credentials::new("u@R", "p"),
        );
        let err = Transport::new(opts).unwrap_err();
        assert!(matches!(err, TransportError::Auth { .. }));
        assert!(
            err.to_string().contains("FQDN") || err.to_string().contains("fully qualified"),
            "{err}"
        );
    }
}
