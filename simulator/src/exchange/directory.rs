//! The directory store: every recipient and database, with the indexes identity resolution and
//! proxy-address uniqueness need.
//!
//! `Directory` is a plain struct: the server wraps it in a lock and calls `&self` methods for reads
//! and `&mut self` methods for writes.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};
use thiserror::Error;
use uuid::Uuid;

use super::recipient::{Account, Database, MailAttributes, Recipient, RecipientTypeDetails};
use super::throttling::ThrottlingPolicy;

/// Organisation-wide settings: names the rendered objects and error records carry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OrgConfig {
    /// Exchange organisation name (`/o=` in legacy DNs).
    pub organization_name: String,
    /// The AD domain's DNS name, also the accepted (default) email domain.
    pub domain: String,
    /// The NetBIOS domain name (`CONTOSO\alice`).
    pub netbios_name: String,
    /// The Exchange server's NetBIOS name (upper case), as in `[Server=EX01,…]`.
    pub server: String,
    /// The domain controller's FQDN (`OriginatingServer`, "couldn't be found on '…'").
    pub domain_controller: String,
    /// `AdminDisplayVersion` of the server.
    pub admin_display_version: String,
    /// The server's UTC offset in minutes, for local `WhenCreated`/`WhenChanged`.
    pub utc_offset_minutes: i16,
    /// The hybrid routing domain (`contoso.mail.onmicrosoft.com`).
    pub remote_routing_domain: String,
    /// The domain SID prefix (`S-1-5-21-…`), users get `<prefix>-<rid>`.
    pub domain_sid: String,
    /// Extra OUs (canonical names) that exist without holding any recipient yet; OUs that hold
    /// one, and the default `Users` container, always exist.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub organizational_units: Vec<String>,
}

impl Default for OrgConfig {
    fn default() -> Self {
        OrgConfig {
            organization_name: "First Organization".into(),
            domain: "contoso.com".into(),
            netbios_name: "CONTOSO".into(),
            server: "EX01".into(),
            domain_controller: "DC01.contoso.com".into(),
            admin_display_version: "Version 15.2 (Build 1118.7)".into(),
            utc_offset_minutes: -480,
            remote_routing_domain: "contoso.mail.onmicrosoft.com".into(),
            domain_sid: "S-1-5-21-3623811015-3361044348-30300820".into(),
            organizational_units: Vec::new(),
        }
    }
}

impl OrgConfig {
    /// The default container for new objects, `contoso.com/Users`.
    pub fn default_ou(&self) -> String {
        format!("{}/Users", self.domain)
    }

    /// `/o=<org>/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)`.
    pub fn admin_group_dn(&self) -> String {
        format!(
            "/o={}/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)",
            self.organization_name
        )
    }

    /// The DN of a canonical OU name (`contoso.com/Sales/EU` → `OU=EU,OU=Sales,DC=contoso,DC=com`).
    pub fn ou_dn(&self, ou: &str) -> String {
        let mut parts = ou.split('/');
        let domain = parts.next().unwrap_or(&self.domain);
        let path: Vec<&str> = parts.filter(|p| !p.is_empty()).collect();
        let mut dn = String::new();
        for (depth, comp) in path.iter().enumerate().rev() {
            let container = depth == 0
                && ["Users", "Computers", "Builtin", "ForeignSecurityPrincipals"]
                    .iter()
                    .any(|c| c.eq_ignore_ascii_case(comp));
            dn.push_str(if container { "CN=" } else { "OU=" });
            dn.push_str(&escape_rdn(comp));
            dn.push(',');
        }
        let dcs: Vec<String> = domain.split('.').map(|d| format!("DC={d}")).collect();
        dn.push_str(&dcs.join(","));
        dn
    }

