//! The cmdlet budgets of the user throttling policy, per user: PowerShellMaxCmdlets per
//! PowerShellMaxCmdletsTimePeriod and PowerShellMaxDestructiveCmdlets per
//! PowerShellMaxDestructiveCmdletsTimePeriod, each a sliding window of invocation times.
//!
//! Time comes in as milliseconds, so that the arithmetic is the same under the system clock and
//! a fixed one. A pipeline is admitted or refused as a whole, before anything runs; an admitted
//! pipeline charges every command it names once, however many objects flow through it.

use std::collections::{HashMap, VecDeque};

use super::throttling::ThrottlingPolicy;

/// Above this share of a budget, in percent, an admitted cmdlet carries the micro-delay warning.
const MICRO_DELAY_PERCENT: u64 = 80;

/// Which budget refused a pipeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BudgetKind {
    /// PowerShellMaxCmdlets per PowerShellMaxCmdletsTimePeriod.
    Cmdlets,
    /// PowerShellMaxDestructiveCmdlets per PowerShellMaxDestructiveCmdletsTimePeriod.
    Destructive,
}

/// A pipeline the budget refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OverBudget {
    /// The budget spent.
    pub kind: BudgetKind,
    /// Its invocations per period.
    pub limit: u32,
    /// Its period, seconds.
    pub period_secs: u32,
    /// Milliseconds until the window has room for the pipeline (at least 1).
    pub wait_ms: u64,
}

/// What an admitted pipeline was told.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Admitted {
    /// Micro-delay warnings: the user is above [`MICRO_DELAY_PERCENT`] of a budget. Each is the
    /// pace, in milliseconds per cmdlet, that keeps the user within that budget.
    pub micro_delays_ms: Vec<u64>,
}

/// One sliding window: when each invocation within the last `period` happened.
#[derive(Debug, Clone, Default)]
struct Window {
    stamps: VecDeque<i64>,
}

/// A budget of `limit` invocations per `period_ms`.
#[derive(Debug, Clone, Copy)]
struct Limit {
    kind: BudgetKind,
    limit: u32,
    period_secs: u32,
}

impl Limit {
    /// The budget, when both its count and its period are set (Unlimited either way is no budget).
    fn of(kind: BudgetKind, limit: Option<u32>, period_secs: Option<u32>) -> Option<Self> {
        Some(Limit {
            kind,
            limit: limit?,
            period_secs: period_secs?,
        })
    }

    fn period_ms(self) -> i64 {
        i64::from(self.period_secs) * 1000
    }
}

impl Window {
    /// Forgets invocations that left the window.
    fn expire(&mut self, limit: Limit, now_ms: i64) {
        while self
            .stamps
            .front()
            .is_some_and(|&t| t + limit.period_ms() <= now_ms)
        {
            self.stamps.pop_front();
        }
    }

    /// Whether `count` more invocations fit now; if not, the wait until they do.
    fn check(&self, limit: Limit, count: usize, now_ms: i64) -> Result<(), OverBudget> {
        let cap = usize::try_from(limit.limit).unwrap_or(usize::MAX);
        let held = self.stamps.len();
        if held + count <= cap {
            return Ok(());
        }
        // The invocation that must leave the window before `count` more fit; a pipeline larger
        // than the whole budget waits a full period (and is refused again).
        let must_leave = (held + count).saturating_sub(cap).saturating_sub(1);
        let leaves_at = match self.stamps.get(must_leave) {
            Some(&t) if count <= cap => t + limit.period_ms(),
            _ => now_ms + limit.period_ms(),
        };
        Err(OverBudget {
            kind: limit.kind,
            limit: limit.limit,
            period_secs: limit.period_secs,
            wait_ms: u64::try_from(leaves_at - now_ms).unwrap_or(0).max(1),
        })
    }

    fn charge(&mut self, count: usize, now_ms: i64) {
        self.stamps.extend(std::iter::repeat_n(now_ms, count));
    }

    /// The micro delay after a charge: the pace that keeps the user within the budget, when the
    /// window holds more than [`MICRO_DELAY_PERCENT`] of it.
    fn micro_delay(&self, limit: Limit) -> Option<u64> {
        let held = u64::try_from(self.stamps.len()).unwrap_or(u64::MAX);
        let cap = u64::from(limit.limit);
        (cap > 0 && held * 100 > cap * MICRO_DELAY_PERCENT)
            .then(|| u64::from(limit.period_secs) * 1000 / cap)
    }
}

