//! Error records as Exchange and the PowerShell engine write them, and the simulator's own error
//! type for loading seeds.
//!
//! Exchange task errors carry the FullyQualifiedErrorId
//! `[Server=EX01,RequestId=<guid>,TimeStamp=<utc>] [FailureCategory=Cmdlet-<Exception>] <HEX>,<.NET class>`;
//! engine errors (binding, command lookup) carry `<ErrorId>,<cmdlet name>` or just `<ErrorId>`.

use monosync_exchange::clixml::PsValue;
use thiserror::Error;
use uuid::Uuid;

use super::time;

/// `System.Management.Automation.ErrorCategory`, plus Exchange's own `ExchangeErrorCategory`
/// numbers (1000–1004) that Exchange casts into it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCategory {
    /// `ErrorCategory.NotSpecified` (0).
    NotSpecified,
    /// `ErrorCategory.OpenError` (1).
    OpenError,
    /// `ErrorCategory.CloseError` (2).
    CloseError,
    /// `ErrorCategory.DeviceError` (3).
    DeviceError,
    /// `ErrorCategory.DeadlockDetected` (4).
    DeadlockDetected,
    /// `ErrorCategory.InvalidArgument` (5).
    InvalidArgument,
    /// `ErrorCategory.InvalidData` (6).
    InvalidData,
    /// `ErrorCategory.InvalidOperation` (7).
    InvalidOperation,
    /// `ErrorCategory.InvalidResult` (8).
    InvalidResult,
    /// `ErrorCategory.InvalidType` (9).
    InvalidType,
    /// `ErrorCategory.MetadataError` (10).
    MetadataError,
    /// `ErrorCategory.NotImplemented` (11).
    NotImplemented,
    /// `ErrorCategory.NotInstalled` (12).
    NotInstalled,
    /// `ErrorCategory.ObjectNotFound` (13).
    ObjectNotFound,
    /// `ErrorCategory.OperationStopped` (14).
    OperationStopped,
    /// `ErrorCategory.OperationTimeout` (15).
    OperationTimeout,
    /// `ErrorCategory.SyntaxError` (16).
    SyntaxError,
    /// `ErrorCategory.ParserError` (17).
    ParserError,
    /// `ErrorCategory.PermissionDenied` (18).
    PermissionDenied,
    /// `ErrorCategory.ResourceBusy` (19).
    ResourceBusy,
    /// `ErrorCategory.ResourceExists` (20).
    ResourceExists,
    /// `ErrorCategory.ResourceUnavailable` (21).
    ResourceUnavailable,
    /// `ErrorCategory.ReadError` (22).
    ReadError,
    /// `ErrorCategory.WriteError` (23).
    WriteError,
    /// `ErrorCategory.FromStdErr` (24).
    FromStdErr,
    /// `ErrorCategory.SecurityError` (25).
    SecurityError,
    /// `ErrorCategory.ProtocolError` (26).
    ProtocolError,
    /// `ErrorCategory.ConnectionError` (27).
    ConnectionError,
    /// `ErrorCategory.AuthenticationError` (28).
    AuthenticationError,
    /// `ErrorCategory.LimitsExceeded` (29).
    LimitsExceeded,
    /// `ErrorCategory.QuotaExceeded` (30).
    QuotaExceeded,
    /// `ErrorCategory.NotEnabled` (31).
    NotEnabled,
    /// `ExchangeErrorCategory.Client` (1000).
    ExchangeClient,
    /// `ExchangeErrorCategory.ServerOperation` (1001).
    ExchangeServerOperation,
    /// `ExchangeErrorCategory.ServerTransient` (1002).
    ExchangeServerTransient,
    /// `ExchangeErrorCategory.Context` (1003).
    ExchangeContext,
    /// `ExchangeErrorCategory.Authorization` (1004).
    ExchangeAuthorization,
}

