//! The seed: a JSON document describing an organisation.
//!
//! ```json
//! {
//!   "org": { "domain": "contoso.com", "netbios_name": "CONTOSO", "server": "EX01", ... },
//!   "databases": [ { "name": "DB01", "guid": "…" } ],
//!   "recipients": [
//!     { "guid": "…", "type": "UserMailbox", "name": "Alice Jones", "ou": "contoso.com/Corp/Sales",
//!       "display_name": "Alice Jones",
//!       "person": { "first_name": "Alice", "last_name": "Jones", "department": "Sales" },
//!       "account": { "sam_account_name": "alice.jones", "user_principal_name": "alice.jones@contoso.com" },
//!       "mail": { "alias": "alice.jones", "email_addresses": ["SMTP:alice.jones@contoso.com"] },
//!       "mailbox": { "database": "<database guid>" },
//!       "when_created": 1650000000, "when_changed": 1650000000 }
//!   ],
//!   "role_groups": [ { "name": "Help Desk", "cmdlets": ["Get-*", "Set-User"] } ],
//!   "accounts": [ { "user": "administrator", "password": "P@ssw0rd!", "role_groups": ["Organization Management"] } ]
//! }
//! ```
//!
//! - `org`: [`OrgConfig`]; every field optional (defaults: `contoso.com`, `CONTOSO`, `EX01`, …).
//! - `databases`: [`Database`]; a missing `guid` is derived from the name.
//! - `recipients`: [`Recipient`], in creation order. `type` is the `RecipientTypeDetails`. The
//!   optional parts (`person`, `account`, `mail`, `mailbox`, `remote`, `group`) are present as the
//!   kind needs them: users have `account`, mail-enabled recipients `mail`, mailboxes `mailbox`
//!   (its `database` is a database GUID), remote mailboxes `remote`, groups `group` (its
//!   `members`/`managed_by` are recipient GUIDs). A missing `guid` is derived from the DN; missing
//!   SIDs, legacy DNs and primary addresses are derived too. Unknown fields are errors.
//! - `role_groups`: extra or redefined role groups (cmdlet patterns); the built-in ones are
//!   `Organization Management`, `Recipient Management`, `View-Only Organization Management`.
//! - `accounts`: [`SimAccount`]s the simulator authenticates, with their role groups.

use serde::{Deserialize, Serialize};

use super::directory::{Directory, OrgConfig};
use super::errors::SeedError;
use super::rbac::{Rbac, RoleGroup, SimAccount, default_role_groups};
use super::recipient::{Database, Recipient};

/// The seed document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct Seed {
    /// Organisation settings.
    pub org: OrgConfig,
    /// Mailbox databases.
    pub databases: Vec<Database>,
    /// Recipients, in creation order.
    pub recipients: Vec<Recipient>,
    /// Extra or redefined role groups.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub role_groups: Vec<RoleGroup>,
    /// Accounts.
    pub accounts: Vec<SimAccount>,
}

/// Parses and loads a seed.
pub fn load(json: &str) -> Result<(Directory, Rbac), SeedError> {
    let seed: Seed = serde_json::from_str(json)?;
    build(seed)
}

/// Loads a parsed seed.
pub fn build(seed: Seed) -> Result<(Directory, Rbac), SeedError> {
    let mut dir = Directory::new(seed.org);
    dir.reserve(seed.recipients.len());
    for (index, db) in seed.databases.into_iter().enumerate() {
        let name = db.name.clone();
        dir.add_database(db)
            .map_err(|source| SeedError::Directory {
                index,
                name,
                source,
            })?;
    }
    for (index, r) in seed.recipients.into_iter().enumerate() {
        let name = r.name.clone();
        dir.insert(r).map_err(|source| SeedError::Directory {
            index,
            name,
            source,
        })?;
    }
    for r in dir.iter() {
        if let Some(g) = r.group.as_ref() {
            for m in g.members.iter().chain(g.managed_by.iter()) {
                if dir.get(*m).is_none() {
                    return Err(SeedError::UnknownMember {
                        group: r.name.clone(),
                        member: m.to_string(),
                    });
                }
            }
        }
    }
    let mut known: Vec<String> = default_role_groups().into_iter().map(|g| g.name).collect();
    known.extend(seed.role_groups.iter().map(|g| g.name.clone()));
    for a in &seed.accounts {
        for g in &a.role_groups {
            if !known.iter().any(|k| k.eq_ignore_ascii_case(g)) {
                return Err(SeedError::UnknownRoleGroup {
                    account: a.user.clone(),
                    role_group: g.clone(),
                });
            }
        }
    }
    Ok((dir, Rbac::new(seed.role_groups, seed.accounts)))
}

/// The seed of a directory and its RBAC (derived values included), which loads back to the
/// same organisation.
pub fn dump(dir: &Directory, rbac: &Rbac) -> Seed {
    let defaults = default_role_groups();
    Seed {
        org: dir.org().clone(),
        databases: dir.databases().to_vec(),
        recipients: dir.iter().cloned().collect(),
        role_groups: rbac
            .role_groups()
            .iter()
            .filter(|g| !defaults.contains(g))
            .cloned()
            .collect(),
        accounts: rbac.accounts().to_vec(),
    }
}

impl Directory {
    /// Loads the directory part of a seed (accounts are checked but not kept; see
    /// [`super::Exchange::from_seed_json`]).
    pub fn from_seed_json(json: &str) -> Result<Directory, SeedError> {
        load(json).map(|(d, _)| d)
    }

    /// The directory as seed JSON (no accounts).
    pub fn to_seed_json(&self) -> Result<String, SeedError> {
        Ok(serde_json::to_string_pretty(&dump(self, &Rbac::default()))?)
    }
}

impl super::Exchange {
    /// The organisation as seed JSON, accounts included.
    pub fn to_seed_json(&self) -> Result<String, SeedError> {
        Ok(serde_json::to_string_pretty(&dump(
            self.directory(),
            self.rbac(),
        ))?)
    }
}
