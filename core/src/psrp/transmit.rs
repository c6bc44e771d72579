//! What the state machines hand to the transport: fragment bytes addressed to the pool or one
//! pipeline ([MS-PSRP] 2.2.4 fragments; [MS-PSRP] 3.1.5.3 mapping onto WS-Management).

use std::collections::VecDeque;

use uuid::Uuid;

/// The smallest useful `max_len`: a 21-byte fragment header plus one byte of message.
pub const MIN_TRANSMIT_LEN: usize = 22;

/// Bytes of a fragment header ([MS-PSRP] 2.2.4): object id, fragment id, flags, blob length.
const FRAGMENT_HEADER_LEN: usize = 21;

/// The WS-Management stream a payload belongs to ([MS-PSRP] 3.1.5.3.5): `stdin` for ordinary
/// data, `pr` for host responses, which the server reads even while its input is blocked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StreamName {
    /// `stdin`: every message but host responses.
    Stdin,
    /// `pr` (prompt response): host responses.
    PromptResponse,
}

impl StreamName {
    /// The stream name as WS-Management writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            StreamName::Stdin => "stdin",
            StreamName::PromptResponse => "pr",
        }
    }
}

/// Which WS-Management operation carries a [`Transmit`] ([MS-PSRP] 3.1.5.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransmitPurpose {
    /// The first payload of the pool: it goes base64-encoded in the `creationXml` of the
    /// WS-Management Create (3.1.5.3.1). It holds SESSION_CAPABILITY and INIT_RUNSPACEPOOL.
    CreateShell,
    /// The first payload of a pipeline: it goes in the `Arguments` of the WS-Management Command
    /// whose `CommandId` is the pipeline id (3.1.5.3.3). It holds only CREATE_PIPELINE
    /// fragments; any rest of that message follows as ordinary [`TransmitPurpose::Send`] data.
    CreateCommand,
    /// A WS-Management Send on [`Transmit::stream`] (3.1.5.3.5), to the shell when
    /// `pipeline_id` is `None`, otherwise to that command.
    Send,
    /// Server side: data for the Receive response of the shell (`pipeline_id` `None`) or of
    /// one command ([MS-PSRP] 3.2.5.3.7).
    Receive,
}

/// One payload for the transport: whole fragments, all for the same target and stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmit {
    /// The pipeline (WS-Management command id) the data is for, `None` for the pool (shell).
    pub pipeline_id: Option<Uuid>,
    /// The stream the data goes to.
    pub stream: StreamName,
    /// Which operation carries it.
    pub purpose: TransmitPurpose,
    /// Raw fragment bytes; the transport base64-encodes them.
    pub data: Vec<u8>,
}

impl Transmit {
    /// Whether this payload creates a WS-Management command (goes in the Command's
    /// `Arguments`).
    pub fn is_command_creation(&self) -> bool {
        self.purpose == TransmitPurpose::CreateCommand
    }
}

/// One queued message being cut into fragments.
#[derive(Debug)]
struct Pending {
    pipeline_id: Option<Uuid>,
    stream: StreamName,
    /// The purpose of the message's first payload; later payloads are plain data.
    first_purpose: TransmitPurpose,
    object_id: u64,
    next_fragment_id: u64,
    message: Vec<u8>,
    sent: usize,
}

/// The send queue shared by client and server: messages in order, cut into fragments only
/// when the transport asks, so that each payload fits the size the transport chooses.
#[derive(Debug)]
pub(crate) struct Outbox {
    queue: VecDeque<Pending>,
    next_object_id: u64,
    data_purpose: TransmitPurpose,
}

impl Outbox {
    /// A queue whose ordinary payloads have `data_purpose` ([`TransmitPurpose::Send`] for a
    /// client, [`TransmitPurpose::Receive`] for a server).
    pub(crate) fn new(data_purpose: TransmitPurpose) -> Self {
        Outbox {
            queue: VecDeque::new(),
            next_object_id: 1,
            data_purpose,
        }
    }

    /// Queues one encoded message. `first_purpose` marks a message that creates the shell or a
    /// command; `None` means ordinary data.
    pub(crate) fn push(
        &mut self,
        pipeline_id: Option<Uuid>,
        stream: StreamName,
        first_purpose: Option<TransmitPurpose>,
        message: Vec<u8>,
    ) {
        let object_id = self.next_object_id;
        self.next_object_id += 1;
        self.queue.push_back(Pending {
            pipeline_id,
            stream,
            first_purpose: first_purpose.unwrap_or(self.data_purpose),
            object_id,
            next_fragment_id: 0,
            message,
            sent: 0,
        });
    }

    /// Drops every queued message for `pipeline_id` (the pipeline was ended).
    pub(crate) fn forget_pipeline(&mut self, pipeline_id: Uuid) {
        self.queue.retain(|p| p.pipeline_id != Some(pipeline_id));
    }

    /// The next payload of at most `max_len` bytes (raised to [`MIN_TRANSMIT_LEN`]). It packs
    /// fragments of consecutive messages while they share target, stream and purpose;
    /// a command-creation payload holds only CREATE_PIPELINE.
    pub(crate) fn poll(&mut self, max_len: usize) -> Option<Transmit> {
        // A fragment's length field is 32 bits; no envelope comes near that.
        let max_len = max_len.clamp(MIN_TRANSMIT_LEN, u32::MAX as usize);
        let head = self.queue.front()?;
        let pipeline_id = head.pipeline_id;
        let stream = head.stream;
        let purpose = if head.sent == 0 {
            head.first_purpose
        } else {
            self.data_purpose
        };
        let mut data = Vec::new();
        while let Some(pending) = self.queue.front_mut() {
            let this_purpose = if pending.sent == 0 {
                pending.first_purpose
            } else {
                self.data_purpose
            };
            if pending.pipeline_id != pipeline_id
                || pending.stream != stream
                || this_purpose != purpose
            {
                break;
            }
            let room = max_len.saturating_sub(data.len());
            if room < MIN_TRANSMIT_LEN {
                break;
            }
            let rest = pending.message.len() - pending.sent;
            let take = rest.min(room - FRAGMENT_HEADER_LEN);
            let start = pending.sent == 0;
            let end = take == rest;
            let chunk = &pending.message[pending.sent..pending.sent + take];
            data.extend_from_slice(&pending.object_id.to_be_bytes());
            data.extend_from_slice(&pending.next_fragment_id.to_be_bytes());
            data.push(u8::from(start) | (u8::from(end) << 1));
            data.extend_from_slice(&u32::try_from(take).unwrap_or(u32::MAX).to_be_bytes());
            data.extend_from_slice(chunk);
            pending.sent += take;
            pending.next_fragment_id += 1;
            if end {
                self.queue.pop_front();
            } else {
                break;
            }
            if purpose == TransmitPurpose::CreateCommand {
                // The Command's Arguments carry CREATE_PIPELINE alone.
                break;
            }
        }
        Some(Transmit {
            pipeline_id,
            stream,
            purpose,
            data,
        })
    }
}
