//! The server side of HTTP authentication as a sans-IO state machine, one per connection:
//! an `Authorization` value in; a `401` challenge to send, an accepted user, or a refusal out.
//!
//! Basic is checked against the accounts; NTLM, SPNEGO and Kerberos run through sspi
//! acceptors. The acceptor is chosen from the first token (raw NTLM `NTLMSSP\0`, SPNEGO, raw
//! Kerberos), because clients such as pypsrp send raw tokens under the `Negotiate` scheme.
//! sspi's raw NTLM acceptor checks only the password, so the user name is checked here as
//! well. Accounts match by their bare name: `DOMAIN\alice`, `alice@domain` and `alice` are the
//! same account.
//!
//! Over HTTPS a [`BindingPolicy`] judges each token's channel bindings before the context sees
//! it, and says which bindings the context checks.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sspi::kerberos::ServerProperties;
use sspi::ntlm::NtlmConfig;
use sspi::{
    AuthIdentity, AuthIdentityBuffers, BufferType, CredentialUse, CredentialsBuffers,
    DataRepresentation, Kerberos, KerberosConfig, KerberosServerConfig, Negotiate, NegotiateConfig,
    Ntlm, SecurityBuffer, SecurityStatus, ServerRequestFlags, Sspi, SspiImpl, Username,
    UsernameParts,
};
use zeroize::Zeroizing;

use super::auth_header::Scheme;
use super::cbt::sec_channel_bindings;
use super::encryption::SealingContext;

/// Most bytes of an `Authorization` value read; a Kerberos AP-REQ with a large PAC stays well
/// below.
pub const MAX_AUTHORIZATION_BYTES: usize = 64 * 1024;

/// An account the server knows.
#[derive(Clone)]
pub struct Account {
    /// The logon name (`alice`, `CORP\alice`); any domain form of the bare name matches it.
    pub user: String,
    /// Its password.
    pub password: Zeroizing<String>,
}

impl Account {
    /// An account from a user name and a password.
    pub fn new(user: impl Into<String>, password: impl Into<String>) -> Self {
        Self {
            user: user.into(),
            password: Zeroizing::new(password.into()),
        }
    }
}

impl std::fmt::Debug for Account {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Account")
            .field("user", &self.user)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// One long-term key of the Kerberos service: the principal's name components (`HTTP`,
/// `ex01.corp.example`) and the key.
#[derive(Clone)]
pub struct ServiceKey {
    /// The principal name's components, without the realm.
    pub principal: Vec<String>,
    /// The key (AES128 or AES256).
    pub key: Zeroizing<Vec<u8>>,
}

impl std::fmt::Debug for ServiceKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceKey")
            .field("principal", &self.principal.join("/"))
            .field("key", &"<redacted>")
            .finish()
    }
}

/// The Kerberos service the server is.
#[derive(Clone, Debug)]
pub struct KerberosKeys {
    /// The KDC (`tcp://host:88`); the acceptor needs it only for its configuration.
    pub kdc_url: String,
    /// The keys tickets may be encrypted with; the first names the service.
    pub keys: Vec<ServiceKey>,
}

impl KerberosKeys {
    fn properties(&self) -> Option<ServerProperties> {
        let mut keys = self.keys.iter();
        let first = keys.next()?;
        fn names(c: &[String]) -> Vec<&str> {
            c.iter().map(String::as_str).collect()
        }
        let mut props = ServerProperties::new(
            &names(&first.principal),
            None,
            Duration::from_secs(300),
            Some(first.key.to_vec().into()),
        )
        .ok()?;
        for k in keys {
            props
                .add_service_key(&names(&k.principal), k.key.to_vec().into())
                .ok()?;
        }
        Some(props)
    }
}

/// What the channel-binding policy says about a token, before the context sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BindingCheck<'a> {
    /// Refuse the token.
    Refuse,
    /// Step the context, with these bindings for it to check (`None`: it checks none).
    Pass(Option<&'a [u8]>),
}

