//! The simulator's Kerberos service: the keys its acceptor decrypts tickets with, from a
//! password or a keytab. Checking `Authorization` values (Basic against the seed's accounts,
//! NTLM, SPNEGO and Kerberos with sspi acceptors) is
//! [`monosync_exchange::transport::acceptor`]'s, one [`ServerAuth`] per TCP connection.

use monosync_exchange::transport::acceptor::{Account, KerberosKeys, ServiceKey};
use monosync_exchange::transport::keytab::{Keytab, enctype};
use picky_krb::crypto::CipherSuite;
use zeroize::Zeroizing;

use crate::exchange::SimAccount;

pub use monosync_exchange::transport::acceptor::{Mechanism, ServerAuth};

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

    /// The keys as the acceptor takes them.
    pub(crate) fn acceptor_keys(&self) -> KerberosKeys {
        KerberosKeys {
            kdc_url: self.kdc_url.clone(),
            keys: self
                .service_keys()
                .into_iter()
                .map(|(principal, key)| ServiceKey { principal, key })
                .collect(),
        }
    }
}

/// The seed's accounts as the acceptor takes them.
pub(crate) fn accounts(accounts: &[SimAccount]) -> Vec<Account> {
    accounts
        .iter()
        .map(|a| Account::new(a.user.clone(), a.password.clone()))
        .collect()
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
        assert_eq!(svc.acceptor_keys().keys.len(), 2);
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
        assert!(svc.acceptor_keys().keys.is_empty());
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
