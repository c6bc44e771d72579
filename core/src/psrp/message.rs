//! The PSRP message header ([MS-PSRP] 2.2.1): destination, message type, runspace pool id and
//! pipeline id in front of a CLIXML body.

use uuid::Uuid;

use super::error::PsrpError;

/// Who a message is for ([MS-PSRP] 2.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum Destination {
    /// The client.
    Client = 1,
    /// The server.
    Server = 2,
}

impl Destination {
    /// The wire number.
    pub fn value(self) -> u32 {
        self as u32
    }

    /// The destination for a wire number.
    pub fn from_value(v: u32) -> Result<Self, PsrpError> {
        match v {
            1 => Ok(Destination::Client),
            2 => Ok(Destination::Server),
            other => Err(PsrpError::UnknownDestination(other)),
        }
    }
}

macro_rules! message_types {
    ($($(#[$doc:meta])* $name:ident = $value:literal,)*) => {
        /// Every PSRP message type with its number ([MS-PSRP] 2.2.1).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[repr(u32)]
        pub enum MessageType {
            $($(#[$doc])* $name = $value,)*
        }

        impl MessageType {
            /// Every message type, in number order of the spec's table.
            pub const ALL: &'static [MessageType] = &[$(MessageType::$name,)*];

            /// The message type for a wire number.
            pub fn from_value(v: u32) -> Result<Self, PsrpError> {
                match v {
                    $($value => Ok(MessageType::$name),)*
                    other => Err(PsrpError::UnknownMessageType(other)),
                }
            }
        }
    };
}

message_types! {
    /// SESSION_CAPABILITY (2.2.2.1).
    SessionCapability = 0x0001_0002,
    /// INIT_RUNSPACEPOOL (2.2.2.2).
    InitRunspacePool = 0x0001_0004,
    /// PUBLIC_KEY (2.2.2.3).
    PublicKey = 0x0001_0005,
    /// ENCRYPTED_SESSION_KEY (2.2.2.4).
    EncryptedSessionKey = 0x0001_0006,
    /// PUBLIC_KEY_REQUEST (2.2.2.5).
    PublicKeyRequest = 0x0001_0007,
    /// CONNECT_RUNSPACEPOOL (2.2.2.32).
    ConnectRunspacePool = 0x0001_0008,
    /// SET_MAX_RUNSPACES (2.2.2.6).
    SetMaxRunspaces = 0x0002_1002,
    /// SET_MIN_RUNSPACES (2.2.2.7).
    SetMinRunspaces = 0x0002_1003,
    /// RUNSPACE_AVAILABILITY (2.2.2.8).
    RunspaceAvailability = 0x0002_1004,
    /// RUNSPACEPOOL_STATE (2.2.2.9).
    RunspacePoolState = 0x0002_1005,
    /// CREATE_PIPELINE (2.2.2.10).
    CreatePipeline = 0x0002_1006,
    /// GET_AVAILABLE_RUNSPACES (2.2.2.11).
    GetAvailableRunspaces = 0x0002_1007,
    /// USER_EVENT (2.2.2.12).
    UserEvent = 0x0002_1008,
    /// APPLICATION_PRIVATE_DATA (2.2.2.13).
    ApplicationPrivateData = 0x0002_1009,
    /// GET_COMMAND_METADATA (2.2.2.14).
    GetCommandMetadata = 0x0002_100A,
    /// RUNSPACEPOOL_INIT_DATA (2.2.2.33).
    RunspacePoolInitData = 0x0002_100B,
    /// RESET_RUNSPACE_STATE (2.2.2.34).
    ResetRunspaceState = 0x0002_100C,
    /// RUNSPACEPOOL_HOST_CALL (2.2.2.15).
    RunspacePoolHostCall = 0x0002_1100,
    /// RUNSPACEPOOL_HOST_RESPONSE (2.2.2.16).
    RunspacePoolHostResponse = 0x0002_1101,
    /// PIPELINE_INPUT (2.2.2.17).
    PipelineInput = 0x0004_1002,
    /// END_OF_PIPELINE_INPUT (2.2.2.18).
    EndOfPipelineInput = 0x0004_1003,
    /// PIPELINE_OUTPUT (2.2.2.19).
    PipelineOutput = 0x0004_1004,
    /// ERROR_RECORD (2.2.2.20).
    ErrorRecord = 0x0004_1005,
    /// PIPELINE_STATE (2.2.2.21).
    PipelineState = 0x0004_1006,
    /// DEBUG_RECORD (2.2.2.22).
    DebugRecord = 0x0004_1007,
    /// VERBOSE_RECORD (2.2.2.23).
    VerboseRecord = 0x0004_1008,
    /// WARNING_RECORD (2.2.2.24).
    WarningRecord = 0x0004_1009,
    /// PROGRESS_RECORD (2.2.2.25).
    ProgressRecord = 0x0004_1010,
    /// INFORMATION_RECORD (2.2.2.26).
    InformationRecord = 0x0004_1011,
    /// PIPELINE_HOST_CALL (2.2.2.27).
    PipelineHostCall = 0x0004_1100,
    /// PIPELINE_HOST_RESPONSE (2.2.2.28).
    PipelineHostResponse = 0x0004_1101,
}

impl MessageType {
    /// The wire number.
    pub fn value(self) -> u32 {
        self as u32
    }

    /// Whether the message belongs to a pipeline rather than the runspace pool: the 0x0004xxxx
    /// range ([MS-PSRP] 2.2.1).
    pub fn is_pipeline_message(self) -> bool {
        self.value() & 0x000F_0000 == 0x0004_0000
    }
}

/// The length of the fixed header before the CLIXML body.
pub const HEADER_LEN: usize = 40;

/// One PSRP message with its CLIXML body still as bytes ([MS-PSRP] 2.2.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawMessage {
    /// Who the message is for.
    pub destination: Destination,
    /// What the body holds.
    pub message_type: MessageType,
    /// The runspace pool the message belongs to.
    pub runspace_pool_id: Uuid,
    /// The pipeline the message belongs to; nil for runspace-pool messages.
    pub pipeline_id: Uuid,
    /// The CLIXML body (Windows prefixes it with a UTF-8 BOM).
    pub data: Vec<u8>,
}

impl RawMessage {
    /// The wire form: destination and message type as u32 little-endian, then both ids in .NET
    /// `Guid.ToByteArray` order (first three fields little-endian), then the body.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(HEADER_LEN + self.data.len());
        self.encode_into(&mut out);
        out
    }

    /// Appends the wire form to `out`.
    pub fn encode_into(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.destination.value().to_le_bytes());
        out.extend_from_slice(&self.message_type.value().to_le_bytes());
        out.extend_from_slice(&self.runspace_pool_id.to_bytes_le());
        out.extend_from_slice(&self.pipeline_id.to_bytes_le());
        out.extend_from_slice(&self.data);
    }

    /// Parses a reassembled message blob.
    pub fn decode(blob: &[u8]) -> Result<Self, PsrpError> {
        let too_short = || PsrpError::MessageTooShort { len: blob.len() };
        let (header, data) = blob.split_at_checked(HEADER_LEN).ok_or_else(too_short)?;
        let (dest, rest) = header.split_first_chunk::<4>().ok_or_else(too_short)?;
        let (mtype, rest) = rest.split_first_chunk::<4>().ok_or_else(too_short)?;
        let (rpid, rest) = rest.split_first_chunk::<16>().ok_or_else(too_short)?;
        let (pid, _) = rest.split_first_chunk::<16>().ok_or_else(too_short)?;
        Ok(RawMessage {
            destination: Destination::from_value(u32::from_le_bytes(*dest))?,
            message_type: MessageType::from_value(u32::from_le_bytes(*mtype))?,
            runspace_pool_id: Uuid::from_bytes_le(*rpid),
            pipeline_id: Uuid::from_bytes_le(*pid),
            data: data.to_vec(),
        })
    }

    /// The pipeline id, or `None` when it is nil (a runspace-pool message).
    pub fn pipeline(&self) -> Option<Uuid> {
        (!self.pipeline_id.is_nil()).then_some(self.pipeline_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_round_trips_its_number() {
        assert_eq!(MessageType::ALL.len(), 31);
        for t in MessageType::ALL {
            assert_eq!(MessageType::from_value(t.value()).unwrap(), *t);
        }
        assert_eq!(MessageType::PipelineHostResponse.value(), 0x0004_1101);
        assert!(MessageType::ProgressRecord.is_pipeline_message());
        assert!(!MessageType::CreatePipeline.is_pipeline_message());
    }

    #[test]
    fn unknown_type_and_destination_are_errors() {
        assert!(matches!(
            MessageType::from_value(0x0004_1012),
            Err(PsrpError::UnknownMessageType(0x0004_1012))
        ));
        assert!(matches!(
            Destination::from_value(3),
            Err(PsrpError::UnknownDestination(3))
        ));
    }

    #[test]
    fn header_uses_dotnet_guid_order() {
        let rpid = Uuid::parse_str("00112233-4455-6677-8899-aabbccddeeff").unwrap();
        let m = RawMessage {
            destination: Destination::Server,
            message_type: MessageType::SessionCapability,
            runspace_pool_id: rpid,
            pipeline_id: Uuid::nil(),
            data: b"<Obj/>".to_vec(),
        };
        let bytes = m.encode();
        assert_eq!(&bytes[..8], &[2, 0, 0, 0, 2, 0, 1, 0]);
        assert_eq!(
            &bytes[8..24],
            &[
                0x33, 0x22, 0x11, 0x00, 0x55, 0x44, 0x77, 0x66, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd,
                0xee, 0xff
            ]
        );
        let back = RawMessage::decode(&bytes).unwrap();
        assert_eq!(back, m);
        assert_eq!(back.pipeline(), None);
    }

    proptest::proptest! {
        #[test]
        fn header_round_trips(
            dest in proptest::sample::select(vec![Destination::Client, Destination::Server]),
            mt in proptest::sample::select(MessageType::ALL.to_vec()),
            rpid: u128,
            pid: u128,
            data in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..64),
        ) {
            let m = RawMessage {
                destination: dest,
                message_type: mt,
                runspace_pool_id: Uuid::from_u128(rpid),
                pipeline_id: Uuid::from_u128(pid),
                data,
            };
            proptest::prop_assert_eq!(RawMessage::decode(&m.encode()).unwrap(), m);
        }

        #[test]
        fn arbitrary_bytes_never_panic(
            bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..120),
        ) {
            if let Ok(raw) = RawMessage::decode(&bytes) {
                let _ = crate::psrp::PsrpMessage::decode(&raw);
            }
        }
    }

    #[test]
    fn short_blob_is_an_error() {
        assert!(matches!(
            RawMessage::decode(&[1, 0, 0, 0]),
            Err(PsrpError::MessageTooShort { len: 4 })
        ));
        let mut bytes = vec![0u8; 40];
        bytes[0] = 2;
        bytes[4..8].copy_from_slice(&0x1234u32.to_le_bytes());
        assert!(matches!(
            RawMessage::decode(&bytes),
            Err(PsrpError::UnknownMessageType(0x1234))
        ));
    }
}
