//! End-to-end tests of `monosync_exchange::exchange::Session` against the `mx_sim` simulator
//! over loopback sockets; the tests live in `tests/`. The crate exists because the core cannot
//! take the simulator as a dev-dependency: the simulator depends on the core.
#![forbid(unsafe_code)]
