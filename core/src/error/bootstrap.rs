//! [`BootstrapFailure`]: what a jump host's bootstrap reported when it could not open or import
//! the Exchange session (see [`crate::exchange::options::jump_host`]).

use crate::psrp::PSInvocationState;
use crate::psrp::messages::ErrorRecord;

/// Why the jump host could not open or import the Exchange session.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct BootstrapFailure {
    /// The Exchange endpoint the jump host tried.
    pub exchange_uri: String,
    /// The Exchange account it tried.
    pub user: String,
    /// How the bootstrap pipeline ended: Failed for a terminating error (a refused
    /// `New-PSSession`), Completed when it only wrote errors.
    pub state: Option<PSInvocationState>,
    /// The server's error record: `PSRemotingTransportException` with
    /// `AccessDenied,PSSessionOpenFailed` for a wrong password.
    pub record: Option<ErrorRecord>,
    /// Every error record the bootstrap wrote before it ended.
    pub errors: Vec<ErrorRecord>,
}

impl std::fmt::Display for BootstrapFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the jump host could not open the Exchange session at {} as {}",
            self.exchange_uri, self.user
        )?;
        if let Some(r) = &self.record {
            write!(f, ": {}", super::RecordSummary(r))?;
        }
        Ok(())
    }
}
