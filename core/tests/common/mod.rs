//! Helpers shared by the integration tests: reading `shared/fixtures`, and a loopback WinRM-like
//! server for the transport tests.
// Each test crate uses only part of this module.
#![allow(dead_code)]

pub mod captures;
pub mod fixtures;
pub mod messages;
pub mod transport;
