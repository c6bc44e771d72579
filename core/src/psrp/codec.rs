//! The path both sides share between fragment bytes and typed messages: reassembly per
//! Receive/Send target on the way in, message encoding on the way out.

use std::collections::HashMap;

use uuid::Uuid;

use super::PsrpError;
use super::fragment::Defragmenter;
use super::message::{Destination, RawMessage};
use super::messages::PsrpMessage;

/// One decoded message and where it belongs.
#[derive(Debug)]
pub(crate) struct Incoming {
    pub(crate) runspace_pool_id: Uuid,
    pub(crate) pipeline_id: Option<Uuid>,
    pub(crate) message: PsrpMessage,
}

/// Fragment reassembly, one reassembler per target (the shell, or one command): a peer may
/// number objects per target, so fragments of different targets never share a buffer.
#[derive(Default)]
pub(crate) struct Inbox {
    streams: HashMap<Option<Uuid>, Defragmenter>,
}

impl std::fmt::Debug for Inbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Inbox")
            .field("targets", &self.streams.len())
            .finish()
    }
}

impl Inbox {
    /// Accepts that `target`'s stream lost fragments; see [`Defragmenter::resynchronize`].
    pub(crate) fn resynchronize(&mut self, target: Option<Uuid>) {
        self.streams.entry(target).or_default().resynchronize();
    }

    /// Drops `target`'s reassembly state once its pipeline has ended: a long-lived pool
    /// runs many thousands of pipelines, and each left one behind otherwise.
    pub(crate) fn forget(&mut self, target: Option<Uuid>) {
        self.streams.remove(&target);
    }

    /// How many targets have reassembly state.
    pub(crate) fn targets(&self) -> usize {
        self.streams.len()
    }

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
        .encode(
            pool_id,
            pipeline_id.unwrap_or(Uuid::nil()),
            Destination::Server,
        )
        .encode()
}

/// The message blob a server sends.
pub(crate) fn encode_to_client(
    pool_id: Uuid,
    pipeline_id: Option<Uuid>,
    message: &PsrpMessage,
) -> Vec<u8> {
    message
        .encode(
            pool_id,
            pipeline_id.unwrap_or(Uuid::nil()),
            Destination::Client,
        )
        .encode()
}
