//! Client authenticators: Basic, and NTLM, Kerberos and Negotiate through sspi.
//!
//! sspi hands Kerberos KDC traffic back to us as network requests; they are answered here with
//! a tokio TCP client (RFC 4120 7.2.2 framing: a 4-byte big-endian length before each message).
//! Nothing in this module logs a password, a token or a ticket.

use std::time::Duration;

use sspi::generator::GeneratorState;
use sspi::{
    AuthIdentity, AuthIdentityBuffers, BufferType, ClientRequestFlags, CredentialUse,
    CredentialsBuffers, DataRepresentation, EncryptionFlags, Kerberos, KerberosConfig,
    KeytabIdentity, Negotiate, NegotiateConfig, NetworkProtocol, NetworkRequest, Ntlm,
    SecurityBuffer, SecurityBufferRef, SecurityStatus, Sspi, SspiImpl, Username,
};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use zeroize::Zeroizing;

use super::auth_header::Scheme;
use super::cbt::sec_channel_bindings;
use super::encryption::SealingContext;
use super::error::{SealingError, TimeoutPhase, TransportError};
use super::kerberos::{self, KerberosConfigError};
use super::keytab::{self, Keytab};

/// Largest KDC reply accepted; real replies are a few kilobytes.
const MAX_KDC_REPLY: usize = 1024 * 1024;

/// Which authentication the client performs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum AuthMethod {
    /// SPNEGO: Kerberos first, NTLM when Kerberos is not possible.
    #[default]
    Negotiate,
    /// Kerberos only, under the `Kerberos` scheme (falling back to the `Negotiate` header when
    /// the server offers only that).
    Kerberos,
    /// NTLM only, as raw NTLM tokens under the `Negotiate` scheme (as Windows clients do), or
    /// the `NTLM` scheme when the server offers only that.
    Ntlm,
    /// Basic: user and password in every request; HTTPS only unless explicitly allowed.
    Basic,
}

/// User name and password, or a keytab. The password is wiped from memory when dropped.
#[derive(Clone)]
pub struct Credentials {
    /// `user`, `DOMAIN\user` or `user@REALM`; with a keytab, the principal whose key logs on
    /// (empty: the keytab's first principal).
    pub username: String,
    /// The password.
    pub password: Zeroizing<String>,
    /// An MIT keytab file whose key logs on instead of the password (Kerberos and Negotiate
    /// only): the entry of `username` with AES256, else AES128, at the highest kvno.
    pub keytab: Option<std::path::PathBuf>,
}

impl Credentials {
    /// Credentials from a user name and a password.
    pub fn new(username: impl Into<String>, password: impl Into<String>) -> Self {
        Self {
            username: username.into(),
            password: Zeroizing::new(password.into()),
            keytab: None,
        }
    }

    /// Credentials that log on with a key from `keytab`, for the principal `username` (empty:
    /// the keytab's first principal), as service accounts do without a password at rest.
    pub fn with_keytab(username: impl Into<String>, keytab: impl Into<std::path::PathBuf>) -> Self {
        Self {
            username: username.into(),
            password: Zeroizing::new(String::new()),
            keytab: Some(keytab.into()),
        }
    }
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .field("keytab", &self.keytab)
            .finish()
    }
}

