//! A small WinRM-like HTTP server on loopback for transport tests: NTLM (sspi acceptor) with
//! sealed bodies, or Basic; optional TLS; it echoes each SOAP body back as `<reply>...`.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use monosync_exchange::transport::encryption::{
    SealProtocol, SealingContext, parse_sealed, seal_body, unseal_body,
};
use sspi::kerberos::ServerProperties;
use sspi::ntlm::NtlmConfig;
use sspi::{
    AuthIdentity, AuthIdentityBuffers, BufferType, CredentialUse, CredentialsBuffers,
    DataRepresentation, Kerberos, KerberosConfig, KerberosServerConfig, Negotiate, NegotiateConfig,
    Ntlm, SecurityBuffer, SecurityStatus, ServerRequestFlags, Sspi, SspiImpl, Username,
    UsernameParts,
};
use tokio::net::TcpListener;

/// What the server asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// NTLM under `Negotiate`; sealed bodies over HTTP.
    Ntlm,
    /// Basic.
    Basic,
}

/// Server settings.
#[derive(Clone)]
pub struct ServerConfig {
    pub mode: Mode,
    pub user: String,
    pub password: String,
    /// The channel binding application data the NTLM client must send, if any.
    pub expected_cbt: Option<Vec<u8>>,
    /// Drop the TCP connection (without `Connection: close`) after each SOAP reply.
    pub drop_after_reply: bool,
    /// A cookie set on every response.
    pub set_cookie: Option<String>,
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// The Kerberos service this server is, if it accepts Kerberos.
    pub kerberos: Option<KerberosService>,
    /// Close the connection without answering the n-th (0-based) SOAP request.
    pub vanish_on_request: Option<usize>,
    /// Forget the security context after each SOAP reply, as after an application pool recycle.
    pub forget_after_reply: bool,
    /// The scheme offered and accepted (`Negotiate` like WinRM, `NTLM`, or `Kerberos`).
    pub scheme: &'static str,
}

impl ServerConfig {
    pub fn new(mode: Mode) -> Self {
        Self {
            mode,
            user: "CORP\\alice".into(),
            password: "Passw0rd!".into(),
            expected_cbt: None,
            drop_after_reply: false,
            set_cookie: None,
            tls: None,
            scheme: "Negotiate",
            forget_after_reply: false,
            vanish_on_request: None,
            kerberos: None,
        }
    }
}

/// A Kerberos service principal `HTTP/<host>@<realm>` with a password-derived key.
#[derive(Clone)]
pub struct KerberosService {
    pub realm: String,
    pub host: String,
    pub password: String,
    pub kdc_url: String,
}

impl KerberosService {
    fn properties(&self) -> Option<ServerProperties> {
        ServerProperties::new(
            &["HTTP", self.host.as_str()],
            None,
            Duration::from_secs(300),
            Some(self.key().into()),
        )
        .ok()
    }

    /// The AES-256 key the KDC derives for `HTTP/<host>@<realm>` (salt: realm + components).
    fn key(&self) -> Vec<u8> {
        let salt = format!("{}HTTP{}", self.realm, self.host);
        picky_krb::crypto::CipherSuite::Aes256CtsHmacSha196
            .cipher()
            .generate_key_from_password(self.password.as_bytes(), salt.as_bytes())
            .unwrap()
    }
}

/// What the server observed.
#[derive(Default)]
pub struct Observed {
    pub connections: AtomicUsize,
    pub soap_requests: AtomicUsize,
    pub cookies: Mutex<Vec<Option<String>>>,
    pub sealed_requests: AtomicUsize,
    pub authenticated_users: Mutex<Vec<String>>,
    /// The signature length of each sealed request.
    pub signature_lens: Mutex<Vec<usize>>,
    /// The `Accept-Encoding` of each request.
    pub accept_encodings: Mutex<Vec<Option<String>>>,
    /// Connections the server dropped on purpose.
    pub drops: AtomicUsize,
    /// Requests with a body, whatever happened to them.
    pub bodies_seen: AtomicUsize,
    /// The acceptor chosen for each new context: "ntlm" or "spnego".
    pub acceptors: Mutex<Vec<&'static str>>,
}

struct ConnState {
    acceptor: Option<Acceptor>,
    authenticated: bool,
}

