//! Errors of the runspace-pool and pipeline state machines.

use std::sync::Arc;

use uuid::Uuid;

use super::PsrpError;
use super::message::MessageType;
use super::messages::{PSInvocationState, RunspacePoolState};

/// An operation the state machines refused, or input that broke them.
///
/// Errors from [`StateError::Wire`], [`StateError::UnexpectedMessage`] and
/// [`StateError::Broken`] are fatal: the pool stays broken, every later call returns the same
/// error, and it surfaces once as the last event.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum StateError {
    /// The pool is not in a state that allows `action` ([MS-PSRP] 3.1.1 state diagram).
    #[error("cannot {action}: the runspace pool is {current:?}, expected one of {expected:?}")]
    InvalidPoolState {
        /// What was attempted.
        action: &'static str,
        /// The pool's state.
        current: RunspacePoolState,
        /// The states that allow it.
        expected: &'static [RunspacePoolState],
    },
    /// The pipeline is not in a state that allows `action` ([MS-PSRP] 3.1.1).
    #[error("cannot {action}: pipeline {pipeline_id} is {current:?}, expected one of {expected:?}")]
    InvalidPipelineState {
        /// What was attempted.
        action: &'static str,
        /// The pipeline.
        pipeline_id: Uuid,
        /// Its state.
        current: PSInvocationState,
        /// The states that allow it.
        expected: &'static [PSInvocationState],
    },
    /// No pipeline with this id belongs to the pool (never created, or already ended).
    #[error("no pipeline {0} in this runspace pool")]
    UnknownPipeline(Uuid),
    /// A pipeline with this id exists already.
    #[error("pipeline {0} exists already")]
    DuplicatePipeline(Uuid),
    /// The pipeline was created with `NoInput`, or its input was already ended.
    #[error("pipeline {pipeline_id} takes no more input")]
    InputClosed {
        /// The pipeline.
        pipeline_id: Uuid,
    },
    /// The pool cannot close while pipelines are not ended: each needs its WS-Management
    /// terminate Signal first, or the server keeps the command.
    #[error("cannot close the runspace pool: {count} pipeline(s) not ended, for example {first}")]
    PipelinesNotEnded {
        /// How many.
        count: usize,
        /// One of them.
        first: Uuid,
    },
    /// A SecureString needs the session key ([MS-PSRP] 3.1.5.4): exchange keys first.
    #[error("no session key yet: call exchange_key() and wait for the SessionKeyReady event")]
    NoSessionKey,
    /// A host response refers to a call the peer never made, or answered twice.
    #[error("no pending host call {call_id}")]
    UnknownHostCall {
        /// The call id (`ci`).
        call_id: i64,
    },
    /// The peer sent bytes that do not decode (fatal).
    #[error("malformed data from the peer: {0}")]
    Wire(Arc<PsrpError>),
    /// The peer sent a message that makes no sense here (fatal).
    #[error("unexpected {message:?} message {context}")]
    UnexpectedMessage {
        /// The message type.
        message: MessageType,
        /// Where it arrived ("for the pool", "in state Opening", ...).
        context: String,
    },
    /// A message for another runspace pool (fatal).
    #[error("message for runspace pool {got}, but this pool is {expected}")]
    WrongPool {
        /// This pool's id.
        expected: Uuid,
        /// The id the message carried.
        got: Uuid,
    },
    /// The server reported the pool Broken ([MS-PSRP] 2.2.2.9), or the pool failed before
    /// (fatal).
    #[error("the runspace pool is broken: {reason}")]
    Broken {
        /// The server's error message, when it sent one.
        reason: String,
    },
}

impl From<PsrpError> for StateError {
    fn from(e: PsrpError) -> Self {
        StateError::Wire(Arc::new(e))
    }
}

impl From<super::CryptoError> for StateError {
    fn from(e: super::CryptoError) -> Self {
        StateError::Wire(Arc::new(PsrpError::Crypto(e)))
    }
}

impl StateError {
    /// Whether the error broke the pool for good.
    pub fn is_fatal(&self) -> bool {
        matches!(
            self,
            StateError::Wire(_)
                | StateError::UnexpectedMessage { .. }
                | StateError::Broken { .. }
                | StateError::WrongPool { .. }
        )
    }
}

/// The guard both pool sides run before an action: a fatal error sticks, and the pool must be in
/// one of the `expected` states.
pub(crate) fn check_pool_state(
    fatal: Option<&StateError>,
    action: &'static str,
    current: super::RunspacePoolState,
    expected: &'static [super::RunspacePoolState],
) -> Result<(), StateError> {
    if let Some(e) = fatal {
        return Err(e.clone());
    }
    if expected.contains(&current) {
        Ok(())
    } else {
        Err(StateError::InvalidPoolState {
            action,
            current,
            expected,
        })
    }
}
