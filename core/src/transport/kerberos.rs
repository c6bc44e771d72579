//! Kerberos names and KDC location, sans-IO: the user principal, the service principal name
//! and the KDC URL, from explicit options or a `krb5.conf`.
//!
//! The client name is built as account + realm (an NT-PRINCIPAL) wherever the user's suffix is
//! the realm: sspi sends a `user@REALM` string as an NT-ENTERPRISE name, which MIT KDCs reject.
//! A UPN whose suffix is not the realm (`john.smith@fabrikam.com` in realm `CONTOSO.COM`, an
//! alternative UPN suffix in Active Directory) is sent as an NT-ENTERPRISE name (RFC 6806) to
//! the realm's KDC, which finds the account by its UPN.

use std::net::IpAddr;

/// A user name split into account and realm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KerberosUser {
    /// The account name, without realm; for an enterprise name, the whole UPN
    /// (`john.smith@fabrikam.com`).
    pub account: String,
    /// The realm, upper-case.
    pub realm: String,
    /// Whether the name is sent as an NT-ENTERPRISE name (RFC 6806, name type 10) rather than
    /// an NT-PRINCIPAL (name type 1).
    pub enterprise: bool,
}

impl KerberosUser {
    /// The principal as the KDC is asked for it, with its name type: `alice@CORP.EXAMPLE`, or
    /// `john.smith@fabrikam.com (NT-ENTERPRISE) in realm CONTOSO.COM`.
    pub fn describe(&self) -> String {
        if self.enterprise {
            format!(
                "{} (NT-ENTERPRISE name) in realm {}",
                self.account, self.realm
            )
        } else {
            format!("{}@{}", self.account, self.realm)
        }
    }
}

/// Where the realm of a user name came from; decides whether a UPN suffix that differs from it
/// makes an enterprise name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RealmSource {
    /// The `realm` option.
    Explicit,
    /// `default_realm` in `krb5.conf`.
    DefaultRealm,
    /// A `_kerberos._tcp` DNS SRV record of the server's DNS domain.
    Dns,
}

/// Why Kerberos names or the KDC could not be determined.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KerberosConfigError {
    /// The user name carries no realm and no default realm is configured.
    #[error(
        "user `{0}` has no realm: write it as user@REALM or REALM\\user, or set default_realm in krb5.conf"
    )]
    NoRealm(String),
    /// The user name is empty or malformed.
    #[error("user name `{0}` is not usable for Kerberos")]
    BadUser(String),
    /// The target host is an IP address, for which no `HTTP/` service principal exists.
    #[error(
        "Kerberos needs the server's fully qualified host name, not the IP address `{0}` (the SPN is HTTP/<fqdn>); use the FQDN in the URL or set an SPN override"
    )]
    IpTarget(String),
    /// The KDC address is not a usable `tcp://host:port` or `https://proxy/path` URL.
    #[error(
        "KDC address `{0}` is not usable; write tcp://host:port, host[:port], or https://proxy/KdcProxy for a KDC proxy"
    )]
    BadKdc(String),
    /// The realm option is empty or malformed.
    #[error("realm `{0}` is not usable: write the Kerberos realm, e.g. CORP.EXAMPLE")]
    BadRealm(String),
}

/// The parts of a `krb5.conf` the transport uses.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Krb5Conf {
    /// `[libdefaults] default_realm`.
    pub default_realm: Option<String>,
    /// `[realms] REALM = { kdc = ... }`, in file order.
    pub realms: Vec<(String, Vec<String>)>,
}