pub struct TestServer {
    pub addr: SocketAddr,
    pub observed: Arc<Observed>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Starts a server on `bind` (e.g. `127.0.0.1:0`).
pub async fn start(bind: &str, config: ServerConfig) -> std::io::Result<TestServer> {
    let listener = TcpListener::bind(bind).await?;
    let addr = listener.local_addr()?;
    let observed = Arc::new(Observed::default());
    let obs = observed.clone();
    let config = Arc::new(config);
    let task = tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            obs.connections.fetch_add(1, Ordering::SeqCst);
            let config = config.clone();
            let obs = obs.clone();
            tokio::spawn(async move {
                match config.tls.clone() {
                    Some(tls) => {
                        let acceptor = tokio_rustls::TlsAcceptor::from(tls);
                        if let Ok(stream) = acceptor.accept(tcp).await {
                            serve(stream, config, obs).await;
                        }
                    }
                    None => serve(tcp, config, obs).await,
                }
            });
        }
    });
    Ok(TestServer {
        addr,
        observed,
        task,
    })
}

async fn serve<S>(io: S, config: Arc<ServerConfig>, obs: Arc<Observed>)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin + 'static,
{
    let state = Arc::new(Mutex::new(ConnState {
        acceptor: None,
        authenticated: false,
    }));
    let drop_now = Arc::new(tokio::sync::Notify::new());
    let drop_signal = drop_now.clone();
    let observed = obs.clone();
    let service = service_fn(move |req: Request<Incoming>| {
        let config = config.clone();
        let obs = obs.clone();
        let state = state.clone();
        let drop_now = drop_now.clone();
        async move {
            let resp = handle(req, &config, &obs, &state, &drop_now).await;
            Ok::<_, std::convert::Infallible>(resp)
        }
    });
    let conn =
        hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(io), service);
    tokio::select! {
        _ = conn => {}
        _ = drop_signal.notified() => {
            observed.drops.fetch_add(1, Ordering::SeqCst);
        }
    }
}

fn reply(status: u16) -> hyper::http::response::Builder {
    Response::builder().status(status)
}

async fn handle(
    req: Request<Incoming>,
    config: &ServerConfig,
    obs: &Observed,
    state: &Mutex<ConnState>,
    drop_now: &Arc<tokio::sync::Notify>,
) -> Response<Full<Bytes>> {
    let auth = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let content_type = req
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    obs.accept_encodings.lock().unwrap().push(
        req.headers()
            .get("accept-encoding")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
    );
    let cookie = req
        .headers()
        .get("cookie")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = req
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes().to_vec())
        .unwrap_or_default();
    if !body.is_empty() {
        let n = obs.bodies_seen.fetch_add(1, Ordering::SeqCst);
        if config.vanish_on_request == Some(n) {
            drop_now.notify_one();
            std::future::pending::<()>().await;
        }
    }
    let mut resp = match config.mode {
        Mode::Basic => handle_basic(auth.as_deref(), &body, config, obs),
        Mode::Ntlm => handle_ntlm(
            auth.as_deref(),
            content_type.as_deref(),
            &body,
            config,
            obs,
            state,
        ),
    };
    if let Some(c) = &config.set_cookie
        && let Ok(v) = c.parse()
    {
        resp.headers_mut().insert("set-cookie", v);
    }
    if !body.is_empty() {
        obs.cookies.lock().unwrap().push(cookie);
        if config.drop_after_reply {
            let n = drop_now.clone();
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(20)).await;
                n.notify_one();
            });
        }
    }
    resp
}

fn handle_basic(
    auth: Option<&str>,
    body: &[u8],
    config: &ServerConfig,
    obs: &Observed,
) -> Response<Full<Bytes>> {
    let expected = format!(
        "Basic {}",
        STANDARD.encode(format!("{}:{}", config.user, config.password))
    );
    if auth != Some(expected.as_str()) {
        return reply(401)
            .header("www-authenticate", "Basic realm=\"WSMAN\"")
            .body(Full::default())
            .unwrap();
    }
    obs.soap_requests.fetch_add(1, Ordering::SeqCst);
    let mut out = b"<reply>".to_vec();
    out.extend_from_slice(body);
    reply(200)
        .header("content-type", "application/soap+xml;charset=UTF-8")
        .body(Full::new(Bytes::from(out)))
        .unwrap()
}

