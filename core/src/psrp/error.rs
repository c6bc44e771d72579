//! Errors of the PSRP wire layer: fragments ([MS-PSRP] 2.2.4), message headers (2.2.1), message
//! bodies (2.2.2, 2.2.3) and the session-key exchange (3.1.5.4.5).

use crate::clixml::ClixmlError;

use super::message::MessageType;

/// Why PSRP bytes could not be decoded or encoded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PsrpError {
    /// The fragment layer rejected the bytes ([MS-PSRP] 2.2.4).
    #[error(transparent)]
    Fragment(#[from] FragmentError),
    /// A message header holds a message type [MS-PSRP] 2.2.1 does not define.
    #[error("unknown PSRP message type 0x{0:08X}")]
    UnknownMessageType(u32),
    /// A message header holds a destination other than client (1) or server (2).
    #[error("unknown PSRP destination {0}")]
    UnknownDestination(u32),
    /// A message blob shorter than its 40-byte header ([MS-PSRP] 2.2.1).
    #[error("PSRP message of {len} bytes is shorter than its 40-byte header")]
    MessageTooShort {
        /// The blob length.
        len: usize,
    },
    /// A property the message requires is absent.
    #[error("{message_type:?} message lacks property {property}")]
    MissingProperty {
        /// The message being decoded.
        message_type: MessageType,
        /// The property name as on the wire.
        property: &'static str,
    },
    /// A property is present but does not have the type or value the message requires.
    #[error("{message_type:?} message has an invalid {property}: expected {expected}")]
    InvalidProperty {
        /// The message being decoded.
        message_type: MessageType,
        /// The property name as on the wire.
        property: &'static str,
        /// What the property should have been.
        expected: &'static str,
    },
    /// The session-key exchange or a SecureString failed.
    #[error(transparent)]
    Crypto(#[from] CryptoError),
    /// The message body is not valid CLIXML.
    #[error("message body: {0}")]
    Clixml(#[from] ClixmlError),
}

/// Why a fragment stream was rejected ([MS-PSRP] 2.2.4).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FragmentError {
    /// Fewer bytes than the 21-byte fragment header.
    #[error("fragment header truncated: {available} of 21 bytes")]
    TruncatedHeader {
        /// Bytes left in the payload.
        available: usize,
    },
    /// The header declares more blob bytes than the payload holds.
    #[error("fragment of object {object_id} declares {declared} blob bytes, {available} present")]
    TruncatedBlob {
        /// The message's object id.
        object_id: u64,
        /// The declared blob length.
        declared: u32,
        /// Bytes left in the payload.
        available: usize,
    },
    /// A fragment id other than the next expected one for its object.
    #[error("object {object_id}: fragment {got} where {expected} was expected")]
    FragmentIdGap {
        /// The message's object id.
        object_id: u64,
        /// The id that should have come next.
        expected: u64,
        /// The id that came.
        got: u64,
    },
    /// A fragment for an object never started (no start flag seen), or a first fragment with an id
    /// other than 0.
    #[error("object {object_id}: fragment {fragment_id} without a start fragment")]
    MissingStart {
        /// The message's object id.
        object_id: u64,
        /// The fragment's id.
        fragment_id: u64,
    },
    /// A start fragment for an object that is already being reassembled.
    #[error("object {object_id} started twice")]
    DuplicateStart {
        /// The message's object id.
        object_id: u64,
    },
    /// The reassembled message would exceed the configured cap.
    #[error("object {object_id} exceeds the {limit}-byte message limit")]
    MessageTooLarge {
        /// The message's object id.
        object_id: u64,
        /// The configured cap.
        limit: usize,
    },
    /// The partly received messages together would exceed the configured cap (many messages
    /// started and never finished).
    #[error("partly received messages exceed the {limit}-byte buffer limit")]
    BufferLimit {
        /// The configured cap.
        limit: usize,
    },
    /// A fragment size too small to carry the 21-byte header and one blob byte.
    #[error("fragment size {0} leaves no room for data (minimum 22)")]
    FragmentSizeTooSmall(usize),
}

/// Why the session-key exchange or a SecureString failed ([MS-PSRP] 3.1.5.4.5, 2.2.5.1.24).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CryptoError {
    /// A key blob that is not valid base64.
    #[error("key blob is not valid base64")]
    Base64,
    /// A key blob whose header or length does not match the expected CryptoAPI structure.
    #[error("malformed {blob} key blob: {reason}")]
    MalformedBlob {
        /// `PUBLICKEYBLOB` or `SIMPLEBLOB`.
        blob: &'static str,
        /// Which check failed.
        reason: &'static str,
    },
    /// RSA key generation, encryption or decryption failed.
    #[error("RSA operation failed: {0}")]
    Rsa(#[from] rsa::Error),
    /// The decrypted session key is not 32 bytes (AES-256).
    #[error("session key of {0} bytes, expected 32")]
    SessionKeyLength(usize),
    /// A SecureString ciphertext whose length is not a positive multiple of 16, or whose padding
    /// is wrong (wrong key, or corrupted data).
    #[error("SecureString ciphertext does not decrypt (bad length or padding)")]
    BadCiphertext,
    /// A decrypted SecureString that is not valid UTF-16.
    #[error("SecureString plaintext is not valid UTF-16")]
    BadPlaintext,
}
