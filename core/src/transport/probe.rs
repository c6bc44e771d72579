//! Diagnostic probes of a WinRM endpoint, for tools that check a deployment rather than use it:
//! the server's certificate chain fetched without trusting it, the authentication schemes a 401
//! offers, a handshake with deliberately wrong channel bindings (does the server enforce
//! `CbtHardeningLevel`?), and a Kerberos service ticket for the endpoint's SPN.
//!
//! Each probe opens its own connection and drops it; none sends a WS-Management request. They
//! take the same [`TransportOptions`] as [`super::Transport`], so addresses, overrides, TLS
//! settings and the KDC are chosen the same way.

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::Full;
use hyper::header;
use rustls_pki_types::ServerName;
use sha2::Digest as _;
use tokio::net::TcpStream;
use x509_parser::prelude::{FromDer as _, X509Certificate};

use super::address;
use super::auth::{self, AuthMethod, KerberosSettings, SecurityContext};
use super::auth_header::{self, Challenge, Scheme};
use super::client::{self, Transport, TransportOptions};
use super::connection::{self, Connection, ReadLimits, Response, SendFailure, TlsSetup};
use super::error::{TimeoutPhase, TransportError};
use super::handshake::{ClientHandshake, HandshakeError};
use super::kdc_reply::KdcReply;
use super::kerberos::{self, KerberosUser};
use super::kerberos_error::KerberosError;
use super::logon::{self, Legs, Logon, LogonFailure};
use super::tls::{self, TlsOptions};

/// What a certificate says about itself, read without trusting it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateInfo {
    /// The DER encoding.
    pub der: Vec<u8>,
    /// The subject's distinguished name.
    pub subject: String,
    /// The issuer's distinguished name.
    pub issuer: String,
    /// notBefore, seconds since the Unix epoch.
    pub not_before: i64,
    /// notAfter, seconds since the Unix epoch.
    pub not_after: i64,
    /// notBefore as text (`Jan  1 00:00:00 2026 +00:00`).
    pub not_before_text: String,
    /// notAfter as text.
    pub not_after_text: String,
    /// DNS names and IP addresses of the subjectAltName (the subject's common names when it
    /// has none): the names a client may connect with.
    pub names: Vec<String>,
    /// SHA-1 thumbprint, upper-case hex, as Windows (and `winrm set ... CertificateThumbprint`)
    /// writes it.
    pub sha1: String,
    /// SHA-256 thumbprint, upper-case hex.
    pub sha256: String,
    /// Whether subject and issuer are the same name (a self-signed certificate, as
    /// `New-SelfSignedCertificate` makes).
    pub self_issued: bool,
}

impl CertificateInfo {
    /// Reads a DER certificate.
    pub fn from_der(der: &[u8]) -> Result<Self, TransportError> {
        let (_, cert) = X509Certificate::from_der(der)
            .map_err(|e| TransportError::Tls(format!("unreadable server certificate: {e}")))?;
        let validity = cert.validity();
        Ok(Self {
            der: der.to_vec(),
            subject: cert.subject().to_string(),
            issuer: cert.issuer().to_string(),
            not_before: validity.not_before.timestamp(),
            not_after: validity.not_after.timestamp(),
            not_before_text: validity.not_before.to_string(),
            not_after_text: validity.not_after.to_string(),
            names: tls::certificate_names(&cert),
            sha1: tls::sha1_thumbprint(der),
            sha256: tls::sha256_thumbprint(der),
            self_issued: cert.subject().as_raw() == cert.issuer().as_raw(),
        })
    }
}

/// The certificates a server presented in its TLS handshake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerCertificates {
    /// The address that answered.
    pub peer: SocketAddr,
    /// The chain as sent, the server's own certificate first.
    pub chain: Vec<CertificateInfo>,
}

