//! Fault injection: a [`FaultPlan`] names, per WS-Management operation, which occurrences get
//! which fault (drop the connection, HTTP 500 or 503, a delay, a truncated body, a corrupt PSRP
//! fragment, a broken runspace, an expired authentication context).

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use serde::{Deserialize, Serialize};

/// What happens to a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
#[non_exhaustive]
pub enum FaultAction {
    /// Close the TCP connection without answering.
    Drop,
    /// Answer HTTP 500 with an empty body, without running the request.
    Http500,
    /// Answer HTTP 503 (Service Unavailable), without running the request.
    Http503,
    /// Wait this long before handling the request (past the client's timeout to test it).
    Delay {
        /// Milliseconds.
        ms: u64,
    },
    /// Run the request but send only the first half of the response body.
    TruncatedBody,
    /// Run the request but flip bytes inside the base64 stream data of the response.
    CorruptFragment,
    /// Break the shell's runspace pool before handling the request (as a crashed worker).
    BreakRunspace,
    /// Forget the connection's security context and answer 401, as after an application pool
    /// recycle.
    ExpireAuth,
}

/// One rule: occurrences `nth` to `nth + count - 1` (1-based) of `operation` get `action`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultRule {
    /// `Auth` (an authentication leg without a body), `Create`, `Command`, `Send`, `Receive`,
    /// `Signal`, `Delete`, or `*` for any request that carries a body.
    pub operation: String,
    /// The first occurrence affected, counted from 1.
    #[serde(default = "one")]
    pub nth: u64,
    /// How many occurrences in a row.
    #[serde(default = "one")]
    pub count: u64,
    /// The fault.
    pub action: FaultAction,
}

/// The operation name of an authentication leg.
pub(crate) const AUTH: &str = "Auth";

fn one() -> u64 {
    1
}

/// A list of rules; the first matching rule wins.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultPlan {
    /// The rules, in order.
    pub rules: Vec<FaultRule>,
}

impl FaultPlan {
    /// Reads a plan from JSON (`{"rules":[{"operation":"Receive","nth":2,"action":{"kind":"http503"}}]}`).
    pub fn from_json(json: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(json)
    }
}

/// The plan in force and the per-operation counters.
#[derive(Debug, Default)]
pub(crate) struct FaultState {
    plan: Mutex<FaultPlan>,
    seen: Mutex<HashMap<String, u64>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl FaultState {
    pub(crate) fn new(plan: FaultPlan) -> Self {
        FaultState {
            plan: Mutex::new(plan),
            seen: Mutex::new(HashMap::new()),
        }
    }

    /// Replaces the plan and restarts the counters.
    pub(crate) fn set(&self, plan: FaultPlan) {
        *lock(&self.plan) = plan;
        lock(&self.seen).clear();
    }

    /// Counts one request of `operation` and returns the fault for it, if any.
    ///
    /// Authentication legs are counted apart from `*`: how many legs a logon takes depends on
    /// the mechanism, and `*` counts WS-Management requests.
    pub(crate) fn next(&self, operation: &str) -> Option<FaultAction> {
        let counts_as_any = operation != AUTH;
        let (n_op, n_any) = {
            let mut seen = lock(&self.seen);
            let op = {
                let c = seen.entry(operation.to_owned()).or_insert(0);
                *c += 1;
                *c
            };
            let any = if counts_as_any {
                let c = seen.entry("*".to_owned()).or_insert(0);
                *c += 1;
                Some(*c)
            } else {
                None
            };
            (op, any)
        };
        lock(&self.plan).rules.iter().find_map(|r| {
            let n = if r.operation == "*" {
                n_any?
            } else if r.operation.eq_ignore_ascii_case(operation) {
                n_op
            } else {
                return None;
            };
            (n >= r.nth && n < r.nth.saturating_add(r.count)).then(|| r.action.clone())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(operation: &str, nth: u64, count: u64, action: FaultAction) -> FaultRule {
        FaultRule {
            operation: operation.into(),
            nth,
            count,
            action,
        }
    }

    #[test]
    fn rules_target_occurrences_of_one_operation() {
        let state = FaultState::new(FaultPlan {
            rules: vec![rule("receive", 2, 2, FaultAction::Http503)],
        });
        assert_eq!(state.next("Receive"), None);
        assert_eq!(state.next("Command"), None);
        assert_eq!(state.next("Receive"), Some(FaultAction::Http503));
        assert_eq!(state.next("Receive"), Some(FaultAction::Http503));
        assert_eq!(state.next("Receive"), None);
    }

    #[test]
    fn auth_legs_have_their_own_phase_and_do_not_count_as_any() {
        let state = FaultState::new(FaultPlan {
            rules: vec![
                rule("Auth", 2, 1, FaultAction::ExpireAuth),
                rule("*", 2, 1, FaultAction::Drop),
            ],
        });
        assert_eq!(state.next(AUTH), None);
        assert_eq!(state.next(AUTH), Some(FaultAction::ExpireAuth));
        assert_eq!(state.next(AUTH), None);
        // The two legs above did not move the `*` counter: the second body request is hit.
        assert_eq!(state.next("Create"), None);
        assert_eq!(state.next("Command"), Some(FaultAction::Drop));
    }

    #[test]
    fn the_first_matching_rule_wins_and_set_restarts_the_counters() {
        let state = FaultState::new(FaultPlan {
            rules: vec![
                rule("Signal", 1, 1, FaultAction::TruncatedBody),
                rule("*", 1, 5, FaultAction::CorruptFragment),
            ],
        });
        assert_eq!(state.next("Signal"), Some(FaultAction::TruncatedBody));
        assert_eq!(state.next("Signal"), Some(FaultAction::CorruptFragment));
        state.set(FaultPlan {
            rules: vec![rule("Delete", 1, 1, FaultAction::Delay { ms: 5 })],
        });
        assert_eq!(state.next("Delete"), Some(FaultAction::Delay { ms: 5 }));
        assert_eq!(state.next("Delete"), None);
    }

    #[test]
    fn every_kind_reads_from_json() {
        let plan = FaultPlan::from_json(
            r#"{"rules":[
                {"operation":"Auth","action":{"kind":"expire_auth"}},
                {"operation":"Create","nth":2,"count":3,"action":{"kind":"truncated_body"}},
                {"operation":"Command","action":{"kind":"corrupt_fragment"}},
                {"operation":"Receive","action":{"kind":"break_runspace"}},
                {"operation":"Signal","action":{"kind":"delay","ms":1500}},
                {"operation":"Delete","action":{"kind":"http500"}},
                {"operation":"*","action":{"kind":"http503"}},
                {"operation":"*","action":{"kind":"drop"}}
            ]}"#,
        )
        .expect("plan");
        let actions: Vec<FaultAction> = plan.rules.iter().map(|r| r.action.clone()).collect();
        assert_eq!(
            actions,
            [
                FaultAction::ExpireAuth,
                FaultAction::TruncatedBody,
                FaultAction::CorruptFragment,
                FaultAction::BreakRunspace,
                FaultAction::Delay { ms: 1500 },
                FaultAction::Http500,
                FaultAction::Http503,
                FaultAction::Drop,
            ]
        );
        assert_eq!((plan.rules[1].nth, plan.rules[1].count), (2, 3));
        assert_eq!((plan.rules[0].nth, plan.rules[0].count), (1, 1));
    }
}