/// The server's channel-binding rule (WinRM's `CbtHardeningLevel`).
pub trait BindingPolicy {
    /// Judges one token.
    fn check(&self, token: &[u8]) -> BindingCheck<'_>;
}

/// Hands the same bindings (or none) to every step: the mechanism checks the token against
/// them.
impl BindingPolicy for Option<Vec<u8>> {
    fn check(&self, _token: &[u8]) -> BindingCheck<'_> {
        BindingCheck::Pass(self.as_deref())
    }
}

/// What the server accepts.
pub struct AcceptPolicy<'a> {
    /// The accounts.
    pub accounts: &'a [Account],
    /// The `Authorization` schemes accepted (Basic only where it is allowed).
    pub schemes: &'a [Scheme],
    /// NTLM, raw or inside SPNEGO (never under the `Kerberos` scheme).
    pub ntlm: bool,
    /// Kerberos, raw or inside SPNEGO.
    pub kerberos: Option<&'a KerberosKeys>,
    /// Domains a user may name in NTLM-in-SPNEGO logons: NetBIOS names (`CORP`) and DNS names
    /// (`corp.example`); raw NTLM and Basic accept any domain.
    pub domains: &'a [String],
    /// The channel-binding rule.
    pub bindings: &'a dyn BindingPolicy,
}

/// Which mechanism a connection authenticated with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Mechanism {
    /// Basic.
    Basic,
    /// Raw NTLM.
    Ntlm,
    /// SPNEGO (NTLM or Kerberos inside).
    Spnego,
    /// Raw Kerberos.
    Kerberos,
}

/// Why a request was refused. The answer is the same for all: a `401` with the offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Refusal {
    /// A scheme this server does not accept (or Basic where it is not allowed).
    #[error("the scheme is not accepted")]
    Scheme,
    /// The value is longer than [`MAX_AUTHORIZATION_BYTES`].
    #[error("the Authorization value is too long")]
    TooLong,
    /// The token is not base64.
    #[error("the token is not base64")]
    BadToken,
    /// The token's mechanism is not served, or a continuation came without a context.
    #[error("the token's mechanism is not served")]
    Mechanism,
    /// The channel bindings were refused.
    #[error("the channel bindings were refused")]
    Bindings,
    /// The context refused the token, or the user or password is wrong.
    #[error("the credentials were refused")]
    Credentials,
}

/// The answer to one `Authorization` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Another leg: answer `401` with this `WWW-Authenticate` value.
    Continue {
        /// `<scheme> <base64 token>`.
        challenge: String,
    },
    /// Authenticated: serve the request, with this `WWW-Authenticate` value (the context's
    /// final token) on the answer when there is one.
    Accepted {
        /// The account's logon name.
        user: String,
        /// The mechanism.
        mechanism: Mechanism,
        /// `<scheme> <base64 token>`.
        final_token: Option<String>,
    },
    /// Refused: answer `401` with the server's offers.
    Rejected(Refusal),
}

/// One connection's authentication.
#[derive(Debug, Default)]
pub struct ServerAuth {
    context: Option<Context>,
    user: Option<String>,
    mechanism: Option<Mechanism>,
    started: Option<Mechanism>,
}

impl ServerAuth {
    /// A connection that has not authenticated.
    pub fn new() -> Self {
        Self::default()
    }

    /// The authenticated account, if any.
    pub fn user(&self) -> Option<&str> {
        self.user.as_deref()
    }

    /// The mechanism the connection authenticated with.
    pub fn mechanism(&self) -> Option<Mechanism> {
        self.mechanism
    }

    /// The mechanism of the context the last [`authorize`](Self::authorize) started, if it
    /// started one.
    pub fn started(&self) -> Option<Mechanism> {
        self.started
    }

    /// The security context, for sealing (none with Basic).
    pub fn sealing(&mut self) -> Option<&mut dyn SealingContext> {
        self.context.as_mut().map(Context::sealing)
    }

    /// Forgets the authentication, as when the server's context expires.
    pub fn reset(&mut self) {
        *self = Self::default();
    }

