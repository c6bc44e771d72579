//! The small, stable set of error kinds a provisioning engine acts on. Every
//! [`crate::exchange::SessionError`] maps to one ([`crate::exchange::SessionError::kind`]); the bindings expose
//! the same kinds (C result codes, Python exception classes, .NET exception types).
//!
//! The kinds are declared once, in [`error_kinds!`](crate::error_kinds): the enum below, the
//! Python binding's enum and exception classes are made from that table, and a test
//! (`tests/e2e/tests/error_kind_bindings.rs`) checks the C header, the Python stubs, the .NET
//! sources and `docs/errors.md` against it (and writes the generated ones).

use crate::psrp::messages::ErrorRecord;

/// The table of error kinds, the one place they are declared: hands every row to the macro
/// named as its argument, which makes what it needs of them (an enum, a lookup table).
///
/// A row is `Variant = code, "snake_name", python = ClassName(BuiltinBase), "doc";`, the base
/// in parentheses being optional. The codes and names are a stable ABI (C result codes, JSON
/// output, the bindings' enums): never renumber or rename a kind; a new one takes the next
/// free code below 100.
///
/// ```
/// macro_rules! names {
///     ($($variant:ident = $code:literal, $name:literal,
///        python = $class:ident($($base:ident)?), $doc:literal;)*) => {
///         [$($name),*]
///     };
/// }
/// let names = monosync_exchange::error_kinds!(names);
/// assert_eq!(names[0], "not_found");
/// ```
#[macro_export]
macro_rules! error_kinds {
    ($callback:ident) => {
        $callback! {
            NotFound = 1, "not_found", python = NotFoundError(LookupError),
                "The object the command names does not exist (ManagementObjectNotFoundException).";
            Ambiguous = 2, "ambiguous", python = AmbiguousError(),
                "The identity matches more than one object (ManagementObjectAmbiguousException).";
            AlreadyExists = 3, "already_exists", python = AlreadyExistsError(),
                "The object already exists, is already mail-enabled, a proxy address is in use, or the member is already in the group.";
            AccessDenied = 4, "access_denied", python = AccessDeniedError(PermissionError),
                "The account may not do this: WinRM access denied, or a cmdlet its RBAC roles do not grant (which Exchange reports as CommandNotFoundException).";
            InvalidParameter = 5, "invalid_parameter", python = InvalidParameterError(ValueError),
                "A parameter is missing, unknown, or its value is invalid.";
            Throttled = 6, "throttled", python = ThrottledError(),
                "The server refused for load: the shell quota, or a throttling budget. Retry later, with backoff.";
            Transient = 7, "transient", python = TransientError(),
                "A failure that a retry may cure: the network, HTTP 503, a broken runspace.";
            Auth = 8, "auth", python = AuthError(),
                "Authentication failed: wrong password, Kerberos errors, channel binding rejected, or no usable mechanism.";
            Tls = 9, "tls", python = TlsError(),
                "The TLS handshake or the certificate check (chain, name or pin) failed.";
            Protocol = 10, "protocol", python = ProtocolError(),
                "The server's answer broke the protocol (unreadable XML, PSRP state errors).";
            Cancelled = 11, "cancelled", python = CancelledError(),
                "The caller cancelled the command; it was stopped on the server.";
            Timeout = 12, "timeout", python = ExchangeTimeoutError(TimeoutError),
                "An operation ran out of time: a connect, an HTTP exchange, opening the session or the command.";
            OutcomeUnknown = 13, "outcome_unknown", python = OutcomeUnknownError(),
                "A command that changes state may or may not have run: the connection failed after it was sent. It is not re-run; check the object before trying again.";
            Config = 14, "config", python = ConfigError(ValueError),
                "The options are not usable (a bad URL, a missing password), or the session was misused (closed, or called from the thread reading one of its streams); fix the \
configuration or the call sequence.";
            Command = 15, "command", python = CommandError(),
                "The command failed for another reason the server gave; its error record says why.";
        }
    };
}

