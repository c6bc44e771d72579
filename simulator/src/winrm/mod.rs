//! The WS-Management shell service ([MS-WSMV] 3.1.4) with PSRP shells ([MS-PSRP] 3.2), HTTP
//! agnostic: [`Service::handle`] takes an authenticated user, the endpoint and a SOAP envelope,
//! and returns the HTTP status and the SOAP answer. The WinRS rules are core's [`ShellServer`];
//! this service drives it (the waiting of Receives, the clock) and runs each shell's pipelines
//! through the PowerShell interpreter ([`crate::powershell`]).
//!
//! Two endpoints, as in real deployments: Exchange's IIS application `/PowerShell`
//! (resource URI `.../Microsoft.Exchange`, NoLanguage runspaces with the Exchange cmdlets) and
//! the WinRM service's `/wsman` (`.../Microsoft.PowerShell`, no Exchange cmdlets until a
//! jump-host bootstrap script imports a session to Exchange, see `jump_host`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use monosync_exchange::psrp::ServerOptions;
use monosync_exchange::winrs::server::{
    Answer, Client, Outcome, ReceiveId, ServerConfig, ShellEvent, ShellServer, faults,
    windows_powershell_private_data,
};
use monosync_exchange::wsman::namespaces::{RESOURCE_EXCHANGE, RESOURCE_POWERSHELL};
use tokio::sync::Notify;
use uuid::Uuid;

use crate::exchange::Exchange;
use crate::powershell::Interpreter;

/// Which application a request reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Endpoint {
    /// Exchange's IIS endpoint `/PowerShell`.
    PowerShell,
    /// The WinRM service's `/wsman`.
    Wsman,
}

impl Endpoint {
    /// The resource URI of the shells this endpoint serves.
    pub fn resource_uri(self) -> &'static str {
        match self {
            Endpoint::PowerShell => RESOURCE_EXCHANGE,
            Endpoint::Wsman => RESOURCE_POWERSHELL,
        }
    }

    /// The URL path (`/PowerShell` or `/wsman`).
    pub fn path(self) -> &'static str {
        match self {
            Endpoint::PowerShell => "/PowerShell",
            Endpoint::Wsman => "/wsman",
        }
    }

    /// The endpoint whose shells have this resource URI.
    fn from_resource_uri(uri: &str) -> Self {
        if uri.eq_ignore_ascii_case(RESOURCE_POWERSHELL) {
            Endpoint::Wsman
        } else {
            Endpoint::PowerShell
        }
    }

    /// The endpoint of a request path (case-insensitive, query and trailing slash ignored).
    pub fn from_path(path: &str) -> Option<Self> {
        let path = path.split('?').next().unwrap_or("").trim_end_matches('/');
        if path.eq_ignore_ascii_case("/powershell") {
            Some(Endpoint::PowerShell)
        } else if path.eq_ignore_ascii_case("/wsman") {
            Some(Endpoint::Wsman)
        } else {
            None
        }
    }
}

/// The user an HTTP request authenticated as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthenticatedUser {
    /// The account's logon name as the seed spells it.
    pub name: String,
}

/// Limits of the shell service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceConfig {
    /// The machine name written in faults.
    pub machine: String,
    /// Shells one user may hold at once (Exchange's PowerShellMaxConcurrency: 18).
    pub max_shells_per_user: usize,
    /// A shell unused this long is deleted (WinRM's IdleTimeout).
    pub idle_timeout: Duration,
    /// The largest request envelope accepted, and the cap on responses (WinRM's
    /// MaxEnvelopeSizekb 500).
    pub max_envelope_size: usize,
    /// The longest a Receive waits for output, whatever the client's OperationTimeout says.
    pub max_operation_timeout: Duration,
    /// Accounts that authenticate but are in neither Administrators nor Remote Management
    /// Users: the service's RootSDDL refuses them, so every request gets the access-denied
    /// fault.
    pub denied_users: Vec<String>,
}

