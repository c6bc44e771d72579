//! `mx demo`: mx-sim on loopback, then a provisioning story through the whole stack (NTLM with
//! message encryption over HTTP, WS-Management, PSRP, CLIXML), each step printed with its
//! round trips.

use monosync_exchange::clixml::PsValue;
use monosync_exchange::exchange::{Command, CommandResult, ParamValue, Session, SessionOptions};
use monosync_exchange::transport::{AuthMethod, Credentials};
use mx_sim::{Endpoint, RunningServer, Server, SimConfig};

use crate::console::{errln, outln};
use crate::error::{CliError, EXIT_OK};
use crate::output::{error_line, value_text};

/// The seeded administrator (simulator/seed/default.json).
const ADMIN: &str = "CONTOSO\\Administrator";
const ADMIN_PASSWORD: &str = "P@ssw0rd!";
/// What the story writes on the new mailbox.
const OFFICE: &str = "Building 7";
const CUSTOM_ATTRIBUTE: &str = "provisioned-by-mx-demo";

/// Runs the demo and returns the exit code.
pub(crate) async fn main() -> u8 {
    match story().await {
        Ok(()) => {
            let _ = outln!("demo: every step succeeded");
            EXIT_OK
        }
        Err(e) => {
            if !e.is_quiet() {
                errln!("mx demo: {e}");
            }
            e.exit_code()
        }
    }
}

/// The server's WS-Management requests (authentication legs left out).
fn soap_requests(server: &RunningServer) -> usize {
    server
        .request_log()
        .entries()
        .iter()
        .filter(|e| e.operation != "Auth" && e.status != 401)
        .count()
}

/// Runs `command`, prints it with its round trips, and fails on any error record.
async fn step(
    session: &mut Session,
    server: &RunningServer,
    n: usize,
    command: Command,
) -> Result<CommandResult, CliError> {
    let line = command_line(&command);
    let before_client = session.round_trips();
    let before_server = soap_requests(server);
    let result = session.invoke(command.clone()).await?;
    let after = session.round_trips();
    outln!("[{n}] {line}")?;
    outln!(
        "    round trips: {} WS-Management ({} HTTP), server saw {}",
        after.wsman.saturating_sub(before_client.wsman),
        after.http.saturating_sub(before_client.http),
        soap_requests(server).saturating_sub(before_server)
    )?;
    if let Some(e) = result.errors.first() {
        return Err(CliError::Demo {
            step: command.name,
            why: error_line(e),
        });
    }
    Ok(result)
}

fn command_line(command: &Command) -> String {
    let mut line = command.name.clone();
    for arg in &command.args {
        if let Some(name) = &arg.name {
            line.push_str(&format!(" -{name}"));
        }
        if let ParamValue::Value(v) = &arg.value {
            match v {
                PsValue::Bool(true) if arg.name.is_some() => {}
                other => line.push_str(&format!(" '{}'", value_text(other))),
            }
        }
    }
    line
}

fn text(v: &PsValue, name: &str) -> String {
    v.property(name).map(value_text).unwrap_or_default()
}

/// The object with the smallest `Name`, so the pick does not depend on result order.
fn first_by_name(result: &CommandResult) -> Option<&PsValue> {
    result
        .output
        .iter()
        .filter(|v| v.property("Name").is_some())
        .min_by_key(|v| text(v, "Name"))
}

fn fail(step: &str, why: impl Into<String>) -> CliError {
    CliError::Demo {
        step: step.into(),
        why: why.into(),
    }
}