/// Makes [`ErrorKind`] and its table accessors from the rows of [`error_kinds!`].
macro_rules! declare_error_kind {
    ($($variant:ident = $code:literal, $name:literal,
       python = $class:ident($($base:ident)?), $doc:literal;)*) => {
        /// What kind of failure an error is: the decision a caller makes (retry, report, fix
        /// the input, fix the server) depends on this, not on the layer it came from.
        ///
        /// The numeric values are stable: the C ABI and the bindings use them.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        #[repr(u32)]
        pub enum ErrorKind {
            $(
                #[doc = $doc]
                $variant = $code,
            )*
        }

        impl ErrorKind {
            /// Every kind, in numeric order.
            pub const ALL: [ErrorKind; [$($code),*].len()] = [$(ErrorKind::$variant),*];

            /// The kind's stable numeric code: the C result code, and the value of the
            /// bindings' enums.
            pub const fn code(self) -> u32 {
                self as u32
            }

            /// The kind's stable snake_case name, as used in JSON output and by the C API's
            /// `mx_result_code_name`.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(ErrorKind::$variant => $name,)*
                }
            }

            /// The variant's name (`NotFound`), which the Python and .NET enums use too.
            pub const fn variant_name(self) -> &'static str {
                match self {
                    $(ErrorKind::$variant => stringify!($variant),)*
                }
            }

            /// What the kind means, one paragraph: the documentation every binding carries.
            pub const fn doc(self) -> &'static str {
                match self {
                    $(ErrorKind::$variant => $doc,)*
                }
            }
        }
    };
}

crate::error_kinds!(declare_error_kind);

impl ErrorKind {
    /// The kind with this numeric value.
    pub fn from_code(code: u32) -> Option<ErrorKind> {
        ErrorKind::ALL.into_iter().find(|k| k.code() == code)
    }

    /// Classifies a command's error record (terminating, or one of a result's non-terminating
    /// `errors`).
    ///
    /// Exchange names the failure in the exception type and repeats its short name in the
    /// FullyQualifiedErrorId's `[FailureCategory=Cmdlet-<Exception>]` (or `AuthZ-<Exception>`
    /// for the authorization and throttling modules); PowerShell's own failures (parameter
    /// binding, command not found) carry their reason in CategoryInfo and their class in the
    /// FullyQualifiedErrorId (`NamedParameterNotFound,Set-Mailbox`). A few Exchange failures
    /// share an exception type with others and differ only in the text
    /// (RecipientTaskException: "is already mail-enabled"), so the message is read last.
    pub fn of_record(record: &ErrorRecord) -> ErrorKind {
        let info = record.category_info();
        RecordFacts::of(record, &info).classify()
    }

    /// Whether the same request may succeed if sent again later (after backoff for
    /// [`ErrorKind::Throttled`]). Only idempotent commands are retried; see the pool.
    pub fn is_retryable(self) -> bool {
        matches!(
            self,
            ErrorKind::Throttled | ErrorKind::Transient | ErrorKind::Timeout
        )
    }
}

impl std::fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The part of a FullyQualifiedErrorId's `[FailureCategory=<source>-<name>]` after the source
/// (`Cmdlet-ManagementObjectNotFoundException` gives `ManagementObjectNotFoundException`,
/// `AuthZ-AuthorizationException` gives `AuthorizationException`).
pub fn failure_category(fully_qualified_error_id: &str) -> Option<&str> {
    const TAG: &str = "[FailureCategory=";
    let start = fully_qualified_error_id.find(TAG)? + TAG.len();
    let rest = fully_qualified_error_id.get(start..)?;
    let value = rest.get(..rest.find(']')?)?;
    Some(value.split_once('-').map_or(value, |(_, name)| name))
}

/// The wait a throttling refusal states, from its message: Exchange's WS-Management quota text
/// ends "The next request from this user will not be approved for at least 4500 milliseconds."
/// `None` when the message states none. Read a record's text with [`ErrorRecord::message`].
pub fn stated_wait(message: &str) -> Option<std::time::Duration> {
    const LEAD: &str = "will not be approved for at least ";
    let rest = message.get(message.find(LEAD)? + LEAD.len()..)?;
    let digits = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    let millis: u64 = rest.get(..digits)?.parse().ok()?;
    rest.get(digits..)?
        .trim_start()
        .starts_with("millisecond")
        .then(|| std::time::Duration::from_millis(millis))
}