/// One user's windows.
#[derive(Debug, Clone, Default)]
struct UserWindows {
    cmdlets: Window,
    destructive: Window,
}

/// Every user's windows.
#[derive(Debug, Clone, Default)]
pub struct CmdletBudgets {
    users: HashMap<String, UserWindows>,
}

/// The WARNING an admitted cmdlet carries near a budget. Exchange's text starts
/// `Micro delay applied. Actual delayed: <X> msecs, Enforced`; the simulator never sleeps, so it
/// reports no delay, not enforced, and the pace that would keep the user within the budget as the
/// capped delay.
pub fn micro_delay_warning(pace_ms: u64) -> String {
    format!(
        "Micro delay applied. Actual delayed: 0 msecs, Enforced: False, Capped delay: {pace_ms} msecs"
    )
}

/// The text of a refusal: Exchange's WS-Management quota message.
pub fn over_budget_message(over: &OverBudget) -> String {
    format!(
        "The WS-Management service cannot process the request. The user load quota of {} requests per {} seconds has been exceeded. Send future requests at a slower rate or raise the quota for this user. The next request from this user will not be approved for at least {} milliseconds.",
        over.limit, over.period_secs, over.wait_ms
    )
}

/// Remove-* and Disable-* cmdlets: the ones Exchange's documentation calls destructive.
pub fn is_destructive(cmdlet: &str) -> bool {
    let verb = cmdlet.trim().split('-').next().unwrap_or_default();
    verb.eq_ignore_ascii_case("Remove") || verb.eq_ignore_ascii_case("Disable")
}

