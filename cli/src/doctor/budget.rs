//! `exchange.throttling`: the account's throttling budgets, read rather than spent. The
//! account's policy association names its policy (or none: the organization's default
//! applies); the policy's PowerShell budgets are then compared with what the caller's pool
//! needs. Reading takes two Get- cmdlets in the session doctor already holds.

use monosync_exchange::clixml::PsValue;
use monosync_exchange::exchange::{Command, CommandResult, Session, SessionError};

use super::interrupt::Interrupt;
use super::report::Check;
use crate::output::value_text;

const ID: &str = "exchange.throttling";
const ASSOCIATION: &str = "Get-ThrottlingPolicyAssociation";
const POLICY: &str = "Get-ThrottlingPolicy";

/// One `Unlimited<UInt32>` budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Budget {
    /// No limit.
    Unlimited,
    /// At most this many.
    Limited(u32),
}

impl Budget {
    /// Reads a property as Exchange sends it: `Unlimited` or a number, as text or as a
    /// number; `$null` (Exchange 2010's "unthrottled") is Unlimited.
    fn of(obj: &PsValue, name: &str) -> Option<Budget> {
        let value = obj.property(name)?;
        if value.is_nil() {
            return Some(Budget::Unlimited);
        }
        let text = value_text(value);
        let text = text.trim();
        if text.eq_ignore_ascii_case("Unlimited") {
            Some(Budget::Unlimited)
        } else {
            text.parse::<u32>().ok().map(Budget::Limited)
        }
    }

    /// Whether it is a limit below `n`.
    fn below(self, n: usize) -> bool {
        matches!(self, Budget::Limited(b) if (b as usize) < n)
    }
}

impl std::fmt::Display for Budget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Budget::Unlimited => f.write_str("Unlimited"),
            Budget::Limited(n) => write!(f, "{n}"),
        }
    }
}

/// The PowerShell budgets of one policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Budgets {
    /// The policy's name.
    pub(crate) policy: String,
    /// `PowerShellMaxConcurrency`: shells at once.
    pub(crate) concurrency: Budget,
    /// `PowerShellMaxCmdlets` per `PowerShellMaxCmdletsTimePeriod` seconds.
    pub(crate) cmdlets: (Budget, Budget),
    /// `PowerShellMaxDestructiveCmdlets` per `PowerShellMaxDestructiveCmdletsTimePeriod`.
    pub(crate) destructive: (Budget, Budget),
    /// `PowerShellMaxRunspaces` per `PowerShellMaxRunspacesTimePeriod`.
    pub(crate) runspaces: (Budget, Budget),
}

impl Budgets {
    fn read(policy: &PsValue) -> Result<Budgets, String> {
        let get = |name: &str| {
            Budget::of(policy, name).ok_or_else(|| format!("the policy has no readable {name}"))
        };
        Ok(Budgets {
            policy: policy.property("Name").map(value_text).unwrap_or_default(),
            concurrency: get("PowerShellMaxConcurrency")?,
            cmdlets: (
                get("PowerShellMaxCmdlets")?,
                get("PowerShellMaxCmdletsTimePeriod")?,
            ),
            destructive: (
                get("PowerShellMaxDestructiveCmdlets")?,
                get("PowerShellMaxDestructiveCmdletsTimePeriod")?,
            ),
            runspaces: (
                get("PowerShellMaxRunspaces")?,
                get("PowerShellMaxRunspacesTimePeriod")?,
            ),
        })
    }

    fn summary(&self) -> String {
        let period = |t: Budget| match t {
            Budget::Unlimited => "Unlimited".to_owned(),
            Budget::Limited(t) => format!("{t} s"),
        };
        format!(
            "PowerShellMaxConcurrency {}, PowerShellMaxCmdlets {} (PowerShellMaxCmdletsTimePeriod {}), PowerShellMaxDestructiveCmdlets {} (PowerShellMaxDestructiveCmdletsTimePeriod {}), PowerShellMaxRunspaces {} (PowerShellMaxRunspacesTimePeriod {})",
            self.concurrency,
            self.cmdlets.0,
            period(self.cmdlets.1),
            self.destructive.0,
            period(self.destructive.1),
            self.runspaces.0,
            period(self.runspaces.1)
        )
    }