/// The sspi identity for a keytab logon: the chosen entry's principal (account + realm, an
/// NT-PRINCIPAL) and key, and the KDC for its realm.
fn keytab_identity(
    scheme: Scheme,
    creds: &Credentials,
    path: &std::path::Path,
    settings: &KerberosSettings,
    conf: Option<&kerberos::Krb5Conf>,
) -> Result<(sspi::Credentials, Option<String>), TransportError> {
    let keytab = Keytab::read(path)?;
    let wanted = Some(creds.username.as_str()).filter(|u| !u.is_empty());
    let entry = keytab.logon_key(wanted)?;
    let principal = &entry.principal;
    let [account] = principal.components.as_slice() else {
        return Err(TransportError::Auth {
            scheme: scheme.as_str().to_owned(),
            message: format!(
                "keytab principal `{principal}` is a service name; a keytab logs on as an account"
            ),
            hint: Some(
                "name a user or computer account of the keytab (svc@REALM, NAME$@REALM) as the user name"
                    .to_owned(),
            ),
        });
    };
    let auth = |message: String| TransportError::Auth {
        scheme: scheme.as_str().to_owned(),
        message,
        hint: None,
    };
    let key_enctype = match entry.enctype {
        keytab::enctype::AES256_CTS_HMAC_SHA1_96 => {
            picky_krb::crypto::CipherSuite::Aes256CtsHmacSha196
        }
        _ => picky_krb::crypto::CipherSuite::Aes128CtsHmacSha196,
    };
    let username = Username::new_down_level_logon_name(account, &principal.realm)
        .map_err(|e| auth(format!("keytab principal `{principal}`: {e}")))?;
    let kdc = kerberos::choose_kdc(settings.kdc.as_deref(), conf, &principal.realm)
        .map_err(|e| config_error(scheme, e))?;
    tracing::debug!(
        principal = %principal,
        kvno = entry.kvno,
        enctype = %keytab::enctype_name(entry.enctype),
        "Kerberos logon with a keytab key"
    );
    let identity = KeytabIdentity {
        principal: username,
        key: entry.key().to_vec().into(),
        key_enctype,
    };
    Ok((identity.into(), kdc))
}

/// Where the Kerberos client finds its KDC and what it names the service.
#[derive(Debug, Clone, Default)]
pub(crate) struct KerberosSettings {
    /// Explicit KDC address (`tcp://host:port`, or `host[:port]`).
    pub(crate) kdc: Option<String>,
    /// Service principal name to use instead of `HTTP/<host>`.
    pub(crate) spn_override: Option<String>,
    /// Time allowed for one KDC round trip.
    pub(crate) kdc_timeout: Duration,
}

/// Finds the KDC for the user's realm when none is given: the realm's first `kdc` in
/// `krb5.conf`, else the DNS SRV records `_kerberos._tcp.<realm>` on `dns_servers` (the system's
/// when empty). `None` leaves discovery to sspi (the `SSPI_KDC_URL` variables).
pub(crate) async fn discover_kdc(
    creds: &Credentials,
    dns_servers: &[std::net::SocketAddr],
    timeout: Duration,
) -> Option<String> {
    let conf = kerberos::load_krb5_conf();
    let default_realm = conf.as_ref().and_then(|c| c.default_realm.clone());
    let user = kerberos_user(creds, conf.as_ref(), default_realm.as_deref()).ok()?;
    if let Ok(Some(kdc)) = kerberos::choose_kdc(None, conf.as_ref(), &user.realm) {
        return Some(kdc);
    }
    let system;
    let servers = if dns_servers.is_empty() {
        system = super::dns_srv::system_dns_servers();
        system.as_slice()
    } else {
        dns_servers
    };
    super::dns_srv::lookup_kdcs(&user.realm, servers, timeout)
        .await
        .into_iter()
        .next()
}

/// The Kerberos account and realm of `creds`: `DOMAIN\\user` with a NetBIOS domain takes the
/// `krb5.conf` realm the domain stands for (`CONTOSO` -> `CONTOSO.COM`); an AD KDC knows the
/// account by its sAMAccountName under that realm.
fn kerberos_user(
    creds: &Credentials,
    conf: Option<&kerberos::Krb5Conf>,
    default_realm: Option<&str>,
) -> Result<kerberos::KerberosUser, KerberosConfigError> {
    let mut user = kerberos::split_user(&creds.username, default_realm)?;
    if let Some(realm) = kerberos::realm_for_netbios(&user.realm, conf) {
        user.realm = realm;
    }
    Ok(user)
}

/// An sspi security context and its credentials handle.
pub(crate) enum SecurityContext {
    Ntlm(Box<Ntlm>, Option<AuthIdentityBuffers>),
    Kerberos(Box<Kerberos>, Option<CredentialsBuffers>),
    Negotiate(Box<Negotiate>, Option<CredentialsBuffers>),
}

impl std::fmt::Debug for SecurityContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Ntlm(..) => "SecurityContext::Ntlm",
            Self::Kerberos(..) => "SecurityContext::Kerberos",
            Self::Negotiate(..) => "SecurityContext::Negotiate",
        })
    }
}