impl Default for ServiceConfig {
    fn default() -> Self {
        ServiceConfig {
            machine: "EX01.corp.example".into(),
            max_shells_per_user: 18,
            idle_timeout: Duration::from_secs(900),
            max_envelope_size: 512_000,
            max_operation_timeout: Duration::from_secs(60),
            denied_users: Vec::new(),
        }
    }
}

impl ServiceConfig {
    fn server_config(&self) -> ServerConfig {
        ServerConfig {
            machine: self.machine.clone(),
            max_shells_per_user: self.max_shells_per_user,
            idle_timeout: self.idle_timeout,
            max_envelope_size: self.max_envelope_size,
            max_operation_timeout: self.max_operation_timeout,
            denied_users: self.denied_users.clone(),
            private_data: windows_powershell_private_data(),
            pool_options: ServerOptions::default(),
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The shells' protocol state and the interpreter of each.
#[derive(Debug)]
struct Shells {
    server: ShellServer,
    interpreters: HashMap<Uuid, Interpreter>,
    exchange: Arc<Mutex<Exchange>>,
    /// The service's `changed`, which producers of streamed output tell.
    changed: Arc<Notify>,
}

/// The WS-Management shell service over one Exchange organisation.
pub struct Service {
    config: ServiceConfig,
    exchange: Arc<Mutex<Exchange>>,
    shells: Mutex<Shells>,
    /// Told whenever a shell changed, so that waiting Receives look again.
    changed: Arc<Notify>,
}

impl std::fmt::Debug for Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Service")
            .field("config", &self.config)
            .field("shells", &self.shell_count())
            .finish()
    }
}

/// A pending Receive, forgotten if its client goes away before the answer.
struct PendingReceive<'a> {
    service: &'a Service,
    id: ReceiveId,
}

impl Drop for PendingReceive<'_> {
    fn drop(&mut self) {
        lock(&self.service.shells).server.cancel(self.id);
    }
}

/// How often a waiting Receive looks again even if nothing told it to.
const RECHECK: Duration = Duration::from_millis(250);

impl Service {
    /// A service over `exchange`.
    pub fn new(config: ServiceConfig, exchange: Arc<Mutex<Exchange>>) -> Self {
        let changed = Arc::new(Notify::new());
        Service {
            shells: Mutex::new(Shells {
                server: ShellServer::new(config.server_config()),
                interpreters: HashMap::new(),
                exchange: Arc::clone(&exchange),
                changed: Arc::clone(&changed),
            }),
            config,
            exchange,
            changed,
        }
    }

    /// The organisation the shells run their cmdlets against.
    pub fn exchange(&self) -> &Arc<Mutex<Exchange>> {
        &self.exchange
    }

    /// The limits.
    pub fn config(&self) -> &ServiceConfig {
        &self.config
    }

    /// Shells open now.
    pub fn shell_count(&self) -> usize {
        lock(&self.shells).server.shell_count()
    }

    /// Breaks the runspace pool of every open shell (fault injection).
    pub fn break_all_runspaces(&self) {
        {
            let mut guard = lock(&self.shells);
            let shells = &mut *guard;
            for (id, interpreter) in &mut shells.interpreters {
                if let Some(shell) = shells.server.shell_mut(*id) {
                    interpreter.break_runspace(shell);
                }
            }
        }
        self.changed.notify_waiters();
    }

    /// Deletes every shell, connected or disconnected, unused for longer than its IdleTimeOut;
    /// returns how many went. The server calls it from a background task, so that an idle
    /// shell stops counting against its owner's quota without being touched.
    pub fn reap_idle(&self) -> usize {
        let reaped = {
            let mut shells = lock(&self.shells);
            let reaped = shells.server.reap_idle(Instant::now());
            shells.run_events();
            reaped
        };
        if reaped > 0 {
            self.changed.notify_waiters();
        }
        reaped
    }

