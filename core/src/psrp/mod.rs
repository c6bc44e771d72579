//! The PowerShell Remoting Protocol ([MS-PSRP]), sans-IO.
//!
//! - [`message`]: the message header ([MS-PSRP] 2.2.1) and [`RawMessage`].
//! - [`messages`]: typed message bodies and [`PsrpMessage`] (2.2.2, 2.2.3).
//! - [`error`]: [`PsrpError`] and its parts.

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
