//! The small, stable set of error kinds a provisioning engine acts on. Every
//! [`super::SessionError`] maps to one ([`super::SessionError::kind`]); the bindings expose
//! the same kinds (C result codes, Python exception classes, .NET exception types).

use crate::psrp::messages::ErrorRecord;

/// What kind of failure an error is: the decision a caller makes (retry, report, fix the
/// input, fix the server) depends on this, not on the layer it came from.
///
/// The numeric values are stable: the C ABI and the bindings use them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
#[repr(u32)]
pub enum ErrorKind {
    /// The object the command names does not exist (ManagementObjectNotFoundException).
    NotFound = 1,
    /// The identity matches more than one object (ManagementObjectAmbiguousException).
    Ambiguous = 2,
    /// The object already exists, is already mail-enabled, a proxy address is in use, or the
    /// member is already in the group.
    AlreadyExists = 3,
    /// The account may not do this: WinRM access denied, or a cmdlet its RBAC roles do not
    /// grant (which Exchange reports as CommandNotFoundException).
    AccessDenied = 4,
    /// A parameter is missing, unknown, or its value is invalid.
    InvalidParameter = 5,
    /// The server refused for load: the shell quota, or a throttling budget. Retry later,
    /// with backoff.
    Throttled = 6,
    /// A failure that a retry may cure: the network, HTTP 503, a broken runspace.
    Transient = 7,
    /// Authentication failed: wrong password, Kerberos errors, channel binding rejected.
    Auth = 8,
    /// The TLS handshake or the certificate check failed.
    Tls = 9,
    /// The server's answer broke the protocol (unreadable XML, PSRP state errors).
    Protocol = 10,
    /// The caller cancelled the command.
    Cancelled = 11,
    /// An operation ran out of time.
    Timeout = 12,
    /// A command that changes state may or may not have run: the connection failed after it
    /// was sent. It is not re-run; check the object before trying again.
    OutcomeUnknown = 13,
    /// The options are not usable (a bad URL, a missing password); fix the configuration.
    Config = 14,
    /// The command failed for another reason the server gave; its error record says why.
    Command = 15,
}

impl ErrorKind {
    /// Every kind, in numeric order.
    pub const ALL: [ErrorKind; 15] = [
        ErrorKind::NotFound,
        ErrorKind::Ambiguous,
        ErrorKind::AlreadyExists,
        ErrorKind::AccessDenied,
        ErrorKind::InvalidParameter,
        ErrorKind::Throttled,
        ErrorKind::Transient,
        ErrorKind::Auth,
        ErrorKind::Tls,
        ErrorKind::Protocol,
        ErrorKind::Cancelled,
        ErrorKind::Timeout,
        ErrorKind::OutcomeUnknown,
        ErrorKind::Config,
        ErrorKind::Command,
    ];

    /// The kind's stable snake_case name, as used in JSON output.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::NotFound => "not_found",
            ErrorKind::Ambiguous => "ambiguous",
            ErrorKind::AlreadyExists => "already_exists",
            ErrorKind::AccessDenied => "access_denied",
            ErrorKind::InvalidParameter => "invalid_parameter",
            ErrorKind::Throttled => "throttled",
            ErrorKind::Transient => "transient",
            ErrorKind::Auth => "auth",
            ErrorKind::Tls => "tls",
            ErrorKind::Protocol => "protocol",
            ErrorKind::Cancelled => "cancelled",
            ErrorKind::Timeout => "timeout",
            ErrorKind::OutcomeUnknown => "outcome_unknown",
            ErrorKind::Config => "config",
            ErrorKind::Command => "command",
        }
    }

    /// The kind with this numeric value.
    pub fn from_code(code: u32) -> Option<ErrorKind> {
        ErrorKind::ALL.into_iter().find(|k| *k as u32 == code)
    }

    /// Classifies a command's error record (terminating, or one of a result's non-terminating
    /// `errors`). Exchange names the failure in the exception type
    /// and repeats it in the FullyQualifiedErrorId's `[FailureCategory=Cmdlet-<Exception>]`, so
    /// both are read; PowerShell's own failures (parameter binding, command not found) carry
    /// their reason in CategoryInfo.
    pub fn of_record(record: &ErrorRecord) -> ErrorKind {
        let exception = record.exception_type().unwrap_or_default();
        let fqid = record.fully_qualified_error_id().unwrap_or_default();
        let reason = record
            .category_info()
            .and_then(|c| c.reason)
            .unwrap_or_default();
        let names = [exception, fqid, reason.as_str()];
        let any = |needles: &[&str]| {
            names
                .iter()
                .any(|name| needles.iter().any(|needle| name.contains(needle)))
        };
        if any(&[
            "ManagementObjectNotFoundException",
            "MemberNotFoundException",
        ]) {
            ErrorKind::NotFound
        } else if any(&["ManagementObjectAmbiguousException"]) {
            ErrorKind::Ambiguous
        } else if any(&[
            "AlreadyExistsException",
            "ProxyAddressExistsException",
            "AlreadyMailEnabled",
        ]) {
            ErrorKind::AlreadyExists
        } else if any(&[
            "CommandNotFoundException",
            "AccessDenied",
            "UnauthorizedAccess",
        ]) {
            ErrorKind::AccessDenied
        } else if any(&["Throttl", "BudgetExceeded", "OverBudget"]) {
            ErrorKind::Throttled
        } else if any(&["ParameterBinding", "ParameterArgument", "InvalidFilter"]) {
            ErrorKind::InvalidParameter
        } else if any(&["PipelineStopped"]) {
            ErrorKind::Cancelled
        } else {
            ErrorKind::Command
        }
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
}
