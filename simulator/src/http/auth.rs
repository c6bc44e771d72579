//! Server-side authentication: Basic against the seed's accounts, and NTLM, SPNEGO and Kerberos
//! with sspi acceptors, one security context per TCP connection.
//!
//! The acceptor is chosen from the first token (raw NTLM `NTLMSSP\0`, SPNEGO, raw Kerberos),
//! because clients such as pypsrp send raw tokens under the `Negotiate` scheme. sspi's raw NTLM
//! acceptor checks only the password, so the user name is checked here with
//! `query_context_names`.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use monosync_exchange::transport::SealingContext;
use monosync_exchange::transport::keytab::{Keytab, enctype};
use picky_krb::crypto::CipherSuite;
use sspi::kerberos::ServerProperties;
use sspi::ntlm::NtlmConfig;
use sspi::{
    AuthIdentity, AuthIdentityBuffers, BufferType, CredentialUse, CredentialsBuffers,
    DataRepresentation, Kerberos, KerberosConfig, KerberosServerConfig, Negotiate, NegotiateConfig,
    Ntlm, SecurityBuffer, SecurityStatus, ServerRequestFlags, Sspi, SspiImpl, Username,
    UsernameParts,
};

use zeroize::Zeroizing;

use crate::exchange::SimAccount;

/// The Kerberos service this server is: `HTTP/<host>@<realm>` with a password-derived key, or
/// every principal of a keytab, as IIS on Windows holds the machine account's keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KerberosService {
    /// The realm (`CORP.EXAMPLE`).
    pub realm: String,
    /// The host part of the service principal (`ex01.corp.example`).
    pub host: String,
    /// The service principal's password; the key is derived with salt realm + `HTTP` + host.
    /// Not used when `keytab` is set.
    pub password: String,
    /// The KDC (`tcp://host:88`); the acceptor needs it only for its configuration.
    pub kdc_url: String,
    /// Long-term keys: tickets for any principal of the keytab are accepted, whatever salt
    /// made the key (the keys are used as they are, never derived).
    pub keytab: Option<Keytab>,
}

/// A numeric Kerberos field (etype, kvno) from its big-endian two's-complement bytes.
pub(crate) fn asn1_int(bytes: &[u8]) -> i64 {
    let negative = bytes.first().is_some_and(|b| b & 0x80 != 0);
    let start: i64 = if negative { -1 } else { 0 };
    bytes
        .iter()
        .take(8)
        .fold(start, |acc, b| (acc << 8) | i64::from(*b))
}

