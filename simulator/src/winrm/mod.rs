//! The WS-Management shell service ([MS-WSMV] 3.1.4) with PSRP shells ([MS-PSRP] 3.2), HTTP
//! agnostic: [`Service::handle`] takes an authenticated user, the endpoint and a SOAP envelope,
//! and returns the HTTP status and the SOAP answer.
//!
//! Two endpoints, as in real deployments: Exchange's IIS application `/PowerShell`
//! (resource URI `.../Microsoft.Exchange`, NoLanguage runspaces with the Exchange cmdlets) and
//! the WinRM service's `/wsman` (`.../Microsoft.PowerShell`, no Exchange cmdlets until a
//! jump-host bootstrap script imports a session to Exchange, see `jump_host`).

mod disconnect;
mod enumerate;
mod host_info;
mod imported;
mod jump_host;
mod jump_records;
mod records;
mod script;
mod shell;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use monosync_exchange::wsman::namespaces::{RESOURCE_EXCHANGE, RESOURCE_POWERSHELL, signal};
use monosync_exchange::wsman::response::{CreateResponse, ShellInfo};
use monosync_exchange::wsman::{
    Header, ReceiveResponse, Request, Response, ResponseHeader, Selector, WsManFault,
    max_stream_payload,
};
use tokio::sync::Notify;
use uuid::Uuid;

use crate::exchange::Exchange;
use shell::Shell;

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

struct ShellSlot {
    owner: String,
    shell: Mutex<Shell>,
    notify: Notify,
    last_used: Mutex<Instant>,
    /// The Create's IdleTimeOut, replaced by a Disconnect's.
    idle_timeout: Mutex<Duration>,
    /// Disconnected ([MS-WSMV] 3.1.4.15): the runspace lives on, only Reconnect, Connect and
    /// Delete reach it.
    disconnected: std::sync::atomic::AtomicBool,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The WS-Management shell service over one Exchange organisation.
pub struct Service {
    config: ServiceConfig,
    exchange: Arc<Mutex<Exchange>>,
    shells: Mutex<HashMap<Uuid, Arc<ShellSlot>>>,
}

impl std::fmt::Debug for Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Service")
            .field("config", &self.config)
            .field("shells", &lock(&self.shells).len())
            .finish()
    }
}

/// A status and SOAP body.
type Answer = (u16, Vec<u8>);

/// What the synchronous part of a request decided.
enum Step {
    Answer(Answer),
    /// A Receive found nothing: wait for the shell to change, until the deadline.
    Wait {
        slot: Arc<ShellSlot>,
        deadline: Instant,
    },
}

