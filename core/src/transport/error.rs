//! Errors of the transport layer: connecting, TLS, authentication, HTTP and message sealing.
//!
//! Every variant carries what an administrator needs to act on it: the addresses tried, the
//! certificate's dates, names or thumbprints, the authentication scheme and a hint.

use std::fmt::Write as _;
use std::net::SocketAddr;

/// The phase of a request that ran out of time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TimeoutPhase {
    /// Opening the TCP connection to one address.
    Connect,
    /// The TLS handshake.
    TlsHandshake,
    /// One HTTP exchange: sending the request and reading the response head and body.
    Read,
    /// The whole operation (connect, authenticate, send and receive).
    Operation,
    /// A round trip to the Kerberos KDC.
    Kdc,
}

impl std::fmt::Display for TimeoutPhase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Connect => "connect",
            Self::TlsHandshake => "TLS handshake",
            Self::Read => "the HTTP exchange",
            Self::Operation => "operation",
            Self::Kdc => "KDC exchange",
        })
    }
}

/// Why a sealed (`multipart/encrypted`) body could not be built or read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SealingError {
    /// The body does not start with the `--Encrypted Boundary` line.
    #[error("sealed body does not start with the `--Encrypted Boundary` line")]
    MissingBoundary,
    /// The closing `--Encrypted Boundary--` line is absent.
    #[error("sealed body has no closing `--Encrypted Boundary--` line")]
    MissingClosingBoundary,
    /// A required MIME header of a part is absent.
    #[error("sealed body lacks the `{0}` header")]
    MissingHeader(&'static str),
    /// The first part names a protocol other than the expected one.
    #[error("sealed body uses protocol `{found}`, expected `{expected}`")]
    WrongProtocol {
        /// The protocol the transport negotiated.
        expected: String,
        /// The protocol named in the body.
        found: String,
    },
    /// `OriginalContent` does not carry a usable `Length=`.
    #[error("`OriginalContent` header has no valid Length: `{0}`")]
    BadOriginalContent(String),
    /// The binary part is shorter than its 4-byte signature length, or than the signature.
    #[error("sealed data is truncated: {0}")]
    Truncated(&'static str),
    /// The signature length is not the one the security context produces.
    #[error("signature length {found} does not match the expected {expected}")]
    SignatureLength {
        /// The length the context produces (16 for NTLM, 60 for Kerberos AES).
        expected: usize,
        /// The length found in the body.
        found: usize,
    },
    /// The unsealed data is not as long as the `OriginalContent` length.
    #[error("unsealed length {actual} does not match the declared Length={declared}")]
    LengthMismatch {
        /// `Length=` from `OriginalContent`.
        declared: usize,
        /// Bytes obtained after unsealing.
        actual: usize,
    },
    /// The security context failed to seal or unseal (bad signature, sequence error, ...).
    #[error("security context failed: {0}")]
    Crypto(String),
    /// The message is larger than this transport seals in one part.
    #[error("message of {0} bytes is too large to seal")]
    TooLarge(usize),
}

/// Why a server certificate was refused, when it is neither untrusted, out of date, for
/// another name nor unpinned: each names what is wrong and what fixes it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CertificateProblem {
    /// The issuer revoked it.
    Revoked,
    /// Its revocation status cannot be established (no current revocation list).
    RevocationUnknown,
    /// It carries a critical extension this client does not understand.
    UnsupportedCriticalExtension,
    /// Its Extended Key Usage does not include Server Authentication.
    NotForServerAuthentication,
    /// It or its chain is signed with an algorithm this client refuses (MD5, SHA-1, ...).
    UnsupportedSignatureAlgorithm,
    /// A signature in the chain does not verify with its issuer's key.
    BadSignature,
    /// A certificate of the chain is not valid DER, or has a malformed field.
    Malformed,
    /// The chain uses a certificate that is not a CA (CA:FALSE) as an issuer.
    EndEntityUsedAsCa,
    /// The chain breaks a constraint of an issuing CA (path length, name constraints, depth).
    ChainConstraint(String),
    /// The stapled OCSP response is invalid.
    InvalidOcspResponse,
    /// Another refusal, in the verifier's words.
    Other(String),
}

impl std::fmt::Display for CertificateProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Revoked => f.write_str("is revoked by its issuer"),
            Self::RevocationUnknown => f.write_str("has a revocation status that cannot be established"),
            Self::UnsupportedCriticalExtension => {
                f.write_str("carries a critical extension this client does not support")
            }
            Self::NotForServerAuthentication => f.write_str(
                "is not valid for server authentication (its Extended Key Usage lacks Server Authentication, 1.3.6.1.5.5.7.3.1)",
            ),
            Self::UnsupportedSignatureAlgorithm => f.write_str(
                "is signed with an algorithm this client refuses (such as MD5 or SHA-1)",
            ),
            Self::BadSignature => {
                f.write_str("has a signature that does not verify with its issuer's key")
            }
            Self::Malformed => f.write_str("is malformed (invalid DER or a malformed extension)"),
            Self::EndEntityUsedAsCa => f.write_str(
                "chain uses a certificate that is not a CA (CA:FALSE) as an issuer",
            ),
            Self::ChainConstraint(what) => {
                write!(f, "chain breaks a constraint of an issuing CA ({what})")
            }
            Self::InvalidOcspResponse => f.write_str("comes with an invalid stapled OCSP response"),
            Self::Other(what) => write!(f, "was refused ({what})"),
        }
    }
}