    /// The canonical name of a DN, when it lies in this domain (`OU=Sales,DC=contoso,DC=com` →
    /// `contoso.com/Sales`).
    pub fn dn_to_canonical(&self, dn: &str) -> Option<String> {
        let mut comps = Vec::new();
        let mut dcs = Vec::new();
        for rdn in split_dn(dn) {
            let (attr, value) = rdn.split_once('=')?;
            if attr.trim().eq_ignore_ascii_case("DC") {
                dcs.push(value.trim().to_owned());
            } else {
                comps.push(value.trim().to_owned());
            }
        }
        if dcs.is_empty() {
            return None;
        }
        comps.reverse();
        let mut out = dcs.join(".");
        for c in comps {
            out.push('/');
            out.push_str(&c);
        }
        Some(out)
    }
}

/// Splits a DN at unescaped commas.
fn split_dn(dn: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut escaped = false;
    for ch in dn.chars() {
        if escaped {
            cur.push(ch);
            escaped = false;
        } else if ch == '\\' {
            escaped = true;
        } else if ch == ',' {
            out.push(std::mem::take(&mut cur));
        } else {
            cur.push(ch);
        }
    }
    out.push(cur);
    out
}

/// Escapes an RDN value (RFC 4514 special characters).
pub fn escape_rdn(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for ch in value.chars() {
        if matches!(ch, ',' | '+' | '"' | '\\' | '<' | '>' | ';' | '=') {
            out.push('\\');
        }
        out.push(ch);
    }
    out
}

/// Why a directory write was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum DirectoryError {
    /// A proxy address (or legacy DN) already belongs to another recipient.
    #[error("the proxy address \"{address}\" is already used by \"{owner}\"")]
    ProxyAddressInUse {
        /// The address with its prefix, as given.
        address: String,
        /// The canonical name of the recipient that owns it.
        owner: String,
    },
    /// Another object already has this DN.
    #[error("the object '{dn}' already exists")]
    ObjectExists {
        /// The DN that clashed.
        dn: String,
    },
    /// Another account already has this sAMAccountName or UPN.
    #[error("the account name '{name}' is already in use")]
    AccountNameInUse {
        /// The clashing name.
        name: String,
    },
    /// Another object already has this GUID.
    #[error("an object with GUID {0} already exists")]
    GuidInUse(Uuid),
    /// No recipient has this GUID.
    #[error("no recipient has GUID {0}")]
    NoSuchRecipient(Uuid),
    /// A mailbox names a database the directory does not have.
    #[error("mailbox database {0} does not exist")]
    NoSuchDatabase(Uuid),
}

/// FNV-1a: the index keys are short strings, where it beats SipHash several times over; the
/// simulator trusts its callers, so hash flooding is not a concern.
#[derive(Default)]
struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<Fnv>>;

/// Every recipient and database of one organisation.
#[derive(Debug, Clone)]
pub struct Directory {
    org: OrgConfig,
    databases: Vec<Database>,
    slots: Vec<Option<Recipient>>,
    by_guid: FastMap<Uuid, usize>,
    /// Lower-cased identity strings (name, alias, addresses, DN, …) → slots.
    keys: FastMap<String, Slots>,
    /// Lower-cased `type:address` → slot, for uniqueness.
    proxies: FastMap<String, usize>,
    /// Lower-cased DN → slot, for uniqueness.
    dns: FastMap<String, usize>,
    /// Lower-cased sAMAccountName / UPN → slot, for uniqueness.
    accounts: FastMap<String, usize>,
    /// Manager → direct reports in directory order, built on first need after a write:
    /// every rendered user lists its reports, and a scan per user made listing all users
    /// quadratic in the directory's size.
    reports: OnceLock<FastMap<Uuid, Vec<Uuid>>>,
    live: usize,
    next_rid: u32,
    throttling: ThrottlingPolicy,
}

impl Directory {
    /// An empty organisation.
    pub fn new(org: OrgConfig) -> Self {
        Directory {
            org,
            databases: Vec::new(),
            slots: Vec::new(),
            by_guid: FastMap::default(),
            keys: FastMap::default(),
            proxies: FastMap::default(),
            dns: FastMap::default(),
            accounts: FastMap::default(),
            reports: OnceLock::new(),
            live: 0,
            next_rid: 1104,
            throttling: ThrottlingPolicy::default(),
        }
    }

