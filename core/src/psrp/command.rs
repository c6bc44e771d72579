//! The commands a client runs, as a caller writes them: a [`PowerShellSpec`] is a list of
//! statements, each a pipeline of [`Command`]s with named, positional and switch parameters.
//! It converts to the CREATE_PIPELINE message ([MS-PSRP] 2.2.2.10, 2.2.3.11 PowerShell,
//! 2.2.3.12 Command) and back, on the server side.

use super::messages::{
    ApartmentState, CommandArgument, CreatePipeline, HostInfo, PipelineCommand,
    PipelineResultTypes, PowerShell, RemoteStreamOptions,
};
use crate::clixml::PsValue;

/// One parameter of a [`Command`] ([MS-PSRP] 2.2.3.13): `N` and `V` in the `Args` list.
#[derive(Debug, Clone, PartialEq)]
pub struct Parameter {
    /// The parameter name without the leading dash; `None` for a positional argument.
    pub name: Option<String>,
    /// The value. A switch is sent as `Bool(true)`.
    pub value: PsValue,
}

/// Which of a command's streams are merged into its output stream ([MS-PSRP] 2.2.3.31
/// PipelineResultTypes). Merged records then arrive as output objects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MergeOptions {
    /// `2>&1`
    pub error: bool,
    /// `3>&1`
    pub warning: bool,
    /// `4>&1`
    pub verbose: bool,
    /// `5>&1`
    pub debug: bool,
    /// `6>&1` (protocol 2.3 and later).
    pub information: bool,
}

/// One command of a pipeline ([MS-PSRP] 2.2.3.12).
#[derive(Debug, Clone, PartialEq)]
pub struct Command {
    /// The cmdlet name, or the script text when `is_script` is set. Exchange runspaces run in
    /// NoLanguage mode and reject scripts.
    pub name: String,
    /// Whether `name` is script text rather than a command name.
    pub is_script: bool,
    /// `UseLocalScope`; `None` leaves the server's default.
    pub use_local_scope: Option<bool>,
    /// Parameters and positional arguments, in order.
    pub parameters: Vec<Parameter>,
    /// Stream merging.
    pub merge: MergeOptions,
}

impl Command {
    /// A command named `name` with no parameters.
    pub fn new(name: impl Into<String>) -> Self {
        Command {
            name: name.into(),
            is_script: false,
            use_local_scope: None,
            parameters: Vec::new(),
            merge: MergeOptions::default(),
        }
    }

    /// A script: `text` is PowerShell source. Not accepted by NoLanguage runspaces (Exchange).
    pub fn script(text: impl Into<String>) -> Self {
        Command {
            is_script: true,
            ..Command::new(text)
        }
    }

    /// Adds a named parameter (`-name value`).
    #[must_use]
    pub fn param(mut self, name: impl Into<String>, value: impl Into<PsValue>) -> Self {
        self.parameters.push(Parameter {
            name: Some(name.into()),
            value: value.into(),
        });
        self
    }

    /// Adds a switch parameter (`-name`), sent as `$true` so that the server binds it without
    /// guessing.
    #[must_use]
    pub fn switch(self, name: impl Into<String>) -> Self {
        self.param(name, true)
    }

    /// Adds a positional argument.
    #[must_use]
    pub fn arg(mut self, value: impl Into<PsValue>) -> Self {
        self.parameters.push(Parameter {
            name: None,
            value: value.into(),
        });
        self
    }

    /// Sets the stream merging.
    #[must_use]
    pub fn merge(mut self, merge: MergeOptions) -> Self {
        self.merge = merge;
        self
    }

    /// The named parameter `name` (case-insensitive, as PowerShell binds names).
    pub fn parameter(&self, name: &str) -> Option<&PsValue> {
        self.parameters
            .iter()
            .find(|p| {
                p.name
                    .as_deref()
                    .is_some_and(|n| n.eq_ignore_ascii_case(name))
            })
            .map(|p| &p.value)
    }

    /// The positional arguments, in order.
    pub fn positional(&self) -> impl Iterator<Item = &PsValue> {
        self.parameters
            .iter()
            .filter(|p| p.name.is_none())
            .map(|p| &p.value)
    }
}

/// What a pipeline runs, plus the invocation settings of CREATE_PIPELINE ([MS-PSRP] 2.2.2.10).
#[derive(Debug, Clone, PartialEq)]
pub struct PowerShellSpec {
    /// Statements, each a pipeline of commands (`a | b; c | d`). Must not be empty.
    pub statements: Vec<Vec<Command>>,
    /// Whether this is a nested pipeline (`IsNested`).
    pub is_nested: bool,
    /// The text recorded in the history instead of the commands (`History`).
    pub history: Option<String>,
    /// `NoInput`: the pipeline takes no input. Set it to `false` to stream input with
    /// `Pipeline::send_input`.
    pub no_input: bool,
    /// `AddToHistory`
    pub add_to_history: bool,
    /// `RedirectShellErrorOutputPipe`
    pub redirect_shell_error_output_pipe: bool,
}

impl PowerShellSpec {
    /// One statement made of one command, with no input.
    pub fn new(command: Command) -> Self {
        PowerShellSpec::pipeline(vec![command])
    }

    /// One statement piping `commands` together, with no input.
    pub fn pipeline(commands: Vec<Command>) -> Self {
        PowerShellSpec {
            statements: vec![commands],
            is_nested: false,
            history: None,
            no_input: true,
            add_to_history: false,
            redirect_shell_error_output_pipe: false,
        }
    }

    /// Adds a statement (`; next`).
    #[must_use]
    pub fn statement(mut self, commands: Vec<Command>) -> Self {
        self.statements.push(commands);
        self
    }

