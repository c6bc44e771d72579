//! A small WinRM-like HTTP server on loopback for transport tests: NTLM, SPNEGO or Kerberos
//! (the crate's own acceptor) with sealed bodies, or Basic; optional TLS; it echoes each SOAP
//! body back as `<reply>...`.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use monosync_exchange::transport::acceptor::{
    AcceptPolicy, Account, KerberosKeys, Mechanism, ServerAuth, ServiceKey, Verdict,
};
use monosync_exchange::transport::auth_header::Scheme;
use monosync_exchange::transport::encryption::{
    SealProtocol, parse_sealed, seal_body, unseal_body,
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
    /// The AES-256 key the KDC derives for `HTTP/<host>@<realm>` (salt: realm + components).
    fn keys(&self) -> KerberosKeys {
        let salt = format!("{}HTTP{}", self.realm, self.host);
        let key = picky_krb::crypto::CipherSuite::Aes256CtsHmacSha196
            .cipher()
            .generate_key_from_password(self.password.as_bytes(), salt.as_bytes())
            .unwrap();
        KerberosKeys {
            kdc_url: self.kdc_url.clone(),
            keys: vec![ServiceKey {
                principal: vec!["HTTP".into(), self.host.clone()],
                key: key.into(),
            }],
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

/// What every connection checks credentials against.
struct Auth {
    accounts: Vec<Account>,
    schemes: Vec<Scheme>,
    kerberos: Option<KerberosKeys>,
}

impl Auth {
    fn new(config: &ServerConfig) -> Self {
        let schemes = match config.mode {
            Mode::Basic => vec![Scheme::Basic],
            Mode::Ntlm => [Scheme::Negotiate, Scheme::Kerberos, Scheme::Ntlm]
                .into_iter()
                .filter(|s| s.as_str() == config.scheme)
                .collect(),
        };
        Self {
            accounts: vec![Account::new(config.user.clone(), config.password.clone())],
            schemes,
            kerberos: config.kerberos.as_ref().map(KerberosService::keys),
        }
    }
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
    let auth = Arc::new(Auth::new(&config));
    let config = Arc::new(config);
    let task = tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            obs.connections.fetch_add(1, Ordering::SeqCst);
            let config = config.clone();
            let auth = auth.clone();
            let obs = obs.clone();
            tokio::spawn(async move {
                match config.tls.clone() {
                    Some(tls) => {
                        let acceptor = tokio_rustls::TlsAcceptor::from(tls);
                        if let Ok(stream) = acceptor.accept(tcp).await {
                            serve(stream, config, auth, obs).await;
                        }
                    }
                    None => serve(tcp, config, auth, obs).await,
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

async fn serve<S>(io: S, config: Arc<ServerConfig>, auth: Arc<Auth>, obs: Arc<Observed>)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin + 'static,
{
    let state = Arc::new(Mutex::new(ServerAuth::new()));
    let drop_now = Arc::new(tokio::sync::Notify::new());
    let drop_signal = drop_now.clone();
    let observed = obs.clone();
    let service = service_fn(move |req: Request<Incoming>| {
        let config = config.clone();
        let auth = auth.clone();
        let obs = obs.clone();
        let state = state.clone();
        let drop_now = drop_now.clone();
        async move {
            let resp = handle(req, &config, &auth, &obs, &state, &drop_now).await;
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
    auth_config: &Auth,
    obs: &Observed,
    state: &Mutex<ServerAuth>,
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
    let mut resp = authenticated(
        auth.as_deref(),
        content_type.as_deref(),
        &body,
        config,
        auth_config,
        obs,
        state,
    );
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

fn challenge_401(value: &str) -> Response<Full<Bytes>> {
    reply(401)
        .header("www-authenticate", value)
        .body(Full::default())
        .unwrap()
}

/// Authenticates the request with the connection's acceptor, then echoes its body, sealed as
/// it came.
fn authenticated(
    authorization: Option<&str>,
    content_type: Option<&str>,
    body: &[u8],
    config: &ServerConfig,
    auth: &Auth,
    obs: &Observed,
    state: &Mutex<ServerAuth>,
) -> Response<Full<Bytes>> {
    let offer = match config.mode {
        Mode::Basic => "Basic realm=\"WSMAN\"",
        Mode::Ntlm => config.scheme,
    };
    let mut st = state.lock().unwrap();
    if let Some(authorization) = authorization {
        let policy = AcceptPolicy {
            accounts: &auth.accounts,
            schemes: &auth.schemes,
            ntlm: true,
            kerberos: auth.kerberos.as_ref(),
            domains: &[],
            bindings: &config.expected_cbt,
        };
        let verdict = st.authorize(authorization, &policy);
        if let Some(started) = st.started() {
            obs.acceptors.lock().unwrap().push(match started {
                Mechanism::Kerberos => "kerberos",
                Mechanism::Ntlm => "ntlm",
                Mechanism::Spnego => "spnego",
                Mechanism::Basic => "basic",
            });
        }
        match verdict {
            Verdict::Continue { challenge } => return challenge_401(&challenge),
            Verdict::Rejected(_) => return challenge_401(offer),
            Verdict::Accepted {
                user,
                mechanism,
                final_token,
            } => {
                if mechanism != Mechanism::Basic {
                    obs.authenticated_users.lock().unwrap().push(user);
                }
                if body.is_empty() {
                    let mut resp = reply(200);
                    if let Some(t) = final_token {
                        resp = resp.header("www-authenticate", t);
                    }
                    return resp.body(Full::default()).unwrap();
                }
            }
        }
    }
    if st.user().is_none() {
        return challenge_401(offer);
    }
    obs.soap_requests.fetch_add(1, Ordering::SeqCst);
    let sealed = content_type.and_then(SealProtocol::from_content_type);
    let plain = match (sealed, st.sealing()) {
        (Some(proto), Some(ctx)) => {
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
        (Some(_), None) => return challenge_401(offer),
        (None, _) => body.to_vec(),
    };
    let mut out = b"<reply>".to_vec();
    out.extend_from_slice(&plain);
    let resp = match (sealed, st.sealing()) {
        (Some(proto), Some(ctx)) => {
            let body = seal_body(ctx, proto, &out).unwrap();
            reply(200)
                .header("content-type", proto.content_type())
                .body(Full::new(Bytes::from(body)))
                .unwrap()
        }
        _ => reply(200)
            .header("content-type", "application/soap+xml;charset=UTF-8")
            .body(Full::new(Bytes::from(out)))
            .unwrap(),
    };
    if config.forget_after_reply {
        st.reset();
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
