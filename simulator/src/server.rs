//! Starting and stopping the simulator: [`Server::start`] binds the listeners and serves them on
//! the current tokio runtime, or on its own thread and runtime when called outside one.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use monosync_exchange::recording::{Mismatch, Replay, ReplayStats};
use tokio::sync::watch;

use crate::SimError;
use crate::exchange::Exchange;
use crate::faults::{FaultPlan, FaultState};
use crate::http::tls::TlsIdentity;
use crate::http::{AuthConfig, CbtLevel, Shared, serve_connection};
use crate::log::RequestLog;
use crate::winrm::{Endpoint, Service, ServiceConfig};

/// The default seed: 301 recipients, two databases, three accounts (see the crate README).
pub const DEFAULT_SEED: &str = include_str!("../seed/default.json");

/// How often idle shells are looked for: WinRM deletes them without waiting for a request.
const REAP_INTERVAL: std::time::Duration = std::time::Duration::from_millis(100);

/// Everything the server needs.
#[derive(Debug)]
pub struct SimConfig {
    /// Addresses to listen on (`127.0.0.1:0`, `[::1]:0`, ...); port 0 picks a free port, shared
    /// by the following addresses when possible.
    pub listen: Vec<SocketAddr>,
    /// Serve HTTPS with this certificate; plain HTTP when `None`.
    pub tls: Option<TlsIdentity>,
    /// The organisation; `None` loads [`DEFAULT_SEED`].
    pub exchange: Option<Exchange>,
    /// Authentication schemes.
    pub auth: AuthConfig,
    /// Accept unsealed bodies (and Basic) over plain HTTP (WinRM's AllowUnencrypted).
    pub allow_unencrypted: bool,
    /// Channel-binding hardening over HTTPS.
    pub cbt: CbtLevel,
    /// Shell limits and the machine name.
    pub service: ServiceConfig,
    /// Enforce this user throttling policy (`--throttling-policy`): its PowerShellMaxConcurrency
    /// becomes the shell quota, and its cmdlet budgets are charged per user. `None` keeps
    /// Exchange's default policy with the shell quota of `service`.
    pub throttling_policy: Option<crate::exchange::ThrottlingPolicy>,
    /// Faults to inject.
    pub faults: FaultPlan,
    /// Append the request log to this file as JSON lines.
    pub log_file: Option<std::path::PathBuf>,
    /// Serve this recorded conversation instead of the organisation (`--replay`), ids
    /// rewritten for each client ([`monosync_exchange::recording::Replay`]).
    pub replay: Option<Replay>,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            listen: vec![SocketAddr::from(([127, 0, 0, 1], 0))],
            tls: None,
            exchange: None,
            auth: AuthConfig::default(),
            allow_unencrypted: false,
            cbt: CbtLevel::default(),
            service: ServiceConfig::default(),
            throttling_policy: None,
            faults: FaultPlan::default(),
            log_file: None,
            replay: None,
        }
    }
}

/// Entry point.
#[derive(Debug)]
pub struct Server;