/// PowerShell's ErrorCategory numbers that decide a kind on their own (System.Management.
/// Automation.ErrorCategory), and Exchange's own (ExchangeErrorCategory, 1000-1004).
mod category {
    pub(super) const INVALID_ARGUMENT: i32 = 5;
    pub(super) const OPERATION_TIMEOUT: i32 = 15;
    pub(super) const PERMISSION_DENIED: i32 = 18;
    pub(super) const RESOURCE_EXISTS: i32 = 20;
    pub(super) const RESOURCE_UNAVAILABLE: i32 = 21;
    pub(super) const LIMITS_EXCEEDED: i32 = 29;
    pub(super) const QUOTA_EXCEEDED: i32 = 30;
    pub(super) const EXCHANGE_SERVER_TRANSIENT: i32 = 1002;
    pub(super) const EXCHANGE_AUTHORIZATION: i32 = 1004;
}

/// What a record says about itself, read once.
struct RecordFacts<'a> {
    /// The exception's short type name, the FailureCategory name, the CategoryInfo reason and
    /// the FullyQualifiedErrorId's class (the part before the first comma).
    names: [&'a str; 4],
    category: Option<i32>,
    activity: String,
    message: &'a str,
}

impl<'a> RecordFacts<'a> {
    fn of(record: &'a ErrorRecord, info: &'a Option<crate::psrp::messages::CategoryInfo>) -> Self {
        let exception = record.exception_type().unwrap_or_default();
        let short = exception.rsplit('.').next().unwrap_or(exception);
        let fqid = record.fully_qualified_error_id().unwrap_or_default();
        let category_name = failure_category(fqid).unwrap_or_default();
        // Exchange's ids start with the bracketed header; PowerShell's are `Class,Command`.
        let class = if fqid.starts_with('[') {
            ""
        } else {
            fqid.split(',').next().unwrap_or_default()
        };
        let reason = info
            .as_ref()
            .and_then(|c| c.reason.as_deref())
            .unwrap_or_default();
        RecordFacts {
            names: [short, category_name, reason, class],
            category: info.as_ref().map(|c| c.category),
            activity: info
                .as_ref()
                .and_then(|c| c.activity.clone())
                .unwrap_or_default(),
            message: record.message().unwrap_or_default(),
        }
    }

    fn named(&self, needles: &[&str]) -> bool {
        self.names
            .iter()
            .any(|name| needles.iter().any(|needle| name.contains(needle)))
    }

    fn says(&self, phrases: &[&str]) -> bool {
        phrases.iter().any(|p| self.message.contains(p))
    }

    fn category_is(&self, codes: &[i32]) -> bool {
        self.category.is_some_and(|c| codes.contains(&c))
    }

    fn classify(&self) -> ErrorKind {
        if self.named(&["PipelineStopped"]) {
            ErrorKind::Cancelled
        } else if self.is_throttled() {
            ErrorKind::Throttled
        } else if self.named(&[
            "ManagementObjectNotFound",
            "MemberNotFound",
            "ADNoSuchObject",
            "RecipientNotFound",
        ]) {
            ErrorKind::NotFound
        } else if self.named(&["ManagementObjectAmbiguous", "Ambiguous"])
            && !self.named(&["AmbiguousParameterSet"])
        {
            ErrorKind::Ambiguous
        } else if self.already_exists() {
            ErrorKind::AlreadyExists
        } else if self.access_denied() {
            ErrorKind::AccessDenied
        } else if self.invalid_parameter() {
            ErrorKind::InvalidParameter
        } else if self.named(&["TransientException", "ServerUnavailable"])
            || self.category_is(&[
                category::EXCHANGE_SERVER_TRANSIENT,
                category::RESOURCE_UNAVAILABLE,
            ])
        {
            ErrorKind::Transient
        } else if self.named(&["TimeoutException"])
            || self.category_is(&[category::OPERATION_TIMEOUT])
        {
            ErrorKind::Timeout
        } else {
            ErrorKind::Command
        }
    }

