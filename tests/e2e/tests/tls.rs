//! HTTPS end to end through `Session`: NTLM with channel binding under strict hardening, a
//! TLS-inspecting proxy whose bindings cannot match, and certificate errors (expired, wrong
//! name) that name the dates and the names, with the administrator's fix.

use std::sync::Arc;

use monosync_exchange::exchange::{Command, ErrorKind, Session, SessionError, SessionOptions};
use monosync_exchange::transport::{AuthMethod, Credentials, TransportError};
use mx_sim::http::tls::TlsIdentity;
use mx_sim::{CbtLevel, RunningServer, Server, SimConfig};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};

const ADMIN: &str = "Administrator";
const ADMIN_PW: &str = "P@ssw0rd!";
const HOST: &str = "ex01.corp.example";

fn https_server(identity: TlsIdentity, cbt: CbtLevel) -> RunningServer {
    Server::start(SimConfig {
        tls: Some(identity),
        cbt,
        ..SimConfig::default()
    })
    .expect("server")
}

/// NTLM options for `https://ex01.corp.example:<port>/PowerShell` resolved to loopback.
fn ntlm_over_https(port: u16) -> SessionOptions {
    let mut o = SessionOptions::exchange(
        format!("https://{HOST}:{port}/PowerShell"),
        AuthMethod::Ntlm,
        Credentials::new(format!("CONTOSO\\{ADMIN}"), ADMIN_PW),
    );
    o.transport.resolve_overrides = vec![
        format!("{HOST}:{port}:127.0.0.1")
            .parse()
            .expect("override"),
    ];
    o
}

fn temp_file(name: &str, text: &str) -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!("mx-e2e-{}-{name}", std::process::id()));
    std::fs::write(&path, text).expect("write");
    path
}