    /// The throttling policy every account is subject to (Exchange's default global policy).
    pub fn throttling_policy(&self) -> &ThrottlingPolicy {
        &self.throttling
    }

    /// The throttling policy, for changes.
    pub fn throttling_policy_mut(&mut self) -> &mut ThrottlingPolicy {
        &mut self.throttling
    }

    /// Makes room for `additional` more recipients (bulk loads avoid rehashing as they grow).
    pub fn reserve(&mut self, additional: usize) {
        self.slots.reserve(additional);
        self.by_guid.reserve(additional);
        self.keys.reserve(additional * 10);
        self.proxies.reserve(additional * 2);
        self.dns.reserve(additional);
        self.accounts.reserve(additional * 2);
    }

    /// The organisation settings.
    pub fn org(&self) -> &OrgConfig {
        &self.org
    }

    /// How many recipients (of every kind, plain users included) exist.
    pub fn len(&self) -> usize {
        self.live
    }

    /// Whether the directory holds no recipient.
    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    /// Every recipient, in creation order.
    pub fn iter(&self) -> impl Iterator<Item = &Recipient> {
        self.slots.iter().flatten()
    }

    /// The recipient with this GUID.
    pub fn get(&self, guid: Uuid) -> Option<&Recipient> {
        self.by_guid
            .get(&guid)
            .and_then(|&i| self.slots.get(i))
            .and_then(Option::as_ref)
    }

    /// The mailbox databases.
    pub fn databases(&self) -> &[Database] {
        &self.databases
    }

    /// The database with this GUID.
    pub fn database(&self, guid: Uuid) -> Option<&Database> {
        self.databases.iter().find(|d| d.guid == guid)
    }

    /// Adds a mailbox database (a missing GUID is derived from its name, a missing server is the
    /// organisation's).
    pub fn add_database(&mut self, mut db: Database) -> Result<Uuid, DirectoryError> {
        if db.guid.is_nil() {
            db.guid = stable_guid(&format!("database:{}", db.name));
        }
        if db.server.is_empty() {
            db.server = self.org.server.clone();
        }
        if self.databases.iter().any(|d| d.guid == db.guid) {
            return Err(DirectoryError::GuidInUse(db.guid));
        }
        if self
            .databases
            .iter()
            .any(|d| d.name.eq_ignore_ascii_case(&db.name))
        {
            return Err(DirectoryError::ObjectExists {
                dn: format!("CN={},CN=Databases", db.name),
            });
        }
        let guid = db.guid;
        self.databases.push(db);
        Ok(guid)
    }

    /// Databases matching an identity: GUID, name (wildcards allowed).
    pub fn resolve_database(&self, identity: &str) -> Vec<&Database> {
        let identity = identity.trim();
        if let Ok(g) = Uuid::parse_str(identity.trim_matches(['{', '}'])) {
            return self.databases.iter().filter(|d| d.guid == g).collect();
        }
        self.databases
            .iter()
            .filter(|d| glob_match(identity, &d.name))
            .collect()
    }

    /// The canonical name of a recipient (`contoso.com/Users/Alice`), its `Identity`.
    pub fn canonical_name(&self, r: &Recipient) -> String {
        format!("{}/{}", self.ou_of(r), r.name)
    }

    /// The parent OU of a recipient, canonical.
    pub fn ou_of<'a>(&'a self, r: &'a Recipient) -> std::borrow::Cow<'a, str> {
        if r.ou.is_empty() {
            std::borrow::Cow::Owned(self.org.default_ou())
        } else {
            std::borrow::Cow::Borrowed(&r.ou)
        }
    }

    /// The DN of a recipient.
    pub fn dn(&self, r: &Recipient) -> String {
        format!(
            "CN={},{}",
            escape_rdn(&r.name),
            self.org.ou_dn(&self.ou_of(r))
        )
    }

    /// `DOMAIN\sam` of a user or group, the form mailbox permissions show.
    pub fn account_name(&self, r: &Recipient) -> Option<String> {
        let sam = r
            .account
            .as_ref()
            .map(|a| a.sam_account_name.as_str())
            .or_else(|| r.group.as_ref().map(|g| g.sam_account_name.as_str()))?;
        Some(format!("{}\\{}", self.org.netbios_name, sam))
    }

