//! The failures of `mx` and the exit code each one maps to.

use monosync_exchange::clixml::ClixmlError;
use monosync_exchange::exchange::{ErrorKind, SessionError};

/// Exit code: the command ran and reported no error.
pub(crate) const EXIT_OK: u8 = 0;
/// Exit code: the cmdlet reported errors (non-terminating records or a terminating error):
/// not found, ambiguous, already exists, invalid parameter, or another cmdlet failure.
pub(crate) const EXIT_CMDLET: u8 = 1;
/// Exit code: bad command line, parameters, input or configuration.
pub(crate) const EXIT_USAGE: u8 = 2;
/// Exit code: connecting, TLS, HTTP or a time limit failed, or the server was briefly
/// unavailable (a retry may succeed).
pub(crate) const EXIT_TRANSPORT: u8 = 3;
/// Exit code: authentication failed.
pub(crate) const EXIT_AUTH: u8 = 4;
/// Exit code: a protocol error, an interrupted command, or anything else.
pub(crate) const EXIT_PROTOCOL: u8 = 5;
/// Exit code: the account may not do this (WinRM access, or a cmdlet or parameter its RBAC
/// roles do not grant).
pub(crate) const EXIT_ACCESS_DENIED: u8 = 6;
/// Exit code: the server refused for load (shell quota, throttling budget); retry later.
pub(crate) const EXIT_THROTTLED: u8 = 7;

/// Why `mx` could not do what it was asked.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum CliError {
    /// The command line or a parameter is unusable.
    #[error("{0}")]
    Usage(String),
    /// The password could not be read.
    #[error("password: {0}")]
    Password(String),
    /// The CLIXML input could not be read or decoded.
    #[error("{0}")]
    Clixml(#[from] ClixmlError),
    /// An input file could not be read.
    #[error("{path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The session failed.
    #[error(transparent)]
    Session(#[from] SessionError),
    /// The simulator behind `mx demo` could not start.
    #[error("simulator: {0}")]
    Simulator(#[from] mx_sim::SimError),
    /// Standard output could not be written: the reader went away (`| head`), or worse.
    #[error(transparent)]
    Output(#[from] crate::console::Closed),
    /// A step of `mx demo` did not give the expected result.
    #[error("demo step `{step}` failed: {why}")]
    Demo {
        /// The step.
        step: String,
        /// What was wrong.
        why: String,
    },
}

impl CliError {
    /// The process exit code for this failure.
    pub(crate) fn exit_code(&self) -> u8 {
        match self {
            CliError::Usage(_) | CliError::Password(_) | CliError::Clixml(_) => EXIT_USAGE,
            CliError::Read { .. } => EXIT_USAGE,
            CliError::Session(e) => kind_exit_code(e.kind()),
            CliError::Simulator(_) | CliError::Demo { .. } => EXIT_PROTOCOL,
            // A reader that stopped reading wanted no more; that is not a failure.
            CliError::Output(c) if c.is_broken_pipe() => EXIT_OK,
            CliError::Output(_) => EXIT_PROTOCOL,
        }
    }

    /// Whether nothing is to be said about it: standard output closed by its reader.
    pub(crate) fn is_quiet(&self) -> bool {
        matches!(self, CliError::Output(c) if c.is_broken_pipe())
    }

    /// A short machine-readable name of the failure, for `--json`: the session error's
    /// [`ErrorKind`] name, `usage` for the command line, `protocol` for the demo.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            CliError::Session(e) => e.kind().as_str(),
            CliError::Simulator(_) | CliError::Demo { .. } | CliError::Output(_) => "protocol",
            _ => "usage",
        }
    }

    /// What an administrator can change, when known.
    pub(crate) fn hint(&self) -> Option<String> {
        match self {
            CliError::Session(e) => e.hint(),
            _ => None,
        }
    }
}

/// The exit code of an error kind; codes 1 to 5 keep the classes they had before kinds
/// existed, 6 and 7 split access and load refusals out of them.
pub(crate) fn kind_exit_code(kind: ErrorKind) -> u8 {
    match kind {
        ErrorKind::NotFound
        | ErrorKind::Ambiguous
        | ErrorKind::AlreadyExists
        | ErrorKind::InvalidParameter
        | ErrorKind::Command => EXIT_CMDLET,
        ErrorKind::Config => EXIT_USAGE,
        ErrorKind::Tls | ErrorKind::Transient | ErrorKind::Timeout => EXIT_TRANSPORT,
        ErrorKind::Auth => EXIT_AUTH,
        ErrorKind::AccessDenied => EXIT_ACCESS_DENIED,
        ErrorKind::Throttled => EXIT_THROTTLED,
        _ => EXIT_PROTOCOL,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use monosync_exchange::transport::TransportError;

    #[test]
    fn exit_codes_follow_the_failure_class() {
        let auth = CliError::Session(SessionError::Transport(TransportError::Auth {
            scheme: "NTLM".into(),
            message: "bad password".into(),
            hint: None,
        }));
        assert_eq!(auth.exit_code(), EXIT_AUTH);
        assert_eq!(auth.kind(), "auth");
        let connect = CliError::Session(SessionError::Transport(TransportError::Connect {
            attempts: Vec::new(),
        }));
        assert_eq!(connect.exit_code(), EXIT_TRANSPORT);
        assert_eq!(connect.kind(), "transient");
        assert!(connect.hint().is_some_and(|h| h.contains("port")));
        assert_eq!(CliError::Usage("x".into()).exit_code(), EXIT_USAGE);
        assert_eq!(CliError::Usage("x".into()).kind(), "usage");
        assert_eq!(
            CliError::Session(SessionError::Closed).exit_code(),
            EXIT_USAGE
        );
        assert_eq!(
            CliError::Session(SessionError::Cancelled).exit_code(),
            EXIT_PROTOCOL
        );
    }

    #[test]
    fn every_kind_has_an_exit_code_of_its_class() {
        let codes: Vec<u8> = ErrorKind::ALL.into_iter().map(kind_exit_code).collect();
        assert_eq!(codes, [1, 1, 1, 6, 1, 7, 3, 4, 3, 5, 5, 3, 5, 2, 1]);
    }
}