fn challenge_401(scheme: &str, token: Option<&[u8]>) -> Response<Full<Bytes>> {
    let value = match token {
        Some(t) => format!("{scheme} {}", STANDARD.encode(t)),
        None => scheme.to_owned(),
    };
    reply(401)
        .header("www-authenticate", value)
        .body(Full::default())
        .unwrap()
}

enum Acceptor {
    Kerberos(Box<Kerberos>, Option<CredentialsBuffers>),
    Ntlm(Box<Ntlm>, Option<AuthIdentityBuffers>),
    Spnego(Box<Negotiate>, Option<CredentialsBuffers>),
}

fn accept_step<S: Sspi + SspiImpl>(
    ctx: &mut S,
    handle: &mut S::CredentialsHandle,
    token: Vec<u8>,
    cbt: Option<&[u8]>,
) -> Result<(Vec<u8>, bool), sspi::Error> {
    let mut input = vec![SecurityBuffer::new(token, BufferType::Token)];
    if let Some(cb) = cbt {
        input.push(SecurityBuffer::new(
            monosync_exchange::transport::cbt::sec_channel_bindings(cb),
            BufferType::ChannelBindings,
        ));
    }
    let mut output = vec![SecurityBuffer::new(Vec::new(), BufferType::Token)];
    let status = {
        let builder = ctx
            .accept_security_context()
            .with_credentials_handle(handle)
            .with_context_requirements(ServerRequestFlags::ALLOCATE_MEMORY)
            .with_target_data_representation(DataRepresentation::Native)
            .with_input(&mut input)
            .with_output(&mut output);
        ctx.accept_security_context_impl(builder)?
            .resolve_to_result()?
            .status
    };
    if matches!(
        status,
        SecurityStatus::CompleteNeeded | SecurityStatus::CompleteAndContinue
    ) {
        ctx.complete_auth_token(&mut output)?;
    }
    let done = !matches!(
        status,
        SecurityStatus::ContinueNeeded | SecurityStatus::CompleteAndContinue
    );
    Ok((std::mem::take(&mut output[0].buffer), done))
}

fn identity(config: &ServerConfig) -> AuthIdentity {
    AuthIdentity {
        username: Username::parse(&config.user).unwrap(),
        password: config.password.clone().into(),
    }
}

/// A GSS-API token whose mechanism is krb5 (OID 1.2.840.113554.1.2.2) right after the length.
fn is_raw_kerberos(token: &[u8]) -> bool {
    const KRB5: [u8; 11] = [
        0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02,
    ];
    // 0x60, a DER length of 1 to 5 bytes, then the OID.
    (2..=6).any(|i| token.get(i..i + KRB5.len()) == Some(&KRB5[..]))
}

/// Account and domain (UPN suffix or NetBIOS domain), lower-cased.
fn user_key(u: &Username) -> (String, Option<String>) {
    match u.parts() {
        UsernameParts::UserPrincipalName(p) => (
            p.account_name().to_ascii_lowercase(),
            Some(p.suffix().to_ascii_lowercase()),
        ),
        UsernameParts::DownLevelLogonName(p) => (
            p.account_name().to_ascii_lowercase(),
            p.netbios_domain().map(str::to_ascii_lowercase),
        ),
    }
}

fn same_user(a: &Username, b: &Username) -> bool {
    user_key(a) == user_key(b)
}

