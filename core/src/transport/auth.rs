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

use super::address::ResolveOverride;
use super::auth_header::Scheme;
use super::cbt::sec_channel_bindings;
use super::encryption::SealingContext;
use super::error::{SealingError, TimeoutPhase, TransportError};
use super::kdc_proxy::{self, ProxyRoute, ProxyTls};
use super::kdc_reply::{self, KdcReply};
use super::kerberos::{self, KerberosConfigError, KerberosUser, RealmSource};
use super::kerberos_error::KerberosError;
use super::keytab::{self, Keytab};
use super::tls::TlsOptions;

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

impl std::str::FromStr for AuthMethod {
    type Err = TransportError;
    /// `negotiate`, `kerberos`, `ntlm` or `basic`, in any case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "negotiate" => Ok(Self::Negotiate),
            "kerberos" => Ok(Self::Kerberos),
            "ntlm" => Ok(Self::Ntlm),
            "basic" => Ok(Self::Basic),
            _ => Err(TransportError::Config(format!(
                "auth `{s}`: expected negotiate, kerberos, ntlm or basic"
            ))),
        }
    }
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
    let kdc = match &settings.kdc {
        Some(k) => Some(kerberos::kdc_url(k).map_err(|e| config_error(scheme, e))?),
        None => kerberos::choose_kdc(None, conf, &principal.realm)
            .map_err(|e| config_error(scheme, e))?,
    };
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

/// Where the Kerberos client finds its KDC, whom it logs on as and what it names the service.
#[derive(Debug, Clone, Default)]
pub(crate) struct KerberosSettings {
    /// KDC address (`tcp://host:port`, `host[:port]`, or a KDC proxy `https://...`).
    pub(crate) kdc: Option<String>,
    /// Service principal name to use instead of `HTTP/<host>`.
    pub(crate) spn_override: Option<String>,
    /// Time allowed for one KDC round trip.
    pub(crate) kdc_timeout: Duration,
    /// The client principal, when the user name could be resolved to one.
    pub(crate) user: Option<KerberosUser>,
    /// The configuration problem of the user name or realm, for Kerberos-only logons.
    pub(crate) user_error: Option<KerberosConfigError>,
    /// TLS options a KDC proxy's certificate is checked with (the CA file).
    pub(crate) proxy_tls: TlsOptions,
    /// Fixed addresses, which also apply to a KDC proxy's host.
    pub(crate) overrides: Vec<ResolveOverride>,
    /// Whether the realm was given by the `realm` option (no fallback from an enterprise name
    /// to a plain principal then).
    pub(crate) realm_explicit: bool,
    /// Whether the KDC was given by the `kdc` option (kept when the realm changes).
    pub(crate) kdc_explicit: bool,
    /// DNS servers for `_kerberos._tcp` SRV look-ups (empty: the system's), and their limit.
    pub(crate) dns_servers: Vec<std::net::SocketAddr>,
    pub(crate) dns_timeout: Duration,
}

/// What [`resolve_kerberos`] needs from the transport options.
pub(crate) struct KerberosInputs<'a> {
    pub(crate) credentials: &'a Credentials,
    pub(crate) realm: Option<&'a str>,
    pub(crate) kdc: Option<&'a str>,
    pub(crate) spn_override: Option<&'a str>,
    pub(crate) host: &'a str,
    pub(crate) dns_servers: &'a [std::net::SocketAddr],
    pub(crate) dns_timeout: Duration,
    pub(crate) kdc_timeout: Duration,
    pub(crate) tls: &'a TlsOptions,
    pub(crate) overrides: &'a [ResolveOverride],
}