    /// Judges one `Authorization` value.
    pub fn authorize(&mut self, authorization: &str, policy: &AcceptPolicy<'_>) -> Verdict {
        self.started = None;
        if authorization.len() > MAX_AUTHORIZATION_BYTES {
            self.reset();
            return Verdict::Rejected(Refusal::TooLong);
        }
        let (name, rest) = authorization.split_once(' ').unwrap_or((authorization, ""));
        let Some(scheme) = policy
            .schemes
            .iter()
            .copied()
            .find(|s| s.as_str().eq_ignore_ascii_case(name))
        else {
            return Verdict::Rejected(Refusal::Scheme);
        };
        if scheme == Scheme::Basic {
            return match check_basic(rest, policy.accounts) {
                Some(user) => {
                    self.context = None;
                    self.user = Some(user.clone());
                    self.mechanism = Some(Mechanism::Basic);
                    Verdict::Accepted {
                        user,
                        mechanism: Mechanism::Basic,
                        final_token: None,
                    }
                }
                None => self.refuse(Refusal::Credentials),
            };
        }
        let Ok(token) = STANDARD.decode(rest.trim()) else {
            return self.refuse(Refusal::BadToken);
        };
        if self.context.is_none() || is_initial_token(&token) {
            self.reset();
            let allow_ntlm = policy.ntlm && scheme != Scheme::Kerberos;
            self.context = Context::new(&token, policy, allow_ntlm);
            self.started = self.context.as_ref().map(Context::mechanism);
        }
        let Some(context) = self.context.as_mut() else {
            return Verdict::Rejected(Refusal::Mechanism);
        };
        let bindings = match policy.bindings.check(&token) {
            BindingCheck::Refuse => return self.refuse(Refusal::Bindings),
            BindingCheck::Pass(b) => b,
        };
        let mechanism = context.mechanism();
        match context.step(token, policy.accounts, bindings) {
            Step::Continue(out) => Verdict::Continue {
                challenge: format!("{name} {}", STANDARD.encode(out)),
            },
            Step::Rejected => self.refuse(Refusal::Credentials),
            Step::Done { account, token } => {
                self.user = Some(account.clone());
                self.mechanism = Some(mechanism);
                Verdict::Accepted {
                    user: account,
                    mechanism,
                    final_token: (!token.is_empty())
                        .then(|| format!("{name} {}", STANDARD.encode(token))),
                }
            }
        }
    }

    fn refuse(&mut self, why: Refusal) -> Verdict {
        let started = self.started;
        self.reset();
        self.started = started;
        Verdict::Rejected(why)
    }
}

/// One connection's security context.
enum Context {
    Kerberos(Box<Kerberos>, Option<CredentialsBuffers>),
    Ntlm(Box<Ntlm>, Option<AuthIdentityBuffers>),
    Spnego(Box<Negotiate>, Option<CredentialsBuffers>),
}

impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Context::{:?}", self.mechanism())
    }
}

/// The result of one accept step.
enum Step {
    /// Another round trip: send this token in a 401.
    Continue(Vec<u8>),
    /// Authenticated as this account; the final token (maybe empty) goes on the 200.
    Done { account: String, token: Vec<u8> },
    /// Refused.
    Rejected,
}

fn identity(user: &str, password: &str) -> Option<AuthIdentity> {
    Some(AuthIdentity {
        username: Username::parse(user).ok()?,
        password: password.to_owned().into(),
    })
}

/// A GSS-API token whose mechanism is krb5 (OID 1.2.840.113554.1.2.2) right after the length.
fn is_raw_kerberos(token: &[u8]) -> bool {
    const KRB5: [u8; 11] = [
        0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02,
    ];
    token.first() == Some(&0x60) && (2..=6).any(|i| token.get(i..i + KRB5.len()) == Some(&KRB5[..]))
}

fn is_spnego(token: &[u8]) -> bool {
    const SPNEGO: [u8; 8] = [0x06, 0x06, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x02];
    token.first() == Some(&0x60) && (2..=6).any(|i| token.get(i..i + 8) == Some(&SPNEGO[..]))
}

