//! The HTTP side: hyper 1 (HTTP/1.1) over TCP or TLS, authentication bound to the connection,
//! message encryption ([MS-WSMV] 2.2.9.1) over plain HTTP, channel binding over HTTPS, the
//! `MS-WSMAN` affinity cookie, the request log and fault injection.

pub mod auth;
mod binding;
pub mod tls;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full, Limited};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use monosync_exchange::transport::encryption::{SealProtocol, seal_body, unseal_body};
use serde::{Deserialize, Serialize};
use tokio::sync::Notify;

use crate::exchange::SimAccount;
use crate::faults::{FaultAction, FaultState};
use crate::log::{LogEntry, RequestLog};
use crate::winrm::{AuthenticatedUser, Endpoint, Service};
use auth::{KerberosService, Mechanism, ServerAuth};
use monosync_exchange::transport::acceptor::{AcceptPolicy, KerberosKeys, Verdict};
use monosync_exchange::transport::auth_header::Scheme;

/// How strictly channel bindings are checked over HTTPS (WinRM's CbtHardeningLevel).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum CbtLevel {
    /// Bindings are ignored.
    None,
    /// Bindings, when the client sends them, must match the certificate.
    #[default]
    Relaxed,
    /// The client must send matching bindings.
    Strict,
}

/// Which authentication the server accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthConfig {
    /// Basic against the seed's accounts (offered over HTTPS, or over HTTP with
    /// `allow_unencrypted`).
    pub basic: bool,
    /// NTLM (raw or inside SPNEGO).
    pub ntlm: bool,
    /// Kerberos, when the service principal is configured.
    pub kerberos: Option<KerberosService>,
    /// `/PowerShell` also offers the Kerberos-only `Kerberos` scheme, as IIS can.
    pub offer_kerberos_scheme: bool,
    /// Domains a user may name in NTLM-in-SPNEGO logons: NetBIOS names (`CORP` for
    /// `CORP\user`) and UPN suffixes (`corp.example` for `user@corp.example`). Raw NTLM and Basic
    /// accept any domain.
    pub domains: Vec<String>,
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            basic: true,
            ntlm: true,
            kerberos: None,
            offer_kerberos_scheme: false,
            domains: ["CORP", "CONTOSO", "corp.example", "contoso.com"]
                .map(str::to_owned)
                .to_vec(),
        }
    }
}

/// What every connection shares.
pub(crate) struct Shared {
    pub(crate) service: Arc<Service>,
    pub(crate) auth: AuthConfig,
    /// The keys of `auth.kerberos`, derived once.
    pub(crate) kerberos_keys: Option<KerberosKeys>,
    pub(crate) https: bool,
    pub(crate) allow_unencrypted: bool,
    pub(crate) cbt: CbtLevel,
    /// `tls-server-end-point:` + certificate hash, over HTTPS.
    pub(crate) cbt_data: Option<Vec<u8>>,
    pub(crate) log: Arc<RequestLog>,
    pub(crate) faults: Arc<FaultState>,
    pub(crate) connections: AtomicU64,
    /// A recorded conversation served instead of the WinRM service (`mx-sim --replay`).
    pub(crate) replay: Option<Arc<Mutex<monosync_exchange::recording::Replay>>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Shared {
    fn accounts(&self) -> Vec<SimAccount> {
        lock(self.service.exchange()).rbac().accounts().to_vec()
    }

    fn basic_allowed(&self) -> bool {
        self.auth.basic && (self.https || self.allow_unencrypted)
    }

    /// The `Authorization` schemes accepted: the token schemes always (a mechanism that is
    /// not served is refused by the acceptor), Basic where it is allowed.
    fn accepted_schemes(&self) -> &'static [Scheme] {
        const TOKENS: &[Scheme] = &[Scheme::Negotiate, Scheme::Kerberos, Scheme::Ntlm];
        const WITH_BASIC: &[Scheme] = &[
            Scheme::Negotiate,
            Scheme::Kerberos,
            Scheme::Ntlm,
            Scheme::Basic,
        ];
        if self.basic_allowed() {
            WITH_BASIC
        } else {
            TOKENS
        }
    }

    fn offers(&self, endpoint: Endpoint) -> Vec<String> {
        let mut offers = Vec::new();
        if self.auth.ntlm || self.auth.kerberos.is_some() {
            offers.push("Negotiate".to_owned());
        }
        if endpoint == Endpoint::PowerShell
            && self.auth.offer_kerberos_scheme
            && self.auth.kerberos.is_some()
        {
            offers.push("Kerberos".to_owned());
        }
        if self.basic_allowed() {
            offers.push(match endpoint {
                Endpoint::Wsman => "Basic realm=\"WSMAN\"".to_owned(),
                Endpoint::PowerShell => "Basic realm=\"\"".to_owned(),
            });
        }
        offers
    }
}

