//! Host information and host method calls ([MS-PSRP] 2.2.2.15-2.2.2.16, 2.2.2.27-2.2.2.28,
//! 2.2.3.14, 2.2.3.17).

use crate::clixml::{Property, PsValue};

use super::super::error::PsrpError;
use super::super::message::MessageType;
use super::props::{Props, dotnet_enum, list_object, note_object};
use super::records::ErrorRecord;

/// HostInfo ([MS-PSRP] 2.2.3.14): what the client's host offers, sent in INIT_RUNSPACEPOOL and
/// CREATE_PIPELINE.
#[derive(Debug, Clone, PartialEq)]
pub struct HostInfo {
    /// `_isHostNull`: no host at all.
    pub is_host_null: bool,
    /// `_isHostUINull`: the host has no UI.
    pub is_host_ui_null: bool,
    /// `_isHostRawUINull`: the host has no raw UI.
    pub is_host_raw_ui_null: bool,
    /// `_useRunspaceHost`: a pipeline uses the runspace pool's host.
    pub use_runspace_host: bool,
    /// `_hostDefaultData` (2.2.3.13): the host's window and colour settings, kept as sent.
    pub host_default_data: Option<PsValue>,
}

impl HostInfo {
    /// No host: the server must not call host methods that need one.
    pub fn null_host() -> Self {
        HostInfo {
            is_host_null: true,
            is_host_ui_null: true,
            is_host_raw_ui_null: true,
            use_runspace_host: false,
            host_default_data: None,
        }
    }

    /// A pipeline that uses the runspace pool's host.
    pub fn runspace_host() -> Self {
        HostInfo {
            use_runspace_host: true,
            ..HostInfo::null_host()
        }
    }

    /// The typed `_hostDefaultData`, when sent.
    pub fn default_data(&self, mt: MessageType) -> Result<Option<HostDefaultData>, PsrpError> {
        self.host_default_data
            .as_ref()
            .map(|d| HostDefaultData::from_clixml(mt, d))
            .transpose()
    }

    /// The `HostInfo` object.
    pub fn to_clixml(&self) -> PsValue {
        let mut props = Vec::with_capacity(5);
        if let Some(d) = &self.host_default_data {
            props.push(Property::new("_hostDefaultData", d.clone()));
        }
        props.push(Property::new("_isHostNull", self.is_host_null));
        props.push(Property::new("_isHostUINull", self.is_host_ui_null));
        props.push(Property::new("_isHostRawUINull", self.is_host_raw_ui_null));
        props.push(Property::new("_useRunspaceHost", self.use_runspace_host));
        note_object(props)
    }

    /// Parses a `HostInfo` object found in a message of type `mt`.
    pub fn from_clixml(mt: MessageType, v: &PsValue) -> Result<Self, PsrpError> {
        let p = Props::of(mt, v)?;
        Ok(HostInfo {
            is_host_null: p.bool("_isHostNull")?,
            is_host_ui_null: p.bool("_isHostUINull")?,
            is_host_raw_ui_null: p.bool("_isHostRawUINull")?,
            use_runspace_host: p.bool("_useRunspaceHost")?,
            host_default_data: p.opt("_hostDefaultData").cloned(),
        })
    }
}

/// `_hostDefaultData` ([MS-PSRP] 2.2.3.13): the host's console settings, keyed by number
/// (0 ForegroundColor, 1 BackgroundColor, 2 CursorPosition, 3 WindowPosition, 4 CursorSize,
/// 5 BufferSize, 6 WindowSize, 7 MaxWindowSize, 8 MaxPhysicalWindowSize, 9 WindowTitle), each
/// value with its .NET type name.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct HostDefaultData {
    /// The entries in wire order: key, .NET type name (`T`), value (`V`).
    pub entries: Vec<HostDefaultEntry>,
}

/// One entry of [`HostDefaultData`].
#[derive(Debug, Clone, PartialEq)]
pub struct HostDefaultEntry {
    /// The setting's number.
    pub key: i32,
    /// `T`: the value's .NET type (`System.ConsoleColor`, `System.Management.Automation.Host.Size`, ...).
    pub type_name: String,
    /// `V`: the value.
    pub value: PsValue,
}

impl HostDefaultData {
    /// The entry for `key`.
    pub fn get(&self, key: i32) -> Option<&HostDefaultEntry> {
        self.entries.iter().find(|e| e.key == key)
    }

    /// The `_hostDefaultData` object.
    pub fn to_clixml(&self) -> PsValue {
        let entries = self
            .entries
            .iter()
            .map(|e| {
                (
                    PsValue::I32(e.key),
                    note_object(vec![
                        Property::new("T", e.type_name.as_str()),
                        Property::new("V", e.value.clone()),
                    ]),
                )
            })
            .collect::<Vec<_>>();
        note_object(vec![Property::new(
            "data",
            crate::clixml::hashtable(entries),
        )])
    }