fn config_error(scheme: Scheme, e: KerberosConfigError) -> TransportError {
    let hint = match e {
        KerberosConfigError::IpTarget(_) => {
            Some("Kerberos tickets name hosts, not addresses".to_owned())
        }
        _ => None,
    };
    TransportError::Auth {
        scheme: scheme.as_str().to_owned(),
        message: e.to_string(),
        hint,
    }
}

/// KDC error texts (as sspi words them, RFC 4120 7.5.9) and what an administrator can do.
const KDC_HINTS: [(&str, &str); 5] = [
    (
        "server not found in Kerberos database",
        "the KDC knows no service HTTP/<host>: use the server's FQDN in the URL, check the SPN with setspn -L <computer>, or set an SPN override",
    ),
    (
        "client not found in Kerberos database",
        "the KDC does not know this user: check the user name and its realm",
    ),
    (
        "pre-authentication information was invalid",
        "the password is wrong (the KDC rejected pre-authentication)",
    ),
    (
        "password has expired",
        "the user's password has expired: change it",
    ),
    (
        "additional preauthentication required",
        "the KDC asked for a pre-authentication method this client does not offer",
    ),
];

fn sspi_error(scheme: Scheme, stage: &str, e: &sspi::Error) -> TransportError {
    use sspi::ErrorKind as K;
    // The KDC's e-data is opaque DER; keep the readable part only.
    let description = e
        .description
        .split(". Additional error data")
        .next()
        .unwrap_or_default();
    let from_text = KDC_HINTS
        .iter()
        .find(|(text, _)| description.contains(text))
        .map(|(_, hint)| *hint);
    let hint = from_text.or(match e.error_type {
        K::NoAuthenticatingAuthority => Some(
            "the KDC could not be reached: give its address as tcp://host:88, or list it in krb5.conf",
        ),
        K::TargetUnknown | K::WrongPrincipalName => Some(
            "check that the URL uses the server's FQDN and that the SPN HTTP/<fqdn> is registered (setspn -L <computer>)",
        ),
        K::TimeSkew => Some("the clocks of this machine and the KDC differ by more than 5 minutes"),
        K::LogonDenied | K::UnknownCredentials => {
            Some("check the user name (DOMAIN\\user or user@REALM) and the password")
        }
        _ => None,
    });
    TransportError::Auth {
        scheme: scheme.as_str().to_owned(),
        message: format!("{stage}: {:?}: {description}", e.error_type),
        hint: hint.map(str::to_owned),
    }
}