#[derive(Default)]
struct ConnState {
    auth: ServerAuth,
}

/// Serves one accepted connection (plain or TLS) until it closes.
pub(crate) async fn serve_connection<S>(io: S, shared: Arc<Shared>)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin + 'static,
{
    let number = shared.connections.fetch_add(1, Ordering::SeqCst) + 1;
    let state = Arc::new(Mutex::new(ConnState::default()));
    let drop_now = Arc::new(Notify::new());
    let drop_signal = Arc::clone(&drop_now);
    let cookie = format!("MS-WSMAN={}; path=/", uuid::Uuid::new_v4().simple());
    let service = service_fn(move |req: Request<Incoming>| {
        let shared = Arc::clone(&shared);
        let state = Arc::clone(&state);
        let drop_now = Arc::clone(&drop_now);
        let cookie = cookie.clone();
        async move {
            let mut resp = handle(req, &shared, &state, &drop_now, number).await;
            if let Ok(v) = cookie.parse() {
                resp.headers_mut().insert("set-cookie", v);
            }
            Ok::<_, std::convert::Infallible>(resp)
        }
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(Duration::from_secs(30))
        .serve_connection(TokioIo::new(io), service);
    tokio::select! {
        _ = conn => {}
        _ = drop_signal.notified() => {}
    }
}

fn reply(status: u16) -> hyper::http::response::Builder {
    Response::builder()
        .status(status)
        .header("server", "Microsoft-HTTPAPI/2.0")
}

fn empty(status: u16) -> Response<Full<Bytes>> {
    reply(status)
        .body(Full::default())
        .unwrap_or_else(|_| Response::new(Full::default()))
}

/// A `401`: with the next leg's `WWW-Authenticate` value, or with every offer.
fn challenge(shared: &Shared, endpoint: Endpoint, leg: Option<&str>) -> Response<Full<Bytes>> {
    let mut builder = reply(401);
    match leg {
        Some(value) => {
            builder = builder.header("www-authenticate", value);
        }
        None => {
            for offer in shared.offers(endpoint) {
                builder = builder.header("www-authenticate", offer);
            }
        }
    }
    builder
        .body(Full::default())
        .unwrap_or_else(|_| Response::new(Full::default()))
}

/// The WS-Management operation of a SOAP body, for the log and the fault plan.
fn operation_of(body: &[u8]) -> String {
    if body.is_empty() {
        return "Auth".to_owned();
    }
    let action = monosync_exchange::wsman::Request::parse(body)
        .ok()
        .map(|(_, r)| r.action());
    match action {
        Some("") => "Identify".to_owned(),
        Some(uri) => uri.rsplit('/').next().unwrap_or("Unknown").to_owned(),
        None => "Unknown".to_owned(),
    }
}

struct Ctx {
    operation: String,
    sealed: bool,
    bytes_in: usize,
    fault: Option<String>,
}

async fn handle(
    req: Request<Incoming>,
    shared: &Shared,
    state: &Mutex<ConnState>,
    drop_now: &Notify,
    connection: u64,
) -> Response<Full<Bytes>> {
    let started = Instant::now();
    let path = req.uri().path().to_owned();
    let mut ctx = Ctx {
        operation: "Unknown".into(),
        sealed: false,
        bytes_in: 0,
        fault: None,
    };
    let resp = handle_inner(req, shared, state, drop_now, &mut ctx).await;
    let (mechanism, user) = {
        let st = lock(state);
        (st.auth.mechanism(), st.auth.user().map(str::to_owned))
    };
    let bytes_out = hyper::body::Body::size_hint(resp.body())
        .exact()
        .and_then(|n| usize::try_from(n).ok())
        .unwrap_or(0);
    shared.log.record(LogEntry {
        at_ms: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
            .unwrap_or(0),
        connection,
        path,
        operation: ctx.operation,
        auth: mechanism.map(|m| format!("{m:?}")),
        user,
        sealed: ctx.sealed,
        bytes_in: ctx.bytes_in,
        bytes_out,
        latency_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        status: resp.status().as_u16(),
        fault: ctx.fault,
    });
    resp
}

/// What the authentication prelude decided.
enum Prelude {
    Respond(Response<Full<Bytes>>),
    Proceed {
        user: String,
        plain: Vec<u8>,
        sealed: Option<SealProtocol>,
        /// The `WWW-Authenticate` value of the context's final token.
        final_token: Option<String>,
    },
}

async fn handle_inner(
    req: Request<Incoming>,
    shared: &Shared,
    state: &Mutex<ConnState>,
    drop_now: &Notify,
    ctx: &mut Ctx,
) -> Response<Full<Bytes>> {
    let Some(endpoint) = Endpoint::from_path(req.uri().path()) else {
        return empty(404);
    };
    if req.method() != hyper::Method::POST {
        return empty(405);
    }
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let authorization = header("authorization");
    let content_type = header("content-type");
    // Sealing adds a few hundred bytes; anything far beyond the envelope limit is refused
    // before it is buffered.
    let limit = shared.service.config().max_envelope_size * 2 + 65_536;
    let body = match Limited::new(req.into_body(), limit).collect().await {
        Ok(b) => b.to_bytes().to_vec(),
        Err(e) => {
            if e.downcast_ref::<http_body_util::LengthLimitError>()
                .is_some()
            {
                return empty(413);
            }
            // The client hung up or sent a broken chunked body.
            return empty(400);
        }
    };
    ctx.bytes_in = body.len();
    // A request without a body is an authentication leg: the `Auth` phase of the fault plan.
    let auth_fault = if body.is_empty() {
        ctx.operation = crate::faults::AUTH.into();
        let fault = shared.faults.next(crate::faults::AUTH);
        ctx.fault = fault.as_ref().map(|f| format!("{f:?}"));
        fault
    } else {
        None
    };
    match &auth_fault {
        Some(FaultAction::Drop) => {
            drop_now.notify_one();
            std::future::pending::<()>().await;
        }
        Some(FaultAction::Http500) => return empty(500),
        Some(FaultAction::Http503) => return empty(503),
        Some(FaultAction::Delay { ms }) => tokio::time::sleep(Duration::from_millis(*ms)).await,
        Some(FaultAction::ExpireAuth) => {
            *lock(state) = ConnState::default();
            return challenge(shared, endpoint, None);
        }
        Some(FaultAction::BreakRunspace) => shared.service.break_all_runspaces(),
        _ => {}
    }
    let prelude = prelude(
        shared,
        state,
        endpoint,
        authorization.as_deref(),
        content_type.as_deref(),
        body,
        ctx,
    );
    let (user, plain, sealed, final_token) = match prelude {
        Prelude::Respond(mut r) => {
            damage_auth_token(&mut r, auth_fault.as_ref());
            return r;
        }
        Prelude::Proceed {
            user,
            plain,
            sealed,
            final_token,
        } => (user, plain, sealed, final_token),
    };
    let with_token = |mut b: hyper::http::response::Builder| {
        if let Some(value) = &final_token {
            b = b.header("www-authenticate", value);
        }
        b
    };
    if plain.is_empty() {
        let mut r = with_token(reply(200))
            .body(Full::default())
            .unwrap_or_else(|_| Response::new(Full::default()));
        damage_auth_token(&mut r, auth_fault.as_ref());
        return r;
    }
    ctx.operation = operation_of(&plain);
    let fault = shared.faults.next(&ctx.operation);
    ctx.fault = fault.as_ref().map(|f| format!("{f:?}"));
    match &fault {
        Some(FaultAction::Drop) => {
            drop_now.notify_one();
            // The connection task ends on the notification; this future is dropped with it.
            std::future::pending::<()>().await;
        }
        Some(FaultAction::Http500) => return empty(500),
        Some(FaultAction::Http503) => return empty(503),
        Some(FaultAction::Delay { ms }) => tokio::time::sleep(Duration::from_millis(*ms)).await,
        Some(FaultAction::ExpireAuth) => {
            *lock(state) = ConnState::default();
            return challenge(shared, endpoint, None);
        }
        Some(FaultAction::BreakRunspace) => shared.service.break_all_runspaces(),
        _ => {}
    }
    let who = AuthenticatedUser { name: user };
    let (status, mut soap) = match &shared.replay {
        Some(replay) => {
            let served = lock(replay).answer_or_fault(&plain);
            (served.status, served.body)
        }
        None => shared.service.handle(&who, endpoint, &plain).await,
    };
    if matches!(fault, Some(FaultAction::CorruptFragment)) {
        corrupt_stream(&mut soap);
    }
    let (content_type, mut out) = match sealed {
        Some(proto) => {
            let mut st = lock(state);
            let Some(context) = st.auth.sealing() else {
                return empty(400);
            };
            match seal_body(context, proto, &soap) {
                Ok(b) => (proto.content_type(), b),
                Err(_) => return empty(500),
            }
        }
        None => ("application/soap+xml;charset=UTF-8".to_owned(), soap),
    };
    if matches!(fault, Some(FaultAction::TruncatedBody)) {
        out.truncate(out.len() / 2);
    }
    with_token(reply(status))
        .header("content-type", content_type)
        .body(Full::new(Bytes::from(out)))
        .unwrap_or_else(|_| Response::new(Full::default()))
}

/// An authentication leg has no body and no PSRP fragment: what it carries is the token in
/// `WWW-Authenticate`, so `truncated_body` cuts that token in half and `corrupt_fragment`
/// flips its first characters.
fn damage_auth_token(resp: &mut Response<Full<Bytes>>, fault: Option<&FaultAction>) {
    let truncate = match fault {
        Some(FaultAction::TruncatedBody) => true,
        Some(FaultAction::CorruptFragment) => false,
        _ => return,
    };
    let damaged: Vec<String> = resp
        .headers()
        .get_all("www-authenticate")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(|v| match v.split_once(' ') {
            Some((scheme, token)) => {
                let token: String = if truncate {
                    token.chars().take(token.len() / 2).collect()
                } else {
                    token
                        .chars()
                        .enumerate()
                        .map(|(i, c)| match (i < 16, c) {
                            (true, 'A') => 'B',
                            (true, _) => 'A',
                            (false, c) => c,
                        })
                        .collect()
                };
                format!("{scheme} {token}")
            }
            None => v.to_owned(),
        })
        .collect();
    let headers = resp.headers_mut();
    headers.remove("www-authenticate");
    for v in damaged {
        if let Ok(v) = v.parse() {
            headers.append("www-authenticate", v);
        }
    }
}

/// Replaces the first base64 characters of the first `Stream` element with `A`s: the PSRP
/// fragment header (object id, fragment id, flags) no longer matches.
fn corrupt_stream(soap: &mut [u8]) {
    let Some(start) = find(soap, b"<rsp:Stream") else {
        return;
    };
    let Some(close) = soap.get(start..).and_then(|s| find(s, b">")) else {
        return;
    };
    let from = start + close + 1;
    for b in soap.iter_mut().skip(from).take(16) {
        if *b == b'<' {
            break;
        }
        *b = if *b == b'A' { b'B' } else { b'A' };
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[allow(clippy::too_many_arguments)]
fn prelude(
    shared: &Shared,
    state: &Mutex<ConnState>,
    endpoint: Endpoint,
    authorization: Option<&str>,
    content_type: Option<&str>,
    body: Vec<u8>,
    ctx: &mut Ctx,
) -> Prelude {
    let mut st = lock(state);
    let mut final_token = None;
    if let Some(authorization) = authorization {
        let accounts = auth::accounts(&shared.accounts());
        let hardening = binding::Hardening {
            level: shared.cbt,
            application_data: shared.cbt_data.as_deref().filter(|_| shared.https),
            service: shared.auth.kerberos.as_ref(),
        };
        let policy = AcceptPolicy {
            accounts: &accounts,
            schemes: shared.accepted_schemes(),
            ntlm: shared.auth.ntlm,
            kerberos: shared.kerberos_keys.as_ref(),
            domains: &shared.auth.domains,
            bindings: &hardening,
        };
        match st.auth.authorize(authorization, &policy) {
            Verdict::Continue { challenge: leg } => {
                return Prelude::Respond(challenge(shared, endpoint, Some(&leg)));
            }
            Verdict::Rejected(_) => {
                return Prelude::Respond(challenge(shared, endpoint, None));
            }
            Verdict::Accepted {
                final_token: token, ..
            } => final_token = token,
        }
    }
    let Some(user) = st.auth.user().map(str::to_owned) else {
        return Prelude::Respond(challenge(shared, endpoint, None));
    };
    if body.is_empty() {
        return Prelude::Proceed {
            user,
            plain: body,
            sealed: None,
            final_token,
        };
    }
    let sealed = content_type.and_then(SealProtocol::from_content_type);
    let basic = st.auth.mechanism() == Some(Mechanism::Basic);
    let plain = match (sealed, st.auth.sealing()) {
        (Some(proto), Some(context)) => {
            ctx.sealed = true;
            match unseal_body(context, proto, &body) {
                Ok(p) => p,
                Err(_) => return Prelude::Respond(empty(400)),
            }
        }
        (Some(_), None) => return Prelude::Respond(empty(400)),
        (None, _) => {
            if !shared.https && !shared.allow_unencrypted && !basic {
                // AllowUnencrypted=false: WinRM refuses a plain body on an HTTP listener.
                return Prelude::Respond(empty(400));
            }
            body
        }
    };
    Prelude::Proceed {
        user,
        plain,
        sealed,
        final_token,
    }
}
