//! MIT keytab files (format 0x502, and the older 0x501), sans-IO: the long-term keys of
//! Kerberos principals, as `ktutil`, `kadmin ktadd`, `samba-tool domain exportkeytab` and
//! Windows' `ktpass` write them.
//!
//! A keytab holds its keys in the clear; parsing is bounded (file size, entry count, lengths)
//! and the keys are wiped from memory when dropped and never shown by `Debug` or in errors.
//!
//! Layout (big-endian in 0x502; 0x501 uses the writer's byte order, read here as big-endian
//! like every known writer of it, and counts the realm among the components):
//!
//! ```text
//! u16 version (0x0502)
//! repeated: i32 size (negative: a hole of that many bytes), then size bytes:
//!   u16 components, counted realm, counted components..., u32 name type (0x502 only),
//!   u32 timestamp, u8 kvno, u16 enctype, counted key, [u32 kvno when 4 bytes remain]
//! ```

use zeroize::Zeroizing;

/// Largest keytab file read: a machine keytab is a few hundred bytes per key.
pub const MAX_KEYTAB_SIZE: usize = 1024 * 1024;
/// Most entries accepted in one keytab.
pub const MAX_ENTRIES: usize = 4096;
/// Most name components of one principal.
const MAX_COMPONENTS: usize = 16;

/// Kerberos encryption type numbers (RFC 3961/3962/8009 and RFC 4757).
pub mod enctype {
    /// aes256-cts-hmac-sha1-96.
    pub const AES256_CTS_HMAC_SHA1_96: i32 = 18;
    /// aes128-cts-hmac-sha1-96.
    pub const AES128_CTS_HMAC_SHA1_96: i32 = 17;
    /// rc4-hmac (arcfour-hmac), AD's default for accounts without AES.
    pub const RC4_HMAC: i32 = 23;
}

/// The name of an encryption type, for messages (`aes256-cts-hmac-sha1-96`, `rc4-hmac`, ...).
pub fn enctype_name(etype: i32) -> String {
    match etype {
        1 => "des-cbc-crc".into(),
        3 => "des-cbc-md5".into(),
        16 => "des3-cbc-sha1".into(),
        17 => "aes128-cts-hmac-sha1-96".into(),
        18 => "aes256-cts-hmac-sha1-96".into(),
        19 => "aes128-cts-hmac-sha256-128".into(),
        20 => "aes256-cts-hmac-sha384-192".into(),
        23 => "rc4-hmac".into(),
        24 => "rc4-hmac-exp".into(),
        other => format!("enctype {other}"),
    }
}

/// Why a keytab could not be read or used. Never carries key material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeytabError {
    /// The file could not be read.
    #[error("keytab {path}: {reason}")]
    Io {
        /// The path.
        path: String,
        /// The operating system's words.
        reason: String,
    },
    /// Larger than [`MAX_KEYTAB_SIZE`].
    #[error("keytab is {0} bytes, more than the {MAX_KEYTAB_SIZE} accepted")]
    TooLarge(usize),
    /// Not a keytab (wrong version bytes).
    #[error(
        "not an MIT keytab (starts with {0:#06x}, not 0x0502 or 0x0501): export it with ktpass, ktutil or samba-tool domain exportkeytab"
    )]
    NotAKeytab(u16),
    /// Truncated or inconsistent.
    #[error("keytab is damaged: {0}")]
    Malformed(String),
    /// More than [`MAX_ENTRIES`] entries.
    #[error("keytab has more than {MAX_ENTRIES} entries")]
    TooManyEntries,
    /// No entry at all.
    #[error("keytab holds no keys")]
    Empty,
    /// No entry for the principal asked for.
    #[error("keytab has no key for `{wanted}`; it holds {}", .available.join(", "))]
    NoSuchPrincipal {
        /// The principal asked for.
        wanted: String,
        /// The principals the keytab holds.
        available: Vec<String>,
    },
    /// The principal has keys, but none of AES.
    #[error(
        "keytab holds only {} keys for `{principal}`, no AES: enable AES on the account (msDS-SupportedEncryptionTypes = 24 in Active Directory), then export the keytab again",
        .enctypes.join(", ")
    )]
    NoAesKey {
        /// The principal.
        principal: String,
        /// The encryption types it has keys of.
        enctypes: Vec<String>,
    },
}

/// A principal name: components and realm.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Principal {
    /// Name components (`["HTTP", "ex01.contoso.com"]`, `["svc-mx"]`).
    pub components: Vec<String>,
    /// The realm.
    pub realm: String,
    /// The name type (1 = NT-PRINCIPAL, 3 = NT-SRV-HST; 0x501 files carry none: 1).
    pub name_type: u32,
}

