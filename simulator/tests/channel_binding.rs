//! Channel binding over HTTPS for every mechanism (WinRM's CbtHardeningLevel): raw NTLM,
//! NTLM inside SPNEGO, and Kerberos (raw and inside SPNEGO) against the MIT KDC fixture.
//!
//! The core's client always binds, so it shows the accepting side; the refusals use tokens made
//! here with sspi's initiators, with the right, wrong or no bindings, sent over a TLS connection
//! of our own. The Kerberos tests read the KDC from the environment
//! (`. "$(tests/kdc/start-kdc.sh)/env"`); without it they say so and pass, except under CI, where
//! a missing KDC is a failure.

mod common;

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use common::Client;
use monosync_exchange::transport::cbt::{sec_channel_bindings, tls_server_end_point};
use monosync_exchange::transport::{AuthMethod, ResolveOverride};
use monosync_exchange::wsman::namespaces::RESOURCE_EXCHANGE;
use mx_fixtures::{Realm, add_admin};
use mx_sim::http::tls::TlsIdentity;
use mx_sim::{AuthConfig, CbtLevel, Endpoint, RunningServer, Server, SimConfig};
use sspi::generator::GeneratorState;
use sspi::ntlm::NtlmConfig;
use sspi::{
    AuthIdentity, BufferType, ClientRequestFlags, CredentialUse, DataRepresentation, Kerberos,
    KerberosConfig, Negotiate, NegotiateConfig, Ntlm, SecurityBuffer, SecurityStatus, Sspi,
    SspiImpl, Username,
};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

const ADMIN: &str = "Administrator";
const ADMIN_PW: &str = "P@ssw0rd!";

/// Which bindings a crafted token carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Bind {
    Right,
    Wrong,
    Missing,
}

fn https_server(cbt: CbtLevel, auth: AuthConfig) -> (RunningServer, Cert) {
    let names = [
        "localhost".to_owned(),
        "sim.monosync.test".to_owned(),
        "127.0.0.1".to_owned(),
    ];
    let identity = TlsIdentity::self_signed(&names).expect("certificate");
    let copy = Cert {
        leaf: identity.leaf().to_vec(),
        thumbprint: identity.sha1_thumbprint(),
    };
    let server = Server::start(SimConfig {
        tls: Some(identity),
        cbt,
        auth,
        ..SimConfig::default()
    })
    .expect("server starts");
    (server, copy)
}

/// What a client knows of the server's certificate.
struct Cert {
    leaf: Vec<u8>,
    thumbprint: String,
}

/// The application data a client bound to `identity`'s certificate sends, or another
/// certificate's, or none.
fn bindings(identity: &Cert, bind: Bind) -> Option<Vec<u8>> {
    match bind {
        Bind::Right => Some(tls_server_end_point(&identity.leaf).expect("hash")),
        Bind::Wrong => {
            let other = TlsIdentity::self_signed(&["localhost".into()]).expect("certificate");
            Some(tls_server_end_point(other.leaf()).expect("hash"))
        }
        Bind::Missing => None,
    }
}

/// One keep-alive HTTPS connection that sends authorization headers as given.
struct RawHttps {
    stream: tokio_rustls::client::TlsStream<tokio::net::TcpStream>,
}

struct RawResponse {
    status: u16,
    authenticate: Vec<String>,
}

impl RawHttps {
    async fn connect(server: &RunningServer, identity: &Cert) -> RawHttps {
        let mut roots = rustls::RootCertStore::empty();
        roots
            .add(rustls_pki_types::CertificateDer::from(
                identity.leaf.clone(),
            ))
            .expect("root");
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("versions")
            .with_root_certificates(roots)
            .with_no_client_auth();
        let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
        let tcp = tokio::net::TcpStream::connect(server.addr())
            .await
            .expect("connects");
        let name = rustls_pki_types::ServerName::try_from("localhost").expect("name");
        let stream = connector.connect(name, tcp).await.expect("TLS handshake");
        RawHttps { stream }
    }