impl Krb5Conf {
    /// Parses the text of a `krb5.conf` (the MIT profile format). Unknown sections and
    /// relations are ignored; malformed lines are skipped.
    pub fn parse(text: &str) -> Self {
        let mut conf = Self::default();
        let mut section = String::new();
        // The realm whose `{ ... }` block we are in, and the nesting depth of braces.
        let mut realm: Option<String> = None;
        let mut depth = 0usize;
        for raw in text.lines() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
                continue;
            }
            if depth == 0 && line.starts_with('[') {
                section = line
                    .trim_start_matches('[')
                    .split(']')
                    .next()
                    .unwrap_or_default()
                    .trim()
                    .to_ascii_lowercase();
                continue;
            }
            if line.starts_with('}') {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    realm = None;
                }
                continue;
            }
            let Some((key, value)) = line.split_once('=') else {
                continue;
            };
            let key = key.trim();
            let value = value.trim();
            if value.starts_with('{') {
                depth += 1;
                if depth == 1 && section == "realms" {
                    realm = Some(key.to_owned());
                    if !conf.realms.iter().any(|(r, _)| r == key) {
                        conf.realms.push((key.to_owned(), Vec::new()));
                    }
                }
                continue;
            }
            match (section.as_str(), depth, &realm) {
                ("libdefaults", 0, _) if key.eq_ignore_ascii_case("default_realm") => {
                    conf.default_realm = Some(value.to_owned());
                }
                ("realms", 1, Some(r)) if key.eq_ignore_ascii_case("kdc") => {
                    if let Some((_, kdcs)) = conf.realms.iter_mut().find(|(name, _)| name == r) {
                        kdcs.push(value.to_owned());
                    }
                }
                _ => {}
            }
        }
        conf
    }

    /// The KDCs listed for `realm` (realm names compare case-sensitively, as in MIT).
    pub fn kdcs(&self, realm: &str) -> &[String] {
        self.realms
            .iter()
            .find(|(r, _)| r == realm)
            .map(|(_, k)| k.as_slice())
            .unwrap_or_default()
    }
}

/// Splits `user@REALM` or `REALM\user` (or a bare `user` with `default_realm`) into account
/// and realm. The realm is upper-cased, as Active Directory realms are.
pub fn split_user(
    user: &str,
    default_realm: Option<&str>,
) -> Result<KerberosUser, KerberosConfigError> {
    let bad = || KerberosConfigError::BadUser(user.to_owned());
    let (account, realm) = if let Some((domain, account)) = user.split_once('\\') {
        (account, Some(domain))
    } else if let Some((account, realm)) = user.rsplit_once('@') {
        (account, Some(realm))
    } else {
        (user, None)
    };
    if account.is_empty() || account.contains('\\') {
        return Err(bad());
    }
    let realm = match realm {
        Some("") => return Err(bad()),
        Some(r) => r.to_owned(),
        None => default_realm
            .filter(|r| !r.is_empty())
            .map(str::to_owned)
            .ok_or_else(|| KerberosConfigError::NoRealm(user.to_owned()))?,
    };
    Ok(KerberosUser {
        account: account.to_owned(),
        realm: realm.to_ascii_uppercase(),
        enterprise: false,
    })
}

/// The service principal name for a WinRM endpoint: the override when given, else
/// `HTTP/<host>`. An IP address is refused because no SPN is registered for it.
pub fn service_principal(
    host: &str,
    spn_override: Option<&str>,
) -> Result<String, KerberosConfigError> {
    if let Some(spn) = spn_override {
        return Ok(spn.to_owned());
    }
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if bare.parse::<IpAddr>().is_ok() {
        return Err(KerberosConfigError::IpTarget(bare.to_owned()));
    }
    Ok(format!("HTTP/{}", host.to_ascii_lowercase()))
}

