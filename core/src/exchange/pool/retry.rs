//! When a failed command may be sent again, and how long to wait first.
//!
//! Running a command twice is harmless only when it reads. A command that changes state is
//! re-sent only when it surely never reached the server; once it was sent and the answer was
//! lost, its outcome is unknown and the caller must look before trying again. The decision is
//! pure (no clock, no randomness of its own), so it is tested without a server.

use std::time::Duration;

use rand::Rng;

use crate::command::invocation::Invocation;
use crate::error::SessionError;
use crate::error::kind::ErrorKind;
use crate::transport::{TimeoutPhase, TransportError};

/// Verbs whose cmdlets only read. Exchange names every cmdlet `Verb-Noun`; anything else
/// (Set, New, Enable, Add, Remove, Disable, Update, ...) is taken to change state.
const READ_ONLY_VERBS: [&str; 2] = ["Get", "Test"];

/// How failed commands are retried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included; 1 turns retries off.
    pub max_attempts: u32,
    /// Wait before the first retry after a transient failure; it doubles with each attempt.
    pub base_delay: Duration,
    /// Wait before the first retry after the server said it is throttling: longer than
    /// `base_delay`, because a budget refills in seconds, not milliseconds.
    pub throttle_delay: Duration,
    /// The longest single wait, however many attempts came before.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    /// Three attempts, 200 ms then 400 ms after transient failures, 2 s then 4 s after
    /// throttling, never more than 30 s.
    fn default() -> Self {
        RetryPolicy {
            max_attempts: crate::option_table::DEFAULT_RETRY_ATTEMPTS,
            base_delay: Duration::from_millis(200),
            throttle_delay: Duration::from_secs(2),
            max_delay: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// The wait before retry number `retry` (1 for the first) after a failure of `kind`:
    /// exponential and capped, with "equal jitter" (half fixed, half random) so that many
    /// callers throttled together do not come back together, yet none comes back at once.
    pub fn backoff(&self, kind: ErrorKind, retry: u32, rng: &mut impl Rng) -> Duration {
        let base = if kind == ErrorKind::Throttled {
            self.throttle_delay
        } else {
            self.base_delay
        };
        let factor = 1u32 << retry.saturating_sub(1).min(16);
        let full = base.saturating_mul(factor).min(self.max_delay);
        let half = full / 2;
        let jitter_ms = u64::try_from(half.as_millis()).unwrap_or(u64::MAX);
        let extra = if jitter_ms == 0 {
            0
        } else {
            rng.gen_range(0..=jitter_ms)
        };
        half + Duration::from_millis(extra)
    }

    /// The wait before retry number `retry` after `error`: the wait the server stated when it
    /// refused for throttling (Exchange names the milliseconds until its budget has room),
    /// plus up to a tenth more so that callers refused together spread out; otherwise
    /// [`RetryPolicy::backoff`]. A stated wait is honoured even beyond `max_delay`: retrying
    /// sooner would only spend an attempt on a certain refusal.
    pub fn delay(&self, error: &SessionError, retry: u32, rng: &mut impl Rng) -> Duration {
        match error.stated_wait() {
            Some(stated) => {
                let spread = u64::try_from((stated / 10).as_millis()).unwrap_or(u64::MAX);
                stated + Duration::from_millis(rng.gen_range(0..=spread))
            }
            None => self.backoff(error.kind(), retry, rng),
        }
    }
}

/// How far a failed command got, which decides whether sending it again is safe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// The command surely never ran: no connection, no shell, the server refused the request
    /// before running it (HTTP 503, a WS-Management fault), or the failure came before the
    /// command was sent.
    NotSent,
    /// The command was sent and then the connection or the answer failed: it may have run.
    Unknown,
    /// The command ran and the server reported how it ended (a terminating error).
    Answered,
}

/// What to do with a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Send it again (after the backoff).
    Retry,
    /// Give the error to the caller as it is.
    Fail,
    /// Give the caller [`SessionError::OutcomeUnknown`] around the error.
    OutcomeUnknown,
}

