//! The PowerShell Remoting Protocol ([MS-PSRP]), sans-IO.
//!
//! - [`fragment`]: splitting messages into fragments and packing them into stream payloads, and
//!   reassembling them ([MS-PSRP] 2.2.4).
//! - [`message`]: the message header ([MS-PSRP] 2.2.1) and [`RawMessage`].
//! - [`messages`]: typed message bodies and [`PsrpMessage`] (2.2.2, 2.2.3).
//! - [`crypto`]: the session-key exchange and SecureString encryption (3.1.5.4.5).
//! - [`error`]: [`PsrpError`] and its parts.
//!
//! The state machines on top, after quinn-proto: bytes in with `receive`, commands that only
//! queue, and `poll_transmit` / `poll_event` out.
//!
//! - [`client`]: the client [`RunspacePool`] and its pipelines ([MS-PSRP] 3.1).
//! - [`server`]: the [`ServerRunspacePool`] a simulator answers with ([MS-PSRP] 3.2).
//! - [`command`]: [`PowerShellSpec`] and [`Command`], what a pipeline runs.
//! - [`host`]: the answers of a client without an interactive user to host calls.
//! - [`outbox`]: the queue both sides send from, cut into [`Transmit`]s of at most a given size.
//! - [`events`], [`state_error`]: what the machines report and refuse.

pub mod crypto;
pub mod error;
pub mod fragment;
pub mod message;
pub mod messages;

pub use crypto::{ExchangePublicKey, KeyExchange, SessionKey};
pub use error::{CryptoError, FragmentError, PsrpError};
pub use fragment::{Defragmenter, Fragment, Fragmenter};
pub use message::{Destination, MessageType, RawMessage};
pub use messages::{PSInvocationState, PsrpMessage, RunspacePoolState};

pub mod client;
mod codec;
pub mod command;
pub mod events;
pub mod host;
pub mod outbox;
pub mod server;
pub mod state_error;
#[cfg(test)]
mod tests;

pub use client::{RunspacePool, RunspacePoolOptions};
pub use command::{Command, MergeOptions, Parameter, PowerShellSpec};
pub use events::{Event, ServerEvent};
pub use outbox::{StreamName, Transmit, TransmitPurpose};
pub use server::{ServerOptions, ServerRunspacePool};
pub use state_error::StateError;