impl CmdletBudgets {
    /// Admits the pipeline of `cmdlets` for `user` at `now_ms` under `policy`, charging its
    /// budgets, or refuses it without charging anything.
    pub fn admit(
        &mut self,
        policy: &ThrottlingPolicy,
        user: &str,
        cmdlets: &[&str],
        now_ms: i64,
    ) -> Result<Admitted, OverBudget> {
        let all = Limit::of(
            BudgetKind::Cmdlets,
            policy.powershell_max_cmdlets,
            policy.powershell_max_cmdlets_time_period,
        );
        let destructive = Limit::of(
            BudgetKind::Destructive,
            policy.powershell_max_destructive_cmdlets,
            policy.powershell_max_destructive_cmdlets_time_period,
        );
        if all.is_none() && destructive.is_none() {
            return Ok(Admitted::default());
        }
        let windows = self.users.entry(user.to_ascii_lowercase()).or_default();
        let charges = [
            (all, &mut windows.cmdlets, cmdlets.len()),
            (
                destructive,
                &mut windows.destructive,
                cmdlets.iter().filter(|c| is_destructive(c)).count(),
            ),
        ];
        let mut enforced = Vec::new();
        for (limit, window, count) in charges {
            if let Some(limit) = limit {
                window.expire(limit, now_ms);
                if count > 0 {
                    enforced.push((limit, window, count));
                }
            }
        }
        for (limit, window, count) in &enforced {
            window.check(*limit, *count, now_ms)?;
        }
        let mut admitted = Admitted::default();
        for (limit, window, count) in enforced {
            window.charge(count, now_ms);
            admitted.micro_delays_ms.extend(window.micro_delay(limit));
        }
        Ok(admitted)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(cmdlets: Option<(u32, u32)>, destructive: Option<(u32, u32)>) -> ThrottlingPolicy {
        ThrottlingPolicy {
            powershell_max_cmdlets: cmdlets.map(|c| c.0),
            powershell_max_cmdlets_time_period: cmdlets.map(|c| c.1),
            powershell_max_destructive_cmdlets: destructive.map(|d| d.0),
            powershell_max_destructive_cmdlets_time_period: destructive.map(|d| d.1),
            ..ThrottlingPolicy::default()
        }
    }

    #[test]
    fn the_window_slides_and_states_the_wait_until_a_slot_frees() {
        let p = policy(Some((3, 10)), None);
        let mut b = CmdletBudgets::default();
        assert!(b.admit(&p, "alice", &["Get-Mailbox"], 0).is_ok());
        assert!(b.admit(&p, "alice", &["Get-Mailbox"], 2_000).is_ok());
        assert!(b.admit(&p, "alice", &["Get-User"], 4_000).is_ok());
        let refused = b.admit(&p, "alice", &["Get-User"], 5_000).expect_err("4th");
        assert_eq!(
            refused,
            OverBudget {
                kind: BudgetKind::Cmdlets,
                limit: 3,
                period_secs: 10,
                wait_ms: 5_000,
            }
        );
        // A refusal charges nothing: the first invocation leaves the window at 10 s.
        assert_eq!(
            b.admit(&p, "alice", &["Get-User"], 9_999)
                .expect_err("still full")
                .wait_ms,
            1
        );
        assert!(b.admit(&p, "alice", &["Get-User"], 10_000).is_ok());
        // Another user has a budget of their own; names are case-insensitive.
        assert!(b.admit(&p, "bob", &["Get-User"], 10_000).is_ok());
        assert!(b.admit(&p, "ALICE", &["Get-User"], 10_001).is_err());
    }

    #[test]
    fn a_pipeline_needs_room_for_every_command() {
        let p = policy(Some((3, 10)), None);
        let mut b = CmdletBudgets::default();
        assert!(b.admit(&p, "a", &["Get-Mailbox"], 0).is_ok());
        assert!(b.admit(&p, "a", &["Get-Mailbox"], 1_000).is_ok());
        // Two commands, one slot: the first invocation must leave.
        let refused = b
            .admit(&p, "a", &["Get-Mailbox", "Set-Mailbox"], 1_500)
            .expect_err("no room");
        assert_eq!(refused.wait_ms, 8_500);
        // Larger than the whole budget: a full period, every time.
        let refused = b
            .admit(
                &p,
                "a",
                &["Get-User", "Get-User", "Get-User", "Get-User"],
                20_000,
            )
            .expect_err("never fits");
        assert_eq!(refused.wait_ms, 10_000);
    }

    #[test]
    fn destructive_cmdlets_have_a_budget_of_their_own() {
        let p = policy(None, Some((2, 60)));
        let mut b = CmdletBudgets::default();
        for t in 0..5 {
            assert!(b.admit(&p, "a", &["Set-Mailbox"], t).is_ok());
        }
        assert!(b.admit(&p, "a", &["Remove-Mailbox"], 10).is_ok());
        assert!(b.admit(&p, "a", &["disable-mailbox"], 20).is_ok());
        let refused = b.admit(&p, "a", &["Remove-MailUser"], 30).expect_err("3rd");
        assert_eq!(refused.kind, BudgetKind::Destructive);
        assert_eq!((refused.limit, refused.period_secs), (2, 60));
        assert_eq!(refused.wait_ms, 60_000 + 10 - 30);
        assert!(b.admit(&p, "a", &["Get-Mailbox"], 40).is_ok());
        assert!(is_destructive("Remove-DistributionGroupMember"));
        assert!(!is_destructive("Removed-Thing") && !is_destructive("Set-Mailbox"));
    }

    #[test]
    fn a_refusal_by_one_budget_charges_neither() {
        let p = policy(Some((10, 10)), Some((1, 60)));
        let mut b = CmdletBudgets::default();
        assert!(b.admit(&p, "a", &["Remove-Mailbox"], 0).is_ok());
        assert!(b.admit(&p, "a", &["Remove-Mailbox"], 1).is_err());
        // 1 charged so far: eight more fit, the ninth too (10), the tenth does not.
        for t in 2..11 {
            assert!(b.admit(&p, "a", &["Get-User"], t).is_ok(), "{t}");
        }
        assert!(b.admit(&p, "a", &["Get-User"], 11).is_err());
    }

    #[test]
    fn micro_delays_start_above_four_fifths_of_a_budget() {
        let p = policy(Some((10, 5)), None);
        let mut b = CmdletBudgets::default();
        for t in 0..8 {
            let a = b.admit(&p, "a", &["Get-User"], t).expect("within");
            assert!(a.micro_delays_ms.is_empty(), "{t}");
        }
        let a = b.admit(&p, "a", &["Get-User"], 8).expect("9th");
        assert_eq!(a.micro_delays_ms, vec![500]);
        // Unlimited: no windows at all.
        let mut b = CmdletBudgets::default();
        let unlimited = ThrottlingPolicy::default();
        for t in 0..1000 {
            assert_eq!(
                b.admit(&unlimited, "a", &["Remove-Mailbox"], t),
                Ok(Admitted::default())
            );
        }
        assert!(b.users.is_empty());
    }
}