    /// Parses a `_hostDefaultData` object found in a message of type `mt`.
    pub fn from_clixml(mt: MessageType, v: &PsValue) -> Result<Self, PsrpError> {
        let p = Props::of(mt, v)?;
        let dict = p
            .req("data")?
            .as_dict()
            .ok_or_else(|| p.invalid("data", "a dictionary"))?;
        let entries = dict
            .iter()
            .map(|(k, v)| {
                let key = k
                    .as_i64()
                    .and_then(|k| i32::try_from(k).ok())
                    .ok_or_else(|| p.invalid("data", "integer keys"))?;
                let ep = Props::of(mt, v)?;
                Ok(HostDefaultEntry {
                    key,
                    type_name: ep.string("T")?,
                    value: ep.req("V")?.clone(),
                })
            })
            .collect::<Result<Vec<_>, PsrpError>>()?;
        Ok(HostDefaultData { entries })
    }
}

dotnet_enum! {
    /// The host method a host call invokes ([MS-PSRP] 2.2.3.17).
    RemoteHostMethodId, "System.Management.Automation.Remoting.RemoteHostMethodId", {
        /// `PSHost.Name`.
        GetName = 1,
        /// `PSHost.Version`.
        GetVersion = 2,
        /// `PSHost.InstanceId`.
        GetInstanceId = 3,
        /// `PSHost.CurrentCulture`.
        GetCurrentCulture = 4,
        /// `PSHost.CurrentUICulture`.
        GetCurrentUICulture = 5,
        /// `PSHost.SetShouldExit`.
        SetShouldExit = 6,
        /// `PSHost.EnterNestedPrompt`.
        EnterNestedPrompt = 7,
        /// `PSHost.ExitNestedPrompt`.
        ExitNestedPrompt = 8,
        /// `PSHost.NotifyBeginApplication`.
        NotifyBeginApplication = 9,
        /// `PSHost.NotifyEndApplication`.
        NotifyEndApplication = 10,
        /// `PSHostUserInterface.ReadLine`.
        ReadLine = 11,
        /// `PSHostUserInterface.ReadLineAsSecureString`.
        ReadLineAsSecureString = 12,
        /// `PSHostUserInterface.Write(string)`.
        Write1 = 13,
        /// `PSHostUserInterface.Write(ConsoleColor, ConsoleColor, string)`.
        Write2 = 14,
        /// `PSHostUserInterface.WriteLine()`.
        WriteLine1 = 15,
        /// `PSHostUserInterface.WriteLine(string)`.
        WriteLine2 = 16,
        /// `PSHostUserInterface.WriteLine(ConsoleColor, ConsoleColor, string)`.
        WriteLine3 = 17,
        /// `PSHostUserInterface.WriteErrorLine`.
        WriteErrorLine = 18,
        /// `PSHostUserInterface.WriteDebugLine`.
        WriteDebugLine = 19,
        /// `PSHostUserInterface.WriteProgress`.
        WriteProgress = 20,
        /// `PSHostUserInterface.WriteVerboseLine`.
        WriteVerboseLine = 21,
        /// `PSHostUserInterface.WriteWarningLine`.
        WriteWarningLine = 22,
        /// `PSHostUserInterface.Prompt`.
        Prompt = 23,
        /// `PSHostUserInterface.PromptForCredential` (four arguments).
        PromptForCredential1 = 24,
        /// `PSHostUserInterface.PromptForCredential` (six arguments).
        PromptForCredential2 = 25,
        /// `PSHostUserInterface.PromptForChoice`.
        PromptForChoice = 26,
        /// `PSHostRawUserInterface.ForegroundColor` get.
        GetForegroundColor = 27,
        /// `PSHostRawUserInterface.ForegroundColor` set.
        SetForegroundColor = 28,
        /// `PSHostRawUserInterface.BackgroundColor` get.
        GetBackgroundColor = 29,
        /// `PSHostRawUserInterface.BackgroundColor` set.
        SetBackgroundColor = 30,
        /// `PSHostRawUserInterface.CursorPosition` get.
        GetCursorPosition = 31,
        /// `PSHostRawUserInterface.CursorPosition` set.
        SetCursorPosition = 32,
        /// `PSHostRawUserInterface.WindowPosition` get.
        GetWindowPosition = 33,
        /// `PSHostRawUserInterface.WindowPosition` set.
        SetWindowPosition = 34,
        /// `PSHostRawUserInterface.CursorSize` get.
        GetCursorSize = 35,
        /// `PSHostRawUserInterface.CursorSize` set.
        SetCursorSize = 36,
        /// `PSHostRawUserInterface.BufferSize` get.
        GetBufferSize = 37,
        /// `PSHostRawUserInterface.BufferSize` set.
        SetBufferSize = 38,
        /// `PSHostRawUserInterface.WindowSize` get.
        GetWindowSize = 39,
        /// `PSHostRawUserInterface.WindowSize` set.
        SetWindowSize = 40,
        /// `PSHostRawUserInterface.WindowTitle` get.
        GetWindowTitle = 41,
        /// `PSHostRawUserInterface.WindowTitle` set.
        SetWindowTitle = 42,
        /// `PSHostRawUserInterface.MaxWindowSize`.
        GetMaxWindowSize = 43,
        /// `PSHostRawUserInterface.MaxPhysicalWindowSize`.
        GetMaxPhysicalWindowSize = 44,
        /// `PSHostRawUserInterface.KeyAvailable`.
        GetKeyAvailable = 45,
        /// `PSHostRawUserInterface.ReadKey`.
        ReadKey = 46,
        /// `PSHostRawUserInterface.FlushInputBuffer`.
        FlushInputBuffer = 47,
        /// `PSHostRawUserInterface.SetBufferContents(Rectangle, BufferCell)`.
        SetBufferContents1 = 48,
        /// `PSHostRawUserInterface.SetBufferContents(Coordinates, BufferCell[,])`.
        SetBufferContents2 = 49,
        /// `PSHostRawUserInterface.GetBufferContents`.
        GetBufferContents = 50,
        /// `PSHostRawUserInterface.ScrollBufferContents`.
        ScrollBufferContents = 51,
        /// `IHostSupportsInteractiveSession.PushRunspace`.
        PushRunspace = 52,
        /// `IHostSupportsInteractiveSession.PopRunspace`.
        PopRunspace = 53,
        /// `IHostSupportsInteractiveSession.IsRunspacePushed`.
        GetIsRunspacePushed = 54,
        /// `IHostSupportsInteractiveSession.Runspace`.
        GetRunspace = 55,
        /// `IHostUISupportsMultipleChoiceSelection.PromptForChoice`.
        PromptForChoiceMultipleSelection = 56,
    }
}

