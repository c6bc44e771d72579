//! The in-memory Exchange organisation and its recipient cmdlets.
//!
//! - [`Directory`]: the store (recipients, databases) with Exchange's identity resolution and
//!   proxy-address uniqueness; loaded from a seed ([`seed`]) or generated ([`generate`]).
//! - [`Exchange`]: the directory plus RBAC; [`Exchange::invoke_as`] runs one cmdlet for one
//!   user and returns what the PSRP pipeline would carry: output objects, error records, warnings,
//!   or a confirmation prompt.
//!
//! Confirmation: a ConfirmImpact High cmdlet (Disable-Mailbox, Remove-Mailbox, …) invoked without
//! `-Confirm:$false` returns [`CmdletResult::needs_confirmation`] and changes nothing. The server
//! layer asks the client (a PSRP host call); when the answer is yes it invokes the same command
//! again with [`InvokeOptions::confirmed`] set, when no it ends the pipeline with no output.

pub mod budget;
pub mod cmdlets;
pub mod directory;
pub mod errors;
pub mod filter;
pub mod generate;
mod get_command;
pub mod params;
pub mod rbac;
pub mod recipient;
pub mod render;
pub mod seed;
pub mod throttling;
pub mod time;

use std::collections::VecDeque;

use monosync_exchange::clixml::PsValue;
use uuid::Uuid;

pub use directory::{Directory, DirectoryError, OrgConfig};
pub use errors::{ErrorCategory, SeedError, SimErrorRecord};
pub use params::BoundArg;
pub use rbac::{Rbac, RoleGroup, SimAccount};
pub use throttling::ThrottlingPolicy;

/// A ShouldProcess confirmation the client must answer ([MS-PSRP] 2.2.6 host call
/// `PromptForChoice`, method 19 of [MS-PSRP] 2.2.3.17).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfirmPrompt {
    /// The prompt caption (`Confirm`).
    pub caption: String,
    /// The question and the action text.
    pub message: String,
    /// The choices, as (label with `&` hot key, help text), in PowerShell's order.
    pub choices: Vec<(String, String)>,
    /// The index of the default choice.
    pub default_choice: i32,
}

impl ConfirmPrompt {
    /// PowerShell's ShouldProcess prompt for `action`: Yes, Yes to All, No, No to All; default Yes.
    /// Index 0 or 1 means go ahead.
    pub fn should_process(action: &str) -> Self {
        let choice = |label: &str, help: &str| (label.to_owned(), help.to_owned());
        ConfirmPrompt {
            caption: "Confirm".into(),
            message: format!("Are you sure you want to perform this action?\n{action}"),
            choices: vec![
                choice("&Yes", "Continue with only the next step of the operation."),
                choice(
                    "Yes to &All",
                    "Continue with all the steps of the operation.",
                ),
                choice(
                    "&No",
                    "Skip this operation and proceed with the next operation.",
                ),
                choice(
                    "No to A&ll",
                    "Skip this operation and all subsequent operations.",
                ),
            ],
            default_choice: 0,
        }
    }
}

/// What one cmdlet invocation produced.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CmdletResult {
    /// Output objects (rendered PsObjects), in order.
    pub output: Vec<PsValue>,
    /// Error records, in order.
    pub errors: Vec<SimErrorRecord>,
    /// WARNING records (text).
    pub warnings: Vec<String>,
    /// Set when the cmdlet stopped to ask for confirmation; nothing was changed.
    pub needs_confirmation: Option<ConfirmPrompt>,
    /// Lines written to the host (`What if: …` under `-WhatIf`).
    pub host_output: Vec<String>,
    /// The pipeline failed (an engine error such as parameter binding or an unknown command, or an
    /// error under `-ErrorAction Stop`): the server reports the state Failed with the last error.
    pub failed: bool,
}

/// Per-invocation options.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InvokeOptions {
    /// The client already answered yes to the confirmation prompt.
    pub confirmed: bool,
}

