//! One remote shell on the server: its runspace pool ([MS-PSRP] 3.2), the commands (pipelines)
//! created in it, and the output waiting for Receive requests ([MS-WSMV] 3.1.4.14).

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use uuid::Uuid;

use super::ShellEvent;
use super::host_info;
use crate::clixml::PsValue;
use crate::psrp::messages::{HostInfo, RunspacePoolStateMessage};
use crate::psrp::{
    Destination, Fragment, PSInvocationState, PsrpMessage, RunspacePoolState, ServerEvent,
    ServerOptions, ServerRunspacePool, StateError,
};
use crate::wsman::{CommandState, CommandStateKind, StreamData};

/// A command of a shell, seen from the service.
#[derive(Debug)]
struct CommandRun {
    /// CommandState Done went out in a Receive response.
    done_reported: bool,
}

/// What a Receive takes from a shell.
#[derive(Debug, Default)]
pub(super) struct Output {
    pub(super) streams: Vec<StreamData>,
    pub(super) command_state: Option<CommandState>,
}

/// One shell: its owner, its runspace pool and what its Receives will take. The host reaches
/// the pool through [`ServerShell::pool_mut`] to write a pipeline's output and final state.
#[derive(Debug)]
pub struct ServerShell {
    pub(super) id: Uuid,
    pub(super) owner: String,
    pub(super) resource_uri: String,
    pool: ServerRunspacePool,
    private_data: PsValue,
    commands: HashMap<Uuid, CommandRun>,
    /// Fragments already cut for a target but not yet received, by command (`None`: the pool).
    pending: HashMap<Option<Uuid>, VecDeque<Vec<u8>>>,
    /// The pool's HostInfo (INIT_RUNSPACEPOOL).
    pool_host: Option<HostInfo>,
    /// Connects so far (object ids of the messages [`ServerShell::announce_connected`] builds).
    connects: u64,
    pub(super) last_used: Instant,
    /// The Create's IdleTimeOut, replaced by a Disconnect's.
    pub(super) idle_timeout: Duration,
    /// Disconnected ([MS-WSMV] 3.1.4.15): the runspace lives on, only Reconnect, Connect and
    /// Delete reach it.
    pub(super) disconnected: bool,
}

impl ServerShell {
    pub(super) fn new(
        id: Uuid,
        owner: &str,
        resource_uri: &str,
        private_data: PsValue,
        options: ServerOptions,
        now: Instant,
        idle_timeout: Duration,
    ) -> Self {
        ServerShell {
            id,
            owner: owner.to_owned(),
            resource_uri: resource_uri.to_owned(),
            pool: ServerRunspacePool::new(options),
            private_data,
            commands: HashMap::new(),
            pending: HashMap::new(),
            pool_host: None,
            connects: 0,
            last_used: now,
            idle_timeout,
            disconnected: false,
        }
    }

    /// The shell id.
    pub fn id(&self) -> Uuid {
        self.id
    }

    /// The user who created the shell.
    pub fn owner(&self) -> &str {
        &self.owner
    }

    /// The resource URI the shell was created on.
    pub fn resource_uri(&self) -> &str {
        &self.resource_uri
    }

    /// The runspace pool.
    pub fn pool(&self) -> &ServerRunspacePool {
        &self.pool
    }

    /// The runspace pool, to write a pipeline's output, host calls and final state.
    pub fn pool_mut(&mut self) -> &mut ServerRunspacePool {
        &mut self.pool
    }

    /// The pool's HostInfo, from INIT_RUNSPACEPOOL.
    pub fn pool_host_info(&self) -> Option<&HostInfo> {
        self.pool_host.as_ref()
    }

    /// Whether the pool is still usable.
    pub fn is_broken(&self) -> bool {
        self.pool.state() == RunspacePoolState::Broken
    }

    /// Whether `command_id` is a command of this shell.
    pub fn has_command(&self, command_id: Uuid) -> bool {
        self.commands.contains_key(&command_id)
    }

    /// Whether the command has its final state.
    pub fn is_finished(&self, command_id: Uuid) -> bool {
        matches!(
            self.pool.pipeline_state(command_id),
            Ok(PSInvocationState::Completed
                | PSInvocationState::Failed
                | PSInvocationState::Stopped)
        )
    }

    /// The commands a client may connect to, with whether each has finished.
    pub fn command_states(&self) -> Vec<(Uuid, bool)> {
        self.commands
            .keys()
            .map(|id| (*id, self.is_finished(*id)))
            .collect()
    }

    /// Feeds client bytes (creationXml, Command arguments, Send stream); answers the pool's own
    /// messages and queues the pipeline events for the host.
    pub(super) fn receive(
        &mut self,
        target: Option<Uuid>,
        data: &[u8],
        events: &mut VecDeque<ShellEvent>,
    ) -> Result<(), StateError> {
        let host_info = match target {
            None if self.pool_host.is_none() => {
                self.pool_host = host_info::find(data);
                None
            }
            Some(pid) if !self.commands.contains_key(&pid) => host_info::find(data),
            _ => None,
        };
        self.pool.receive(target, data)?;
        // The command exists from its Command on, even while the rest of a CREATE_PIPELINE too
        // large for one envelope is still to come in Sends ([MS-PSRP] 3.1.5.3.3).
        if let Some(pid) = target {
            self.commands.entry(pid).or_insert(CommandRun {
                done_reported: false,
            });
        }
        self.pump(host_info, events)
    }