/// The Kerberos settings for a transport's options and endpoint host (NTLM and Basic need
/// none; they get the plain options).
pub(crate) async fn kerberos_settings(
    opts: &super::TransportOptions,
    host: &str,
) -> KerberosSettings {
    let inputs = KerberosInputs {
        credentials: &opts.credentials,
        realm: opts.realm.as_deref(),
        kdc: opts.kdc.as_deref(),
        spn_override: opts.spn_override.as_deref(),
        host,
        dns_servers: &opts.dns_servers,
        dns_timeout: opts.timeouts.connect.min(Duration::from_secs(5)),
        kdc_timeout: opts.timeouts.read,
        tls: &opts.tls,
        overrides: &opts.resolve_overrides,
    };
    if matches!(opts.auth, AuthMethod::Kerberos | AuthMethod::Negotiate) {
        resolve_kerberos(inputs).await
    } else {
        KerberosSettings {
            kdc: opts.kdc.clone(),
            spn_override: opts.spn_override.clone(),
            kdc_timeout: opts.timeouts.read,
            ..KerberosSettings::default()
        }
    }
}

/// Resolves the client principal, its realm and the KDC once per transport.
///
/// The realm is the `realm` option, else `krb5.conf`'s `default_realm`, else found in DNS: the
/// user's UPN suffix when `_kerberos._tcp.<suffix>` exists, else the first parent domain of the
/// server's host name that has such records. The KDC is the `kdc` option, else the realm's
/// first `kdc` in `krb5.conf`, else the DNS SRV records of the realm.
pub(crate) async fn resolve_kerberos(inputs: KerberosInputs<'_>) -> KerberosSettings {
    let conf = kerberos::load_krb5_conf();
    let known: Vec<String> = conf
        .as_ref()
        .map(|c| c.realms.iter().map(|(r, _)| r.clone()).collect())
        .unwrap_or_default();
    let system;
    let servers = if inputs.dns_servers.is_empty() {
        system = super::dns_srv::system_dns_servers();
        system.as_slice()
    } else {
        inputs.dns_servers
    };
    let mut found_kdc: Option<String> = None;
    let explicit = match inputs.realm.map(kerberos::check_realm).transpose() {
        Ok(r) => r,
        Err(e) => {
            return KerberosSettings {
                user_error: Some(e),
                ..KerberosSettings::default()
            };
        }
    };
    let mut realm: Option<(String, RealmSource)> =
        explicit.map(|r| (r, RealmSource::Explicit)).or_else(|| {
            conf.as_ref()
                .and_then(|c| c.default_realm.clone())
                .map(|r| (r, RealmSource::DefaultRealm))
        });
    let user_name = &inputs.credentials.username;
    if realm.is_none() && inputs.kdc.is_none() {
        // DNS: the UPN suffix when it is a realm, else the server's own domain.
        let suffix = user_name
            .rsplit_once('@')
            .map(|(_, s)| s.to_owned())
            .filter(|s| !s.is_empty() && !user_name.contains('\\'));
        let mut candidates: Vec<String> = suffix.clone().into_iter().collect();
        let labels: Vec<&str> = inputs.host.split('.').collect();
        for i in 1..labels.len().saturating_sub(1) {
            candidates.push(labels[i..].join("."));
        }
        for (n, domain) in candidates.iter().take(4).enumerate() {
            let kdcs = super::dns_srv::lookup_kdcs(
                &domain.to_ascii_uppercase(),
                servers,
                inputs.dns_timeout,
            )
            .await;
            if let Some(k) = kdcs.into_iter().next() {
                found_kdc = Some(k);
                if n > 0 || suffix.is_none() {
                    realm = Some((domain.to_ascii_uppercase(), RealmSource::Dns));
                }
                break;
            }
        }
    }
    let mut user = match kerberos::client_principal(
        user_name,
        realm.as_ref().map(|(r, s)| (r.as_str(), *s)),
        &known,
    ) {
        Ok(u) => u,
        Err(e) => {
            return KerberosSettings {
                kdc: inputs.kdc.map(str::to_owned),
                spn_override: inputs.spn_override.map(str::to_owned),
                kdc_timeout: inputs.kdc_timeout,
                user_error: Some(e),
                ..KerberosSettings::default()
            };
        }
    };
    // `DOMAIN\\user`: an AD KDC knows the account by its sAMAccountName under the realm the
    // NetBIOS domain stands for (`CONTOSO` -> `CONTOSO.COM` in krb5.conf).
    if let Some(r) = kerberos::realm_for_netbios(&user.realm, conf.as_ref()) {
        user.realm = r;
    }
    let kdc = match inputs.kdc {
        Some(k) => Some(k.to_owned()),
        None => match kerberos::choose_kdc(None, conf.as_ref(), &user.realm) {
            Ok(Some(k)) => Some(k),
            _ => match found_kdc {
                Some(k) => Some(k),
                None => super::dns_srv::lookup_kdcs(&user.realm, servers, inputs.dns_timeout)
                    .await
                    .into_iter()
                    .next(),
            },
        },
    };
    tracing::debug!(principal = %user.describe(), kdc = ?kdc, "Kerberos client");
    KerberosSettings {
        kdc,
        spn_override: inputs.spn_override.map(str::to_owned),
        kdc_timeout: inputs.kdc_timeout,
        user: Some(user),
        user_error: None,
        proxy_tls: inputs.tls.clone(),
        overrides: inputs.overrides.to_vec(),
        realm_explicit: inputs.realm.is_some(),
        kdc_explicit: inputs.kdc.is_some(),
        dns_servers: inputs.dns_servers.to_vec(),
        dns_timeout: inputs.dns_timeout,
    }
}

