//! Runspace-pool messages ([MS-PSRP] 2.2.2.2, 2.2.2.6-2.2.2.14, 2.2.2.29-2.2.2.34).

use std::sync::Arc;

use crate::clixml::{Property, PsObject, PsValue};

use super::super::error::PsrpError;
use super::super::message::MessageType;
use super::host::HostInfo;
use super::props::{Props, dotnet_enum, list_object, note_object, or_nil};
use super::records::ErrorRecord;

dotnet_enum! {
    /// The state of a runspace pool (`System.Management.Automation.Runspaces.RunspacePoolState`,
    /// [MS-PSRP] 2.2.3.4).
    RunspacePoolState, "System.Management.Automation.Runspaces.RunspacePoolState", {
        /// Not opened yet.
        BeforeOpen = 0,
        /// Being opened.
        Opening = 1,
        /// Open: pipelines may run.
        Opened = 2,
        /// Closed.
        Closed = 3,
        /// Being closed.
        Closing = 4,
        /// Failed; the pool cannot be used.
        Broken = 5,
        /// The session capability was sent.
        NegotiationSent = 6,
        /// The session capability was accepted.
        NegotiationSucceeded = 7,
        /// Reconnecting to a disconnected pool.
        Connecting = 8,
        /// Disconnected; may be reconnected.
        Disconnected = 9,
    }
}

dotnet_enum! {
    /// How the server runs invocations on threads ([MS-PSRP] 2.2.3.7).
    PsThreadOptions, "System.Management.Automation.Runspaces.PSThreadOptions", {
        /// The server's default.
        Default = 0,
        /// A new thread per invocation.
        UseNewThread = 1,
        /// One thread, reused.
        ReuseThread = 2,
        /// The calling thread.
        UseCurrentThread = 3,
    }
}

dotnet_enum! {
    /// The COM apartment of the server's threads ([MS-PSRP] 2.2.3.8).
    ApartmentState, "System.Threading.ApartmentState", {
        /// Single-threaded apartment.
        STA = 0,
        /// Multi-threaded apartment.
        MTA = 1,
        /// Not set.
        Unknown = 2,
    }
}

/// INIT_RUNSPACEPOOL ([MS-PSRP] 2.2.2.2): the client asks the server to open the pool.
#[derive(Debug, Clone, PartialEq)]
pub struct InitRunspacePool {
    /// `MinRunspaces`.
    pub min_runspaces: i32,
    /// `MaxRunspaces`.
    pub max_runspaces: i32,
    /// `PSThreadOptions`.
    pub thread_options: PsThreadOptions,
    /// `ApartmentState`.
    pub apartment_state: ApartmentState,
    /// `HostInfo`.
    pub host_info: HostInfo,
    /// `ApplicationArguments`: a `PSPrimitiveDictionary` the server's session configuration can
    /// read (`$PSSenderInfo.ApplicationArguments`), or nothing.
    pub application_arguments: Option<PsValue>,
}

impl InitRunspacePool {
    /// A pool of `min_runspaces` to `max_runspaces` runspaces with default threading, no host
    /// and no application arguments: what a non-interactive client sends.
    pub fn new(min_runspaces: i32, max_runspaces: i32) -> Self {
        InitRunspacePool {
            min_runspaces,
            max_runspaces,
            thread_options: PsThreadOptions::Default,
            apartment_state: ApartmentState::Unknown,
            host_info: HostInfo::null_host(),
            application_arguments: None,
        }
    }

    /// The body.
    pub fn to_clixml(&self) -> PsValue {
        note_object(vec![
            Property::new("MinRunspaces", self.min_runspaces),
            Property::new("MaxRunspaces", self.max_runspaces),
            Property::new("PSThreadOptions", self.thread_options.to_clixml()),
            Property::new("ApartmentState", self.apartment_state.to_clixml()),
            Property::new("HostInfo", self.host_info.to_clixml()),
            Property::new(
                "ApplicationArguments",
                or_nil(self.application_arguments.clone()),
            ),
        ])
    }

