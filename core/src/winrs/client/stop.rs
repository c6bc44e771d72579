//! Stopping a pipeline: the part of [`ShellClient`] that a cancel, a deadline or an abandoned
//! command sets off.

use uuid::Uuid;

use super::{STOP_IDLE_RECEIVES, ShellClient, Step, is_final};
use crate::error::SessionError;
use crate::winrs::envelope::Answer;
use crate::wsman::CommandStateKind;
use crate::wsman::namespaces::signal;

/// Stopping a pipeline (Signal `crtl_c`, [MS-PSRP] 3.1.5.3.8), receiving until it reports its
/// final state (discarding the output still buffered on the server) and ending the command.
/// A server that stays silent for [`STOP_IDLE_RECEIVES`] Receives gets the terminate Signal
/// anyway; the pool then keeps the pipeline as Stopping until the shell is closed.
#[derive(Debug, Clone, Copy)]
pub(super) struct Stop {
    pipeline: Uuid,
    phase: StopPhase,
    idle: usize,
    finished: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StopPhase {
    /// Nothing sent yet.
    Begin,
    /// The `crtl_c` Signal.
    CtrlC,
    /// A Receive of what the pipeline still says.
    Receive,
    /// A Receive was fed; what the pool answers is sent, then its events are read.
    Drain {
        progress: bool,
        done: bool,
    },
    /// The terminate Signal after stopping.
    Terminate,
    /// The terminate Signal of a pipeline that had already finished.
    EndCommand,
    Done,
}

impl Stop {
    pub(super) fn new(pipeline: Uuid) -> Self {
        Stop {
            pipeline,
            phase: StopPhase::Begin,
            idle: 0,
            finished: false,
        }
    }
}

impl ShellClient {
    /// One step of a [`Stop`]; `None` once it is done.
    pub(super) fn step_stop(&mut self, stop: &mut Stop) -> Step {
        let pipeline = stop.pipeline;
        loop {
            match stop.phase {
                StopPhase::Begin => {
                    let running = self
                        .pool
                        .pipeline_state(pipeline)
                        .is_ok_and(|s| !is_final(s));
                    if running {
                        self.pool.begin_stop(pipeline)?;
                        stop.phase = StopPhase::CtrlC;
                    } else {
                        stop.phase = StopPhase::EndCommand;
                    }
                }
                StopPhase::CtrlC => return Ok(Some(self.signal(pipeline, signal::PS_CRTL_C))),
                StopPhase::Receive if stop.idle >= STOP_IDLE_RECEIVES => {
                    stop.phase = StopPhase::Terminate;
                }
                StopPhase::Receive => return Ok(Some(self.receive(Some(pipeline), false))),
                StopPhase::Drain { progress, done } => {
                    if let Some(request) = self.flush() {
                        return Ok(Some(request));
                    }
                    stop.finished = self.drain(Some(pipeline), false)?.is_some();
                    if stop.finished || done {
                        stop.phase = StopPhase::Terminate;
                    } else {
                        if !progress {
                            stop.idle += 1;
                        }
                        stop.phase = StopPhase::Receive;
                    }
                }
                StopPhase::Terminate | StopPhase::EndCommand => {
                    return Ok(Some(self.signal(pipeline, signal::TERMINATE)));
                }
                StopPhase::Done => return Ok(None),
            }
        }
    }

    pub(super) fn take_stop_answer(
        &mut self,
        stop: &mut Stop,
        answer: Answer,
    ) -> Result<(), SessionError> {
        let pipeline = stop.pipeline;
        match (stop.phase, answer) {
            (StopPhase::CtrlC, Answer::Signalled) => stop.phase = StopPhase::Receive,
            (StopPhase::Receive, Answer::Received(response)) => {
                let progress = response.streams.iter().any(|s| !s.data.is_empty());
                let done = response
                    .command_state
                    .as_ref()
                    .is_some_and(|s| s.state == CommandStateKind::Done);
                self.absorb(Some(pipeline), response)?;
                stop.phase = StopPhase::Drain { progress, done };
            }
            (StopPhase::Terminate, Answer::Signalled) => {
                self.command_ids.remove(&pipeline);
                match self.pool.end_pipeline(pipeline) {
                    Ok(()) => {}
                    Err(e) if !stop.finished => {
                        tracing::debug!(error = %e, "a stopped pipeline never reported its state");
                    }
                    Err(e) => return Err(e.into()),
                }
                stop.phase = StopPhase::Done;
            }
            (StopPhase::EndCommand, Answer::Signalled) => {
                self.command_ids.remove(&pipeline);
                self.pool.end_pipeline(pipeline)?;
                stop.phase = StopPhase::Done;
            }
            _ => {}
        }
        Ok(())
    }
}
