//! Stream records: errors, informational records, progress and information ([MS-PSRP]
//! 2.2.2.20, 2.2.2.22-2.2.2.26, 2.2.3.15-2.2.3.16).
//!
//! Records keep the whole object as sent: servers add properties (invocation info, pipeline
//! iteration info, script stack traces) that callers may want, and nothing must be lost when a
//! record is passed on.

use std::sync::Arc;

use crate::clixml::{Property, PsDateTime, PsObject, PsValue};

use super::super::error::PsrpError;
use super::super::message::MessageType;
use super::props::{Props, note_object, or_nil, type_names};

/// An `ErrorRecord` ([MS-PSRP] 2.2.3.15): the body of ERROR_RECORD, and the error inside
/// RUNSPACEPOOL_STATE, PIPELINE_STATE and host responses.
#[derive(Debug, Clone, PartialEq)]
pub struct ErrorRecord {
    /// The object as sent.
    pub object: Arc<PsObject>,
}

/// The `ErrorCategory_*` properties of an error record ([MS-PSRP] 2.2.3.15).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CategoryInfo {
    /// `ErrorCategory_Category`: the `System.Management.Automation.ErrorCategory` number
    /// (0 NotSpecified, 13 ObjectNotFound, 18 PermissionDenied, ...).
    pub category: i32,
    /// `ErrorCategory_Activity`: usually the command that failed.
    pub activity: Option<String>,
    /// `ErrorCategory_Reason`: usually the exception's short type name.
    pub reason: Option<String>,
    /// `ErrorCategory_TargetName`.
    pub target_name: Option<String>,
    /// `ErrorCategory_TargetType`.
    pub target_type: Option<String>,
    /// `ErrorCategory_Message`: the one-line category text.
    pub message: Option<String>,
}

/// The type-name chain of an error record.
pub const ERROR_RECORD_TYPE_NAMES: &[&str] =
    &["System.Management.Automation.ErrorRecord", "System.Object"];

fn str_prop<'a>(obj: &'a PsObject, name: &str) -> Option<&'a str> {
    obj.property(name).and_then(PsValue::as_str)
}

impl ErrorRecord {
    /// An error record in the shape Windows PowerShell serializes one: an exception of
    /// `exception_type` (type-name chain, most derived first) with `message`, the error id and
    /// the category.
    pub fn new(
        exception_type: &[&str],
        message: &str,
        fully_qualified_error_id: &str,
        category: CategoryInfo,
        target_object: Option<PsValue>,
    ) -> Self {
        // Windows writes an exception's ToString as "<type>: <message>" and its Props in this
        // order; Data is an empty ListDictionaryInternal.
        let to_string = match exception_type.first() {
            Some(t) => format!("{t}: {message}"),
            None => message.to_owned(),
        };
        let data = PsObject {
            type_names: type_names(&["System.Collections.ListDictionaryInternal", "System.Object"]),
            content: Some(crate::clixml::Container::Dictionary(Vec::new())),
            ..PsObject::default()
        };
        let exception = PsObject {
            type_names: type_names(exception_type),
            to_string: Some(to_string),
            adapted: vec![
                Property::new("Message", message),
                Property::new("Data", data),
                Property::new("InnerException", PsValue::Nil),
                Property::new("TargetSite", PsValue::Nil),
                Property::new("StackTrace", PsValue::Nil),
                Property::new("HelpLink", PsValue::Nil),
                Property::new("Source", PsValue::Nil),
                // COR_E_SYSTEM (0x80131501), what most PowerShell exceptions carry.
                Property::new("HResult", -2_146_233_087i32),
            ],
            ..PsObject::default()
        };
        let mut props = vec![
            Property::new("Exception", exception),
            Property::new("TargetObject", or_nil(target_object)),
            Property::new("FullyQualifiedErrorId", fully_qualified_error_id),
            Property::new("InvocationInfo", PsValue::Nil),
            Property::new("ErrorCategory_Category", category.category),
        ];
        for (name, v) in [
            ("ErrorCategory_Activity", &category.activity),
            ("ErrorCategory_Reason", &category.reason),
            ("ErrorCategory_TargetName", &category.target_name),
            ("ErrorCategory_TargetType", &category.target_type),
            ("ErrorCategory_Message", &category.message),
        ] {
            props.push(Property::new(name, v.clone().unwrap_or_default()));
        }
        props.push(Property::new("SerializeExtendedInfo", false));
        ErrorRecord {
            object: Arc::new(PsObject {
                type_names: type_names(ERROR_RECORD_TYPE_NAMES),
                to_string: Some(message.to_owned()),
                extended: props,
                ..PsObject::default()
            }),
        }
    }

