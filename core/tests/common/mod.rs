//! Reading of `shared/fixtures` shared by the integration tests.
// Each test crate uses only part of this module.
#![allow(dead_code)]

pub mod captures;
pub mod fixtures;
pub mod messages;
