//! Channel binding tokens for HTTPS (RFC 5929 `tls-server-end-point`), sans-IO.
//!
//! With channel binding the server can tell that the NTLM or Kerberos exchange happened over
//! the same TLS connection it terminates, so `CbtHardeningLevel=Strict` keeps working.

use sha2::Digest as _;
use x509_parser::prelude::{FromDer as _, X509Certificate};

/// The hash RFC 5929 section 4.1 prescribes for a certificate's signature algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CbtHash {
    /// SHA-256: for MD5, SHA-1 and SHA-256 signatures, and algorithms without a single hash.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

/// Why a channel binding could not be computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CbtError {
    /// The server certificate is not valid DER X.509.
    #[error("server certificate cannot be parsed: {0}")]
    BadCertificate(String),
}

/// Picks the hash from the certificate's signature algorithm OID.
pub fn hash_for_signature_oid(oid: &str) -> CbtHash {
    match oid {
        // sha384WithRSAEncryption, ecdsa-with-SHA384
        "1.2.840.113549.1.1.12" | "1.2.840.10045.4.3.3" => CbtHash::Sha384,
        // sha512WithRSAEncryption, ecdsa-with-SHA512
        "1.2.840.113549.1.1.13" | "1.2.840.10045.4.3.4" => CbtHash::Sha512,
        // MD5/SHA-1/SHA-256 based, RSASSA-PSS and EdDSA: SHA-256 as other clients do.
        _ => CbtHash::Sha256,
    }
}

/// The channel binding application data: `tls-server-end-point:` followed by the hash of the
/// DER server certificate.
pub fn tls_server_end_point(cert_der: &[u8]) -> Result<Vec<u8>, CbtError> {
    let (_, cert) =
        X509Certificate::from_der(cert_der).map_err(|e| CbtError::BadCertificate(e.to_string()))?;
    let oid = cert.signature_algorithm.algorithm.to_id_string();
    let hash = match hash_for_signature_oid(&oid) {
        CbtHash::Sha256 => sha2::Sha256::digest(cert_der).to_vec(),
        CbtHash::Sha384 => sha2::Sha384::digest(cert_der).to_vec(),
        CbtHash::Sha512 => sha2::Sha512::digest(cert_der).to_vec(),
    };
    let mut out = b"tls-server-end-point:".to_vec();
    out.extend_from_slice(&hash);
    Ok(out)
}

/// Wraps application data in the SSPI `SEC_CHANNEL_BINDINGS` structure (empty initiator and
/// acceptor addresses), the form sspi takes in a `ChannelBindings` buffer.
pub fn sec_channel_bindings(application_data: &[u8]) -> Vec<u8> {
    const HEADER: u32 = 32;
    let len = u32::try_from(application_data.len()).unwrap_or(u32::MAX);
    let mut out = Vec::with_capacity(32 + application_data.len());
    for v in [0, 0, HEADER, 0, 0, HEADER, len, HEADER] {
        out.extend_from_slice(&u32::to_le_bytes(v));
    }
    out.extend_from_slice(application_data);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_choice_follows_rfc5929() {
        assert_eq!(
            hash_for_signature_oid("1.2.840.113549.1.1.4"),
            CbtHash::Sha256
        );
        assert_eq!(
            hash_for_signature_oid("1.2.840.113549.1.1.5"),
            CbtHash::Sha256
        );
        assert_eq!(
            hash_for_signature_oid("1.2.840.113549.1.1.11"),
            CbtHash::Sha256
        );
        assert_eq!(
            hash_for_signature_oid("1.2.840.10045.4.3.3"),
            CbtHash::Sha384
        );
        assert_eq!(
            hash_for_signature_oid("1.2.840.113549.1.1.13"),
            CbtHash::Sha512
        );
    }

    #[test]
    fn token_of_an_ecdsa_p256_certificate_is_sha256() {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let cert = rcgen::CertificateParams::new(vec!["h.test".into()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        let der = cert.der().to_vec();
        let token = tls_server_end_point(&der).unwrap();
        assert_eq!(&token[..21], b"tls-server-end-point:");
        assert_eq!(&token[21..], sha2::Sha256::digest(&der).as_slice());
    }

    #[test]
    fn token_of_an_ecdsa_p384_certificate_is_sha384() {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P384_SHA384).unwrap();
        let cert = rcgen::CertificateParams::new(vec!["h.test".into()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        let der = cert.der().to_vec();
        let token = tls_server_end_point(&der).unwrap();
        assert_eq!(&token[21..], sha2::Sha384::digest(&der).as_slice());
    }

    #[test]
    fn bad_certificate_is_an_error() {
        assert!(tls_server_end_point(b"nope").is_err());
    }

    #[test]
    fn sec_channel_bindings_layout() {
        let b = sec_channel_bindings(b"abc");
        assert_eq!(b.len(), 35);
        assert_eq!(&b[24..28], &3u32.to_le_bytes());
        assert_eq!(&b[28..32], &32u32.to_le_bytes());
        assert_eq!(&b[32..], b"abc");
    }
}