    /// The record object.
    pub fn to_clixml(&self) -> PsValue {
        PsValue::Object(Arc::clone(&self.object))
    }

    /// Parses an error record found in a message of type `mt`.
    pub fn from_clixml(mt: MessageType, v: &PsValue) -> Result<Self, PsrpError> {
        match v {
            PsValue::Object(o) => Ok(ErrorRecord {
                object: Arc::clone(o),
            }),
            _ => Err(PsrpError::InvalidProperty {
                message_type: mt,
                property: "(error record)",
                expected: "an object",
            }),
        }
    }

    /// The `Exception` object.
    pub fn exception(&self) -> Option<&PsObject> {
        self.object
            .property("Exception")
            .and_then(PsValue::as_object)
    }

    /// The exception's most derived .NET type name, without a `Deserialized.` prefix.
    pub fn exception_type(&self) -> Option<&str> {
        let name = self.exception()?.type_names.as_deref()?.first()?;
        Some(name.strip_prefix("Deserialized.").unwrap_or(name))
    }

    /// The exception's `Message`.
    pub fn exception_message(&self) -> Option<&str> {
        str_prop(self.exception()?, "Message")
    }

    /// The message PowerShell shows: `ErrorDetails_Message` when set, else the exception's
    /// message, else the record's `ToString`.
    pub fn message(&self) -> Option<&str> {
        self.error_details_message()
            .filter(|m| !m.is_empty())
            .or_else(|| self.exception_message())
            .or(self.object.to_string.as_deref())
    }

    /// `ErrorDetails_Message`.
    pub fn error_details_message(&self) -> Option<&str> {
        str_prop(&self.object, "ErrorDetails_Message")
    }

    /// `ErrorDetails_RecommendedAction`.
    pub fn recommended_action(&self) -> Option<&str> {
        str_prop(&self.object, "ErrorDetails_RecommendedAction")
    }

    /// `FullyQualifiedErrorId`: the error's class (`ScriptsNotAllowed`,
    /// `CommandNotFoundException`, Exchange's `[Server=..] ... ,Microsoft.Exchange...`).
    pub fn fully_qualified_error_id(&self) -> Option<&str> {
        str_prop(&self.object, "FullyQualifiedErrorId")
    }

    /// The `ErrorCategory_*` properties; `None` when the category number is absent.
    pub fn category_info(&self) -> Option<CategoryInfo> {
        let o = &self.object;
        let category = i32::try_from(o.property("ErrorCategory_Category")?.as_i64()?).ok()?;
        let s = |n: &str| str_prop(o, n).map(str::to_owned);
        Some(CategoryInfo {
            category,
            activity: s("ErrorCategory_Activity"),
            reason: s("ErrorCategory_Reason"),
            target_name: s("ErrorCategory_TargetName"),
            target_type: s("ErrorCategory_TargetType"),
            message: s("ErrorCategory_Message"),
        })
    }

    /// `TargetObject`, when not null.
    pub fn target_object(&self) -> Option<&PsValue> {
        self.object.property("TargetObject").filter(|v| !v.is_nil())
    }

    /// `InvocationInfo`, when sent (with `SerializeExtendedInfo`).
    pub fn invocation_info(&self) -> Option<&PsValue> {
        self.object
            .property("InvocationInfo")
            .filter(|v| !v.is_nil())
    }

    /// `PipelineIterationInfo`, when sent.
    pub fn pipeline_iteration_info(&self) -> Option<&[PsValue]> {
        self.object.property("PipelineIterationInfo")?.as_list()
    }

    /// `SerializeExtendedInfo`: whether invocation details follow.
    pub fn serialize_extended_info(&self) -> bool {
        self.object
            .property("SerializeExtendedInfo")
            .and_then(PsValue::as_bool)
            .unwrap_or(false)
    }
}