    /// Lets the pipeline take input.
    #[must_use]
    pub fn with_input(mut self) -> Self {
        self.no_input = false;
        self
    }

    /// The CREATE_PIPELINE message ([MS-PSRP] 2.2.2.10). The host info says "use the
    /// runspace's host" (2.2.3.14), so host calls arrive as PIPELINE_HOST_CALL messages.
    pub fn to_create_pipeline(&self) -> CreatePipeline {
        CreatePipeline {
            no_input: self.no_input,
            apartment_state: ApartmentState::Unknown,
            remote_stream_options: RemoteStreamOptions::NONE,
            add_to_history: self.add_to_history,
            host_info: HostInfo::runspace_host(),
            power_shell: PowerShell {
                statements: self
                    .statements
                    .iter()
                    .map(|s| s.iter().map(Command::to_wire).collect())
                    .collect(),
                is_nested: self.is_nested,
                history: self.history.clone(),
                redirect_shell_error_output_pipe: self.redirect_shell_error_output_pipe,
            },
            is_nested: self.is_nested,
        }
    }

    /// Reads a CREATE_PIPELINE back (server side).
    pub fn from_create_pipeline(message: &CreatePipeline) -> Self {
        let ps = &message.power_shell;
        PowerShellSpec {
            statements: ps
                .statements
                .iter()
                .map(|s| s.iter().map(Command::from_wire).collect())
                .collect(),
            is_nested: ps.is_nested,
            history: ps.history.clone(),
            no_input: message.no_input,
            add_to_history: message.add_to_history,
            redirect_shell_error_output_pipe: ps.redirect_shell_error_output_pipe,
        }
    }
}

impl Command {
    fn to_wire(&self) -> PipelineCommand {
        let merged = |on: bool| {
            Some(if on {
                PipelineResultTypes::Output
            } else {
                PipelineResultTypes::None
            })
        };
        let mut wire = PipelineCommand::new(self.name.as_str());
        wire.is_script = self.is_script;
        wire.use_local_scope = self.use_local_scope;
        if self.merge.error {
            // Protocol 2.1 only reads MergeMyResult/MergeToResult (errors into output).
            wire.merge_my_result = PipelineResultTypes::Error;
            wire.merge_to_result = PipelineResultTypes::Output;
        }
        wire.merge_error = merged(self.merge.error);
        wire.merge_warning = merged(self.merge.warning);
        wire.merge_verbose = merged(self.merge.verbose);
        wire.merge_debug = merged(self.merge.debug);
        wire.merge_information = merged(self.merge.information);
        wire.args = self
            .parameters
            .iter()
            .map(|p| CommandArgument {
                name: p.name.clone(),
                value: p.value.clone(),
            })
            .collect();
        wire
    }

    fn from_wire(wire: &PipelineCommand) -> Self {
        let merged = |m: Option<PipelineResultTypes>| m == Some(PipelineResultTypes::Output);
        Command {
            name: wire.cmd.clone(),
            is_script: wire.is_script,
            use_local_scope: wire.use_local_scope,
            parameters: wire
                .args
                .iter()
                .map(|a| Parameter {
                    name: a.name.clone(),
                    value: a.value.clone(),
                })
                .collect(),
            merge: MergeOptions {
                error: merged(wire.merge_error)
                    || wire.merge_my_result == PipelineResultTypes::Error,
                warning: merged(wire.merge_warning),
                verbose: merged(wire.merge_verbose),
                debug: merged(wire.merge_debug),
                information: merged(wire.merge_information),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::psrp::messages::PsrpMessage;

    #[test]
    fn round_trip_through_the_wire_keeps_statements_parameters_and_merges() {
        let spec = PowerShellSpec::pipeline(vec![
            Command::new("Get-Mailbox")
                .param("Identity", "alice")
                .switch("IgnoreDefaultScope")
                .arg(PsValue::I32(7)),
            Command::new("Select-Object").merge(MergeOptions {
                error: true,
                information: true,
                ..MergeOptions::default()
            }),
        ])
        .statement(vec![Command::script("$x")])
        .with_input();
        let message = PsrpMessage::CreatePipeline(spec.to_create_pipeline());
        let decoded = PsrpMessage::decode(&message.encode(
            uuid::Uuid::nil(),
            uuid::Uuid::nil(),
            crate::psrp::Destination::Server,
        ));
        match decoded {
            Ok(PsrpMessage::CreatePipeline(create)) => {
                assert_eq!(PowerShellSpec::from_create_pipeline(&create), spec);
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn error_merge_is_also_written_for_protocol_2_1() {
        let spec = PowerShellSpec::new(Command::new("Get-Date").merge(MergeOptions {
            error: true,
            ..MergeOptions::default()
        }));
        let create = spec.to_create_pipeline();
        let cmd = &create.power_shell.statements[0][0];
        assert_eq!(cmd.merge_my_result, PipelineResultTypes::Error);
        assert_eq!(cmd.merge_to_result, PipelineResultTypes::Output);
        assert_eq!(cmd.merge_error, Some(PipelineResultTypes::Output));
        assert_eq!(cmd.merge_warning, Some(PipelineResultTypes::None));
    }

    #[test]
    fn lookup_is_case_insensitive_and_positional_kept_apart() {
        let cmd = Command::new("Set-Mailbox")
            .param("Identity", "bob")
            .arg("x");
        assert_eq!(
            cmd.parameter("identity").and_then(PsValue::as_str),
            Some("bob")
        );
        let pos: Vec<_> = cmd.positional().filter_map(PsValue::as_str).collect();
        assert_eq!(pos, vec!["x"]);
    }
}
