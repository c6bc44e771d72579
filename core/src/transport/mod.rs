//! HTTP transport for WS-Management: one owned TCP (or TLS) connection per authenticated
//! security context, message encryption over HTTP ([MS-WSMV] 2.2.9.1), channel binding over
//! HTTPS, and address selection across every resolved address.
//!
//! ```no_run
//! use monosync_exchange::transport::{AuthMethod, Credentials, Transport, TransportOptions};
//!
//! # async fn run() -> Result<(), monosync_exchange::transport::TransportError> {
//! let opts = TransportOptions::new(
//!     "http://ex01.corp.example/PowerShell/",
//!     AuthMethod::Kerberos,
//!     Credentials::new("alice@CORP.EXAMPLE", "secret"),
//! );
//! let mut transport = Transport::new(opts)?;
//! // Authenticates on first use, then seals the body: plain HTTP needs message encryption.
//! let soap_response = transport.post(b"<s:Envelope>...</s:Envelope>").await?;
//! # let _ = soap_response;
//! # Ok(())
//! # }
//! ```
//!
//! This is the one module of the crate that does I/O. Framing, parsing and the authentication
//! rules ([`encryption`], [`auth_header`], [`handshake`], [`acceptor`], [`cbt`], [`kerberos`],
//! [`dns_srv`], [`cookies`]) stay sans-IO and are shared with servers.
//!
//! Kerberos names the user as account + realm: write `user@REALM` (the DNS realm, e.g.
//! `alice@CORP.EXAMPLE`); `DOMAIN\user` takes `DOMAIN` as the realm, which suits NTLM but
//! rarely Kerberos. The KDC comes from [`TransportOptions::kdc`], else `krb5.conf`, else the
//! `_kerberos._tcp.<realm>` SRV records; an `https://` KDC is a KDC proxy ([MS-KKDCP]). A UPN
//! whose suffix is not the realm goes to the realm ([`TransportOptions::realm`], else
//! `default_realm`, else DNS) as an NT-ENTERPRISE name.

pub mod acceptor;
pub mod address;
pub mod auth;
pub mod auth_header;
pub mod cbt;
mod client;
mod connection;
pub mod cookies;
pub mod dns_srv;
pub mod encryption;
pub mod error;
pub mod handshake;
mod kdc_proxy;
pub mod kdc_reply;
pub mod kerberos;
pub mod kerberos_error;
pub mod keytab;
mod logon;
pub mod probe;
pub mod tls;

pub use address::{IpOrder, ResolveOverride};
pub use auth::{AuthMethod, Credentials};
pub use client::{RESPONSE_OVERHEAD, Timeouts, Transport, TransportOptions, UNSEALED_TEXT_LIMIT};
pub use encryption::{SealProtocol, SealingContext};
pub use error::{CertificateProblem, SealingError, TimeoutPhase, TransportError};
pub use kerberos_error::KerberosError;
pub use tls::TlsOptions;