/// Whether every command of `invocation` only reads (`Get-*`, `Test-*`), so that running it
/// twice changes nothing. Scripts count as changing state: their text says nothing reliable.
pub fn is_read_only(invocation: &Invocation) -> bool {
    match invocation {
        Invocation::Pipeline(commands) => {
            !commands.is_empty()
                && commands
                    .iter()
                    .all(|c| !c.is_script && read_only_name(&c.name))
        }
        Invocation::Spec(spec) => {
            !spec.statements.is_empty()
                && spec
                    .statements
                    .iter()
                    .flatten()
                    .all(|c| !c.is_script && read_only_name(&c.name))
        }
    }
}

fn read_only_name(name: &str) -> bool {
    match name.trim().split_once('-') {
        Some((verb, noun)) => {
            !noun.is_empty() && READ_ONLY_VERBS.iter().any(|v| verb.eq_ignore_ascii_case(v))
        }
        None => false,
    }
}

/// Whether `error`, met before the command was accepted, proves the request never ran on
/// the server: it could not connect or authenticate, or the server refused without running
/// it. A lost connection or an unreadable answer proves nothing.
pub fn never_delivered(error: &SessionError) -> bool {
    match error {
        SessionError::Transport(t) => match t {
            TransportError::Config(_)
            | TransportError::Resolve { .. }
            | TransportError::Connect { .. }
            | TransportError::TlsExpired { .. }
            | TransportError::TlsWrongName { .. }
            | TransportError::TlsUntrusted { .. }
            | TransportError::TlsPinMismatch { .. }
            | TransportError::TlsRejected { .. }
            | TransportError::Tls(_)
            | TransportError::Auth { .. }
            | TransportError::Kerberos(_)
            | TransportError::Keytab(_) => true,
            // 503: IIS or the application pool refused before Exchange saw the request.
            TransportError::Http { status, .. } => matches!(*status, 401 | 403 | 503),
            TransportError::Timeout { phase } => {
                matches!(phase, TimeoutPhase::Connect | TimeoutPhase::TlsHandshake)
            }
            _ => false,
        },
        // The WS-Management layer refused the request; nothing was created or run.
        SessionError::Fault(_) => true,
        SessionError::Closed | SessionError::InAsyncContext | SessionError::StreamOpen => true,
        _ => false,
    }
}