/// Per-runspace settings (Set-ADServerSettings) and the logged-in user.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Session {
    /// The account the runspace belongs to; `None` = unrestricted (all cmdlets).
    pub user: Option<String>,
    /// `ViewEntireForest`.
    pub view_entire_forest: bool,
    /// `RecipientViewRoot`: canonical OU that limits the recipients the session sees.
    pub recipient_view_root: Option<String>,
    /// `PreferredServer`: the domain controller named in messages.
    pub preferred_server: Option<String>,
}

/// The organisation: directory, RBAC and a default session.
#[derive(Debug, Clone)]
pub struct Exchange {
    dir: Directory,
    rbac: Rbac,
    default_session: Session,
    /// A fixed clock, Unix milliseconds; `None` reads the system clock.
    clock_ms: Option<i64>,
    received: VecDeque<Command>,
    budgets: budget::CmdletBudgets,
}

/// How many received commands [`Exchange::received`] keeps: the latest ones, so a long soak
/// run does not grow the simulator.
pub const RECEIVED_KEPT: usize = 1024;

impl Exchange {
    /// An organisation over `dir` with the built-in role groups and no accounts.
    pub fn new(dir: Directory) -> Self {
        Exchange {
            dir,
            rbac: Rbac::default(),
            default_session: Session::default(),
            clock_ms: None,
            received: VecDeque::new(),
            budgets: budget::CmdletBudgets::default(),
        }
    }

    /// An organisation with these accounts and role groups.
    pub fn with_rbac(dir: Directory, rbac: Rbac) -> Self {
        Exchange {
            dir,
            rbac,
            default_session: Session::default(),
            clock_ms: None,
            received: VecDeque::new(),
            budgets: budget::CmdletBudgets::default(),
        }
    }

    /// Loads a seed ([`seed`] documents the schema): directory, role groups and accounts.
    pub fn from_seed_json(json: &str) -> Result<Self, SeedError> {
        let (dir, rbac) = seed::load(json)?;
        Ok(Exchange::with_rbac(dir, rbac))
    }

    /// The directory.
    pub fn directory(&self) -> &Directory {
        &self.dir
    }

    /// The directory, for direct changes.
    pub fn directory_mut(&mut self) -> &mut Directory {
        &mut self.dir
    }

    /// Role groups and accounts.
    pub fn rbac(&self) -> &Rbac {
        &self.rbac
    }

    /// Role groups and accounts, for changes.
    pub fn rbac_mut(&mut self) -> &mut Rbac {
        &mut self.rbac
    }

    /// Fixes the clock (Unix seconds) for reproducible timestamps; `None` uses the system clock.
    pub fn set_clock(&mut self, now: Option<i64>) {
        self.clock_ms = now.map(|s| s.saturating_mul(1000));
    }

    /// Fixes the clock to the millisecond (the throttling budgets' resolution); `None` uses the
    /// system clock.
    pub fn set_clock_ms(&mut self, now_ms: Option<i64>) {
        self.clock_ms = now_ms;
    }

    /// The current time, Unix seconds.
    pub fn now(&self) -> i64 {
        self.now_ms().div_euclid(1000)
    }