/// Normalises a KDC address to the `tcp://host:port` form sspi takes: a bare `host` or
/// `host:port` gets the `tcp://` scheme and port 88. An `https://` URL names a KDC proxy
/// ([MS-KKDCP]) and is kept as written (it needs a host; plain `http://` is refused, since the
/// proxy's certificate is what makes a proxy safe to use).
pub fn kdc_url(address: &str) -> Result<String, KerberosConfigError> {
    let bad = || KerberosConfigError::BadKdc(address.to_owned());
    let trimmed = address.trim();
    if is_kdc_proxy(trimmed) {
        let parsed = url::Url::parse(trimmed).map_err(|_| bad())?;
        if trimmed.get(8..).is_none_or(|rest| rest.starts_with('/'))
            || parsed.host_str().is_none_or(str::is_empty)
            || !parsed.username().is_empty()
            || parsed.password().is_some()
            || parsed.fragment().is_some()
        {
            return Err(bad());
        }
        return Ok(parsed.to_string());
    }
    // MIT krb5.conf writes the transport as a `tcp/` prefix (`kdc = tcp/host:port`).
    let rest = match trimmed.split_once("://") {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("tcp") => rest,
        Some(_) => return Err(bad()),
        None => trimmed.strip_prefix("tcp/").unwrap_or(trimmed),
    };
    let rest = rest.trim_end_matches('/');
    if rest.is_empty() || rest.contains('/') || rest.contains(char::is_whitespace) {
        return Err(bad());
    }
    let has_port = if rest.starts_with('[') {
        rest.contains("]:")
    } else {
        rest.matches(':').count() == 1
    };
    if rest.matches(':').count() > 1 && !rest.starts_with('[') {
        // A bare IPv6 address needs brackets to carry a port.
        return Ok(format!("tcp://[{rest}]:88"));
    }
    if has_port {
        let port = rest.rsplit_once(':').map(|(_, p)| p).unwrap_or_default();
        port.parse::<u16>().map_err(|_| bad())?;
        Ok(format!("tcp://{rest}"))
    } else {
        Ok(format!("tcp://{rest}:88"))
    }
}

/// Whether a KDC address names a KDC proxy (`https://...`).
pub fn is_kdc_proxy(address: &str) -> bool {
    address
        .trim()
        .get(..8)
        .is_some_and(|p| p.eq_ignore_ascii_case("https://"))
}

/// Checks the `realm` option: non-empty, no spaces, `@`, `/` or `\`; returned upper-cased, as
/// Active Directory realms are written.
pub fn check_realm(realm: &str) -> Result<String, KerberosConfigError> {
    let r = realm.trim();
    if r.is_empty() || r.contains(|c: char| c.is_whitespace() || matches!(c, '@' | '/' | '\\')) {
        return Err(KerberosConfigError::BadRealm(realm.to_owned()));
    }
    Ok(r.to_ascii_uppercase())
}

/// Names the Kerberos client for `user` (`user`, `DOMAIN\user` or `user@suffix`) given the
/// realm the logon goes to (`realm`, with where it came from) and the realms `krb5.conf` lists:
///
/// - `user@suffix` where the suffix is the realm (in any case): an NT-PRINCIPAL `user@REALM`;
/// - `user@suffix` where the suffix is another realm listed in `krb5.conf` and the realm was
///   not given explicitly: an NT-PRINCIPAL in that realm;
/// - any other `user@suffix`: the whole UPN as an NT-ENTERPRISE name sent to `realm`;
/// - `DOMAIN\user`: the account in `realm` when one was given explicitly, else in `DOMAIN`;
/// - a bare `user`: the account in `realm`.
///
/// Without a realm, `user@suffix` takes the suffix as the realm, as [`split_user`] does.
pub fn client_principal(
    user: &str,
    realm: Option<(&str, RealmSource)>,
    known_realms: &[String],
) -> Result<KerberosUser, KerberosConfigError> {
    let Some((realm, source)) = realm.filter(|(r, _)| !r.is_empty()) else {
        return split_user(user, None);
    };
    let realm = realm.to_ascii_uppercase();
    let plain = split_user(user, Some(&realm))?;
    if user.contains('\\') {
        return Ok(if source == RealmSource::Explicit {
            KerberosUser { realm, ..plain }
        } else {
            plain
        });
    }
    if !user.contains('@') || plain.realm.eq_ignore_ascii_case(&realm) {
        return Ok(KerberosUser { realm, ..plain });
    }
    let suffix_is_a_realm = known_realms
        .iter()
        .any(|r| r.eq_ignore_ascii_case(&plain.realm));
    if source != RealmSource::Explicit && suffix_is_a_realm {
        return Ok(plain);
    }
    Ok(KerberosUser {
        account: user.to_owned(),
        realm,
        enterprise: true,
    })
}