impl Service {
    /// A service over `exchange`.
    pub fn new(config: ServiceConfig, exchange: Arc<Mutex<Exchange>>) -> Self {
        Service {
            config,
            exchange,
            shells: Mutex::new(HashMap::new()),
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
        lock(&self.shells).len()
    }

    /// Breaks the runspace pool of every open shell (fault injection).
    pub fn break_all_runspaces(&self) {
        let slots: Vec<Arc<ShellSlot>> = lock(&self.shells).values().cloned().collect();
        for slot in slots {
            lock(&slot.shell).break_runspace();
            slot.notify.notify_waiters();
        }
    }

    /// Handles one SOAP request. Model work runs on a blocking thread; a Receive with nothing to
    /// return waits up to its OperationTimeout and then answers the TimedOut fault.
    pub async fn handle(
        self: &Arc<Self>,
        user: &AuthenticatedUser,
        endpoint: Endpoint,
        body: &[u8],
    ) -> Answer {
        let mut wait_for_change = false;
        let mut first_deadline: Option<Instant> = None;
        loop {
            let this = Arc::clone(self);
            let who = user.clone();
            let body_owned = body.to_vec();
            let step = tokio::task::spawn_blocking(move || {
                this.handle_sync(&who, endpoint, &body_owned, wait_for_change)
            })
            .await;
            let step = match step {
                Ok(step) => step,
                Err(_) => return self.internal_error(),
            };
            match step {
                Step::Answer(answer) => return answer,
                Step::Wait { slot, deadline } => {
                    let deadline = *first_deadline.get_or_insert(deadline);
                    let notified = slot.notify.notified();
                    tokio::pin!(notified);
                    notified.as_mut().enable();
                    // Re-check after registering, so that a change in between is not missed.
                    let now = Instant::now();
                    if now >= deadline {
                        return self.timed_out(body);
                    }
                    let recheck = {
                        let this = Arc::clone(self);
                        let who = user.clone();
                        let body_owned = body.to_vec();
                        tokio::task::spawn_blocking(move || {
                            this.handle_sync(&who, endpoint, &body_owned, true)
                        })
                        .await
                    };
                    match recheck {
                        Ok(Step::Answer(a)) => return a,
                        Ok(Step::Wait { .. }) => {}
                        Err(_) => return self.internal_error(),
                    }
                    // Output rendered on another thread does not notify: look again regularly.
                    let nap = (deadline - now).min(Duration::from_millis(250));
                    if tokio::time::timeout(nap, notified).await.is_err()
                        && Instant::now() >= deadline
                    {
                        return self.timed_out(body);
                    }
                    wait_for_change = true;
                }
            }
        }
    }

    fn internal_error(&self) -> Answer {
        let fault = WsManFault {
            soap_code: "Receiver".into(),
            soap_subcode: Some("InternalError".into()),
            reason: "The WS-Management service cannot process the request. ".into(),
            reason_lang: Some("en-US".into()),
            fault_detail: None,
            wsman_code: Some(2_150_858_770),
            machine: Some(self.config.machine.clone()),
            message: Some("The WS-Management service cannot process the request. ".into()),
            provider_fault: None,
        };
        (500, fault.to_xml(&ResponseHeader::default()))
    }

    fn timed_out(&self, body: &[u8]) -> Answer {
        let relates_to = Request::parse(body).ok().map(|(h, _)| h.message_id);
        let fault = WsManFault::timed_out(&self.config.machine);
        (500, fault.to_xml(&response_header(relates_to)))
    }

    /// Deletes every shell, connected or disconnected, unused for longer than its IdleTimeOut;
    /// returns how many went. The server calls it from a background task, so that an idle
    /// shell stops counting against its owner's quota without being touched.
    pub fn reap_idle(&self) -> usize {
        let now = Instant::now();
        let mut shells = lock(&self.shells);
        let before = shells.len();
        shells.retain(|_, slot| {
            let idle = now.saturating_duration_since(*lock(&slot.last_used));
            let keep = idle < *lock(&slot.idle_timeout);
            if !keep {
                lock(&slot.shell).close();
                slot.notify.notify_waiters();
            }
            keep
        });
        before - shells.len()
    }

    fn fault(&self, header: &Header, fault: WsManFault) -> Step {
        Step::Answer((500, fault.to_xml(&response_header(Some(header.message_id)))))
    }

    fn ok(header: &Header, response: &Response) -> Step {
        Step::Answer((
            200,
            response.to_xml(&response_header(Some(header.message_id))),
        ))
    }

    fn handle_sync(
        &self,
        user: &AuthenticatedUser,
        endpoint: Endpoint,
        body: &[u8],
        waited: bool,
    ) -> Step {
        let machine = self.config.machine.as_str();
        if body.len() > self.config.max_envelope_size {
            let fault = WsManFault::max_envelope_size_exceeded(machine);
            return Step::Answer((500, fault.to_xml(&response_header(None))));
        }
        let (header, request) = match Request::parse(body) {
            Ok(parsed) => parsed,
            Err(e) => return Step::Answer((500, malformed(machine, &e.to_string()))),
        };
        if self
            .config
            .denied_users
            .iter()
            .any(|d| d.eq_ignore_ascii_case(&user.name))
        {
            return self.fault(&header, WsManFault::access_denied(machine));
        }
        if !waited {
            self.reap_idle();
        }
        if matches!(request, Request::Enumerate { .. }) {
            return self.enumerate(user, endpoint, &header, request);
        }
        if !matches!(request, Request::Identify)
            && !header
                .resource_uri
                .trim_end_matches('/')
                .eq_ignore_ascii_case(endpoint.resource_uri())
        {
            return self.fault(
                &header,
                WsManFault::resource_not_found(&header.resource_uri, machine),
            );
        }
        match request {
            Request::Create {
                shell_id,
                idle_timeout,
                creation_xml,
                input_streams,
                output_streams,
                ..
            } => self.create(
                user,
                endpoint,
                &header,
                shell_id,
                idle_timeout,
                creation_xml,
                input_streams,
                output_streams,
            ),
            Request::Identify => Self::ok(
                &header,
                &Response::Identify(monosync_exchange::wsman::response::IdentifyResponse {
                    protocol_version: monosync_exchange::wsman::namespaces::WSMAN.to_owned(),
                    product_vendor: "Microsoft Corporation".into(),
                    product_version: "OS: 10.0.14393 SP: 0.0 Stack: 3.0".into(),
                    security_profiles: Vec::new(),
                }),
            ),
            other => {
                let slot = match self.find_shell(user, &header) {
                    Ok(slot) => slot,
                    Err(step) => return step,
                };
                // Requests a disconnected shell refuses do not keep it alive.
                let resumes = matches!(
                    other,
                    Request::Reconnect | Request::Connect { .. } | Request::Delete
                );
                if resumes || !slot.disconnected.load(std::sync::atomic::Ordering::SeqCst) {
                    *lock(&slot.last_used) = Instant::now();
                }
                let step = self.on_shell(&slot, &header, other);
                // A Receive changes nothing another Receive waits for.
                if !matches!(step, Step::Wait { .. }) {
                    slot.notify.notify_waiters();
                }
                step
            }
        }
    }

    fn find_shell(
        &self,
        user: &AuthenticatedUser,
        header: &Header,
    ) -> Result<Arc<ShellSlot>, Step> {
        let machine = &self.config.machine;
        let text = header.selector("ShellId").unwrap_or("").to_owned();
        let id = match header.shell_id() {
            Ok(Some(id)) => id,
            _ => return Err(self.fault(header, WsManFault::unknown_shell(&text, machine))),
        };
        let slot = lock(&self.shells).get(&id).cloned();
        match slot {
            // Another user's shell is as invisible as a missing one.
            Some(slot) if slot.owner.eq_ignore_ascii_case(&user.name) => Ok(slot),
            _ => Err(self.fault(header, WsManFault::unknown_shell(&text, machine))),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn create(
        &self,
        user: &AuthenticatedUser,
        endpoint: Endpoint,
        header: &Header,
        shell_id: Option<Uuid>,
        idle_timeout: Option<Duration>,
        creation_xml: Option<Vec<u8>>,
        input_streams: Vec<String>,
        output_streams: Vec<String>,
    ) -> Step {
        let machine = &self.config.machine;
        let id = shell_id.unwrap_or_else(Uuid::new_v4);
        let idle = idle_timeout
            .unwrap_or(self.config.idle_timeout)
            .min(self.config.idle_timeout);
        let mut shell = Shell::new(endpoint, &user.name, Arc::clone(&self.exchange));
        if let Some(xml) = creation_xml
            && shell.receive(None, &xml).is_err()
        {
            return Step::Answer((
                500,
                malformed(
                    machine,
                    "the creationXml is not a valid PSRP runspace pool opening",
                ),
            ));
        }
        {
            let mut shells = lock(&self.shells);
            let owned = shells
                .values()
                .filter(|s| s.owner.eq_ignore_ascii_case(&user.name))
                .count();
            if owned >= self.config.max_shells_per_user {
                let max = u32::try_from(self.config.max_shells_per_user).unwrap_or(u32::MAX);
                return self.fault(header, WsManFault::shell_quota_exceeded(max, machine));
            }
            if shells.contains_key(&id) {
                return self.fault(header, WsManFault::access_denied(machine));
            }
            shells.insert(
                id,
                Arc::new(ShellSlot {
                    owner: user.name.clone(),
                    shell: Mutex::new(shell),
                    notify: Notify::new(),
                    last_used: Mutex::new(Instant::now()),
                    idle_timeout: Mutex::new(idle),
                    disconnected: std::sync::atomic::AtomicBool::new(false),
                }),
            );
        }
        let guid = monosync_exchange::wsman::header::format_guid(id);
        let text = |s: &str| s.to_owned();
        let properties = vec![
            (text("ShellId"), guid.clone()),
            (text("ResourceUri"), text(endpoint.resource_uri())),
            (text("Owner"), user.name.clone()),
            (text("ClientIP"), text("127.0.0.1")),
            (
                text("IdleTimeOut"),
                monosync_exchange::wsman::header::format_duration(idle),
            ),
            (text("InputStreams"), input_streams.join(" ")),
            (text("OutputStreams"), output_streams.join(" ")),
            (text("ShellRunTime"), text("P0DT0H0M0S")),
            (text("ShellInactivity"), text("P0DT0H0M0S")),
        ];
        Self::ok(
            header,
            &Response::Created(CreateResponse {
                address: header.to.clone(),
                resource_uri: endpoint.resource_uri().to_owned(),
                selectors: vec![Selector {
                    name: "ShellId".into(),
                    value: guid,
                }],
                shell: Some(ShellInfo { properties }),
            }),
        )
    }

    fn on_shell(&self, slot: &Arc<ShellSlot>, header: &Header, request: Request) -> Step {
        let machine = &self.config.machine;
        let request = match self.connection_state(slot, header, request) {
            Ok(request) => request,
            Err(step) => return step,
        };
        let mut shell = lock(&slot.shell);
        match request {
            Request::Delete => {
                shell.close();
                drop(shell);
                let id = header.shell_id().ok().flatten();
                if let Some(id) = id {
                    lock(&self.shells).remove(&id);
                }
                Self::ok(header, &Response::Delete)
            }
            Request::Command {
                command_id,
                arguments,
                ..
            } => {
                let id = command_id.unwrap_or_else(Uuid::new_v4);
                if shell.has_pipeline(id) {
                    return self.fault(header, WsManFault::unknown_command(machine));
                }
                let data = arguments.unwrap_or_default();
                if let Err(e) = shell.receive(Some(id), &data) {
                    return Step::Answer((500, malformed(machine, &e.to_string())));
                }
                Self::ok(header, &Response::Command { command_id: id })
            }
            Request::Send { streams } => {
                for s in streams {
                    if s.command_id.is_some_and(|c| !shell.has_pipeline(c)) {
                        return self.fault(header, WsManFault::unknown_command(machine));
                    }
                    if let Err(e) = shell.receive(s.command_id, &s.data) {
                        return Step::Answer((500, malformed(machine, &e.to_string())));
                    }
                }
                Self::ok(header, &Response::Send)
            }
            Request::Signal { command_id, code } => {
                let Some(pid) = command_id else {
                    return Self::ok(header, &Response::Signal);
                };
                if !shell.has_pipeline(pid) {
                    return self.fault(header, WsManFault::unknown_command(machine));
                }
                let code = code.trim();
                let result = if code.eq_ignore_ascii_case(signal::TERMINATE) {
                    shell.terminate(pid)
                } else if code.eq_ignore_ascii_case(signal::PS_CTRL_C)
                    || code.eq_ignore_ascii_case(signal::PS_CRTL_C)
                {
                    shell.stop(pid)
                } else {
                    Ok(())
                };
                match result {
                    Ok(()) => Self::ok(header, &Response::Signal),
                    Err(e) => Step::Answer((500, malformed(machine, &e.to_string()))),
                }
            }
            Request::Receive { command_id, .. } => {
                if command_id.is_some_and(|c| !shell.has_pipeline(c)) {
                    return self.fault(header, WsManFault::unknown_command(machine));
                }
                let envelope = header
                    .max_envelope_size
                    .map_or(self.config.max_envelope_size, |m| {
                        usize::try_from(m).unwrap_or(usize::MAX)
                    })
                    .min(self.config.max_envelope_size);
                let payload = max_stream_payload(envelope).max(64);
                let output = shell.take_output(command_id, payload);
                if output.is_empty() {
                    if shell.is_broken() && command_id.is_none() {
                        return self.fault(
                            header,
                            WsManFault::unknown_shell(
                                header.selector("ShellId").unwrap_or(""),
                                machine,
                            ),
                        );
                    }
                    let timeout = header
                        .operation_timeout
                        .unwrap_or(Duration::from_secs(20))
                        .min(self.config.max_operation_timeout);
                    return Step::Wait {
                        slot: Arc::clone(slot),
                        deadline: Instant::now() + timeout,
                    };
                }
                Self::ok(
                    header,
                    &Response::Receive(ReceiveResponse {
                        streams: output.streams,
                        command_state: output.command_state,
                    }),
                )
            }
            _ => self.fault(header, WsManFault::access_denied(machine)),
        }
    }
}

fn response_header(relates_to: Option<Uuid>) -> ResponseHeader {
    ResponseHeader {
        message_id: Uuid::new_v4(),
        relates_to,
        activity_id: None,
    }
}

/// Windows' answer to an envelope it cannot read (WSManFault 2150858817, invalid message
/// information header); the detail names what was wrong.
fn malformed(machine: &str, detail: &str) -> Vec<u8> {
    let message = format!(
        "The WS-Management service cannot process the request because the request is malformed: {detail} "
    );
    let fault = WsManFault {
        soap_code: "Sender".into(),
        soap_subcode: Some("InvalidMessageInformationHeader".into()),
        reason: message.clone(),
        reason_lang: Some("en-US".into()),
        fault_detail: None,
        wsman_code: Some(2_150_858_817),
        machine: Some(machine.to_owned()),
        message: Some(message),
        provider_fault: None,
    };
    fault.to_xml(&response_header(None))
}
