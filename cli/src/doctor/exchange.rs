//! Exchange: a runspace pool on `/PowerShell` (configuration Microsoft.Exchange), whether the
//! account's RBAC puts Enable-Mailbox in its runspace, and its throttling budgets, read from
//! its throttling policy. One session serves every check and is closed before doctor goes on,
//! also after an error or Ctrl-C; the shell probe (opt-in) runs only after that.

use monosync_exchange::exchange::{
    Command, CommandResult, Endpoint, Session, SessionError, SessionOptions,
};
use monosync_exchange::transport::TransportOptions;

use super::interrupt::Interrupt;
use super::report::{Check, Report};
use super::target::Url;
use super::{budget, hints, probe};

/// The cmdlet whose availability tells whether the account can provision mailboxes.
const PROVISIONING_CMDLET: &str = "Enable-Mailbox";

/// The checks after `exchange.endpoint`, skipped together.
const LATER: [&str; 3] = ["exchange.rbac", "exchange.throttling", "exchange.headroom"];

/// What the Exchange checks are asked to do.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Plan {
    /// `--shell-probe`: shells the headroom probe may open; 0 skips it.
    pub(crate) shell_probe: u32,
    /// `--max-sessions`: the sessions the caller's pool holds.
    pub(crate) max_sessions: usize,
}

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

/// `exchange.endpoint`, `exchange.rbac`, `exchange.throttling` and `exchange.headroom`.
pub(crate) async fn checks(url: &Url, opts: &TransportOptions, plan: Plan, report: &mut Report) {
    let user = opts.credentials.username.clone();
    let options = SessionOptions::new(opts.clone(), Endpoint::Exchange);
    let mut interrupt = Interrupt::new();
    let connect = Session::connect(options.clone());
    tokio::pin!(connect);
    let connected = match interrupt.guard(&mut connect).await {
        Some(c) => c,
        // Ctrl-C while opening: the opening is finished so that its shell can be closed.
        None => connect.await,
    };
    let mut session = match connected {
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
            for id in LATER {
                report.push(Check::skip(id, "needs the Exchange endpoint"));
            }
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
    let reads = read_checks(&mut session, &user, plan, &mut interrupt).await;
    // Closed before anything else happens, whatever the reads came to.
    let closed = session.close().await;
    let interrupted = reads.len() < 2;
    report.checks.extend(reads);
    if let Err(e) = closed {
        report.push(Check::warn(
            "exchange.close",
            format!(
                "closing doctor's session failed ({e}); its shell expires with the idle timeout"
            ),
            hints::SHELL_QUOTA,
        ));
    }
    if interrupted {
        let done = report
            .checks
            .iter()
            .filter(|c| LATER.contains(&c.id))
            .count();
        for id in LATER.iter().skip(done).copied() {
            report.push(Check::skip(
                id,
                "interrupted (Ctrl-C); doctor's session was closed",
            ));
        }
        return;
    }
    if plan.shell_probe == 0 {
        report.push(probe::skipped());
        return;
    }
    crate::console::errln!(
        "mx doctor: --shell-probe {}: opening up to {} extra shells, one after another; {}",
        plan.shell_probe,
        plan.shell_probe,
        probe::COST
    );
    report.push(probe::headroom(&options, plan.shell_probe, &mut interrupt).await);
}

/// `exchange.rbac` and `exchange.throttling` in the open session; fewer than two checks when
/// Ctrl-C cut them short.
async fn read_checks(
    session: &mut Session,
    user: &str,
    plan: Plan,
    interrupt: &mut Interrupt,
) -> Vec<Check> {
    let mut checks = Vec::new();
    let Some(rbac) = interrupt
        .guard(session.invoke(Command::new("Get-Command").param("Name", PROVISIONING_CMDLET)))
        .await
    else {
        return checks;
    };
    checks.push(rbac_check(user, rbac));
    if let Some(c) = budget::check(session, user, plan.max_sessions, interrupt).await {
        checks.push(c);
    }
    checks
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