/// Fetches the certificate chain of an `https://` endpoint without checking it: the handshake
/// accepts any certificate, so expired, misnamed and untrusted ones can be described. Nothing
/// is sent over the connection.
pub async fn server_certificates(
    opts: &TransportOptions,
) -> Result<ServerCertificates, TransportError> {
    let endpoint = client::parse_url(&opts.url)?;
    if !endpoint.https {
        return Err(TransportError::Config(format!(
            "`{}` is not an https:// URL",
            opts.url
        )));
    }
    let addrs = endpoint_addresses(opts, &endpoint).await?;
    let (config, _) = tls::client_config(&TlsOptions {
        insecure: true,
        ..TlsOptions::default()
    })?;
    let mut attempts = Vec::new();
    let mut tcp = None;
    for addr in &addrs {
        match tokio::time::timeout(opts.timeouts.connect, TcpStream::connect(addr)).await {
            Ok(Ok(s)) => {
                tcp = Some((s, *addr));
                break;
            }
            Ok(Err(e)) => attempts.push((*addr, e.to_string())),
            Err(_) => attempts.push((
                *addr,
                format!("timed out after {:?}", opts.timeouts.connect),
            )),
        }
    }
    let Some((tcp, peer)) = tcp else {
        return Err(TransportError::Connect { attempts });
    };
    let name = ServerName::try_from(endpoint.host.clone()).map_err(|e| {
        TransportError::Config(format!(
            "host `{}` is not a valid TLS name: {e}",
            endpoint.host
        ))
    })?;
    let stream = tokio::time::timeout(
        opts.timeouts.connect,
        tokio_rustls::TlsConnector::from(config).connect(name, tcp),
    )
    .await
    .map_err(|_| TransportError::Timeout {
        phase: TimeoutPhase::TlsHandshake,
    })?
    .map_err(|e| TransportError::Tls(e.to_string()))?;
    let chain = stream
        .get_ref()
        .1
        .peer_certificates()
        .unwrap_or_default()
        .iter()
        .map(|c| CertificateInfo::from_der(c.as_ref()))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ServerCertificates { peer, chain })
}

/// Performs the TLS handshake exactly as [`Transport`] checks it (trust, name, dates, pins).
/// `Ok` means a session would accept this server; the error names the problem
/// ([`TransportError::TlsExpired`], [`TransportError::TlsWrongName`],
/// [`TransportError::TlsUntrusted`], [`TransportError::TlsPinMismatch`]).
pub async fn verify_certificate(opts: &TransportOptions) -> Result<(), TransportError> {
    let endpoint = client::parse_url(&opts.url)?;
    let addrs = endpoint_addresses(opts, &endpoint).await?;
    open(opts, &endpoint, &addrs, &opts.tls).await.map(drop)
}

/// The answer to a request without credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthOffers {
    /// The HTTP status (401 when the server wants credentials).
    pub status: u16,
    /// The `WWW-Authenticate` challenges, in the order the server sent them.
    pub challenges: Vec<Challenge>,
}

impl AuthOffers {
    /// The scheme names offered (`Negotiate`, `Kerberos`, `Basic`, ...).
    pub fn scheme_names(&self) -> Vec<String> {
        self.challenges
            .iter()
            .map(|c| c.scheme_name.clone())
            .collect()
    }
}

/// Posts an empty request without credentials and returns the authentication schemes the
/// server offers. The certificate is not checked: nothing secret is sent.
pub async fn auth_offers(opts: &TransportOptions) -> Result<AuthOffers, TransportError> {
    let endpoint = client::parse_url(&opts.url)?;
    let addrs = endpoint_addresses(opts, &endpoint).await?;
    let any = TlsOptions {
        insecure: true,
        ..TlsOptions::default()
    };
    let mut conn = open(opts, &endpoint, &addrs, &any).await?;
    let resp = send(&mut conn, opts, request(&endpoint, None)?).await?;
    Ok(AuthOffers {
        status: resp.status,
        challenges: challenges(&resp, Scheme::Negotiate)?,
    })
}

/// Which channel bindings a probe handshake carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChannelBinding {
    /// The `tls-server-end-point` bindings of this connection, as a real client sends them.
    Correct,
    /// No bindings: what a client without channel-binding support sends.
    Absent,
    /// Bindings of another certificate: what a relayed (man-in-the-middle) handshake carries.
    Wrong,
}

