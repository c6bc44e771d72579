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
    /// Waiting for the response head or body.
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
            Self::Read => "read",
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
    /// The keytab could not be read or holds no usable key (no AES key, no such principal).
    #[error(transparent)]
    Keytab(#[from] super::keytab::KeytabError),
    /// The server answered with an unexpected HTTP status.
    #[error("HTTP {status}: {}", truncate_body(.body))]
    Http {
        /// The status code.
        status: u16,
        /// The response body (unsealed when it was sealed).
        body: Vec<u8>,
    },
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

fn truncate_body(body: &[u8]) -> String {
    const MAX: usize = 512;
    let text = String::from_utf8_lossy(body);
    if text.chars().count() > MAX {
        let cut: String = text.chars().take(MAX).collect();
        format!("{cut}...")
    } else {
        text.into_owned()
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
