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
use monosync_exchange::transport::encryption::{SealProtocol, seal_body, unseal_body};
use sspi::{
    AuthIdentity, AuthIdentityBuffers, BufferType, CredentialUse, DataRepresentation, Ntlm,
    SecurityBuffer, SecurityStatus, ServerRequestFlags, Sspi, SspiImpl, Username,
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
    /// The scheme NTLM is offered and accepted under (`Negotiate` like WinRM, or `NTLM`).
    pub ntlm_scheme: &'static str,
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
            ntlm_scheme: "Negotiate",
        }
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
}

struct ConnState {
    ntlm: Option<Ntlm>,
    handle: Option<AuthIdentityBuffers>,
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
        ntlm: None,
        handle: None,
        authenticated: false,
    }));
    let drop_now = Arc::new(tokio::sync::Notify::new());
    let drop_signal = drop_now.clone();
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
        _ = drop_signal.notified() => {}
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
                tokio::time::sleep(Duration::from_millis(100)).await;
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

fn handle_ntlm(
    auth: Option<&str>,
    content_type: Option<&str>,
    body: &[u8],
    config: &ServerConfig,
    obs: &Observed,
    state: &Mutex<ConnState>,
) -> Response<Full<Bytes>> {
    let mut st = state.lock().unwrap();
    if let Some(auth) = auth {
        let Some(token) = auth
            .strip_prefix(config.ntlm_scheme)
            .and_then(|t| t.strip_prefix(' '))
            .and_then(|t| STANDARD.decode(t.trim()).ok())
        else {
            return challenge_401(config.ntlm_scheme, None);
        };
        if !token.starts_with(b"NTLMSSP\0") {
            return challenge_401(config.ntlm_scheme, None);
        }
        let msg_type = token.get(8).copied().unwrap_or(0);
        if msg_type == 1 {
            let mut ntlm = Ntlm::new();
            let identity = AuthIdentity {
                username: Username::parse(&config.user).unwrap(),
                password: config.password.clone().into(),
            };
            let handle = ntlm
                .acquire_credentials_handle()
                .with_credential_use(CredentialUse::Inbound)
                .with_auth_data(&identity)
                .execute(&mut ntlm)
                .unwrap()
                .credentials_handle;
            st.ntlm = Some(ntlm);
            st.handle = handle;
            st.authenticated = false;
        }
        let ConnState { ntlm, handle, .. } = &mut *st;
        let Some(ntlm) = ntlm.as_mut() else {
            return challenge_401(config.ntlm_scheme, None);
        };
        let mut input = vec![SecurityBuffer::new(token, BufferType::Token)];
        if let Some(cb) = &config.expected_cbt {
            input.push(SecurityBuffer::new(
                monosync_exchange::transport::cbt::sec_channel_bindings(cb),
                BufferType::ChannelBindings,
            ));
        }
        let mut output = vec![SecurityBuffer::new(Vec::new(), BufferType::Token)];
        let result = {
            let builder = ntlm
                .accept_security_context()
                .with_credentials_handle(handle)
                .with_context_requirements(ServerRequestFlags::ALLOCATE_MEMORY)
                .with_target_data_representation(DataRepresentation::Native)
                .with_input(&mut input)
                .with_output(&mut output);
            ntlm.accept_security_context_impl(builder)
                .and_then(|mut g| g.resolve_to_result())
        };
        let status = match result {
            Ok(r) => r.status,
            Err(_) => {
                st.ntlm = None;
                return challenge_401(config.ntlm_scheme, None);
            }
        };
        if matches!(
            status,
            SecurityStatus::CompleteNeeded | SecurityStatus::CompleteAndContinue
        ) && ntlm.complete_auth_token(&mut output).is_err()
        {
            st.ntlm = None;
            return challenge_401(config.ntlm_scheme, None);
        }
        if msg_type == 1 {
            return challenge_401(config.ntlm_scheme, Some(&output[0].buffer));
        }
        // The raw NTLM acceptor checks only the password: check the user name too.
        let names = ntlm.query_context_names().ok();
        let user_ok = names.is_some_and(|n| n.username.inner().eq_ignore_ascii_case(&config.user));
        if !user_ok {
            st.ntlm = None;
            return challenge_401(config.ntlm_scheme, None);
        }
        obs.authenticated_users
            .lock()
            .unwrap()
            .push(config.user.clone());
        st.authenticated = true;
        if body.is_empty() {
            return reply(200).body(Full::default()).unwrap();
        }
    }
    if !st.authenticated {
        return challenge_401(config.ntlm_scheme, None);
    }
    let Some(ntlm) = st.ntlm.as_mut() else {
        return challenge_401(config.ntlm_scheme, None);
    };
    obs.soap_requests.fetch_add(1, Ordering::SeqCst);
    let sealed = content_type.and_then(SealProtocol::from_content_type);
    let plain = match sealed {
        Some(proto) => {
            obs.sealed_requests.fetch_add(1, Ordering::SeqCst);
            match unseal_body(ntlm, proto, body) {
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
    match sealed {
        Some(proto) => {
            let body = seal_body(ntlm, proto, &out).unwrap();
            reply(200)
                .header("content-type", proto.content_type())
                .body(Full::new(Bytes::from(body)))
                .unwrap()
        }
        None => reply(200)
            .header("content-type", "application/soap+xml;charset=UTF-8")
            .body(Full::new(Bytes::from(out)))
            .unwrap(),
    }
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