    /// Handles one SOAP request. Model work runs on a blocking thread; a Receive with nothing to
    /// return waits up to its OperationTimeout and then answers the TimedOut fault.
    pub async fn handle(
        self: &Arc<Self>,
        user: &AuthenticatedUser,
        endpoint: Endpoint,
        body: &[u8],
    ) -> (u16, Vec<u8>) {
        let this = Arc::clone(self);
        let who = user.name.clone();
        let body = body.to_vec();
        let outcome = tokio::task::spawn_blocking(move || {
            let client = Client {
                user: &who,
                resource_uri: endpoint.resource_uri(),
            };
            let outcome = {
                let mut shells = lock(&this.shells);
                let outcome = shells.server.handle(Instant::now(), &client, &body);
                shells.run_events();
                outcome
            };
            // A Receive changes nothing another Receive waits for.
            if matches!(outcome, Outcome::Answer(_)) {
                this.changed.notify_waiters();
            }
            outcome
        })
        .await;
        match outcome {
            Ok(Outcome::Answer(answer)) => (answer.status, answer.body),
            Ok(Outcome::Pending(id)) => self.wait(id).await,
            Err(_) => self.internal_error(),
        }
    }

    /// Waits for the answer of a pending Receive.
    async fn wait(self: &Arc<Self>, id: ReceiveId) -> (u16, Vec<u8>) {
        let pending = PendingReceive { service: self, id };
        loop {
            let notified = self.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            // Look again after registering, so that a change in between is not missed.
            let this = Arc::clone(self);
            let step = tokio::task::spawn_blocking(move || {
                let mut shells = lock(&this.shells);
                shells.server.want_output(id);
                shells.run_events();
                let now = Instant::now();
                shells.server.handle_timeout(now);
                let answer = shells.server.answer(id);
                (answer, shells.server.poll_timeout())
            })
            .await;
            let (answer, next) = match step {
                Ok(step) => step,
                Err(_) => return self.internal_error(),
            };
            if let Some(answer) = answer {
                drop(pending);
                return (answer.status, answer.body);
            }
            let nap = next
                .map_or(RECHECK, |at| at.saturating_duration_since(Instant::now()))
                .min(RECHECK);
            let _ = tokio::time::timeout(nap, notified).await;
        }
    }

    fn internal_error(&self) -> (u16, Vec<u8>) {
        let answer = Answer::fault(None, &faults::internal_error(&self.config.machine));
        (500, answer.body)
    }
}

impl Shells {
    /// Gives the machine's events to the interpreters.
    fn run_events(&mut self) {
        while let Some(event) = self.server.poll_event() {
            match event {
                ShellEvent::ShellCreated {
                    shell,
                    owner,
                    resource_uri,
                } => {
                    let endpoint = Endpoint::from_resource_uri(&resource_uri);
                    let interpreter = Interpreter::new(
                        endpoint,
                        &owner,
                        Arc::clone(&self.exchange),
                        Arc::clone(&self.changed),
                    );
                    self.interpreters.insert(shell, interpreter);
                }
                ShellEvent::ShellDeleted { shell } => {
                    if let Some(mut interpreter) = self.interpreters.remove(&shell) {
                        interpreter.close();
                    }
                }
                other => {
                    let Some(id) = shell_of(&other) else { continue };
                    let (Some(interpreter), Some(shell)) =
                        (self.interpreters.get_mut(&id), self.server.shell_mut(id))
                    else {
                        continue;
                    };
                    // A write the pool refuses leaves the pipeline as it was; its state is what
                    // the client sees.
                    let _ = interpreter.on_event(shell, other);
                }
            }
        }
    }
}

/// The shell an event concerns.
fn shell_of(event: &ShellEvent) -> Option<Uuid> {
    match event {
        ShellEvent::ShellCreated { shell, .. }
        | ShellEvent::PipelineCreated { shell, .. }
        | ShellEvent::PipelineInput { shell, .. }
        | ShellEvent::EndOfInput { shell, .. }
        | ShellEvent::HostResponse { shell, .. }
        | ShellEvent::StopRequested { shell, .. }
        | ShellEvent::PipelineEnded { shell, .. }
        | ShellEvent::OutputWanted { shell, .. }
        | ShellEvent::ShellDeleted { shell } => Some(*shell),
        _ => None,
    }
}