    /// Which recipient owns a proxy address (`smtp:x@y`, `x@y` means SMTP).
    pub fn proxy_owner(&self, address: &str) -> Option<&Recipient> {
        let key = proxy_key(address);
        self.proxies
            .get(&key)
            .and_then(|&i| self.slots.get(i))
            .and_then(Option::as_ref)
    }

    /// Recipients matching an identity the way Exchange's `*IdParameter` types resolve it: a GUID
    /// matches `objectGUID` (else a mailbox's `ExchangeGuid`); otherwise the text is compared (case-insensitively) with the DN,
    /// canonical name, name, display name, alias, `DOMAIN\sam`, sam, UPN, legacy DN and every proxy
    /// address; `*` is a wildcard over name, alias, display name and primary SMTP address. The result is
    /// every distinct match, in creation order.
    pub fn resolve(&self, identity: &str) -> Vec<Uuid> {
        let identity = identity.trim();
        if identity.is_empty() {
            return Vec::new();
        }
        if let Ok(g) = Uuid::parse_str(identity.trim_matches(['{', '}'])) {
            if let Some(r) = self.get(g) {
                return vec![r.guid];
            }
            // Mailbox identities also accept the mailbox (Exchange) GUID.
            return self
                .iter()
                .filter(|r| {
                    r.mailbox.as_ref().is_some_and(|m| m.exchange_guid == g)
                        || r.remote.as_ref().is_some_and(|m| m.exchange_guid == g)
                })
                .map(|r| r.guid)
                .collect();
        }
        if identity.contains('*') {
            return self
                .iter()
                .filter(|r| {
                    glob_match(identity, &r.name)
                        || glob_match(identity, &r.display_name)
                        || r.mail.as_ref().is_some_and(|m| {
                            glob_match(identity, &m.alias)
                                || m.primary_smtp().is_some_and(|p| glob_match(identity, p))
                        })
                })
                .map(|r| r.guid)
                .collect();
        }
        let mut slots: Vec<usize> = self
            .keys
            .get(&identity.to_lowercase())
            .map(Slots::to_vec)
            .unwrap_or_default();
        slots.sort_unstable();
        slots.dedup();
        slots
            .into_iter()
            .filter_map(|i| self.slots.get(i).and_then(Option::as_ref))
            .map(|r| r.guid)
            .collect()
    }

    /// Adds a recipient. Missing GUID, SID, legacy DN and primary address are derived; the DN,
    /// account names and every proxy address must be unique.
    pub fn insert(&mut self, mut r: Recipient) -> Result<Uuid, DirectoryError> {
        if r.guid.is_nil() {
            r.guid = stable_guid(&format!("recipient:{}", self.dn(&r).to_lowercase()));
        }
        if self.by_guid.contains_key(&r.guid) {
            return Err(DirectoryError::GuidInUse(r.guid));
        }
        if r.display_name.is_empty() {
            r.display_name = r.name.clone();
        }
        self.complete(&mut r)?;
        let prepared = self.prepare(&r);
        self.check_unique(&r, &prepared, None)?;
        let slot = self.slots.len();
        self.index(slot, prepared);
        self.by_guid.insert(r.guid, slot);
        let guid = r.guid;
        self.slots.push(Some(r));
        self.live += 1;
        Ok(guid)
    }

    /// Changes a recipient through `f`, then re-checks uniqueness and re-indexes it. Nothing changes
    /// when the result would clash.
    pub fn update(
        &mut self,
        guid: Uuid,
        f: impl FnOnce(&mut Recipient),
    ) -> Result<(), DirectoryError> {
        let slot = *self
            .by_guid
            .get(&guid)
            .ok_or(DirectoryError::NoSuchRecipient(guid))?;
        let old = self
            .slots
            .get(slot)
            .and_then(Option::as_ref)
            .ok_or(DirectoryError::NoSuchRecipient(guid))?;
        let mut new = old.clone();
        f(&mut new);
        new.guid = guid;
        self.complete(&mut new)?;
        let prepared = self.prepare(&new);
        self.check_unique(&new, &prepared, Some(slot))?;
        let old = self
            .slots
            .get_mut(slot)
            .and_then(Option::take)
            .ok_or(DirectoryError::NoSuchRecipient(guid))?;
        self.unindex(slot, &old);
        self.index(slot, prepared);
        if let Some(s) = self.slots.get_mut(slot) {
            *s = Some(new);
        }
        Ok(())
    }

