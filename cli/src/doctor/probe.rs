//! `exchange.headroom`, opt-in (`--shell-probe N`): opens shells one after another, up to N,
//! until the server refuses one, then closes them all. The count is what the account could
//! still open on top of what it holds elsewhere. It spends the budget it measures: while the
//! probe holds its shells, the account's other clients (a provisioning service) can be
//! refused new sessions, so it never runs unless asked for.

use monosync_exchange::exchange::{Session, SessionError, SessionOptions};

use super::hints;
use super::interrupt::Interrupt;
use super::report::Check;

const ID: &str = "exchange.headroom";

/// Exchange's default PowerShellMaxConcurrency: shells one user may hold at once.
const DEFAULT_BUDGET: u32 = 18;

/// Fewer spare shells than this is a warning: a sync run plus an administrator's session
/// would exhaust them.
const LOW_HEADROOM: u32 = 3;

/// What the probe costs, for its help, its skip message and its warning.
pub(crate) const COST: &str = "each probe shell counts against the account's PowerShellMaxConcurrency while it is open, so the account's other clients may be refused new sessions during the probe";

/// The check when the probe was not asked for.
pub(crate) fn skipped() -> Check {
    Check::skip(
        ID,
        format!(
            "not measured: --shell-probe N opens up to N extra shells to find the headroom; {COST}"
        ),
    )
}

fn fault_or_error(e: &SessionError) -> String {
    match e.fault() {
        Some(f) => f.message.as_deref().unwrap_or(&f.reason).trim().to_owned(),
        None => e.to_string(),
    }
}

/// Runs the probe with at most `limit` shells.
pub(crate) async fn headroom(
    options: &SessionOptions,
    limit: u32,
    interrupt: &mut Interrupt,
) -> Check {
    let mut open: Vec<Session> = Vec::new();
    let mut stopped: Option<SessionError> = None;
    while u32::try_from(open.len()).unwrap_or(u32::MAX) < limit && !interrupt.fired() {
        let connect = Session::connect(options.clone());
        tokio::pin!(connect);
        let connected = match interrupt.guard(&mut connect).await {
            Some(c) => c,
            // Ctrl-C: the opening is finished, so that its shell is closed with the others
            // rather than left until the idle timeout.
            None => connect.await,
        };
        match connected {
            Ok(s) => open.push(s),
            Err(e) => {
                stopped = Some(e);
                break;
            }
        }
    }
    let opened = u32::try_from(open.len()).unwrap_or(u32::MAX);
    let mut close_failures = 0usize;
    for s in open {
        if s.close().await.is_err() {
            close_failures += 1;
        }
    }
    let leftover = if close_failures > 0 {
        format!("; {close_failures} could not be closed and will expire with the idle timeout")
    } else {
        String::new()
    };
    if interrupt.fired() {
        let closed = if leftover.is_empty() {
            ", all closed again"
        } else {
            leftover.as_str()
        };
        return Check::skip(
            ID,
            format!("interrupted after opening {opened} more shell(s){closed}"),
        );
    }
    match stopped {
        None => Check::pass(
            ID,
            format!(
                "opened and closed {opened} more shells one after another without reaching the budget (Exchange's default is {DEFAULT_BUDGET} per user){leftover}"
            ),
        ),
        Some(e) if e.fault().is_some_and(hints::is_shell_quota) => {
            let quota = e
                .fault()
                .and_then(hints::quota_of)
                .map(|q| format!(" of {q}"))
                .unwrap_or_default();
            let detail = format!(
                "the account can open {opened} more shell(s): the server refused the next one (budget{quota} reached){leftover}"
            );
            if opened == 0 {
                Check::fail(ID, detail, hints::SHELL_QUOTA)
            } else if opened < LOW_HEADROOM {
                Check::warn(ID, detail, hints::SHELL_QUOTA)
            } else {
                Check::pass(ID, detail)
            }
        }
        Some(e) => Check::warn(
            ID,
            format!(
                "opened {opened} more shell(s), then: {}{leftover}",
                fault_or_error(&e)
            ),
            "rerun later; if it persists, check the server's event log (MSExchange Management)",
        ),
    }
}
