//! The client's view of one pipeline ([MS-PSRP] 3.1.1 state diagram, 3.1.4). The
//! operations live on [`super::RunspacePool`], which owns the pipelines and their data; this
//! module holds the per-pipeline state and its transition rules.

use uuid::Uuid;

use crate::psrp::messages::PSInvocationState;
use crate::psrp::state_error::StateError;

/// States in which the pipeline is done and waits for `end_pipeline`.
pub(crate) const FINISHED: &[PSInvocationState] = &[
    PSInvocationState::Completed,
    PSInvocationState::Failed,
    PSInvocationState::Stopped,
];

const RUNNING: &[PSInvocationState] = &[PSInvocationState::Running];

/// One pipeline the client created.
#[derive(Debug)]
pub(crate) struct ClientPipeline {
    id: Uuid,
    state: PSInvocationState,
    /// Whether the pipeline was created to take input (`NoInput` false).
    takes_input: bool,
    /// Whether END_OF_PIPELINE_INPUT went out.
    input_ended: bool,
}

impl ClientPipeline {
    /// A pipeline whose CREATE_PIPELINE has just been queued: it runs from here on.
    pub(crate) fn started(id: Uuid, takes_input: bool) -> Self {
        ClientPipeline {
            id,
            state: PSInvocationState::Running,
            takes_input,
            input_ended: false,
        }
    }

    pub(crate) fn state(&self) -> PSInvocationState {
        self.state
    }

    pub(crate) fn is_finished(&self) -> bool {
        FINISHED.contains(&self.state)
    }

    /// Checks that input may be sent.
    pub(crate) fn check_input(&self, action: &'static str) -> Result<(), StateError> {
        self.check(action, RUNNING)?;
        if !self.takes_input || self.input_ended {
            return Err(StateError::InputClosed {
                pipeline_id: self.id,
            });
        }
        Ok(())
    }

    pub(crate) fn end_input(&mut self) -> Result<(), StateError> {
        self.check_input("end pipeline input")?;
        self.input_ended = true;
        Ok(())
    }

    /// Records the intent to stop; the transport sends the WS-Management Signal
    /// `powershell/signal/crtl_c` ([MS-PSRP] 3.1.5.3).
    pub(crate) fn begin_stop(&mut self) -> Result<(), StateError> {
        self.check("stop a pipeline", RUNNING)?;
        self.state = PSInvocationState::Stopping;
        Ok(())
    }

    /// Applies PIPELINE_STATE from the server. The server is the authority on a pipeline's
    /// state, so any state it sends is taken.
    pub(crate) fn set_state(&mut self, state: PSInvocationState) {
        self.state = state;
    }

    /// Checks that the pipeline may be forgotten.
    pub(crate) fn check_end(&self) -> Result<(), StateError> {
        self.check("end a pipeline", FINISHED)
    }

    fn check(
        &self,
        action: &'static str,
        expected: &'static [PSInvocationState],
    ) -> Result<(), StateError> {
        if expected.contains(&self.state) {
            Ok(())
        } else {
            Err(StateError::InvalidPipelineState {
                action,
                pipeline_id: self.id,
                current: self.state,
                expected,
            })
        }
    }
}