const PS_CATEGORIES: [&str; 32] = [
    "NotSpecified",
    "OpenError",
    "CloseError",
    "DeviceError",
    "DeadlockDetected",
    "InvalidArgument",
    "InvalidData",
    "InvalidOperation",
    "InvalidResult",
    "InvalidType",
    "MetadataError",
    "NotImplemented",
    "NotInstalled",
    "ObjectNotFound",
    "OperationStopped",
    "OperationTimeout",
    "SyntaxError",
    "ParserError",
    "PermissionDenied",
    "ResourceBusy",
    "ResourceExists",
    "ResourceUnavailable",
    "ReadError",
    "WriteError",
    "FromStdErr",
    "SecurityError",
    "ProtocolError",
    "ConnectionError",
    "AuthenticationError",
    "LimitsExceeded",
    "QuotaExceeded",
    "NotEnabled",
];

impl ErrorCategory {
    /// The number on the wire (`ErrorCategory_Category`).
    pub fn code(self) -> i32 {
        use ErrorCategory::*;
        match self {
            ExchangeClient => 1000,
            ExchangeServerOperation => 1001,
            ExchangeServerTransient => 1002,
            ExchangeContext => 1003,
            ExchangeAuthorization => 1004,
            NotSpecified => 0,
            OpenError => 1,
            CloseError => 2,
            DeviceError => 3,
            DeadlockDetected => 4,
            InvalidArgument => 5,
            InvalidData => 6,
            InvalidOperation => 7,
            InvalidResult => 8,
            InvalidType => 9,
            MetadataError => 10,
            NotImplemented => 11,
            NotInstalled => 12,
            ObjectNotFound => 13,
            OperationStopped => 14,
            OperationTimeout => 15,
            SyntaxError => 16,
            ParserError => 17,
            PermissionDenied => 18,
            ResourceBusy => 19,
            ResourceExists => 20,
            ResourceUnavailable => 21,
            ReadError => 22,
            WriteError => 23,
            FromStdErr => 24,
            SecurityError => 25,
            ProtocolError => 26,
            ConnectionError => 27,
            AuthenticationError => 28,
            LimitsExceeded => 29,
            QuotaExceeded => 30,
            NotEnabled => 31,
        }
    }

    /// The name PowerShell prints in the CategoryInfo text: the enum name, or `NotSpecified` for
    /// numbers outside the enum (Exchange's 1000–1004), as `ErrorCategoryInfo.GetMessage` does.
    pub fn name(self) -> &'static str {
        usize::try_from(self.code())
            .ok()
            .and_then(|i| PS_CATEGORIES.get(i))
            .copied()
            .unwrap_or("NotSpecified")
    }
}

/// One error record, the way the server layer needs it to build the PSRP ERROR_RECORD
/// ([MS-PSRP] 2.2.3.15); [`crate::exchange::render::error_record`] turns it into that object.
#[derive(Debug, Clone, PartialEq)]
pub struct SimErrorRecord {
    /// The exception's .NET type (`Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException`).
    pub exception_type: String,
    /// The exception's base classes after `exception_type`, ending with `System.Exception`,
    /// `System.Object`.
    pub exception_base_types: Vec<String>,
    /// `Exception.Message`.
    pub message: String,
    /// `ErrorCategory_Category` (raw number).
    pub category: i32,
    /// The category name printed in the CategoryInfo text.
    pub category_name: String,
    /// `ErrorCategory_Activity`: the cmdlet name, empty for command lookup errors.
    pub activity: String,
    /// `ErrorCategory_Reason`: the exception's short type name.
    pub reason: String,
    /// `ErrorCategory_TargetName`.
    pub target_name: String,
    /// `ErrorCategory_TargetType`.
    pub target_type: String,
    /// `FullyQualifiedErrorId`.
    pub fully_qualified_error_id: String,
    /// `TargetObject`.
    pub target_object: Option<PsValue>,
    /// Engine errors (binding, command not found) fail the pipeline; Exchange task errors are
    /// written and the pipeline completes.
    pub terminating: bool,
}

impl SimErrorRecord {
    /// The [MS-PSRP] 2.2.3.15 ErrorRecord object (see [`super::render::error_record`]).
    pub fn to_ps_value(&self) -> PsValue {
        super::render::error_record(self)
    }

    /// The CategoryInfo text (`ErrorCategory_Message`):
    /// `NotSpecified: (:) [Get-Mailbox], ManagementObjectNotFoundException`.
    pub fn category_message(&self) -> String {
        format!(
            "{}: ({}:{}) [{}], {}",
            self.category_name,
            ellipsize(&self.target_name),
            ellipsize(&self.target_type),
            ellipsize(&self.activity),
            ellipsize(&self.reason)
        )
    }
}

