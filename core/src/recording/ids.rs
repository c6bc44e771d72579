//! The id-rewriting rule of a replay: a recorded conversation names the ids its client
//! proposed and its server assigned; a live client proposes others, and a replaying server
//! hands out its own. [`IdMap`] maps each recorded id to its live one, in two namespaces kept
//! apart, because a recorded ShellId is usually the same GUID as the runspace pool id while
//! the live ones may differ:
//! - WS-Management ids (ShellId, CommandId, MessageID): written as GUID text in the envelopes;
//! - PSRP ids (runspace pool and pipeline ids): 16 bytes in each message header ([MS-PSRP]
//!   2.2.1), in .NET byte order.

use std::collections::HashMap;

use uuid::Uuid;

use crate::psrp::message::HEADER_LEN;
use crate::psrp::{Fragment, FragmentError};

/// Recorded id to live id.
#[derive(Debug, Clone, Default)]
pub struct IdMap {
    map: HashMap<Uuid, Uuid>,
}

impl IdMap {
    /// The live id of `recorded`, if known.
    pub fn get(&self, recorded: Uuid) -> Option<Uuid> {
        if recorded.is_nil() {
            return Some(recorded);
        }
        self.map.get(&recorded).copied()
    }

    /// Maps `recorded` to `live` unless it is mapped already; returns the live id in force.
    pub fn learn(&mut self, recorded: Uuid, live: Uuid) -> Uuid {
        if recorded.is_nil() {
            return recorded;
        }
        *self.map.entry(recorded).or_insert(live)
    }

    /// Maps `recorded` to `live`, replacing what was there.
    pub fn set(&mut self, recorded: Uuid, live: Uuid) {
        self.map.insert(recorded, live);
    }

    /// Whether `recorded` is mapped.
    pub fn contains(&self, recorded: Uuid) -> bool {
        self.map.contains_key(&recorded)
    }

    /// `text` with every GUID this map knows replaced by its live id, in the same letter
    /// case (Windows writes upper case, some clients lower case).
    pub fn rewrite_text(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some((at, id, len)) = next_guid(rest) {
            out.push_str(&rest[..at]);
            let original = &rest[at..at + len];
            match self.map.get(&id) {
                Some(live) => {
                    let live = live.hyphenated().to_string();
                    if original.bytes().any(|b| b.is_ascii_lowercase()) {
                        out.push_str(&live);
                    } else {
                        out.push_str(&live.to_uppercase());
                    }
                }
                None => out.push_str(original),
            }
            rest = &rest[at + len..];
        }
        out.push_str(rest);
        out
    }

    /// Rewrites the runspace pool and pipeline ids in the message headers of a PSRP payload
    /// (whole fragments, [MS-PSRP] 2.2.4). Each start fragment whose blob holds a whole
    /// header is rewritten; `edit` may then replace a whole message (start and end in one
    /// fragment), given its type number and body.
    pub fn rewrite_payload(
        &self,
        payload: &[u8],
        mut edit: impl FnMut(u32, &[u8]) -> Option<Vec<u8>>,
    ) -> Result<Vec<u8>, FragmentError> {
        let mut fragments = Fragment::decode_all(payload)?;
        for fragment in &mut fragments {
            if !fragment.start || fragment.data.len() < HEADER_LEN {
                continue;
            }
            for range in [8..24, 24..40] {
                let mut bytes = [0u8; 16];
                bytes.copy_from_slice(&fragment.data[range.clone()]);
                let recorded = Uuid::from_bytes_le(bytes);
                if let Some(live) = self.get(recorded) {
                    fragment.data[range].copy_from_slice(&live.to_bytes_le());
                }
            }
            if fragment.end {
                let mut number = [0u8; 4];
                number.copy_from_slice(&fragment.data[4..8]);
                if let Some(body) = edit(u32::from_le_bytes(number), &fragment.data[HEADER_LEN..]) {
                    fragment.data.truncate(HEADER_LEN);
                    fragment.data.extend_from_slice(&body);
                }
            }
        }
        let mut out = Vec::with_capacity(payload.len());
        for fragment in &fragments {
            fragment.encode_into(&mut out);
        }
        Ok(out)
    }
}

/// The first GUID in `text` (8-4-4-4-12 hex digits not inside a longer run of hex digits):
/// its byte offset, value and length.
pub fn next_guid(text: &str) -> Option<(usize, Uuid, usize)> {
    const LEN: usize = 36;
    let bytes = text.as_bytes();
    let mut at = 0;
    while at + LEN <= bytes.len() {
        let candidate = &bytes[at..at + LEN];
        let shaped = candidate.iter().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => *b == b'-',
            _ => b.is_ascii_hexdigit(),
        });
        let bounded = (at == 0 || !is_guid_byte(bytes[at - 1]))
            && bytes.get(at + LEN).is_none_or(|b| !is_guid_byte(*b));
        if shaped
            && bounded
            && let Ok(id) = Uuid::try_parse_ascii(candidate)
        {
            return Some((at, id, LEN));
        }
        at += 1;
    }
    None
}

fn is_guid_byte(b: u8) -> bool {
    b.is_ascii_hexdigit() || b == b'-'
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::psrp::{Destination, MessageType, RawMessage};

    #[test]
    fn text_ids_keep_their_case_and_unknown_ones_stay() {
        let a = Uuid::new_v4();
        let b = Uuid::new_v4();
        let other = Uuid::new_v4();
        let mut map = IdMap::default();
        map.set(a, b);
        let text = format!(
            "<Selector>{}</Selector> uuid:{} {} x{}",
            a.to_string().to_uppercase(),
            a,
            other,
            a.simple()
        );
        let out = map.rewrite_text(&text);
        assert_eq!(
            out,
            format!(
                "<Selector>{}</Selector> uuid:{} {} x{}",
                b.to_string().to_uppercase(),
                b,
                other,
                a.simple()
            )
        );
    }

    #[test]
    fn payload_headers_are_rewritten_and_bodies_replaced() {
        let pool = Uuid::new_v4();
        let pipeline = Uuid::new_v4();
        let live_pool = Uuid::new_v4();
        let live_pipeline = Uuid::new_v4();
        let message = RawMessage {
            destination: Destination::Client,
            message_type: MessageType::PipelineOutput,
            runspace_pool_id: pool,
            pipeline_id: pipeline,
            data: b"<I32>1</I32>".to_vec(),
        };
        let fragment = Fragment {
            object_id: 5,
            fragment_id: 0,
            start: true,
            end: true,
            data: message.encode(),
        };
        let mut map = IdMap::default();
        map.set(pool, live_pool);
        map.set(pipeline, live_pipeline);
        let out = map
            .rewrite_payload(&fragment.encode(), |_, _| Some(b"<I32>22</I32>".to_vec()))
            .expect("rewrite");
        let back = Fragment::decode_all(&out).expect("fragments");
        let raw = RawMessage::decode(&back[0].data).expect("message");
        assert_eq!(raw.runspace_pool_id, live_pool);
        assert_eq!(raw.pipeline_id, live_pipeline);
        assert_eq!(raw.data, b"<I32>22</I32>");
        assert_eq!(back[0].object_id, 5);
    }
}