    async fn post(&mut self, scheme: &str, token: &[u8]) -> RawResponse {
        let request = format!(
            "POST /PowerShell HTTP/1.1\r\nHost: localhost\r\nAuthorization: {scheme} {}\r\n\
             Content-Type: application/soap+xml;charset=UTF-8\r\nContent-Length: 0\r\n\r\n",
            STANDARD.encode(token)
        );
        self.stream
            .write_all(request.as_bytes())
            .await
            .expect("sends");
        let mut head = Vec::new();
        while !head.ends_with(b"\r\n\r\n") {
            let byte = self.stream.read_u8().await.expect("reads the answer");
            head.push(byte);
            assert!(head.len() < 65_536, "header too long");
        }
        let text = String::from_utf8(head).expect("ASCII header");
        let mut lines = text.split("\r\n");
        let status = lines
            .next()
            .and_then(|l| l.split(' ').nth(1))
            .and_then(|s| s.parse().ok())
            .expect("status line");
        let mut authenticate = Vec::new();
        let mut length = 0usize;
        for line in lines {
            if let Some((name, value)) = line.split_once(':') {
                let name = name.trim().to_ascii_lowercase();
                if name == "www-authenticate" {
                    authenticate.push(value.trim().to_owned());
                } else if name == "content-length" {
                    length = value.trim().parse().expect("length");
                }
            }
        }
        let mut body = vec![0u8; length];
        self.stream.read_exact(&mut body).await.expect("body");
        RawResponse {
            status,
            authenticate,
        }
    }
}

impl RawResponse {
    /// The token of a `scheme <base64>` challenge.
    fn token(&self, scheme: &str) -> Option<Vec<u8>> {
        self.authenticate.iter().find_map(|h| {
            let (s, t) = h.split_once(' ')?;
            if !s.eq_ignore_ascii_case(scheme) {
                return None;
            }
            STANDARD.decode(t.trim()).ok()
        })
    }
}

/// Sends a KDC request (already length-prefixed) over TCP and returns the framed reply.
fn kdc_round_trip(request: &sspi::NetworkRequest) -> sspi::Result<Vec<u8>> {
    use std::io::{Read as _, Write as _};
    let host = request.url.host_str().unwrap_or("127.0.0.1").to_owned();
    let port = request.url.port().unwrap_or(88);
    let io = |e: std::io::Error| {
        sspi::Error::new(sspi::ErrorKind::NoAuthenticatingAuthority, e.to_string())
    };
    let mut stream = std::net::TcpStream::connect((host.as_str(), port)).map_err(io)?;
    stream.write_all(&request.data).map_err(io)?;
    let mut len = [0u8; 4];
    stream.read_exact(&mut len).map_err(io)?;
    let n = usize::try_from(u32::from_be_bytes(len))
        .unwrap_or(0)
        .min(1 << 20);
    let mut reply = len.to_vec();
    reply.resize(4 + n, 0);
    stream.read_exact(&mut reply[4..]).map_err(io)?;
    Ok(reply)
}

/// One initiator step with the chosen bindings; KDC requests are answered over TCP.
fn init<S: Sspi + SspiImpl>(
    ctx: &mut S,
    handle: &mut S::CredentialsHandle,
    target: &str,
    input: Option<Vec<u8>>,
    bindings: Option<&[u8]>,
) -> (Vec<u8>, SecurityStatus) {
    let mut inputs = vec![SecurityBuffer::new(
        input.unwrap_or_default(),
        BufferType::Token,
    )];
    if let Some(cb) = bindings {
        inputs.push(SecurityBuffer::new(
            sec_channel_bindings(cb),
            BufferType::ChannelBindings,
        ));
    }
    let mut outputs = vec![SecurityBuffer::new(Vec::new(), BufferType::Token)];
    let flags = ClientRequestFlags::MUTUAL_AUTH
        | ClientRequestFlags::CONFIDENTIALITY
        | ClientRequestFlags::INTEGRITY;
    let status = {
        let mut builder = ctx
            .initialize_security_context()
            .with_credentials_handle(handle)
            .with_context_requirements(flags)
            .with_target_data_representation(DataRepresentation::Native)
            .with_target_name(target)
            .with_input(&mut inputs)
            .with_output(&mut outputs);
        let mut generator = ctx
            .initialize_security_context_impl(&mut builder)
            .expect("initiator starts");
        let mut state = generator.start();
        loop {
            match state {
                GeneratorState::Completed(result) => break result.expect("initiator step").status,
                GeneratorState::Suspended(request) => {
                    state = generator.resume(kdc_round_trip(&request));
                }
            }
        }
    };
    let token = outputs
        .into_iter()
        .next()
        .map(|b| b.buffer)
        .unwrap_or_default();
    (token, status)
}

