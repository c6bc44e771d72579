//! WS-Management for the WinRM shell ([MS-WSMV]), sans-IO.
//!
//! Both directions: a client builds [`Request`] envelopes and parses [`Response`]s and
//! [`WsManFault`]s; a server parses requests and builds responses and faults. Stream payloads
//! (creationXml, Arguments, Stream data) are raw bytes in this API; base64 stays inside.
//!
//! Envelopes are read into a namespace-resolved tree ([`xml`]), so any prefixes work, and
//! written event by event with quick-xml, which escapes every value. [`max_stream_payload`]
//! tells the PSRP layer how large a fragment may be for a given MaxEnvelopeSize.

pub mod error;
pub mod fault;
pub mod header;
pub mod namespaces;
pub mod request;
pub mod response;
pub mod stream;
pub mod xml;

pub use error::WsmanError;
pub use fault::WsManFault;
pub use header::{Header, ResponseHeader, Selector, WsOption};
pub use request::Request;
pub use response::{CommandState, CommandStateKind, ReceiveResponse, Response};
pub use stream::{
    DEFAULT_MAX_ENVELOPE_SIZE, ENVELOPE_OVERHEAD, StreamData, max_stream_payload, send_overhead,
};