impl SecurityContext {
    /// Creates a client context for `method` (not Basic).
    pub(crate) fn new(
        method: AuthMethod,
        creds: &Credentials,
        settings: &KerberosSettings,
        client_name: &str,
    ) -> Result<Self, TransportError> {
        match method {
            AuthMethod::Ntlm => {
                let identity = ntlm_identity(creds)?;
                let mut ctx = Box::new(Ntlm::new());
                let handle = ctx
                    .acquire_credentials_handle()
                    .with_credential_use(CredentialUse::Outbound)
                    .with_auth_data(&identity)
                    .execute(&mut *ctx)
                    .map_err(|e| sspi_error(Scheme::Ntlm, "credentials", &e))?
                    .credentials_handle;
                Ok(Self::Ntlm(ctx, handle))
            }
            AuthMethod::Kerberos | AuthMethod::Negotiate => {
                let scheme = if method == AuthMethod::Kerberos {
                    Scheme::Kerberos
                } else {
                    Scheme::Negotiate
                };
                let conf = kerberos::load_krb5_conf();
                let default_realm = conf.as_ref().and_then(|c| c.default_realm.clone());
                let (creds, kdc): (sspi::Credentials, _) = if let Some(path) = &creds.keytab {
                    keytab_identity(scheme, creds, path, settings, conf.as_ref())?
                } else {
                    let (identity, kdc) = match kerberos_user(
                        creds,
                        conf.as_ref(),
                        default_realm.as_deref(),
                    ) {
                        Ok(user) => {
                            let kdc = kerberos::choose_kdc(
                                settings.kdc.as_deref(),
                                conf.as_ref(),
                                &user.realm,
                            )
                            .map_err(|e| config_error(scheme, e))?;
                            // Account + realm makes an NT-PRINCIPAL name; `user@REALM` would be sent
                            // as an enterprise name, which MIT KDCs reject.
                            let username =
                                Username::new_down_level_logon_name(&user.account, &user.realm)
                                    .map_err(|e| TransportError::Auth {
                                        scheme: scheme.as_str().to_owned(),
                                        message: format!("user name `{}`: {e}", creds.username),
                                        hint: None,
                                    })?;
                            (
                                AuthIdentity {
                                    username,
                                    password: creds.password.to_string().into(),
                                },
                                kdc,
                            )
                        }
                        // Negotiate can still fall back to NTLM for a user without a realm.
                        Err(e) if method == AuthMethod::Negotiate => {
                            tracing::debug!(reason = %e, "no Kerberos realm; Negotiate will use NTLM");
                            (ntlm_identity(creds)?, None)
                        }
                        Err(e) => return Err(config_error(scheme, e)),
                    };
                    (identity.into(), kdc)
                };
                let kconf = match &kdc {
                    Some(url) => KerberosConfig::new_with_kdc_url(url, client_name.to_owned()),
                    None => KerberosConfig {
                        kdc_resolution: sspi::KdcResolution::KdcUrl(None),
                        client_computer_name: client_name.to_owned(),
                    },
                };
                if method == AuthMethod::Kerberos {
                    let mut ctx = Box::new(
                        Kerberos::new_client_from_config(kconf)
                            .map_err(|e| sspi_error(scheme, "Kerberos setup", &e))?,
                    );
                    let handle = ctx
                        .acquire_credentials_handle()
                        .with_credential_use(CredentialUse::Outbound)
                        .with_auth_data(&creds)
                        .execute(&mut *ctx)
                        .map_err(|e| sspi_error(scheme, "credentials", &e))?
                        .credentials_handle;
                    Ok(Self::Kerberos(ctx, handle))
                } else {
                    let nconf = NegotiateConfig::new(Box::new(kconf), None, client_name.to_owned());
                    let mut ctx = Box::new(
                        Negotiate::new_client(nconf)
                            .map_err(|e| sspi_error(scheme, "Negotiate setup", &e))?,
                    );
                    let handle = ctx
                        .acquire_credentials_handle()
                        .with_credential_use(CredentialUse::Outbound)
                        .with_auth_data(&creds)
                        .execute(&mut *ctx)
                        .map_err(|e| sspi_error(scheme, "credentials", &e))?
                        .credentials_handle;
                    Ok(Self::Negotiate(ctx, handle))
                }
            }
            AuthMethod::Basic => Err(TransportError::Config(
                "Basic authentication has no security context".to_owned(),
            )),
        }
    }

    /// Runs one step of the handshake: consumes the server's token (if any) and returns the
    /// next token to send (possibly empty) and whether the context is established.
    pub(crate) async fn step(
        &mut self,
        scheme: Scheme,
        target: &str,
        input: Option<&[u8]>,
        channel_binding: Option<&[u8]>,
        kdc_timeout: Duration,
    ) -> Result<(Vec<u8>, bool), TransportError> {
        let r = match self {
            Self::Ntlm(ctx, handle) => {
                init_step(
                    &mut **ctx,
                    handle,
                    target,
                    input,
                    channel_binding,
                    kdc_timeout,
                )
                .await
            }
            Self::Kerberos(ctx, handle) => {
                init_step(
                    &mut **ctx,
                    handle,
                    target,
                    input,
                    channel_binding,
                    kdc_timeout,
                )
                .await
            }
            Self::Negotiate(ctx, handle) => {
                init_step(
                    &mut **ctx,
                    handle,
                    target,
                    input,
                    channel_binding,
                    kdc_timeout,
                )
                .await
            }
        };
        let (token, status) = r.map_err(|e| match e {
            StepError::Sspi(e) => sspi_error(scheme, "security context", &e),
            StepError::Transport(t) => t,
        })?;
        match status {
            SecurityStatus::Ok => Ok((token, true)),
            SecurityStatus::ContinueNeeded => Ok((token, false)),
            other => Err(TransportError::Auth {
                scheme: scheme.as_str().to_owned(),
                message: format!("unexpected security status {other:?}"),
                hint: None,
            }),
        }
    }
}