    /// Deletes a recipient and every group membership, `ManagedBy`, forwarding and
    /// send-on-behalf link that points at it (AD removes linked attributes with the object).
    pub fn remove(&mut self, guid: Uuid) -> Option<Recipient> {
        let slot = self.by_guid.remove(&guid)?;
        let old = self.slots.get_mut(slot).and_then(Option::take)?;
        self.unindex(slot, &old);
        self.live -= 1;
        for r in self.slots.iter_mut().flatten() {
            if let Some(g) = r.group.as_mut() {
                g.members.retain(|m| *m != guid);
                g.managed_by.retain(|m| *m != guid);
            }
            if let Some(m) = r.mail.as_mut() {
                m.grant_send_on_behalf_to.retain(|m| *m != guid);
                m.moderated_by.retain(|m| *m != guid);
                m.accept_messages_only_from.retain(|m| *m != guid);
            }
            if let Some(mb) = r.mailbox.as_mut()
                && mb.forwarding_address == Some(guid)
            {
                mb.forwarding_address = None;
            }
        }
        Some(old)
    }

    /// The next free RID for a new account's SID.
    fn next_sid(&mut self) -> String {
        let sid = format!("{}-{}", self.org.domain_sid, self.next_rid);
        self.next_rid += 1;
        sid
    }

    /// Fills derived attributes: SID, legacy DN, the policy address, the database link check.
    fn complete(&mut self, r: &mut Recipient) -> Result<(), DirectoryError> {
        if let Some(a) = r.account.as_mut()
            && a.sid.is_empty()
        {
            a.sid = self.next_sid();
        }
        if let Some(mb) = r.mailbox.as_ref()
            && !self.databases.iter().any(|d| d.guid == mb.database)
        {
            return Err(DirectoryError::NoSuchDatabase(mb.database));
        }
        let guid = r.guid;
        if let Some(m) = r.mail.as_mut() {
            if m.legacy_exchange_dn.is_empty() {
                let short: String = m.alias.chars().take(8).collect();
                m.legacy_exchange_dn = format!(
                    "{}/cn=Recipients/cn={}-{}",
                    self.org.admin_group_dn(),
                    guid.simple(),
                    short
                );
            }
            if m.primary_smtp().is_none() && !r.kind.is_plain_user() {
                let addr = self.policy_address(&m.alias, Some(guid));
                m.email_addresses.insert(0, format!("SMTP:{addr}"));
            }
        }
        Ok(())
    }

    /// The sAMAccountName Exchange generates when none is given: `base` cut to AD's 20
    /// characters, and when that is taken, its end replaced by 1, 2, 3… (as Exchange does for
    /// long names that share their first 20 characters).
    pub fn generated_sam(&self, base: &str) -> String {
        let mut candidate: String = base.chars().take(20).collect();
        let mut n = 0u32;
        while self
            .accounts
            .contains_key(&format!("sam:{}", candidate.to_lowercase()))
        {
            n += 1;
            let suffix = n.to_string();
            candidate = base.chars().take(20 - suffix.len()).collect::<String>() + &suffix;
        }
        candidate
    }

    /// The address the default email address policy gives `alias`: `alias@domain`, or
    /// `alias2@domain`, `alias3@domain`… when taken by someone else.
    pub fn policy_address(&self, alias: &str, owner: Option<Uuid>) -> String {
        let mut n = 1u32;
        loop {
            let local = if n == 1 {
                alias.to_owned()
            } else {
                format!("{alias}{n}")
            };
            let addr = format!("{local}@{}", self.org.domain);
            match self.proxy_owner(&addr) {
                Some(r) if Some(r.guid) != owner => n += 1,
                _ => return addr,
            }
        }
    }

