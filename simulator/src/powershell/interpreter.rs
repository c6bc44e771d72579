//! One remote shell: the server side of its runspace pool ([MS-PSRP] 3.2), the Exchange session
//! it runs in, its pipelines, and the output waiting for Receive requests ([MS-WSMV] 3.1.4.14).

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use monosync_exchange::clixml::{self as values, Property, PsObject, PsValue, PsVersion};
use monosync_exchange::psrp::messages::{
    HostInfo, InformationalRecord, RemoteHostMethodId, RunspacePoolStateMessage,
};
use monosync_exchange::psrp::{
    Destination, Fragment, PSInvocationState, PowerShellSpec, PsrpMessage, RunspacePoolState,
    ServerEvent, ServerOptions, ServerRunspacePool, StateError,
};
use monosync_exchange::wsman::{CommandState, CommandStateKind, StreamData};
use uuid::Uuid;

use super::Endpoint;
use super::jump_host::{self, Imported};
use super::{host_info, records};
use crate::exchange::{
    BoundArg, CmdletResult, Command, ConfirmPrompt, Exchange, InvokeOptions, Session,
    SimErrorRecord,
};

/// Where a pipeline stands, seen from the service.
#[derive(Debug)]
enum Stage {
    /// Waiting for the client's input (NoInput false) until END_OF_PIPELINE_INPUT.
    CollectingInput,
    /// A confirmation host call (PromptForChoice) is out; the call id.
    AwaitingConfirmation(i64),
    /// The final state was sent.
    Finished,
}

#[derive(Debug)]
struct PipelineRun {
    spec: PowerShellSpec,
    input: Vec<PsValue>,
    stage: Stage,
    /// CommandState Done went out in a Receive response.
    done_reported: bool,
}

/// A Get-* cmdlet rendering on its own thread over a snapshot of the organisation, so that a
/// large result is produced as the client receives it instead of all at once.
struct Producer {
    objects: std::sync::mpsc::Receiver<PsValue>,
    done: std::thread::JoinHandle<CmdletResult>,
}

impl std::fmt::Debug for Producer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Producer")
    }
}

/// Directories larger than this stream Get-* results from a snapshot.
const STREAM_THRESHOLD: usize = 2_000;
/// Objects rendered ahead of the client.
const STREAM_AHEAD: usize = 256;
/// Objects moved into the pool per Receive at most.
const STREAM_BATCH: usize = 200;

/// What a Receive takes from a shell.
#[derive(Debug, Default)]
pub(crate) struct Output {
    pub(crate) streams: Vec<StreamData>,
    pub(crate) command_state: Option<CommandState>,
}

impl Output {
    pub(crate) fn is_empty(&self) -> bool {
        self.streams.is_empty() && self.command_state.is_none()
    }
}

/// One shell and its runspace pool.
#[derive(Debug)]
pub(crate) struct Shell {
    pub(crate) endpoint: Endpoint,
    pool: ServerRunspacePool,
    session: Session,
    pipelines: HashMap<Uuid, PipelineRun>,
    /// The pipeline that holds the runspace (one at a time, as in Exchange).
    running: Option<Uuid>,
    /// Fragments already cut for a target but not yet received, by pipeline (`None`: the pool).
    pending: HashMap<Option<Uuid>, VecDeque<Vec<u8>>>,
    exchange: Arc<std::sync::Mutex<Exchange>>,
    /// The pool's HostInfo (INIT_RUNSPACEPOOL).
    pool_host: Option<HostInfo>,
    /// Each pipeline's HostInfo (CREATE_PIPELINE).
    pipeline_hosts: HashMap<Uuid, HostInfo>,
    /// Pipelines whose output is still being rendered.
    producers: HashMap<Uuid, Producer>,
    /// On `/wsman`: the Exchange session a jump-host bootstrap imported; the Exchange cmdlets
    /// exist only once it is set.
    imported: Option<Imported>,
    /// Connects so far (object ids of the messages [`Shell::announce_connected`] builds).
    connects: u64,
}

