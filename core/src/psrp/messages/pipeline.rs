//! Pipeline messages ([MS-PSRP] 2.2.2.10, 2.2.2.17-2.2.2.21, 2.2.3.11-2.2.3.13).

use crate::clixml::{Property, PsValue};

use super::super::error::PsrpError;
use super::super::message::MessageType;
use super::host::HostInfo;
use super::pool::ApartmentState;
use super::props::{Props, dotnet_enum, list_object, note_object};
use super::records::ErrorRecord;

dotnet_enum! {
    /// The state of a pipeline (`System.Management.Automation.PSInvocationState`,
    /// [MS-PSRP] 2.2.3.5).
    PSInvocationState, "System.Management.Automation.PSInvocationState", {
        /// Not started.
        NotStarted = 0,
        /// Running.
        Running = 1,
        /// Being stopped.
        Stopping = 2,
        /// Stopped by a stop signal.
        Stopped = 3,
        /// Finished.
        Completed = 4,
        /// Failed with a terminating error.
        Failed = 5,
        /// Disconnected.
        Disconnected = 6,
    }
}

dotnet_enum! {
    /// A stream to merge from or to (`PipelineResultTypes`, [MS-PSRP] 2.2.3.31).
    PipelineResultTypes, "System.Management.Automation.Runspaces.PipelineResultTypes", {
        /// No merge.
        None = 0,
        /// The output stream.
        Output = 1,
        /// The error stream.
        Error = 2,
        /// The warning stream.
        Warning = 3,
        /// The verbose stream.
        Verbose = 4,
        /// The debug stream.
        Debug = 5,
        /// The information stream.
        Information = 6,
        /// Every stream.
        All = 7,
        /// Discard.
        Null = 8,
    }
}

/// Which stream records carry invocation info (`RemoteStreamOptions` flags, [MS-PSRP] 2.2.3.12).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct RemoteStreamOptions(pub u32);

impl RemoteStreamOptions {
    /// No invocation info.
    pub const NONE: Self = RemoteStreamOptions(0);
    /// Invocation info on error records.
    pub const ERROR_RECORD: Self = RemoteStreamOptions(1);
    /// Invocation info on warning records.
    pub const WARNING_RECORD: Self = RemoteStreamOptions(2);
    /// Invocation info on debug records.
    pub const DEBUG_RECORD: Self = RemoteStreamOptions(4);
    /// Invocation info on verbose records.
    pub const VERBOSE_RECORD: Self = RemoteStreamOptions(8);
    /// Invocation info on every record.
    pub const ALL: Self = RemoteStreamOptions(15);