/// A CA and a leaf it signs for `names`, valid now or only in 2001.
fn ca_and_leaf(names: &[&str], expired: bool) -> (String, TlsIdentity) {
    let ca_key = rcgen::KeyPair::generate().expect("key");
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "Corp Test CA");
    let ca = rcgen::CertifiedIssuer::self_signed(ca_params, ca_key).expect("CA");
    let leaf_key = rcgen::KeyPair::generate().expect("key");
    let mut params =
        rcgen::CertificateParams::new(names.iter().map(|s| s.to_string()).collect::<Vec<_>>())
            .expect("params");
    if expired {
        params.not_before = rcgen::date_time_ymd(2001, 3, 1);
        params.not_after = rcgen::date_time_ymd(2001, 9, 1);
    }
    let leaf = params.signed_by(&leaf_key, &ca).expect("leaf");
    (
        ca.pem(),
        TlsIdentity {
            chain: vec![leaf.der().to_vec()],
            key: leaf_key.serialize_der(),
        },
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ntlm_with_channel_binding_passes_strict_hardening() {
    let identity = TlsIdentity::self_signed(&[HOST.into()]).expect("certificate");
    let thumbprint = identity.sha1_thumbprint();
    let server = https_server(identity, CbtLevel::Strict);
    let mut options = ntlm_over_https(server.addr().port());
    options.transport.tls.pinned_thumbprints = vec![thumbprint];
    let mut session = Session::connect(options).await.expect("connect");
    let r = session
        .invoke(Command::new("Get-Mailbox").param("Identity", ADMIN))
        .await
        .expect("Get-Mailbox");
    assert_eq!(
        r.output[0]
            .property("SamAccountName")
            .and_then(|v| v.as_str()),
        Some(ADMIN)
    );
    session.close().await.expect("close");
    let log = server.request_log().entries();
    let soap: Vec<_> = log
        .iter()
        .filter(|e| e.operation != "Auth" && e.status == 200)
        .collect();
    assert!(soap.len() >= 4, "{log:?}");
    // TLS protects the bodies; NTLM authenticated every connection, with bindings.
    assert!(
        soap.iter()
            .all(|e| !e.sealed && e.auth.as_deref() == Some("Ntlm")),
        "{log:?}"
    );
    assert_eq!(server.shell_count(), 0);
}

/// Accepts any server certificate: the proxy below trusts the server it forwards to.
#[derive(Debug)]
struct AnyCertificate(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// A TLS-inspecting proxy: terminates TLS with its own certificate and opens a new TLS
/// connection to `upstream`. Returns its port.
async fn start_inspecting_proxy(identity: &TlsIdentity, upstream: std::net::SocketAddr) -> u16 {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let server_config = rustls::ServerConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(
            vec![CertificateDer::from(identity.leaf().to_vec())],
            PrivateKeyDer::try_from(identity.key.clone()).expect("key"),
        )
        .expect("server config");
    let client_config = rustls::ClientConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .expect("versions")
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AnyCertificate(provider)))
        .with_no_client_auth();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(server_config));
    let connector = tokio_rustls::TlsConnector::from(Arc::new(client_config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            let connector = connector.clone();
            tokio::spawn(async move {
                let Ok(mut client) = acceptor.accept(tcp).await else {
                    return;
                };
                let Ok(up) = tokio::net::TcpStream::connect(upstream).await else {
                    return;
                };
                let Ok(name) = ServerName::try_from(HOST) else {
                    return;
                };
                let Ok(mut up) = connector.connect(name, up).await else {
                    return;
                };
                let _ = tokio::io::copy_bidirectional(&mut client, &mut up).await;
            });
        }
    });
    port
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bindings_of_another_certificate_are_refused_under_strict_hardening() {
    let identity = TlsIdentity::self_signed(&[HOST.into()]).expect("certificate");
    let server = https_server(identity, CbtLevel::Strict);
    let proxy_identity = TlsIdentity::self_signed(&[HOST.into()]).expect("proxy certificate");
    let proxy_port = start_inspecting_proxy(&proxy_identity, server.addr()).await;
    // The client trusts the proxy's certificate, so its bindings name that one.
    let mut options = ntlm_over_https(proxy_port);
    options.transport.tls.pinned_thumbprints = vec![proxy_identity.sha1_thumbprint()];
    let err = Session::connect(options)
        .await
        .expect_err("the bindings do not match the server's certificate");
    println!("through the proxy: {err}\n    hint: {:?}", err.hint());
    assert_eq!(err.kind(), ErrorKind::Auth);
    assert!(
        matches!(&err, SessionError::Transport(TransportError::Auth { .. })),
        "{err:?}"
    );
    assert!(
        err.hint()
            .is_some_and(|h| h.contains("channel-binding hardening Strict")),
        "{err:?}"
    );
    assert_eq!(server.shell_count(), 0);
    // The log shows the authentication attempts and no SOAP request ran.
    let log = server.request_log().entries();
    assert!(
        log.iter().all(|e| e.status == 401 || e.operation == "Auth"),
        "{log:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_certificate_names_its_dates_and_how_to_rebind() {
    let (ca_pem, identity) = ca_and_leaf(&[HOST], true);
    let server = https_server(identity, CbtLevel::Relaxed);
    let mut options = ntlm_over_https(server.addr().port());
    options.transport.tls.ca_file = Some(temp_file("expired-ca.pem", &ca_pem));
    let err = Session::connect(options).await.expect_err("expired");
    let hint = err.hint().expect("hint");
    println!("expired: {err}\n    hint: {hint}");
    assert_eq!(err.kind(), ErrorKind::Tls);
    let text = err.to_string();
    assert!(
        text.contains("2001-03-01") || text.contains("Mar"),
        "{text}"
    );
    assert!(text.contains("2001"), "{text}");
    assert!(hint.contains("2001"), "{hint}");
    assert!(
        hint.contains(
            "winrm set winrm/config/Listener?Address=*+Transport=HTTPS @{CertificateThumbprint=\"<new>\"}"
        ),
        "{hint}"
    );
    assert_eq!(server.shell_count(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_certificate_name_lists_the_names_it_carries() {
    let (ca_pem, identity) =
        ca_and_leaf(&["mail.corp.example", "autodiscover.corp.example"], false);
    let server = https_server(identity, CbtLevel::Relaxed);
    let mut options = ntlm_over_https(server.addr().port());
    options.transport.tls.ca_file = Some(temp_file("name-ca.pem", &ca_pem));
    let err = Session::connect(options).await.expect_err("wrong name");
    let hint = err.hint().expect("hint");
    println!("wrong name: {err}\n    hint: {hint}");
    assert_eq!(err.kind(), ErrorKind::Tls);
    let text = err.to_string();
    assert!(
        text.contains(HOST)
            && text.contains("mail.corp.example")
            && text.contains("autodiscover.corp.example"),
        "{text}"
    );
    assert!(hint.contains("mail.corp.example"), "{hint}");

    // The same CA and a name the certificate carries: it connects.
    let mut ok = SessionOptions::exchange(
        format!(
            "https://mail.corp.example:{}/PowerShell",
            server.addr().port()
        ),
        AuthMethod::Ntlm,
        Credentials::new(format!("CONTOSO\\{ADMIN}"), ADMIN_PW),
    );
    ok.transport.resolve_overrides = vec![
        format!("mail.corp.example:{}:127.0.0.1", server.addr().port())
            .parse()
            .expect("override"),
    ];
    ok.transport.tls.ca_file = Some(temp_file("name-ca-ok.pem", &ca_pem));
    Session::connect(ok)
        .await
        .expect("connects with the right name")
        .close()
        .await
        .expect("close");
}