impl KerberosService {
    /// A service holding the keys of `keytab`. The realm and host come from its first
    /// `HTTP/<host>` principal, else its first two-part principal, else a computer account
    /// `NAME$` (host `name.<realm>`, as AD names the machine); `kdc_url` defaults to
    /// `tcp://<realm>:88`.
    pub fn from_keytab(keytab: Keytab, kdc_url: Option<String>) -> Result<Self, String> {
        let principals = keytab.principals();
        let two_part = |http: bool| {
            principals.iter().find(|p| {
                p.components.len() == 2 && (!http || p.components[0].eq_ignore_ascii_case("HTTP"))
            })
        };
        let (realm, host) = if let Some(p) = two_part(true).or_else(|| two_part(false)) {
            (p.realm.clone(), p.components[1].to_ascii_lowercase())
        } else if let Some((p, name)) = principals.iter().find_map(|p| {
            let [name] = p.components.as_slice() else {
                return None;
            };
            name.strip_suffix('$').map(|n| (p, n))
        }) {
            (
                p.realm.clone(),
                format!(
                    "{}.{}",
                    name.to_ascii_lowercase(),
                    p.realm.to_ascii_lowercase()
                ),
            )
        } else {
            return Err(format!(
                "the keytab holds no service principal (HTTP/<host>) or computer account (NAME$): it has {}",
                principals
                    .iter()
                    .map(|p| p.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        };
        Ok(Self {
            kdc_url: kdc_url.unwrap_or_else(|| format!("tcp://{realm}:88")),
            realm,
            host,
            password: String::new(),
            keytab: Some(keytab),
        })
    }

    /// [`from_keytab`](Self::from_keytab) with the keytab read from `path` (an exported AD
    /// keytab, as `mx-sim --kerberos-keytab` takes it).
    pub fn from_keytab_file(
        path: impl AsRef<std::path::Path>,
        kdc_url: Option<String>,
    ) -> Result<Self, String> {
        let path = path.as_ref();
        let keytab = Keytab::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
        Self::from_keytab(keytab, kdc_url).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// The key that decrypts a ticket for `sname` encrypted with `etype` at `kvno`: from the
    /// keytab (a computer account's key also serves its host's SPNs, `SVC/name.domain`), or
    /// derived from the password for `HTTP/<host>`.
    pub(crate) fn ticket_key(
        &self,
        sname: &[String],
        etype: i32,
        kvno: Option<u32>,
    ) -> Option<Zeroizing<Vec<u8>>> {
        let Some(keytab) = &self.keytab else {
            let ours = sname.len() == 2
                && sname[0].eq_ignore_ascii_case("HTTP")
                && sname[1].eq_ignore_ascii_case(&self.host);
            return ours.then(|| self.password_key(etype)).flatten();
        };
        if let Some(e) = keytab.service_key(sname, etype, kvno) {
            return Some(Zeroizing::new(e.key().to_vec()));
        }
        let machine = [format!("{}$", sname.get(1)?.split('.').next()?)];
        (sname.len() == 2)
            .then(|| keytab.service_key(&machine, etype, kvno))
            .flatten()
            .map(|e| Zeroizing::new(e.key().to_vec()))
    }

    fn password_key(&self, etype: i32) -> Option<Zeroizing<Vec<u8>>> {
        let salt = format!("{}HTTP{}", self.realm, self.host);
        let suite = match etype {
            enctype::AES128_CTS_HMAC_SHA1_96 => CipherSuite::Aes128CtsHmacSha196,
            enctype::AES256_CTS_HMAC_SHA1_96 => CipherSuite::Aes256CtsHmacSha196,
            _ => return None,
        };
        suite
            .cipher()
            .generate_key_from_password(self.password.as_bytes(), salt.as_bytes())
            .ok()
            .map(Zeroizing::new)
    }

    /// The service names and keys the acceptor honours: `HTTP/<host>` with the password's
    /// AES256 key, or each keytab principal with its best AES key (AES256, then AES128; the
    /// highest kvno), plus `HTTP/<host>` with a computer account's key when the keytab names
    /// only the account.
    fn service_keys(&self) -> Vec<(Vec<String>, Zeroizing<Vec<u8>>)> {
        let http = vec!["HTTP".to_owned(), self.host.clone()];
        let Some(keytab) = &self.keytab else {
            return self
                .password_key(enctype::AES256_CTS_HMAC_SHA1_96)
                .map(|k| vec![(http, k)])
                .unwrap_or_default();
        };
        let mut keys: Vec<(Vec<String>, Zeroizing<Vec<u8>>)> = keytab
            .principals()
            .into_iter()
            .filter_map(|p| {
                let e = keytab.best_key(p).ok()?;
                Some((p.components.clone(), Zeroizing::new(e.key().to_vec())))
            })
            .collect();
        let has_http = keys.iter().any(|(c, _)| {
            c.len() == 2
                && c[0].eq_ignore_ascii_case("HTTP")
                && c[1].eq_ignore_ascii_case(&self.host)
        });
        if !has_http
            && let Some(e) = [
                enctype::AES256_CTS_HMAC_SHA1_96,
                enctype::AES128_CTS_HMAC_SHA1_96,
            ]
            .into_iter()
            .find_map(|et| self.ticket_key(&http, et, None))
        {
            keys.push((http, e));
        }
        keys
    }

    fn properties(&self) -> Option<ServerProperties> {
        let mut keys = self.service_keys().into_iter();
        let (first, key) = keys.next()?;
        fn names(c: &[String]) -> Vec<&str> {
            c.iter().map(String::as_str).collect()
        }
        let mut props = ServerProperties::new(
            &names(&first),
            None,
            Duration::from_secs(300),
            Some(key.to_vec().into()),
        )
        .ok()?;
        for (c, k) in keys {
            props.add_service_key(&names(&c), k.to_vec().into()).ok()?;
        }
        Some(props)
    }
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

/// One connection's security context.
pub(crate) enum Acceptor {
    Kerberos(Box<Kerberos>, Option<CredentialsBuffers>),
    Ntlm(Box<Ntlm>, Option<AuthIdentityBuffers>),
    Spnego(Box<Negotiate>, Option<CredentialsBuffers>),
}

impl std::fmt::Debug for Acceptor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Acceptor::Kerberos(..) => "Acceptor::Kerberos",
            Acceptor::Ntlm(..) => "Acceptor::Ntlm",
            Acceptor::Spnego(..) => "Acceptor::Spnego",
        })
    }
}

/// The result of one accept step.
pub(crate) enum Step {
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
pub(crate) fn is_initial_token(token: &[u8]) -> bool {
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

fn find_account<'a>(accounts: &'a [SimAccount], name: &str) -> Option<&'a SimAccount> {
    let want = bare(name);
    accounts.iter().find(|a| bare(&a.user) == want)
}

impl Acceptor {
    /// A context for `first_token`, or `None` when its mechanism is not served.
    pub(crate) fn new(
        first_token: &[u8],
        accounts: &[SimAccount],
        kerberos: Option<&KerberosService>,
        allow_ntlm: bool,
        domains: &[String],
    ) -> Option<Acceptor> {
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
            Some(Acceptor::Ntlm(ntlm, handle))
        } else if is_raw_kerberos(first_token) {
            let svc = kerberos?;
            let kconf = KerberosConfig::new_with_kdc_url(&svc.kdc_url, "server".into());
            let krb = Box::new(Kerberos::new_server_from_config(kconf, svc.properties()?).ok()?);
            Some(Acceptor::Kerberos(krb, None))
        } else if is_spnego(first_token) {
            let nconf = match kerberos {
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
            // every form a client may send is listed: bare, DOMAIN\user, user@suffix, and the
            // DNS domain as the NTLM domain (`CONTOSO.COM\user`, what a client falling back
            // from Kerberos sends for `user@contoso.com`; Windows accepts it as well).
            let identities: Vec<AuthIdentity> = accounts
                .iter()
                .flat_map(|a| {
                    let name = bare(&a.user);
                    std::iter::once(a.user.clone())
                        .chain(domains.iter().flat_map(move |d| {
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
            Some(Acceptor::Spnego(neg, handle))
        } else {
            None
        }
    }

    /// The mechanism.
    pub(crate) fn mechanism(&self) -> Mechanism {
        match self {
            Acceptor::Kerberos(..) => Mechanism::Kerberos,
            Acceptor::Ntlm(..) => Mechanism::Ntlm,
            Acceptor::Spnego(..) => Mechanism::Spnego,
        }
    }

    /// One accept step with `token`; `cbt` is the channel binding application data over TLS.
    pub(crate) fn step(
        &mut self,
        token: Vec<u8>,
        accounts: &[SimAccount],
        cbt: Option<&[u8]>,
    ) -> Step {
        let result = match self {
            Acceptor::Kerberos(ctx, handle) => accept_step(&mut **ctx, handle, token, cbt),
            Acceptor::Ntlm(ctx, handle) => {
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
            Acceptor::Spnego(ctx, handle) => accept_step(&mut **ctx, handle, token, cbt),
        };
        let (out, done) = match result {
            Ok(r) => r,
            Err(_) => return Step::Rejected,
        };
        if !done {
            return Step::Continue(out);
        }
        let names = match self {
            Acceptor::Kerberos(ctx, _) => ctx.query_context_names().ok(),
            Acceptor::Ntlm(ctx, _) => ctx.query_context_names().ok(),
            Acceptor::Spnego(ctx, _) => ctx.query_context_names().ok(),
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

    /// The context, for sealing.
    pub(crate) fn sealing(&mut self) -> &mut dyn SealingContext {
        match self {
            Acceptor::Kerberos(c, _) => &mut **c,
            Acceptor::Ntlm(c, _) => &mut **c,
            Acceptor::Spnego(c, _) => &mut **c,
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
    let token = output
        .first_mut()
        .map(|b| std::mem::take(&mut b.buffer))
        .unwrap_or_default();
    Ok((token, done))
}

/// Checks a Basic `user:password` against the accounts; returns the account's logon name.
pub(crate) fn check_basic(encoded: &str, accounts: &[SimAccount]) -> Option<String> {
    let decoded = STANDARD.decode(encoded.trim()).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, password) = text.split_once(':')?;
    let account = find_account(accounts, user)?;
    (account.password == password).then(|| account.user.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 0x502 keytab of `(principal components, realm, kvno, enctype, key byte)` entries.
    fn keytab(entries: &[(&[&str], &str, u32, u16, u8)]) -> Keytab {
        let mut out = vec![0x05, 0x02];
        for (comps, realm, kvno, etype, fill) in entries {
            let mut b = Vec::new();
            let counted = |b: &mut Vec<u8>, s: &[u8]| {
                b.extend_from_slice(&u16::try_from(s.len()).unwrap_or(0).to_be_bytes());
                b.extend_from_slice(s);
            };
            b.extend_from_slice(&u16::try_from(comps.len()).unwrap_or(0).to_be_bytes());
            counted(&mut b, realm.as_bytes());
            for c in *comps {
                counted(&mut b, c.as_bytes());
            }
            b.extend_from_slice(&1u32.to_be_bytes());
            b.extend_from_slice(&0u32.to_be_bytes());
            b.push(0);
            b.extend_from_slice(&etype.to_be_bytes());
            let len = if *etype == 18 { 32 } else { 16 };
            counted(&mut b, &vec![*fill; len]);
            b.extend_from_slice(&kvno.to_be_bytes());
            out.extend_from_slice(&i32::try_from(b.len()).unwrap_or(0).to_be_bytes());
            out.extend_from_slice(&b);
        }
        Keytab::parse(&out).expect("keytab")
    }

    #[test]
    fn a_computer_account_keytab_serves_its_host_spns() {
        let kt = keytab(&[
            (&["EX01$"], "CONTOSO.COM", 2, 23, 1),
            (&["EX01$"], "CONTOSO.COM", 2, 18, 2),
            (&["EX01$"], "CONTOSO.COM", 3, 18, 3),
            (&["EX01$"], "CONTOSO.COM", 3, 17, 4),
        ]);
        let svc = KerberosService::from_keytab(kt, None).expect("service");
        assert_eq!(
            (svc.realm.as_str(), svc.host.as_str(), svc.kdc_url.as_str()),
            ("CONTOSO.COM", "ex01.contoso.com", "tcp://CONTOSO.COM:88")
        );
        let http = ["HTTP".to_owned(), "EX01.contoso.com".to_owned()];
        // The ticket's kvno picks the key; without one, the highest.
        assert_eq!(
            svc.ticket_key(&http, 18, Some(2)).as_deref(),
            Some(&vec![2; 32])
        );
        assert_eq!(
            svc.ticket_key(&http, 18, None).as_deref(),
            Some(&vec![3; 32])
        );
        assert_eq!(
            svc.ticket_key(&http, 17, None).as_deref(),
            Some(&vec![4; 16])
        );
        let other = ["HTTP".to_owned(), "ex02.contoso.com".to_owned()];
        assert!(svc.ticket_key(&other, 18, None).is_none());
        // The acceptor honours the account and HTTP/<host>, each with its best AES key.
        let keys = svc.service_keys();
        let names: Vec<String> = keys.iter().map(|(c, _)| c.join("/")).collect();
        assert_eq!(names, ["EX01$", "HTTP/ex01.contoso.com"]);
        assert!(keys.iter().all(|(_, k)| **k == vec![3; 32]));
        assert!(svc.properties().is_some());
    }

    #[test]
    fn a_service_keytab_names_realm_and_host() {
        let kt = keytab(&[
            (&["host", "ex01.contoso.com"], "CONTOSO.COM", 2, 18, 1),
            (&["HTTP", "mail.contoso.com"], "CONTOSO.COM", 2, 18, 2),
        ]);
        let svc = KerberosService::from_keytab(kt, Some("tcp://dc1:88".into())).expect("service");
        assert_eq!(
            (svc.host.as_str(), svc.kdc_url.as_str()),
            ("mail.contoso.com", "tcp://dc1:88")
        );
        let names: Vec<String> = svc
            .service_keys()
            .iter()
            .map(|(c, _)| c.join("/"))
            .collect();
        assert_eq!(names, ["host/ex01.contoso.com", "HTTP/mail.contoso.com"]);
    }

    #[test]
    fn a_user_keytab_or_rc4_keys_serve_nothing() {
        let user = keytab(&[(&["svc-mx"], "CONTOSO.COM", 2, 18, 1)]);
        let err = KerberosService::from_keytab(user, None).expect_err("no service");
        assert!(err.contains("svc-mx@CONTOSO.COM"), "{err}");
        let rc4 = keytab(&[(&["HTTP", "legacy.contoso.com"], "CONTOSO.COM", 2, 23, 1)]);
        let svc = KerberosService::from_keytab(rc4, None).expect("service");
        assert!(svc.service_keys().is_empty());
        assert!(svc.properties().is_none());
    }

    #[test]
    fn the_password_derives_aes_keys_for_http_host_only() {
        let svc = KerberosService {
            realm: "MONOSYNC.TEST".into(),
            host: "sim.monosync.test".into(),
            password: "Http-Service-Pass-2026".into(),
            kdc_url: "tcp://127.0.0.1:88".into(),
            keytab: None,
        };
        let http = ["HTTP".to_owned(), "sim.monosync.test".to_owned()];
        // The known answers of tests/kdc/README.md.
        let hex = |k: &[u8]| k.iter().map(|b| format!("{b:02x}")).collect::<String>();
        assert_eq!(
            hex(&svc.ticket_key(&http, 18, None).expect("aes256")),
            "43f53862a44adf86c1644bb07e9bba52cdcac81cb4fcbbe19d87a949c92e42b3"
        );
        assert_eq!(
            hex(&svc.ticket_key(&http, 17, None).expect("aes128")),
            "55ab91abfba3ab119b9b26807557f86a"
        );
        assert!(svc.ticket_key(&http, 23, None).is_none());
        let other = ["HTTP".to_owned(), "localhost".to_owned()];
        assert!(svc.ticket_key(&other, 18, None).is_none());
    }
}