/// A server that runs until [`RunningServer::shutdown`] or drop.
#[derive(Debug)]
pub struct RunningServer {
    addrs: Vec<SocketAddr>,
    https: bool,
    replay: Option<Arc<Mutex<Replay>>>,
    service: Arc<Service>,
    log: Arc<RequestLog>,
    faults: Arc<FaultState>,
    stop: watch::Sender<bool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Server {
    /// Binds the listeners and starts serving.
    pub fn start(mut config: SimConfig) -> Result<RunningServer, SimError> {
        let mut exchange = match config.exchange {
            Some(ex) => ex,
            None => Exchange::from_seed_json(DEFAULT_SEED).map_err(SimError::Seed)?,
        };
        if let Some(policy) = config.throttling_policy.take() {
            config.service.max_shells_per_user = policy
                .powershell_max_concurrency
                .map_or(usize::MAX, |n| usize::try_from(n).unwrap_or(usize::MAX));
            *exchange.directory_mut().throttling_policy_mut() = policy;
        }
        // Get-ThrottlingPolicy reports the shell budget the service enforces (Unlimited beyond
        // what a UInt32 holds).
        exchange
            .directory_mut()
            .throttling_policy_mut()
            .powershell_max_concurrency = u32::try_from(config.service.max_shells_per_user).ok();
        let mut listeners = Vec::new();
        let mut port = 0;
        for addr in &config.listen {
            let mut addr = *addr;
            if addr.port() == 0 && port != 0 {
                addr.set_port(port);
            }
            let listener = std::net::TcpListener::bind(addr)
                .or_else(|_| std::net::TcpListener::bind(SocketAddr::new(addr.ip(), 0)))
                .map_err(|e| SimError::Bind(addr, e))?;
            listener
                .set_nonblocking(true)
                .map_err(|e| SimError::Bind(addr, e))?;
            let local = listener.local_addr().map_err(|e| SimError::Bind(addr, e))?;
            if port == 0 {
                port = local.port();
            }
            listeners.push((local, listener));
        }
        let https = config.tls.is_some();
        let tls = config
            .tls
            .as_ref()
            .map(TlsIdentity::server_config)
            .transpose()?;
        let cbt_data = match &config.tls {
            Some(id) => monosync_exchange::transport::cbt::tls_server_end_point(id.leaf()).ok(),
            None => None,
        };
        let log_file = match &config.log_file {
            Some(path) => Some(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .map_err(|e| SimError::LogFile(path.clone(), e))?,
            ),
            None => None,
        };
        let replay = config.replay.map(|r| Arc::new(Mutex::new(r)));
        let service = Arc::new(Service::new(config.service, Arc::new(Mutex::new(exchange))));
        let log = Arc::new(RequestLog::new(log_file));
        let faults = Arc::new(FaultState::new(config.faults));
        let shared = Arc::new(Shared {
            service: Arc::clone(&service),
            kerberos_keys: config
                .auth
                .kerberos
                .as_ref()
                .map(crate::http::auth::KerberosService::acceptor_keys),
            auth: config.auth,
            https: tls.is_some(),
            allow_unencrypted: config.allow_unencrypted,
            cbt: config.cbt,
            cbt_data,
            log: Arc::clone(&log),
            faults: Arc::clone(&faults),
            connections: std::sync::atomic::AtomicU64::new(0),
            replay: replay.clone(),
        });
        let (stop, stop_rx) = watch::channel(false);
        let addrs: Vec<SocketAddr> = listeners.iter().map(|(a, _)| *a).collect();
        let reaped = Arc::clone(&service);
        let run = move || {
            let mut reaper_stop = stop_rx.clone();
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(REAP_INTERVAL);
                tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                loop {
                    tokio::select! {
                        _ = tick.tick() => {}
                        _ = reaper_stop.changed() => return,
                    }
                    let service = Arc::clone(&reaped);
                    // A shell's lock may be held by a cmdlet for a while: off the async workers.
                    let _ = tokio::task::spawn_blocking(move || service.reap_idle()).await;
                }
            });
            for (_, listener) in listeners {
                let shared = Arc::clone(&shared);
                let tls = tls.clone();
                let mut stop_rx = stop_rx.clone();
                tokio::spawn(async move {
                    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
                        return;
                    };
                    loop {
                        let accepted = tokio::select! {
                            a = listener.accept() => a,
                            _ = stop_rx.changed() => return,
                        };
                        let Ok((tcp, _)) = accepted else {
                            // Out of descriptors or a reset before accept: keep serving.
                            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                            continue;
                        };
                        let shared = Arc::clone(&shared);
                        let tls = tls.clone();
                        let mut conn_stop = stop_rx.clone();
                        tokio::spawn(async move {
                            let serve = async {
                                match tls {
                                    Some(cfg) => {
                                        let acceptor = tokio_rustls::TlsAcceptor::from(cfg);
                                        let handshake = tokio::time::timeout(
                                            std::time::Duration::from_secs(10),
                                            acceptor.accept(tcp),
                                        )
                                        .await;
                                        if let Ok(Ok(stream)) = handshake {
                                            serve_connection(stream, shared).await;
                                        }
                                    }
                                    None => serve_connection(tcp, shared).await,
                                }
                            };
                            tokio::select! {
                                _ = serve => {}
                                _ = conn_stop.changed() => {}
                            }
                        });
                    }
                });
            }
        };
        let thread = match tokio::runtime::Handle::try_current() {
            Ok(handle) => {
                let _guard = handle.enter();
                run();
                None
            }
            Err(_) => {
                // Named, so that a test counting its own threads can tell the server's apart.
                let runtime = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .thread_name("mx-sim-rt")
                    .enable_all()
                    .build()
                    .map_err(SimError::Runtime)?;
                let mut stop_wait = stop.subscribe();
                Some(
                    std::thread::Builder::new()
                        .name("mx-sim".into())
                        .spawn(move || {
                            runtime.block_on(async move {
                                run();
                                let _ = stop_wait.changed().await;
                            });
                        })
                        .map_err(SimError::Runtime)?,
                )
            }
        };
        Ok(RunningServer {
            addrs,
            https,
            replay,
            service,
            log,
            faults,
            stop,
            thread,
        })
    }
}

impl RunningServer {
    /// The first listening address.
    pub fn addr(&self) -> SocketAddr {
        self.addrs
            .first()
            .copied()
            .unwrap_or(SocketAddr::from(([127, 0, 0, 1], 0)))
    }

    /// Every listening address.
    pub fn addrs(&self) -> &[SocketAddr] {
        &self.addrs
    }

    /// The URL of `endpoint` on the first address (`http://127.0.0.1:port/PowerShell`).
    pub fn url(&self, endpoint: Endpoint) -> String {
        let scheme = if self.https { "https" } else { "http" };
        format!("{scheme}://{}{}", self.addr(), endpoint.path())
    }

    /// The request log.
    pub fn request_log(&self) -> &Arc<RequestLog> {
        &self.log
    }

    /// The organisation, for assertions and direct changes.
    pub fn exchange(&self) -> std::sync::MutexGuard<'_, Exchange> {
        self.service
            .exchange()
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Shells open now.
    pub fn shell_count(&self) -> usize {
        self.service.shell_count()
    }

    /// With `--replay`: what the replay served so far, and where the clients' requests
    /// differed from the recorded ones.
    pub fn replay_report(&self) -> Option<(ReplayStats, Vec<Mismatch>)> {
        let replay = self.replay.as_ref()?;
        let replay = replay
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        Some((replay.stats(), replay.mismatches().to_vec()))
    }

    /// Replaces the fault plan (counters restart).
    pub fn set_faults(&self, plan: FaultPlan) {
        self.faults.set(plan);
    }

    /// Stops accepting and closes every connection.
    pub fn shutdown(mut self) {
        self.stop_now();
    }

    fn stop_now(&mut self) {
        let _ = self.stop.send(true);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        self.stop_now();
    }
}