impl CertificateProblem {
    /// What fixes it on the server, short of pinning.
    pub fn fix(&self) -> &'static str {
        match self {
            Self::Revoked => {
                "issue a new certificate and bind it to the listener; find out why the old one was revoked"
            }
            Self::RevocationUnknown => {
                "publish a current revocation list (CRL) from the issuing CA"
            }
            Self::UnsupportedCriticalExtension
            | Self::NotForServerAuthentication
            | Self::UnsupportedSignatureAlgorithm => {
                "issue the listener a certificate from a web-server template (Server Authentication, SHA-256 signature, no custom critical extensions) and bind it"
            }
            Self::BadSignature => {
                "check that the CA file holds the CA that issued the certificate, and that the server sends its own intermediate certificates"
            }
            Self::Malformed => "re-issue the certificate and bind it again",
            Self::EndEntityUsedAsCa => {
                "make the server send the real intermediate CA certificates (import them into the server's Intermediate Certification Authorities store)"
            }
            Self::ChainConstraint(_) => {
                "issue the certificate from a CA whose path-length and name constraints allow this host"
            }
            Self::InvalidOcspResponse => {
                "check the server's OCSP stapling, or turn it off until the responder is fixed"
            }
            Self::Other(_) => {
                "inspect the chain (openssl s_client -connect <host>:<port> -showcerts) and re-issue the certificate"
            }
        }
    }
}

/// The failure of a transport operation.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TransportError {
    /// The endpoint URL or an option is not usable.
    #[error("invalid configuration: {0}")]
    Config(String),
    /// Host name resolution failed.
    #[error("cannot resolve `{host}`: {message}")]
    Resolve {
        /// The host name from the URL.
        host: String,
        /// The resolver's message.
        message: String,
    },
    /// No resolved address accepted a connection; every attempt is listed.
    #[error("cannot connect: {}", format_attempts(.attempts))]
    Connect {
        /// Each address tried, with the reason it failed.
        attempts: Vec<(SocketAddr, String)>,
    },
    /// The server's certificate is outside its validity period.
    #[error(
        "TLS: the server certificate is expired or not yet valid (valid from {not_before} to {not_after}); \
         renew the listener certificate or check this machine's clock"
    )]
    TlsExpired {
        /// The certificate's notBefore date.
        not_before: String,
        /// The certificate's notAfter date.
        not_after: String,
    },
    /// The server's certificate does not carry the host name we connected to.
    #[error(
        "TLS: the server certificate is not valid for `{host}`; it names {}. Connect with one of those names",
        names.join(", ")
    )]
    TlsWrongName {
        /// The host name from the URL.
        host: String,
        /// The DNS names and IP addresses the certificate carries.
        names: Vec<String>,
    },
    /// The server's certificate is not issued by a trusted authority.
    #[error(
        "TLS: the server certificate is not trusted (issuer `{issuer}`). Add its CA with a CA file, or pin it \
         by thumbprint: SHA-1 {sha1}, SHA-256 {sha256}"
    )]
    TlsUntrusted {
        /// The issuer's distinguished name.
        issuer: String,
        /// SHA-1 thumbprint (what Windows shows), upper-case hex.
        sha1: String,
        /// SHA-256 thumbprint, upper-case hex.
        sha256: String,
    },
    /// The certificate does not match any pinned thumbprint.
    #[error(
        "TLS: the server certificate matches no pinned thumbprint (it is SHA-1 {sha1}, SHA-256 {sha256})"
    )]
    TlsPinMismatch {
        /// SHA-1 thumbprint of the certificate presented.
        sha1: String,
        /// SHA-256 thumbprint of the certificate presented.
        sha256: String,
    },
    /// The server's certificate was refused for another reason: what is wrong with it, what
    /// fixes it, and the thumbprints to pin it while it is not fixed.
    #[error(
        "TLS: the server certificate {problem}. Fix: {}; or pin it by thumbprint: SHA-1 {sha1}, SHA-256 {sha256}",
        problem.fix()
    )]
    TlsRejected {
        /// What is wrong.
        problem: CertificateProblem,
        /// SHA-1 thumbprint (what Windows shows), upper-case hex.
        sha1: String,
        /// SHA-256 thumbprint, upper-case hex.
        sha256: String,
    },
    /// Another TLS failure (protocol, handshake, unreadable CA file).
    #[error("TLS: {0}")]
    Tls(String),
    /// Authentication failed or was refused.
    #[error("{scheme} authentication failed: {message}{}", hint_suffix(.hint))]
    Auth {
        /// The HTTP authentication scheme (Basic, Negotiate, Kerberos, NTLM).
        scheme: String,
        /// What went wrong.
        message: String,
        /// What an administrator can do about it.
        hint: Option<String>,
    },
    /// A Kerberos failure named from the KDC's answer (missing SPN, clock skew, no AES keys,
    /// unknown user, KDC proxy failure).
    #[error(transparent)]
    Kerberos(#[from] super::kerberos_error::KerberosError),
    /// The keytab could not be read or holds no usable key (no AES key, no such principal).
    #[error(transparent)]
    Keytab(#[from] super::keytab::KeytabError),
    /// The server answered with an unexpected HTTP status.
    #[error("HTTP {status}: {}", crate::server_text::clip_bytes(.body))]
    Http {
        /// The status code.
        status: u16,
        /// The response body (unsealed when it was sealed).
        body: Vec<u8>,
    },
    /// The response is larger than the MaxEnvelopeSize the request allowed plus the sealing
    /// overhead: a server, proxy or load balancer that sends it is broken or hostile.
    #[error(
        "the response is larger than the {limit} bytes accepted{}",
        declared.map(|n| format!(" (it announces {n})")).unwrap_or_default()
    )]
    ResponseTooLarge {
        /// The limit in bytes.
        limit: usize,
        /// The `Content-Length` the response announced, if any.
        declared: Option<u64>,
    },
    /// On a connection that seals its messages, an error answer came in clear text. Anyone on
    /// the path could have sent it, so it is not read as a SOAP response; its first bytes are
    /// kept for the administrator only (Windows sends some faults unsealed).
    #[error(
        "HTTP {status} without message encryption on a connection that seals: not trusted; \
         it says{}: {}",
        if *cut { " (cut)" } else { "" },
        crate::server_text::clip(text)
    )]
    UnsealedReply {
        /// The status code.
        status: u16,
        /// The text of the body's first bytes, markup left out.
        text: String,
        /// Whether the body was longer than what was read.
        cut: bool,
    },
    /// The response is not HTTP/1.1 this client reads: a head over hyper's limit (about
    /// 400 KB), more than 100 headers, or bytes that are not HTTP.
    #[error("the server's HTTP response is malformed: {0}")]
    MalformedHttp(String),
    /// A phase ran out of time.
    #[error("timed out during {phase}")]
    Timeout {
        /// The phase that timed out.
        phase: TimeoutPhase,
    },
    /// A sealed body could not be built or read.
    #[error("message encryption: {0}")]
    Sealing(#[from] SealingError),
    /// The connection failed while sending or receiving.
    #[error("connection failed: {0}")]
    Io(String),
}

