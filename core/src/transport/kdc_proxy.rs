//! The Kerberos KDC proxy client ([MS-KKDCP]): one HTTPS POST per KDC message.
//!
//! sspi wraps each Kerberos message in a `KDC-PROXY-MESSAGE` (with the realm as target
//! domain); this module carries it: `POST` with `Content-Type: application/kerberos` over a
//! fresh TLS connection whose certificate is checked as any other (system roots plus the
//! configured CA file), and reads back a bounded `200` answer in the same time limit as a
//! direct KDC exchange.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;

use super::address::{self, IpOrder, ResolveOverride};
use super::connection::{self, ReadLimits, SendFailure, TlsSetup};
use super::error::{TimeoutPhase, TransportError};
use super::kerberos_error::KerberosError;
use super::tls::{self, SeenCert, TlsOptions};

/// Largest proxy answer accepted; a KDC reply with a large PAC is tens of kilobytes.
pub(crate) const MAX_PROXY_REPLY: usize = 1024 * 1024;

/// The TLS configuration of KDC proxy connections, built once per security context.
#[derive(Clone)]
pub(crate) struct ProxyTls {
    config: Arc<rustls::ClientConfig>,
    seen: SeenCert,
}

impl ProxyTls {
    /// Trusts the system roots and `opts.ca_file`. Thumbprint pins and the insecure switch of
    /// the endpoint's TLS options are not applied: they name the Exchange server's
    /// certificate, not the proxy's, whose certificate is always verified.
    pub(crate) fn new(opts: &TlsOptions) -> Result<Self, TransportError> {
        let proxy_opts = TlsOptions {
            ca_file: opts.ca_file.clone(),
            pinned_thumbprints: Vec::new(),
            insecure: false,
        };
        let (config, seen) = tls::client_config(&proxy_opts)?;
        Ok(Self { config, seen })
    }
}

/// Where a proxy request goes and how long it may take.
pub(crate) struct ProxyRoute<'a> {
    pub(crate) tls: &'a ProxyTls,
    pub(crate) overrides: &'a [ResolveOverride],
    pub(crate) timeout: Duration,
}

fn failure(url: &url::Url, message: impl Into<String>) -> TransportError {
    TransportError::Kerberos(KerberosError::Proxy {
        url: url.to_string(),
        message: message.into(),
    })
}

/// POSTs one `KDC-PROXY-MESSAGE` to the proxy at `url` and returns the body of its answer.
pub(crate) async fn post(
    url: &url::Url,
    message: &[u8],
    route: &ProxyRoute<'_>,
) -> Result<Vec<u8>, TransportError> {
    if url.scheme() != "https" {
        return Err(failure(url, "a KDC proxy must be reached over https://"));
    }
    let host = url
        .host_str()
        .ok_or_else(|| failure(url, "the URL has no host"))?
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    let port = url.port_or_known_default().unwrap_or(443);
    let exchange = async {
        let addrs = address::resolve(&host, port, IpOrder::default(), route.overrides).await?;
        let mut conn = connection::open(
            &addrs,
            &host,
            Some(TlsSetup {
                config: route.tls.config.clone(),
                seen: &route.tls.seen,
            }),
            route.timeout,
        )
        .await?;
        let authority = match url.port() {
            Some(p) => format!("{}:{p}", url.host_str().unwrap_or_default()),
            None => url.host_str().unwrap_or_default().to_owned(),
        };
        let path = match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        };
        let request = hyper::Request::post(path)
            .header(hyper::header::HOST, authority)
            .header(hyper::header::CONTENT_TYPE, "application/kerberos")
            .header(hyper::header::CACHE_CONTROL, "no-cache")
            .header(hyper::header::USER_AGENT, "monosync-exchange")
            .body(Full::new(Bytes::copy_from_slice(message)))
            .map_err(|e| failure(url, e.to_string()))?;
        let limits = ReadLimits {
            body: MAX_PROXY_REPLY,
            clear: None,
        };
        let resp = conn
            .send(request, route.timeout, limits)
            .await
            .map_err(|e| match e {
                SendFailure::NotSent(r) | SendFailure::Lost(r) => failure(url, r),
                SendFailure::Fatal(other) => other,
            })?;
        if resp.status != 200 {
            return Err(failure(
                url,
                format!(
                    "HTTP {} (a KDC proxy answers 200; check the URL's path, e.g. /KdcProxy)",
                    resp.status
                ),
            ));
        }
        if resp.body.is_empty() {
            return Err(failure(url, "an empty answer"));
        }
        Ok(resp.body)
    };
    match tokio::time::timeout(route.timeout, exchange).await {
        Ok(r) => r,
        Err(_) => Err(TransportError::Timeout {
            phase: TimeoutPhase::Kdc,
        }),
    }
}