fn lock(exchange: &std::sync::Mutex<Exchange>) -> std::sync::MutexGuard<'_, Exchange> {
    exchange
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Shell {
    pub(crate) fn new(
        endpoint: Endpoint,
        user: &str,
        exchange: Arc<std::sync::Mutex<Exchange>>,
    ) -> Self {
        Shell {
            endpoint,
            pool: ServerRunspacePool::new(ServerOptions::default()),
            session: Session {
                user: Some(user.to_owned()),
                ..Session::default()
            },
            pipelines: HashMap::new(),
            running: None,
            pending: HashMap::new(),
            exchange,
            pool_host: None,
            pipeline_hosts: HashMap::new(),
            producers: HashMap::new(),
            imported: None,
            connects: 0,
        }
    }

    /// Feeds client bytes (creationXml, Command arguments, Send stream) and answers every event.
    pub(crate) fn receive(&mut self, target: Option<Uuid>, data: &[u8]) -> Result<(), StateError> {
        match target {
            None if self.pool_host.is_none() => self.pool_host = host_info::find(data),
            Some(pid) if !self.pipelines.contains_key(&pid) => {
                if let Some(h) = host_info::find(data) {
                    self.pipeline_hosts.insert(pid, h);
                }
            }
            _ => {}
        }
        self.pool.receive(target, data)?;
        self.pump()
    }

    /// Whether the pool is still usable.
    pub(crate) fn is_broken(&self) -> bool {
        self.pool.state() == RunspacePoolState::Broken
    }

    /// Whether `pipeline_id` is a pipeline of this shell.
    pub(crate) fn has_pipeline(&self, pipeline_id: Uuid) -> bool {
        self.pipelines.contains_key(&pipeline_id)
    }

    /// The pipelines a client may connect to, with whether each has finished.
    pub(crate) fn pipeline_states(&self) -> Vec<(Uuid, bool)> {
        self.pipelines
            .iter()
            .map(|(id, p)| (*id, matches!(p.stage, Stage::Finished)))
            .collect()
    }

    /// Queues RUNSPACEPOOL_STATE Opened for the first pool-level Receive after a Connect, as
    /// Windows sends it once the connectResponseXml (init data, private data) went out. The
    /// pool is Opened already, so the message is built here: one fragment, with an object id
    /// far above the pool's own.
    pub(crate) fn announce_connected(&mut self) {
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

    /// Breaks the runspace, as a crashed worker process would: the pool is Broken and every
    /// running pipeline fails.
    pub(crate) fn break_runspace(&mut self) {
        let record = records::pipeline_stopped();
        let ids: Vec<Uuid> = self.pipelines.keys().copied().collect();
        for id in ids {
            if !matches!(
                self.pipelines.get(&id).map(|p| &p.stage),
                Some(Stage::Finished)
            ) {
                let _ = self.finish(id, PSInvocationState::Failed, Some(&record));
            }
        }
        let _ = self
            .pool
            .set_state(RunspacePoolState::Broken, records::to_wire(&record));
    }

    fn pump(&mut self) -> Result<(), StateError> {
        while let Some(event) = self.pool.poll_event() {
            match event {
                ServerEvent::SessionCapability { .. } => self.pool.send_session_capability()?,
                ServerEvent::InitRunspacePool { .. } => {
                    self.pool
                        .send_application_private_data(application_private_data())?;
                    self.pool.set_state(RunspacePoolState::Opened, None)?;
                }
                ServerEvent::ConnectRunspacePool => {
                    self.pool.send_runspace_pool_init_data()?;
                    self.pool
                        .send_application_private_data(application_private_data())?;
                }
                ServerEvent::PublicKey => self.pool.send_session_key()?,
                ServerEvent::CreatePipeline { pipeline_id, spec } => {
                    self.create_pipeline(pipeline_id, spec)?
                }
                ServerEvent::PipelineInput { pipeline_id, value } => {
                    if let Some(p) = self.pipelines.get_mut(&pipeline_id) {
                        p.input.push(value);
                    }
                }
                ServerEvent::EndOfInput { pipeline_id } => {
                    let collecting = self
                        .pipelines
                        .get(&pipeline_id)
                        .is_some_and(|p| matches!(p.stage, Stage::CollectingInput));
                    if collecting {
                        self.run(pipeline_id, false)?;
                    }
                }
                ServerEvent::HostResponse {
                    pipeline_id: Some(pid),
                    response,
                } => {
                    let awaited = self.pipelines.get(&pid).is_some_and(|p| {
                        matches!(p.stage, Stage::AwaitingConfirmation(c) if c == response.call_id)
                    });
                    if !awaited {
                        continue;
                    }
                    if let Some(error) = response.error {
                        // A host without a user throws; ShouldProcess lets the exception end
                        // the pipeline, and nothing was changed.
                        self.pool.set_pipeline_state(
                            pid,
                            PSInvocationState::Failed,
                            Some(error),
                        )?;
                        self.mark_finished(pid);
                    } else {
                        let choice = response.return_value.as_ref().and_then(PsValue::as_i64);
                        if matches!(choice, Some(0 | 1)) {
                            self.run(pid, true)?;
                        } else {
                            self.finish(pid, PSInvocationState::Completed, None)?;
                        }
                    }
                }
                ServerEvent::Failed(e) => return Err(e),
                _ => {}
            }
        }
        Ok(())
    }

    fn create_pipeline(&mut self, pid: Uuid, spec: PowerShellSpec) -> Result<(), StateError> {
        let no_input = spec.no_input;
        self.pipelines.insert(
            pid,
            PipelineRun {
                spec,
                input: Vec::new(),
                stage: Stage::CollectingInput,
                done_reported: false,
            },
        );
        if self.running.is_some() {
            return self.finish(
                pid,
                PSInvocationState::Failed,
                Some(&records::pipeline_already_running()),
            );
        }
        self.running = Some(pid);
        if no_input {
            self.run(pid, false)
        } else {
            Ok(())
        }
    }

    fn mark_finished(&mut self, pid: Uuid) {
        if let Some(p) = self.pipelines.get_mut(&pid) {
            p.stage = Stage::Finished;
        }
        if self.running == Some(pid) {
            self.running = None;
        }
    }

    /// Sends the final state; `error` is the record a Failed or Stopped state carries.
    fn finish(
        &mut self,
        pid: Uuid,
        state: PSInvocationState,
        error: Option<&SimErrorRecord>,
    ) -> Result<(), StateError> {
        self.pool
            .set_pipeline_state(pid, state, error.and_then(records::to_wire))?;
        self.mark_finished(pid);
        Ok(())
    }

    /// Runs the pipeline's statements through the Exchange model.
    fn run(&mut self, pid: Uuid, confirmed: bool) -> Result<(), StateError> {
        let Some(run) = self.pipelines.get_mut(&pid) else {
            return Ok(());
        };
        let spec = run.spec.clone();
        let mut input = Some(std::mem::take(&mut run.input)).filter(|i| !i.is_empty());
        for statement in &spec.statements {
            if let Some(script) = statement.iter().find(|c| c.is_script) {
                if self.endpoint == Endpoint::Wsman && statement.len() == 1 {
                    // A full-language runspace: the jump-host bootstrap runs here.
                    if self.run_script(pid, script)? {
                        return Ok(());
                    }
                    continue;
                }
                let record = match self.endpoint {
                    Endpoint::Wsman => super::jump_records::not_supported(
                        "a script inside a pipeline of several commands",
                    ),
                    Endpoint::PowerShell => records::scripts_not_allowed(&script.name),
                };
                return self.finish(pid, PSInvocationState::Failed, Some(&record));
            }
            let mut commands = Vec::with_capacity(statement.len());
            for c in statement {
                // The plain PowerShell endpoint has no Exchange cmdlets until a session to
                // Exchange is imported, and then only under the imported names.
                let name = match (self.endpoint, &self.imported) {
                    (Endpoint::PowerShell, _) => Some(c.name.clone()),
                    (Endpoint::Wsman, Some(imported)) => imported.resolve(&c.name),
                    (Endpoint::Wsman, None) => None,
                };
                let Some(name) = name else {
                    return self.finish(
                        pid,
                        PSInvocationState::Failed,
                        Some(&crate::exchange::errors::command_not_found(&c.name)),
                    );
                };
                match self.bind(c) {
                    Ok(args) => commands.push(Command::new(&name, args)),
                    Err(record) => {
                        return self.finish(pid, PSInvocationState::Failed, Some(&record));
                    }
                }
            }
            let options = InvokeOptions { confirmed };
            let exchange = Arc::clone(&self.exchange);
            let mut ex = lock(&exchange);
            ex.record_received(&commands);
            // A lookup by identity (named, or the positional first argument) finds a handful
            // of objects: copying the whole organisation for it would cost far more than the
            // lookup, and made every `Get-Mailbox -Identity` on a large directory slow.
            let streamable = spec.statements.len() == 1
                && input.is_none()
                && commands.len() == 1
                && commands.first().is_some_and(|c| {
                    c.name
                        .get(..4)
                        .is_some_and(|p| p.eq_ignore_ascii_case("get-"))
                        && !c.args.iter().any(|a| {
                            a.name.as_deref().is_none_or(|n| {
                                n.trim_start_matches('-').eq_ignore_ascii_case("Identity")
                            })
                        })
                })
                && ex.directory().len() > STREAM_THRESHOLD;
            if streamable && let Some(command) = commands.pop() {
                let snapshot = ex.clone();
                drop(ex);
                let mut session = self.session.clone();
                let (tx, rx) = std::sync::mpsc::sync_channel(STREAM_AHEAD);
                let done = std::thread::Builder::new()
                    .name("mx-sim-render".into())
                    .spawn(move || {
                        let mut snapshot = snapshot;
                        // A client that went away drops the receiver: the rest is discarded.
                        let mut sink = |value: PsValue| {
                            let _ = tx.send(value);
                        };
                        snapshot.invoke_streaming(
                            &mut session,
                            &command.name,
                            &command.args,
                            options,
                            &mut sink,
                        )
                    });
                return match done {
                    Ok(done) => {
                        self.producers.insert(pid, Producer { objects: rx, done });
                        Ok(())
                    }
                    Err(_) => self.finish(
                        pid,
                        PSInvocationState::Failed,
                        Some(&records::pipeline_stopped()),
                    ),
                };
            }
            let result = if commands.len() == 1 && input.is_none() {
                // One cmdlet: stream its objects straight into the pool's outbox.
                let pool = &mut self.pool;
                let relay = self.imported.as_ref();
                let mut write_failed = None;
                let mut sink = |value: PsValue| {
                    let value = match relay {
                        Some(imported) => imported.relay(value),
                        None => value,
                    };
                    if write_failed.is_none()
                        && let Err(e) = pool.write_output(pid, value)
                    {
                        write_failed = Some(e);
                    }
                };
                let (name, args) = commands
                    .first()
                    .map(|c| (c.name.as_str(), c.args.as_slice()))
                    .unwrap_or(("", &[]));
                let r = ex.invoke_streaming(&mut self.session, name, args, options, &mut sink);
                if let Some(e) = write_failed {
                    return Err(e);
                }
                r
            } else {
                ex.invoke_pipeline_in(&mut self.session, &commands, input.take(), options)
            };
            drop(ex);
            if let Some(prompt) = result.needs_confirmation.clone() {
                return self.ask_confirmation(pid, &prompt);
            }
            if self.write_result(pid, result)? {
                return Ok(());
            }
        }
        self.finish(pid, PSInvocationState::Completed, None)
    }

    /// An output object as the client receives it: relayed by implicit remoting when the
    /// Exchange cmdlets run through an imported session.
    fn relayed(&self, value: PsValue) -> PsValue {
        match &self.imported {
            Some(imported) => imported.relay(value),
            None => value,
        }
    }

    /// Runs a script on `/wsman` ([`jump_host::run_script`]): the bootstrap imports the
    /// Exchange session, as the credential's user. Returns true when it failed the pipeline.
    fn run_script(
        &mut self,
        pid: Uuid,
        script: &monosync_exchange::psrp::Command,
    ) -> Result<bool, StateError> {
        let outcome = {
            let exchange = lock(&self.exchange);
            let org = exchange.directory().org();
            let machine = format!("{}.{}", org.server, org.domain);
            let pool = &self.pool;
            let decrypt = |enc: &monosync_exchange::clixml::EncryptedSecureString| {
                pool.decrypt_secure_string(enc).ok()
            };
            let ctx = jump_host::Context {
                machine: &machine,
                exchange: &exchange,
                decrypt: &decrypt,
            };
            jump_host::run_script(&script.name, &script.parameters, &ctx)
        };
        if let Some(imported) = outcome.imported {
            // The imported commands run in the Exchange runspace of the credential's user.
            self.session = Session {
                user: Some(imported.user.clone()),
                ..Session::default()
            };
            self.imported = Some(imported);
        }
        // Objects the script itself writes (a PSSession, a module) are the jump host's own.
        let relay = self.imported.take();
        let failed = self.write_result(pid, outcome.result);
        self.imported = relay;
        failed
    }

    /// Writes the cmdlet's streams; returns true when it failed the pipeline.
    fn write_result(&mut self, pid: Uuid, result: CmdletResult) -> Result<bool, StateError> {
        for value in result.output {
            let value = self.relayed(value);
            self.pool.write_output(pid, value)?;
        }
        for line in &result.host_output {
            self.pool.host_call(
                Some(pid),
                RemoteHostMethodId::WriteLine2,
                vec![PsValue::String(line.clone())],
            )?;
        }
        for warning in &result.warnings {
            self.pool
                .write_warning(pid, InformationalRecord::new("Warning", warning))?;
        }
        let mut errors = result.errors;
        let last = if result.failed { errors.pop() } else { None };
        for e in &errors {
            if let Some(record) = records::to_wire(e) {
                self.pool.write_error(pid, record)?;
            }
        }
        if result.failed {
            self.finish(pid, PSInvocationState::Failed, last.as_ref())?;
            return Ok(true);
        }
        Ok(false)
    }

    fn ask_confirmation(&mut self, pid: Uuid, prompt: &ConfirmPrompt) -> Result<(), StateError> {
        if !host_info::can_prompt(self.pool_host.as_ref(), self.pipeline_hosts.get(&pid)) {
            return self.finish(
                pid,
                PSInvocationState::Failed,
                Some(&records::host_cannot_prompt(&prompt.message)),
            );
        }
        let choices = prompt.choices.iter().map(|(label, help)| {
            PsValue::object(PsObject {
                type_names: Some(Arc::from(vec![
                    "System.Management.Automation.Host.ChoiceDescription".to_owned(),
                    "System.Object".to_owned(),
                ])),
                to_string: Some(label.clone()),
                adapted: vec![
                    Property::new("Label", label.as_str()),
                    Property::new("HelpMessage", help.as_str()),
                ],
                ..PsObject::default()
            })
        });
        let call_id = self.pool.host_call(
            Some(pid),
            RemoteHostMethodId::PromptForChoice,
            vec![
                PsValue::String(prompt.caption.clone()),
                PsValue::String(prompt.message.clone()),
                values::array(choices),
                PsValue::I32(prompt.default_choice),
            ],
        )?;
        if let Some(p) = self.pipelines.get_mut(&pid) {
            p.stage = Stage::AwaitingConfirmation(call_id);
        }
        Ok(())
    }

    /// PSRP parameters to the model's arguments: switches, SecureStrings decrypted with the
    /// session key.
    fn bind(
        &self,
        command: &monosync_exchange::psrp::Command,
    ) -> Result<Vec<BoundArg>, SimErrorRecord> {
        let mut args = Vec::with_capacity(command.parameters.len());
        for p in &command.parameters {
            let arg = match (&p.name, &p.value) {
                (Some(name), PsValue::SecureString(enc)) => {
                    let plain = self
                        .pool
                        .decrypt_secure_string(enc)
                        .map_err(|_| records::no_session_key(name))?;
                    BoundArg::secure(name, &plain)
                }
                (Some(name), PsValue::Nil) => BoundArg::switch(name),
                (Some(name), value) => BoundArg::named(name, value.clone()),
                (None, value) => BoundArg::positional(value.clone()),
            };
            args.push(arg);
        }
        Ok(args)
    }

    /// Moves rendered objects of a streaming pipeline into the pool; when the cmdlet is done,
    /// writes its other streams and the final state.
    fn pull(&mut self, pid: Uuid) {
        use std::sync::mpsc::RecvTimeoutError;
        let Some(producer) = self.producers.get(&pid) else {
            return;
        };
        let mut finished = false;
        let mut moved = 0;
        // The first object may take a moment (the snapshot is still filtering); later ones
        // are taken only if ready.
        let mut wait = std::time::Duration::from_millis(200);
        while moved < STREAM_BATCH {
            match producer.objects.recv_timeout(wait) {
                Ok(value) => {
                    moved += 1;
                    let value = self.relayed(value);
                    if self.pool.write_output(pid, value).is_err() {
                        break;
                    }
                }
                Err(RecvTimeoutError::Timeout) => break,
                Err(RecvTimeoutError::Disconnected) => {
                    finished = true;
                    break;
                }
            }
            wait = std::time::Duration::from_millis(1);
        }
        if !finished {
            return;
        }
        let Some(producer) = self.producers.remove(&pid) else {
            return;
        };
        let result = producer.done.join().unwrap_or_default();
        let outcome = match result.needs_confirmation.clone() {
            Some(prompt) => self.ask_confirmation(pid, &prompt),
            None => match self.write_result(pid, result) {
                Ok(true) => Ok(()),
                Ok(false) => self.finish(pid, PSInvocationState::Completed, None),
                Err(e) => Err(e),
            },
        };
        if outcome.is_err() {
            self.mark_finished(pid);
        }
    }

    /// Stops a pipeline (Ctrl+C signal): a running one ends Stopped.
    pub(crate) fn stop(&mut self, pid: Uuid) -> Result<(), StateError> {
        self.producers.remove(&pid);
        let running = self
            .pipelines
            .get(&pid)
            .is_some_and(|p| !matches!(p.stage, Stage::Finished));
        if running {
            self.finish(
                pid,
                PSInvocationState::Stopped,
                Some(&records::pipeline_stopped()),
            )?;
        }
        Ok(())
    }

    /// Ends a pipeline (terminate signal): stops it if needed, then forgets it.
    pub(crate) fn terminate(&mut self, pid: Uuid) -> Result<(), StateError> {
        self.stop(pid)?;
        self.pipelines.remove(&pid);
        self.pipeline_hosts.remove(&pid);
        self.pending.remove(&Some(pid));
        // Drain what the pool still holds for it, so that it does not reach another Receive.
        self.pool.end_pipeline(pid).or_else(|e| match e {
            StateError::UnknownPipeline(_) => Ok(()),
            other => Err(other),
        })
    }

    /// Closes the pool (shell deleted).
    pub(crate) fn close(&mut self) {
        self.producers.clear();
        self.pool.close();
        self.pipelines.clear();
        self.pending.clear();
        self.running = None;
    }

    /// Output for a Receive on `target`, at most `max_payload` bytes of fragments.
    pub(crate) fn take_output(&mut self, target: Option<Uuid>, max_payload: usize) -> Output {
        if let Some(pid) = target {
            self.pull(pid);
        }
        while let Some(t) = self.pool.poll_transmit(max_payload) {
            // Output of a pipeline the client already terminated has no reader left.
            if t.pipeline_id
                .is_some_and(|p| !self.pipelines.contains_key(&p))
            {
                continue;
            }
            self.pending
                .entry(t.pipeline_id)
                .or_default()
                .push_back(t.data);
        }
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
            && let Some(p) = self.pipelines.get_mut(&pid)
            && matches!(p.stage, Stage::Finished)
            && !p.done_reported
        {
            p.done_reported = true;
            out.command_state = Some(CommandState {
                command_id: Some(pid),
                state: CommandStateKind::Done,
                exit_code: Some(0),
            });
        }
        out
    }
}

fn version(major: u32, minor: u32, build: Option<u32>, revision: Option<u32>) -> PsValue {
    PsValue::Version(PsVersion {
        major,
        minor,
        build,
        revision,
    })
}

/// APPLICATION_PRIVATE_DATA with the `PSVersionTable` of Windows PowerShell 5.1 on Windows
/// Server 2016, as Exchange 2016 runs it ([MS-PSRP] 2.2.2.13).
fn application_private_data() -> PsValue {
    let s = |t: &str| PsValue::String(t.to_owned());
    let table = values::hashtable([
        (s("PSVersion"), version(5, 1, Some(14393), Some(4583))),
        (s("PSEdition"), s("Desktop")),
        (
            s("PSCompatibleVersions"),
            values::array([
                version(1, 0, None, None),
                version(2, 0, None, None),
                version(3, 0, None, None),
                version(4, 0, None, None),
                version(5, 0, None, None),
                version(5, 1, Some(14393), Some(4583)),
            ]),
        ),
        (s("CLRVersion"), version(4, 0, Some(30319), Some(42000))),
        (s("BuildVersion"), version(10, 0, Some(14393), Some(4583))),
        (s("WSManStackVersion"), version(3, 0, None, None)),
        (s("PSRemotingProtocolVersion"), version(2, 3, None, None)),
        (s("SerializationVersion"), version(1, 1, Some(0), Some(1))),
    ]);
    primitive_dictionary(vec![(s("PSVersionTable"), table)])
}

/// A `System.Management.Automation.PSPrimitiveDictionary`.
fn primitive_dictionary(entries: Vec<(PsValue, PsValue)>) -> PsValue {
    PsValue::object(PsObject {
        type_names: Some(Arc::from(vec![
            "System.Management.Automation.PSPrimitiveDictionary".to_owned(),
            "System.Collections.Hashtable".to_owned(),
            "System.Object".to_owned(),
        ])),
        content: Some(monosync_exchange::clixml::Container::Dictionary(entries)),
        ..PsObject::default()
    })
}
