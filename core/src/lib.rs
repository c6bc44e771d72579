//! monosync-exchange: manage on-premises Exchange Server over WS-Management and the PowerShell
//! Remoting Protocol, from any platform, in-process.
//!
//! The protocol layers are sans-IO: they take bytes and return events and bytes, and never touch a
//! socket or a clock.
//!
//! - [`clixml`]: the object model PSRP carries, and its XML reader and writer.
//! - [`psrp`]: fragments, messages, and the runspace-pool and pipeline state machines.
//! - [`wsman`]: SOAP envelopes for the WinRM shell operations, their responses and faults.
//! - [`command`]: what a caller runs ([`command::Invocation`]) and what comes back
//!   ([`command::CommandResult`]); [`error`]: the [`error::SessionError`] of every operation and
//!   its stable [`error::ErrorKind`].
//! - [`winrs`]: the WinRS shell that carries a runspace pool, both sides as sans-IO machines:
//!   which operation each PSRP step takes, requests out and responses in.
//! - [`exchange`]: the async [`exchange::Session`] and [`exchange::Pool`] that run commands over
//!   the layers below, and their blocking forms; the crate's public face, which re-exports the
//!   vocabulary of [`command`] and [`error`].
//! - [`transport`]: HTTP over one owned connection, TLS, authentication and message encryption.
//! - [`option_table`]: every option once, with its name in each binding and its default; the
//!   layers read their defaults from it.
//!
//! Each layer uses only those listed before it (and [`transport`]), never one after it.
#![forbid(unsafe_code)]
#![warn(missing_docs, unreachable_pub)]

pub mod clixml;
pub mod command;
pub mod error;
pub mod exchange;
pub mod option_table;
pub mod psrp;
pub mod recording;
pub mod server_text;
pub mod transport;
pub mod winrs;
pub mod wsman;