fn ntlm_identity(creds: &Credentials) -> Result<AuthIdentity, TransportError> {
    let username = Username::parse(&creds.username).map_err(|e| TransportError::Auth {
        scheme: Scheme::Ntlm.as_str().to_owned(),
        message: format!("user name `{}`: {e}", creds.username),
        hint: Some("write the user as DOMAIN\\user or user@domain".to_owned()),
    })?;
    Ok(AuthIdentity {
        username,
        password: creds.password.to_string().into(),
    })
}

enum StepError {
    Sspi(sspi::Error),
    Transport(TransportError),
}

impl From<sspi::Error> for StepError {
    fn from(e: sspi::Error) -> Self {
        Self::Sspi(e)
    }
}

async fn init_step<S>(
    ctx: &mut S,
    handle: &mut S::CredentialsHandle,
    target: &str,
    input: Option<&[u8]>,
    channel_binding: Option<&[u8]>,
    kdc_timeout: Duration,
) -> Result<(Vec<u8>, SecurityStatus), StepError>
where
    S: Sspi + SspiImpl,
{
    let mut inputs = vec![SecurityBuffer::new(
        input.map(<[u8]>::to_vec).unwrap_or_default(),
        BufferType::Token,
    )];
    if let Some(cb) = channel_binding {
        inputs.push(SecurityBuffer::new(
            sec_channel_bindings(cb),
            BufferType::ChannelBindings,
        ));
    }
    let mut outputs = vec![SecurityBuffer::new(Vec::new(), BufferType::Token)];
    let flags = ClientRequestFlags::MUTUAL_AUTH
        | ClientRequestFlags::CONFIDENTIALITY
        | ClientRequestFlags::INTEGRITY
        | ClientRequestFlags::REPLAY_DETECT
        | ClientRequestFlags::SEQUENCE_DETECT;
    let status = {
        let mut builder = ctx
            .initialize_security_context()
            .with_credentials_handle(handle)
            .with_context_requirements(flags)
            .with_target_data_representation(DataRepresentation::Native)
            .with_target_name(target)
            .with_input(&mut inputs)
            .with_output(&mut outputs);
        let mut generator = ctx.initialize_security_context_impl(&mut builder)?;
        let mut state = generator.start();
        loop {
            match state {
                GeneratorState::Completed(result) => break result?.status,
                GeneratorState::Suspended(request) => {
                    let reply = kdc_round_trip(&request, kdc_timeout).await;
                    let reply = match reply {
                        Ok(r) => Ok(r),
                        Err(KdcFailure::Timeout) => {
                            return Err(StepError::Transport(TransportError::Timeout {
                                phase: TimeoutPhase::Kdc,
                            }));
                        }
                        Err(KdcFailure::Other(e)) => Err(e),
                    };
                    state = generator.resume(reply);
                }
            }
        }
    };
    let token = outputs
        .into_iter()
        .find(|b| b.buffer_type.buffer_type == BufferType::Token)
        .map(|b| b.buffer)
        .unwrap_or_default();
    Ok((token, status))
}

enum KdcFailure {
    Timeout,
    Other(sspi::Error),
}

/// Sends one KDC request over TCP and returns the framed reply (length prefix included, as
/// sspi expects: the request it hands over is already framed).
async fn kdc_round_trip(
    request: &NetworkRequest,
    timeout: Duration,
) -> Result<Vec<u8>, KdcFailure> {
    let unreachable = |msg: String| {
        KdcFailure::Other(sspi::Error::new(
            sspi::ErrorKind::NoAuthenticatingAuthority,
            msg,
        ))
    };
    if request.protocol != NetworkProtocol::Tcp {
        return Err(unreachable(format!(
            "KDC protocol {:?} is not supported; use tcp://host:port",
            request.protocol
        )));
    }
    let host = request
        .url
        .host_str()
        .ok_or_else(|| unreachable("KDC URL has no host".to_owned()))?
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    let port = request.url.port().unwrap_or(88);
    tracing::debug!(kdc = %host, port, bytes = request.data.len(), "KDC request");
    let exchange = async {
        let mut stream = tokio::net::TcpStream::connect((host.as_str(), port))
            .await
            .map_err(|e| unreachable(format!("cannot connect to KDC {host}:{port}: {e}")))?;
        stream
            .write_all(&request.data)
            .await
            .map_err(|e| unreachable(format!("KDC {host}:{port}: {e}")))?;
        let len = stream
            .read_u32()
            .await
            .map_err(|e| unreachable(format!("KDC {host}:{port}: {e}")))?;
        let len = usize::try_from(len).unwrap_or(usize::MAX);
        if len > MAX_KDC_REPLY {
            return Err(unreachable(format!(
                "KDC {host}:{port} announced a {len}-byte reply"
            )));
        }
        let mut reply = vec![0u8; 4 + len];
        reply
            .get_mut(..4)
            .unwrap_or_default()
            .copy_from_slice(&u32::try_from(len).unwrap_or(0).to_be_bytes());
        stream
            .read_exact(reply.get_mut(4..).unwrap_or_default())
            .await
            .map_err(|e| unreachable(format!("KDC {host}:{port}: {e}")))?;
        Ok(reply)
    };
    tokio::time::timeout(timeout, exchange)
        .await
        .map_err(|_| KdcFailure::Timeout)?
}

