//! TLS client configuration: system roots plus an optional CA file, pinning by thumbprint, and
//! an explicit insecure switch; and the translation of certificate failures into errors that
//! name the problem (dates, names, thumbprints).

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::{CertificateError, DigitallySignedStruct, RootCertStore, SignatureScheme};
use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};
use sha1::Digest as _;
use x509_parser::prelude::{FromDer as _, GeneralName, X509Certificate};

use super::error::{CertificateProblem, TransportError};

/// How the server certificate is checked.
#[derive(Debug, Clone, Default)]
pub struct TlsOptions {
    /// A PEM file of extra trusted CA certificates (for an internal PKI).
    pub ca_file: Option<PathBuf>,
    /// Accepted certificate thumbprints, SHA-1 (as Windows shows them) or SHA-256, in hex of any
    /// case, colons and spaces allowed. When set, a certificate is accepted if and only if it
    /// matches one of them: chain, name and dates are then not checked.
    pub pinned_thumbprints: Vec<String>,
    /// Accept any certificate. Off by default; logs a warning on every connection.
    pub insecure: bool,
}

/// A thumbprint parsed from its hex form.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Pin {
    Sha1([u8; 20]),
    Sha256([u8; 32]),
}

fn parse_pin(text: &str) -> Result<Pin, TransportError> {
    let hex: String = text
        .chars()
        .filter(|c| !matches!(c, ':' | ' ' | '-'))
        .collect();
    let bad = || {
        TransportError::Config(format!(
            "thumbprint `{text}` is not 40 (SHA-1) or 64 (SHA-256) hex digits"
        ))
    };
    if !hex.is_ascii() {
        return Err(bad());
    }
    let bytes = (0..hex.len())
        .step_by(2)
        .map(|i| {
            hex.get(i..i + 2)
                .and_then(|p| u8::from_str_radix(p, 16).ok())
                .ok_or_else(bad)
        })
        .collect::<Result<Vec<u8>, _>>()?;
    match bytes.len() {
        20 => Ok(Pin::Sha1(bytes.try_into().map_err(|_| bad())?)),
        32 => Ok(Pin::Sha256(bytes.try_into().map_err(|_| bad())?)),
        _ => Err(bad()),
    }
}

/// Upper-case hex SHA-1 thumbprint of a DER certificate, as Windows prints it.
pub fn sha1_thumbprint(der: &[u8]) -> String {
    hex_upper(&sha1::Sha1::digest(der))
}

/// Upper-case hex SHA-256 thumbprint of a DER certificate.
pub fn sha256_thumbprint(der: &[u8]) -> String {
    hex_upper(&sha2::Sha256::digest(der))
}