    /// What a pool of `sessions` cannot do within these budgets.
    pub(crate) fn shortfalls(&self, sessions: usize) -> Vec<String> {
        let mut out = Vec::new();
        if self.concurrency.below(sessions) {
            out.push(format!(
                "PowerShellMaxConcurrency {} is below the {sessions} sessions the pool opens (--max-sessions): its last sessions will be refused",
                self.concurrency
            ));
        } else if self.concurrency == Budget::Limited(sessions as u32) {
            out.push(format!(
                "PowerShellMaxConcurrency {} leaves no shell beyond the pool's {sessions}: an administrator's session, or a shell still being deleted, gets the pool refused",
                self.concurrency
            ));
        }
        if self.runspaces.0.below(sessions) {
            out.push(format!(
                "PowerShellMaxRunspaces {} per {} s is below the pool's {sessions} sessions: reopening them (after idling or a recycle) will be refused",
                self.runspaces.0, self.runspaces.1
            ));
        }
        if self.cmdlets.0.below(sessions) {
            out.push(format!(
                "PowerShellMaxCmdlets {} per {} s is below one command per pool session",
                self.cmdlets.0, self.cmdlets.1
            ));
        }
        out
    }
}

fn bare_user(user: &str) -> &str {
    let bare = user.rsplit('\\').next().unwrap_or(user);
    bare.split('@').next().unwrap_or(bare)
}

/// How to let the account read its policy.
fn grant_read(user: &str) -> String {
    let bare = bare_user(user);
    format!(
        "let the account read it: Add-RoleGroupMember \"View-Only Organization Management\" -Member {bare}, or assign a custom role holding only {POLICY} and {ASSOCIATION} (New-ManagementRole \"Throttling Readers\" -Parent \"View-Only Configuration\"; keep those two entries; New-ManagementRoleAssignment -Role \"Throttling Readers\" -User {bare}). To measure instead, --shell-probe N opens shells (see its help)"
    )
}

fn raise_fix(user: &str, policy: &str) -> String {
    let bare = bare_user(user);
    format!(
        "give the account a policy with room for the pool and its administrators: New-ThrottlingPolicy \"Provisioning\" -ThrottlingPolicyScope Regular -PowerShellMaxConcurrency <n> (and -PowerShellMaxRunspaces / -PowerShellMaxCmdlets as needed), then Set-ThrottlingPolicyAssociation -Identity {bare} -ThrottlingPolicy \"Provisioning\" (it now uses {policy}); or lower the pool's max_sessions"
    )
}

fn is_command_not_found(result: &CommandResult) -> bool {
    result.errors.iter().any(|e| {
        e.exception_type()
            .is_some_and(|t| t.ends_with("CommandNotFoundException"))
            || e.fully_qualified_error_id()
                .is_some_and(|id| id.starts_with("CommandNotFoundException"))
    })
}

fn first_error(result: &CommandResult) -> Option<String> {
    result.errors.first().map(crate::output::error_line)
}

/// A command's result, a terminating error counting as its error record.
fn outcome(r: Result<CommandResult, SessionError>) -> Result<CommandResult, SessionError> {
    match r {
        Err(SessionError::Pipeline(failure)) => {
            let mut partial = failure.partial.clone();
            if let Some(record) = failure.record.clone() {
                partial.errors.push(record);
            }
            Ok(partial)
        }
        other => other,
    }
}

/// What reading the budget came to; `None` when Ctrl-C interrupted it.
pub(crate) async fn check(
    session: &mut Session,
    user: &str,
    sessions: usize,
    interrupt: &mut Interrupt,
) -> Option<Check> {
    let association = interrupt
        .guard(session.invoke(Command::new(ASSOCIATION).param("Identity", user)))
        .await?;
    let association = match outcome(association) {
        Ok(r) => r,
        Err(e) => {
            return Some(Check::warn(
                ID,
                format!("{ASSOCIATION} failed ({e}); the budget was not read"),
                "rerun later; on the server, Get-ThrottlingPolicyAssociation -Identity <account> | Get-ThrottlingPolicy shows it",
            ));
        }
    };
    if is_command_not_found(&association) {
        return Some(Check::warn(
            ID,
            format!(
                "{user}'s RBAC roles do not grant {ASSOCIATION} (CommandNotFound): its throttling policy cannot be read, so the budgets were not checked"
            ),
            grant_read(user),
        ));
    }
    // An account with no policy of its own has an empty ThrottlingPolicyId: the
    // organization's default applies. An account doctor cannot name (a logon the directory
    // spells differently) falls back to the default too, and says so.
    let mut note = String::new();
    let policy_id = match association.output.first() {
        Some(a) => a
            .property("ThrottlingPolicyId")
            .filter(|v| !v.is_nil())
            .map(value_text)
            .filter(|s| !s.trim().is_empty()),
        None => {
            let why = first_error(&association).unwrap_or_else(|| "no association".into());
            note = format!(
                " (the account's association could not be read: {why}; assuming the default policy)"
            );
            None
        }
    };
    let mut command = Command::new(POLICY);
    if let Some(id) = &policy_id {
        command = command.param("Identity", id.as_str());
    }
    let policies = interrupt.guard(session.invoke(command)).await?;
    let policies = match outcome(policies) {
        Ok(r) => r,
        Err(e) => {
            return Some(Check::warn(
                ID,
                format!("{POLICY} failed ({e}); the budget was not read"),
                "rerun later; on the server, Get-ThrottlingPolicy shows the policies",
            ));
        }
    };
    if is_command_not_found(&policies) {
        return Some(Check::warn(
            ID,
            format!(
                "{user}'s RBAC roles do not grant {POLICY} (CommandNotFound): its throttling policy cannot be read, so the budgets were not checked"
            ),
            grant_read(user),
        ));
    }
    let Some(policy) = pick_policy(&policies, policy_id.is_some()) else {
        return Some(Check::warn(
            ID,
            format!(
                "{POLICY} returned no policy{}",
                first_error(&policies)
                    .map(|e| format!(": {e}"))
                    .unwrap_or_default()
            ),
            "on the server, Get-ThrottlingPolicy | Format-List Name,ThrottlingPolicyScope,PowerShell* shows them",
        ));
    };
    let budgets = match Budgets::read(policy) {
        Ok(b) => b,
        Err(why) => {
            return Some(Check::warn(
                ID,
                format!("{why}; the budget was not checked"),
                "on the server, Get-ThrottlingPolicy | Format-List PowerShell* shows it",
            ));
        }
    };
    let whose = if policy_id.is_some() {
        "the account's own policy"
    } else {
        "the default policy (the account has none of its own)"
    };
    let detail = format!("{} is {whose}{note}: {}", budgets.policy, budgets.summary());
    let short = budgets.shortfalls(sessions);
    Some(if short.is_empty() {
        Check::pass(
            ID,
            format!("{detail}; a pool of {sessions} session(s) fits"),
        )
    } else {
        Check::warn(
            ID,
            format!("{detail}. {}", short.join("; ")),
            raise_fix(user, &budgets.policy),
        )
    })
}

