//! The PowerShell side of one remote shell: the Exchange session it runs in, its pipelines and
//! what they write into the shell's runspace pool ([MS-PSRP] 3.2). The WinRS rules (ids,
//! Receive, Signal, Delete) are [`ShellServer`](monosync_exchange::winrs::server::ShellServer)'s.

use std::collections::HashMap;
use std::sync::Arc;

use monosync_exchange::clixml::{self as values, Property, PsObject, PsValue};
use monosync_exchange::psrp::messages::{HostInfo, InformationalRecord, RemoteHostMethodId};
use monosync_exchange::psrp::{PSInvocationState, PowerShellSpec, RunspacePoolState, StateError};
use monosync_exchange::winrs::server::{ServerShell, ShellEvent, can_prompt};
use tokio::sync::Notify;
use uuid::Uuid;

use super::jump_host::{self, Imported};
use super::records;
use crate::exchange::{
    BoundArg, CmdletResult, Command, ConfirmPrompt, Exchange, InvokeOptions, Session,
    SimErrorRecord,
};
use crate::winrm::Endpoint;

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

/// The PowerShell side of one shell.
#[derive(Debug)]
pub(crate) struct Interpreter {
    endpoint: Endpoint,
    session: Session,
    pipelines: HashMap<Uuid, PipelineRun>,
    /// The pipeline that holds the runspace (one at a time, as in Exchange).
    running: Option<Uuid>,
    exchange: Arc<std::sync::Mutex<Exchange>>,
    /// Each pipeline's HostInfo (CREATE_PIPELINE).
    pipeline_hosts: HashMap<Uuid, HostInfo>,
    /// Pipelines whose output is still being rendered.
    producers: HashMap<Uuid, Producer>,
    /// Told when a producer rendered an object, so that a waiting Receive looks again.
    rendered: Arc<Notify>,
    /// On `/wsman`: the Exchange session a jump-host bootstrap imported; the Exchange cmdlets
    /// exist only once it is set.
    imported: Option<Imported>,
}

