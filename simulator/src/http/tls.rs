//! The listener certificate: generated self-signed (as `New-SelfSignedCertificate` does on
//! Windows) or read from PEM files, with the thumbprints Windows shows.

use std::sync::Arc;

use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use crate::SimError;

/// A certificate chain and its key.
#[derive(Debug, Clone)]
pub struct TlsIdentity {
    /// DER certificates, leaf first.
    pub chain: Vec<Vec<u8>>,
    /// PKCS#8 (or other PEM-supported) DER private key.
    pub key: Vec<u8>,
}

impl TlsIdentity {
    /// A self-signed certificate for `names` (DNS names or IP addresses).
    pub fn self_signed(names: &[String]) -> Result<Self, SimError> {
        let key = rcgen::KeyPair::generate().map_err(|e| SimError::Tls(e.to_string()))?;
        let params = rcgen::CertificateParams::new(names.to_vec())
            .map_err(|e| SimError::Tls(e.to_string()))?;
        let cert = params
            .self_signed(&key)
            .map_err(|e| SimError::Tls(e.to_string()))?;
        Ok(TlsIdentity {
            chain: vec![cert.der().to_vec()],
            key: key.serialize_der(),
        })
    }

    /// A self-signed certificate for `names` that expired long ago (valid during 2020 only),
    /// as a listener whose certificate nobody renewed presents.
    pub fn self_signed_expired(names: &[String]) -> Result<Self, SimError> {
        let key = rcgen::KeyPair::generate().map_err(|e| SimError::Tls(e.to_string()))?;
        let mut params = rcgen::CertificateParams::new(names.to_vec())
            .map_err(|e| SimError::Tls(e.to_string()))?;
        params.not_before = rcgen::date_time_ymd(2020, 1, 1);
        params.not_after = rcgen::date_time_ymd(2021, 1, 1);
        let cert = params
            .self_signed(&key)
            .map_err(|e| SimError::Tls(e.to_string()))?;
        Ok(TlsIdentity {
            chain: vec![cert.der().to_vec()],
            key: key.serialize_der(),
        })
    }

    /// A certificate chain and key from PEM text.
    pub fn from_pem(cert_pem: &[u8], key_pem: &[u8]) -> Result<Self, SimError> {
        let chain = CertificateDer::pem_slice_iter(cert_pem)
            .map(|c| c.map(|c| c.to_vec()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| SimError::Tls(format!("certificate PEM: {e}")))?;
        if chain.is_empty() {
            return Err(SimError::Tls("no certificate in the PEM file".into()));
        }
        let key = PrivateKeyDer::from_pem_slice(key_pem)
            .map_err(|e| SimError::Tls(format!("key PEM: {e}")))?;
        Ok(TlsIdentity {
            chain,
            key: key.secret_der().to_vec(),
        })
    }

    /// The leaf certificate.
    pub fn leaf(&self) -> &[u8] {
        self.chain.first().map(Vec::as_slice).unwrap_or(&[])
    }

    /// SHA-1 thumbprint of the leaf, as Windows prints it.
    pub fn sha1_thumbprint(&self) -> String {
        monosync_exchange::transport::tls::sha1_thumbprint(self.leaf())
    }

    /// SHA-256 thumbprint of the leaf.
    pub fn sha256_thumbprint(&self) -> String {
        monosync_exchange::transport::tls::sha256_thumbprint(self.leaf())
    }

    /// The leaf as PEM.
    pub fn cert_pem(&self) -> String {
        let b64 = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, self.leaf());
        let mut out = String::from("-----BEGIN CERTIFICATE-----\n");
        for line in b64.as_bytes().chunks(64) {
            out.push_str(std::str::from_utf8(line).unwrap_or(""));
            out.push('\n');
        }
        out.push_str("-----END CERTIFICATE-----\n");
        out
    }

    pub(crate) fn server_config(&self) -> Result<Arc<rustls::ServerConfig>, SimError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let key = PrivateKeyDer::try_from(self.key.clone())
            .map_err(|e| SimError::Tls(format!("private key: {e}")))?;
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| SimError::Tls(e.to_string()))?
            .with_no_client_auth()
            .with_single_cert(
                self.chain
                    .iter()
                    .cloned()
                    .map(CertificateDer::from)
                    .collect(),
                key,
            )
            .map_err(|e| SimError::Tls(e.to_string()))?;
        Ok(Arc::new(config))
    }
}
