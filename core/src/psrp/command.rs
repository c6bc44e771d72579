//! The command model a client sends in CREATE_PIPELINE ([MS-PSRP] 2.2.2.10, 2.2.3.11 PowerShell,
//! 2.2.3.12 Command), and its reading back on the server side.
//!
//! A [`PowerShellSpec`] is a list of statements; each statement is a pipeline of [`Command`]s. The
//! first statement travels in `Cmds`; when there are several, all of them travel in `ExtraCmds`
//! (this is what Windows PowerShell sends, see the `multiple_commands` capture).

use std::sync::Arc;

use crate::clixml::{Container, Property, PsObject, PsValue};

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

    /// The `PowerShell` object ([MS-PSRP] 2.2.3.11).
    pub fn to_powershell_value(&self) -> PsValue {
        let first = self.statements.first().map(Vec::as_slice).unwrap_or(&[]);
        let mut props = vec![
            Property::new("Cmds", list(first.iter().map(Command::to_value).collect())),
            Property::new("IsNested", self.is_nested),
            Property::new(
                "History",
                self.history.clone().map_or(PsValue::Nil, PsValue::String),
            ),
            Property::new(
                "RedirectShellErrorOutputPipe",
                self.redirect_shell_error_output_pipe,
            ),
        ];
        if self.statements.len() > 1 {
            let extra = self
                .statements
                .iter()
                .map(|stmt| {
                    bag(vec![Property::new(
                        "Cmds",
                        list(stmt.iter().map(Command::to_value).collect()),
                    )])
                })
                .collect();
            props.push(Property::new("ExtraCmds", list(extra)));
        }
        bag(props)
    }

    /// The whole CREATE_PIPELINE body ([MS-PSRP] 2.2.2.10): the PowerShell object plus the
    /// invocation settings. The host info says "use the runspace's host" (2.2.3.14), which
    /// makes host calls arrive as PIPELINE_HOST_CALL messages.
    pub fn to_create_pipeline_value(&self) -> PsValue {
        bag(vec![
            Property::new("NoInput", self.no_input),
            Property::new(
                "ApartmentState",
                enum_value(
                    "System.Management.Automation.Runspaces.ApartmentState",
                    "Unknown",
                    2,
                ),
            ),
            Property::new(
                "RemoteStreamOptions",
                enum_value(
                    "System.Management.Automation.Runspaces.RemoteStreamOptions",
                    "0",
                    0,
                ),
            ),
            Property::new("AddToHistory", self.add_to_history),
            Property::new(
                "HostInfo",
                bag(vec![
                    Property::new("_isHostNull", true),
                    Property::new("_isHostUINull", true),
                    Property::new("_isHostRawUINull", true),
                    Property::new("_useRunspaceHost", true),
                ]),
            ),
            Property::new("PowerShell", self.to_powershell_value()),
            Property::new("IsNested", self.is_nested),
        ])
    }

    /// Reads a CREATE_PIPELINE body back (server side). Unknown properties are ignored, as
    /// PowerShell does; a missing command list is an error.
    pub fn from_create_pipeline_value(value: &PsValue) -> Result<Self, CommandDecodeError> {
        let ps = value
            .property("PowerShell")
            .ok_or(CommandDecodeError::Missing("PowerShell"))?;
        let statements = match ps.property("ExtraCmds").and_then(PsValue::as_list) {
            Some(extra) => extra
                .iter()
                .map(|stmt| commands_of(stmt.property("Cmds")))
                .collect::<Result<Vec<_>, _>>()?,
            None => vec![commands_of(ps.property("Cmds"))?],
        };
        Ok(PowerShellSpec {
            statements,
            is_nested: ps
                .property("IsNested")
                .and_then(PsValue::as_bool)
                .unwrap_or(false),
            history: ps
                .property("History")
                .and_then(PsValue::as_str)
                .map(str::to_owned),
            no_input: value
                .property("NoInput")
                .and_then(PsValue::as_bool)
                .unwrap_or(true),
            add_to_history: value
                .property("AddToHistory")
                .and_then(PsValue::as_bool)
                .unwrap_or(false),
            redirect_shell_error_output_pipe: ps
                .property("RedirectShellErrorOutputPipe")
                .and_then(PsValue::as_bool)
                .unwrap_or(false),
        })
    }
}

/// A CREATE_PIPELINE body that does not describe commands.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CommandDecodeError {
    /// A required property is absent or has the wrong type.
    #[error("CREATE_PIPELINE: property {0} is missing or malformed")]
    Missing(&'static str),
}

/// PipelineResultTypes values ([MS-PSRP] 2.2.3.31).
const RESULT_NONE: i32 = 0;
const RESULT_OUTPUT: i32 = 1;
const RESULT_ERROR: i32 = 2;
const PIPELINE_RESULT_TYPES: &str = "System.Management.Automation.Runspaces.PipelineResultTypes";