    /// Parses the body.
    pub fn from_clixml(v: &PsValue) -> Result<Self, PsrpError> {
        let mt = MessageType::InitRunspacePool;
        let p = Props::of(mt, v)?;
        Ok(InitRunspacePool {
            min_runspaces: p.i32("MinRunspaces")?,
            max_runspaces: p.i32("MaxRunspaces")?,
            thread_options: p.enumeration(
                "PSThreadOptions",
                PsThreadOptions::from_value,
                "a PSThreadOptions value",
            )?,
            apartment_state: p.enumeration(
                "ApartmentState",
                ApartmentState::from_value,
                "an ApartmentState value",
            )?,
            host_info: HostInfo::from_clixml(mt, p.req("HostInfo")?)?,
            application_arguments: p.opt("ApplicationArguments").cloned(),
        })
    }
}

/// CONNECT_RUNSPACEPOOL ([MS-PSRP] 2.2.2.32): reconnect to a disconnected pool, optionally
/// changing its size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ConnectRunspacePool {
    /// `MinRunspaces`, when changed.
    pub min_runspaces: Option<i32>,
    /// `MaxRunspaces`, when changed.
    pub max_runspaces: Option<i32>,
}

impl ConnectRunspacePool {
    /// The body: a property bag, or an empty string when neither size is given.
    pub fn to_clixml(&self) -> PsValue {
        let mut props = Vec::with_capacity(2);
        if let Some(v) = self.min_runspaces {
            props.push(Property::new("MinRunspaces", v));
        }
        if let Some(v) = self.max_runspaces {
            props.push(Property::new("MaxRunspaces", v));
        }
        if props.is_empty() {
            PsValue::String(String::new())
        } else {
            note_object(props)
        }
    }

    /// Parses the body.
    pub fn from_clixml(v: &PsValue) -> Result<Self, PsrpError> {
        if v.as_str().is_some() || v.is_nil() {
            return Ok(ConnectRunspacePool::default());
        }
        let p = Props::of(MessageType::ConnectRunspacePool, v)?;
        Ok(ConnectRunspacePool {
            min_runspaces: p.opt_i32("MinRunspaces")?,
            max_runspaces: p.opt_i32("MaxRunspaces")?,
        })
    }
}

/// RUNSPACEPOOL_INIT_DATA ([MS-PSRP] 2.2.2.33): the pool's size, sent by the server on connect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunspacePoolInitData {
    /// `MinRunspaces`.
    pub min_runspaces: i32,
    /// `MaxRunspaces`.
    pub max_runspaces: i32,
}

impl RunspacePoolInitData {
    /// The body.
    pub fn to_clixml(&self) -> PsValue {
        note_object(vec![
            Property::new("MinRunspaces", self.min_runspaces),
            Property::new("MaxRunspaces", self.max_runspaces),
        ])
    }

    /// Parses the body.
    pub fn from_clixml(v: &PsValue) -> Result<Self, PsrpError> {
        let p = Props::of(MessageType::RunspacePoolInitData, v)?;
        Ok(RunspacePoolInitData {
            min_runspaces: p.i32("MinRunspaces")?,
            max_runspaces: p.i32("MaxRunspaces")?,
        })
    }
}

/// A message whose only content is a call id (`ci`): GET_AVAILABLE_RUNSPACES (2.2.2.11) and
/// RESET_RUNSPACE_STATE (2.2.2.34).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallId {
    /// `ci`: echoed in the RUNSPACE_AVAILABILITY answer.
    pub call_id: i64,
}

impl CallId {
    /// The body.
    pub fn to_clixml(&self) -> PsValue {
        note_object(vec![Property::new("ci", self.call_id)])
    }