/// An sspi security context and its credentials handle.
enum Mech {
    Ntlm(Box<Ntlm>, Option<AuthIdentityBuffers>),
    Kerberos(Box<Kerberos>, Option<CredentialsBuffers>),
    Negotiate(Box<Negotiate>, Option<CredentialsBuffers>),
}

/// Most KDC replies kept per context (an exchange takes four or five).
const MAX_KDC_REPLIES: usize = 16;
/// Most client referrals (RFC 6806 `KDC_ERR_WRONG_REALM`) followed for one logon.
const MAX_REFERRALS: usize = 3;

/// How KDC messages travel, and what the KDC answered (for naming failures).
struct KdcChannel {
    timeout: Duration,
    proxy_tls: TlsOptions,
    proxy: Option<ProxyTls>,
    overrides: Vec<ResolveOverride>,
    /// Each reply read, with this machine's Unix time when it arrived.
    replies: Vec<(KdcReply, i64)>,
}

/// A client security context: the sspi context, how its KDC traffic travels and what the KDC
/// said, and how to start over in another realm when the KDC refers the client there.
pub(crate) struct SecurityContext {
    mech: Mech,
    kdc: KdcChannel,
    method: AuthMethod,
    credentials: Credentials,
    settings: KerberosSettings,
    client_name: String,
    /// Realms the logon was referred through.
    referrals: Vec<String>,
    /// Principals tried before the current one (an enterprise name that the KDC did not know,
    /// before the plain principal).
    tried: Vec<String>,
}

impl std::fmt::Debug for SecurityContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self.mech {
            Mech::Ntlm(..) => "SecurityContext::Ntlm",
            Mech::Kerberos(..) => "SecurityContext::Kerberos",
            Mech::Negotiate(..) => "SecurityContext::Negotiate",
        })
    }
}

