//! mx-sim: an on-premises Exchange Server organisation held in memory.
//!
//! [`exchange`] holds the directory (users, mailboxes, contacts, groups, permissions, databases),
//! the recipient cmdlets with PowerShell's parameter binding, Exchange's error records and RBAC.
//! The network side (WS-Management, PSRP) sits on top and hands every pipeline's command to
//! [`exchange::Exchange::invoke_as`].
#![forbid(unsafe_code)]
#![warn(missing_docs, unreachable_pub)]
// An error record is built at most a few times per command and moved straight into the result;
// boxing it on every `?` would add allocations and noise for no gain.
#![allow(clippy::result_large_err)]

pub mod exchange;