    const NAMES: [(u32, &'static str); 4] = [
        (1, "AddInvocationInfoToErrorRecord"),
        (2, "AddInvocationInfoToWarningRecord"),
        (4, "AddInvocationInfoToDebugRecord"),
        (8, "AddInvocationInfoToVerboseRecord"),
    ];

    /// The .NET `ToString` of the flags.
    pub fn name(self) -> String {
        match self.0 {
            0 => "None".to_owned(),
            15 => "AddInvocationInfo".to_owned(),
            v => Self::NAMES
                .iter()
                .filter(|(bit, _)| v & bit != 0)
                .map(|(_, n)| *n)
                .collect::<Vec<_>>()
                .join(", "),
        }
    }

    /// The CLIXML enum object.
    pub fn to_clixml(self) -> PsValue {
        let value = i32::try_from(self.0).unwrap_or(i32::MAX);
        crate::clixml::enum_value(
            &[
                "System.Management.Automation.RemoteStreamOptions",
                "System.Enum",
                "System.ValueType",
                "System.Object",
            ],
            &self.name(),
            value,
        )
    }
}

/// One argument of a command ([MS-PSRP] 2.2.3.13): named (`-Name value`, a switch is
/// `-Name` with `true`) or positional.
#[derive(Debug, Clone, PartialEq)]
pub struct CommandArgument {
    /// `N`: the parameter name, `None` for a positional argument.
    pub name: Option<String>,
    /// `V`: the value.
    pub value: PsValue,
}

/// One command of a statement ([MS-PSRP] 2.2.3.12).
#[derive(Debug, Clone, PartialEq)]
pub struct PipelineCommand {
    /// `Cmd`: the command name, or the script text when `is_script`.
    pub cmd: String,
    /// `IsScript`.
    pub is_script: bool,
    /// `UseLocalScope`.
    pub use_local_scope: Option<bool>,
    /// `MergeMyResult`: the stream merged into `merge_to_result`.
    pub merge_my_result: PipelineResultTypes,
    /// `MergeToResult`.
    pub merge_to_result: PipelineResultTypes,
    /// `MergePreviousResults`: merge what previous commands wrote.
    pub merge_previous_results: PipelineResultTypes,
    /// `MergeError` (protocol 2.2 and later).
    pub merge_error: Option<PipelineResultTypes>,
    /// `MergeWarning` (protocol 2.2 and later).
    pub merge_warning: Option<PipelineResultTypes>,
    /// `MergeVerbose` (protocol 2.2 and later).
    pub merge_verbose: Option<PipelineResultTypes>,
    /// `MergeDebug` (protocol 2.2 and later).
    pub merge_debug: Option<PipelineResultTypes>,
    /// `MergeInformation` (protocol 2.3).
    pub merge_information: Option<PipelineResultTypes>,
    /// `Args`.
    pub args: Vec<CommandArgument>,
}

const PSOBJECT_LIST: &[&str] = &[
    "System.Collections.Generic.List`1[[System.Management.Automation.PSObject, System.Management.Automation, Version=3.0.0.0, Culture=neutral, PublicKeyToken=31bf3856ad364e35]]",
    "System.Object",
];

const MERGE_STREAMS: [&str; 5] = [
    "MergeError",
    "MergeWarning",
    "MergeVerbose",
    "MergeDebug",
    "MergeInformation",
];

impl PipelineCommand {
    /// A command by name with no arguments and no merging, as protocol 2.3 sends it.
    pub fn new(cmd: impl Into<String>) -> Self {
        PipelineCommand {
            cmd: cmd.into(),
            is_script: false,
            use_local_scope: None,
            merge_my_result: PipelineResultTypes::None,
            merge_to_result: PipelineResultTypes::None,
            merge_previous_results: PipelineResultTypes::None,
            merge_error: Some(PipelineResultTypes::None),
            merge_warning: Some(PipelineResultTypes::None),
            merge_verbose: Some(PipelineResultTypes::None),
            merge_debug: Some(PipelineResultTypes::None),
            merge_information: Some(PipelineResultTypes::None),
            args: Vec::new(),
        }
    }

    fn merges(&self) -> [Option<PipelineResultTypes>; 5] {
        [
            self.merge_error,
            self.merge_warning,
            self.merge_verbose,
            self.merge_debug,
            self.merge_information,
        ]
    }

    /// The command object.
    pub fn to_clixml(&self) -> PsValue {
        let args = self
            .args
            .iter()
            .map(|a| {
                note_object(vec![
                    Property::new("N", a.name.as_deref().map_or(PsValue::Nil, PsValue::from)),
                    Property::new("V", a.value.clone()),
                ])
            })
            .collect();
        let mut props = vec![
            Property::new("Cmd", self.cmd.as_str()),
            Property::new("IsScript", self.is_script),
            Property::new(
                "UseLocalScope",
                self.use_local_scope.map_or(PsValue::Nil, PsValue::Bool),
            ),
            Property::new("MergeMyResult", self.merge_my_result.to_clixml()),
            Property::new("MergeToResult", self.merge_to_result.to_clixml()),
            Property::new(
                "MergePreviousResults",
                self.merge_previous_results.to_clixml(),
            ),
            Property::new("Args", list_object(PSOBJECT_LIST, args)),
        ];
        for (name, merge) in MERGE_STREAMS.iter().zip(self.merges()) {
            if let Some(m) = merge {
                props.push(Property::new(*name, m.to_clixml()));
            }
        }
        note_object(props)
    }