    /// Parses the body of a message of type `mt`.
    pub fn from_clixml(mt: MessageType, v: &PsValue) -> Result<Self, PsrpError> {
        let p = Props::of(mt, v)?;
        Ok(CallId {
            call_id: p.i64("ci")?,
        })
    }
}

/// SET_MAX_RUNSPACES ([MS-PSRP] 2.2.2.6) and SET_MIN_RUNSPACES (2.2.2.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SetRunspaces {
    /// `MaxRunspaces` or `MinRunspaces`: the new limit.
    pub runspaces: i32,
    /// `ci`: echoed in the RUNSPACE_AVAILABILITY answer.
    pub call_id: i64,
}

impl SetRunspaces {
    fn property(mt: MessageType) -> &'static str {
        if mt == MessageType::SetMinRunspaces {
            "MinRunspaces"
        } else {
            "MaxRunspaces"
        }
    }

    /// The body of a message of type `mt` (SET_MAX_RUNSPACES or SET_MIN_RUNSPACES).
    pub fn to_clixml(&self, mt: MessageType) -> PsValue {
        note_object(vec![
            Property::new(Self::property(mt), self.runspaces),
            Property::new("ci", self.call_id),
        ])
    }

    /// Parses the body of a message of type `mt`.
    pub fn from_clixml(mt: MessageType, v: &PsValue) -> Result<Self, PsrpError> {
        let p = Props::of(mt, v)?;
        Ok(SetRunspaces {
            runspaces: p.i32(Self::property(mt))?,
            call_id: p.i64("ci")?,
        })
    }
}

/// The answer in a RUNSPACE_AVAILABILITY message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Availability {
    /// Whether a SET_MAX/MIN_RUNSPACES call succeeded.
    Set(bool),
    /// How many runspaces are free, for GET_AVAILABLE_RUNSPACES.
    Count(i64),
}

/// RUNSPACE_AVAILABILITY ([MS-PSRP] 2.2.2.8): the server's answer to SET_MAX_RUNSPACES,
/// SET_MIN_RUNSPACES, GET_AVAILABLE_RUNSPACES and RESET_RUNSPACE_STATE.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunspaceAvailability {
    /// `SetMinMaxRunspacesResponse`.
    pub response: Availability,
    /// `ci`: the call answered.
    pub call_id: i64,
}

impl RunspaceAvailability {
    /// The body.
    pub fn to_clixml(&self) -> PsValue {
        let response = match self.response {
            Availability::Set(b) => PsValue::Bool(b),
            // [MS-PSRP] 2.2.2.8 says Int64; Windows sends `<I32>` when the count fits.
            Availability::Count(n) => i32::try_from(n).map_or(PsValue::I64(n), PsValue::I32),
        };
        note_object(vec![
            Property::new("SetMinMaxRunspacesResponse", response),
            Property::new("ci", self.call_id),
        ])
    }

    /// Parses the body.
    pub fn from_clixml(v: &PsValue) -> Result<Self, PsrpError> {
        let p = Props::of(MessageType::RunspaceAvailability, v)?;
        let raw = p.req("SetMinMaxRunspacesResponse")?;
        let response = if let Some(b) = raw.as_bool() {
            Availability::Set(b)
        } else if let Some(n) = raw.as_i64() {
            Availability::Count(n)
        } else {
            return Err(p.invalid("SetMinMaxRunspacesResponse", "a boolean or an integer"));
        };
        Ok(RunspaceAvailability {
            response,
            call_id: p.i64("ci")?,
        })
    }
}

/// RUNSPACEPOOL_STATE ([MS-PSRP] 2.2.2.9): the pool's new state, with the error that broke it.
#[derive(Debug, Clone, PartialEq)]
pub struct RunspacePoolStateMessage {
    /// `RunspaceState`.
    pub state: RunspacePoolState,
    /// `ExceptionAsErrorRecord`, for a broken pool.
    pub error: Option<ErrorRecord>,
}

