//! Helpers shared by the integration tests: reading `shared/fixtures`, a loopback WinRM-like
//! server for the transport tests, and the WinRS client and server machines paired in memory.
// Each test crate uses only part of this module.
#![allow(dead_code)]

pub mod captures;
pub mod exchange_host;
pub mod fixtures;
pub mod messages;
pub mod pairing;
pub mod transport;