    /// The throttling module's budget errors and the WinRM shell quota as PowerShell reports
    /// them (PSSessionOpenFailed with the quota text).
    fn is_throttled(&self) -> bool {
        self.named(&["Throttl", "OverBudget", "BudgetExceeded"])
            || self.says(&[
                "exceeded the maximum number of connections allowed",
                "exceeded your budget",
                "exceeded the budget to create runspace",
                "exceeded your throttling policy budget",
                "concurrent shells, which has been exceeded",
                "user load quota",
            ])
            || self.category_is(&[category::QUOTA_EXCEEDED, category::LIMITS_EXCEEDED])
    }

    /// Exchange's duplicate errors. RecipientTaskException covers many failures; its text says
    /// which. Enable-* on a recipient that is already mail-enabled answers "does not support
    /// recipients of this type ... is of type UserMailbox".
    fn already_exists(&self) -> bool {
        if self.named(&[
            "AlreadyExists",
            "ProxyAddressExists",
            "AlreadyMailEnabled",
            "NameNotAvailable",
        ]) || self.category_is(&[category::RESOURCE_EXISTS])
        {
            return true;
        }
        self.named(&["RecipientTaskException"])
            && (self.says(&[
                "is already mail-enabled",
                "already has an archive",
                "is already being used",
                "is already a member of",
            ]) || (self.activity.starts_with("Enable-")
                && self.says(&["does not support recipients of this type"])))
    }

    /// RBAC: a cmdlet outside the account's roles does not exist in its runspace, a parameter
    /// outside them is refused by Exchange's own check.
    fn access_denied(&self) -> bool {
        self.named(&[
            "CommandNotFoundException",
            "CmdletAccessDenied",
            "UnauthorizedAccess",
            "AccessDenied",
            "RpsNotEnabled",
            "ClientAccessRules",
        ]) || self.says(&[
            "isn't present in the role definition for the current user",
            "isn't assigned to any management roles",
        ]) || self.category_is(&[
            category::PERMISSION_DENIED,
            category::EXCHANGE_AUTHORIZATION,
        ])
    }

    fn invalid_parameter(&self) -> bool {
        self.named(&[
            "ParameterBinding",
            "NamedParameterNotFound",
            "PositionalParameterNotFound",
            "MissingMandatoryParameter",
            "AmbiguousParameterSet",
            "ParameterArgument",
            "InvalidFilter",
            "DataValidationException",
            "ArgumentException",
            "ArgumentOutOfRange",
            "ScriptsNotAllowed",
        ]) || self.is_prompt()
            || self.category_is(&[category::INVALID_ARGUMENT])
    }

    /// A confirmation the server could not ask: the session announces no interactive host,
    /// so ShouldProcess fails instead of prompting. The fix is `-Confirm:$false`.
    fn is_prompt(&self) -> bool {
        self.named(&["HostException"]) && self.says(&["user interaction"])
    }
}