    /// Every index key of a recipient, computed once per write.
    fn prepare(&self, r: &Recipient) -> Prepared {
        let dn = self.dn(r).to_lowercase();
        let accounts = account_keys(
            r.account.as_ref(),
            r.group.as_ref().map(|g| &g.sam_account_name),
        );
        let proxies = r
            .mail
            .as_ref()
            .map(|m| {
                proxy_strings(m)
                    .into_iter()
                    .map(|a| (proxy_key(&a), a))
                    .collect()
            })
            .unwrap_or_default();
        let identity = self.identity_keys(r, dn.clone());
        Prepared {
            dn,
            accounts,
            proxies,
            identity,
        }
    }

    fn check_unique(
        &self,
        r: &Recipient,
        p: &Prepared,
        own: Option<usize>,
    ) -> Result<(), DirectoryError> {
        let other = |slot: Option<&usize>| slot.is_some_and(|s| Some(*s) != own);
        if other(self.dns.get(&p.dn)) {
            return Err(DirectoryError::ObjectExists { dn: self.dn(r) });
        }
        for name in &p.accounts {
            if other(self.accounts.get(name)) {
                return Err(DirectoryError::AccountNameInUse { name: name.clone() });
            }
        }
        for (key, address) in &p.proxies {
            if let Some(&slot) = self.proxies.get(key)
                && Some(slot) != own
            {
                let owner = self
                    .slots
                    .get(slot)
                    .and_then(Option::as_ref)
                    .map(|o| self.canonical_name(o))
                    .unwrap_or_default();
                return Err(DirectoryError::ProxyAddressInUse {
                    address: address.clone(),
                    owner,
                });
            }
        }
        Ok(())
    }

    fn identity_keys(&self, r: &Recipient, dn_lower: String) -> Vec<String> {
        let mut keys = Vec::with_capacity(12);
        keys.push(r.name.to_lowercase());
        keys.push(dn_lower);
        keys.push(self.canonical_name(r).to_lowercase());
        if !r.display_name.is_empty() {
            keys.push(r.display_name.to_lowercase());
        }
        if let Some(a) = r.account.as_ref() {
            let sam = a.sam_account_name.to_lowercase();
            keys.push(format!("{}\\{sam}", self.org.netbios_name.to_lowercase()));
            keys.push(sam);
            if !a.user_principal_name.is_empty() {
                keys.push(a.user_principal_name.to_lowercase());
            }
        }
        if let Some(g) = r.group.as_ref()
            && !g.sam_account_name.is_empty()
        {
            keys.push(g.sam_account_name.to_lowercase());
        }
        if let Some(m) = r.mail.as_ref() {
            keys.push(m.alias.to_lowercase());
            keys.push(m.legacy_exchange_dn.to_lowercase());
            for p in &m.email_addresses {
                let lower = p.to_lowercase();
                if let Some(addr) = lower.strip_prefix("smtp:") {
                    keys.push(addr.to_owned());
                }
                keys.push(lower);
            }
        }
        keys.retain(|k| !k.is_empty());
        keys.sort_unstable();
        keys.dedup();
        keys
    }

    /// The recipients whose manager is `manager`, in directory order.
    pub fn direct_reports(&self, manager: Uuid) -> &[Uuid] {
        let reports = self.reports.get_or_init(|| {
            let mut map: FastMap<Uuid, Vec<Uuid>> = FastMap::default();
            for r in self.iter() {
                if let Some(m) = r.person.manager {
                    map.entry(m).or_default().push(r.guid);
                }
            }
            map
        });
        reports.get(&manager).map_or(&[], Vec::as_slice)
    }