impl Command {
    fn to_value(&self) -> PsValue {
        let merged = |on: bool| {
            if on {
                enum_value(PIPELINE_RESULT_TYPES, "Output", RESULT_OUTPUT)
            } else {
                enum_value(PIPELINE_RESULT_TYPES, "None", RESULT_NONE)
            }
        };
        // Protocol 2.1 only knows MergeMyResult/MergeToResult (errors into output); later
        // versions read the per-stream properties and ignore these two.
        let (my, to) = if self.merge.error {
            (
                enum_value(PIPELINE_RESULT_TYPES, "Error", RESULT_ERROR),
                enum_value(PIPELINE_RESULT_TYPES, "Output", RESULT_OUTPUT),
            )
        } else {
            (merged(false), merged(false))
        };
        let args = self
            .parameters
            .iter()
            .map(|p| {
                bag(vec![
                    Property::new("N", p.name.clone().map_or(PsValue::Nil, PsValue::String)),
                    Property::new("V", p.value.clone()),
                ])
            })
            .collect();
        bag(vec![
            Property::new("Cmd", self.name.as_str()),
            Property::new("IsScript", self.is_script),
            Property::new(
                "UseLocalScope",
                self.use_local_scope.map_or(PsValue::Nil, PsValue::Bool),
            ),
            Property::new("MergeMyResult", my),
            Property::new("MergeToResult", to),
            Property::new("MergePreviousResults", merged(false)),
            Property::new("Args", list(args)),
            Property::new("MergeError", merged(self.merge.error)),
            Property::new("MergeWarning", merged(self.merge.warning)),
            Property::new("MergeVerbose", merged(self.merge.verbose)),
            Property::new("MergeDebug", merged(self.merge.debug)),
            Property::new("MergeInformation", merged(self.merge.information)),
        ])
    }

    fn from_value(value: &PsValue) -> Result<Self, CommandDecodeError> {
        let name = value
            .property("Cmd")
            .and_then(PsValue::as_str)
            .ok_or(CommandDecodeError::Missing("Cmd"))?;
        let is_merged = |prop: &str| {
            value
                .property(prop)
                .and_then(PsValue::as_i64)
                .is_some_and(|v| v == i64::from(RESULT_OUTPUT))
        };
        let old_style_error = value
            .property("MergeMyResult")
            .and_then(PsValue::as_i64)
            .is_some_and(|v| v == i64::from(RESULT_ERROR));
        let parameters = match value.property("Args") {
            None | Some(PsValue::Nil) => Vec::new(),
            Some(args) => args
                .as_list()
                .ok_or(CommandDecodeError::Missing("Args"))?
                .iter()
                .map(|arg| {
                    let name = match arg.property("N") {
                        None | Some(PsValue::Nil) => None,
                        Some(n) => Some(
                            n.as_str()
                                .ok_or(CommandDecodeError::Missing("N"))?
                                .to_owned(),
                        ),
                    };
                    let value = arg.property("V").cloned().unwrap_or(PsValue::Nil);
                    Ok(Parameter { name, value })
                })
                .collect::<Result<Vec<_>, _>>()?,
        };
        Ok(Command {
            name: name.to_owned(),
            is_script: value
                .property("IsScript")
                .and_then(PsValue::as_bool)
                .unwrap_or(false),
            use_local_scope: value.property("UseLocalScope").and_then(PsValue::as_bool),
            parameters,
            merge: MergeOptions {
                error: is_merged("MergeError") || old_style_error,
                warning: is_merged("MergeWarning"),
                verbose: is_merged("MergeVerbose"),
                debug: is_merged("MergeDebug"),
                information: is_merged("MergeInformation"),
            },
        })
    }
}

fn commands_of(cmds: Option<&PsValue>) -> Result<Vec<Command>, CommandDecodeError> {
    cmds.and_then(PsValue::as_list)
        .ok_or(CommandDecodeError::Missing("Cmds"))?
        .iter()
        .map(Command::from_value)
        .collect()
}

/// A property bag (`<Obj><MS>..</MS></Obj>`).
fn bag(extended: Vec<Property>) -> PsValue {
    PsValue::object(PsObject {
        extended,
        ..PsObject::default()
    })
}

/// A `List<PSObject>`, the list type .NET uses for command and argument lists.
fn list(items: Vec<PsValue>) -> PsValue {
    PsValue::object(PsObject {
        type_names: Some(Arc::from(vec![
            "System.Collections.Generic.List`1[[System.Management.Automation.PSObject, System.Management.Automation, Version=1.0.0.0, Culture=neutral, PublicKeyToken=31bf3856ad364e35]]".to_owned(),
            "System.Object".to_owned(),
        ])),
        content: Some(Container::List(items)),
        ..PsObject::default()
    })
}

/// A .NET enum value: type names, its text, and the number.
fn enum_value(type_name: &str, text: &str, number: i32) -> PsValue {
    PsValue::object(PsObject {
        type_names: Some(Arc::from(vec![
            type_name.to_owned(),
            "System.Enum".to_owned(),
            "System.ValueType".to_owned(),
            "System.Object".to_owned(),
        ])),
        to_string: Some(text.to_owned()),
        value: Some(PsValue::I32(number)),
        ..PsObject::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_keeps_statements_parameters_and_merges() {
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
        let back = PowerShellSpec::from_create_pipeline_value(&spec.to_create_pipeline_value())
            .map_err(|e| e.to_string());
        assert_eq!(back, Ok(spec));
    }

    #[test]
    fn single_statement_has_no_extra_cmds() {
        let spec = PowerShellSpec::new(Command::new("Get-Date"));
        let ps = spec.to_powershell_value();
        assert!(ps.property("ExtraCmds").is_none());
        let cmds = ps
            .property("Cmds")
            .and_then(PsValue::as_list)
            .map(<[_]>::len);
        assert_eq!(cmds, Some(1));
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

    #[test]
    fn missing_powershell_is_a_typed_error() {
        let err = PowerShellSpec::from_create_pipeline_value(&bag(vec![]));
        assert_eq!(err, Err(CommandDecodeError::Missing("PowerShell")));
    }
}