impl std::fmt::Display for Principal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}@{}", self.components.join("/"), self.realm)
    }
}

impl Principal {
    /// Whether `wanted` names this principal: `name@REALM`, `REALM\name`, `NETBIOS\name` (the
    /// realm's first label) or a bare `name` (any realm). Names compare without regard to
    /// case, as Active Directory compares account names and realms.
    pub fn matches(&self, wanted: &str) -> bool {
        let name = self.components.join("/");
        let (want_name, want_realm) = if let Some((domain, account)) = wanted.split_once('\\') {
            (account, Some(domain))
        } else if let Some((account, realm)) = wanted.rsplit_once('@') {
            (account, Some(realm))
        } else {
            (wanted, None)
        };
        if !want_name.eq_ignore_ascii_case(&name) {
            return false;
        }
        match want_realm {
            None => true,
            Some(r) => {
                r.eq_ignore_ascii_case(&self.realm)
                    || (!r.contains('.')
                        && self
                            .realm
                            .split('.')
                            .next()
                            .is_some_and(|first| first.eq_ignore_ascii_case(r)))
            }
        }
    }
}

/// One key of a keytab.
#[derive(Clone, PartialEq, Eq)]
pub struct KeytabEntry {
    /// Whose key.
    pub principal: Principal,
    /// When it was written (seconds since 1970).
    pub timestamp: u32,
    /// Key version number (the 32-bit field when present, else the 8-bit one).
    pub kvno: u32,
    /// Encryption type ([`enctype`]).
    pub enctype: i32,
    key: Zeroizing<Vec<u8>>,
}

impl KeytabEntry {
    /// The key bytes.
    pub fn key(&self) -> &[u8] {
        &self.key
    }

    /// Whether the key is AES (aes128/aes256-cts-hmac-sha1-96), which Kerberos here uses.
    pub fn is_aes(&self) -> bool {
        matches!(
            self.enctype,
            enctype::AES256_CTS_HMAC_SHA1_96 | enctype::AES128_CTS_HMAC_SHA1_96
        )
    }
}

impl std::fmt::Debug for KeytabEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeytabEntry")
            .field("principal", &self.principal.to_string())
            .field("kvno", &self.kvno)
            .field("enctype", &enctype_name(self.enctype))
            .field("key", &"<redacted>")
            .finish()
    }
}

/// A parsed keytab.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Keytab {
    entries: Vec<KeytabEntry>,
}

/// Reads big-endian fields from a slice, failing with a message on truncation.
struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], KeytabError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.data.len())
            .ok_or_else(|| KeytabError::Malformed(format!("{what} runs past its entry")))?;
        let s = &self.data[self.pos..end];
        self.pos = end;
        Ok(s)
    }
    fn u8(&mut self, what: &str) -> Result<u8, KeytabError> {
        Ok(self.take(1, what)?[0])
    }
    fn u16(&mut self, what: &str) -> Result<u16, KeytabError> {
        let b = self.take(2, what)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }
    fn u32(&mut self, what: &str) -> Result<u32, KeytabError> {
        let b = self.take(4, what)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn counted(&mut self, what: &str) -> Result<&'a [u8], KeytabError> {
        let n = usize::from(self.u16(what)?);
        self.take(n, what)
    }
    fn string(&mut self, what: &str) -> Result<String, KeytabError> {
        String::from_utf8(self.counted(what)?.to_vec())
            .map_err(|_| KeytabError::Malformed(format!("{what} is not UTF-8")))
    }
    fn remaining(&self) -> usize {
        self.data.len() - self.pos
    }
}

impl Keytab {
    /// Parses the bytes of a keytab file.
    pub fn parse(bytes: &[u8]) -> Result<Self, KeytabError> {
        if bytes.len() > MAX_KEYTAB_SIZE {
            return Err(KeytabError::TooLarge(bytes.len()));
        }
        let mut top = Reader {
            data: bytes,
            pos: 0,
        };
        let version = top.u16("version").map_err(|_| KeytabError::NotAKeytab(0))?;
        let v1 = match version {
            0x0502 => false,
            0x0501 => true,
            other => return Err(KeytabError::NotAKeytab(other)),
        };
        let mut entries = Vec::new();
        // A size field cut short (fewer than 4 bytes left) ends the file, as MIT reads it.
        while top.remaining() >= 4 {
            let size = top.u32("entry size")? as i32;
            if size == 0 {
                break;
            }
            let len = usize::try_from(size.unsigned_abs())
                .map_err(|_| KeytabError::Malformed("entry size".into()))?;
            let body = top.take(len, "entry")?;
            if size < 0 {
                continue; // A hole left by a deleted entry.
            }
            if entries.len() == MAX_ENTRIES {
                return Err(KeytabError::TooManyEntries);
            }
            entries.push(Self::entry(body, v1)?);
        }
        if entries.is_empty() {
            return Err(KeytabError::Empty);
        }
        Ok(Self { entries })
    }