/// Whether `record` is a confirmation prompt the server could not put to a user: the cmdlet
/// needs `-Confirm:$false` ([`crate::exchange::Command::confirm`]).
pub fn is_confirmation_prompt(record: &ErrorRecord) -> bool {
    let info = record.category_info();
    RecordFacts::of(record, &info).is_prompt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_names_are_distinct() {
        let mut names = std::collections::HashSet::new();
        for (i, kind) in ErrorKind::ALL.into_iter().enumerate() {
            assert_eq!(kind as u32, i as u32 + 1);
            assert_eq!(ErrorKind::from_code(kind as u32), Some(kind));
            assert!(names.insert(kind.as_str()));
        }
        assert_eq!(ErrorKind::from_code(0), None);
        assert_eq!(ErrorKind::from_code(16), None);
    }

    /// The codes and names are an ABI: released C callers, JSON consumers and the bindings'
    /// enums depend on them. Adding a kind at the end extends this list; nothing else does.
    #[test]
    fn codes_and_names_stay_as_released() {
        let table: Vec<String> = ErrorKind::ALL
            .into_iter()
            .map(|k| format!("{}={}:{}", k.variant_name(), k.code(), k.as_str()))
            .collect();
        assert_eq!(
            table.join(" "),
            "NotFound=1:not_found Ambiguous=2:ambiguous AlreadyExists=3:already_exists \
             AccessDenied=4:access_denied InvalidParameter=5:invalid_parameter \
             Throttled=6:throttled Transient=7:transient Auth=8:auth Tls=9:tls \
             Protocol=10:protocol Cancelled=11:cancelled Timeout=12:timeout \
             OutcomeUnknown=13:outcome_unknown Config=14:config Command=15:command"
        );
        for kind in ErrorKind::ALL {
            assert!(
                kind.doc().ends_with('.') && !kind.doc().contains("  "),
                "{kind}"
            );
        }
    }

    fn record(
        types: &[&str],
        message: &str,
        fqid: &str,
        category: i32,
        reason: &str,
    ) -> ErrorRecord {
        ErrorRecord::new(
            types,
            message,
            fqid,
            crate::psrp::messages::CategoryInfo {
                category,
                activity: Some("Enable-Mailbox".into()),
                reason: Some(reason.into()),
                target_name: None,
                target_type: None,
                message: None,
            },
            None,
        )
    }

    fn exchange_id(name: &str) -> String {
        format!(
            "[Server=EX01,RequestId=c45a6d57-2c60-43d1-a36d-67bbbccc8bcf,TimeStamp=5/19/2020 10:19:41 PM] [FailureCategory=Cmdlet-{name}] 1082ECE3,Microsoft.Exchange.Management.RecipientTasks.EnableMailbox"
        )
    }

    #[test]
    fn the_stated_wait_is_read_from_the_quota_text() {
        let text = "The WS-Management service cannot process the request. The user load quota of 5 requests per 10 seconds has been exceeded. Send future requests at a slower rate or raise the quota for this user. The next request from this user will not be approved for at least 4500 milliseconds.";
        assert_eq!(
            stated_wait(text),
            Some(std::time::Duration::from_millis(4500))
        );
        let r = record(
            &["System.Management.Automation.Remoting.PSRemotingTransportException"],
            text,
            "PSRemotingTransportException",
            21,
            "PSRemotingTransportException",
        );
        assert_eq!(ErrorKind::of_record(&r), ErrorKind::Throttled);
        assert!(ErrorKind::of_record(&r).is_retryable());
        assert_eq!(
            r.message().and_then(stated_wait),
            Some(std::time::Duration::from_millis(4500))
        );
        for silent in [
            "",
            "The pipeline has been stopped.",
            "will not be approved for at least milliseconds.",
            "will not be approved for at least 12 seconds.",
            "will not be approved for at least 99999999999999999999999 milliseconds.",
        ] {
            assert_eq!(stated_wait(silent), None, "{silent}");
        }
        assert_eq!(
            stated_wait("will not be approved for at least 0 milliseconds"),
            Some(std::time::Duration::ZERO)
        );
    }

    #[test]
    fn failure_category_is_read_from_the_id() {
        assert_eq!(
            failure_category(&exchange_id("ProxyAddressExistsException")),
            Some("ProxyAddressExistsException")
        );
        assert_eq!(
            failure_category(
                "[AuthZRequestId=6a88][FailureCategory=AuthZ-AuthorizationException] Fail"
            ),
            Some("AuthorizationException")
        );
        assert_eq!(failure_category("NamedParameterNotFound,Set-Mailbox"), None);
        assert_eq!(failure_category("[FailureCategory=unterminated"), None);
    }

    #[test]
    fn exchange_records_are_classified_by_type_id_category_and_text() {
        let task = "Microsoft.Exchange.Management.Tasks.RecipientTaskException";
        let cases = [
            (
                record(
                    &[task],
                    "This task does not support recipients of this type. The specified recipient contoso.com/Users/Alice is of type UserMailbox. Please make sure that this recipient matches the required recipient type for this task.",
                    &exchange_id("RecipientTaskException"),
                    5,
                    "RecipientTaskException",
                ),
                ErrorKind::AlreadyExists,
            ),
            (
                record(
                    &[task],
                    "The group \"Sales\" is already mail-enabled.",
                    &exchange_id("RecipientTaskException"),
                    1000,
                    "RecipientTaskException",
                ),
                ErrorKind::AlreadyExists,
            ),
            (
                record(
                    &["Microsoft.Exchange.Configuration.ObjectModel.ProxyAddressExistsException"],
                    "The proxy address \"SMTP:a@contoso.com\" is already being used",
                    &exchange_id("ProxyAddressExistsException"),
                    1000,
                    "ProxyAddressExistsException",
                ),
                ErrorKind::AlreadyExists,
            ),
            (
                record(
                    &[
                        "Microsoft.Exchange.Management.Tasks.MemberAlreadyExistsException",
                        task,
                    ],
                    "The recipient \"contoso.com/Users/Bob\" is already a member of the group \"contoso.com/Users/Sales\".",
                    &exchange_id("MemberAlreadyExistsException"),
                    1000,
                    "MemberAlreadyExistsException",
                ),
                ErrorKind::AlreadyExists,
            ),
            (
                record(
                    &["Microsoft.Exchange.Configuration.Tasks.ManagementObjectAmbiguousException"],
                    "The operation couldn't be performed because 'Ann' matches multiple entries.",
                    &exchange_id("ManagementObjectAmbiguousException"),
                    1003,
                    "ManagementObjectAmbiguousException",
                ),
                ErrorKind::Ambiguous,
            ),
            (
                record(
                    &["System.Management.Automation.ParameterBindingException"],
                    "Parameter set cannot be resolved using the specified named parameters.",
                    "AmbiguousParameterSet,Get-MailboxDatabase",
                    5,
                    "ParameterBindingException",
                ),
                ErrorKind::InvalidParameter,
            ),
            (
                record(
                    &["System.Management.Automation.ParameterBindingException"],
                    "A parameter cannot be found that matches parameter name 'EmailAddresses'.",
                    "NamedParameterNotFound,Set-Mailbox",
                    5,
                    "ParameterBindingException",
                ),
                ErrorKind::InvalidParameter,
            ),
            (
                record(
                    &["System.Management.Automation.CommandNotFoundException"],
                    "The term 'Get-OrganizationConfig' is not recognized as the name of a cmdlet",
                    "CommandNotFoundException",
                    13,
                    "CommandNotFoundException",
                ),
                ErrorKind::AccessDenied,
            ),
            (
                record(
                    &["System.Management.Automation.RemoteException"],
                    "[AuthZRequestId=6a88][FailureCategory=AuthZ-AuthorizationException] Fail to create a runspace because you have exceeded the maximum number of connections allowed : 18 for the policy party : MaxConcurrency.",
                    "PSSessionOpenFailed",
                    1,
                    "PSRemotingTransportException",
                ),
                ErrorKind::Throttled,
            ),
            (
                record(
                    &["Microsoft.Exchange.Data.Directory.ADTransientException"],
                    "The LDAP server is unavailable.",
                    &exchange_id("ADTransientException"),
                    1002,
                    "ADTransientException",
                ),
                ErrorKind::Transient,
            ),
            (
                record(
                    &["System.Management.Automation.PipelineStoppedException"],
                    "The pipeline has been stopped.",
                    "PipelineStopped",
                    14,
                    "PipelineStoppedException",
                ),
                ErrorKind::Cancelled,
            ),
            (
                record(
                    &["System.Management.Automation.Host.HostException"],
                    "A command that prompts the user failed because the host program or the command type does not support user interaction.",
                    "HostException",
                    0,
                    "HostException",
                ),
                ErrorKind::InvalidParameter,
            ),
            (
                record(
                    &["System.InvalidOperationException"],
                    "Database is mounted.",
                    &exchange_id("InvalidOperationException"),
                    1001,
                    "InvalidOperationException",
                ),
                ErrorKind::Command,
            ),
        ];
        for (r, kind) in cases {
            assert_eq!(ErrorKind::of_record(&r), kind, "{:?}", r.message());
        }
    }
}