    fn index(&mut self, slot: usize, p: Prepared) {
        self.reports = OnceLock::new();
        self.dns.insert(p.dn, slot);
        for k in p.identity {
            match self.keys.get_mut(&k) {
                Some(slots) => slots.push(slot),
                None => {
                    self.keys.insert(k, Slots::One(slot));
                }
            }
        }
        for name in p.accounts {
            self.accounts.insert(name, slot);
        }
        for (key, _) in p.proxies {
            self.proxies.insert(key, slot);
        }
    }

    fn unindex(&mut self, slot: usize, r: &Recipient) {
        self.reports = OnceLock::new();
        let dn_lower = self.dn(r).to_lowercase();
        self.dns.remove(&dn_lower);
        for k in self.identity_keys(r, dn_lower) {
            if let Some(v) = self.keys.get_mut(&k)
                && v.remove(slot)
            {
                self.keys.remove(&k);
            }
        }
        for name in account_keys(
            r.account.as_ref(),
            r.group.as_ref().map(|g| &g.sam_account_name),
        ) {
            if self.accounts.get(&name) == Some(&slot) {
                self.accounts.remove(&name);
            }
        }
        if let Some(m) = r.mail.as_ref() {
            for p in proxy_strings(m) {
                let key = proxy_key(&p);
                if self.proxies.get(&key) == Some(&slot) {
                    self.proxies.remove(&key);
                }
            }
        }
    }

    /// Whether an OU (canonical name) exists: the domain root, the default container, a declared
    /// OU, or an OU (or parent of an OU) that holds a recipient.
    pub fn ou_exists(&self, ou: &str) -> bool {
        let want = ou.trim_end_matches('/').to_lowercase();
        let under = |o: &str| {
            let o = o.to_lowercase();
            o == want || o.starts_with(&format!("{want}/"))
        };
        want == self.org.domain.to_lowercase()
            || under(&self.org.default_ou())
            || self.org.organizational_units.iter().any(|o| under(o))
            || self.iter().any(|r| under(&self.ou_of(r)))
    }

    /// The mailbox count per database, for automatic mailbox distribution.
    pub fn mailbox_counts(&self) -> HashMap<Uuid, usize> {
        let mut counts: HashMap<Uuid, usize> = self.databases.iter().map(|d| (d.guid, 0)).collect();
        for r in self.iter() {
            if let Some(mb) = r.mailbox.as_ref() {
                *counts.entry(mb.database).or_default() += 1;
            }
        }
        counts
    }

    /// The database automatic mailbox distribution picks: the least used one not excluded.
    pub fn pick_database(&self) -> Option<Uuid> {
        let counts = self.mailbox_counts();
        self.databases
            .iter()
            .filter(|d| !d.is_excluded_from_provisioning)
            .min_by_key(|d| counts.get(&d.guid).copied().unwrap_or(0))
            .map(|d| d.guid)
    }
}

/// The index keys of one recipient.
struct Prepared {
    /// Lower-cased DN.
    dn: String,
    /// Account-name uniqueness keys.
    accounts: Vec<String>,
    /// (uniqueness key, address as written).
    proxies: Vec<(String, String)>,
    /// Identity-resolution keys.
    identity: Vec<String>,
}

/// The slots one identity key points at; almost always one, so no vector for it.
#[derive(Debug, Clone)]
enum Slots {
    One(usize),
    Many(Vec<usize>),
}

impl Slots {
    fn push(&mut self, slot: usize) {
        match self {
            Slots::One(first) => *self = Slots::Many(vec![*first, slot]),
            Slots::Many(v) => v.push(slot),
        }
    }

    /// Removes `slot`; true when nothing is left.
    fn remove(&mut self, slot: usize) -> bool {
        match self {
            Slots::One(s) => *s == slot,
            Slots::Many(v) => {
                v.retain(|s| *s != slot);
                match v.as_slice() {
                    [] => true,
                    [one] => {
                        *self = Slots::One(*one);
                        false
                    }
                    _ => false,
                }
            }
        }
    }

    fn to_vec(&self) -> Vec<usize> {
        match self {
            Slots::One(s) => vec![*s],
            Slots::Many(v) => v.clone(),
        }
    }
}