    fn entry(body: &[u8], v1: bool) -> Result<KeytabEntry, KeytabError> {
        let mut r = Reader { data: body, pos: 0 };
        let mut count = usize::from(r.u16("component count")?);
        if v1 {
            count = count.saturating_sub(1);
        }
        if count == 0 || count > MAX_COMPONENTS {
            return Err(KeytabError::Malformed(format!(
                "a principal with {count} name components"
            )));
        }
        let realm = r.string("realm")?;
        let components = (0..count)
            .map(|_| r.string("name component"))
            .collect::<Result<Vec<_>, _>>()?;
        let name_type = if v1 { 1 } else { r.u32("name type")? };
        let timestamp = r.u32("timestamp")?;
        let kvno8 = r.u8("key version")?;
        let etype = r.u16("encryption type")?;
        let key = Zeroizing::new(r.counted("key")?.to_vec());
        // The 32-bit kvno follows when the entry has room for it; 0 means "use the 8-bit one".
        let kvno = match r.remaining() {
            n if n >= 4 => match r.u32("key version")? {
                0 => u32::from(kvno8),
                v => v,
            },
            _ => u32::from(kvno8),
        };
        Ok(KeytabEntry {
            principal: Principal {
                components,
                realm,
                name_type,
            },
            timestamp,
            kvno,
            enctype: i32::from(etype),
            key,
        })
    }

    /// Reads and parses a keytab file (at most [`MAX_KEYTAB_SIZE`] bytes are read).
    pub fn read(path: impl AsRef<std::path::Path>) -> Result<Self, KeytabError> {
        use std::io::Read as _;
        let path = path.as_ref();
        let io = |e: std::io::Error| KeytabError::Io {
            path: path.display().to_string(),
            reason: e.to_string(),
        };
        let file = std::fs::File::open(path).map_err(io)?;
        let mut bytes = Zeroizing::new(Vec::new());
        file.take(MAX_KEYTAB_SIZE as u64 + 1)
            .read_to_end(&mut bytes)
            .map_err(io)?;
        Self::parse(&bytes)
    }

    /// Every entry, in file order.
    pub fn entries(&self) -> &[KeytabEntry] {
        &self.entries
    }

    /// The distinct principals, in file order.
    pub fn principals(&self) -> Vec<&Principal> {
        let mut seen: Vec<&Principal> = Vec::new();
        for e in &self.entries {
            if !seen.contains(&&e.principal) {
                seen.push(&e.principal);
            }
        }
        seen
    }

    /// The key to log on with: the entry of `principal` (the keytab's first principal when
    /// `None`) with AES256, else AES128, and the highest kvno of that type.
    pub fn logon_key(&self, principal: Option<&str>) -> Result<&KeytabEntry, KeytabError> {
        let chosen = match principal {
            Some(p) => self
                .principals()
                .into_iter()
                .find(|k| k.matches(p))
                .ok_or_else(|| KeytabError::NoSuchPrincipal {
                    wanted: p.to_owned(),
                    available: self.principals().iter().map(|p| p.to_string()).collect(),
                })?,
            None => &self.entries.first().ok_or(KeytabError::Empty)?.principal,
        };
        self.best_key(chosen)
    }

    /// The best AES key of `principal`: AES256 before AES128, the highest kvno first.
    pub fn best_key(&self, principal: &Principal) -> Result<&KeytabEntry, KeytabError> {
        let of_principal = || self.entries.iter().filter(|e| &e.principal == principal);
        [
            enctype::AES256_CTS_HMAC_SHA1_96,
            enctype::AES128_CTS_HMAC_SHA1_96,
        ]
        .into_iter()
        .find_map(|et| {
            of_principal()
                .filter(|e| e.enctype == et)
                .max_by_key(|e| e.kvno)
        })
        .ok_or_else(|| {
            let mut enctypes: Vec<String> =
                of_principal().map(|e| enctype_name(e.enctype)).collect();
            enctypes.dedup();
            KeytabError::NoAesKey {
                principal: principal.to_string(),
                enctypes,
            }
        })
    }

