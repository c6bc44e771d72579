//! The async client: a [`Session`] is one runspace pool in one WinRM shell, reached over one
//! [`crate::transport::Transport`], that runs commands and returns their objects and records.
//!
//! It drives the sans-IO layers: [`crate::psrp::RunspacePool`] decides what to send and what
//! arrived, [`crate::wsman`] wraps it in Create, Command, Send, Receive, Signal and Delete
//! envelopes ([MS-PSRP] 3.1.5.3), and the transport carries them.
//!
//! - [`options`]: where and how to connect ([`SessionOptions`], [`Endpoint`]).
//! - [`invocation`]: what to run, with SecureString parameters ([`Invocation`], [`Command`]),
//!   an explicit [`ResultSize`], and `-Confirm:$false` for the cmdlets Exchange prompts for.
//! - [`result`]: what comes back ([`CommandResult`], [`StreamItem`]).
//! - [`cancel`]: stopping a running command from elsewhere ([`CancelHandle`]).
//! - [`jump_host`]: reaching Exchange through the WinRM service when only 5986 is open
//!   ([`SessionOptions::jump_host`], [`JumpHost`]).
//! - [`error`]: the [`SessionError`] of every operation.
//! - [`error_kind`]: the stable [`ErrorKind`] each error maps to; [`SessionError::hint`] says
//!   what an administrator can change.
//! - [`session`]: [`Session`] and [`InvokeStream`].
//! - [`blocking`]: [`BlockingSession`], the same for hosts without an async runtime.
//! - [`pool`]: [`Pool`], sessions shared by many callers over several servers, with
//!   [`pool_options`] ([`PoolOptions`]), [`failover`] (which server) and [`retry`] (when a
//!   failed command is sent again).
//! - [`blocking_pool`]: [`BlockingPool`], the pool for hosts without an async runtime.
//!
//! ```no_run
//! use monosync_exchange::exchange::{Command, Session, SessionOptions, StreamItem};
//! use monosync_exchange::transport::{AuthMethod, Credentials};
//!
//! # async fn run() -> Result<(), monosync_exchange::exchange::SessionError> {
//! let options = SessionOptions::exchange(
//!     "http://ex01.corp.example/PowerShell/",
//!     AuthMethod::Kerberos,
//!     Credentials::new("svc-provision@CORP.EXAMPLE", "secret"),
//! );
//! let mut session = Session::connect(options).await?;
//! let result = session
//!     .invoke(Command::new("Get-Mailbox").param("Identity", "ann@corp.example"))
//!     .await?;
//! for mailbox in &result.output {
//!     println!("{:?}", mailbox.property("PrimarySmtpAddress"));
//! }
//! session
//!     .invoke(
//!         Command::new("New-Mailbox")
//!             .param("Name", "Bob")
//!             .param("UserPrincipalName", "bob@corp.example")
//!             .secure("Password", "Initial!Passw0rd"),
//!     )
//!     .await?;
//! let mut stream = session
//!     .invoke_stream(Command::new("Get-Mailbox").param("ResultSize", "Unlimited"))
//!     .await?;
//! while let Some(item) = stream.next().await {
//!     if let StreamItem::Output(mailbox) = item? {
//!         let _ = mailbox;
//!     }
//! }
//! drop(stream);
//! session.close().await
//! # }
//! ```

pub mod blocking;
pub mod blocking_pool;
pub mod cancel;
pub mod error;
pub mod error_kind;
pub mod failover;
mod hint;
pub mod invocation;
pub mod jump_host;
pub mod option_table;
pub mod options;
pub mod pool;
pub mod pool_options;
pub mod result;
pub mod retry;
pub mod session;

pub use blocking::{BlockingSession, BlockingStream};
pub use blocking_pool::{BlockingPool, BlockingPoolStream};
pub use cancel::CancelHandle;
pub use error::{PipelineFailure, SessionError};
pub use error_kind::{ErrorKind, failure_category, is_confirmation_prompt};
pub use invocation::{Arg, Command, Invocation, ParamValue, ResultSize, prompts_for_confirmation};
pub use jump_host::{BootstrapFailure, JumpHost, RemoteAuthentication};
pub use options::{DEFAULT_OPEN_TIMEOUT, Endpoint, SessionOptions};
pub use pool::{Pool, PoolStats, PoolStream};
pub use pool_options::{DEFAULT_POOL_SESSIONS, MAX_POOL_SESSIONS, PoolOptions};
pub use result::{CommandResult, RoundTrips, StreamItem, is_truncation_warning};
pub use retry::RetryPolicy;
pub use session::{InvokeStream, Session};