fn hex_upper(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

/// The last end-entity certificate the verifier saw, kept to explain a failed handshake.
pub(crate) type SeenCert = Arc<Mutex<Option<Vec<u8>>>>;

#[derive(Debug)]
struct Verifier {
    webpki: Option<Arc<WebPkiServerVerifier>>,
    pins: Vec<Pin>,
    insecure: bool,
    provider: Arc<CryptoProvider>,
    seen: SeenCert,
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if let Ok(mut seen) = self.seen.lock() {
            *seen = Some(end_entity.to_vec());
        }
        if self.insecure {
            tracing::warn!(
                server = ?server_name,
                "TLS certificate verification is disabled; the connection can be intercepted"
            );
            return Ok(ServerCertVerified::assertion());
        }
        if !self.pins.is_empty() {
            let sha1: [u8; 20] = sha1::Sha1::digest(end_entity.as_ref()).into();
            let sha256: [u8; 32] = sha2::Sha256::digest(end_entity.as_ref()).into();
            let matched = self.pins.iter().any(|p| match p {
                Pin::Sha1(h) => *h == sha1,
                Pin::Sha256(h) => *h == sha256,
            });
            return if matched {
                Ok(ServerCertVerified::assertion())
            } else {
                Err(rustls::Error::InvalidCertificate(
                    CertificateError::ApplicationVerificationFailure,
                ))
            };
        }
        match &self.webpki {
            Some(v) => {
                v.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
            }
            None => Err(rustls::Error::InvalidCertificate(
                CertificateError::UnknownIssuer,
            )),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// Builds the rustls client configuration for `opts`; the returned slot receives the server
/// certificate of each handshake, so a failure can be explained.
pub(crate) fn client_config(
    opts: &TlsOptions,
) -> Result<(Arc<rustls::ClientConfig>, SeenCert), TransportError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let pins = opts
        .pinned_thumbprints
        .iter()
        .map(|p| parse_pin(p))
        .collect::<Result<Vec<_>, _>>()?;
    let mut roots = RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if let Some(path) = &opts.ca_file {
        let pem = std::fs::read(path).map_err(|e| {
            TransportError::Tls(format!("cannot read CA file {}: {e}", path.display()))
        })?;
        let mut added = 0usize;
        for cert in CertificateDer::pem_slice_iter(&pem) {
            let cert = cert.map_err(|e| {
                TransportError::Tls(format!("CA file {} is not valid PEM: {e}", path.display()))
            })?;
            roots.add(cert).map_err(|e| {
                TransportError::Tls(format!(
                    "CA file {}: unusable certificate: {e}",
                    path.display()
                ))
            })?;
            added += 1;
        }
        if added == 0 {
            return Err(TransportError::Tls(format!(
                "CA file {} holds no PEM certificate",
                path.display()
            )));
        }
    }
    let webpki = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .map_err(|e| TransportError::Tls(format!("cannot build the certificate verifier: {e}")))?;
    let seen: SeenCert = Arc::new(Mutex::new(None));
    let verifier = Verifier {
        webpki: Some(webpki),
        pins,
        insecure: opts.insecure,
        provider: provider.clone(),
        seen: seen.clone(),
    };
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| TransportError::Tls(e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    Ok((Arc::new(config), seen))
}

/// Turns a failed handshake into an error that names the problem, using the certificate the
/// verifier saw.
pub(crate) fn explain_handshake_error(
    err: &std::io::Error,
    host: &str,
    seen: &SeenCert,
) -> TransportError {
    let cert = seen.lock().ok().and_then(|mut s| s.take());
    let rustls_err = err
        .get_ref()
        .and_then(|e| e.downcast_ref::<rustls::Error>());
    let (Some(rustls::Error::InvalidCertificate(cert_err)), Some(der)) = (rustls_err, cert) else {
        return TransportError::Tls(err.to_string());
    };
    classify(cert_err, &der, host)
}

/// What a refused certificate became: each of rustls's and webpki's certificate errors maps to
/// an error that says what is wrong and what to do, with the thumbprints to pin it.
pub(crate) fn classify(cert_err: &CertificateError, der: &[u8], host: &str) -> TransportError {
    let parsed = X509Certificate::from_der(der).ok().map(|(_, c)| c);
    let untrusted = || TransportError::TlsUntrusted {
        issuer: parsed
            .as_ref()
            .map(|c| c.issuer().to_string())
            .unwrap_or_default(),
        sha1: sha1_thumbprint(der),
        sha256: sha256_thumbprint(der),
    };
    let rejected = |problem: CertificateProblem| TransportError::TlsRejected {
        problem,
        sha1: sha1_thumbprint(der),
        sha256: sha256_thumbprint(der),
    };
    #[allow(deprecated)]
    match cert_err {
        CertificateError::Expired
        | CertificateError::ExpiredContext { .. }
        | CertificateError::NotValidYet
        | CertificateError::NotValidYetContext { .. } => {
            let (nb, na) = parsed
                .as_ref()
                .map(|c| {
                    (
                        c.validity().not_before.to_string(),
                        c.validity().not_after.to_string(),
                    )
                })
                .unwrap_or_default();
            TransportError::TlsExpired {
                not_before: nb,
                not_after: na,
            }
        }
        CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
            TransportError::TlsWrongName {
                host: host.to_owned(),
                names: parsed.as_ref().map(certificate_names).unwrap_or_default(),
            }
        }
        CertificateError::UnknownIssuer => untrusted(),
        CertificateError::ApplicationVerificationFailure => TransportError::TlsPinMismatch {
            sha1: sha1_thumbprint(der),
            sha256: sha256_thumbprint(der),
        },
        CertificateError::BadSignature => rejected(CertificateProblem::BadSignature),
        CertificateError::BadEncoding => rejected(CertificateProblem::Malformed),
        CertificateError::Revoked => rejected(CertificateProblem::Revoked),
        CertificateError::UnknownRevocationStatus
        | CertificateError::ExpiredRevocationList
        | CertificateError::ExpiredRevocationListContext { .. } => {
            rejected(CertificateProblem::RevocationUnknown)
        }
        CertificateError::UnhandledCriticalExtension => {
            rejected(CertificateProblem::UnsupportedCriticalExtension)
        }
        CertificateError::UnsupportedSignatureAlgorithm
        | CertificateError::UnsupportedSignatureAlgorithmContext { .. }
        | CertificateError::UnsupportedSignatureAlgorithmForPublicKeyContext { .. } => {
            rejected(CertificateProblem::UnsupportedSignatureAlgorithm)
        }
        CertificateError::InvalidPurpose | CertificateError::InvalidPurposeContext { .. } => {
            rejected(CertificateProblem::NotForServerAuthentication)
        }
        CertificateError::InvalidOcspResponse => rejected(CertificateProblem::InvalidOcspResponse),
        CertificateError::Other(other) => match other.0.downcast_ref::<webpki::Error>() {
            // A self-signed certificate made as a CA (`openssl req -x509` marks it CA:TRUE) is
            // refused as a server certificate before any trust question: it is untrusted like
            // any other self-signed one, and pinning it works.
            Some(webpki::Error::CaUsedAsEndEntity) => untrusted(),
            Some(e) => rejected(webpki_problem(e)),
            None => rejected(CertificateProblem::Other(other.to_string())),
        },
        other => rejected(CertificateProblem::Other(format!("{other:?}"))),
    }
}

/// The problem a webpki error that rustls does not translate names.
fn webpki_problem(e: &webpki::Error) -> CertificateProblem {
    use webpki::Error as W;
    #[allow(deprecated)]
    match e {
        W::EndEntityUsedAsCa => CertificateProblem::EndEntityUsedAsCa,
        W::UnsupportedCriticalExtension => CertificateProblem::UnsupportedCriticalExtension,
        W::CertRevoked => CertificateProblem::Revoked,
        W::UnknownRevocationStatus | W::CrlExpired { .. } => CertificateProblem::RevocationUnknown,
        W::RequiredEkuNotFound | W::RequiredEkuNotFoundContext(_) | W::EmptyEkuExtension => {
            CertificateProblem::NotForServerAuthentication
        }
        W::InvalidSignatureForPublicKey | W::SignatureAlgorithmMismatch => {
            CertificateProblem::BadSignature
        }
        W::UnsupportedSignatureAlgorithm
        | W::UnsupportedSignatureAlgorithmContext(_)
        | W::UnsupportedSignatureAlgorithmForPublicKey
        | W::UnsupportedSignatureAlgorithmForPublicKeyContext(_) => {
            CertificateProblem::UnsupportedSignatureAlgorithm
        }
        W::BadDer
        | W::BadDerTime
        | W::TrailingData(_)
        | W::ExtensionValueInvalid
        | W::MalformedExtensions
        | W::MalformedDnsIdentifier
        | W::MalformedNameConstraint
        | W::InvalidSerialNumber
        | W::InvalidCertValidity
        | W::UnsupportedCertVersion => CertificateProblem::Malformed,
        W::PathLenConstraintViolated => {
            CertificateProblem::ChainConstraint("an issuer's path length is exceeded".into())
        }
        W::NameConstraintViolation | W::InvalidNetworkMaskConstraint => {
            CertificateProblem::ChainConstraint(
                "the name is outside an issuer's name constraints".into(),
            )
        }
        W::MaximumPathDepthExceeded
        | W::MaximumPathBuildCallsExceeded
        | W::MaximumSignatureChecksExceeded
        | W::MaximumNameConstraintComparisonsExceeded => CertificateProblem::ChainConstraint(
            "the chain is too long or too complex to verify".into(),
        ),
        other => CertificateProblem::Other(format!("{other:?}")),
    }
}

/// The DNS names and IP addresses a certificate is valid for, falling back to the subject's
/// common names when it has no subjectAltName.
pub(crate) fn certificate_names(cert: &X509Certificate<'_>) -> Vec<String> {
    let mut names = Vec::new();
    if let Ok(Some(san)) = cert.subject_alternative_name() {
        for n in &san.value.general_names {
            match n {
                GeneralName::DNSName(d) => names.push((*d).to_owned()),
                GeneralName::IPAddress(ip) => {
                    if let Ok(a) = <[u8; 4]>::try_from(*ip) {
                        names.push(std::net::Ipv4Addr::from(a).to_string());
                    } else if let Ok(a) = <[u8; 16]>::try_from(*ip) {
                        names.push(std::net::Ipv6Addr::from(a).to_string());
                    }
                }
                _ => {}
            }
        }
    }
    if names.is_empty() {
        names.extend(
            cert.subject()
                .iter_common_name()
                .filter_map(|cn| cn.as_str().ok().map(str::to_owned)),
        );
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pins_accept_any_case_and_colons() {
        let sha1 = "0a:1B:2c:3D:4e:5F:60:71:82:93:a4:b5:c6:d7:e8:f9:00:11:22:33";
        assert_eq!(
            parse_pin(sha1).unwrap(),
            Pin::Sha1([
                0x0a, 0x1b, 0x2c, 0x3d, 0x4e, 0x5f, 0x60, 0x71, 0x82, 0x93, 0xa4, 0xb5, 0xc6, 0xd7,
                0xe8, 0xf9, 0x00, 0x11, 0x22, 0x33
            ])
        );
        assert!(matches!(
            parse_pin(&"ab".repeat(32)).unwrap(),
            Pin::Sha256(_)
        ));
        assert!(parse_pin("abc").is_err());
        assert!(parse_pin(&"zz".repeat(20)).is_err());
        assert!(parse_pin(&"é".repeat(20)).is_err());
    }

    #[test]
    fn unusable_ca_files_are_named() {
        let path = std::env::temp_dir().join(format!("mx-tls-empty-{}.pem", std::process::id()));
        std::fs::write(&path, "not a certificate").unwrap();
        let opts = TlsOptions {
            ca_file: Some(path.clone()),
            ..TlsOptions::default()
        };
        let err = client_config(&opts).unwrap_err();
        assert!(
            err.to_string().contains("holds no PEM certificate"),
            "{err}"
        );
        std::fs::remove_file(&path).unwrap();
        let missing = TlsOptions {
            ca_file: Some(path),
            ..TlsOptions::default()
        };
        assert!(
            client_config(&missing)
                .unwrap_err()
                .to_string()
                .contains("cannot read CA file")
        );
    }

    #[test]
    fn thumbprints_are_upper_hex() {
        assert_eq!(
            sha1_thumbprint(b"abc"),
            "A9993E364706816ABA3E25717850C26C9CD0D89D"
        );
        assert_eq!(sha256_thumbprint(b"abc").len(), 64);
    }

    fn classified(err: CertificateError) -> TransportError {
        let key = rcgen::KeyPair::generate().unwrap();
        let params = rcgen::CertificateParams::new(vec!["ex01.corp.test".into()]).unwrap();
        let der = params.self_signed(&key).unwrap().der().to_vec();
        let e = classify(&err, &der, "ex01.corp.test");
        let text = e.to_string();
        if !matches!(
            e,
            TransportError::TlsExpired { .. } | TransportError::TlsWrongName { .. }
        ) {
            assert!(text.contains(&sha1_thumbprint(&der)), "{text}");
            assert!(text.contains(&sha256_thumbprint(&der)), "{text}");
        }
        assert!(!text.contains("Other("), "{text}");
        e
    }

    fn problem(err: CertificateError) -> CertificateProblem {
        match classified(err) {
            TransportError::TlsRejected { problem, .. } => problem,
            other => panic!("expected TlsRejected, got {other:?}"),
        }
    }

    fn webpki_err(e: webpki::Error) -> CertificateError {
        CertificateError::Other(rustls::OtherError(Arc::new(e)))
    }

    #[test]
    fn every_certificate_error_names_its_problem_and_fix() {
        assert!(matches!(
            classified(CertificateError::Expired),
            TransportError::TlsExpired { .. }
        ));
        assert!(matches!(
            classified(CertificateError::NotValidYet),
            TransportError::TlsExpired { .. }
        ));
        assert!(matches!(
            classified(CertificateError::NotValidForName),
            TransportError::TlsWrongName { .. }
        ));
        assert!(matches!(
            classified(CertificateError::UnknownIssuer),
            TransportError::TlsUntrusted { .. }
        ));
        assert!(matches!(
            classified(webpki_err(webpki::Error::CaUsedAsEndEntity)),
            TransportError::TlsUntrusted { .. }
        ));
        assert!(matches!(
            classified(CertificateError::ApplicationVerificationFailure),
            TransportError::TlsPinMismatch { .. }
        ));
        let cases = [
            (CertificateError::Revoked, CertificateProblem::Revoked),
            (
                CertificateError::UnknownRevocationStatus,
                CertificateProblem::RevocationUnknown,
            ),
            (
                CertificateError::ExpiredRevocationList,
                CertificateProblem::RevocationUnknown,
            ),
            (
                CertificateError::BadSignature,
                CertificateProblem::BadSignature,
            ),
            (CertificateError::BadEncoding, CertificateProblem::Malformed),
            (
                CertificateError::UnhandledCriticalExtension,
                CertificateProblem::UnsupportedCriticalExtension,
            ),
            (
                CertificateError::InvalidPurpose,
                CertificateProblem::NotForServerAuthentication,
            ),
            (
                CertificateError::InvalidOcspResponse,
                CertificateProblem::InvalidOcspResponse,
            ),
            (
                webpki_err(webpki::Error::EndEntityUsedAsCa),
                CertificateProblem::EndEntityUsedAsCa,
            ),
            (
                webpki_err(webpki::Error::UnsupportedCriticalExtension),
                CertificateProblem::UnsupportedCriticalExtension,
            ),
            (
                webpki_err(webpki::Error::UnsupportedCertVersion),
                CertificateProblem::Malformed,
            ),
            (
                webpki_err(webpki::Error::InvalidSignatureForPublicKey),
                CertificateProblem::BadSignature,
            ),
        ];
        for (err, want) in cases {
            assert_eq!(problem(err), want);
        }
        assert!(matches!(
            problem(webpki_err(webpki::Error::PathLenConstraintViolated)),
            CertificateProblem::ChainConstraint(_)
        ));
        assert!(matches!(
            problem(webpki_err(webpki::Error::NameConstraintViolation)),
            CertificateProblem::ChainConstraint(_)
        ));
        #[allow(deprecated)]
        let weak = problem(CertificateError::UnsupportedSignatureAlgorithm);
        assert_eq!(weak, CertificateProblem::UnsupportedSignatureAlgorithm);
        let text = classified(CertificateError::Revoked).to_string();
        assert!(
            text.contains("revoked") && text.contains("Fix: issue a new certificate"),
            "{text}"
        );
    }

    #[test]
    fn names_come_from_san() {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params =
            rcgen::CertificateParams::new(vec!["ex01.corp.test".into(), "127.0.0.1".into()])
                .unwrap();
        params.distinguished_name = rcgen::DistinguishedName::new();
        let cert = params.self_signed(&key).unwrap();
        let (_, parsed) = X509Certificate::from_der(cert.der()).unwrap();
        assert_eq!(certificate_names(&parsed), ["ex01.corp.test", "127.0.0.1"]);
    }
}
