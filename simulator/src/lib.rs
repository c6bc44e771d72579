//! mx-sim: an on-premises Exchange Server organisation held in memory.
//!
//! [`exchange`] holds the directory (users, mailboxes, contacts, groups, permissions, databases),
//! the recipient cmdlets with PowerShell's parameter binding, Exchange's error records and RBAC.
//! The network side (WS-Management, PSRP) sits on top and hands every pipeline's command to
//! [`exchange::Exchange::invoke_as`].
#![forbid(unsafe_code)]
#![warn(missing_docs, unreachable_pub)]

pub mod exchange;