/// RUNSPACEPOOL_HOST_CALL / PIPELINE_HOST_CALL ([MS-PSRP] 2.2.2.15, 2.2.2.27): the server asks
/// the client's host to run a method.
#[derive(Debug, Clone, PartialEq)]
pub struct HostCall {
    /// `ci`: the call id the response must echo.
    pub call_id: i64,
    /// `mi`: the method.
    pub method: RemoteHostMethodId,
    /// `mp`: the method's arguments.
    pub params: Vec<PsValue>,
}

impl HostCall {
    /// The body.
    pub fn to_clixml(&self) -> PsValue {
        note_object(vec![
            Property::new("ci", self.call_id),
            Property::new("mi", self.method.to_clixml()),
            Property::new(
                "mp",
                list_object(
                    &["System.Collections.ArrayList", "System.Object"],
                    self.params.clone(),
                ),
            ),
        ])
    }

    /// Parses the body of a message of type `mt` (either host-call type).
    pub fn from_clixml(mt: MessageType, v: &PsValue) -> Result<Self, PsrpError> {
        let p = Props::of(mt, v)?;
        Ok(HostCall {
            call_id: p.i64("ci")?,
            method: p.enumeration("mi", RemoteHostMethodId::from_value, "a host method id")?,
            params: p.list("mp")?.to_vec(),
        })
    }
}

/// RUNSPACEPOOL_HOST_RESPONSE / PIPELINE_HOST_RESPONSE ([MS-PSRP] 2.2.2.16, 2.2.2.28): the
/// client's answer to a host call.
#[derive(Debug, Clone, PartialEq)]
pub struct HostResponse {
    /// `ci`: the call id of the call answered.
    pub call_id: i64,
    /// `mi`: the method called.
    pub method: RemoteHostMethodId,
    /// `mr`: the return value, for methods that return one.
    pub return_value: Option<PsValue>,
    /// `me`: the error the method raised instead.
    pub error: Option<ErrorRecord>,
}

impl HostResponse {
    /// The body.
    pub fn to_clixml(&self) -> PsValue {
        // .NET's order: call id, method id, then the return value or the exception.
        let mut props = vec![
            Property::new("ci", self.call_id),
            Property::new("mi", self.method.to_clixml()),
        ];
        if let Some(r) = &self.return_value {
            props.push(Property::new("mr", r.clone()));
        }
        if let Some(e) = &self.error {
            props.push(Property::new("me", e.to_clixml()));
        }
        note_object(props)
    }

    /// Parses the body of a message of type `mt` (either host-response type).
    pub fn from_clixml(mt: MessageType, v: &PsValue) -> Result<Self, PsrpError> {
        let p = Props::of(mt, v)?;
        let error = match p.opt("me") {
            None => None,
            Some(e) => Some(ErrorRecord::from_clixml(mt, e)?),
        };
        Ok(HostResponse {
            call_id: p.i64("ci")?,
            method: p.enumeration("mi", RemoteHostMethodId::from_value, "a host method id")?,
            return_value: p.get("mr").cloned(),
            error,
        })
    }
}
