//! Exchange: a runspace pool on `/PowerShell` (configuration Microsoft.Exchange), whether the
//! account's RBAC puts Enable-Mailbox in its runspace, and how many more shells the account
//! may open before the throttling budget refuses one.

use monosync_exchange::exchange::{
    Command, CommandResult, Endpoint, Session, SessionError, SessionOptions,
};
use monosync_exchange::transport::TransportOptions;

use super::hints;
use super::report::{Check, Report};
use super::target::Url;

/// The cmdlet whose availability tells whether the account can provision mailboxes.
const PROVISIONING_CMDLET: &str = "Enable-Mailbox";

/// Exchange's default PowerShellMaxConcurrency: shells one user may hold at once.
const DEFAULT_BUDGET: u32 = 18;

/// Fewer spare shells than this is a warning: a sync run plus an administrator's session
/// would exhaust them.
const LOW_HEADROOM: u32 = 3;

fn fault_or_error(e: &SessionError) -> String {
    match e.fault() {
        Some(f) => f.message.as_deref().unwrap_or(&f.reason).trim().to_owned(),
        None => e.to_string(),
    }
}

fn endpoint_fix(e: &SessionError, user: &str) -> String {
    match e.fault() {
        Some(f) if hints::is_access_denied(f) => hints::group_membership(user),
        Some(f) if hints::is_shell_quota(f) => hints::SHELL_QUOTA.to_owned(),
        Some(f) if f.soap_subcode.as_deref() == Some("DestinationUnreachable") => {
            "this URL does not serve the Microsoft.Exchange configuration: use http(s)://<server>/PowerShell/ (or --exchange-url)".to_owned()
        }
        _ => "check Exchange's PowerShell virtual directory (Get-PowerShellVirtualDirectory) and the MSExchangePowerShellAppPool application pool".to_owned(),
    }
}

/// `exchange.endpoint`, `exchange.rbac` and `exchange.throttling`.
pub(crate) async fn checks(
    url: &Url,
    opts: &TransportOptions,
    shell_probe: u32,
    report: &mut Report,
) {
    let user = opts.credentials.username.clone();
    let options = SessionOptions::new(opts.clone(), Endpoint::Exchange);
    let mut session = match Session::connect(options.clone()).await {
        Ok(s) => s,
        Err(e) => {
            report.push(Check::fail(
                "exchange.endpoint",
                format!(
                    "no runspace pool on {}: {}",
                    url.render(),
                    fault_or_error(&e)
                ),
                endpoint_fix(&e, &user),
            ));
            report.push(Check::skip("exchange.rbac", "needs the Exchange endpoint"));
            report.push(Check::skip(
                "exchange.throttling",
                "needs the Exchange endpoint",
            ));
            return;
        }
    };
    report.push(Check::pass(
        "exchange.endpoint",
        format!(
            "runspace pool opened on {} (Microsoft.Exchange)",
            url.render()
        ),
    ));
    let rbac = session
        .invoke(Command::new("Get-Command").param("Name", PROVISIONING_CMDLET))
        .await;
    report.push(rbac_check(&user, rbac));
    if let Err(e) = session.close().await {
        report.push(Check::warn(
            "exchange.throttling",
            format!("closing the first session failed ({e}); headroom not measured"),
            hints::SHELL_QUOTA,
        ));
        return;
    }
    report.push(throttling(&options, shell_probe).await);
}

fn names_cmdlet(result: &CommandResult) -> bool {
    result.output.iter().any(|o| {
        o.property("Name")
            .and_then(|n| n.as_str())
            .is_some_and(|n| n.eq_ignore_ascii_case(PROVISIONING_CMDLET))
    })
}

fn not_found_target(result: &CommandResult) -> Option<String> {
    result
        .errors
        .iter()
        .find(|e| {
            e.exception_type()
                .is_some_and(|t| t.ends_with("CommandNotFoundException"))
        })
        .map(|e| {
            e.category_info()
                .and_then(|c| c.target_name)
                .unwrap_or_default()
        })
}

fn rbac_check(user: &str, result: Result<CommandResult, SessionError>) -> Check {
    let bare = user.rsplit('\\').next().unwrap_or(user);
    let bare = bare.split('@').next().unwrap_or(bare);
    let fix = format!(
        "add the account to a role group that grants the Mail Recipient Creation role: Add-RoleGroupMember \"Recipient Management\" -Member {bare}"
    );
    let result = match result {
        Ok(r) => r,
        // A terminating failure carries what it produced until then.
        Err(SessionError::Pipeline(failure)) => {
            let mut partial = failure.partial.clone();
            if let Some(record) = failure.record.clone() {
                partial.errors.push(record);
            }
            partial
        }
        Err(e) => {
            return Check::warn(
                "exchange.rbac",
                format!("Get-Command failed ({e}); RBAC could not be determined"),
                "run Get-ManagementRoleAssignment -RoleAssignee <user> on the server",
            );
        }
    };
    if names_cmdlet(&result) {
        return Check::pass(
            "exchange.rbac",
            format!("{PROVISIONING_CMDLET} is in {user}'s runspace"),
        );
    }
    match not_found_target(&result) {
        Some(target) if target.eq_ignore_ascii_case("Get-Command") => Check::warn(
            "exchange.rbac",
            "the endpoint does not allow Get-Command; RBAC could not be determined",
            "run Get-ManagementRoleAssignment -RoleAssignee <user> on the server",
        ),
        _ => Check::fail(
            "exchange.rbac",
            format!(
                "{PROVISIONING_CMDLET} is not in {user}'s runspace (CommandNotFound): its role assignments do not grant it"
            ),
            fix,
        ),
    }
}

/// Opens shells one at a time, up to `limit`, until the server refuses one, then closes them
/// all. The count is what the account could still open on top of what it holds elsewhere.
async fn throttling(options: &SessionOptions, limit: u32) -> Check {
    if limit == 0 {
        return Check::skip("exchange.throttling", "not measured (--shell-probe 0)");
    }
    let mut open: Vec<Session> = Vec::new();
    let mut stopped: Option<SessionError> = None;
    // Ctrl-C ends the probe early, but the shells opened so far are still closed.
    let interrupt = tokio::signal::ctrl_c();
    tokio::pin!(interrupt);
    let mut interrupted = false;
    while u32::try_from(open.len()).unwrap_or(u32::MAX) < limit {
        tokio::select! {
            connected = Session::connect(options.clone()) => match connected {
                Ok(s) => open.push(s),
                Err(e) => {
                    stopped = Some(e);
                    break;
                }
            },
            _ = &mut interrupt => {
                interrupted = true;
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
    if interrupted {
        let closed = if leftover.is_empty() {
            ", all closed again"
        } else {
            leftover.as_str()
        };
        return Check::skip(
            "exchange.throttling",
            format!("interrupted after opening {opened} more shell(s){closed}"),
        );
    }
    match stopped {
        None => Check::pass(
            "exchange.throttling",
            format!(
                "opened and closed {opened} more shells without reaching the budget (Exchange's default is {DEFAULT_BUDGET} per user){leftover}"
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
                Check::fail("exchange.throttling", detail, hints::SHELL_QUOTA)
            } else if opened < LOW_HEADROOM {
                Check::warn("exchange.throttling", detail, hints::SHELL_QUOTA)
            } else {
                Check::pass("exchange.throttling", detail)
            }
        }
        Some(e) => Check::warn(
            "exchange.throttling",
            format!(
                "opened {opened} more shell(s), then: {}{leftover}",
                fault_or_error(&e)
            ),
            "rerun later; if it persists, check the server's event log (MSExchange Management)",
        ),
    }
}