    fn pump(
        &mut self,
        mut host_info: Option<HostInfo>,
        events: &mut VecDeque<ShellEvent>,
    ) -> Result<(), StateError> {
        let shell = self.id;
        while let Some(event) = self.pool.poll_event() {
            match event {
                ServerEvent::SessionCapability { .. } => self.pool.send_session_capability()?,
                ServerEvent::InitRunspacePool { .. } => {
                    self.pool
                        .send_application_private_data(self.private_data.clone())?;
                    self.pool.set_state(RunspacePoolState::Opened, None)?;
                }
                ServerEvent::ConnectRunspacePool => {
                    self.pool.send_runspace_pool_init_data()?;
                    self.pool
                        .send_application_private_data(self.private_data.clone())?;
                }
                ServerEvent::PublicKey => self.pool.send_session_key()?,
                ServerEvent::CreatePipeline { pipeline_id, spec } => {
                    self.commands.entry(pipeline_id).or_insert(CommandRun {
                        done_reported: false,
                    });
                    events.push_back(ShellEvent::PipelineCreated {
                        shell,
                        pipeline: pipeline_id,
                        spec,
                        host_info: host_info.take(),
                    });
                }
                ServerEvent::PipelineInput { pipeline_id, value } => {
                    events.push_back(ShellEvent::PipelineInput {
                        shell,
                        pipeline: pipeline_id,
                        value,
                    });
                }
                ServerEvent::EndOfInput { pipeline_id } => {
                    events.push_back(ShellEvent::EndOfInput {
                        shell,
                        pipeline: pipeline_id,
                    });
                }
                ServerEvent::HostResponse {
                    pipeline_id,
                    response,
                } => events.push_back(ShellEvent::HostResponse {
                    shell,
                    pipeline: pipeline_id,
                    response,
                }),
                ServerEvent::Failed(e) => return Err(e),
                _ => {}
            }
        }
        Ok(())
    }

    /// Queues RUNSPACEPOOL_STATE Opened for the first pool-level Receive after a Connect, as
    /// Windows sends it once the connectResponseXml (init data, private data) went out. The
    /// pool is Opened already, so the message is built here: one fragment, with an object id
    /// far above the pool's own.
    pub(super) fn announce_connected(&mut self) {
        let Some(pool_id) = self.pool.id() else {
            return;
        };
        let message = PsrpMessage::RunspacePoolState(RunspacePoolStateMessage {
            state: RunspacePoolState::Opened,
            error: None,
        })
        .encode(pool_id, Uuid::nil(), Destination::Client)
        .encode();
        self.connects += 1;
        let fragment = Fragment {
            object_id: (1 << 48) + self.connects,
            fragment_id: 0,
            start: true,
            end: true,
            data: message,
        };
        self.pending
            .entry(None)
            .or_default()
            .push_back(fragment.encode());
    }

    /// Ends a command (terminate signal): a running one is stopped, then it is forgotten with
    /// whatever output it still had.
    pub(super) fn terminate(&mut self, pid: Uuid) -> Result<(), StateError> {
        if self.commands.remove(&pid).is_none() {
            return Ok(());
        }
        if !self.is_finished(pid) && self.pool.pipeline_state(pid).is_ok() {
            self.pool
                .set_pipeline_state(pid, PSInvocationState::Stopped, None)?;
        }
        self.pending.remove(&Some(pid));
        self.pool.end_pipeline(pid).or_else(|e| match e {
            StateError::UnknownPipeline(_) => Ok(()),
            other => Err(other),
        })
    }

    /// Closes the pool (shell deleted).
    pub(super) fn close(&mut self) {
        self.pool.close();
        self.commands.clear();
        self.pending.clear();
    }

    /// Whether a Receive on `target` would take something now.
    pub(super) fn has_output(&mut self, target: Option<Uuid>, max_payload: usize) -> bool {
        self.cut(max_payload);
        self.pending.get(&target).is_some_and(|q| !q.is_empty())
            || target.is_some_and(|pid| {
                self.commands
                    .get(&pid)
                    .is_some_and(|c| !c.done_reported && self.is_finished(pid))
            })
    }

    /// Moves what the pool has written into the per-target queues.
    fn cut(&mut self, max_payload: usize) {
        while let Some(t) = self.pool.poll_transmit(max_payload) {
            // Output of a command the client already terminated has no reader left.
            if t.pipeline_id
                .is_some_and(|p| !self.commands.contains_key(&p))
            {
                continue;
            }
            self.pending
                .entry(t.pipeline_id)
                .or_default()
                .push_back(t.data);
        }
    }

    /// Output for a Receive on `target`, at most `max_payload` bytes of fragments.
    pub(super) fn take_output(&mut self, target: Option<Uuid>, max_payload: usize) -> Output {
        self.cut(max_payload);
        let mut data = Vec::new();
        if let Some(queue) = self.pending.get_mut(&target) {
            while let Some(front) = queue.front() {
                if !data.is_empty() && data.len() + front.len() > max_payload {
                    break;
                }
                if let Some(chunk) = queue.pop_front() {
                    data.extend_from_slice(&chunk);
                }
            }
        }
        let drained = self.pending.get(&target).is_none_or(VecDeque::is_empty);
        let mut out = Output::default();
        if !data.is_empty() {
            out.streams.push(StreamData::new("stdout", target, data));
        }
        if let Some(pid) = target
            && drained
            && self.is_finished(pid)
            && let Some(c) = self.commands.get_mut(&pid)
            && !c.done_reported
        {
            c.done_reported = true;
            out.command_state = Some(CommandState {
                command_id: Some(pid),
                state: CommandStateKind::Done,
                exit_code: Some(0),
            });
        }
        out
    }
}