/// Whether the server accepted a probe handshake.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BindingOutcome {
    /// The server answered 2xx: the credentials (and bindings) were accepted.
    Accepted,
    /// The server answered 401 and ended the handshake.
    Rejected {
        /// The schemes the final 401 offered.
        offered: Vec<String>,
    },
}

/// Authenticates once over HTTPS with the configured method and credentials, sending the
/// channel bindings `binding` chooses, and reports whether the server accepted.
///
/// Windows checks bindings by `CbtHardeningLevel`: `Strict` refuses [`ChannelBinding::Absent`]
/// and [`ChannelBinding::Wrong`], `Relaxed` refuses only `Wrong`, `None` accepts both. Basic
/// carries no bindings and is refused here as a configuration error.
pub async fn authenticate_with_binding(
    opts: &TransportOptions,
    binding: ChannelBinding,
) -> Result<BindingOutcome, TransportError> {
    let endpoint = client::parse_url(&opts.url)?;
    if !endpoint.https {
        return Err(TransportError::Config(
            "channel bindings exist only over HTTPS".to_owned(),
        ));
    }
    if opts.auth == AuthMethod::Basic {
        return Err(TransportError::Config(
            "Basic authentication carries no channel bindings".to_owned(),
        ));
    }
    let addrs = endpoint_addresses(opts, &endpoint).await?;
    let mut conn = open(opts, &endpoint, &addrs, &opts.tls).await?;
    let bindings = match binding {
        ChannelBinding::Correct => conn.channel_binding.clone(),
        ChannelBinding::Absent => None,
        ChannelBinding::Wrong => conn.channel_binding.as_deref().map(wrong_bindings),
    };
    let settings = kerberos_settings(opts).await;
    let target = kerberos::service_principal(&endpoint.host, opts.spn_override.as_deref())
        .unwrap_or_else(|_| format!("HTTP/{}", endpoint.host));
    let client_name = Transport::client_name();
    let logon = Logon {
        credentials: &opts.credentials,
        settings: &settings,
        target: &target,
        channel_binding: bindings.as_deref(),
        client_name: &client_name,
        kdc_timeout: settings.kdc_timeout,
    };
    let handshake = ClientHandshake::new(opts.auth, true, bindings.is_some());
    let mut legs = ProbeLegs {
        conn: &mut conn,
        opts,
        endpoint: &endpoint,
    };
    match logon::log_on(handshake, &logon, &mut legs).await {
        Ok(_) => Ok(BindingOutcome::Accepted),
        Err(LogonFailure::Refused {
            error: HandshakeError::Refused { offered, .. },
            ..
        }) => Ok(BindingOutcome::Rejected { offered }),
        Err(e) => Err(e.into_error()),
    }
}

/// The requests of a probe handshake: empty POSTs without cookies.
struct ProbeLegs<'a> {
    conn: &'a mut Connection,
    opts: &'a TransportOptions,
    endpoint: &'a client::Endpoint,
}

impl Legs for ProbeLegs<'_> {
    async fn send(&mut self, authorization: String) -> Result<Response, TransportError> {
        let req = request(self.endpoint, Some(&authorization))?;
        send(self.conn, self.opts, req).await
    }
}

/// A Kerberos service ticket obtained from the KDC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceTicket {
    /// The service principal name the ticket is for (`HTTP/ex01.corp.example`).
    pub spn: String,
    /// The KDC asked, when one was configured or discovered.
    pub kdc: Option<String>,
    /// The client principal as the KDC was asked for it (`alice@CORP.EXAMPLE`, or
    /// `john.smith@fabrikam.com (NT-ENTERPRISE name) in realm CORP.EXAMPLE`).
    pub principal: Option<String>,
    /// The encryption type of the service ticket (18 AES256, 17 AES128, 23 RC4), read from
    /// the TGS-REP.
    pub ticket_etype: Option<i64>,
    /// The KDC's clock minus this machine's, in seconds, from the time in the KDC's
    /// pre-authentication error (whole seconds; a second either way is transit).
    pub kdc_clock_offset: Option<i64>,
}