fn lock(exchange: &std::sync::Mutex<Exchange>) -> std::sync::MutexGuard<'_, Exchange> {
    exchange
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Interpreter {
    pub(crate) fn new(
        endpoint: Endpoint,
        user: &str,
        exchange: Arc<std::sync::Mutex<Exchange>>,
        rendered: Arc<Notify>,
    ) -> Self {
        Interpreter {
            endpoint,
            session: Session {
                user: Some(user.to_owned()),
                ..Session::default()
            },
            pipelines: HashMap::new(),
            running: None,
            exchange,
            pipeline_hosts: HashMap::new(),
            producers: HashMap::new(),
            rendered,
            imported: None,
        }
    }

    /// Answers one event of the shell's [`ServerShell`].
    pub(crate) fn on_event(
        &mut self,
        shell: &mut ServerShell,
        event: ShellEvent,
    ) -> Result<(), StateError> {
        match event {
            ShellEvent::PipelineCreated {
                pipeline,
                spec,
                host_info,
                ..
            } => {
                if let Some(h) = host_info {
                    self.pipeline_hosts.insert(pipeline, h);
                }
                self.create_pipeline(shell, pipeline, spec)
            }
            ShellEvent::PipelineInput {
                pipeline, value, ..
            } => {
                if let Some(p) = self.pipelines.get_mut(&pipeline) {
                    p.input.push(value);
                }
                Ok(())
            }
            ShellEvent::EndOfInput { pipeline, .. } => {
                let collecting = self
                    .pipelines
                    .get(&pipeline)
                    .is_some_and(|p| matches!(p.stage, Stage::CollectingInput));
                if collecting {
                    self.run(shell, pipeline, false)?;
                }
                Ok(())
            }
            ShellEvent::HostResponse {
                pipeline: Some(pid),
                response,
                ..
            } => {
                let awaited = self.pipelines.get(&pid).is_some_and(
                    |p| matches!(p.stage, Stage::AwaitingConfirmation(c) if c == response.call_id),
                );
                if !awaited {
                    return Ok(());
                }
                if let Some(error) = response.error {
                    // A host without a user throws; ShouldProcess lets the exception end the
                    // pipeline, and nothing was changed.
                    shell.pool_mut().set_pipeline_state(
                        pid,
                        PSInvocationState::Failed,
                        Some(error),
                    )?;
                    self.mark_finished(pid);
                    Ok(())
                } else {
                    let choice = response.return_value.as_ref().and_then(PsValue::as_i64);
                    if matches!(choice, Some(0 | 1)) {
                        self.run(shell, pid, true)
                    } else {
                        self.finish(shell, pid, PSInvocationState::Completed, None)
                    }
                }
            }
            ShellEvent::StopRequested { pipeline, .. } => self.stop(shell, pipeline),
            ShellEvent::PipelineEnded { pipeline, .. } => {
                self.producers.remove(&pipeline);
                self.pipelines.remove(&pipeline);
                self.pipeline_hosts.remove(&pipeline);
                if self.running == Some(pipeline) {
                    self.running = None;
                }
                Ok(())
            }
            ShellEvent::OutputWanted {
                pipeline: Some(pid),
                ..
            } => {
                self.pull(shell, pid);
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// Breaks the runspace, as a crashed worker process would: the pool is Broken and every
    /// running pipeline fails.
    pub(crate) fn break_runspace(&mut self, shell: &mut ServerShell) {
        let record = records::pipeline_stopped();
        let ids: Vec<Uuid> = self.pipelines.keys().copied().collect();
        for id in ids {
            if !matches!(
                self.pipelines.get(&id).map(|p| &p.stage),
                Some(Stage::Finished)
            ) {
                let _ = self.finish(shell, id, PSInvocationState::Failed, Some(&record));
            }
        }
        let _ = shell
            .pool_mut()
            .set_state(RunspacePoolState::Broken, records::to_wire(&record));
    }

    fn create_pipeline(
        &mut self,
        shell: &mut ServerShell,
        pid: Uuid,
        spec: PowerShellSpec,
    ) -> Result<(), StateError> {
        let no_input = spec.no_input;
        self.pipelines.insert(
            pid,
            PipelineRun {
                spec,
                input: Vec::new(),
                stage: Stage::CollectingInput,
            },
        );
        if self.running.is_some() {
            return self.finish(
                shell,
                pid,
                PSInvocationState::Failed,
                Some(&records::pipeline_already_running()),
            );
        }
        self.running = Some(pid);
        if no_input {
            self.run(shell, pid, false)
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
        shell: &mut ServerShell,
        pid: Uuid,
        state: PSInvocationState,
        error: Option<&SimErrorRecord>,
    ) -> Result<(), StateError> {
        shell
            .pool_mut()
            .set_pipeline_state(pid, state, error.and_then(records::to_wire))?;
        self.mark_finished(pid);
        Ok(())
    }

    /// Runs the pipeline's statements through the Exchange model.
    fn run(
        &mut self,
        shell: &mut ServerShell,
        pid: Uuid,
        confirmed: bool,
    ) -> Result<(), StateError> {
        let Some(run) = self.pipelines.get_mut(&pid) else {
            return Ok(());
        };
        let spec = run.spec.clone();
        let mut input = Some(std::mem::take(&mut run.input)).filter(|i| !i.is_empty());
        for statement in &spec.statements {
            if let Some(script) = statement.iter().find(|c| c.is_script) {
                if self.endpoint == Endpoint::Wsman && statement.len() == 1 {
                    // A full-language runspace: the jump-host bootstrap runs here.
                    if self.run_script(shell, pid, script)? {
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
                return self.finish(shell, pid, PSInvocationState::Failed, Some(&record));
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
                        shell,
                        pid,
                        PSInvocationState::Failed,
                        Some(&crate::exchange::errors::command_not_found(&c.name)),
                    );
                };
                match self.bind(shell, c) {
                    Ok(args) => commands.push(Command::new(&name, args)),
                    Err(record) => {
                        return self.finish(shell, pid, PSInvocationState::Failed, Some(&record));
                    }
                }
            }
            let options = InvokeOptions { confirmed };
            let exchange = Arc::clone(&self.exchange);
            let mut ex = lock(&exchange);
            ex.record_received(&commands);
            // The throttling budgets count a pipeline once: not again when it runs confirmed.
            if !confirmed && let Some(user) = self.session.user.as_deref() {
                match ex.admit(user, &commands) {
                    Ok(warnings) => {
                        for warning in &warnings {
                            shell
                                .pool_mut()
                                .write_warning(pid, InformationalRecord::new("Warning", warning))?;
                        }
                    }
                    Err(record) => {
                        drop(ex);
                        return self.finish(shell, pid, PSInvocationState::Failed, Some(&record));
                    }
                }
            }
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
                let rendered = Arc::clone(&self.rendered);
                let done = std::thread::Builder::new()
                    .name("mx-sim-render".into())
                    .spawn(move || {
                        let mut snapshot = snapshot;
                        // A client that went away drops the receiver: the rest is discarded.
                        let mut sink = |value: PsValue| {
                            let _ = tx.send(value);
                            rendered.notify_waiters();
                        };
                        let result = snapshot.invoke_streaming(
                            &mut session,
                            &command.name,
                            &command.args,
                            options,
                            &mut sink,
                        );
                        drop(tx);
                        rendered.notify_waiters();
                        result
                    });
                return match done {
                    Ok(done) => {
                        self.producers.insert(pid, Producer { objects: rx, done });
                        Ok(())
                    }
                    Err(_) => self.finish(
                        shell,
                        pid,
                        PSInvocationState::Failed,
                        Some(&records::pipeline_stopped()),
                    ),
                };
            }
            let result = if commands.len() == 1 && input.is_none() {
                // One cmdlet: stream its objects straight into the pool's outbox.
                let pool = shell.pool_mut();
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
                return self.ask_confirmation(shell, pid, &prompt);
            }
            if self.write_result(shell, pid, result)? {
                return Ok(());
            }
        }
        self.finish(shell, pid, PSInvocationState::Completed, None)
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
        shell: &mut ServerShell,
        pid: Uuid,
        script: &monosync_exchange::psrp::Command,
    ) -> Result<bool, StateError> {
        let outcome = {
            let exchange = lock(&self.exchange);
            let org = exchange.directory().org();
            let machine = format!("{}.{}", org.server, org.domain);
            let pool = shell.pool();
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
        let failed = self.write_result(shell, pid, outcome.result);
        self.imported = relay;
        failed
    }

    /// Writes the cmdlet's streams; returns true when it failed the pipeline.
    fn write_result(
        &mut self,
        shell: &mut ServerShell,
        pid: Uuid,
        result: CmdletResult,
    ) -> Result<bool, StateError> {
        for value in result.output {
            let value = self.relayed(value);
            shell.pool_mut().write_output(pid, value)?;
        }
        for line in &result.host_output {
            shell.pool_mut().host_call(
                Some(pid),
                RemoteHostMethodId::WriteLine2,
                vec![PsValue::String(line.clone())],
            )?;
        }
        for warning in &result.warnings {
            shell
                .pool_mut()
                .write_warning(pid, InformationalRecord::new("Warning", warning))?;
        }
        let mut errors = result.errors;
        let last = if result.failed { errors.pop() } else { None };
        for e in &errors {
            if let Some(record) = records::to_wire(e) {
                shell.pool_mut().write_error(pid, record)?;
            }
        }
        if result.failed {
            self.finish(shell, pid, PSInvocationState::Failed, last.as_ref())?;
            return Ok(true);
        }
        Ok(false)
    }

    fn ask_confirmation(
        &mut self,
        shell: &mut ServerShell,
        pid: Uuid,
        prompt: &ConfirmPrompt,
    ) -> Result<(), StateError> {
        if !can_prompt(shell.pool_host_info(), self.pipeline_hosts.get(&pid)) {
            return self.finish(
                shell,
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
        let call_id = shell.pool_mut().host_call(
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
        shell: &ServerShell,
        command: &monosync_exchange::psrp::Command,
    ) -> Result<Vec<BoundArg>, SimErrorRecord> {
        let mut args = Vec::with_capacity(command.parameters.len());
        for p in &command.parameters {
            let arg = match (&p.name, &p.value) {
                (Some(name), PsValue::SecureString(enc)) => {
                    let plain = shell
                        .pool()
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
    fn pull(&mut self, shell: &mut ServerShell, pid: Uuid) {
        use std::sync::mpsc::TryRecvError;
        let Some(producer) = self.producers.get(&pid) else {
            return;
        };
        let mut finished = false;
        let mut moved = 0;
        // Only what is ready: a Receive that finds nothing waits, and the producer tells the
        // service when it rendered more.
        while moved < STREAM_BATCH {
            match producer.objects.try_recv() {
                Ok(value) => {
                    moved += 1;
                    let value = self.relayed(value);
                    if shell.pool_mut().write_output(pid, value).is_err() {
                        break;
                    }
                }
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => {
                    finished = true;
                    break;
                }
            }
        }
        if !finished {
            return;
        }
        let Some(producer) = self.producers.remove(&pid) else {
            return;
        };
        let result = producer.done.join().unwrap_or_default();
        let outcome = match result.needs_confirmation.clone() {
            Some(prompt) => self.ask_confirmation(shell, pid, &prompt),
            None => match self.write_result(shell, pid, result) {
                Ok(true) => Ok(()),
                Ok(false) => self.finish(shell, pid, PSInvocationState::Completed, None),
                Err(e) => Err(e),
            },
        };
        if outcome.is_err() {
            self.mark_finished(pid);
        }
    }

    /// Stops a pipeline (Ctrl+C signal): a running one ends Stopped.
    pub(crate) fn stop(&mut self, shell: &mut ServerShell, pid: Uuid) -> Result<(), StateError> {
        self.producers.remove(&pid);
        let running = self
            .pipelines
            .get(&pid)
            .is_some_and(|p| !matches!(p.stage, Stage::Finished));
        if running {
            self.finish(
                shell,
                pid,
                PSInvocationState::Stopped,
                Some(&records::pipeline_stopped()),
            )?;
        }
        Ok(())
    }

    /// Drops the pipelines' work (shell deleted).
    pub(crate) fn close(&mut self) {
        self.producers.clear();
        self.pipelines.clear();
        self.running = None;
    }
}
