//! mx-sim: an on-premises Exchange Server organisation held in memory, served over a real
//! WinRM/PSRP endpoint.
//!
//! - [`exchange`]: the directory (users, mailboxes, contacts, groups, permissions, databases),
//!   the recipient cmdlets with PowerShell's parameter binding, Exchange's error records and RBAC.
//! - [`winrm`]: the WS-Management shell service ([MS-WSMV]) whose PSRP pipelines ([MS-PSRP]) run
//!   run through the PowerShell interpreter (`powershell`) over [`exchange::Exchange`].
//! - [`http`]: the HTTP(S) listener with Basic, NTLM, SPNEGO and Kerberos, message encryption
//!   and channel binding.
//! - [`Server::start`] puts it together; [`log`] and [`faults`] serve tests.
#![forbid(unsafe_code)]
#![warn(missing_docs, unreachable_pub)]
// An error record is built at most a few times per command and moved straight into the result;
// boxing it on every `?` would add allocations and noise for no gain.
#![allow(clippy::result_large_err)]

pub mod exchange;
pub mod faults;
pub mod http;
pub mod log;
mod powershell;
mod server;
pub mod winrm;

pub use faults::{FaultAction, FaultPlan, FaultRule};
pub use http::{AuthConfig, CbtLevel};
pub use server::{DEFAULT_SEED, RunningServer, Server, SimConfig};
pub use winrm::{Endpoint, ServiceConfig};

/// Why the simulator could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SimError {
    /// A listener address could not be bound.
    #[error("cannot listen on {0}: {1}")]
    Bind(std::net::SocketAddr, #[source] std::io::Error),
    /// The certificate or key is unusable.
    #[error("TLS: {0}")]
    Tls(String),
    /// The seed could not be loaded.
    #[error(transparent)]
    Seed(exchange::SeedError),
    /// The request log file could not be opened.
    #[error("request log {0}: {1}")]
    LogFile(std::path::PathBuf, #[source] std::io::Error),
    /// The server's own runtime or thread could not start.
    #[error("runtime: {0}")]
    Runtime(#[source] std::io::Error),
}
