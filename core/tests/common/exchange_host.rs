//! A tiny Exchange for a [`ShellServer`]: the host that runs the pipelines the machine reports
//! and writes their output into the shell's pool, as mx-sim's interpreter does.
//!
//! It knows a handful of commands, enough to exercise every path of a client: output,
//! non-terminating and terminating errors, SecureString parameters, host calls, every record
//! stream, long outputs spread over many Receives, and a command that only ends when stopped.

use std::collections::HashMap;
use std::sync::Arc;

use monosync_exchange::clixml::{Property, PsObject, PsValue};
use monosync_exchange::psrp::messages::{
    CategoryInfo, ErrorRecord, InformationalRecord, RemoteHostMethodId,
};
use monosync_exchange::psrp::{PSInvocationState, PowerShellSpec, ServerRunspacePool};
use monosync_exchange::winrs::server::{ShellEvent, ShellServer};
use uuid::Uuid;

/// Objects a listing writes each time a Receive asks for output.
pub const LISTING_BATCH: usize = 250;

/// Get-Mailbox without `-ResultSize Unlimited` stops here, with a warning.
const DEFAULT_RESULT_SIZE: usize = 1000;

/// A listing of generated mailboxes still being written.
#[derive(Debug)]
struct Listing {
    next: usize,
    end: usize,
    /// The default result size cut the listing short.
    truncated: bool,
}

/// The mailboxes and what the commands did to them.
#[derive(Debug, Default)]
pub struct ExchangeHost {
    /// Mailboxes Get-Mailbox -Identity finds.
    pub mailboxes: Vec<String>,
    /// Generated mailboxes (`User00000`, ...) Get-Mailbox without -Identity lists.
    pub generated: usize,
    /// Passwords New-Mailbox received, decrypted.
    pub passwords: Vec<String>,
    /// Listings in progress, by shell and pipeline.
    listings: HashMap<(Uuid, Uuid), Listing>,
}

impl ExchangeHost {
    /// A host with `mailboxes` and `generated` generated ones.
    pub fn new(mailboxes: &[&str], generated: usize) -> Self {
        ExchangeHost {
            mailboxes: mailboxes.iter().map(|m| (*m).to_owned()).collect(),
            generated,
            ..ExchangeHost::default()
        }
    }

    /// Does what the machine's event asks of the host.
    pub fn on_event(&mut self, server: &mut ShellServer, event: ShellEvent) {
        match event {
            ShellEvent::PipelineCreated {
                shell,
                pipeline,
                spec,
                ..
            } => {
                if let Some(s) = server.shell_mut(shell) {
                    self.run(shell, s.pool_mut(), pipeline, &spec);
                }
            }
            ShellEvent::OutputWanted {
                shell,
                pipeline: Some(pipeline),
            } => {
                if let Some(s) = server.shell_mut(shell) {
                    self.list(shell, s.pool_mut(), pipeline);
                }
            }
            ShellEvent::HostResponse {
                shell,
                pipeline: Some(pipeline),
                response,
            } => {
                let Some(s) = server.shell_mut(shell) else {
                    return;
                };
                let answer = response
                    .error
                    .as_ref()
                    .and_then(|e| e.fully_qualified_error_id().map(str::to_owned))
                    .unwrap_or_else(|| "no error".into());
                let pool = s.pool_mut();
                pool.write_output(pipeline, PsValue::String(answer)).ok();
                pool.set_pipeline_state(pipeline, PSInvocationState::Completed, None)
                    .ok();
            }
            ShellEvent::StopRequested { shell, pipeline } => {
                self.listings.remove(&(shell, pipeline));
                if let Some(s) = server.shell_mut(shell)
                    && !s.is_finished(pipeline)
                {
                    s.pool_mut()
                        .set_pipeline_state(pipeline, PSInvocationState::Stopped, None)
                        .ok();
                }
            }
            ShellEvent::PipelineEnded { shell, pipeline } => {
                self.listings.remove(&(shell, pipeline));
            }
            ShellEvent::ShellDeleted { shell } => {
                self.listings.retain(|(s, _), _| *s != shell);
            }
            _ => {}
        }
    }