/// PowerShell's `ErrorCategoryInfo.Ellipsize`: texts over 40 characters keep 15 + `...` + 15.
fn ellipsize(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() <= 40 {
        return s.to_owned();
    }
    let head: String = chars.iter().take(15).collect();
    let tail: String = chars.iter().skip(chars.len() - 15).collect();
    format!("{head}...{tail}")
}

/// Where an Exchange task error happened: what its FullyQualifiedErrorId and CategoryInfo name.
#[derive(Debug, Clone)]
pub struct TaskContext {
    /// The server NetBIOS name.
    pub server: String,
    /// The request (activity) id.
    pub request_id: Uuid,
    /// Unix seconds, UTC.
    pub now: i64,
    /// `Verb-Noun`.
    pub cmdlet: String,
    /// The cmdlet's .NET class.
    pub class: String,
    /// The domain controller FQDN, for "couldn't be found on '…'".
    pub domain_controller: String,
}

const LOCALIZED: &str = "Microsoft.Exchange.Data.Common.LocalizedException";
const RECIPIENT_TASK: &str = "Microsoft.Exchange.Management.Tasks.RecipientTaskException";

fn bases(extra: &[&str]) -> Vec<String> {
    extra
        .iter()
        .chain([LOCALIZED, "System.Exception", "System.Object"].iter())
        .map(|s| (*s).to_owned())
        .collect()
}