    /// The key for a ticket encrypted with `etype` for the service `components` (compared
    /// without regard to case), preferring `kvno` when given, else the highest.
    pub fn service_key(
        &self,
        components: &[String],
        etype: i32,
        kvno: Option<u32>,
    ) -> Option<&KeytabEntry> {
        let candidates = || {
            self.entries.iter().filter(move |e| {
                e.enctype == etype
                    && e.principal.components.len() == components.len()
                    && e.principal
                        .components
                        .iter()
                        .zip(components)
                        .all(|(a, b)| a.eq_ignore_ascii_case(b))
            })
        };
        kvno.and_then(|v| candidates().find(|e| e.kvno == v))
            .or_else(|| candidates().max_by_key(|e| e.kvno))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One 0x502 entry.
    fn entry(
        realm: &str,
        comps: &[&str],
        kvno: u8,
        etype: u16,
        key: &[u8],
        kvno32: Option<u32>,
    ) -> Vec<u8> {
        let mut b = Vec::new();
        b.extend_from_slice(&(comps.len() as u16).to_be_bytes());
        b.extend_from_slice(&(realm.len() as u16).to_be_bytes());
        b.extend_from_slice(realm.as_bytes());
        for c in comps {
            b.extend_from_slice(&(c.len() as u16).to_be_bytes());
            b.extend_from_slice(c.as_bytes());
        }
        b.extend_from_slice(&1u32.to_be_bytes());
        b.extend_from_slice(&1_700_000_000u32.to_be_bytes());
        b.push(kvno);
        b.extend_from_slice(&etype.to_be_bytes());
        b.extend_from_slice(&(key.len() as u16).to_be_bytes());
        b.extend_from_slice(key);
        if let Some(v) = kvno32 {
            b.extend_from_slice(&v.to_be_bytes());
        }
        let mut out = (b.len() as i32).to_be_bytes().to_vec();
        out.extend_from_slice(&b);
        out
    }

    fn keytab(entries: &[Vec<u8>]) -> Vec<u8> {
        let mut out = vec![0x05, 0x02];
        for e in entries {
            out.extend_from_slice(e);
        }
        out
    }

    #[test]
    fn parses_entries_holes_and_kvnos() {
        let mut bytes = keytab(&[
            entry("CONTOSO.COM", &["svc-mx"], 2, 23, &[1; 16], Some(2)),
            entry("CONTOSO.COM", &["svc-mx"], 2, 18, &[2; 32], Some(2)),
        ]);
        // A hole of 7 bytes, then an entry whose 8-bit kvno wrapped (300 -> 44).
        bytes.extend_from_slice(&(-7i32).to_be_bytes());
        bytes.extend_from_slice(&[0; 7]);
        bytes.extend_from_slice(&entry(
            "CONTOSO.COM",
            &["svc-mx"],
            44,
            18,
            &[3; 32],
            Some(300),
        ));
        bytes.extend_from_slice(&entry(
            "CONTOSO.COM",
            &["HTTP", "ex01.contoso.com"],
            3,
            17,
            &[4; 16],
            None,
        ));
        let kt = Keytab::parse(&bytes).unwrap();
        assert_eq!(kt.entries().len(), 4);
        assert_eq!(kt.entries()[2].kvno, 300);
        assert_eq!(kt.entries()[3].kvno, 3);
        assert_eq!(
            kt.principals()
                .iter()
                .map(|p| p.to_string())
                .collect::<Vec<_>>(),
            ["svc-mx@CONTOSO.COM", "HTTP/ex01.contoso.com@CONTOSO.COM"]
        );
        let best = kt.logon_key(None).unwrap();
        assert_eq!(
            (best.enctype, best.kvno, best.key()),
            (18, 300, &[3u8; 32][..])
        );
        for name in [
            "svc-mx@contoso.com",
            "CONTOSO\\SVC-MX",
            "svc-mx",
            "contoso.com\\svc-mx",
        ] {
            assert_eq!(kt.logon_key(Some(name)).unwrap().kvno, 300, "{name}");
        }
        let http = kt
            .logon_key(Some("HTTP/ex01.contoso.com@CONTOSO.COM"))
            .unwrap();
        assert_eq!(http.enctype, 17);
        let comps = ["HTTP".to_owned(), "EX01.contoso.com".to_owned()];
        assert_eq!(kt.service_key(&comps, 17, Some(9)).unwrap().kvno, 3);
        assert!(kt.service_key(&comps, 18, None).is_none());
        let svc = ["svc-mx".to_owned()];
        assert_eq!(kt.service_key(&svc, 18, Some(2)).unwrap().kvno, 2);
        assert_eq!(kt.service_key(&svc, 18, None).unwrap().kvno, 300);
    }

    #[test]
    fn keys_stay_out_of_debug_and_errors() {
        let bytes = keytab(&[entry(
            "R.TEST",
            &["u"],
            1,
            18,
            b"SECRETSECRETSECRETSECRETSECRET!!",
            None,
        )]);
        let kt = Keytab::parse(&bytes).unwrap();
        let shown = format!("{kt:?}");
        assert!(
            shown.contains("<redacted>") && !shown.contains("83, 69, 67"),
            "{shown}"
        );
        let err = kt.logon_key(Some("nobody@R.TEST")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "keytab has no key for `nobody@R.TEST`; it holds u@R.TEST"
        );
    }

    #[test]
    fn rc4_only_is_a_clear_error() {
        let bytes = keytab(&[
            entry("CONTOSO.COM", &["legacy"], 2, 23, &[1; 16], None),
            entry("CONTOSO.COM", &["legacy"], 2, 3, &[1; 8], None),
        ]);
        let kt = Keytab::parse(&bytes).unwrap();
        let err = kt.logon_key(Some("legacy")).unwrap_err();
        assert_eq!(
            err,
            KeytabError::NoAesKey {
                principal: "legacy@CONTOSO.COM".into(),
                enctypes: vec!["rc4-hmac".into(), "des-cbc-md5".into()],
            }
        );
        assert!(err.to_string().contains("msDS-SupportedEncryptionTypes"));
    }

    #[test]
    fn version_0x501_counts_the_realm_and_has_no_name_type() {
        let mut b = Vec::new();
        b.extend_from_slice(&2u16.to_be_bytes());
        for s in ["R.TEST", "alice"] {
            b.extend_from_slice(&(s.len() as u16).to_be_bytes());
            b.extend_from_slice(s.as_bytes());
        }
        b.extend_from_slice(&0u32.to_be_bytes());
        b.push(5);
        b.extend_from_slice(&18u16.to_be_bytes());
        b.extend_from_slice(&32u16.to_be_bytes());
        b.extend_from_slice(&[7; 32]);
        let mut bytes = vec![0x05, 0x01];
        bytes.extend_from_slice(&(b.len() as i32).to_be_bytes());
        bytes.extend_from_slice(&b);
        let kt = Keytab::parse(&bytes).unwrap();
        let e = &kt.entries()[0];
        assert_eq!(
            (e.principal.to_string(), e.kvno),
            ("alice@R.TEST".into(), 5)
        );
    }

    #[test]
    fn damaged_files_are_refused_without_panics() {
        assert_eq!(Keytab::parse(b""), Err(KeytabError::NotAKeytab(0)));
        assert_eq!(
            Keytab::parse(b"\x04\x02"),
            Err(KeytabError::NotAKeytab(0x0402))
        );
        assert_eq!(Keytab::parse(b"\x05\x02"), Err(KeytabError::Empty));
        let good = keytab(&[entry("R", &["u"], 1, 18, &[0; 32], Some(1))]);
        for cut in 2..good.len() {
            let r = Keytab::parse(&good[..cut]);
            assert!(r.is_err(), "cut at {cut}");
        }
        // An entry claiming more bytes than the file has.
        let mut long = good.clone();
        long[2..6].copy_from_slice(&1000i32.to_be_bytes());
        assert!(matches!(
            Keytab::parse(&long),
            Err(KeytabError::Malformed(_))
        ));
        // A component count beyond the bound.
        let mut many = good.clone();
        many[6..8].copy_from_slice(&100u16.to_be_bytes());
        assert!(matches!(
            Keytab::parse(&many),
            Err(KeytabError::Malformed(_))
        ));
        // Every byte flipped, one at a time: an error or a keytab, never a panic.
        for i in 0..good.len() {
            let mut b = good.clone();
            b[i] ^= 0xff;
            let _ = Keytab::parse(&b);
        }
        assert_eq!(
            Keytab::parse(&vec![0u8; MAX_KEYTAB_SIZE + 1]),
            Err(KeytabError::TooLarge(MAX_KEYTAB_SIZE + 1))
        );
    }

    #[test]
    fn entry_count_is_bounded() {
        let one = entry("R", &["u"], 1, 18, &[0; 32], None);
        let bytes = keytab(&vec![one; MAX_ENTRIES + 1]);
        assert_eq!(Keytab::parse(&bytes), Err(KeytabError::TooManyEntries));
    }
}