impl TransportError {
    /// An authentication error names the method the caller chose: Kerberos or NTLM carried in
    /// a `Negotiate` header is still Kerberos or NTLM to whoever asked for it.
    pub(crate) fn naming_method(self, method: super::AuthMethod) -> Self {
        let name = match method {
            super::AuthMethod::Kerberos => "Kerberos",
            super::AuthMethod::Ntlm => "NTLM",
            _ => return self,
        };
        match self {
            TransportError::Auth { message, hint, .. } => TransportError::Auth {
                scheme: name.to_owned(),
                message,
                hint,
            },
            other => other,
        }
    }
}

fn format_attempts(attempts: &[(SocketAddr, String)]) -> String {
    if attempts.is_empty() {
        return "no address to try".to_owned();
    }
    let mut out = String::new();
    for (i, (addr, reason)) in attempts.iter().enumerate() {
        if i > 0 {
            out.push_str("; ");
        }
        let _ = write!(out, "{addr}: {reason}");
    }
    out
}

fn hint_suffix(hint: &Option<String>) -> String {
    match hint {
        Some(h) => format!(" (hint: {h})"),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connect_error_lists_every_attempt() {
        let err = TransportError::Connect {
            attempts: vec![
                ("127.0.0.1:1".parse().unwrap(), "refused".into()),
                ("[::1]:1".parse().unwrap(), "unreachable".into()),
            ],
        };
        assert_eq!(
            err.to_string(),
            "cannot connect: 127.0.0.1:1: refused; [::1]:1: unreachable"
        );
    }

    #[test]
    fn auth_errors_name_the_chosen_method() {
        let negotiate = || TransportError::Auth {
            scheme: "Negotiate".into(),
            message: "the server rejected the credentials (HTTP 401; it offers: Negotiate)".into(),
            hint: None,
        };
        let named = |m| match negotiate().naming_method(m) {
            TransportError::Auth { scheme, .. } => scheme,
            other => panic!("{other:?}"),
        };
        assert_eq!(named(super::super::AuthMethod::Kerberos), "Kerberos");
        assert_eq!(named(super::super::AuthMethod::Ntlm), "NTLM");
        assert_eq!(named(super::super::AuthMethod::Negotiate), "Negotiate");
        assert!(
            TransportError::Io("x".into())
                .naming_method(super::super::AuthMethod::Kerberos)
                .to_string()
                .contains("connection failed")
        );
    }

    #[test]
    fn auth_error_shows_hint() {
        let err = TransportError::Auth {
            scheme: "Kerberos".into(),
            message: "no ticket".into(),
            hint: Some("use the FQDN".into()),
        };
        assert_eq!(
            err.to_string(),
            "Kerberos authentication failed: no ticket (hint: use the FQDN)"
        );
    }
}