fn config_error(scheme: Scheme, e: KerberosConfigError) -> TransportError {
    let hint = match e {
        KerberosConfigError::IpTarget(_) => {
            Some("Kerberos tickets name hosts, not addresses".to_owned())
        }
        KerberosConfigError::NoRealm(_) => {
            Some("give the realm option (--realm CORP.EXAMPLE), or write user@REALM".to_owned())
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
            "the KDC could not be reached: give its address as tcp://host:88 (or a KDC proxy as https://host/KdcProxy), or list it in krb5.conf",
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

/// What to change when the KDC knows no such user.
fn client_unknown_hint(user: &KerberosUser) -> String {
    if user.enterprise {
        let suffix = user
            .account
            .rsplit_once('@')
            .map(|(_, s)| s)
            .unwrap_or_default();
        format!(
            "check the UPN; if {suffix} is a realm of its own rather than a UPN suffix of {}, set the realm option to {}",
            user.realm,
            suffix.to_ascii_uppercase()
        )
    } else {
        format!(
            "check the user name; if the user's UPN suffix is not the realm {}, give the realm option (--realm <REALM>) so the UPN is sent as an enterprise name; or write the sAMAccountName as {}\\<name>",
            user.realm, user.realm
        )
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
        let mech = Self::mech(method, creds, settings, client_name)?;
        Ok(Self {
            mech,
            kdc: KdcChannel {
                timeout: settings.kdc_timeout,
                proxy_tls: settings.proxy_tls.clone(),
                proxy: None,
                overrides: settings.overrides.clone(),
                replies: Vec::new(),
            },
            method,
            credentials: creds.clone(),
            settings: settings.clone(),
            client_name: client_name.to_owned(),
            referrals: Vec::new(),
            tried: Vec::new(),
        })
    }

    fn mech(
        method: AuthMethod,
        creds: &Credentials,
        settings: &KerberosSettings,
        client_name: &str,
    ) -> Result<Mech, TransportError> {
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
                Ok(Mech::Ntlm(ctx, handle))
            }
            AuthMethod::Kerberos | AuthMethod::Negotiate => {
                let scheme = if method == AuthMethod::Kerberos {
                    Scheme::Kerberos
                } else {
                    Scheme::Negotiate
                };
                let (creds, kdc): (sspi::Credentials, _) = if let Some(path) = &creds.keytab {
                    let conf = kerberos::load_krb5_conf();
                    keytab_identity(scheme, creds, path, settings, conf.as_ref())?
                } else {
                    let resolved = match (&settings.user, &settings.user_error) {
                        (Some(u), _) => Ok(u.clone()),
                        (None, Some(e)) => Err(e.clone()),
                        (None, None) => {
                            let conf = kerberos::load_krb5_conf();
                            let default_realm = conf.as_ref().and_then(|c| c.default_realm.clone());
                            kerberos::split_user(&creds.username, default_realm.as_deref())
                        }
                    };
                    let (identity, kdc) = match resolved {
                        Ok(user) => {
                            let kdc = match &settings.kdc {
                                Some(k) => Some(
                                    kerberos::kdc_url(k).map_err(|e| config_error(scheme, e))?,
                                ),
                                None => kerberos::choose_kdc(
                                    None,
                                    kerberos::load_krb5_conf().as_ref(),
                                    &user.realm,
                                )
                                .map_err(|e| config_error(scheme, e))?,
                            };
                            // Account + realm: sspi sends an account containing `@` as an
                            // NT-ENTERPRISE name (the UPN), and one without as an NT-PRINCIPAL, to
                            // the realm given here; a `user@REALM` string would always be sent as
                            // an enterprise name, which MIT KDCs reject.
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
                    Ok(Mech::Kerberos(ctx, handle))
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
                    Ok(Mech::Negotiate(ctx, handle))
                }
            }
            AuthMethod::Basic => Err(TransportError::Config(
                "Basic authentication has no security context".to_owned(),
            )),
        }
    }

    /// The service ticket of the last TGS exchange when it is not AES-encrypted (AD issues RC4
    /// tickets for an account without msDS-SupportedEncryptionTypes): its SPN and etype.
    pub(crate) fn weak_service_ticket(&self) -> Option<(String, i64)> {
        self.kdc.replies.iter().rev().find_map(|(r, _)| match r {
            KdcReply::Ticket(t) if t.service && !kdc_reply::is_aes(t.ticket_etype) => {
                Some((t.sname.clone(), t.ticket_etype))
            }
            _ => None,
        })
    }

    /// The KDC replies read so far (at most the last 16), each with this machine's Unix time
    /// when it arrived.
    pub(crate) fn kdc_replies(&self) -> &[(KdcReply, i64)] {
        &self.kdc.replies
    }

    /// The client principal this context logs on as, when Kerberos is in play.
    pub(crate) fn principal(&self) -> Option<&KerberosUser> {
        self.settings.user.as_ref()
    }

    /// The error for a server that refused this context's token: clock skew when the KDC
    /// reported it (sspi then retries with the KDC's time, so the ticket carries times the
    /// server, if its clock agrees with this machine's, refuses), the weak-ticket error when
    /// the service ticket was RC4, else `fallback`.
    pub(crate) fn explain_rejection(&self, fallback: TransportError) -> TransportError {
        let skew = self.kdc.replies.iter().find_map(|(r, received)| match r {
            KdcReply::Error(e) if e.code == kdc_reply::code::SKEW => Some((e, *received)),
            _ => None,
        });
        if let Some((e, received)) = skew {
            return TransportError::Kerberos(KerberosError::ClockSkew {
                realm: e.realm.clone(),
                kdc_time: e.kdc_time.clone(),
                local_time: kdc_reply::format_unix(received),
            });
        }
        match self.weak_service_ticket() {
            Some((spn, etype)) => TransportError::Kerberos(KerberosError::WeakServiceTicket {
                spn,
                etype: kdc_reply::etype_name(etype),
            }),
            None => fallback,
        }
    }

    /// Runs one step of the handshake: consumes the server's token (if any) and returns the
    /// next token to send (possibly empty) and whether the context is established. A client
    /// referral (`KDC_ERR_WRONG_REALM`) during the first step starts over in the realm the KDC
    /// names.
    pub(crate) async fn step(
        &mut self,
        scheme: Scheme,
        target: &str,
        input: Option<&[u8]>,
        channel_binding: Option<&[u8]>,
        kdc_timeout: Duration,
    ) -> Result<(Vec<u8>, bool), TransportError> {
        self.kdc.timeout = kdc_timeout;
        loop {
            let r = self.step_once(target, input, channel_binding).await;
            let (token, status) = match r {
                Ok(v) => v,
                Err(StepError::Transport(t)) => return Err(t),
                Err(StepError::Sspi(e)) => {
                    if input.is_none()
                        && (self.follow_referral()? || self.fall_back_to_principal().await?)
                    {
                        continue;
                    }
                    return Err(self.explain(scheme, target, &e));
                }
            };
            // SPNEGO falls back to NTLM on its own when the KDC does not know the enterprise
            // name: try the plain principal first.
            let no_ticket = !self
                .kdc
                .replies
                .iter()
                .any(|(r, _)| matches!(r, KdcReply::Ticket(_)));
            if input.is_none()
                && matches!(self.mech, Mech::Negotiate(..))
                && no_ticket
                && self.fall_back_to_principal().await?
            {
                continue;
            }
            if let Some((spn, etype)) = self.weak_service_ticket() {
                tracing::warn!(
                    spn = %spn,
                    etype = %kdc_reply::etype_name(etype),
                    "the service ticket is not AES-encrypted: set msDS-SupportedEncryptionTypes to 24 on the service's account"
                );
            }
            return match status {
                SecurityStatus::Ok => Ok((token, true)),
                SecurityStatus::ContinueNeeded => Ok((token, false)),
                other => Err(TransportError::Auth {
                    scheme: scheme.as_str().to_owned(),
                    message: format!("unexpected security status {other:?}"),
                    hint: None,
                }),
            };
        }
    }

    /// Starts over in the realm of a `KDC_ERR_WRONG_REALM` referral; `false` when the last
    /// KDC answer was not one.
    fn follow_referral(&mut self) -> Result<bool, TransportError> {
        let Some((KdcReply::Error(e), _)) = self.kdc.replies.last() else {
            return Ok(false);
        };
        let (Some(target), Some(user)) = (e.crealm.clone(), self.settings.user.clone()) else {
            return Ok(false);
        };
        if e.code != kdc_reply::code::WRONG_REALM || target.eq_ignore_ascii_case(&user.realm) {
            return Ok(false);
        }
        self.referrals.push(user.realm.clone());
        if self.referrals.len() > MAX_REFERRALS {
            let mut realms = self.referrals.clone();
            realms.push(target);
            return Err(TransportError::Kerberos(KerberosError::TooManyReferrals {
                principal: user.describe(),
                realms,
            }));
        }
        tracing::debug!(from = %user.realm, to = %target, "client referral");
        let mut settings = self.settings.clone();
        settings.user = Some(KerberosUser {
            realm: target.clone(),
            ..user
        });
        // A KDC proxy routes by realm; a direct KDC belongs to the old realm.
        if !settings.kdc.as_deref().is_some_and(kerberos::is_kdc_proxy) {
            settings.kdc = None;
        }
        self.mech = Self::mech(self.method, &self.credentials, &settings, &self.client_name)?;
        self.settings = settings;
        self.kdc.replies.clear();
        Ok(true)
    }

    /// An enterprise name chosen because the UPN suffix differs from `default_realm` (or the
    /// realm found in DNS) that the KDC does not know: starts over with the plain principal
    /// `user@SUFFIX`, as MIT KDCs and cross-realm setups need. `false` when that does not apply.
    async fn fall_back_to_principal(&mut self) -> Result<bool, TransportError> {
        use kdc_reply::code;
        let Some(user) = self.settings.user.clone() else {
            return Ok(false);
        };
        if !user.enterprise || self.settings.realm_explicit || !self.tried.is_empty() {
            return Ok(false);
        }
        let unknown = matches!(
            self.kdc.replies.last(),
            Some((KdcReply::Error(e), _))
                if e.code == code::C_PRINCIPAL_UNKNOWN
                    || (e.code == code::WRONG_REALM && e.crealm.is_none())
                    || (e.code == code::S_PRINCIPAL_UNKNOWN && e.sname.starts_with("krbtgt/"))
        );
        if !unknown {
            return Ok(false);
        }
        let Ok(plain) = kerberos::split_user(&self.credentials.username, None) else {
            return Ok(false);
        };
        tracing::debug!(from = %user.describe(), to = %plain.describe(), "enterprise name unknown; trying the principal");
        let mut settings = self.settings.clone();
        if !settings.kdc_explicit {
            settings.kdc =
                kerberos::choose_kdc(None, kerberos::load_krb5_conf().as_ref(), &plain.realm)
                    .ok()
                    .flatten();
            if settings.kdc.is_none() {
                let system;
                let servers = if settings.dns_servers.is_empty() {
                    system = super::dns_srv::system_dns_servers();
                    system.as_slice()
                } else {
                    settings.dns_servers.as_slice()
                };
                settings.kdc =
                    super::dns_srv::lookup_kdcs(&plain.realm, servers, settings.dns_timeout)
                        .await
                        .into_iter()
                        .next();
            }
        }
        settings.user = Some(plain);
        self.mech = Self::mech(self.method, &self.credentials, &settings, &self.client_name)?;
        self.tried.push(user.describe());
        self.settings = settings;
        self.kdc.replies.clear();
        Ok(true)
    }

    /// Names a failed step from the KDC's last answer when it says more than sspi's error.
    fn explain(&self, scheme: Scheme, target: &str, e: &sspi::Error) -> TransportError {
        let user = self.settings.user.as_ref();
        if let Some((KdcReply::Error(k), received)) = self.kdc.replies.last() {
            use kdc_reply::code;
            let known = match k.code {
                code::S_PRINCIPAL_UNKNOWN
                    if k.sname == target || !k.sname.starts_with("krbtgt/") =>
                {
                    let host = target.split_once('/').map(|(_, h)| h).unwrap_or(target);
                    Some(KerberosError::SpnUnknown {
                        spn: k.sname.clone(),
                        realm: k.realm.clone(),
                        short_host: !host.contains('.'),
                    })
                }
                code::C_PRINCIPAL_UNKNOWN => user.map(|u| KerberosError::ClientUnknown {
                    principal: self
                        .tried
                        .iter()
                        .cloned()
                        .chain(std::iter::once(u.describe()))
                        .collect::<Vec<_>>()
                        .join(", then "),
                    realm: k.realm.clone(),
                    hint: client_unknown_hint(u),
                }),
                code::SKEW => Some(KerberosError::ClockSkew {
                    realm: k.realm.clone(),
                    kdc_time: k.kdc_time.clone(),
                    local_time: kdc_reply::format_unix(*received),
                }),
                code::ETYPE_NOSUPP => Some(KerberosError::EtypeNotSupported {
                    principal: k.sname.clone(),
                    realm: k.realm.clone(),
                }),
                _ => None,
            };
            if let Some(known) = known {
                return TransportError::Kerberos(known);
            }
        }
        match (sspi_error(scheme, "security context", e), user) {
            (
                TransportError::Auth {
                    scheme,
                    message,
                    hint,
                },
                Some(u),
            ) => TransportError::Auth {
                scheme,
                message: format!("{message} (as {})", u.describe()),
                hint,
            },
            (other, _) => other,
        }
    }

    async fn step_once(
        &mut self,
        target: &str,
        input: Option<&[u8]>,
        channel_binding: Option<&[u8]>,
    ) -> Result<(Vec<u8>, SecurityStatus), StepError> {
        let kdc = &mut self.kdc;
        match &mut self.mech {
            Mech::Ntlm(ctx, handle) => {
                init_step(&mut **ctx, handle, target, input, channel_binding, kdc).await
            }
            Mech::Kerberos(ctx, handle) => {
                init_step(&mut **ctx, handle, target, input, channel_binding, kdc).await
            }
            Mech::Negotiate(ctx, handle) => {
                init_step(&mut **ctx, handle, target, input, channel_binding, kdc).await
            }
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
    kdc: &mut KdcChannel,
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
                    let reply = match kdc_round_trip(&request, kdc).await {
                        Ok(r) => Ok(r),
                        Err(KdcFailure::Transport(t)) => return Err(StepError::Transport(t)),
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
    Transport(TransportError),
    Other(sspi::Error),
}

/// Sends one KDC request (over TCP, or to a KDC proxy over HTTPS), records what the reply says,
/// and returns it as sspi expects it: framed with its length for TCP (the request it hands
/// over is already framed), the `KDC-PROXY-MESSAGE` as received for a proxy.
async fn kdc_round_trip(
    request: &NetworkRequest,
    kdc: &mut KdcChannel,
) -> Result<Vec<u8>, KdcFailure> {
    let reply = match request.protocol {
        NetworkProtocol::Tcp => tcp_round_trip(request, kdc.timeout).await?,
        NetworkProtocol::Https => {
            if kdc.proxy.is_none() {
                kdc.proxy = Some(ProxyTls::new(&kdc.proxy_tls).map_err(KdcFailure::Transport)?);
            }
            let Some(tls) = kdc.proxy.as_ref() else {
                return Err(KdcFailure::Other(sspi::Error::new(
                    sspi::ErrorKind::InternalError,
                    "KDC proxy TLS configuration missing",
                )));
            };
            let route = ProxyRoute {
                tls,
                overrides: &kdc.overrides,
                timeout: kdc.timeout,
            };
            tracing::debug!(proxy = %request.url, bytes = request.data.len(), "KDC proxy request");
            kdc_proxy::post(&request.url, &request.data, &route)
                .await
                .map_err(KdcFailure::Transport)?
        }
        other => {
            return Err(KdcFailure::Other(sspi::Error::new(
                sspi::ErrorKind::NoAuthenticatingAuthority,
                format!(
                    "KDC protocol {other:?} is not supported; use tcp://host:port or a KDC proxy https://host/KdcProxy"
                ),
            )));
        }
    };
    if let Some(r) = kdc_reply::inspect(&reply) {
        if kdc.replies.len() >= MAX_KDC_REPLIES {
            kdc.replies.remove(0);
        }
        kdc.replies
            .push((r, time::OffsetDateTime::now_utc().unix_timestamp()));
    }
    Ok(reply)
}

async fn tcp_round_trip(
    request: &NetworkRequest,
    timeout: Duration,
) -> Result<Vec<u8>, KdcFailure> {
    let unreachable = |msg: String| {
        KdcFailure::Other(sspi::Error::new(
            sspi::ErrorKind::NoAuthenticatingAuthority,
            msg,
        ))
    };
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
    tokio::time::timeout(timeout, exchange).await.map_err(|_| {
        KdcFailure::Transport(TransportError::Timeout {
            phase: TimeoutPhase::Kdc,
        })
    })?
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
        match &mut self.mech {
            Mech::Ntlm(c, _) => c.seal(plain),
            Mech::Kerberos(c, _) => c.seal(plain),
            Mech::Negotiate(c, _) => c.seal(plain),
        }
    }

    fn unseal(&mut self, signature: &[u8], cipher: &[u8]) -> Result<Vec<u8>, SealingError> {
        match &mut self.mech {
            Mech::Ntlm(c, _) => c.unseal(signature, cipher),
            Mech::Kerberos(c, _) => c.unseal(signature, cipher),
            Mech::Negotiate(c, _) => c.unseal(signature, cipher),
        }
    }

    fn signature_len(&mut self) -> Option<usize> {
        match &mut self.mech {
            Mech::Ntlm(c, _) => c.signature_len(),
            Mech::Kerberos(c, _) => c.signature_len(),
            Mech::Negotiate(c, _) => c.signature_len(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::kdc_reply::{IssuedTicket, KdcError};

    fn context() -> SecurityContext {
        SecurityContext::new(
            AuthMethod::Ntlm,
            &Credentials::new("CONTOSO\\alice", "x"),
            &KerberosSettings::default(),
            "client",
        )
        .expect("context")
    }

    fn ticket(etype: i64) -> KdcReply {
        KdcReply::Ticket(IssuedTicket {
            service: true,
            sname: "HTTP/ex01.contoso.com".into(),
            realm: "CONTOSO.COM".into(),
            crealm: "CONTOSO.COM".into(),
            cname: "alice".into(),
            ticket_etype: etype,
        })
    }

    fn refused() -> TransportError {
        TransportError::Auth {
            scheme: "Kerberos".into(),
            message: "the server rejected the credentials".into(),
            hint: None,
        }
    }

    #[test]
    fn a_refused_rc4_ticket_names_msds_supported_encryption_types() {
        let mut ctx = context();
        ctx.kdc.replies.push((ticket(kdc_reply::ETYPE_RC4_HMAC), 0));
        let err = ctx.explain_rejection(refused());
        assert!(
            matches!(
                &err,
                TransportError::Kerberos(KerberosError::WeakServiceTicket { spn, etype })
                    if spn == "HTTP/ex01.contoso.com" && etype == "rc4-hmac"
            ),
            "{err:?}"
        );
        assert!(err.to_string().contains("msDS-SupportedEncryptionTypes"));
    }

    #[test]
    fn a_refused_aes_ticket_keeps_the_server_refusal() {
        let mut ctx = context();
        ctx.kdc.replies.push((ticket(kdc_reply::ETYPE_AES256), 0));
        assert!(matches!(
            ctx.explain_rejection(refused()),
            TransportError::Auth { .. }
        ));
    }

    #[test]
    fn a_skew_error_before_the_ticket_is_named_with_both_times() {
        let mut ctx = context();
        ctx.kdc.replies.push((
            KdcReply::Error(KdcError {
                code: kdc_reply::code::SKEW,
                kdc_time: "2026-12-07 19:00:00 UTC".into(),
                kdc_unix: 1_796_670_000,
                realm: "CONTOSO.COM".into(),
                sname: "krbtgt/CONTOSO.COM".into(),
                crealm: None,
                cname: None,
                text: None,
            }),
            1_796_677_200,
        ));
        ctx.kdc
            .replies
            .push((ticket(kdc_reply::ETYPE_AES256), 1_796_677_200));
        let err = ctx.explain_rejection(refused());
        let text = err.to_string();
        assert!(text.contains("KRB_AP_ERR_SKEW"), "{text}");
        assert!(text.contains("2026-12-07 19:00:00 UTC"), "{text}");
        assert!(text.contains("2026-12-07 21:00:00 UTC"), "{text}");
    }
}