fn seal_with<S: Sspi>(ctx: &mut S, plain: &[u8]) -> Result<(Vec<u8>, Vec<u8>), SealingError> {
    let sizes = ctx
        .query_context_sizes()
        .map_err(|e| SealingError::Crypto(e.description))?;
    let mut signature = vec![0u8; sizes.security_trailer as usize];
    let mut data = plain.to_vec();
    {
        let mut buffers = [
            SecurityBufferRef::token_buf(&mut signature),
            SecurityBufferRef::data_buf(&mut data),
        ];
        ctx.encrypt_message(EncryptionFlags::empty(), &mut buffers)
            .map_err(|e| SealingError::Crypto(e.description))?;
        let sig_len = buffers.first().map(|b| b.data().len()).unwrap_or_default();
        signature.truncate(sig_len);
    }
    Ok((signature, data))
}

fn unseal_with<S: Sspi>(
    ctx: &mut S,
    signature: &[u8],
    cipher: &[u8],
) -> Result<Vec<u8>, SealingError> {
    let mut sig = signature.to_vec();
    let mut data = cipher.to_vec();
    let mut buffers = [
        SecurityBufferRef::token_buf(&mut sig),
        SecurityBufferRef::data_buf(&mut data),
    ];
    ctx.decrypt_message(&mut buffers)
        .map_err(|e| SealingError::Crypto(format!("{:?}: {}", e.error_type, e.description)))?;
    Ok(buffers
        .get(1)
        .map(|b| b.data().to_vec())
        .unwrap_or_default())
}

macro_rules! sealing_for_sspi {
    ($($t:ty),*) => {$(
        impl SealingContext for $t {
            fn seal(&mut self, plain: &[u8]) -> Result<(Vec<u8>, Vec<u8>), SealingError> {
                seal_with(self, plain)
            }
            fn unseal(&mut self, signature: &[u8], cipher: &[u8]) -> Result<Vec<u8>, SealingError> {
                unseal_with(self, signature, cipher)
            }
            fn signature_len(&mut self) -> Option<usize> {
                self.query_context_sizes().ok().map(|s| s.security_trailer as usize)
            }
        }
    )*};
}

sealing_for_sspi!(Ntlm, Kerberos, Negotiate);

impl SealingContext for SecurityContext {
    fn seal(&mut self, plain: &[u8]) -> Result<(Vec<u8>, Vec<u8>), SealingError> {
        match self {
            Self::Ntlm(c, _) => c.seal(plain),
            Self::Kerberos(c, _) => c.seal(plain),
            Self::Negotiate(c, _) => c.seal(plain),
        }
    }

    fn unseal(&mut self, signature: &[u8], cipher: &[u8]) -> Result<Vec<u8>, SealingError> {
        match self {
            Self::Ntlm(c, _) => c.unseal(signature, cipher),
            Self::Kerberos(c, _) => c.unseal(signature, cipher),
            Self::Negotiate(c, _) => c.unseal(signature, cipher),
        }
    }

    fn signature_len(&mut self) -> Option<usize> {
        match self {
            Self::Ntlm(c, _) => c.signature_len(),
            Self::Kerberos(c, _) => c.signature_len(),
            Self::Negotiate(c, _) => c.signature_len(),
        }
    }
}
