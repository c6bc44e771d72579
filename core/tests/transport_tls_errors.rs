//! Every way a server certificate is refused, over a real handshake: each gives a typed error
//! that names the problem, what fixes it and the thumbprints to pin it, and pinning the
//! refused certificate works.

mod common;

use std::io::Write as _;
use std::sync::Arc;

use common::transport::{Mode, ServerConfig, start};
use monosync_exchange::transport::tls::{sha1_thumbprint, sha256_thumbprint};
use monosync_exchange::transport::{
    AuthMethod, CertificateProblem, Credentials, Transport, TransportError, TransportOptions,
};
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, CustomExtension, DnType,
    ExtendedKeyUsagePurpose, IsCa, KeyPair,
};

const HOST: &str = "ex01.corp.test";

/// Hands out one certificate chain without checking it, as a misconfigured server does
/// (rustls's own `with_single_cert` refuses some of the certificates tested here).
#[derive(Debug)]
struct Presents(Arc<rustls::sign::CertifiedKey>);

impl rustls::server::ResolvesServerCert for Presents {
    fn resolve(
        &self,
        _hello: rustls::server::ClientHello<'_>,
    ) -> Option<Arc<rustls::sign::CertifiedKey>> {
        Some(self.0.clone())
    }
}

/// A server presenting `chain` (leaf first) with the leaf's key.
async fn serve(chain: Vec<Vec<u8>>, key: Vec<u8>) -> common::transport::TestServer {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let signing = provider
        .key_provider
        .load_private_key(rustls_pki_types::PrivateKeyDer::Pkcs8(key.into()))
        .unwrap();
    let certified = rustls::sign::CertifiedKey::new(
        chain
            .into_iter()
            .map(rustls_pki_types::CertificateDer::from)
            .collect(),
        signing,
    );
    let tls = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_cert_resolver(Arc::new(Presents(Arc::new(certified))));
    let mut config = ServerConfig::new(Mode::Basic);
    config.tls = Some(Arc::new(tls));
    start("127.0.0.1:0", config).await.unwrap()
}

fn opts(server: &common::transport::TestServer) -> TransportOptions {
    let port = server.addr.port();
    let mut o = TransportOptions::new(
        format!("https://{HOST}:{port}/wsman"),
        AuthMethod::Basic,
        Credentials::new("CORP\\alice", "Passw0rd!"),
    );
    o.resolve_overrides = vec![format!("{HOST}:{port}:127.0.0.1").parse().unwrap()];
    o
}

fn ca_file(name: &str, pem: &str) -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!("mx-tls-errors-{}-{name}", std::process::id()));
    std::fs::File::create(&path)
        .unwrap()
        .write_all(pem.as_bytes())
        .unwrap();
    path
}

fn root_ca() -> CertifiedIssuer<'static, KeyPair> {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params
        .distinguished_name
        .push(DnType::CommonName, "Corp Root CA");
    CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap()
}

fn leaf_params() -> CertificateParams {
    CertificateParams::new(vec![HOST.to_owned()]).unwrap()
}

async fn refused(o: TransportOptions) -> TransportError {
    Transport::new(o).unwrap().post(b"x").await.unwrap_err()
}

async fn accepted(o: TransportOptions) {
    assert_eq!(
        Transport::new(o).unwrap().post(b"x").await.unwrap(),
        b"<reply>x"
    );
}

fn assert_thumbprints(err: &TransportError, der: &[u8]) {
    let text = err.to_string();
    assert!(text.contains(&sha1_thumbprint(der)), "{text}");
    assert!(text.contains(&sha256_thumbprint(der)), "{text}");
}

#[tokio::test]
async fn self_signed_ca_certificate_is_untrusted_and_can_be_pinned() {
    // What `openssl req -x509` makes by default: self-signed with CA:TRUE.
    let key = KeyPair::generate().unwrap();
    let mut params = leaf_params();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, HOST);
    let cert = params.self_signed(&key).unwrap().der().to_vec();
    let server = serve(vec![cert.clone()], key.serialize_der()).await;

    let err = refused(opts(&server)).await;
    match &err {
        TransportError::TlsUntrusted { sha1, sha256, .. } => {
            assert_eq!(sha1, &sha1_thumbprint(&cert));
            assert_eq!(sha256, &sha256_thumbprint(&cert));
        }
        other => panic!("expected TlsUntrusted, got {other:?}"),
    }
    let text = err.to_string();
    assert!(text.contains("not trusted"), "{text}");
    assert!(!text.contains("CaUsedAsEndEntity"), "{text}");
    assert_thumbprints(&err, &cert);

    for pin in [sha1_thumbprint(&cert), sha256_thumbprint(&cert)] {
        let mut o = opts(&server);
        o.tls.pinned_thumbprints = vec![pin];
        accepted(o).await;
    }
}