/// The policy's verdict on attempt number `attempt` (1 for the first) of a command that
/// failed with `kind`, given how far it got and whether it only reads.
pub fn decide(
    policy: &RetryPolicy,
    kind: ErrorKind,
    delivery: Delivery,
    read_only: bool,
    attempt: u32,
) -> Decision {
    let attempts_left = attempt < policy.max_attempts;
    match delivery {
        // A terminating error is the server's answer; only "throttled, not done" invites a
        // second try.
        Delivery::Answered if kind == ErrorKind::Throttled && attempts_left => Decision::Retry,
        Delivery::Answered => Decision::Fail,
        Delivery::NotSent if kind.is_retryable() && attempts_left => Decision::Retry,
        Delivery::NotSent => Decision::Fail,
        Delivery::Unknown if read_only => {
            if kind.is_retryable() && attempts_left {
                Decision::Retry
            } else {
                Decision::Fail
            }
        }
        // The caller stopped it on purpose; the kind already says its outcome is open.
        Delivery::Unknown if kind == ErrorKind::Cancelled => Decision::Fail,
        Delivery::Unknown => Decision::OutcomeUnknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchange::Command;
    use crate::psrp::command::{self as psrp_command, PowerShellSpec};
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    #[test]
    fn read_only_means_get_or_test_for_every_command() {
        let ro = |c: Command| is_read_only(&c.into());
        assert!(ro(Command::new("Get-Mailbox")));
        assert!(ro(Command::new("get-recipient")));
        assert!(ro(Command::new("Test-MAPIConnectivity")));
        assert!(!ro(Command::new("Set-Mailbox")));
        assert!(!ro(Command::new("Enable-Mailbox")));
        assert!(!ro(Command::new("Remove-MailboxPermission")));
        assert!(!ro(Command::new("Update-Recipient")));
        assert!(!ro(Command::new("Getter-Thing")));
        assert!(!ro(Command::new("Get-")));
        assert!(!ro(Command::new("Get")));
        let mut script = Command::new("Get-Mailbox | Set-Mailbox -HiddenFromAddressListsEnabled");
        script.is_script = true;
        assert!(!ro(script));
        let piped: Invocation =
            vec![Command::new("Get-Mailbox"), Command::new("Set-Mailbox")].into();
        assert!(!is_read_only(&piped));
        let both: Invocation = vec![Command::new("Get-Mailbox"), Command::new("Get-User")].into();
        assert!(is_read_only(&both));
        assert!(!is_read_only(&Invocation::Pipeline(Vec::new())));
        let spec: Invocation =
            PowerShellSpec::new(psrp_command::Command::new("Get-MailboxDatabase")).into();
        assert!(is_read_only(&spec));
        let spec: Invocation =
            PowerShellSpec::new(psrp_command::Command::new("New-MailContact")).into();
        assert!(!is_read_only(&spec));
    }

    fn http(status: u16) -> SessionError {
        SessionError::Transport(TransportError::Http {
            status,
            body: Vec::new(),
        })
    }

    #[test]
    fn only_refusals_prove_non_delivery() {
        assert!(never_delivered(&SessionError::Transport(
            TransportError::Connect {
                attempts: Vec::new()
            }
        )));
        assert!(never_delivered(&http(503)));
        assert!(!never_delivered(&http(502)));
        assert!(!never_delivered(&http(500)));
        assert!(!never_delivered(&SessionError::Transport(
            TransportError::Io("connection lost after the request was sent".into())
        )));
        assert!(never_delivered(&SessionError::Transport(
            TransportError::Timeout {
                phase: TimeoutPhase::Connect
            }
        )));
        assert!(!never_delivered(&SessionError::Transport(
            TransportError::Timeout {
                phase: TimeoutPhase::Read
            }
        )));
        assert!(!never_delivered(&SessionError::CommandEndedEarly));
    }

    #[test]
    fn outcome_unknown_has_its_own_kind_and_keeps_the_cause() {
        let e = SessionError::OutcomeUnknown(Box::new(SessionError::Transport(
            TransportError::Io("connection lost after the request was sent".into()),
        )));
        assert_eq!(e.kind(), ErrorKind::OutcomeUnknown);
        assert!(!e.kind().is_retryable());
        assert!(e.to_string().contains("connection lost"), "{e}");
        assert!(!never_delivered(&e));
    }

    #[test]
    fn state_changes_are_never_repeated_once_sent() {
        let p = RetryPolicy::default();
        for kind in [
            ErrorKind::Transient,
            ErrorKind::Timeout,
            ErrorKind::Protocol,
        ] {
            assert_eq!(
                decide(&p, kind, Delivery::Unknown, false, 1),
                Decision::OutcomeUnknown
            );
        }
        assert_eq!(
            decide(&p, ErrorKind::Cancelled, Delivery::Unknown, false, 1),
            Decision::Fail
        );
        assert_eq!(
            decide(&p, ErrorKind::Transient, Delivery::NotSent, false, 1),
            Decision::Retry
        );
        assert_eq!(
            decide(&p, ErrorKind::Throttled, Delivery::NotSent, false, 2),
            Decision::Retry
        );
        assert_eq!(
            decide(&p, ErrorKind::Throttled, Delivery::NotSent, false, 3),
            Decision::Fail
        );
        assert_eq!(
            decide(&p, ErrorKind::Auth, Delivery::NotSent, false, 1),
            Decision::Fail
        );
    }

    #[test]
    fn reads_are_retried_on_retryable_kinds_up_to_the_limit() {
        let p = RetryPolicy::default();
        assert_eq!(
            decide(&p, ErrorKind::Transient, Delivery::Unknown, true, 1),
            Decision::Retry
        );
        assert_eq!(
            decide(&p, ErrorKind::Timeout, Delivery::Unknown, true, 2),
            Decision::Retry
        );
        assert_eq!(
            decide(&p, ErrorKind::Timeout, Delivery::Unknown, true, 3),
            Decision::Fail
        );
        assert_eq!(
            decide(&p, ErrorKind::Protocol, Delivery::Unknown, true, 1),
            Decision::Fail
        );
        assert_eq!(
            decide(&p, ErrorKind::NotFound, Delivery::Answered, true, 1),
            Decision::Fail
        );
        assert_eq!(
            decide(&p, ErrorKind::Throttled, Delivery::Answered, false, 1),
            Decision::Retry
        );
    }

    #[test]
    fn a_stated_wait_is_honoured_with_a_little_spread_and_no_cap() {
        let policy = RetryPolicy::default();
        let mut rng = StdRng::seed_from_u64(7);
        let record = crate::psrp::messages::ErrorRecord::new(
            &["System.Management.Automation.Remoting.PSRemotingTransportException"],
            "The WS-Management service cannot process the request. The user load quota of 150 \
             requests per 10 seconds has been exceeded. Send future requests at a slower rate or \
             raise the quota for this user. The next request from this user will not be approved \
             for at least 45000 milliseconds.",
            "PSRemotingTransportException",
            crate::psrp::messages::CategoryInfo {
                category: 21,
                activity: Some("Get-Mailbox".into()),
                reason: None,
                target_name: None,
                target_type: None,
                message: None,
            },
            None,
        );
        let error = SessionError::Pipeline(Box::new(crate::error::PipelineFailure {
            state: crate::psrp::PSInvocationState::Failed,
            record: Some(record),
            partial: crate::command::CommandResult::default(),
        }));
        assert_eq!(error.kind(), ErrorKind::Throttled);
        for retry in 1..=4 {
            let wait = policy.delay(&error, retry, &mut rng);
            assert!(wait >= Duration::from_millis(45_000), "{wait:?}");
            assert!(wait <= Duration::from_millis(49_500), "{wait:?}");
        }
        // Without a stated wait: the backoff.
        let plain = SessionError::Closed;
        let mut a = StdRng::seed_from_u64(9);
        let mut b = StdRng::seed_from_u64(9);
        assert_eq!(
            policy.delay(&plain, 2, &mut a),
            policy.backoff(plain.kind(), 2, &mut b)
        );
    }

    #[test]
    fn backoff_grows_is_capped_and_jittered() {
        let p = RetryPolicy {
            max_attempts: 10,
            base_delay: Duration::from_millis(100),
            throttle_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(5),
        };
        let mut rng = StdRng::seed_from_u64(7);
        for retry in 1..=10 {
            let full = Duration::from_millis(100 * (1 << (retry - 1))).min(p.max_delay);
            let d = p.backoff(ErrorKind::Transient, retry, &mut rng);
            assert!(d >= full / 2 && d <= full, "retry {retry}: {d:?}");
            let full = Duration::from_secs(1 << (retry - 1)).min(p.max_delay);
            let d = p.backoff(ErrorKind::Throttled, retry, &mut rng);
            assert!(d >= full / 2 && d <= full, "retry {retry}: {d:?}");
        }
        let spread: std::collections::HashSet<Duration> = (0..20)
            .map(|_| p.backoff(ErrorKind::Throttled, 3, &mut rng))
            .collect();
        assert!(spread.len() > 10, "jitter spreads the waits: {spread:?}");
        assert!(p.backoff(ErrorKind::Transient, u32::MAX, &mut rng) <= p.max_delay);
    }
}