/// Why no service ticket was obtained.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TicketError {
    /// The KDC knows no principal by this name (`KDC_ERR_S_PRINCIPAL_UNKNOWN`, RFC 4120
    /// 7.5.9): the SPN is not registered, or the URL names the server by an alias, a short
    /// name or an address.
    #[error("the KDC knows no service principal {spn} (KDC_ERR_S_PRINCIPAL_UNKNOWN)")]
    PrincipalUnknown {
        /// The principal asked for.
        spn: String,
    },
    /// Any other failure: no KDC, wrong password, unknown user, clock skew, ...
    #[error(transparent)]
    Transport(#[from] TransportError),
}

/// Asks the KDC for a ticket to the endpoint's service principal (`HTTP/<host>`, or the SPN
/// override) with the configured user and password, without contacting the server.
pub async fn kerberos_service_ticket(
    opts: &TransportOptions,
) -> Result<ServiceTicket, TicketError> {
    let endpoint = client::parse_url(&opts.url)?;
    let spn =
        kerberos::service_principal(&endpoint.host, opts.spn_override.as_deref()).map_err(|e| {
            TransportError::Auth {
                scheme: Scheme::Kerberos.as_str().to_owned(),
                message: e.to_string(),
                hint: Some("Kerberos tickets name hosts, not addresses".to_owned()),
            }
        })?;
    let settings = kerberos_settings(opts).await;
    let mut ctx = SecurityContext::new(
        AuthMethod::Kerberos,
        &opts.credentials,
        &settings,
        &Transport::client_name(),
    )?;
    match ctx
        .step(Scheme::Kerberos, &spn, None, None, settings.kdc_timeout)
        .await
    {
        Ok(_) => {
            let replies = ctx.kdc_replies();
            let ticket_etype = replies.iter().rev().find_map(|(r, _)| match r {
                KdcReply::Ticket(t) if t.service => Some(t.ticket_etype),
                _ => None,
            });
            let kdc_clock_offset = replies.iter().find_map(|(r, at)| match r {
                KdcReply::Error(e) if e.kdc_unix != 0 => Some(e.kdc_unix - at),
                _ => None,
            });
            Ok(ServiceTicket {
                spn,
                kdc: settings.kdc.clone(),
                principal: ctx.principal().map(KerberosUser::describe),
                ticket_etype,
                kdc_clock_offset,
            })
        }
        Err(TransportError::Kerberos(KerberosError::SpnUnknown { spn, .. })) => {
            Err(TicketError::PrincipalUnknown { spn })
        }
        Err(TransportError::Auth { message, .. })
            if message.contains("server not found in Kerberos database") =>
        {
            Err(TicketError::PrincipalUnknown { spn })
        }
        Err(e) => Err(e.into()),
    }
}

/// The Kerberos settings the transport would use for `opts`.
async fn kerberos_settings(opts: &TransportOptions) -> KerberosSettings {
    let host = client::parse_url(&opts.url)
        .map(|e| e.host)
        .unwrap_or_default();
    auth::kerberos_settings(opts, &host).await
}

/// The addresses of `host:port` as the transport resolves them: an override, the literal
/// address, or every address the system resolver returns, ordered by `order`.
pub async fn resolve(
    host: &str,
    port: u16,
    order: address::IpOrder,
    overrides: &[address::ResolveOverride],
) -> Result<Vec<SocketAddr>, TransportError> {
    address::resolve(host, port, order, overrides).await
}

/// Bindings that cannot match any real certificate: the real hash with every bit flipped.
fn wrong_bindings(real: &[u8]) -> Vec<u8> {
    const PREFIX: &[u8] = b"tls-server-end-point:";
    let hash = real.strip_prefix(PREFIX).unwrap_or(real);
    let mut out = PREFIX.to_vec();
    if hash.is_empty() {
        out.extend_from_slice(&sha2::Sha256::digest(b"not this certificate"));
    } else {
        out.extend(hash.iter().map(|b| !b));
    }
    out
}

async fn endpoint_addresses(
    opts: &TransportOptions,
    endpoint: &client::Endpoint,
) -> Result<Vec<SocketAddr>, TransportError> {
    address::resolve(
        &endpoint.host,
        endpoint.port,
        opts.ip_order,
        &opts.resolve_overrides,
    )
    .await
}