/// Chooses the KDC: the explicit address, else the first `kdc` of the realm in `krb5.conf`.
/// `None` leaves the lookup to sspi's own discovery.
pub fn choose_kdc(
    explicit: Option<&str>,
    conf: Option<&Krb5Conf>,
    realm: &str,
) -> Result<Option<String>, KerberosConfigError> {
    if let Some(e) = explicit {
        return kdc_url(e).map(Some);
    }
    match conf.and_then(|c| c.kdcs(realm).first()) {
        Some(k) => kdc_url(k).map(Some),
        None => Ok(None),
    }
}

/// The realm a NetBIOS domain name (`CONTOSO` of `CONTOSO\\user`) stands for: the
/// `krb5.conf` realm, default_realm first, whose first label is the domain
/// (`CONTOSO.COM`). `None` when the name is already a DNS realm or none matches.
pub fn realm_for_netbios(domain: &str, conf: Option<&Krb5Conf>) -> Option<String> {
    if domain.contains('.') {
        return None;
    }
    let conf = conf?;
    conf.default_realm
        .iter()
        .chain(conf.realms.iter().map(|(r, _)| r))
        .find(|r| {
            r.split_once('.')
                .is_some_and(|(first, _)| first.eq_ignore_ascii_case(domain))
        })
        .map(|r| r.to_ascii_uppercase())
}

