//! Role-based access: which cmdlets each account may run.
//!
//! Exchange builds each user's remote runspace from their role assignments; cmdlets outside them do
//! not exist in that runspace, so calling one fails with `CommandNotFoundException`. Here a role
//! group is a named list of cmdlet patterns (`*` wildcards), and an account gets the union of its role
//! groups plus any cmdlets granted to it directly.

use serde::{Deserialize, Serialize};

use super::directory::glob_match;

/// A role group: a name and the cmdlet patterns it grants. An entry may restrict parameters:
/// `Set-Mailbox:Identity,Office,DisplayName`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleGroup {
    /// The role group name (`Organization Management`).
    pub name: String,
    /// Cmdlet names or patterns (`Get-*`).
    pub cmdlets: Vec<String>,
}

/// An account that may log in to the simulator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimAccount {
    /// The logon name (sAMAccountName); `DOMAIN\name` and `name@domain` also match it.
    pub user: String,
    /// The password the simulator's authentication accepts.
    pub password: String,
    /// Role groups the account is a member of.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub role_groups: Vec<String>,
    /// Cmdlets granted directly (a custom role assignment).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cmdlets: Vec<String>,
}

/// Every recipient cmdlet the simulator implements.
pub const RECIPIENT_CMDLETS: &[&str] = &[
    "Get-Mailbox",
    "Enable-Mailbox",
    "Disable-Mailbox",
    "New-Mailbox",
    "Set-Mailbox",
    "Remove-Mailbox",
    "Get-User",
    "Set-User",
    "Get-Recipient",
    "Update-Recipient",
    "Enable-RemoteMailbox",
    "Set-RemoteMailbox",
    "Get-RemoteMailbox",
    "Disable-RemoteMailbox",
    "New-MailContact",
    "Set-MailContact",
    "Get-MailContact",
    "Remove-MailContact",
    "Enable-MailUser",
    "Get-MailUser",
    "Disable-MailUser",
    "Get-DistributionGroup",
    "New-DistributionGroup",
    "Add-DistributionGroupMember",
    "Remove-DistributionGroupMember",
    "Get-DistributionGroupMember",
    "Add-MailboxPermission",
    "Remove-MailboxPermission",
    "Get-MailboxPermission",
    "Get-CASMailbox",
    "Set-CASMailbox",
    "Get-MailboxDatabase",
    "Set-ADServerSettings",
];

/// The built-in role groups: `Organization Management` (every cmdlet), `Recipient Management`
/// (the recipient cmdlets listed in [`RECIPIENT_CMDLETS`], as its Mail Recipients, Mail Recipient
/// Creation and Distribution Groups roles grant them), and `View-Only Organization Management`
/// (`Get-*` and `Set-ADServerSettings`).
pub fn default_role_groups() -> Vec<RoleGroup> {
    let recipient: Vec<String> = RECIPIENT_CMDLETS.iter().map(|c| (*c).to_owned()).collect();
    vec![
        RoleGroup {
            name: "Organization Management".into(),
            cmdlets: vec!["*".into()],
        },
        RoleGroup {
            name: "Recipient Management".into(),
            cmdlets: recipient,
        },
        RoleGroup {
            name: "View-Only Organization Management".into(),
            cmdlets: vec!["Get-*".into(), "Set-ADServerSettings".into()],
        },
    ]
}

/// Role groups and accounts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rbac {
    role_groups: Vec<RoleGroup>,
    accounts: Vec<SimAccount>,
}

impl Default for Rbac {
    fn default() -> Self {
        Rbac {
            role_groups: default_role_groups(),
            accounts: Vec::new(),
        }
    }
}

impl Rbac {
    /// Role groups (built-in ones first, unless a seed redefines them) and accounts.
    pub fn new(extra_groups: Vec<RoleGroup>, accounts: Vec<SimAccount>) -> Self {
        let mut role_groups = default_role_groups();
        for g in extra_groups {
            match role_groups
                .iter_mut()
                .find(|r| r.name.eq_ignore_ascii_case(&g.name))
            {
                Some(existing) => *existing = g,
                None => role_groups.push(g),
            }
        }
        Rbac {
            role_groups,
            accounts,
        }
    }

    /// The role groups.
    pub fn role_groups(&self) -> &[RoleGroup] {
        &self.role_groups
    }

    /// The accounts.
    pub fn accounts(&self) -> &[SimAccount] {
        &self.accounts
    }

    /// Adds or replaces an account.
    pub fn set_account(&mut self, account: SimAccount) {
        match self.find(&account.user).map(|a| a.user.clone()) {
            Some(user) => {
                if let Some(a) = self.accounts.iter_mut().find(|a| a.user == user) {
                    *a = account;
                }
            }
            None => self.accounts.push(account),
        }
    }

    /// The account a logon name means: `alice`, `CONTOSO\alice` or `alice@contoso.com`.
    pub fn find(&self, logon: &str) -> Option<&SimAccount> {
        let bare = logon
            .rsplit('\\')
            .next()
            .unwrap_or(logon)
            .split('@')
            .next()
            .unwrap_or(logon);
        self.accounts
            .iter()
            .find(|a| a.user.eq_ignore_ascii_case(bare))
    }

    /// The account, when the password matches.
    pub fn authenticate(&self, logon: &str, password: &str) -> Option<&SimAccount> {
        self.find(logon).filter(|a| a.password == password)
    }

    /// Whether the account may run `cmdlet`.
    pub fn allows(&self, logon: &str, cmdlet: &str) -> bool {
        self.grant(logon, cmdlet).is_some()
    }

    /// What the account may do with `cmdlet`: `None` = not granted, `Some(None)` = every
    /// parameter, `Some(Some(list))` = only those parameters (a role entry written
    /// `Set-Mailbox:Identity,Office`, as Exchange role entries restrict parameters).
    pub fn grant(&self, logon: &str, cmdlet: &str) -> Option<Option<Vec<String>>> {
        let account = self.find(logon)?;
        let mut entries: Vec<&String> = account.cmdlets.iter().collect();
        for name in &account.role_groups {
            for g in self
                .role_groups
                .iter()
                .filter(|g| g.name.eq_ignore_ascii_case(name))
            {
                entries.extend(g.cmdlets.iter());
            }
        }
        let mut params: Option<Vec<String>> = None;
        let mut granted = false;
        for entry in entries {
            let (pattern, list) = match entry.split_once(':') {
                Some((p, l)) => (p, Some(l)),
                None => (entry.as_str(), None),
            };
            if !glob_match(pattern.trim(), cmdlet) {
                continue;
            }
            match list {
                None => return Some(None),
                Some(l) => {
                    granted = true;
                    let v = params.get_or_insert_with(Vec::new);
                    v.extend(
                        l.split(',')
                            .map(str::trim)
                            .filter(|p| !p.is_empty())
                            .map(str::to_owned),
                    );
                }
            }
        }
        granted.then_some(params)
    }

    /// The implemented cmdlets the account may run.
    pub fn cmdlets_for(&self, logon: &str) -> Vec<&'static str> {
        RECIPIENT_CMDLETS
            .iter()
            .copied()
            .filter(|c| self.allows(logon, c))
            .collect()
    }
}