/// DEBUG_RECORD, VERBOSE_RECORD, WARNING_RECORD ([MS-PSRP] 2.2.2.22-2.2.2.24, 2.2.3.16): an
/// `InformationalRecord`.
#[derive(Debug, Clone, PartialEq)]
pub struct InformationalRecord {
    /// `InformationalRecord_Message`.
    pub message: String,
    /// The object as sent.
    pub object: Arc<PsObject>,
}

impl InformationalRecord {
    /// A record of `kind` (`"Warning"`, `"Verbose"`, `"Debug"`) without invocation info, shaped
    /// as Windows sends it.
    pub fn new(kind: &str, message: &str) -> Self {
        let object = PsObject {
            type_names: Some(Arc::from(vec![
                format!("System.Management.Automation.{kind}Record"),
                "System.Management.Automation.InformationalRecord".to_owned(),
                "System.Object".to_owned(),
            ])),
            to_string: Some(message.to_owned()),
            extended: vec![
                Property::new("InformationalRecord_Message", message),
                Property::new("InformationalRecord_SerializeInvocationInfo", false),
            ],
            ..PsObject::default()
        };
        InformationalRecord {
            message: message.to_owned(),
            object: Arc::new(object),
        }
    }

    /// Whether invocation info follows (`InformationalRecord_SerializeInvocationInfo`).
    pub fn serialize_invocation_info(&self) -> bool {
        self.object
            .property("InformationalRecord_SerializeInvocationInfo")
            .and_then(PsValue::as_bool)
            .unwrap_or(false)
    }

    /// The record object.
    pub fn to_clixml(&self) -> PsValue {
        PsValue::Object(Arc::clone(&self.object))
    }

    /// Parses the body of a message of type `mt`.
    pub fn from_clixml(mt: MessageType, v: &PsValue) -> Result<Self, PsrpError> {
        let p = Props::of(mt, v)?;
        let message = p.string("InformationalRecord_Message")?;
        match v {
            PsValue::Object(o) => Ok(InformationalRecord {
                message,
                object: Arc::clone(o),
            }),
            _ => Err(p.invalid("(body)", "an object")),
        }
    }
}

/// PROGRESS_RECORD ([MS-PSRP] 2.2.2.25) carries the same record as CLIXML's `<PR>` element, as
/// an object with one property per field.
pub use crate::clixml::{ProgressRecord, ProgressRecordType};

impl ProgressRecord {
    /// The body.
    pub fn to_clixml(&self) -> PsValue {
        note_object(vec![
            Property::new("Activity", self.activity.as_str()),
            Property::new("ActivityId", self.activity_id),
            Property::new("StatusDescription", self.status_description.as_str()),
            Property::new("CurrentOperation", or_nil(self.current_operation.clone())),
            Property::new("ParentActivityId", self.parent_activity_id),
            Property::new("PercentComplete", self.percent_complete),
            Property::new("Type", self.record_type.to_clixml()),
            Property::new("SecondsRemaining", self.seconds_remaining),
        ])
    }

    /// Parses the body.
    pub fn from_clixml(v: &PsValue) -> Result<Self, PsrpError> {
        let p = Props::of(MessageType::ProgressRecord, v)?;
        Ok(ProgressRecord {
            activity: p.string("Activity")?,
            activity_id: p.i32("ActivityId")?,
            status_description: p.string("StatusDescription")?,
            current_operation: p.opt_string("CurrentOperation")?,
            parent_activity_id: p.i32("ParentActivityId")?,
            percent_complete: p.i32("PercentComplete")?,
            record_type: p.enumeration(
                "Type",
                ProgressRecordType::from_value,
                "a ProgressRecordType",
            )?,
            seconds_remaining: p.i32("SecondsRemaining")?,
        })
    }
}

/// INFORMATION_RECORD ([MS-PSRP] 2.2.2.26): `Write-Information` and `Write-Host` output.
#[derive(Debug, Clone, PartialEq)]
pub struct InformationRecord {
    /// The object as sent.
    pub object: Arc<PsObject>,
}