/// NTLM (raw, or inside SPNEGO when `spnego`) with `bind`; returns the final HTTP status.
async fn ntlm_logon(server: &RunningServer, identity: &Cert, spnego: bool, bind: Bind) -> u16 {
    let cb = bindings(identity, bind);
    let user = format!("CORP\\{ADMIN}");
    let auth = AuthIdentity {
        username: Username::parse(&user).expect("user"),
        password: ADMIN_PW.to_owned().into(),
    };
    let mut http = RawHttps::connect(server, identity).await;
    let target = "HTTP/localhost";
    if spnego {
        let config = NegotiateConfig::new(
            Box::new(NtlmConfig::default()),
            Some("ntlm".into()),
            "client".into(),
        );
        let mut ctx = Negotiate::new_client(config).expect("negotiate");
        let creds: sspi::Credentials = auth.into();
        let mut handle = ctx
            .acquire_credentials_handle()
            .with_credential_use(CredentialUse::Outbound)
            .with_auth_data(&creds)
            .execute(&mut ctx)
            .expect("credentials")
            .credentials_handle;
        let mut input = None;
        loop {
            let (token, status) = init(&mut ctx, &mut handle, target, input.take(), cb.as_deref());
            let resp = http.post("Negotiate", &token).await;
            if status == SecurityStatus::Ok || resp.status != 401 {
                return resp.status;
            }
            match resp.token("Negotiate") {
                Some(t) => input = Some(t),
                None => return resp.status,
            }
        }
    } else {
        let mut ctx = Ntlm::new();
        let mut handle = ctx
            .acquire_credentials_handle()
            .with_credential_use(CredentialUse::Outbound)
            .with_auth_data(&auth)
            .execute(&mut ctx)
            .expect("credentials")
            .credentials_handle;
        let (negotiate, _) = init(&mut ctx, &mut handle, target, None, cb.as_deref());
        let challenge = http.post("Negotiate", &negotiate).await;
        assert_eq!(challenge.status, 401);
        let challenge = challenge.token("Negotiate").expect("NTLM CHALLENGE");
        let (authenticate, _) = init(
            &mut ctx,
            &mut handle,
            target,
            Some(challenge),
            cb.as_deref(),
        );
        http.post("Negotiate", &authenticate).await.status
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn strict_refuses_ntlm_and_spnego_without_or_with_wrong_bindings() {
    let (server, identity) = https_server(CbtLevel::Strict, AuthConfig::default());
    for spnego in [false, true] {
        assert_eq!(
            ntlm_logon(&server, &identity, spnego, Bind::Right).await,
            200,
            "spnego {spnego}"
        );
        assert_eq!(
            ntlm_logon(&server, &identity, spnego, Bind::Wrong).await,
            401,
            "spnego {spnego}"
        );
        assert_eq!(
            ntlm_logon(&server, &identity, spnego, Bind::Missing).await,
            401,
            "spnego {spnego}"
        );
    }
    let log = server.request_log().entries();
    assert!(
        log.iter()
            .any(|e| e.status == 200 && e.auth.as_deref() == Some("Spnego"))
    );
    assert!(
        log.iter()
            .any(|e| e.status == 200 && e.auth.as_deref() == Some("Ntlm"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relaxed_accepts_missing_bindings_but_not_wrong_ones() {
    let (server, identity) = https_server(CbtLevel::Relaxed, AuthConfig::default());
    for spnego in [false, true] {
        assert_eq!(
            ntlm_logon(&server, &identity, spnego, Bind::Right).await,
            200
        );
        assert_eq!(
            ntlm_logon(&server, &identity, spnego, Bind::Missing).await,
            200
        );
        assert_eq!(
            ntlm_logon(&server, &identity, spnego, Bind::Wrong).await,
            401
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn level_none_ignores_bindings() {
    let (server, identity) = https_server(CbtLevel::None, AuthConfig::default());
    for spnego in [false, true] {
        for bind in [Bind::Right, Bind::Wrong, Bind::Missing] {
            assert_eq!(
                ntlm_logon(&server, &identity, spnego, bind).await,
                200,
                "{bind:?}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_core_client_binds_under_strict_with_negotiate() {
    let (server, identity) = https_server(CbtLevel::Strict, AuthConfig::default());
    let url = server.url(Endpoint::PowerShell);
    let mut opts = Client::options(
        &url,
        AuthMethod::Negotiate,
        &format!("CORP\\{ADMIN}"),
        ADMIN_PW,
    );
    opts.tls.pinned_thumbprints = vec![identity.thumbprint.clone()];
    let mut client = Client::new(&url, RESOURCE_EXCHANGE, opts);
    client
        .open()
        .await
        .expect("SPNEGO with bindings passes Strict");
    client.delete().await.expect("deleted");
    let log = server.request_log().entries();
    assert!(
        log.iter().any(|e| e.auth.as_deref() == Some("Spnego")
            && e.operation == "Create"
            && e.status == 200),
        "{log:?}"
    );
}

fn kerberos_server(realm: &Realm, cbt: CbtLevel) -> (RunningServer, Cert) {
    let (server, identity) = https_server(cbt, realm.kerberos_only());
    add_admin(&server, &realm.user);
    (server, identity)
}

/// A Kerberos AP-REQ (raw, or as the mechToken of a SPNEGO NegTokenInit) with `bind`, sent in
/// one round trip; returns the HTTP status.
async fn kerberos_logon(
    server: &RunningServer,
    identity: &Cert,
    realm: &Realm,
    spnego: bool,
    bind: Bind,
) -> u16 {
    let cb = bindings(identity, bind);
    let auth = AuthIdentity {
        username: Username::new_down_level_logon_name(&realm.user, &realm.service.realm)
            .expect("user"),
        password: realm.password.clone().into(),
    };
    let creds: sspi::Credentials = auth.into();
    let target = format!("HTTP/{}", realm.host);
    let kconf = KerberosConfig::new_with_kdc_url(&realm.service.kdc_url, "client".into());
    let token = if spnego {
        let mut ctx = Negotiate::new_client(NegotiateConfig::new(
            Box::new(kconf),
            Some("kerberos,!ntlm".into()),
            "client".into(),
        ))
        .expect("negotiate");
        let mut handle = ctx
            .acquire_credentials_handle()
            .with_credential_use(CredentialUse::Outbound)
            .with_auth_data(&creds)
            .execute(&mut ctx)
            .expect("credentials")
            .credentials_handle;
        let ctx_ref = &mut ctx;
        tokio::task::block_in_place(|| init(ctx_ref, &mut handle, &target, None, cb.as_deref()).0)
    } else {
        let mut ctx = Kerberos::new_client_from_config(kconf).expect("kerberos");
        let mut handle = ctx
            .acquire_credentials_handle()
            .with_credential_use(CredentialUse::Outbound)
            .with_auth_data(&creds)
            .execute(&mut ctx)
            .expect("credentials")
            .credentials_handle;
        let ctx_ref = &mut ctx;
        tokio::task::block_in_place(|| init(ctx_ref, &mut handle, &target, None, cb.as_deref()).0)
    };
    assert_eq!(token.first(), Some(&0x60), "a GSS initial token");
    let mut http = RawHttps::connect(server, identity).await;
    let scheme = if spnego { "Negotiate" } else { "Kerberos" };
    http.post(scheme, &token).await.status
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kerberos_bindings_are_checked_by_level() {
    let Some(realm) = Realm::from_env() else {
        return;
    };
    let (strict, strict_id) = kerberos_server(&realm, CbtLevel::Strict);
    let (relaxed, relaxed_id) = kerberos_server(&realm, CbtLevel::Relaxed);
    for spnego in [false, true] {
        let case = |bind| format!("spnego {spnego}, {bind:?}");
        for (bind, want) in [(Bind::Right, 200), (Bind::Wrong, 401), (Bind::Missing, 401)] {
            let got = kerberos_logon(&strict, &strict_id, &realm, spnego, bind).await;
            assert_eq!(got, want, "strict, {}", case(bind));
        }
        for (bind, want) in [(Bind::Right, 200), (Bind::Wrong, 401), (Bind::Missing, 200)] {
            let got = kerberos_logon(&relaxed, &relaxed_id, &realm, spnego, bind).await;
            assert_eq!(got, want, "relaxed, {}", case(bind));
        }
    }
    let log = strict.request_log().entries();
    assert!(
        log.iter()
            .any(|e| e.status == 200 && e.auth.as_deref() == Some("Kerberos"))
    );
    assert!(
        log.iter()
            .any(|e| e.status == 200 && e.auth.as_deref() == Some("Spnego"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_core_client_runs_kerberos_under_strict() {
    let Some(realm) = Realm::from_env() else {
        return;
    };
    let (server, identity) = kerberos_server(&realm, CbtLevel::Strict);
    let url = format!("https://{}:{}/PowerShell", realm.host, server.addr().port());
    let mut opts = Client::options(
        &url,
        AuthMethod::Kerberos,
        &format!("{}@{}", realm.user, realm.service.realm),
        &realm.password,
    );
    opts.kdc = Some(realm.service.kdc_url.clone());
    opts.tls.pinned_thumbprints = vec![identity.thumbprint.clone()];
    opts.resolve_overrides = vec![ResolveOverride {
        host: realm.host.clone(),
        port: server.addr().port(),
        addrs: vec![server.addr().ip()],
    }];
    let mut client = Client::new(&url, RESOURCE_EXCHANGE, opts);
    client
        .open()
        .await
        .expect("Kerberos with bindings passes Strict");
    client.delete().await.expect("deleted");
    let log = server.request_log().entries();
    assert!(
        log.iter().any(|e| e.auth.as_deref() == Some("Kerberos")
            && e.operation == "Create"
            && e.status == 200),
        "{log:?}"
    );
}