/// FNV-1a over the type and message: Exchange's code is a hash too, opaque to clients.
fn error_code(exception_type: &str, message: &str) -> String {
    let mut h: u32 = 0x811c_9dc5;
    for b in exception_type.bytes().chain(message.bytes()) {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    format!("{h:X}")
}

/// The target of an error record: its ToString, type name and the object itself.
#[derive(Debug, Clone, Default)]
pub struct Target {
    /// `TargetName`.
    pub name: String,
    /// `TargetType`.
    pub type_name: String,
    /// `TargetObject`.
    pub object: Option<PsValue>,
}

impl Target {
    /// A target shown as `(<name>:<type_name>)`, the object being its text.
    pub fn named(name: &str, type_name: &str) -> Self {
        Target {
            name: name.to_owned(),
            type_name: type_name.to_owned(),
            object: Some(PsValue::String(name.to_owned())),
        }
    }
}

impl TaskContext {
    /// An error written by the Exchange task itself.
    pub fn task_error(
        &self,
        exception_type: &str,
        extra_bases: &[&str],
        message: String,
        category: ErrorCategory,
        target: Target,
    ) -> SimErrorRecord {
        let reason = exception_type
            .rsplit('.')
            .next()
            .unwrap_or(exception_type)
            .to_owned();
        let fqid = format!(
            "[Server={},RequestId={},TimeStamp={}] [FailureCategory=Cmdlet-{}] {},{}",
            self.server,
            self.request_id,
            time::en_us(self.now),
            reason,
            error_code(exception_type, &message),
            self.class
        );
        SimErrorRecord {
            exception_type: exception_type.to_owned(),
            exception_base_types: bases(extra_bases),
            message,
            category: category.code(),
            category_name: category.name().to_owned(),
            activity: self.cmdlet.clone(),
            reason,
            target_name: target.name,
            target_type: target.type_name,
            fully_qualified_error_id: fqid,
            target_object: target.object,
            terminating: false,
        }
    }

    /// `ManagementObjectNotFoundException` for the cmdlet's own `-Identity`.
    pub fn not_found(&self, identity: &str) -> SimErrorRecord {
        self.task_error(
            "Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException",
            &[],
            format!(
                "The operation couldn't be performed because object '{identity}' couldn't be found on '{}'.",
                self.domain_controller
            ),
            ErrorCategory::ExchangeContext,
            Target::default(),
        )
    }

    /// `ManagementObjectNotFoundException` for a recipient named by another parameter (`-Member`,
    /// `-ForwardingAddress`, …).
    pub fn recipient_not_found(&self, identity: &str) -> SimErrorRecord {
        self.task_error(
            "Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException",
            &[],
            format!(
                "Couldn't find object \"{identity}\". Please make sure that it was spelled correctly or specify a different object."
            ),
            ErrorCategory::ExchangeContext,
            Target::default(),
        )
    }

    /// `ManagementObjectNotFoundException` for `-Database`.
    pub fn database_not_found(&self, identity: &str) -> SimErrorRecord {
        self.task_error(
            "Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException",
            &[],
            format!(
                "Couldn't find database \"{identity}\". Make sure you have typed it correctly."
            ),
            ErrorCategory::ExchangeContext,
            Target::default(),
        )
    }

    /// `ManagementObjectNotFoundException` for a security principal (`-User` of the permission
    /// cmdlets).
    pub fn principal_not_found(&self, identity: &str) -> SimErrorRecord {
        self.task_error(
            "Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException",
            &[],
            format!(
                "User or group \"{identity}\" wasn't found. Please make sure you've typed it correctly."
            ),
            ErrorCategory::ExchangeContext,
            Target::default(),
        )
    }

    /// `ManagementObjectAmbiguousException` for the cmdlet's own `-Identity`.
    pub fn ambiguous(&self, identity: &str) -> SimErrorRecord {
        self.task_error(
            "Microsoft.Exchange.Configuration.Tasks.ManagementObjectAmbiguousException",
            &[],
            format!(
                "The operation couldn't be performed because '{identity}' matches multiple entries."
            ),
            ErrorCategory::ExchangeContext,
            Target::default(),
        )
    }

    /// `ManagementObjectAmbiguousException` for a recipient named by another parameter.
    pub fn recipient_ambiguous(&self, identity: &str) -> SimErrorRecord {
        self.task_error(
            "Microsoft.Exchange.Configuration.Tasks.ManagementObjectAmbiguousException",
            &[],
            format!(
                "There are multiple recipients matching the identity \"{identity}\". Please specify a unique value."
            ),
            ErrorCategory::ExchangeContext,
            Target::default(),
        )
    }

    /// `RecipientTaskException`: the identity is a recipient of a type the task does not accept
    /// (Enable-Mailbox on a mailbox, …).
    pub fn invalid_recipient_type(&self, canonical: &str, recipient_type: &str) -> SimErrorRecord {
        self.task_error(
            RECIPIENT_TASK,
            &[],
            format!(
                "This task does not support recipients of this type. The specified recipient {canonical} is of type {recipient_type}. Please make sure that this recipient matches the required recipient type for this task."
            ),
            ErrorCategory::InvalidArgument,
            Target::named(canonical, "RecipientIdParameter"),
        )
    }

    /// `RecipientTaskException` with a free text (archive already enabled, …).
    pub fn recipient_task(&self, message: String, category: ErrorCategory) -> SimErrorRecord {
        self.task_error(RECIPIENT_TASK, &[], message, category, Target::default())
    }

    /// `ProxyAddressExistsException`.
    pub fn proxy_in_use(&self, address: &str, owner: &str, target: &str) -> SimErrorRecord {
        self.task_error(
            "Microsoft.Exchange.Configuration.ObjectModel.ProxyAddressExistsException",
            &[],
            format!(
                "The proxy address \"{address}\" is already being used by the proxy addresses or LegacyExchangeDN of \"{owner}\". Please choose another proxy address."
            ),
            ErrorCategory::ExchangeClient,
            Target::named(target, "ADObjectId"),
        )
    }

    /// `ADObjectAlreadyExistsException` (a DN clash).
    pub fn object_exists(&self, dn: &str) -> SimErrorRecord {
        self.task_error(
            "Microsoft.Exchange.Data.Directory.ADObjectAlreadyExistsException",
            &[
                "Microsoft.Exchange.Data.Directory.ADOperationException",
                "Microsoft.Exchange.Data.DataSourceOperationException",
            ],
            format!(
                "Active Directory operation failed on {}. The object '{dn}' already exists.",
                self.domain_controller
            ),
            ErrorCategory::ExchangeContext,
            Target::default(),
        )
    }

    /// `ADObjectEntryAlreadyExistsException` (a sAMAccountName / UPN clash).
    pub fn entry_exists(&self, dn: &str) -> SimErrorRecord {
        self.task_error(
            "Microsoft.Exchange.Data.Directory.ADObjectEntryAlreadyExistsException",
            &[
                "Microsoft.Exchange.Data.Directory.ADOperationException",
                "Microsoft.Exchange.Data.DataSourceOperationException",
            ],
            format!(
                "Active Directory operation failed on {}. One or more attribute entries of the object '{dn}' already exists.",
                self.domain_controller
            ),
            ErrorCategory::ExchangeContext,
            Target::default(),
        )
    }

    /// `MemberAlreadyExistsException`.
    pub fn member_exists(&self, member: &str, member_type: &str, group: &str) -> SimErrorRecord {
        self.task_error(
            "Microsoft.Exchange.Management.Tasks.MemberAlreadyExistsException",
            &[RECIPIENT_TASK],
            format!("The recipient \"{member}\" is already a member of the group \"{group}\"."),
            ErrorCategory::ExchangeClient,
            Target::named(member, member_type),
        )
    }

    /// `MemberNotFoundException`.
    pub fn member_not_found(&self, member: &str, member_type: &str, group: &str) -> SimErrorRecord {
        self.task_error(
            "Microsoft.Exchange.Management.Tasks.MemberNotFoundException",
            &[RECIPIENT_TASK],
            format!("The recipient \"{member}\" isn't a member of the group \"{group}\"."),
            ErrorCategory::InvalidData,
            Target::named(member, member_type),
        )
    }

    /// An engine `ParameterBindingException` family error (FQID `<id>,<cmdlet>`).
    pub fn binding(&self, kind: BindingErrorKind, message: String) -> SimErrorRecord {
        let (ty, category) = match kind {
            BindingErrorKind::ArgumentTransformation => (
                "System.Management.Automation.ParameterBindingArgumentTransformationException",
                ErrorCategory::InvalidData,
            ),
            BindingErrorKind::ArgumentValidation => (
                "System.Management.Automation.ParameterBindingValidationException",
                ErrorCategory::InvalidData,
            ),
            _ => (
                "System.Management.Automation.ParameterBindingException",
                ErrorCategory::InvalidArgument,
            ),
        };
        let mut extra = Vec::new();
        if ty != "System.Management.Automation.ParameterBindingException" {
            extra.push("System.Management.Automation.ParameterBindingException".to_owned());
        }
        extra.extend(
            [
                "System.Management.Automation.RuntimeException",
                "System.SystemException",
                "System.Exception",
                "System.Object",
            ]
            .iter()
            .map(|s| (*s).to_owned()),
        );
        let reason = ty.rsplit('.').next().unwrap_or(ty).to_owned();
        SimErrorRecord {
            exception_type: ty.to_owned(),
            exception_base_types: extra,
            message,
            category: category.code(),
            category_name: category.name().to_owned(),
            activity: self.cmdlet.clone(),
            reason,
            target_name: String::new(),
            target_type: String::new(),
            fully_qualified_error_id: format!("{},{}", kind.error_id(), self.cmdlet),
            target_object: None,
            terminating: true,
        }
    }
}

/// Which parameter binding failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum BindingErrorKind {
    /// No parameter has that name.
    NamedParameterNotFound,
    /// A name prefix matches several parameters.
    AmbiguousParameter,
    /// A positional argument with no positional parameter left.
    PositionalParameterNotFound,
    /// A mandatory parameter is missing.
    MissingMandatoryParameter,
    /// The same parameter given twice.
    ParameterAlreadyBound,
    /// A value that does not convert to the parameter's type.
    ArgumentTransformation,
    /// A value outside the parameter's set.
    ArgumentValidation,
    /// Parameters from different parameter sets.
    AmbiguousParameterSet,
}