async fn story() -> Result<(), CliError> {
    let server = Server::start(SimConfig::default())?;
    let url = server.url(Endpoint::PowerShell);
    outln!("mx-sim listening on {url} (NTLM, message encryption required over HTTP)")?;

    let options = SessionOptions::exchange(
        url.clone(),
        AuthMethod::Ntlm,
        Credentials::new(ADMIN, ADMIN_PASSWORD),
    );
    let mut session = Session::connect(options).await?;
    let rt = session.round_trips();
    outln!(
        "[0] connect as {ADMIN} with NTLM: runspace pool opened, round trips: {} WS-Management ({} HTTP)",
        rt.wsman,
        rt.http
    )?;

    let users = step(
        &mut session,
        &server,
        1,
        Command::new("Get-User").param("RecipientTypeDetails", "User"),
    )
    .await?;
    let user =
        first_by_name(&users).ok_or_else(|| fail("Get-User", "no user without a mailbox"))?;
    let name = text(user, "Name");
    outln!(
        "    {} users without a mailbox; picked '{name}'",
        users.output.len()
    )?;

    let enabled = step(
        &mut session,
        &server,
        2,
        Command::new("Enable-Mailbox").param("Identity", name.as_str()),
    )
    .await?;
    let mbx = enabled
        .output
        .first()
        .ok_or_else(|| fail("Enable-Mailbox", "no mailbox returned"))?;
    outln!(
        "    mailbox {} on {}",
        text(mbx, "PrimarySmtpAddress"),
        text(mbx, "Database")
    )?;

    step(
        &mut session,
        &server,
        3,
        Command::new("Set-Mailbox")
            .param("Identity", name.as_str())
            .param("Office", OFFICE)
            .param("CustomAttribute1", CUSTOM_ATTRIBUTE),
    )
    .await?;
    outln!("    done")?;

    let groups = step(
        &mut session,
        &server,
        4,
        Command::new("Get-DistributionGroup"),
    )
    .await?;
    let group = first_by_name(&groups)
        .map(|g| text(g, "Name"))
        .ok_or_else(|| fail("Get-DistributionGroup", "no distribution group"))?;
    outln!("    {} groups; picked '{group}'", groups.output.len())?;

    step(
        &mut session,
        &server,
        5,
        Command::new("Add-DistributionGroupMember")
            .param("Identity", group.as_str())
            .param("Member", name.as_str())
            .switch("BypassSecurityGroupManagerCheck"),
    )
    .await?;
    outln!("    '{name}' is now a member of '{group}'")?;

    let got = step(
        &mut session,
        &server,
        6,
        Command::new("Get-Mailbox").param("Identity", name.as_str()),
    )
    .await?;
    let mbx = got
        .output
        .first()
        .ok_or_else(|| fail("Get-Mailbox", "no mailbox returned"))?;
    for prop in [
        "DisplayName",
        "PrimarySmtpAddress",
        "RecipientTypeDetails",
        "Database",
        "Office",
        "CustomAttribute1",
    ] {
        outln!("    {prop:20} : {}", text(mbx, prop))?;
    }
    if text(mbx, "Office") != OFFICE || text(mbx, "CustomAttribute1") != CUSTOM_ATTRIBUTE {
        return Err(fail("Get-Mailbox", "Set-Mailbox changes are not visible"));
    }

    let before = soap_requests(&server);
    let total = session.round_trips();
    session.close().await?;
    outln!(
        "[7] close: shell deleted, server saw {} request(s); session total {} WS-Management ({} HTTP) before close",
        soap_requests(&server).saturating_sub(before),
        total.wsman,
        total.http
    )?;

    let log = server.request_log().entries();
    let soap: Vec<_> = log
        .iter()
        .filter(|e| e.operation != "Auth" && e.status == 200)
        .collect();
    let sealed = soap.iter().filter(|e| e.sealed).count();
    outln!(
        "traffic: {sealed} of {} WS-Management requests were sealed (NTLM message encryption over HTTP)",
        soap.len()
    )?;
    if sealed != soap.len() || soap.is_empty() {
        return Err(fail("traffic", "a request went unsealed"));
    }
    if server.shell_count() != 0 {
        return Err(fail("close", "the shell is still open on the server"));
    }
    server.shutdown();
    Ok(())
}