    /// The current time, Unix milliseconds.
    pub fn now_ms(&self) -> i64 {
        self.clock_ms.unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
                .unwrap_or(0)
        })
    }

    /// Admits a pipeline `user` is about to run under the throttling policy's cmdlet budgets
    /// ([`budget`]), charging them: the micro-delay warnings to write before it runs, or the
    /// record that fails it when a budget is spent.
    pub fn admit(
        &mut self,
        user: &str,
        commands: &[Command],
    ) -> Result<Vec<String>, SimErrorRecord> {
        let names: Vec<&str> = commands.iter().map(|c| c.name.as_str()).collect();
        let now_ms = self.now_ms();
        match self
            .budgets
            .admit(self.dir.throttling_policy(), user, &names, now_ms)
        {
            Ok(admitted) => Ok(admitted
                .micro_delays_ms
                .into_iter()
                .map(budget::micro_delay_warning)
                .collect()),
            Err(over) => Err(errors::over_budget(
                &over,
                names.first().copied().unwrap_or_default(),
            )),
        }
    }

    /// The account, when the logon name and password match one.
    pub fn authenticate(&self, logon: &str, password: &str) -> Option<&SimAccount> {
        self.rbac.authenticate(logon, password)
    }

    /// Notes a pipeline as the server received it from a client, before it runs: names and
    /// bound values exactly as they came off the wire, so a test can check that a value full
    /// of PowerShell metacharacters arrived as literal data. SecureString values are kept as
    /// `********`, never in clear.
    pub fn record_received(&mut self, commands: &[Command]) {
        for command in commands {
            if self.received.len() >= RECEIVED_KEPT {
                self.received.pop_front();
            }
            let args = command
                .args
                .iter()
                .map(|a| {
                    if a.secure {
                        BoundArg {
                            value: PsValue::String("********".into()),
                            ..a.clone()
                        }
                    } else {
                        a.clone()
                    }
                })
                .collect();
            self.received.push_back(Command::new(&command.name, args));
        }
    }

    /// The latest [`RECEIVED_KEPT`] commands clients sent, oldest first.
    pub fn received(&self) -> Vec<Command> {
        self.received.iter().cloned().collect()
    }

    /// Runs a cmdlet with every cmdlet allowed, in the default session.
    pub fn invoke(&mut self, cmdlet: &str, params: &[BoundArg]) -> CmdletResult {
        let mut session = std::mem::take(&mut self.default_session);
        let r = self.invoke_in(&mut session, cmdlet, params, InvokeOptions::default());
        self.default_session = session;
        r
    }

    /// Runs a cmdlet as `user`: cmdlets the user's roles do not grant fail with
    /// `CommandNotFoundException`, as in Exchange's RBAC-trimmed runspace. Each call gets a fresh
    /// session; use [`Exchange::invoke_in`] to keep Set-ADServerSettings between commands.
    pub fn invoke_as(&mut self, user: &str, cmdlet: &str, params: &[BoundArg]) -> CmdletResult {
        let mut session = Session {
            user: Some(user.to_owned()),
            ..Session::default()
        };
        self.invoke_in(&mut session, cmdlet, params, InvokeOptions::default())
    }

    /// Runs a cmdlet in a session (the server keeps one per runspace pool).
    pub fn invoke_in(
        &mut self,
        session: &mut Session,
        cmdlet: &str,
        params: &[BoundArg],
        options: InvokeOptions,
    ) -> CmdletResult {
        self.invoke_inner(session, cmdlet, params, options, None)
    }

    /// Like [`Exchange::invoke_in`], but hands each output object to `sink` as soon as it is
    /// rendered (the result's `output` stays empty), so `Get-Mailbox -ResultSize Unlimited` over a
    /// large directory never holds every object at once.
    pub fn invoke_streaming(
        &mut self,
        session: &mut Session,
        cmdlet: &str,
        params: &[BoundArg],
        options: InvokeOptions,
        sink: &mut dyn FnMut(PsValue),
    ) -> CmdletResult {
        self.invoke_inner(session, cmdlet, params, options, Some(sink))
    }

    fn invoke_inner(
        &mut self,
        session: &mut Session,
        cmdlet: &str,
        params: &[BoundArg],
        options: InvokeOptions,
        sink: Option<&mut dyn FnMut(PsValue)>,
    ) -> CmdletResult {
        if cmdlet.trim().eq_ignore_ascii_case(get_command::NAME) {
            return get_command::run(&self.rbac, session, params);
        }
        let def = cmdlets::find(cmdlet);
        let grant = match (&def, session.user.as_deref()) {
            (None, _) => None,
            (Some(_), None) => Some(None),
            (Some(d), Some(user)) => self.rbac.grant(user, d.name),
        };
        let (Some(def), Some(params_allowed)) = (def, grant) else {
            return CmdletResult {
                errors: vec![errors::command_not_found(cmdlet)],
                failed: true,
                ..CmdletResult::default()
            };
        };
        let now = self.now();
        // Re-wrapping lets the trait object's lifetime shrink to this call (`Option` blocks the
        // coercion otherwise).
        #[allow(clippy::needless_match)]
        let sink: Option<&mut dyn FnMut(PsValue)> = match sink {
            Some(f) => Some(f),
            None => None,
        };
        cmdlets::run(
            def,
            &mut self.dir,
            session,
            params,
            options,
            now,
            Uuid::new_v4(),
            sink,
            params_allowed.as_deref(),
        )
    }

    /// Runs a pipeline of commands (`Get-Mailbox -Database DB01 | Set-Mailbox -Office HQ`), as a
    /// PSRP CREATE_PIPELINE with several commands ([MS-PSRP] 2.2.3.11) asks. `input` is the
    /// pipeline input the client sent, if any.
    ///
    /// A command after the first runs once per object the previous one wrote, with that object
    /// bound to its position-0 parameter (`Identity`, or `Name` for New-*) unless that parameter
    /// was given; a pipelined recipient binds through its `Guid`. Errors and warnings of every
    /// stage are collected; a failed stage stops the pipeline. A confirmation prompt stops it too:
    /// run it again with [`InvokeOptions::confirmed`] (PowerShell's "Yes to All").
    pub fn invoke_pipeline_in(
        &mut self,
        session: &mut Session,
        commands: &[Command],
        input: Option<Vec<PsValue>>,
        options: InvokeOptions,
    ) -> CmdletResult {
        let mut result = CmdletResult::default();
        let mut flowing = input;
        for command in commands {
            let runs: Vec<Vec<BoundArg>> = match flowing.take() {
                None => vec![command.args.clone()],
                Some(objects) => {
                    let target = cmdlets::find(&command.name)
                        .and_then(|d| d.params.iter().find(|p| p.position == Some(0)))
                        .map(|p| p.name);
                    objects
                        .into_iter()
                        .map(|obj| {
                            let mut args = command.args.clone();
                            let given = target.is_some_and(|t| {
                                args.iter().any(|a| {
                                    a.name.as_deref().is_some_and(|n| {
                                        n.trim_start_matches('-').eq_ignore_ascii_case(t)
                                    })
                                })
                            });
                            if let (Some(t), false) = (target, given) {
                                args.push(BoundArg::named(t, obj));
                            }
                            args
                        })
                        .collect()
                }
            };
            let mut produced = Vec::new();
            for args in runs {
                let r = self.invoke_in(session, &command.name, &args, options);
                produced.extend(r.output);
                result.errors.extend(r.errors);
                result.warnings.extend(r.warnings);
                result.host_output.extend(r.host_output);
                if r.needs_confirmation.is_some() {
                    result.needs_confirmation = r.needs_confirmation;
                    result.output.clear();
                    return result;
                }
                if r.failed {
                    result.failed = true;
                    return result;
                }
            }
            flowing = Some(produced);
        }
        result.output = flowing.unwrap_or_default();
        result
    }
}