impl RunspacePoolStateMessage {
    /// The body.
    pub fn to_clixml(&self) -> PsValue {
        let mut props = vec![Property::new("RunspaceState", self.state.value())];
        if let Some(e) = &self.error {
            props.push(Property::new("ExceptionAsErrorRecord", e.to_clixml()));
        }
        note_object(props)
    }

    /// Parses the body.
    pub fn from_clixml(v: &PsValue) -> Result<Self, PsrpError> {
        let mt = MessageType::RunspacePoolState;
        let p = Props::of(mt, v)?;
        let error = match p.opt("ExceptionAsErrorRecord") {
            None => None,
            Some(e) => Some(ErrorRecord::from_clixml(mt, e)?),
        };
        Ok(RunspacePoolStateMessage {
            state: p.enumeration(
                "RunspaceState",
                RunspacePoolState::from_value,
                "a RunspacePoolState value",
            )?,
            error,
        })
    }
}

/// USER_EVENT ([MS-PSRP] 2.2.2.12): an event forwarded from the server, kept as sent
/// (`PSEventArgs.*` properties).
#[derive(Debug, Clone, PartialEq)]
pub struct UserEvent {
    /// The event object.
    pub object: Arc<PsObject>,
}

impl UserEvent {
    /// The body.
    pub fn to_clixml(&self) -> PsValue {
        PsValue::Object(Arc::clone(&self.object))
    }

    /// Parses the body.
    pub fn from_clixml(v: &PsValue) -> Result<Self, PsrpError> {
        let p = Props::of(MessageType::UserEvent, v)?;
        p.req("PSEventArgs.SourceArgs")?;
        match v {
            PsValue::Object(o) => Ok(UserEvent {
                object: Arc::clone(o),
            }),
            _ => Err(p.invalid("(body)", "an object")),
        }
    }

    /// `PSEventArgs.EventIdentifier`.
    pub fn event_identifier(&self) -> Option<i64> {
        self.object
            .property("PSEventArgs.EventIdentifier")?
            .as_i64()
    }

    /// `PSEventArgs.SourceIdentifier`.
    pub fn source_identifier(&self) -> Option<&str> {
        self.object
            .property("PSEventArgs.SourceIdentifier")?
            .as_str()
    }

    /// `PSEventArgs.MessageData`.
    pub fn message_data(&self) -> Option<&PsValue> {
        self.object.property("PSEventArgs.MessageData")
    }
}

/// APPLICATION_PRIVATE_DATA ([MS-PSRP] 2.2.2.13): data the server's session configuration
/// publishes, including `PSVersionTable`.
#[derive(Debug, Clone, PartialEq)]
pub struct ApplicationPrivateData {
    /// `ApplicationPrivateData`: a `PSPrimitiveDictionary`, or `Nil`.
    pub data: PsValue,
}

impl ApplicationPrivateData {
    /// The body.
    pub fn to_clixml(&self) -> PsValue {
        note_object(vec![Property::new(
            "ApplicationPrivateData",
            self.data.clone(),
        )])
    }

    /// Parses the body.
    pub fn from_clixml(v: &PsValue) -> Result<Self, PsrpError> {
        let p = Props::of(MessageType::ApplicationPrivateData, v)?;
        Ok(ApplicationPrivateData {
            data: p.req("ApplicationPrivateData")?.clone(),
        })
    }

    /// The entry `key` of the dictionary.
    pub fn get(&self, key: &str) -> Option<&PsValue> {
        dict_get(&self.data, key)
    }

    /// The server's `$PSVersionTable`.
    pub fn ps_version_table(&self) -> Option<&PsValue> {
        self.get("PSVersionTable")
    }
}

/// The value for a string key of a dictionary value.
pub fn dict_get<'a>(dict: &'a PsValue, key: &str) -> Option<&'a PsValue> {
    dict.as_dict()?
        .iter()
        .find(|(k, _)| k.as_str() == Some(key))
        .map(|(_, v)| v)
}