/// Whether `token` starts a new context (an NTLM NEGOTIATE or a GSS initial token).
pub fn is_initial_token(token: &[u8]) -> bool {
    token.starts_with(b"NTLMSSP\0\x01\0\0\0") || token.first() == Some(&0x60)
}

/// An NTLM AUTHENTICATE message's domain and user (UTF-16LE fields at offsets 28 and 36,
/// [MS-NLMP] 2.2.1.3).
fn ntlm_authenticate_names(token: &[u8]) -> Option<(String, String)> {
    if !token.starts_with(b"NTLMSSP\0\x03\0\0\0") {
        return None;
    }
    let field = |at: usize| -> Option<String> {
        let len = usize::from(u16::from_le_bytes(token.get(at..at + 2)?.try_into().ok()?));
        let off = usize::try_from(u32::from_le_bytes(
            token.get(at + 4..at + 8)?.try_into().ok()?,
        ))
        .ok()?;
        let bytes = token.get(off..off.checked_add(len)?)?;
        let units: Vec<u16> = bytes
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        String::from_utf16(&units).ok()
    };
    Some((field(28)?, field(36)?))
}

/// The account name part of a user name, lower-cased (`CORP\alice`, `alice@corp` → `alice`).
fn account_name(user: &Username) -> String {
    match user.parts() {
        UsernameParts::UserPrincipalName(p) => p.account_name().to_ascii_lowercase(),
        UsernameParts::DownLevelLogonName(p) => p.account_name().to_ascii_lowercase(),
    }
}

fn bare(user: &str) -> String {
    let after_domain = user.rsplit('\\').next().unwrap_or(user);
    after_domain
        .split('@')
        .next()
        .unwrap_or(after_domain)
        .to_ascii_lowercase()
}

fn find_account<'a>(accounts: &'a [Account], name: &str) -> Option<&'a Account> {
    let want = bare(name);
    accounts.iter().find(|a| bare(&a.user) == want)
}

/// Checks a Basic `user:password` against the accounts; returns the account's logon name.
fn check_basic(encoded: &str, accounts: &[Account]) -> Option<String> {
    let decoded = Zeroizing::new(STANDARD.decode(encoded.trim()).ok()?);
    let text = std::str::from_utf8(&decoded).ok()?;
    let (user, password) = text.split_once(':')?;
    let account = find_account(accounts, user)?;
    (account.password.as_str() == password).then(|| account.user.clone())
}

impl Context {
    /// A context for `first_token`, or `None` when its mechanism is not served.
    fn new(first_token: &[u8], policy: &AcceptPolicy<'_>, allow_ntlm: bool) -> Option<Context> {
        let accounts = policy.accounts;
        if first_token.starts_with(b"NTLMSSP\0") {
            if !allow_ntlm {
                return None;
            }
            // The right password is known only from the AUTHENTICATE message; until then any
            // identity serves (the NEGOTIATE/CHALLENGE steps do not use it).
            let mut ntlm = Box::new(Ntlm::new());
            let first = accounts.first()?;
            let handle = ntlm
                .acquire_credentials_handle()
                .with_credential_use(CredentialUse::Inbound)
                .with_auth_data(&identity(&first.user, &first.password)?)
                .execute(&mut *ntlm)
                .ok()?
                .credentials_handle;
            Some(Context::Ntlm(ntlm, handle))
        } else if is_raw_kerberos(first_token) {
            let svc = policy.kerberos?;
            let kconf = KerberosConfig::new_with_kdc_url(&svc.kdc_url, "server".into());
            let krb = Box::new(Kerberos::new_server_from_config(kconf, svc.properties()?).ok()?);
            Some(Context::Kerberos(krb, None))
        } else if is_spnego(first_token) {
            let nconf = match policy.kerberos {
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
                None if allow_ntlm => NegotiateConfig::new(
                    Box::new(NtlmConfig::default()),
                    Some("ntlm".into()),
                    "server".into(),
                ),
                None => return None,
            };
            // sspi's Negotiate acceptor matches the user name with its format and domain, so
            // every form a client may send is listed: as configured, DOMAIN\user, user@suffix,
            // and the DNS domain as the NTLM domain (`CONTOSO.COM\user`, what a client falling
            // back from Kerberos sends for `user@contoso.com`; Windows accepts it as well).
            let identities: Vec<AuthIdentity> = accounts
                .iter()
                .flat_map(|a| {
                    let name = bare(&a.user);
                    std::iter::once(a.user.clone())
                        .chain(policy.domains.iter().flat_map(move |d| {
                            let mut forms = vec![format!("{d}\\{name}")];
                            if d.contains('.') {
                                forms.push(format!("{name}@{d}"));
                                forms.push(format!("{}\\{name}", d.to_ascii_uppercase()));
                            }
                            forms
                        }))
                        .filter_map(|u| identity(&u, &a.password))
                        .collect::<Vec<_>>()
                })
                .collect();
            let first = identities.first()?.clone();
            let mut neg = Box::new(Negotiate::new_server(nconf, identities).ok()?);
            let creds: sspi::Credentials = first.into();
            let handle = neg
                .acquire_credentials_handle()
                .with_credential_use(CredentialUse::Inbound)
                .with_auth_data(&creds)
                .execute(&mut *neg)
                .ok()?
                .credentials_handle;
            Some(Context::Spnego(neg, handle))
        } else {
            None
        }
    }

