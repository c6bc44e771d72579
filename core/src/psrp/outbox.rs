//! What the state machines hand to the transport: fragment bytes addressed to the pool or one
//! pipeline ([MS-PSRP] 2.2.4 fragments; [MS-PSRP] 3.1.5.3 mapping onto WS-Management).

use std::collections::VecDeque;

use uuid::Uuid;

use super::fragment::Fragment;

/// The smallest useful `max_len`: a 21-byte fragment header plus one byte of message.
pub const MIN_TRANSMIT_LEN: usize = 22;

/// Bytes of a fragment header ([MS-PSRP] 2.2.4): object id, fragment id, flags, blob length.
const FRAGMENT_HEADER_LEN: usize = 21;

/// The WS-Management stream a payload belongs to ([MS-PSRP] 3.1.5.3): a client sends `stdin`
/// for ordinary data and `pr` for host responses, which the server reads even while its input
/// is blocked; a server answers on `stdout`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StreamName {
    /// `stdin`: every message but host responses.
    Stdin,
    /// `pr` (prompt response): host responses.
    PromptResponse,
    /// `stdout`: everything a server sends.
    Stdout,
}

impl StreamName {
    /// The stream name as WS-Management writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            StreamName::Stdin => "stdin",
            StreamName::PromptResponse => "pr",
            StreamName::Stdout => "stdout",
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
    /// whose `CommandId` is the pipeline id (3.1.5.3). It holds only CREATE_PIPELINE
    /// fragments; any rest of that message follows as ordinary [`TransmitPurpose::Send`] data.
    CreateCommand,
    /// The first payload of a reconnection: it goes in the `connectXml` of the WS-Management
    /// Connect (3.1.5.3). It holds SESSION_CAPABILITY and CONNECT_RUNSPACEPOOL.
    Connect,
    /// A WS-Management Send on [`Transmit::stream`] (3.1.5.3), to the shell when
    /// `pipeline_id` is `None`, otherwise to that command.
    Send,
    /// Server side: data for the Receive response of the shell (`pipeline_id` `None`) or of
    /// one command ([MS-PSRP] 3.2.5.3).
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
            let chunk = pending
                .message
                .get(pending.sent..pending.sent + take)
                .unwrap_or_default();
            Fragment {
                object_id: pending.object_id,
                fragment_id: pending.next_fragment_id,
                start,
                end,
                data: chunk.to_vec(),
            }
            .encode_into(&mut data);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::psrp::fragment::Defragmenter;

    fn outbox_with(
        messages: &[(Option<Uuid>, StreamName, Option<TransmitPurpose>, usize)],
    ) -> Outbox {
        let mut outbox = Outbox::new(TransmitPurpose::Send);
        for (i, (pid, stream, purpose, len)) in messages.iter().enumerate() {
            let byte = u8::try_from(i).unwrap_or(0);
            outbox.push(*pid, *stream, *purpose, vec![byte; *len]);
        }
        outbox
    }

    #[test]
    fn same_target_messages_share_a_payload_and_targets_never_mix() {
        let pid = Uuid::new_v4();
        let mut outbox = outbox_with(&[
            (None, StreamName::Stdin, None, 10),
            (None, StreamName::Stdin, None, 10),
            (Some(pid), StreamName::Stdin, None, 10),
            (Some(pid), StreamName::PromptResponse, None, 10),
        ]);
        let first = outbox.poll(1000).expect("data");
        assert_eq!((first.pipeline_id, first.data.len()), (None, 2 * 31));
        let second = outbox.poll(1000).expect("data");
        assert_eq!(
            (second.pipeline_id, second.stream),
            (Some(pid), StreamName::Stdin)
        );
        let third = outbox.poll(1000).expect("data");
        assert_eq!(third.stream, StreamName::PromptResponse);
        assert!(outbox.poll(1000).is_none());
    }

    #[test]
    fn command_creation_travels_alone_and_the_rest_follows_as_send() {
        let pid = Uuid::new_v4();
        let mut outbox = outbox_with(&[
            (
                Some(pid),
                StreamName::Stdin,
                Some(TransmitPurpose::CreateCommand),
                50,
            ),
            (Some(pid), StreamName::Stdin, None, 5),
        ]);
        let create = outbox.poll(40).expect("data");
        assert!(create.is_command_creation());
        assert_eq!(create.data.len(), 40);
        let rest = outbox.poll(1000).expect("data");
        assert_eq!(rest.purpose, TransmitPurpose::Send);
        // The rest of CREATE_PIPELINE (31 bytes) and the next message (5 bytes).
        assert_eq!(rest.data.len(), 21 + 31 + 21 + 5);
        let mut defrag = Defragmenter::new();
        let mut done = defrag.feed(&create.data).unwrap_or_default();
        done.extend(defrag.feed(&rest.data).unwrap_or_default());
        assert_eq!(done, vec![vec![0u8; 50], vec![1u8; 5]]);
    }

    #[test]
    fn an_exact_multiple_still_ends_and_tiny_limits_are_raised() {
        let mut outbox = outbox_with(&[(None, StreamName::Stdin, None, 2)]);
        let a = outbox.poll(1).expect("data");
        assert_eq!(a.data.len(), MIN_TRANSMIT_LEN);
        assert_eq!(a.data.get(16), Some(&1), "start flag only");
        let b = outbox.poll(1).expect("data");
        assert_eq!(b.data.get(16), Some(&2), "end flag only");
        assert!(outbox.poll(1).is_none());
    }
}
