//! Errors of the WS-Management layer.

use super::fault::WsManFault;

/// Why an envelope could not be read, or the fault the peer answered with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WsmanError {
    /// The bytes are not well-formed XML.
    #[error("malformed XML at byte {position}: {detail}")]
    Malformed {
        /// Byte offset where the reader stopped.
        position: u64,
        /// The XML reader's description.
        detail: String,
    },
    /// Nesting deeper than the reader accepts; SOAP envelopes are shallow.
    #[error("XML nesting deeper than {limit} levels")]
    TooDeep {
        /// The depth limit.
        limit: usize,
    },
    /// More elements than the reader accepts in one envelope.
    #[error("more than {limit} XML elements")]
    TooManyElements {
        /// The element limit.
        limit: usize,
    },
    /// An element with more attributes (namespace declarations included) than the reader
    /// accepts; checking attribute names for duplicates costs the square of their number.
    #[error("an XML element with more than {limit} attributes")]
    TooManyAttributes {
        /// The attribute limit.
        limit: usize,
    },
    /// More namespace declarations in scope than the reader accepts; every prefixed name is
    /// looked up through all of them.
    #[error("more than {limit} XML namespace declarations in scope")]
    TooManyNamespaces {
        /// The declaration limit.
        limit: usize,
    },
    /// The root is not a SOAP 1.2 `Envelope`.
    #[error("not a SOAP 1.2 envelope: root element is {{{namespace}}}{name}")]
    NotAnEnvelope {
        /// Namespace URI of the root element (empty if none).
        namespace: String,
        /// Local name of the root element.
        name: String,
    },
    /// A required element is absent.
    #[error("missing element {element}")]
    MissingElement {
        /// Local name of the missing element.
        element: &'static str,
    },
    /// A required attribute is absent.
    #[error("missing attribute {attribute} on {element}")]
    MissingAttribute {
        /// Element the attribute belongs to.
        element: &'static str,
        /// Name of the missing attribute.
        attribute: &'static str,
    },
    /// The Action header names an operation this module does not handle.
    #[error("unknown action {0}")]
    UnknownAction(String),
    /// The body does not hold the element the action requires.
    #[error("expected body element {expected}, found {found}")]
    UnexpectedBody {
        /// The element the action requires.
        expected: &'static str,
        /// What the body holds (`{namespace}name`, or `nothing`).
        found: String,
    },
    /// A GUID field does not hold a GUID.
    #[error("{field} is not a GUID: {value:?}")]
    InvalidUuid {
        /// The field.
        field: &'static str,
        /// Its text.
        value: String,
    },
    /// A numeric field does not hold a number in range.
    #[error("{field} is not a valid number: {value:?}")]
    InvalidNumber {
        /// The field.
        field: &'static str,
        /// Its text.
        value: String,
    },
    /// A duration is not an `xs:duration` this module reads (days down to seconds).
    #[error("{field} is not a supported xs:duration: {value:?}")]
    InvalidDuration {
        /// The field.
        field: &'static str,
        /// Its text.
        value: String,
    },
    /// An element that carries base64 does not decode.
    #[error("{element} does not hold valid base64")]
    InvalidBase64 {
        /// The element.
        element: &'static str,
    },
    /// The peer answered with a SOAP fault ([MS-WSMV] 2.2.4.43).
    #[error("{0}")]
    Fault(Box<WsManFault>),
}
