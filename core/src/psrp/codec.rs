//! The path both sides share between fragment bytes and typed messages: reassembly per
//! Receive/Send target on the way in, message encoding on the way out.

use std::collections::HashMap;

use uuid::Uuid;

use super::message::{Destination, RawMessage};
use super::{FragmentError, PsrpError};
use super::messages::PsrpMessage;

/// One decoded message and where it belongs.
#[derive(Debug)]
pub(crate) struct Incoming {
    pub(crate) runspace_pool_id: Uuid,
    pub(crate) pipeline_id: Option<Uuid>,
    pub(crate) message: PsrpMessage,
}

/// The largest message this side reassembles: far above anything PowerShell sends (it
/// fragments at the envelope size), low enough that a hostile peer cannot exhaust memory.
pub(crate) const MAX_MESSAGE_LEN: usize = 64 * 1024 * 1024;

/// Bytes of a fragment header ([MS-PSRP] 2.2.4).
const HEADER_LEN: usize = 21;

/// A message being reassembled.
#[derive(Debug)]
struct Partial {
    next_fragment_id: u64,
    data: Vec<u8>,
}

/// Reassembles the fragments of one target ([MS-PSRP] 2.2.4): fragments of several objects
/// may interleave; each object's fragments come in order.
#[derive(Debug, Default)]
struct Reassembler {
    partial: HashMap<u64, Partial>,
}

impl Reassembler {
    fn feed(&mut self, mut data: &[u8]) -> Result<Vec<Vec<u8>>, FragmentError> {
        let mut done = Vec::new();
        while !data.is_empty() {
            let (header, rest) = data
                .split_first_chunk::<HEADER_LEN>()
                .ok_or(FragmentError::TruncatedHeader {
                    available: data.len(),
                })?;
            let (object_id, header_rest) = header.split_at(8);
            let (fragment_id, header_rest) = header_rest.split_at(8);
            let object_id = u64::from_be_bytes(object_id.try_into().unwrap_or([0; 8]));
            let fragment_id = u64::from_be_bytes(fragment_id.try_into().unwrap_or([0; 8]));
            let flags = header_rest.first().copied().unwrap_or(0);
            let declared = u32::from_be_bytes(header_rest.get(1..5).and_then(|b| b.try_into().ok()).unwrap_or([0; 4]));
            let len = usize::try_from(declared).unwrap_or(usize::MAX);
            let blob = rest.get(..len).ok_or(FragmentError::TruncatedBlob {
                object_id,
                declared,
                available: rest.len(),
            })?;
            data = rest.get(len..).unwrap_or(&[]);
            let start = flags & 1 != 0;
            let end = flags & 2 != 0;
            if start {
                if fragment_id != 0 {
                    return Err(FragmentError::MissingStart {
                        object_id,
                        fragment_id,
                    });
                }
                if self.partial.contains_key(&object_id) {
                    return Err(FragmentError::DuplicateStart { object_id });
                }
                self.partial.insert(
                    object_id,
                    Partial {
                        next_fragment_id: 0,
                        data: Vec::new(),
                    },
                );
            }
            let partial = self
                .partial
                .get_mut(&object_id)
                .ok_or(FragmentError::MissingStart {
                    object_id,
                    fragment_id,
                })?;
            if partial.next_fragment_id != fragment_id {
                return Err(FragmentError::FragmentIdGap {
                    object_id,
                    expected: partial.next_fragment_id,
                    got: fragment_id,
                });
            }
            if partial.data.len() + blob.len() > MAX_MESSAGE_LEN {
                return Err(FragmentError::MessageTooLarge {
                    object_id,
                    limit: MAX_MESSAGE_LEN,
                });
            }
            partial.data.extend_from_slice(blob);
            partial.next_fragment_id += 1;
            if end {
                if let Some(p) = self.partial.remove(&object_id) {
                    done.push(p.data);
                }
            }
        }
        Ok(done)
    }
}

/// Fragment reassembly, one reassembler per target (the shell, or one command): a peer may
/// number objects per target, so fragments of different targets never share a buffer.
#[derive(Debug, Default)]
pub(crate) struct Inbox {
    streams: HashMap<Option<Uuid>, Reassembler>,
}

impl Inbox {
    /// Feeds one payload for `target`; returns the messages it completes, in order.
    pub(crate) fn feed(
        &mut self,
        target: Option<Uuid>,
        data: &[u8],
    ) -> Result<Vec<Incoming>, PsrpError> {
        let blobs = self.streams.entry(target).or_default().feed(data)?;
        blobs
            .iter()
            .map(|blob| {
                let raw = RawMessage::decode(blob)?;
                let message = PsrpMessage::decode(&raw)?;
                Ok(Incoming {
                    runspace_pool_id: raw.runspace_pool_id,
                    pipeline_id: raw.pipeline(),
                    message,
                })
            })
            .collect()
    }
}

/// The message blob a client sends.
pub(crate) fn encode_to_server(
    pool_id: Uuid,
    pipeline_id: Option<Uuid>,
    message: &PsrpMessage,
) -> Vec<u8> {
    message
        .encode(pool_id, pipeline_id.unwrap_or(Uuid::nil()), Destination::Server)
        .encode()
}

/// The message blob a server sends.
pub(crate) fn encode_to_client(
    pool_id: Uuid,
    pipeline_id: Option<Uuid>,
    message: &PsrpMessage,
) -> Vec<u8> {
    message
        .encode(pool_id, pipeline_id.unwrap_or(Uuid::nil()), Destination::Client)
        .encode()
}
