//! The async client: a [`Session`] is one runspace pool in one WinRM shell, reached over one
//! [`crate::transport::Transport`], that runs commands and returns their objects and records.
//!
//! It drives the sans-IO layers: [`crate::psrp::RunspacePool`] decides what to send and what
//! arrived, [`crate::winrs::client::ShellClient`] puts it in Create, Command, Send, Receive,
//! Signal and Delete envelopes of [`crate::wsman`] ([MS-PSRP] 3.1.5.3) and decides the next
//! one, and the transport carries them.
//!
//! - [`options`]: where and how to connect ([`SessionOptions`], [`Endpoint`]), and
//!   [`options::jump_host`]: reaching Exchange through the WinRM service when only 5986 is open
//!   ([`SessionOptions::jump_host`], [`JumpHost`]).
//! - [`invocation`]: what to run, with SecureString parameters ([`Invocation`], [`Command`]),
//!   an explicit [`ResultSize`], and `-Confirm:$false` for the cmdlets Exchange prompts for.
//! - [`result`]: what comes back ([`CommandResult`], [`StreamItem`]).
//! - [`invoke`]: one way to run commands on a session or a pool, async ([`Invoke`]) or
//!   blocking ([`BlockingInvoke`]).
//! - [`collect`]: a command's items made into a [`CommandResult`] ([`Collector`]).
//! - [`cancel`]: stopping a running command from elsewhere ([`CancelHandle`]).
//! - [`error`]: the [`SessionError`] of every operation, and [`error::kind`]: the stable
//!   [`ErrorKind`] each error maps to; [`SessionError::hint`] says what an administrator can
//!   change.
//! - [`session`]: [`Session`] and [`InvokeStream`]; [`session::blocking`]: [`BlockingSession`],
//!   the same for hosts without an async runtime.
//! - [`pool`]: [`Pool`], sessions shared by many callers over several servers, with
//!   [`pool::options`] ([`PoolOptions`]), [`pool::failover`] (which server) and [`pool::retry`]
//!   (when a failed command is sent again); [`pool::blocking`]: [`BlockingPool`], the pool for
//!   hosts without an async runtime.
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

pub mod cancel;
pub mod collect;
pub mod invoke;
pub mod options;
pub mod pool;
pub mod session;

pub use crate::command::{invocation, result};
pub use crate::error;

pub use cancel::CancelHandle;
pub use collect::Collector;
pub use error::{
    BootstrapFailure, ErrorKind, PipelineFailure, SessionError, failure_category,
    is_confirmation_prompt,
};
pub use invocation::{Arg, Command, Invocation, ParamValue, ResultSize, prompts_for_confirmation};
pub use invoke::{BlockingInvoke, Invoke, ItemStream};
pub use options::{DEFAULT_OPEN_TIMEOUT, Endpoint, JumpHost, RemoteAuthentication, SessionOptions};
pub use pool::{
    BlockingPool, BlockingPoolStream, DEFAULT_POOL_SESSIONS, MAX_POOL_SESSIONS, Pool, PoolOptions,
    PoolStats, PoolStream, RetryPolicy,
};
pub use result::{CommandResult, RoundTrips, StreamItem, is_truncation_warning};
pub use session::{BlockingSession, BlockingStream, InvokeStream, Session};
