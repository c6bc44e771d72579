//! The failures of `mx` and the exit code each one maps to.

use monosync_exchange::clixml::ClixmlError;
use monosync_exchange::exchange::SessionError;
use monosync_exchange::transport::TransportError;

/// Exit code: the command ran and reported no error.
pub(crate) const EXIT_OK: u8 = 0;
/// Exit code: the cmdlet reported errors (non-terminating records or a terminating error).
pub(crate) const EXIT_CMDLET: u8 = 1;
/// Exit code: bad command line, parameters or input.
pub(crate) const EXIT_USAGE: u8 = 2;
/// Exit code: connecting, TLS or HTTP failed.
pub(crate) const EXIT_TRANSPORT: u8 = 3;
/// Exit code: authentication failed.
pub(crate) const EXIT_AUTH: u8 = 4;
/// Exit code: a protocol error or anything else.
pub(crate) const EXIT_PROTOCOL: u8 = 5;

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
            CliError::Session(e) => session_exit_code(e),
            CliError::Simulator(_) | CliError::Demo { .. } => EXIT_PROTOCOL,
        }
    }

    /// A short machine-readable name of the failure class, for `--json`.
    pub(crate) fn kind(&self) -> &'static str {
        match self.exit_code() {
            EXIT_USAGE => "usage",
            EXIT_CMDLET => "cmdlet",
            EXIT_TRANSPORT => "transport",
            EXIT_AUTH => "auth",
            _ => "protocol",
        }
    }
}

fn session_exit_code(e: &SessionError) -> u8 {
    match e {
        SessionError::Transport(TransportError::Auth { .. }) => EXIT_AUTH,
        SessionError::Transport(TransportError::Config(_)) => EXIT_USAGE,
        SessionError::Transport(TransportError::Http { status: 401, .. }) => EXIT_AUTH,
        SessionError::Transport(_) => EXIT_TRANSPORT,
        SessionError::Pipeline(_) => EXIT_CMDLET,
        _ => EXIT_PROTOCOL,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(CliError::Usage("x".into()).exit_code(), EXIT_USAGE);
        assert_eq!(
            CliError::Session(SessionError::Closed).exit_code(),
            EXIT_PROTOCOL
        );
    }
}
