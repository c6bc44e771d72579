//! Transport over HTTPS against a loopback server: pinning, CA files, certificate errors that
//! name the problem, and NTLM channel binding.

mod common;

use std::io::Write as _;
use std::sync::atomic::Ordering;

use common::transport::{Mode, ServerConfig, ca_and_leaf, self_signed, start, tls_server};
use monosync_exchange::transport::cbt::tls_server_end_point;
use monosync_exchange::transport::tls::{sha1_thumbprint, sha256_thumbprint};
use monosync_exchange::transport::{
    AuthMethod, Credentials, Transport, TransportError, TransportOptions,
};

const HOST: &str = "ex01.corp.test";

async fn https_server(
    mode: Mode,
    cert: Vec<u8>,
    key: Vec<u8>,
) -> (common::transport::TestServer, Vec<u8>) {
    let mut config = ServerConfig::new(mode);
    config.tls = Some(tls_server(cert.clone(), key));
    (start("127.0.0.1:0", config).await.unwrap(), cert)
}

fn opts(
    server: &common::transport::TestServer,
    auth: AuthMethod,
    password: &str,
) -> TransportOptions {
    let port = server.addr.port();
    let mut o = TransportOptions::new(
        format!("https://{HOST}:{port}/wsman"),
        auth,
        Credentials::new("CORP\\alice", password),
    );
    o.resolve_overrides = vec![format!("{HOST}:{port}:127.0.0.1").parse().unwrap()];
    o
}

fn write_temp(name: &str, text: &str) -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!("mx-transport-{}-{name}", std::process::id()));
    let mut f = std::fs::File::create(&path).unwrap();
    f.write_all(text.as_bytes()).unwrap();
    path
}

#[tokio::test]
async fn basic_over_https_with_a_pinned_sha1_thumbprint() {
    let (cert, key) = self_signed(&[HOST]);
    let (server, cert) = https_server(Mode::Basic, cert, key).await;
    let mut o = opts(&server, AuthMethod::Basic, "Passw0rd!");
    o.tls.pinned_thumbprints = vec![sha1_thumbprint(&cert).to_lowercase()];
    let mut t = Transport::new(o).unwrap();
    assert_eq!(t.post(b"hello").await.unwrap(), b"<reply>hello");
    assert!(!t.is_sealing());
}

#[tokio::test]
async fn pinned_sha256_with_colons_ignores_the_name() {
    // The certificate names another host: a pin trusts the certificate itself.
    let (cert, key) = self_signed(&["somewhere.else"]);
    let (server, cert) = https_server(Mode::Basic, cert, key).await;
    let mut o = opts(&server, AuthMethod::Basic, "Passw0rd!");
    let hex = sha256_thumbprint(&cert);
    let with_colons: Vec<String> = hex
        .as_bytes()
        .chunks(2)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect();
    o.tls.pinned_thumbprints = vec![with_colons.join(":")];
    let mut t = Transport::new(o).unwrap();
    assert_eq!(t.post(b"x").await.unwrap(), b"<reply>x");
}