fn new_acceptor(first_token: &[u8], config: &ServerConfig) -> Option<Acceptor> {
    // Raw NTLM, or SPNEGO (0x60, then the SPNEGO OID 1.3.6.1.5.5.2).
    if first_token.starts_with(b"NTLMSSP\0") {
        let mut ntlm = Box::new(Ntlm::new());
        let handle = ntlm
            .acquire_credentials_handle()
            .with_credential_use(CredentialUse::Inbound)
            .with_auth_data(&identity(config))
            .execute(&mut *ntlm)
            .ok()?
            .credentials_handle;
        Some(Acceptor::Ntlm(ntlm, handle))
    } else if first_token.first() == Some(&0x60) && is_raw_kerberos(first_token) {
        let svc = config.kerberos.as_ref()?;
        let props = svc.properties()?;
        let kconf = KerberosConfig::new_with_kdc_url(&svc.kdc_url, "server".into());
        let krb = Box::new(Kerberos::new_server_from_config(kconf, props).ok()?);
        Some(Acceptor::Kerberos(krb, None))
    } else if first_token.first() == Some(&0x60)
        && first_token
            .windows(8)
            .any(|w| w == [0x06, 0x06, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x02])
    {
        let nconf = match &config.kerberos {
            Some(svc) => NegotiateConfig::new(
                Box::new(KerberosServerConfig {
                    kerberos_config: KerberosConfig::new_with_kdc_url(
                        &svc.kdc_url,
                        "server".into(),
                    ),
                    server_properties: svc.properties()?,
                }),
                None,
                "server".into(),
            ),
            None => NegotiateConfig::new(
                Box::new(NtlmConfig::default()),
                Some("ntlm".into()),
                "server".into(),
            ),
        };
        let mut neg = Box::new(Negotiate::new_server(nconf, vec![identity(config)]).ok()?);
        let creds: sspi::Credentials = identity(config).into();
        let handle = neg
            .acquire_credentials_handle()
            .with_credential_use(CredentialUse::Inbound)
            .with_auth_data(&creds)
            .execute(&mut *neg)
            .ok()?
            .credentials_handle;
        Some(Acceptor::Spnego(neg, handle))
    } else {
        None
    }
}

fn handle_ntlm(
    auth: Option<&str>,
    content_type: Option<&str>,
    body: &[u8],
    config: &ServerConfig,
    obs: &Observed,
    state: &Mutex<ConnState>,
) -> Response<Full<Bytes>> {
    let scheme = config.scheme;
    let mut st = state.lock().unwrap();
    if let Some(auth) = auth {
        let Some(token) = auth
            .strip_prefix(scheme)
            .and_then(|t| t.strip_prefix(' '))
            .and_then(|t| STANDARD.decode(t.trim()).ok())
        else {
            return challenge_401(scheme, None);
        };
        if st.acceptor.is_none()
            || token.starts_with(b"NTLMSSP\0\x01")
            || token.first() == Some(&0x60)
        {
            st.acceptor = new_acceptor(&token, config);
            if let Some(a) = &st.acceptor {
                obs.acceptors.lock().unwrap().push(match a {
                    Acceptor::Kerberos(..) => "kerberos",
                    Acceptor::Ntlm(..) => "ntlm",
                    Acceptor::Spnego(..) => "spnego",
                });
            }
            st.authenticated = false;
        }
        let cbt = config.expected_cbt.as_deref();
        let step = match st.acceptor.as_mut() {
            Some(Acceptor::Kerberos(ctx, handle)) => accept_step(&mut **ctx, handle, token, cbt),
            Some(Acceptor::Ntlm(ctx, handle)) => accept_step(&mut **ctx, handle, token, cbt),
            Some(Acceptor::Spnego(ctx, handle)) => accept_step(&mut **ctx, handle, token, cbt),
            None => return challenge_401(scheme, None),
        };
        let (out_token, done) = match step {
            Ok(r) => r,
            Err(_) => {
                st.acceptor = None;
                return challenge_401(scheme, None);
            }
        };
        if !done {
            return challenge_401(scheme, Some(&out_token));
        }
        // The raw NTLM acceptor checks only the password: check the user name too.
        let names = match st.acceptor.as_mut() {
            Some(Acceptor::Kerberos(ctx, _)) => ctx.query_context_names().ok(),
            Some(Acceptor::Ntlm(ctx, _)) => ctx.query_context_names().ok(),
            Some(Acceptor::Spnego(ctx, _)) => ctx.query_context_names().ok(),
            None => None,
        };
        let expected = Username::parse(&config.user).unwrap();
        let user_ok = names.is_some_and(|n| same_user(&n.username, &expected));
        if !user_ok {
            st.acceptor = None;
            return challenge_401(scheme, None);
        }
        obs.authenticated_users
            .lock()
            .unwrap()
            .push(config.user.clone());
        st.authenticated = true;
        if body.is_empty() {
            let mut resp = reply(200);
            if !out_token.is_empty() {
                resp = resp.header(
                    "www-authenticate",
                    format!("{scheme} {}", STANDARD.encode(&out_token)),
                );
            }
            return resp.body(Full::default()).unwrap();
        }
    }
    if !st.authenticated {
        return challenge_401(scheme, None);
    }
    let ctx: &mut dyn SealingContext = match st.acceptor.as_mut() {
        Some(Acceptor::Kerberos(c, _)) => &mut **c,
        Some(Acceptor::Ntlm(c, _)) => &mut **c,
        Some(Acceptor::Spnego(c, _)) => &mut **c,
        None => return challenge_401(scheme, None),
    };
    obs.soap_requests.fetch_add(1, Ordering::SeqCst);
    let sealed = content_type.and_then(SealProtocol::from_content_type);
    let plain = match sealed {
        Some(proto) => {
            obs.sealed_requests.fetch_add(1, Ordering::SeqCst);
            if let Ok(parts) = parse_sealed(body) {
                obs.signature_lens
                    .lock()
                    .unwrap()
                    .push(parts.signature.len());
            }
            match unseal_body(ctx, proto, body) {
                Ok(p) => p,
                Err(e) => {
                    return reply(400)
                        .body(Full::new(Bytes::from(e.to_string())))
                        .unwrap();
                }
            }
        }
        None => body.to_vec(),
    };
    let mut out = b"<reply>".to_vec();
    out.extend_from_slice(&plain);
    let resp = match sealed {
        Some(proto) => {
            let body = seal_body(ctx, proto, &out).unwrap();
            reply(200)
                .header("content-type", proto.content_type())
                .body(Full::new(Bytes::from(body)))
                .unwrap()
        }
        None => reply(200)
            .header("content-type", "application/soap+xml;charset=UTF-8")
            .body(Full::new(Bytes::from(out)))
            .unwrap(),
    };
    if config.forget_after_reply {
        st.acceptor = None;
        st.authenticated = false;
    }
    resp
}

