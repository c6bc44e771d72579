//! What a caller runs and what comes back: the vocabulary shared by the WinRS client machine
//! ([`crate::winrs::client`]) and the sessions and pools that drive it ([`crate::exchange`]).
//!
//! - [`invocation`]: what to run, with SecureString parameters ([`Invocation`], [`Command`]),
//!   an explicit [`ResultSize`], and `-Confirm:$false` for the cmdlets Exchange prompts for.
//! - [`result`]: what comes back ([`CommandResult`], [`StreamItem`]).

pub mod invocation;
pub mod result;

pub use invocation::{Arg, Command, Invocation, ParamValue, ResultSize, prompts_for_confirmation};
pub use result::{CommandResult, RoundTrips, StreamItem, is_truncation_warning};