    /// Parses a command object.
    pub fn from_clixml(v: &PsValue) -> Result<Self, PsrpError> {
        let p = Props::of(MessageType::CreatePipeline, v)?;
        let merge = |name: &'static str| {
            p.enumeration(
                name,
                PipelineResultTypes::from_value,
                "a PipelineResultTypes value",
            )
        };
        let opt_merge = |name: &'static str| match p.opt(name) {
            None => Ok(None),
            Some(_) => merge(name).map(Some),
        };
        let args = p
            .list("Args")?
            .iter()
            .map(|a| {
                let ap = Props::of(MessageType::CreatePipeline, a)?;
                Ok(CommandArgument {
                    name: ap.opt_string("N")?,
                    value: ap.req("V")?.clone(),
                })
            })
            .collect::<Result<Vec<_>, PsrpError>>()?;
        Ok(PipelineCommand {
            cmd: p.string("Cmd")?,
            is_script: p.bool("IsScript")?,
            use_local_scope: p.opt_bool("UseLocalScope")?,
            merge_my_result: merge("MergeMyResult")?,
            merge_to_result: merge("MergeToResult")?,
            merge_previous_results: merge("MergePreviousResults")?,
            merge_error: opt_merge("MergeError")?,
            merge_warning: opt_merge("MergeWarning")?,
            merge_verbose: opt_merge("MergeVerbose")?,
            merge_debug: opt_merge("MergeDebug")?,
            merge_information: opt_merge("MergeInformation")?,
            args,
        })
    }
}

/// The `PowerShell` object of CREATE_PIPELINE ([MS-PSRP] 2.2.3.11): one or more statements,
/// each a pipeline of commands.
#[derive(Debug, Clone, PartialEq)]
pub struct PowerShell {
    /// The statements in order. On the wire the first is `Cmds`; when there are several, all of
    /// them are in `ExtraCmds` as well (how PowerShell batches statements).
    pub statements: Vec<Vec<PipelineCommand>>,
    /// `IsNested`.
    pub is_nested: bool,
    /// `History`: the history text, when added to history.
    pub history: Option<String>,
    /// `RedirectShellErrorOutputPipe`.
    pub redirect_shell_error_output_pipe: bool,
}

fn commands(list: Vec<PsValue>) -> PsValue {
    list_object(PSOBJECT_LIST, list)
}

fn parse_commands(p: &Props<'_>, name: &'static str) -> Result<Vec<PipelineCommand>, PsrpError> {
    p.list(name)?
        .iter()
        .map(PipelineCommand::from_clixml)
        .collect()
}

impl PowerShell {
    /// The `PowerShell` object.
    pub fn to_clixml(&self) -> PsValue {
        let statement =
            |s: &[PipelineCommand]| commands(s.iter().map(PipelineCommand::to_clixml).collect());
        let first = self
            .statements
            .first()
            .map_or_else(|| commands(Vec::new()), |s| statement(s));
        let mut props = vec![Property::new("IsNested", self.is_nested)];
        if self.statements.len() > 1 {
            let extra = self
                .statements
                .iter()
                .map(|s| note_object(vec![Property::new("Cmds", statement(s))]))
                .collect();
            props.push(Property::new("ExtraCmds", commands(extra)));
        }
        props.push(Property::new("Cmds", first));
        props.push(Property::new(
            "History",
            self.history.as_deref().map_or(PsValue::Nil, PsValue::from),
        ));
        props.push(Property::new(
            "RedirectShellErrorOutputPipe",
            self.redirect_shell_error_output_pipe,
        ));
        note_object(props)
    }