    fn run(&mut self, shell: Uuid, pool: &mut ServerRunspacePool, id: Uuid, spec: &PowerShellSpec) {
        let Some(cmd) = spec.statements.first().and_then(|s| s.first()) else {
            return;
        };
        let done = match cmd.name.as_str() {
            "Get-Mailbox" => match text(cmd.parameter("Identity")) {
                Some(identity) => {
                    if self
                        .mailboxes
                        .iter()
                        .any(|m| m.eq_ignore_ascii_case(&identity))
                    {
                        pool.write_output(id, mailbox(&identity)).ok();
                    } else {
                        pool.write_error(id, not_found(&identity)).ok();
                    }
                    Some((PSInvocationState::Completed, None))
                }
                None => {
                    let unlimited =
                        text(cmd.parameter("ResultSize")).as_deref() == Some("Unlimited");
                    let end = if unlimited {
                        self.generated
                    } else {
                        self.generated.min(DEFAULT_RESULT_SIZE)
                    };
                    let listing = Listing {
                        next: 0,
                        end,
                        truncated: end < self.generated,
                    };
                    // Written as Receives ask for it, as a busy server produces it.
                    self.listings.insert((shell, id), listing);
                    None
                }
            },
            "New-Mailbox" => match (text(cmd.parameter("Name")), cmd.parameter("Password")) {
                (Some(name), Some(PsValue::SecureString(ss))) => {
                    match pool.decrypt_secure_string(ss) {
                        Ok(pw) => {
                            self.passwords.push(pw.to_string());
                            self.mailboxes.push(name.clone());
                            pool.write_output(id, mailbox(&name)).ok();
                            Some((PSInvocationState::Completed, None))
                        }
                        Err(_) => Some((PSInvocationState::Failed, Some(command_not_found("key")))),
                    }
                }
                _ => Some((
                    PSInvocationState::Failed,
                    Some(command_not_found("New-Mailbox without a SecureString")),
                )),
            },
            "Write-Streams" => {
                pool.write_warning(id, InformationalRecord::new("Warning", "w1"))
                    .ok();
                pool.write_verbose(id, InformationalRecord::new("Verbose", "v1"))
                    .ok();
                pool.write_debug(id, InformationalRecord::new("Debug", "d1"))
                    .ok();
                pool.write_output(id, PsValue::I32(42)).ok();
                Some((PSInvocationState::Completed, None))
            }
            "Read-Host" => {
                pool.host_call(Some(id), RemoteHostMethodId::ReadLine, Vec::new())
                    .ok();
                None
            }
            "Wait-Forever" => None,
            other => Some((PSInvocationState::Failed, Some(command_not_found(other)))),
        };
        if let Some((state, error)) = done {
            pool.set_pipeline_state(id, state, error).ok();
        }
    }

    /// Writes the next batch of a listing, and ends it after the last.
    fn list(&mut self, shell: Uuid, pool: &mut ServerRunspacePool, id: Uuid) {
        let Some(listing) = self.listings.get_mut(&(shell, id)) else {
            return;
        };
        let end = listing.end.min(listing.next + LISTING_BATCH);
        for i in listing.next..end {
            pool.write_output(id, mailbox(&format!("User{i:05}"))).ok();
        }
        listing.next = end;
        if listing.next < listing.end {
            return;
        }
        if listing.truncated {
            let warning = InformationalRecord::new(
                "Warning",
                "By default, only the first 1000 items are returned.",
            );
            pool.write_warning(id, warning).ok();
        }
        self.listings.remove(&(shell, id));
        pool.set_pipeline_state(id, PSInvocationState::Completed, None)
            .ok();
    }
}

fn text(v: Option<&PsValue>) -> Option<String> {
    v.and_then(PsValue::as_str).map(str::to_owned)
}

fn mailbox(name: &str) -> PsValue {
    PsValue::object(PsObject {
        type_names: Some(Arc::from(vec![
            "Microsoft.Exchange.Data.Directory.Management.Mailbox".to_owned(),
            "System.Object".to_owned(),
        ])),
        to_string: Some(name.to_owned()),
        adapted: vec![
            Property::new("Name", name),
            Property::new("Alias", name.to_lowercase()),
            Property::new(
                "PrimarySmtpAddress",
                format!("{}@corp.example", name.to_lowercase()),
            ),
            Property::new("RecipientTypeDetails", "UserMailbox"),
        ],
        ..PsObject::default()
    })
}

fn not_found(identity: &str) -> ErrorRecord {
    ErrorRecord::new(
        &[
            "Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException",
            "System.Exception",
        ],
        &format!(
            "The operation couldn't be performed because object '{identity}' couldn't be found on 'DC01.corp.example'."
        ),
        "[Server=EX01,RequestId=1,TimeStamp=1/1/2026] [FailureCategory=Cmdlet-ManagementObjectNotFoundException] 8288830C,Microsoft.Exchange.Management.RecipientTasks.GetMailbox",
        CategoryInfo {
            category: 13,
            activity: Some("Get-Mailbox".into()),
            reason: Some("ManagementObjectNotFoundException".into()),
            target_name: Some(identity.into()),
            target_type: None,
            message: None,
        },
        None,
    )
}

fn command_not_found(name: &str) -> ErrorRecord {
    ErrorRecord::new(
        &["System.Management.Automation.CommandNotFoundException"],
        &format!("The term '{name}' is not recognized as the name of a cmdlet."),
        "CommandNotFoundException",
        CategoryInfo {
            category: 13,
            activity: None,
            reason: Some("CommandNotFoundException".into()),
            target_name: Some(name.into()),
            target_type: None,
            message: None,
        },
        None,
    )
}