/// GET_COMMAND_METADATA ([MS-PSRP] 2.2.2.14): `Get-Command` through the pool.
#[derive(Debug, Clone, PartialEq)]
pub struct GetCommandMetadata {
    /// `Name`: command name patterns.
    pub names: Vec<String>,
    /// `CommandType`: a `System.Management.Automation.CommandTypes` flag set (8 Cmdlet, 383 All).
    pub command_type: i32,
    /// `Namespace`: module name patterns.
    pub namespace: Option<Vec<String>>,
    /// `ArgumentList`.
    pub argument_list: Option<Vec<PsValue>>,
}

/// The .NET `ToString` of a `CommandTypes` flag set.
fn command_types_name(value: i32) -> String {
    const NAMES: [(i32, &str); 8] = [
        (1, "Alias"),
        (2, "Function"),
        (4, "Filter"),
        (8, "Cmdlet"),
        (16, "ExternalScript"),
        (32, "Application"),
        (64, "Script"),
        (256, "Configuration"),
    ];
    match value {
        0 => "0".to_owned(),
        383 => "All".to_owned(),
        v => {
            let known: i32 = NAMES.iter().map(|(bit, _)| bit).sum();
            if v & !known != 0 {
                return v.to_string();
            }
            NAMES
                .iter()
                .filter(|(bit, _)| v & bit != 0)
                .map(|(_, n)| *n)
                .collect::<Vec<_>>()
                .join(", ")
        }
    }
}

const STRING_ARRAY: &[&str] = &["System.String[]", "System.Array", "System.Object"];
const OBJECT_ARRAY: &[&str] = &["System.Object[]", "System.Array", "System.Object"];

fn strings(p: &Props<'_>, name: &'static str) -> Result<Vec<String>, PsrpError> {
    p.list(name)?
        .iter()
        .map(|v| {
            v.as_str()
                .map(str::to_owned)
                .ok_or_else(|| p.invalid(name, "a list of strings"))
        })
        .collect()
}

impl GetCommandMetadata {
    /// The body.
    pub fn to_clixml(&self) -> PsValue {
        let str_list =
            |l: &[String]| list_object(STRING_ARRAY, l.iter().map(|s| s.as_str().into()).collect());
        note_object(vec![
            Property::new("Name", str_list(&self.names)),
            Property::new(
                "CommandType",
                crate::clixml::enum_value(
                    &[
                        "System.Management.Automation.CommandTypes",
                        "System.Enum",
                        "System.ValueType",
                        "System.Object",
                    ],
                    &command_types_name(self.command_type),
                    self.command_type,
                ),
            ),
            Property::new(
                "Namespace",
                self.namespace.as_deref().map_or(PsValue::Nil, str_list),
            ),
            Property::new(
                "ArgumentList",
                self.argument_list
                    .as_ref()
                    .map_or(PsValue::Nil, |a| list_object(OBJECT_ARRAY, a.clone())),
            ),
        ])
    }

    /// Parses the body.
    pub fn from_clixml(v: &PsValue) -> Result<Self, PsrpError> {
        let p = Props::of(MessageType::GetCommandMetadata, v)?;
        Ok(GetCommandMetadata {
            names: strings(&p, "Name")?,
            command_type: p.i32("CommandType")?,
            namespace: match p.opt("Namespace") {
                None => None,
                Some(_) => Some(strings(&p, "Namespace")?),
            },
            argument_list: match p.opt("ArgumentList") {
                None => None,
                Some(_) => Some(p.list("ArgumentList")?.to_vec()),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_types_print_like_dotnet() {
        assert_eq!(command_types_name(8), "Cmdlet");
        assert_eq!(command_types_name(383), "All");
        assert_eq!(command_types_name(1 | 2 | 8), "Alias, Function, Cmdlet");
        assert_eq!(command_types_name(128), "128");
    }
}