#[tokio::test]
async fn untrusted_certificate_reports_thumbprints_to_pin() {
    let (cert, key) = self_signed(&[HOST]);
    let (server, cert) = https_server(Mode::Basic, cert, key).await;
    let mut t = Transport::new(opts(&server, AuthMethod::Basic, "Passw0rd!")).unwrap();
    match t.post(b"x").await.unwrap_err() {
        TransportError::TlsUntrusted { sha1, sha256, .. } => {
            assert_eq!(sha1, sha1_thumbprint(&cert));
            assert_eq!(sha256, sha256_thumbprint(&cert));
        }
        other => panic!("expected TlsUntrusted, got {other:?}"),
    }
    assert_eq!(server.observed.soap_requests.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn pin_mismatch_is_reported() {
    let (cert, key) = self_signed(&[HOST]);
    let (server, cert) = https_server(Mode::Basic, cert, key).await;
    let mut o = opts(&server, AuthMethod::Basic, "Passw0rd!");
    o.tls.pinned_thumbprints = vec!["00".repeat(20)];
    let mut t = Transport::new(o).unwrap();
    match t.post(b"x").await.unwrap_err() {
        TransportError::TlsPinMismatch { sha1, .. } => assert_eq!(sha1, sha1_thumbprint(&cert)),
        other => panic!("expected TlsPinMismatch, got {other:?}"),
    }
}

#[tokio::test]
async fn ca_file_makes_the_chain_trusted() {
    let (ca_pem, leaf, key) = ca_and_leaf(&[HOST], false);
    let (server, _) = https_server(Mode::Basic, leaf, key).await;
    let mut o = opts(&server, AuthMethod::Basic, "Passw0rd!");
    o.tls.ca_file = Some(write_temp("ca-ok.pem", &ca_pem));
    let mut t = Transport::new(o).unwrap();
    assert_eq!(t.post(b"x").await.unwrap(), b"<reply>x");
}

#[tokio::test]
async fn expired_certificate_reports_its_dates() {
    let (ca_pem, leaf, key) = ca_and_leaf(&[HOST], true);
    let (server, _) = https_server(Mode::Basic, leaf, key).await;
    let mut o = opts(&server, AuthMethod::Basic, "Passw0rd!");
    o.tls.ca_file = Some(write_temp("ca-expired.pem", &ca_pem));
    let mut t = Transport::new(o).unwrap();
    match t.post(b"x").await.unwrap_err() {
        TransportError::TlsExpired {
            not_before,
            not_after,
        } => {
            assert!(not_before.contains("2001"), "{not_before}");
            assert!(not_after.contains("2002"), "{not_after}");
        }
        other => panic!("expected TlsExpired, got {other:?}"),
    }
}

#[tokio::test]
async fn wrong_name_reports_the_certificate_names() {
    let (ca_pem, leaf, key) = ca_and_leaf(&["other.corp.test", "mail.corp.test"], false);
    let (server, _) = https_server(Mode::Basic, leaf, key).await;
    let mut o = opts(&server, AuthMethod::Basic, "Passw0rd!");
    o.tls.ca_file = Some(write_temp("ca-name.pem", &ca_pem));
    let mut t = Transport::new(o).unwrap();
    let err = t.post(b"x").await.unwrap_err();
    match &err {
        TransportError::TlsWrongName { host, names } => {
            assert_eq!(host, HOST);
            assert_eq!(names, &["other.corp.test", "mail.corp.test"]);
        }
        other => panic!("expected TlsWrongName, got {other:?}"),
    }
    assert!(err.to_string().contains("other.corp.test"));
}

#[tokio::test]
async fn insecure_accepts_any_certificate() {
    let (cert, key) = self_signed(&["nothing.like.it"]);
    let (server, _) = https_server(Mode::Basic, cert, key).await;
    let mut o = opts(&server, AuthMethod::Basic, "Passw0rd!");
    o.tls.insecure = true;
    let mut t = Transport::new(o).unwrap();
    assert_eq!(t.post(b"x").await.unwrap(), b"<reply>x");
}

#[tokio::test]
async fn ntlm_over_https_sends_the_channel_binding() {
    let (cert, key) = self_signed(&[HOST]);
    let mut config = ServerConfig::new(Mode::Ntlm);
    config.expected_cbt = Some(tls_server_end_point(&cert).unwrap());
    config.tls = Some(tls_server(cert.clone(), key));
    let server = start("127.0.0.1:0", config).await.unwrap();
    let mut o = opts(&server, AuthMethod::Ntlm, "Passw0rd!");
    o.tls.pinned_thumbprints = vec![sha1_thumbprint(&cert)];
    let mut t = Transport::new(o).unwrap();
    assert_eq!(t.post(b"cbt").await.unwrap(), b"<reply>cbt");
    // TLS protects the body: no message encryption on HTTPS.
    assert!(!t.is_sealing());
    assert_eq!(server.observed.sealed_requests.load(Ordering::SeqCst), 0);
    assert_eq!(server.observed.soap_requests.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn ntlm_with_a_different_channel_binding_is_rejected() {
    let (cert, key) = self_signed(&[HOST]);
    let (other, _) = self_signed(&[HOST]);
    let mut config = ServerConfig::new(Mode::Ntlm);
    // The server expects the binding of another certificate, as behind a TLS-intercepting proxy.
    config.expected_cbt = Some(tls_server_end_point(&other).unwrap());
    config.tls = Some(tls_server(cert.clone(), key));
    let server = start("127.0.0.1:0", config).await.unwrap();
    let mut o = opts(&server, AuthMethod::Ntlm, "Passw0rd!");
    o.tls.pinned_thumbprints = vec![sha1_thumbprint(&cert)];
    let mut t = Transport::new(o).unwrap();
    assert!(matches!(
        t.post(b"x").await.unwrap_err(),
        TransportError::Auth { .. }
    ));
}