    /// Parses the `PowerShell` object.
    pub fn from_clixml(v: &PsValue) -> Result<Self, PsrpError> {
        let mt = MessageType::CreatePipeline;
        let p = Props::of(mt, v)?;
        let statements = match p.opt("ExtraCmds") {
            Some(_) => p
                .list("ExtraCmds")?
                .iter()
                .map(|s| parse_commands(&Props::of(mt, s)?, "Cmds"))
                .collect::<Result<Vec<_>, _>>()?,
            None => vec![parse_commands(&p, "Cmds")?],
        };
        Ok(PowerShell {
            statements,
            is_nested: p.bool("IsNested")?,
            history: p.opt_string("History")?,
            redirect_shell_error_output_pipe: p.bool("RedirectShellErrorOutputPipe")?,
        })
    }
}

/// CREATE_PIPELINE ([MS-PSRP] 2.2.2.10).
#[derive(Debug, Clone, PartialEq)]
pub struct CreatePipeline {
    /// `NoInput`: no PIPELINE_INPUT will follow.
    pub no_input: bool,
    /// `ApartmentState`.
    pub apartment_state: ApartmentState,
    /// `RemoteStreamOptions`.
    pub remote_stream_options: RemoteStreamOptions,
    /// `AddToHistory`.
    pub add_to_history: bool,
    /// `HostInfo`.
    pub host_info: HostInfo,
    /// `PowerShell`: the statements to run.
    pub power_shell: PowerShell,
    /// `IsNested`.
    pub is_nested: bool,
}

impl CreatePipeline {
    /// The body.
    pub fn to_clixml(&self) -> PsValue {
        note_object(vec![
            Property::new("NoInput", self.no_input),
            Property::new("ApartmentState", self.apartment_state.to_clixml()),
            Property::new(
                "RemoteStreamOptions",
                self.remote_stream_options.to_clixml(),
            ),
            Property::new("AddToHistory", self.add_to_history),
            Property::new("HostInfo", self.host_info.to_clixml()),
            Property::new("PowerShell", self.power_shell.to_clixml()),
            Property::new("IsNested", self.is_nested),
        ])
    }

    /// Parses the body.
    pub fn from_clixml(v: &PsValue) -> Result<Self, PsrpError> {
        let mt = MessageType::CreatePipeline;
        let p = Props::of(mt, v)?;
        let rso = p.i64("RemoteStreamOptions")?;
        Ok(CreatePipeline {
            no_input: p.bool("NoInput")?,
            apartment_state: p.enumeration(
                "ApartmentState",
                ApartmentState::from_value,
                "an ApartmentState value",
            )?,
            remote_stream_options: RemoteStreamOptions(
                u32::try_from(rso).map_err(|_| p.invalid("RemoteStreamOptions", "a flag set"))?,
            ),
            add_to_history: p.bool("AddToHistory")?,
            host_info: HostInfo::from_clixml(mt, p.req("HostInfo")?)?,
            power_shell: PowerShell::from_clixml(p.req("PowerShell")?)?,
            is_nested: p.bool("IsNested")?,
        })
    }
}

/// PIPELINE_STATE ([MS-PSRP] 2.2.2.21): the pipeline's new state, with the terminating error
/// of a failed one.
#[derive(Debug, Clone, PartialEq)]
pub struct PipelineStateMessage {
    /// `PipelineState`.
    pub state: PSInvocationState,
    /// `ExceptionAsErrorRecord`, for a failed or stopped pipeline.
    pub error: Option<ErrorRecord>,
}

impl PipelineStateMessage {
    /// The body.
    pub fn to_clixml(&self) -> PsValue {
        let mut props = vec![Property::new("PipelineState", self.state.value())];
        if let Some(e) = &self.error {
            props.push(Property::new("ExceptionAsErrorRecord", e.to_clixml()));
        }
        note_object(props)
    }

    /// Parses the body.
    pub fn from_clixml(v: &PsValue) -> Result<Self, PsrpError> {
        let mt = MessageType::PipelineState;
        let p = Props::of(mt, v)?;
        let error = match p.opt("ExceptionAsErrorRecord") {
            None => None,
            Some(e) => Some(ErrorRecord::from_clixml(mt, e)?),
        };
        Ok(PipelineStateMessage {
            state: p.enumeration(
                "PipelineState",
                PSInvocationState::from_value,
                "a PSInvocationState value",
            )?,
            error,
        })
    }
}