/// A TLS server configuration for a certificate and key.
pub fn tls_server(cert_der: Vec<u8>, key_der: Vec<u8>) -> Arc<rustls::ServerConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![rustls_pki_types::CertificateDer::from(cert_der)],
            rustls_pki_types::PrivateKeyDer::Pkcs8(key_der.into()),
        )
        .unwrap();
    Arc::new(config)
}

/// A self-signed certificate for `names`; returns (cert DER, key PKCS#8 DER).
pub fn self_signed(names: &[&str]) -> (Vec<u8>, Vec<u8>) {
    let key = rcgen::KeyPair::generate().unwrap();
    let params =
        rcgen::CertificateParams::new(names.iter().map(|s| s.to_string()).collect::<Vec<_>>())
            .unwrap();
    let cert = params.self_signed(&key).unwrap();
    (cert.der().to_vec(), key.serialize_der())
}

/// A CA and a leaf it signs; returns (CA PEM, leaf DER, leaf key DER).
pub fn ca_and_leaf(names: &[&str], expired: bool) -> (String, Vec<u8>, Vec<u8>) {
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "Test CA");
    let ca = rcgen::CertifiedIssuer::self_signed(ca_params, ca_key).unwrap();
    let leaf_key = rcgen::KeyPair::generate().unwrap();
    let mut leaf_params =
        rcgen::CertificateParams::new(names.iter().map(|s| s.to_string()).collect::<Vec<_>>())
            .unwrap();
    if expired {
        leaf_params.not_before = rcgen::date_time_ymd(2001, 1, 1);
        leaf_params.not_after = rcgen::date_time_ymd(2002, 1, 1);
    }
    let leaf = leaf_params.signed_by(&leaf_key, &ca).unwrap();
    (ca.pem(), leaf.der().to_vec(), leaf_key.serialize_der())
}

/// Waits until `count` reaches `at_least`, for at most five seconds.
pub async fn wait_for(count: &AtomicUsize, at_least: usize) {
    for _ in 0..500 {
        if count.load(Ordering::SeqCst) >= at_least {
            // Give the client's connection task time to read the close.
            tokio::time::sleep(Duration::from_millis(50)).await;
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("timed out waiting for the server");
}