async fn open(
    opts: &TransportOptions,
    endpoint: &client::Endpoint,
    addrs: &[SocketAddr],
    tls_opts: &TlsOptions,
) -> Result<Connection, TransportError> {
    let tls = if endpoint.https {
        Some(tls::client_config(tls_opts)?)
    } else {
        None
    };
    let setup = tls.as_ref().map(|(config, seen)| TlsSetup {
        config: Arc::clone(config),
        seen,
    });
    connection::open(addrs, &endpoint.host, setup, opts.timeouts.connect).await
}

fn request(
    endpoint: &client::Endpoint,
    authorization: Option<&str>,
) -> Result<hyper::Request<Full<Bytes>>, TransportError> {
    let mut builder = hyper::Request::post(endpoint.path.as_str())
        .header(header::HOST, endpoint.authority.as_str())
        .header(
            header::USER_AGENT,
            concat!("monosync-exchange/", env!("CARGO_PKG_VERSION")),
        )
        .header(header::CONTENT_LENGTH, 0);
    if let Some(value) = authorization {
        let mut value = header::HeaderValue::from_str(value)
            .map_err(|e| TransportError::Config(e.to_string()))?;
        value.set_sensitive(true);
        builder = builder.header(header::AUTHORIZATION, value);
    }
    builder
        .body(Full::default())
        .map_err(|e| TransportError::Config(format!("cannot build the request: {e}")))
}

async fn send(
    conn: &mut Connection,
    opts: &TransportOptions,
    req: hyper::Request<Full<Bytes>>,
) -> Result<Response, TransportError> {
    let limits = ReadLimits {
        body: super::client::response_limit(crate::wsman::DEFAULT_MAX_ENVELOPE_SIZE),
        clear: None,
    };
    conn.send(req, opts.timeouts.read, limits)
        .await
        .map_err(|e| match e {
            SendFailure::NotSent(r) | SendFailure::Lost(r) => TransportError::Io(r),
            SendFailure::Fatal(e) => e,
        })
}

fn challenges(resp: &Response, scheme: Scheme) -> Result<Vec<Challenge>, TransportError> {
    auth_header::parse_challenges(resp.header_values("www-authenticate")).map_err(|e| {
        TransportError::Auth {
            scheme: scheme.as_str().to_owned(),
            message: e.to_string(),
            hint: None,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrong_bindings_differ_from_the_real_ones_and_keep_the_prefix() {
        let real = crate::transport::cbt::tls_server_end_point(
            rcgen::CertificateParams::new(vec!["h.test".into()])
                .unwrap()
                .self_signed(&rcgen::KeyPair::generate().unwrap())
                .unwrap()
                .der(),
        )
        .unwrap();
        let wrong = wrong_bindings(&real);
        assert_eq!(wrong.len(), real.len());
        assert!(wrong.starts_with(b"tls-server-end-point:"));
        assert_ne!(wrong, real);
        assert_eq!(wrong_bindings(&wrong), real, "flipping twice restores");
    }

    #[test]
    fn certificate_info_reads_names_dates_and_thumbprints() {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params =
            rcgen::CertificateParams::new(vec!["ex01.corp.test".into(), "10.0.0.5".into()])
                .unwrap();
        params.not_before = rcgen::date_time_ymd(2020, 1, 2);
        params.not_after = rcgen::date_time_ymd(2021, 3, 4);
        let cert = params.self_signed(&key).unwrap();
        let info = CertificateInfo::from_der(cert.der()).unwrap();
        assert_eq!(info.names, ["ex01.corp.test", "10.0.0.5"]);
        assert_eq!(info.not_before, 1_577_923_200);
        assert_eq!(info.not_after, 1_614_816_000);
        assert!(
            info.not_after_text.contains("2021"),
            "{}",
            info.not_after_text
        );
        assert_eq!(info.sha1, tls::sha1_thumbprint(cert.der()));
        assert_eq!(info.sha1.len(), 40);
        assert!(info.self_issued);
        assert!(CertificateInfo::from_der(b"junk").is_err());
    }
}