/// One command of a pipeline.
#[derive(Debug, Clone, PartialEq)]
pub struct Command {
    /// The cmdlet name.
    pub name: String,
    /// Its arguments.
    pub args: Vec<BoundArg>,
}

impl Command {
    /// A command with arguments.
    pub fn new(name: &str, args: Vec<BoundArg>) -> Self {
        Command {
            name: name.to_owned(),
            args,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn received_commands_keep_values_verbatim_hide_secure_ones_and_are_capped() {
        let mut ex = Exchange::from_seed_json(crate::DEFAULT_SEED).expect("seed");
        let odd = "a; b $(c) 'd' \"e\" `f @{g=1}";
        ex.record_received(&[Command::new(
            "Set-User",
            vec![
                BoundArg::named("Notes", odd),
                BoundArg::secure("Password", "Secret#1"),
            ],
        )]);
        let got = ex.received();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].name, "Set-User");
        assert_eq!(got[0].args[0].value, PsValue::String(odd.into()));
        assert_eq!(got[0].args[1].value, PsValue::String("********".into()));
        assert!(got[0].args[1].secure);

        for i in 0..RECEIVED_KEPT + 5 {
            ex.record_received(&[Command::new(&format!("Get-Thing{i}"), Vec::new())]);
        }
        let got = ex.received();
        assert_eq!(got.len(), RECEIVED_KEPT);
        assert_eq!(got[0].name, "Get-Thing5");
        assert_eq!(
            got.last().map(|c| c.name.clone()),
            Some(format!("Get-Thing{}", RECEIVED_KEPT + 4))
        );
    }
}
