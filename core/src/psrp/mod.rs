//! The PowerShell Remoting Protocol ([MS-PSRP]), sans-IO.
//!
//! - [`fragment`]: splitting messages into fragments and packing them into stream payloads, and
//!   reassembling them ([MS-PSRP] 2.2.4).
//! - [`message`]: the message header ([MS-PSRP] 2.2.1) and [`RawMessage`].
//! - [`messages`]: typed message bodies and [`PsrpMessage`] (2.2.2, 2.2.3).
//! - [`crypto`]: the session-key exchange and SecureString encryption (3.1.5.4.5).
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