/// The policy that applies: the one asked for by id, else the organization's default
/// (scope Organization), else the global one.
fn pick_policy(result: &CommandResult, by_id: bool) -> Option<&PsValue> {
    if by_id {
        return result.output.first();
    }
    let scope = |p: &&PsValue, want: &str| {
        p.property("ThrottlingPolicyScope")
            .map(value_text)
            .is_some_and(|s| s.eq_ignore_ascii_case(want))
    };
    result
        .output
        .iter()
        .find(|p| scope(p, "Organization"))
        .or_else(|| result.output.iter().find(|p| scope(p, "Global")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn budgets(concurrency: Budget, runspaces: Budget) -> Budgets {
        Budgets {
            policy: "P".into(),
            concurrency,
            cmdlets: (Budget::Unlimited, Budget::Unlimited),
            destructive: (Budget::Limited(10), Budget::Limited(60)),
            runspaces: (runspaces, Budget::Limited(60)),
        }
    }

    #[test]
    fn shortfalls_compare_the_budgets_with_the_pool() {
        let roomy = budgets(Budget::Limited(18), Budget::Unlimited);
        assert!(roomy.shortfalls(2).is_empty());
        assert!(roomy.summary().contains(
            "PowerShellMaxDestructiveCmdlets 10 (PowerShellMaxDestructiveCmdletsTimePeriod 60 s)"
        ));
        let tight = budgets(Budget::Limited(2), Budget::Limited(1));
        let short = tight.shortfalls(2);
        assert_eq!(short.len(), 2, "{short:?}");
        assert!(short[0].contains("leaves no shell"), "{short:?}");
        assert!(
            short[1].contains("PowerShellMaxRunspaces 1 per 60 s"),
            "{short:?}"
        );
        assert!(tight.shortfalls(3)[0].contains("below the 3 sessions"));
    }

    #[test]
    fn budgets_read_unlimited_numbers_and_null() {
        let obj = PsValue::object(monosync_exchange::clixml::PsObject {
            adapted: vec![
                monosync_exchange::clixml::Property::new("A", PsValue::from("Unlimited")),
                monosync_exchange::clixml::Property::new("B", PsValue::from("18")),
                monosync_exchange::clixml::Property::new("C", PsValue::U32(7)),
                monosync_exchange::clixml::Property::new("D", PsValue::Nil),
                monosync_exchange::clixml::Property::new("E", PsValue::from("many")),
            ],
            ..Default::default()
        });
        assert_eq!(Budget::of(&obj, "A"), Some(Budget::Unlimited));
        assert_eq!(Budget::of(&obj, "B"), Some(Budget::Limited(18)));
        assert_eq!(Budget::of(&obj, "C"), Some(Budget::Limited(7)));
        assert_eq!(Budget::of(&obj, "D"), Some(Budget::Unlimited));
        assert_eq!(Budget::of(&obj, "E"), None);
        assert_eq!(Budget::of(&obj, "F"), None);
    }
}
