//! The jump-host bootstrap run in a freshly opened session (see
//! [`crate::exchange::options::jump_host`]).

use super::Session;
use crate::error::{BootstrapFailure, SessionError};
use crate::exchange::options::JumpHost;

/// Runs the bootstrap in `session`'s runspace pool. Transport, fault and protocol errors pass
/// through; what the script itself reports becomes [`SessionError::JumpHost`].
pub(crate) async fn bootstrap(session: &mut Session, jump: &JumpHost) -> Result<(), SessionError> {
    let failure = |state, record, errors| {
        SessionError::JumpHost(Box::new(BootstrapFailure {
            exchange_uri: jump.exchange_uri.clone(),
            user: jump.credentials.username.clone(),
            state,
            record,
            errors,
        }))
    };
    match session.invoke(jump.bootstrap_command()).await {
        Ok(result) if result.errors.is_empty() => Ok(()),
        Ok(result) => Err(failure(
            result.state,
            result.errors.first().cloned(),
            result.errors,
        )),
        Err(SessionError::Pipeline(p)) => Err(failure(Some(p.state), p.record, p.partial.errors)),
        Err(e) => Err(e),
    }
}
