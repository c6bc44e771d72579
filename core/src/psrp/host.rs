//! Host calls and how a client without an interactive user answers them ([MS-PSRP] 2.2.2.15,
//! 2.2.2.16, 2.2.2.27, 2.2.2.28, 2.2.3.17).
//!
//! A server sends a host call when a command wants to talk to the user: print a line, read a
//! line, ask for a credential, or confirm an action (`-Confirm`, ShouldProcess, which Exchange's
//! destructive cmdlets use). The server waits for the answer of any method that returns a
//! value, so a client that never answers hangs the pipeline forever. This client has no user:
//! [`non_interactive_answer`] is the whole policy.

use super::messages::{CategoryInfo, ErrorRecord, RemoteHostMethodId};

/// The `RemoteHostMethodId` numbers ([MS-PSRP] 2.2.3.17) whose method returns a value, so the
/// server waits for a host response. Every other method is void and gets no response.
const RETURNING_METHODS: &[i32] = &[
    1,  // GetName
    2,  // GetVersion
    3,  // GetInstanceId
    4,  // GetCurrentCulture
    5,  // GetCurrentUICulture
    11, // ReadLine
    12, // ReadLineAsSecureString
    23, // Prompt
    24, // PromptForCredential1
    25, // PromptForCredential2
    26, // PromptForChoice
    27, // GetForegroundColor
    29, // GetBackgroundColor
    31, // GetCursorPosition
    33, // GetWindowPosition
    35, // GetCursorSize
    37, // GetBufferSize
    39, // GetWindowSize
    41, // GetWindowTitle
    43, // GetMaxWindowSize
    44, // GetMaxPhysicalWindowSize
    45, // GetKeyAvailable
    46, // ReadKey
    50, // GetBufferContents
    54, // GetIsRunspacePushed
    55, // GetRunspace
    56, // PromptForChoiceMultipleSelection
];

/// The `FullyQualifiedErrorId` of the error record sent back for a host call that needs a user.
pub const HOST_NOT_INTERACTIVE_ERROR_ID: &str = "HostNotInteractive";

/// `ErrorCategory.NotImplemented`.
const CATEGORY_NOT_IMPLEMENTED: i32 = 11;

/// The .NET exception the error record names: what PowerShell's own remote host raises when
/// the host lacks a feature.
const HOST_EXCEPTION: &[&str] = &[
    "System.Management.Automation.Host.HostException",
    "System.Management.Automation.RuntimeException",
    "System.SystemException",
    "System.Exception",
    "System.Object",
];

/// The error record a host response carries for an [`HostAnswer::Error`].
pub(crate) fn error_record(message: &str, fully_qualified_error_id: &str) -> ErrorRecord {
    ErrorRecord::new(
        HOST_EXCEPTION,
        message,
        fully_qualified_error_id,
        CategoryInfo {
            category: CATEGORY_NOT_IMPLEMENTED,
            activity: None,
            reason: Some("HostException".to_owned()),
            target_name: None,
            target_type: None,
            message: None,
        },
        None,
    )
}

/// Whether the server waits for a response to `method` ([MS-PSRP] 2.2.3.17).
pub fn has_return_value(method: RemoteHostMethodId) -> bool {
    RETURNING_METHODS.contains(&method.value())
}

/// How the client answers one host call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostAnswer {
    /// A void method: the server does not wait, nothing is sent.
    None,
    /// A method with a return value: a host response carrying an exception, so that the command
    /// fails with a clear message instead of waiting for a user who is not there.
    Error {
        /// The exception message.
        message: String,
        /// The error record's `FullyQualifiedErrorId` ([`HOST_NOT_INTERACTIVE_ERROR_ID`]).
        fully_qualified_error_id: &'static str,
    },
}

/// The policy of a client without an interactive host: every method that returns a value gets
/// an error right away, void methods get nothing. The call is still surfaced as an event so the
/// caller can log what the command wanted to say.
///
/// PromptForChoice, which `-Confirm` and ShouldProcess use, is answered with an error too rather
/// than with a default choice: a silent "No" would make a destructive cmdlet look successful
/// without doing anything, and a silent "Yes" would confirm an action nobody saw. The cmdlet
/// fails with this error instead; pass `-Confirm:$false` to run it unattended.
pub fn non_interactive_answer(method: RemoteHostMethodId) -> HostAnswer {
    if !has_return_value(method) {
        return HostAnswer::None;
    }
    let name = method.name();
    HostAnswer::Error {
        message: format!(
            "The host is not interactive: {name} needs a user and cannot be answered. \
             Pass the values as parameters (for a confirmation prompt: -Confirm:$false)."
        ),
        fully_qualified_error_id: HOST_NOT_INTERACTIVE_ERROR_ID,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn method(id: i64) -> RemoteHostMethodId {
        RemoteHostMethodId::from_value(id).unwrap_or(RemoteHostMethodId::GetName)
    }

    #[test]
    fn prompts_get_an_error_and_writes_get_nothing() {
        for id in [11, 12, 23, 24, 25, 26, 56] {
            match non_interactive_answer(method(id)) {
                HostAnswer::Error {
                    message,
                    fully_qualified_error_id,
                } => {
                    assert!(message.starts_with("The host is not interactive"));
                    assert!(message.contains(method(id).name()), "{message}");
                    assert_eq!(fully_qualified_error_id, "HostNotInteractive");
                }
                HostAnswer::None => panic!("method {id} must be answered"),
            }
        }
        for id in [6, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 28, 42] {
            assert_eq!(
                non_interactive_answer(method(id)),
                HostAnswer::None,
                "method {id}"
            );
        }
    }

    #[test]
    fn every_returning_method_exists() {
        for id in RETURNING_METHODS {
            assert!(
                RemoteHostMethodId::from_value(i64::from(*id)).is_some(),
                "{id}"
            );
        }
    }

    #[test]
    fn the_error_record_names_the_policy() {
        let record = error_record("nobody here", HOST_NOT_INTERACTIVE_ERROR_ID);
        assert_eq!(
            record.fully_qualified_error_id(),
            Some("HostNotInteractive")
        );
        assert_eq!(record.message(), Some("nobody here"));
        assert_eq!(
            record.category_info().map(|c| c.category),
            Some(CATEGORY_NOT_IMPLEMENTED)
        );
    }
}