impl InformationRecord {
    /// A record with `message_data` from `source`, shaped as Windows sends it (a property bag
    /// without type names); user, computer and ids are empty until
    /// [`with_origin`](Self::with_origin).
    pub fn new(message_data: PsValue, source: &str, time_generated: PsDateTime) -> Self {
        let object = PsObject {
            extended: vec![
                Property::new("MessageData", message_data),
                Property::new("Source", source),
                Property::new("TimeGenerated", PsValue::DateTime(time_generated)),
                Property::new(
                    "Tags",
                    super::props::list_object(
                        &[
                            "System.Collections.Generic.List`1[[System.String, mscorlib, Version=4.0.0.0, Culture=neutral, PublicKeyToken=b77a5c561934e089]]",
                            "System.Object",
                        ],
                        Vec::new(),
                    ),
                ),
                Property::new("User", ""),
                Property::new("Computer", ""),
                Property::new("ProcessId", PsValue::U32(0)),
                Property::new("NativeThreadId", PsValue::U32(0)),
                Property::new("ManagedThreadId", PsValue::U32(0)),
            ],
            ..PsObject::default()
        };
        InformationRecord {
            object: Arc::new(object),
        }
    }

    /// Sets where the record came from: `User`, `Computer`, `ProcessId`, `NativeThreadId`,
    /// `ManagedThreadId`.
    pub fn with_origin(
        mut self,
        user: &str,
        computer: &str,
        process_id: u32,
        native_thread_id: u32,
        managed_thread_id: u32,
    ) -> Self {
        let values = [
            ("User", PsValue::from(user)),
            ("Computer", PsValue::from(computer)),
            ("ProcessId", PsValue::U32(process_id)),
            ("NativeThreadId", PsValue::U32(native_thread_id)),
            ("ManagedThreadId", PsValue::U32(managed_thread_id)),
        ];
        let obj = Arc::make_mut(&mut self.object);
        for (name, value) in values {
            match obj.extended.iter_mut().find(|p| p.name == name) {
                Some(p) => p.value = value,
                None => obj.extended.push(Property::new(name, value)),
            }
        }
        self
    }

    /// The record object.
    pub fn to_clixml(&self) -> PsValue {
        PsValue::Object(Arc::clone(&self.object))
    }

    /// Parses the body.
    pub fn from_clixml(v: &PsValue) -> Result<Self, PsrpError> {
        let p = Props::of(MessageType::InformationRecord, v)?;
        p.req("MessageData")?;
        match v {
            PsValue::Object(o) => Ok(InformationRecord {
                object: Arc::clone(o),
            }),
            _ => Err(p.invalid("(body)", "an object")),
        }
    }

    /// `MessageData`: what was written (any object; a `HostInformationMessage` for `Write-Host`).
    pub fn message_data(&self) -> Option<&PsValue> {
        self.object.property("MessageData")
    }

    /// `Source`.
    pub fn source(&self) -> Option<&str> {
        str_prop(&self.object, "Source")
    }

    /// `TimeGenerated`.
    pub fn time_generated(&self) -> Option<PsDateTime> {
        match self.object.property("TimeGenerated")? {
            PsValue::DateTime(d) => Some(*d),
            _ => None,
        }
    }

    /// `Tags`.
    pub fn tags(&self) -> Vec<&str> {
        self.object
            .property("Tags")
            .and_then(PsValue::as_list)
            .map(|l| l.iter().filter_map(PsValue::as_str).collect())
            .unwrap_or_default()
    }

    /// `User`.
    pub fn user(&self) -> Option<&str> {
        str_prop(&self.object, "User")
    }

    /// `Computer`.
    pub fn computer(&self) -> Option<&str> {
        str_prop(&self.object, "Computer")
    }

    /// `ProcessId`.
    pub fn process_id(&self) -> Option<i64> {
        self.object.property("ProcessId")?.as_i64()
    }

    /// `NativeThreadId`.
    pub fn native_thread_id(&self) -> Option<i64> {
        self.object.property("NativeThreadId")?.as_i64()
    }

    /// `ManagedThreadId`.
    pub fn managed_thread_id(&self) -> Option<i64> {
        self.object.property("ManagedThreadId")?.as_i64()
    }
}