impl BindingErrorKind {
    /// PowerShell's error id.
    pub fn error_id(self) -> &'static str {
        match self {
            BindingErrorKind::NamedParameterNotFound => "NamedParameterNotFound",
            BindingErrorKind::AmbiguousParameter => "AmbiguousParameter",
            BindingErrorKind::PositionalParameterNotFound => "PositionalParameterNotFound",
            BindingErrorKind::MissingMandatoryParameter => "MissingMandatoryParameter",
            BindingErrorKind::ParameterAlreadyBound => "ParameterAlreadyBound",
            BindingErrorKind::ArgumentTransformation => "ParameterArgumentTransformationError",
            BindingErrorKind::ArgumentValidation => "ParameterArgumentValidationError",
            BindingErrorKind::AmbiguousParameterSet => "AmbiguousParameterSet",
        }
    }
}

/// A pipeline refused by a spent cmdlet budget of the throttling policy: the WS-Management quota
/// text, as PowerShell reports a WS-Management failure (PSRemotingTransportException), on the
/// first cmdlet of the pipeline.
pub fn over_budget(over: &super::budget::OverBudget, cmdlet: &str) -> SimErrorRecord {
    SimErrorRecord {
        exception_type: "System.Management.Automation.Remoting.PSRemotingTransportException".into(),
        exception_base_types: [
            "System.Management.Automation.RuntimeException",
            "System.SystemException",
            "System.Exception",
            "System.Object",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect(),
        message: super::budget::over_budget_message(over),
        category: ErrorCategory::ResourceUnavailable.code(),
        category_name: ErrorCategory::ResourceUnavailable.name().into(),
        activity: cmdlet.to_owned(),
        reason: "PSRemotingTransportException".into(),
        target_name: String::new(),
        target_type: String::new(),
        fully_qualified_error_id: "PSRemotingTransportException".into(),
        target_object: None,
        terminating: true,
    }
}

/// `CommandNotFoundException`: a cmdlet the caller's roles do not grant, or no such cmdlet.
pub fn command_not_found(name: &str) -> SimErrorRecord {
    SimErrorRecord {
        exception_type: "System.Management.Automation.CommandNotFoundException".into(),
        exception_base_types: [
            "System.Management.Automation.RuntimeException",
            "System.SystemException",
            "System.Exception",
            "System.Object",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect(),
        message: format!(
            "The term '{name}' is not recognized as the name of a cmdlet, function, script file, or operable program. Check the spelling of the name, or if a path was included, verify that the path is correct and try again."
        ),
        category: ErrorCategory::ObjectNotFound.code(),
        category_name: ErrorCategory::ObjectNotFound.name().into(),
        activity: String::new(),
        reason: "CommandNotFoundException".into(),
        target_name: name.to_owned(),
        target_type: "String".into(),
        fully_qualified_error_id: "CommandNotFoundException".into(),
        target_object: Some(PsValue::String(name.to_owned())),
        terminating: true,
    }
}

/// Why a seed could not be loaded.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum SeedError {
    /// The JSON does not match the schema.
    #[error("seed JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// A record clashes with another or names something missing.
    #[error("seed record {index} ({name}): {source}")]
    Directory {
        /// Position of the record in `recipients`.
        index: usize,
        /// Its name.
        name: String,
        /// What the directory refused.
        #[source]
        source: super::directory::DirectoryError,
    },
    /// A group member or manager GUID/identity names no recipient.
    #[error("seed group {group}: member {member} not found")]
    UnknownMember {
        /// The group's name.
        group: String,
        /// The member reference as written.
        member: String,
    },
    /// An account names a role group that is not defined.
    #[error("seed account {account}: unknown role group {role_group}")]
    UnknownRoleGroup {
        /// The account's user name.
        account: String,
        /// The role group name.
        role_group: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn category_names() {
        assert_eq!(ErrorCategory::ExchangeContext.code(), 1003);
        assert_eq!(ErrorCategory::ExchangeContext.name(), "NotSpecified");
        assert_eq!(ErrorCategory::InvalidData.name(), "InvalidData");
        assert_eq!(ErrorCategory::ObjectNotFound.code(), 13);
    }

    #[test]
    fn ellipsis_like_powershell() {
        assert_eq!(
            ellipsize("System.Management.Automation.Runspaces.RemoteRunspace"),
            "System.Manageme....RemoteRunspace"
        );
        assert_eq!(ellipsize("short"), "short");
    }

    #[test]
    fn command_not_found_shape() {
        let e = command_not_found("Get-OrganizationConfig");
        assert_eq!(
            e.category_message(),
            "ObjectNotFound: (Get-OrganizationConfig:String) [], CommandNotFoundException"
        );
    }
}