    fn mechanism(&self) -> Mechanism {
        match self {
            Context::Kerberos(..) => Mechanism::Kerberos,
            Context::Ntlm(..) => Mechanism::Ntlm,
            Context::Spnego(..) => Mechanism::Spnego,
        }
    }

    /// One accept step with `token`; `cbt` is the channel binding application data over TLS.
    fn step(&mut self, token: Vec<u8>, accounts: &[Account], cbt: Option<&[u8]>) -> Step {
        let result = match self {
            Context::Kerberos(ctx, handle) => accept_step(&mut **ctx, handle, token, cbt),
            Context::Ntlm(ctx, handle) => {
                if let Some((domain, user)) = ntlm_authenticate_names(&token) {
                    let Some(account) = find_account(accounts, &user) else {
                        return Step::Rejected;
                    };
                    // The NTLMv2 proof is keyed by the names the client used.
                    let full = if domain.is_empty() {
                        user.clone()
                    } else {
                        format!("{domain}\\{user}")
                    };
                    let Some(id) = identity(&full, &account.password) else {
                        return Step::Rejected;
                    };
                    *handle = Some(AuthIdentityBuffers::from(id));
                }
                accept_step(&mut **ctx, handle, token, cbt)
            }
            Context::Spnego(ctx, handle) => accept_step(&mut **ctx, handle, token, cbt),
        };
        let (out, done) = match result {
            Ok(r) => r,
            Err(_) => return Step::Rejected,
        };
        if !done {
            return Step::Continue(out);
        }
        let names = match self {
            Context::Kerberos(ctx, _) => ctx.query_context_names().ok(),
            Context::Ntlm(ctx, _) => ctx.query_context_names().ok(),
            Context::Spnego(ctx, _) => ctx.query_context_names().ok(),
        };
        let Some(names) = names else {
            return Step::Rejected;
        };
        let name = account_name(&names.username);
        match find_account(accounts, &name) {
            Some(account) => Step::Done {
                account: account.user.clone(),
                token: out,
            },
            None => Step::Rejected,
        }
    }

    fn sealing(&mut self) -> &mut dyn SealingContext {
        match self {
            Context::Kerberos(c, _) => &mut **c,
            Context::Ntlm(c, _) => &mut **c,
            Context::Spnego(c, _) => &mut **c,
        }
    }
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
            sec_channel_bindings(cb),
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
    let token = output
        .first_mut()
        .map(|b| std::mem::take(&mut b.buffer))
        .unwrap_or_default();
    Ok((token, done))
}