#[tokio::test]
async fn openssl_req_x509_certificate_is_untrusted_and_can_be_pinned() {
    // The certificate exactly as `openssl req -x509` makes it (CA:TRUE by default).
    let dir = std::env::temp_dir().join(format!("mx-tls-openssl-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (key_path, cert_path) = (dir.join("key.pem"), dir.join("cert.pem"));
    let made = std::process::Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
        ])
        .args(["-nodes", "-days", "30", "-subj", &format!("/CN={HOST}")])
        .args(["-addext", &format!("subjectAltName=DNS:{HOST}")])
        .arg("-keyout")
        .arg(&key_path)
        .arg("-out")
        .arg(&cert_path)
        .output();
    let Ok(made) = made else {
        println!("skipped: no openssl command");
        return;
    };
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let cert = std::fs::read_to_string(&cert_path).unwrap();
    assert!(
        std::process::Command::new("openssl")
            .args(["x509", "-noout", "-text", "-in"])
            .arg(&cert_path)
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).contains("CA:TRUE"))
            .unwrap(),
        "openssl made a CA certificate"
    );
    use rustls_pki_types::pem::PemObject as _;
    let der = rustls_pki_types::CertificateDer::from_pem_slice(cert.as_bytes())
        .unwrap()
        .to_vec();
    let key = rustls_pki_types::PrivatePkcs8KeyDer::from_pem_file(&key_path)
        .unwrap()
        .secret_pkcs8_der()
        .to_vec();
    std::fs::remove_dir_all(&dir).unwrap();
    let server = serve(vec![der.clone()], key).await;
    let err = refused(opts(&server)).await;
    assert!(
        matches!(err, TransportError::TlsUntrusted { .. }),
        "{err:?}"
    );
    assert_thumbprints(&err, &der);
    let mut o = opts(&server);
    o.tls.pinned_thumbprints = vec![sha256_thumbprint(&der)];
    accepted(o).await;
}

#[tokio::test]
async fn certificate_without_server_authentication_names_the_eku() {
    let ca = root_ca();
    let key = KeyPair::generate().unwrap();
    let mut params = leaf_params();
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    let leaf = params.signed_by(&key, &ca).unwrap().der().to_vec();
    let server = serve(vec![leaf.clone()], key.serialize_der()).await;
    let mut o = opts(&server);
    o.tls.ca_file = Some(ca_file("eku.pem", &ca.pem()));
    let err = refused(o.clone()).await;
    assert!(
        matches!(
            &err,
            TransportError::TlsRejected {
                problem: CertificateProblem::NotForServerAuthentication,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("Server Authentication"), "{err}");
    assert_thumbprints(&err, &leaf);
    o.tls.pinned_thumbprints = vec![sha1_thumbprint(&leaf)];
    accepted(o).await;
}

#[tokio::test]
async fn unknown_critical_extension_is_named() {
    let ca = root_ca();
    let key = KeyPair::generate().unwrap();
    let mut params = leaf_params();
    let mut ext = CustomExtension::from_oid_content(&[1, 3, 6, 1, 4, 1, 99999, 1], vec![5, 0]);
    ext.set_criticality(true);
    params.custom_extensions = vec![ext];
    let leaf = params.signed_by(&key, &ca).unwrap().der().to_vec();
    let server = serve(vec![leaf.clone()], key.serialize_der()).await;
    let mut o = opts(&server);
    o.tls.ca_file = Some(ca_file("critical.pem", &ca.pem()));
    let err = refused(o).await;
    assert!(
        matches!(
            &err,
            TransportError::TlsRejected {
                problem: CertificateProblem::UnsupportedCriticalExtension,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("critical extension"), "{err}");
    assert_thumbprints(&err, &leaf);
}

#[tokio::test]
async fn server_certificate_used_as_an_issuer_is_named() {
    // root -> "intermediate" marked CA:FALSE -> leaf: the chain is broken at the middle.
    let ca = root_ca();
    let mut mid_params = CertificateParams::new(vec!["not-a-ca.corp.test".to_owned()]).unwrap();
    mid_params.is_ca = IsCa::ExplicitNoCa;
    mid_params
        .distinguished_name
        .push(DnType::CommonName, "not-a-ca.corp.test");
    let mid = CertifiedIssuer::signed_by(mid_params, KeyPair::generate().unwrap(), &ca).unwrap();
    let key = KeyPair::generate().unwrap();
    let leaf = leaf_params().signed_by(&key, &mid).unwrap().der().to_vec();
    let server = serve(vec![leaf.clone(), mid.der().to_vec()], key.serialize_der()).await;
    let mut o = opts(&server);
    o.tls.ca_file = Some(ca_file("mid.pem", &ca.pem()));
    let err = refused(o).await;
    match &err {
        TransportError::TlsRejected {
            problem: CertificateProblem::EndEntityUsedAsCa,
            ..
        } => {}
        other => panic!("expected EndEntityUsedAsCa, got {other:?}"),
    }
    assert!(!err.to_string().contains("Other("), "{err}");
    assert_thumbprints(&err, &leaf);
}

#[tokio::test]
async fn not_yet_valid_certificate_gives_its_dates() {
    let ca = root_ca();
    let key = KeyPair::generate().unwrap();
    let mut params = leaf_params();
    params.not_before = rcgen::date_time_ymd(2090, 1, 1);
    params.not_after = rcgen::date_time_ymd(2091, 1, 1);
    let leaf = params.signed_by(&key, &ca).unwrap().der().to_vec();
    let server = serve(vec![leaf], key.serialize_der()).await;
    let mut o = opts(&server);
    o.tls.ca_file = Some(ca_file("future.pem", &ca.pem()));
    match refused(o).await {
        TransportError::TlsExpired { not_before, .. } => {
            assert!(not_before.contains("2090"), "{not_before}")
        }
        other => panic!("expected TlsExpired, got {other:?}"),
    }
}