/// The uniqueness keys of an account: sam and UPN.
fn account_keys(account: Option<&Account>, group_sam: Option<&String>) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(a) = account {
        out.push(format!("sam:{}", a.sam_account_name.to_lowercase()));
        if !a.user_principal_name.is_empty() {
            out.push(format!("upn:{}", a.user_principal_name.to_lowercase()));
        }
    }
    if let Some(s) = group_sam
        && !s.is_empty()
    {
        out.push(format!("sam:{}", s.to_lowercase()));
    }
    out
}

/// The proxy addresses that must be unique: every `EmailAddresses` entry and the legacy DN (as
/// `X500:`).
fn proxy_strings(m: &MailAttributes) -> Vec<String> {
    let mut v: Vec<String> = m.email_addresses.clone();
    if !m.legacy_exchange_dn.is_empty() {
        v.push(format!("X500:{}", m.legacy_exchange_dn));
    }
    v
}

/// The uniqueness key of a proxy address: lower-case `type:address`, SMTP when no prefix.
pub fn proxy_key(address: &str) -> String {
    match address.split_once(':') {
        Some((prefix, rest)) if !prefix.is_empty() && !prefix.contains('@') => {
            format!("{}:{}", prefix.to_lowercase(), rest.to_lowercase())
        }
        _ => format!("smtp:{}", address.to_lowercase()),
    }
}

/// A GUID derived from text (FNV-1a, 128 bits, version 4 / RFC 4122 variant bits set), so seeds
/// without GUIDs load the same every time.
pub fn stable_guid(text: &str) -> Uuid {
    let mut h: u128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d;
    for b in text.bytes() {
        h ^= u128::from(b);
        h = h.wrapping_mul(0x0000_0000_0100_0000_0000_0000_0000_013B);
    }
    uuid::Builder::from_u128(h)
        .with_variant(uuid::Variant::RFC4122)
        .with_version(uuid::Version::Random)
        .into_uuid()
}

/// Case-insensitive match with `*` wildcards.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.to_lowercase().chars().collect();
    let t: Vec<char> = text.to_lowercase().chars().collect();
    let (mut pi, mut ti) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some('*') => {
                star = Some((pi, ti));
                pi += 1;
            }
            Some(c) if Some(c) == t.get(ti) => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    pi = sp + 1;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    p.get(pi..)
        .is_some_and(|rest| rest.iter().all(|c| *c == '*'))
}

/// Whether a recipient kind can be the target of Get-Mailbox and friends.
pub fn kind_in(kind: RecipientTypeDetails, set: &[RecipientTypeDetails]) -> bool {
    set.contains(&kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ou_dn_and_back() {
        let org = OrgConfig::default();
        assert_eq!(org.ou_dn("contoso.com/Users"), "CN=Users,DC=contoso,DC=com");
        assert_eq!(
            org.ou_dn("contoso.com/Corp/Sales"),
            "OU=Sales,OU=Corp,DC=contoso,DC=com"
        );
        assert_eq!(
            org.dn_to_canonical("CN=Bob\\, Jr,OU=Sales,DC=contoso,DC=com")
                .as_deref(),
            Some("contoso.com/Sales/Bob, Jr")
        );
    }

    #[test]
    fn glob() {
        assert!(glob_match("al*", "Alice"));
        assert!(glob_match("*ce", "Alice"));
        assert!(glob_match("a*i*e", "Alice"));
        assert!(!glob_match("b*", "Alice"));
        assert!(glob_match("*", ""));
    }

    #[test]
    fn proxy_keys() {
        assert_eq!(proxy_key("Alice@Contoso.com"), "smtp:alice@contoso.com");
        assert_eq!(
            proxy_key("SMTP:Alice@Contoso.com"),
            "smtp:alice@contoso.com"
        );
        assert_eq!(proxy_key("X500:/o=A"), "x500:/o=a");
    }

    #[test]
    fn stable_guids_differ_and_repeat() {
        assert_eq!(stable_guid("a"), stable_guid("a"));
        assert_ne!(stable_guid("a"), stable_guid("b"));
        assert_eq!(stable_guid("a").get_version_num(), 4);
    }
}
