//! Session negotiation and key exchange messages ([MS-PSRP] 2.2.2.1, 2.2.2.3-2.2.2.5).

use crate::clixml::{Property, PsValue, PsVersion};

use super::super::error::PsrpError;
use super::super::message::MessageType;
use super::props::{Props, note_object};

/// SESSION_CAPABILITY ([MS-PSRP] 2.2.2.1): the versions each side speaks, sent first by both.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionCapability {
    /// The PSRP protocol version (`protocolversion`): 2.1, 2.2 or 2.3.
    pub protocol_version: PsVersion,
    /// The PowerShell version (`PSVersion`).
    pub ps_version: PsVersion,
    /// The serialization version (`SerializationVersion`), 1.1.0.1 in practice.
    pub serialization_version: PsVersion,
    /// The client's time zone as a serialized `System.TimeZone` (`TimeZone`), when sent.
    pub time_zone: Option<Vec<u8>>,
}

impl SessionCapability {
    /// The versions Windows PowerShell 5.1 announces: protocol 2.3, PowerShell 2.0,
    /// serialization 1.1.0.1, no time zone.
    pub fn current() -> Self {
        SessionCapability {
            protocol_version: PsVersion {
                major: 2,
                minor: 3,
                build: None,
                revision: None,
            },
            ps_version: PsVersion {
                major: 2,
                minor: 0,
                build: None,
                revision: None,
            },
            serialization_version: PsVersion {
                major: 1,
                minor: 1,
                build: Some(0),
                revision: Some(1),
            },
            time_zone: None,
        }
    }

    /// The body.
    pub fn to_clixml(&self) -> PsValue {
        let mut props = vec![
            Property::new("protocolversion", PsValue::Version(self.protocol_version)),
            Property::new("PSVersion", PsValue::Version(self.ps_version)),
            Property::new(
                "SerializationVersion",
                PsValue::Version(self.serialization_version),
            ),
        ];
        if let Some(tz) = &self.time_zone {
            props.push(Property::new("TimeZone", PsValue::Bytes(tz.clone())));
        }
        note_object(props)
    }

    /// Parses the body.
    pub fn from_clixml(v: &PsValue) -> Result<Self, PsrpError> {
        let p = Props::of(MessageType::SessionCapability, v)?;
        let time_zone = match p.opt("TimeZone") {
            None => None,
            Some(PsValue::Bytes(b)) => Some(b.clone()),
            Some(_) => return Err(p.invalid("TimeZone", "a byte array")),
        };
        Ok(SessionCapability {
            protocol_version: p.version("protocolversion")?,
            ps_version: p.version("PSVersion")?,
            serialization_version: p.version("SerializationVersion")?,
            time_zone,
        })
    }
}

/// PUBLIC_KEY ([MS-PSRP] 2.2.2.3): the client's RSA public key, a base64 `PUBLICKEYBLOB` (see
/// [`crate::psrp::KeyExchange`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey {
    /// The base64 text of the key blob.
    pub public_key: String,
}

impl PublicKey {
    /// The body.
    pub fn to_clixml(&self) -> PsValue {
        note_object(vec![Property::new("PublicKey", self.public_key.as_str())])
    }

    /// Parses the body.
    pub fn from_clixml(v: &PsValue) -> Result<Self, PsrpError> {
        let p = Props::of(MessageType::PublicKey, v)?;
        Ok(PublicKey {
            public_key: p.string("PublicKey")?,
        })
    }
}

/// ENCRYPTED_SESSION_KEY ([MS-PSRP] 2.2.2.4): the session key encrypted with the client's public
/// key, a base64 `SIMPLEBLOB`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncryptedSessionKey {
    /// The base64 text of the key blob.
    pub encrypted_session_key: String,
}

impl EncryptedSessionKey {
    /// The body.
    pub fn to_clixml(&self) -> PsValue {
        note_object(vec![Property::new(
            "EncryptedSessionKey",
            self.encrypted_session_key.as_str(),
        )])
    }

    /// Parses the body.
    pub fn from_clixml(v: &PsValue) -> Result<Self, PsrpError> {
        let p = Props::of(MessageType::EncryptedSessionKey, v)?;
        Ok(EncryptedSessionKey {
            encrypted_session_key: p.string("EncryptedSessionKey")?,
        })
    }
}

/// PUBLIC_KEY_REQUEST ([MS-PSRP] 2.2.2.5): the server asks the client to start the key exchange.
/// The body is an empty string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PublicKeyRequest;

impl PublicKeyRequest {
    /// The body.
    pub fn to_clixml(&self) -> PsValue {
        PsValue::String(String::new())
    }

    /// Parses the body: any string (Windows sends an empty one).
    pub fn from_clixml(v: &PsValue) -> Result<Self, PsrpError> {
        match v.as_str() {
            Some(_) => Ok(PublicKeyRequest),
            None => Err(PsrpError::InvalidProperty {
                message_type: MessageType::PublicKeyRequest,
                property: "(body)",
                expected: "a string",
            }),
        }
    }
}