/// Reads `krb5.conf` from `KRB5_CONFIG` (a colon-separated list, first readable file wins) or
/// `/etc/krb5.conf`. A missing file is not an error: the result is `None`.
pub fn load_krb5_conf() -> Option<Krb5Conf> {
    let paths = std::env::var("KRB5_CONFIG").unwrap_or_else(|_| "/etc/krb5.conf".to_owned());
    paths
        .split(':')
        .filter(|p| !p.is_empty())
        .find_map(|p| std::fs::read_to_string(p).ok())
        .map(|t| Krb5Conf::parse(&t))
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONF: &str = r#"
# comment
[libdefaults]
    default_realm = EXAMPLE.TEST
    dns_lookup_kdc = false

[realms]
    EXAMPLE.TEST = {
        kdc = kdc1.example.test:8888
        kdc = kdc2.example.test
        admin_server = kdc1.example.test
        v4_realm_convert = {
            kdc = ignored.example.test
        }
    }
    OTHER.TEST = {
        kdc = 10.0.0.5
    }

[domain_realm]
    .example.test = EXAMPLE.TEST
"#;

    #[test]
    fn parses_default_realm_and_kdcs() {
        let c = Krb5Conf::parse(CONF);
        assert_eq!(c.default_realm.as_deref(), Some("EXAMPLE.TEST"));
        assert_eq!(
            c.kdcs("EXAMPLE.TEST"),
            ["kdc1.example.test:8888", "kdc2.example.test"]
        );
        assert_eq!(c.kdcs("OTHER.TEST"), ["10.0.0.5"]);
        assert!(c.kdcs("NONE").is_empty());
    }

    #[test]
    fn splits_user_names() {
        let u = split_user("alice@example.test", None).unwrap();
        assert_eq!(
            u,
            KerberosUser {
                account: "alice".into(),
                realm: "EXAMPLE.TEST".into(),
                enterprise: false,
            }
        );
        let u = split_user("CORP\\bob", None).unwrap();
        assert_eq!((u.account.as_str(), u.realm.as_str()), ("bob", "CORP"));
        let u = split_user("carol", Some("EXAMPLE.TEST")).unwrap();
        assert_eq!(
            (u.account.as_str(), u.realm.as_str()),
            ("carol", "EXAMPLE.TEST")
        );
        assert_eq!(
            split_user("carol", None).unwrap_err(),
            KerberosConfigError::NoRealm("carol".into())
        );
        assert!(matches!(
            split_user("@REALM", None),
            Err(KerberosConfigError::BadUser(_))
        ));
        assert!(matches!(
            split_user("a\\b\\c", None),
            Err(KerberosConfigError::BadUser(_))
        ));
    }

    #[test]
    fn netbios_domains_map_to_configured_realms() {
        let c = Krb5Conf::parse(CONF);
        assert_eq!(
            realm_for_netbios("example", Some(&c)).as_deref(),
            Some("EXAMPLE.TEST")
        );
        assert_eq!(
            realm_for_netbios("OTHER", Some(&c)).as_deref(),
            Some("OTHER.TEST")
        );
        assert_eq!(realm_for_netbios("NONE", Some(&c)), None);
        assert_eq!(realm_for_netbios("EXAMPLE.TEST", Some(&c)), None);
        assert_eq!(realm_for_netbios("EXAMPLE", None), None);
    }

    #[test]
    fn spn_uses_fqdn_and_refuses_ips() {
        assert_eq!(
            service_principal("EX01.corp.example", None).unwrap(),
            "HTTP/ex01.corp.example"
        );
        assert_eq!(
            service_principal("10.1.2.3", None).unwrap_err(),
            KerberosConfigError::IpTarget("10.1.2.3".into())
        );
        assert!(service_principal("[::1]", None).is_err());
        assert_eq!(
            service_principal("10.1.2.3", Some("HTTP/ex01.corp.example")).unwrap(),
            "HTTP/ex01.corp.example"
        );
    }

    #[test]
    fn kdc_urls_are_normalised() {
        assert_eq!(kdc_url("tcp://kdc:88").unwrap(), "tcp://kdc:88");
        assert_eq!(
            kdc_url("kdc.example.test").unwrap(),
            "tcp://kdc.example.test:88"
        );
        assert_eq!(kdc_url("kdc:750").unwrap(), "tcp://kdc:750");
        assert_eq!(kdc_url("[fd00::1]:88").unwrap(), "tcp://[fd00::1]:88");
        assert_eq!(kdc_url("fd00::1").unwrap(), "tcp://[fd00::1]:88");
        assert_eq!(kdc_url("tcp/127.0.0.1:750").unwrap(), "tcp://127.0.0.1:750");
        assert!(kdc_url("udp://kdc:88").is_err());
        assert!(kdc_url("kdc:port").is_err());
        assert!(kdc_url("").is_err());
    }

    #[test]
    fn enterprise_names_only_for_foreign_suffixes() {
        use RealmSource::*;
        let known = vec!["CONTOSO.COM".to_owned(), "CHILD.CONTOSO.COM".to_owned()];
        // The suffix is the realm, in any case: a plain principal.
        let u = client_principal(
            "alice@contoso.com",
            Some(("CONTOSO.COM", DefaultRealm)),
            &known,
        )
        .unwrap();
        assert_eq!(
            (u.account.as_str(), u.realm.as_str(), u.enterprise),
            ("alice", "CONTOSO.COM", false)
        );
        // An alternative UPN suffix: the whole UPN as an enterprise name to the realm.
        let u = client_principal(
            "john.smith@fabrikam.com",
            Some(("contoso.com", DefaultRealm)),
            &known,
        )
        .unwrap();
        assert_eq!(
            (u.account.as_str(), u.realm.as_str(), u.enterprise),
            ("john.smith@fabrikam.com", "CONTOSO.COM", true)
        );
        assert_eq!(
            u.describe(),
            "john.smith@fabrikam.com (NT-ENTERPRISE name) in realm CONTOSO.COM"
        );
        // Another realm krb5.conf knows: a plain principal there, unless the realm is explicit.
        let u = client_principal(
            "bob@child.contoso.com",
            Some(("CONTOSO.COM", DefaultRealm)),
            &known,
        )
        .unwrap();
        assert_eq!(
            (u.realm.as_str(), u.enterprise),
            ("CHILD.CONTOSO.COM", false)
        );
        let u = client_principal(
            "bob@child.contoso.com",
            Some(("CONTOSO.COM", Explicit)),
            &known,
        )
        .unwrap();
        assert_eq!(
            (u.account.as_str(), u.realm.as_str(), u.enterprise),
            ("bob@child.contoso.com", "CONTOSO.COM", true)
        );
        // NetBIOS domains give way to an explicit realm only.
        let u =
            client_principal("CONTOSO\\carol", Some(("CONTOSO.COM", Explicit)), &known).unwrap();
        assert_eq!(
            (u.account.as_str(), u.realm.as_str(), u.enterprise),
            ("carol", "CONTOSO.COM", false)
        );
        let u = client_principal(
            "CONTOSO\\carol",
            Some(("CONTOSO.COM", DefaultRealm)),
            &known,
        )
        .unwrap();
        assert_eq!(u.realm, "CONTOSO");
        // A bare name takes the realm; without any realm, the suffix is the realm.
        let u = client_principal("dave", Some(("contoso.com", Dns)), &known).unwrap();
        assert_eq!(u.describe(), "dave@CONTOSO.COM");
        let u = client_principal("erin@fabrikam.com", None, &known).unwrap();
        assert_eq!(u.describe(), "erin@FABRIKAM.COM");
        assert!(client_principal("frank", None, &known).is_err());
    }

    #[test]
    fn realm_option_is_checked() {
        assert_eq!(check_realm(" contoso.com ").unwrap(), "CONTOSO.COM");
        for bad in ["", "  ", "a b", "user@REALM", "A/B", "A\\B"] {
            assert!(check_realm(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn kdc_proxy_urls_are_kept() {
        assert!(is_kdc_proxy("HTTPS://gw.example/KdcProxy"));
        assert!(!is_kdc_proxy("tcp://kdc:88"));
        assert_eq!(
            kdc_url("https://gw.example/KdcProxy").unwrap(),
            "https://gw.example/KdcProxy"
        );
        assert_eq!(
            kdc_url("https://127.0.0.1:8443/KdcProxy?x=1").unwrap(),
            "https://127.0.0.1:8443/KdcProxy?x=1"
        );
        assert!(kdc_url("http://gw.example/KdcProxy").is_err());
        assert!(kdc_url("https://user:pw@gw.example/KdcProxy").is_err());
        assert!(kdc_url("https:///KdcProxy").is_err());
        let c = Krb5Conf::parse("[realms]\n R = {\n kdc = https://gw.example/KdcProxy\n }\n");
        assert_eq!(
            choose_kdc(None, Some(&c), "R").unwrap(),
            Some("https://gw.example/KdcProxy".into())
        );
    }

    #[test]
    fn kdc_choice_prefers_explicit_then_conf() {
        let c = Krb5Conf::parse(CONF);
        assert_eq!(
            choose_kdc(Some("tcp://k:1"), Some(&c), "EXAMPLE.TEST").unwrap(),
            Some("tcp://k:1".into())
        );
        assert_eq!(
            choose_kdc(None, Some(&c), "EXAMPLE.TEST").unwrap(),
            Some("tcp://kdc1.example.test:8888".into())
        );
        assert_eq!(choose_kdc(None, Some(&c), "NONE.TEST").unwrap(), None);
        assert_eq!(choose_kdc(None, None, "EXAMPLE.TEST").unwrap(), None);
    }
}
