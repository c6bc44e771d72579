//! Fragments ([MS-PSRP] 2.2.4): how a message is split to fit WS-Management envelopes, and put
//! back together.
//!
//! A fragment is an 8-byte big-endian object id (one per message), an 8-byte big-endian fragment
//! id (0, 1, 2, ... within the message), a flags byte (bit 0 start, bit 1 end), a 4-byte
//! big-endian blob length and the blob. Several fragments, of one or several messages, may share
//! one stream payload, and one message may span many payloads.

use std::collections::{HashMap, VecDeque};

use super::error::FragmentError;

/// The fixed bytes in front of every fragment's blob.
pub const FRAGMENT_HEADER_LEN: usize = 21;

/// The default cap on one reassembled message: 64 MiB.
pub const DEFAULT_MAX_MESSAGE_SIZE: usize = 64 * 1024 * 1024;

/// The default cap on all partly received messages together: 128 MiB.
pub const DEFAULT_MAX_BUFFERED: usize = 128 * 1024 * 1024;

const FLAG_START: u8 = 0x1;
const FLAG_END: u8 = 0x2;

/// One fragment of a message ([MS-PSRP] 2.2.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fragment {
    /// The id of the message this fragment belongs to.
    pub object_id: u64,
    /// The fragment's position in its message, from 0.
    pub fragment_id: u64,
    /// First fragment of the message.
    pub start: bool,
    /// Last fragment of the message.
    pub end: bool,
    /// The part of the message this fragment carries.
    pub data: Vec<u8>,
}

/// A fragment whose blob still points into the payload.
struct FragmentRef<'a> {
    object_id: u64,
    fragment_id: u64,
    start: bool,
    end: bool,
    data: &'a [u8],
}

fn parse(input: &[u8]) -> Result<(FragmentRef<'_>, &[u8]), FragmentError> {
    let truncated = || FragmentError::TruncatedHeader {
        available: input.len(),
    };
    let (object_id, rest) = input.split_first_chunk::<8>().ok_or_else(truncated)?;
    let (fragment_id, rest) = rest.split_first_chunk::<8>().ok_or_else(truncated)?;
    let (flags, rest) = rest.split_first().ok_or_else(truncated)?;
    let (len, rest) = rest.split_first_chunk::<4>().ok_or_else(truncated)?;
    let object_id = u64::from_be_bytes(*object_id);
    let declared = u32::from_be_bytes(*len);
    // The length is only compared against what is present, never used to allocate.
    let (data, rest) = usize::try_from(declared)
        .ok()
        .and_then(|n| rest.split_at_checked(n))
        .ok_or(FragmentError::TruncatedBlob {
            object_id,
            declared,
            available: rest.len(),
        })?;
    Ok((
        FragmentRef {
            object_id,
            fragment_id: u64::from_be_bytes(*fragment_id),
            start: flags & FLAG_START != 0,
            end: flags & FLAG_END != 0,
            data,
        },
        rest,
    ))
}

fn write_header(
    out: &mut Vec<u8>,
    object_id: u64,
    fragment_id: u64,
    start: bool,
    end: bool,
    len: u32,
) {
    out.extend_from_slice(&object_id.to_be_bytes());
    out.extend_from_slice(&fragment_id.to_be_bytes());
    let mut flags = 0;
    if start {
        flags |= FLAG_START;
    }
    if end {
        flags |= FLAG_END;
    }
    out.push(flags);
    out.extend_from_slice(&len.to_be_bytes());
}

impl Fragment {
    /// Appends the wire form to `out`.
    ///
    /// A blob longer than `u32::MAX` cannot be expressed; [`Fragmenter`] never builds one, and
    /// such a fragment's length field saturates.
    pub fn encode_into(&self, out: &mut Vec<u8>) {
        let len = u32::try_from(self.data.len()).unwrap_or(u32::MAX);
        write_header(
            out,
            self.object_id,
            self.fragment_id,
            self.start,
            self.end,
            len,
        );
        out.extend_from_slice(&self.data);
    }

    /// The wire form.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(FRAGMENT_HEADER_LEN + self.data.len());
        self.encode_into(&mut out);
        out
    }

    /// Parses the first fragment of `input`; returns it and the bytes after it.
    pub fn decode(input: &[u8]) -> Result<(Fragment, &[u8]), FragmentError> {
        let (f, rest) = parse(input)?;
        Ok((
            Fragment {
                object_id: f.object_id,
                fragment_id: f.fragment_id,
                start: f.start,
                end: f.end,
                data: f.data.to_vec(),
            },
            rest,
        ))
    }

    /// Parses every fragment of a stream payload.
    pub fn decode_all(mut input: &[u8]) -> Result<Vec<Fragment>, FragmentError> {
        let mut out = Vec::new();
        while !input.is_empty() {
            let (f, rest) = Fragment::decode(input)?;
            out.push(f);
            input = rest;
        }
        Ok(out)
    }
}

/// The largest fragment (header included) whose base64 text fits in `max_stream_chars`
/// characters.
///
/// Pick `max_stream_chars` as the negotiated `MaxEnvelopeSize` ([MS-WSMV] 2.2.4.1) minus the
/// length of the Send (or Create/Command) envelope with an empty stream element, including its
/// headers: base64 turns every 3 bytes into 4 characters, so a fragment size equal to
/// MaxEnvelopeSize would never fit. Pass the same number (converted with this function) to
/// [`Fragmenter::pack`] as its byte budget.
pub fn fragment_size_for(max_stream_chars: usize) -> usize {
    max_stream_chars / 4 * 3
}

struct Pending {
    object_id: u64,
    next_fragment_id: u64,
    offset: usize,
    message: Vec<u8>,
}

/// Splits messages into fragments and packs them into stream payloads ([MS-PSRP] 2.2.4).
///
/// Object ids start at 1 and increase by one per message, as Windows expects.
pub struct Fragmenter {
    fragment_size: usize,
    next_object_id: u64,
    queue: VecDeque<Pending>,
}

impl Fragmenter {
    /// A fragmenter making fragments of at most `fragment_size` bytes, header included (see
    /// [`fragment_size_for`]).
    pub fn new(fragment_size: usize) -> Result<Self, FragmentError> {
        if fragment_size <= FRAGMENT_HEADER_LEN {
            return Err(FragmentError::FragmentSizeTooSmall(fragment_size));
        }
        Ok(Fragmenter {
            fragment_size,
            next_object_id: 1,
            queue: VecDeque::new(),
        })
    }

    /// The maximum fragment size, header included.
    pub fn fragment_size(&self) -> usize {
        self.fragment_size
    }

    /// Changes the fragment size for fragments not yet built (after the session capability
    /// exchange settles the envelope size).
    pub fn set_fragment_size(&mut self, fragment_size: usize) -> Result<(), FragmentError> {
        if fragment_size <= FRAGMENT_HEADER_LEN {
            return Err(FragmentError::FragmentSizeTooSmall(fragment_size));
        }
        self.fragment_size = fragment_size;
        Ok(())
    }

    fn take_object_id(&mut self) -> u64 {
        let id = self.next_object_id;
        self.next_object_id = self.next_object_id.wrapping_add(1).max(1);
        id
    }

    /// Splits one message into fragments now, with a fresh object id. The last fragment has the
    /// end flag, also when the message length is an exact multiple of the fragment payload.
    pub fn fragment(&mut self, message: &[u8]) -> Vec<Fragment> {
        let object_id = self.take_object_id();
        let payload = self.fragment_size - FRAGMENT_HEADER_LEN;
        if message.is_empty() {
            return vec![Fragment {
                object_id,
                fragment_id: 0,
                start: true,
                end: true,
                data: Vec::new(),
            }];
        }
        let count = message.len().div_ceil(payload);
        message
            .chunks(payload)
            .enumerate()
            .map(|(i, chunk)| Fragment {
                object_id,
                fragment_id: i as u64,
                start: i == 0,
                end: i + 1 == count,
                data: chunk.to_vec(),
            })
            .collect()
    }

    /// Queues a message for [`pack`](Self::pack); returns its object id.
    pub fn enqueue(&mut self, message: Vec<u8>) -> u64 {
        let object_id = self.take_object_id();
        self.queue.push_back(Pending {
            object_id,
            next_fragment_id: 0,
            offset: 0,
            message,
        });
        object_id
    }

    /// Whether queued data remains.
    pub fn has_pending(&self) -> bool {
        !self.queue.is_empty()
    }

    /// Appends fragments of the queued messages to `out`, in queue order, up to `max_bytes`
    /// bytes: whole messages while they fit, then part of the next one. Returns how many bytes
    /// were written (0 when the queue is empty or `max_bytes` cannot hold a header and one
    /// byte).
    pub fn pack(&mut self, max_bytes: usize, out: &mut Vec<u8>) -> usize {
        let mut written = 0;
        while let Some(p) = self.queue.front_mut() {
            let avail = max_bytes.saturating_sub(written).min(self.fragment_size);
            let left = p.message.len() - p.offset;
            if avail < FRAGMENT_HEADER_LEN + usize::from(left > 0) {
                break;
            }
            let n = left.min(avail - FRAGMENT_HEADER_LEN);
            let start = p.offset == 0;
            let end = n == left;
            let chunk = &p.message[p.offset..p.offset + n];
            let len = u32::try_from(n).unwrap_or(u32::MAX);
            write_header(out, p.object_id, p.next_fragment_id, start, end, len);
            out.extend_from_slice(chunk);
            written += FRAGMENT_HEADER_LEN + n;
            p.offset += n;
            p.next_fragment_id += 1;
            if end {
                self.queue.pop_front();
            }
        }
        written
    }
}

struct Partial {
    next_fragment_id: u64,
    data: Vec<u8>,
}

/// Reassembles messages from stream payloads ([MS-PSRP] 2.2.4), strictly: fragment ids must
/// follow each other, every message must begin with a start fragment, and no message may grow
/// beyond the configured cap.
///
/// After an error the stream is no longer trustworthy; callers treat it as fatal, unless
/// they knowingly lost data and asked to [`Defragmenter::resynchronize`].
pub struct Defragmenter {
    max_message_size: usize,
    max_buffered: usize,
    buffered: usize,
    partial: HashMap<u64, Partial>,
    /// Fragments were lost on purpose (an abandoned Receive): a message whose start or middle
    /// went missing is skipped instead of failing the stream.
    lossy: bool,
}

impl Default for Defragmenter {
    fn default() -> Self {
        Defragmenter::new()
    }
}

impl Defragmenter {
    /// A defragmenter with the default caps ([`DEFAULT_MAX_MESSAGE_SIZE`],
    /// [`DEFAULT_MAX_BUFFERED`]).
    pub fn new() -> Self {
        Defragmenter::with_limits(DEFAULT_MAX_MESSAGE_SIZE, DEFAULT_MAX_BUFFERED)
    }

    /// A defragmenter that rejects messages longer than `max_message_size` bytes (and keeps the
    /// default cap on all partly received messages together).
    pub fn with_max_message_size(max_message_size: usize) -> Self {
        Defragmenter::with_limits(max_message_size, DEFAULT_MAX_BUFFERED)
    }

    /// A defragmenter that rejects messages longer than `max_message_size` bytes, and streams
    /// whose partly received messages together hold more than `max_buffered` bytes.
    pub fn with_limits(max_message_size: usize, max_buffered: usize) -> Self {
        Defragmenter {
            max_message_size,
            max_buffered,
            buffered: 0,
            partial: HashMap::new(),
            lossy: false,
        }
    }

    /// Accepts that some fragments were lost (the response of an abandoned Receive): drops
    /// partly received messages, and from now on skips the rest of any message whose start
    /// or middle is missing, rather than failing. Complete messages still arrive whole; a
    /// client uses this only while it waits for a stopped pipeline's final state, whose
    /// output it discards anyway.
    pub fn resynchronize(&mut self) {
        self.partial.clear();
        self.buffered = 0;
        self.lossy = true;
    }

    /// How many messages are partly received.
    pub fn pending_messages(&self) -> usize {
        self.partial.len()
    }

    /// Bytes held for partly received messages.
    pub fn buffered_bytes(&self) -> usize {
        self.buffered
    }

    /// Room for `len` more buffered bytes.
    fn reserve(&mut self, len: usize) -> Result<(), FragmentError> {
        let total = self.buffered.saturating_add(len);
        if total > self.max_buffered {
            return Err(FragmentError::BufferLimit {
                limit: self.max_buffered,
            });
        }
        self.buffered = total;
        Ok(())
    }

    /// Feeds one stream payload; returns the messages it completes, in the order their last
    /// fragments arrived.
    pub fn feed(&mut self, mut payload: &[u8]) -> Result<Vec<Vec<u8>>, FragmentError> {
        let mut done = Vec::new();
        while !payload.is_empty() {
            let (f, rest) = parse(payload)?;
            if let Some(m) = self.accept(f)? {
                done.push(m);
            }
            payload = rest;
        }
        Ok(done)
    }

    /// Feeds one decoded fragment; returns the message when it is complete.
    pub fn feed_fragment(&mut self, f: &Fragment) -> Result<Option<Vec<u8>>, FragmentError> {
        self.accept(FragmentRef {
            object_id: f.object_id,
            fragment_id: f.fragment_id,
            start: f.start,
            end: f.end,
            data: &f.data,
        })
    }

    fn check_size(&self, object_id: u64, len: usize) -> Result<(), FragmentError> {
        if len > self.max_message_size {
            return Err(FragmentError::MessageTooLarge {
                object_id,
                limit: self.max_message_size,
            });
        }
        Ok(())
    }

    fn accept(&mut self, f: FragmentRef<'_>) -> Result<Option<Vec<u8>>, FragmentError> {
        let id = f.object_id;
        if f.start {
            if self.partial.contains_key(&id) {
                return Err(FragmentError::DuplicateStart { object_id: id });
            }
            if f.fragment_id != 0 {
                return Err(FragmentError::FragmentIdGap {
                    object_id: id,
                    expected: 0,
                    got: f.fragment_id,
                });
            }
            self.check_size(id, f.data.len())?;
            if f.end {
                return Ok(Some(f.data.to_vec()));
            }
            self.reserve(f.data.len())?;
            self.partial.insert(
                id,
                Partial {
                    next_fragment_id: 1,
                    data: f.data.to_vec(),
                },
            );
            return Ok(None);
        }
        let Some(p) = self.partial.get(&id) else {
            if self.lossy {
                return Ok(None);
            }
            return Err(FragmentError::MissingStart {
                object_id: id,
                fragment_id: f.fragment_id,
            });
        };
        if f.fragment_id != p.next_fragment_id {
            if self.lossy {
                if let Some(dropped) = self.partial.remove(&id) {
                    self.buffered = self.buffered.saturating_sub(dropped.data.len());
                }
                return Ok(None);
            }
            return Err(FragmentError::FragmentIdGap {
                object_id: id,
                expected: p.next_fragment_id,
                got: f.fragment_id,
            });
        }
        self.check_size(id, p.data.len().saturating_add(f.data.len()))?;
        if f.end {
            let mut data = self.partial.remove(&id).map(|p| p.data).unwrap_or_default();
            self.buffered = self.buffered.saturating_sub(data.len());
            data.extend_from_slice(f.data);
            return Ok(Some(data));
        }
        self.reserve(f.data.len())?;
        if let Some(p) = self.partial.get_mut(&id) {
            p.data.extend_from_slice(f.data);
            p.next_fragment_id += 1;
        }
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn message(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i % 251) as u8).collect()
    }

    #[test]
    fn resynchronized_stream_skips_messages_it_lost_the_start_of() {
        let mut f = Fragmenter::new(40).expect("size");
        let first = f.fragment(&message(100));
        let second = f.fragment(&message(15));
        let mut d = Defragmenter::new();
        // The start of the first message went with an abandoned Receive.
        assert!(d.feed_fragment(&first[1]).is_err());
        let mut d = Defragmenter::new();
        d.feed_fragment(&first[0]).expect("start");
        d.resynchronize();
        assert_eq!(d.buffered_bytes(), 0);
        assert_eq!(d.feed_fragment(&first[1]).expect("skipped"), None);
        assert_eq!(d.feed_fragment(&first[2]).expect("skipped"), None);
        assert_eq!(
            d.feed_fragment(&second[0]).expect("whole"),
            Some(message(15))
        );
        assert_eq!(d.pending_messages(), 0);
    }

    #[test]
    fn wire_form_matches_the_spec_layout() {
        let f = Fragment {
            object_id: 1,
            fragment_id: 2,
            start: false,
            end: true,
            data: vec![0xAA, 0xBB],
        };
        let bytes = f.encode();
        assert_eq!(
            bytes,
            [
                0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2, 2, 0, 0, 0, 2, 0xAA, 0xBB
            ]
        );
        let (back, rest) = Fragment::decode(&bytes).unwrap();
        assert_eq!(back, f);
        assert!(rest.is_empty());
    }

    #[test]
    fn exact_multiple_still_ends() {
        let mut fr = Fragmenter::new(FRAGMENT_HEADER_LEN + 10).unwrap();
        let frags = fr.fragment(&message(30));
        assert_eq!(frags.len(), 3);
        assert!(frags[0].start && !frags[0].end);
        assert!(!frags[1].start && !frags[1].end);
        assert!(!frags[2].start && frags[2].end);
        assert_eq!(
            frags.iter().map(|f| f.fragment_id).collect::<Vec<_>>(),
            [0, 1, 2]
        );
        assert!(frags.iter().all(|f| f.object_id == 1));
        let single = fr.fragment(&message(10));
        assert_eq!(single.len(), 1);
        assert!(single[0].start && single[0].end);
        assert_eq!(single[0].object_id, 2);
    }

    #[test]
    fn tiny_fragment_size_is_rejected() {
        assert!(matches!(
            Fragmenter::new(21),
            Err(FragmentError::FragmentSizeTooSmall(21))
        ));
        assert!(Fragmenter::new(22).is_ok());
    }

    #[test]
    fn fragment_size_leaves_room_for_base64() {
        assert_eq!(fragment_size_for(4000), 3000);
        assert_eq!(fragment_size_for(4003), 3000);
    }

    #[test]
    fn pack_shares_a_payload_and_continues_in_the_next() {
        let mut fr = Fragmenter::new(100).unwrap();
        fr.enqueue(message(10));
        fr.enqueue(message(200));
        let mut payload = Vec::new();
        let n = fr.pack(150, &mut payload);
        assert_eq!(n, payload.len());
        assert!(n <= 150);
        let frags = Fragment::decode_all(&payload).unwrap();
        // The whole first message, then as much of the second as fits.
        assert_eq!(frags.len(), 2);
        assert!(frags[0].start && frags[0].end && frags[0].object_id == 1);
        assert!(frags[1].start && !frags[1].end && frags[1].object_id == 2);
        assert_eq!(frags[1].data.len(), 79);
        assert_eq!(n, 31 + 100);
        assert!(fr.has_pending());

        let mut d = Defragmenter::new();
        let done = d.feed(&payload).unwrap();
        assert_eq!(done, vec![message(10)]);
        let mut rest = Vec::new();
        while fr.has_pending() {
            let before = rest.len();
            assert!(fr.pack(150, &mut rest) > 0);
            assert!(rest.len() - before <= 150);
        }
        assert_eq!(d.feed(&rest).unwrap(), vec![message(200)]);
        assert_eq!(d.pending_messages(), 0);
    }

    #[test]
    fn pack_with_no_room_writes_nothing() {
        let mut fr = Fragmenter::new(100).unwrap();
        fr.enqueue(message(5));
        let mut out = Vec::new();
        assert_eq!(fr.pack(21, &mut out), 0);
        assert!(out.is_empty());
        assert_eq!(fr.pack(22, &mut out), 22);
    }

    #[test]
    fn interleaved_objects_reassemble() {
        let mut fr = Fragmenter::new(FRAGMENT_HEADER_LEN + 4).unwrap();
        let a = fr.fragment(&message(10));
        let b = fr.fragment(b"hello world");
        let mut payload = Vec::new();
        for pair in a.iter().zip(b.iter()) {
            pair.0.encode_into(&mut payload);
            pair.1.encode_into(&mut payload);
        }
        let mut d = Defragmenter::new();
        let done = d.feed(&payload).unwrap();
        assert_eq!(done, vec![message(10), b"hello world".to_vec()]);
    }

    #[test]
    fn truncated_header_and_blob_are_errors() {
        let f = Fragment {
            object_id: 7,
            fragment_id: 0,
            start: true,
            end: true,
            data: vec![1, 2, 3, 4],
        }
        .encode();
        assert_eq!(
            Defragmenter::new().feed(&f[..10]).unwrap_err(),
            FragmentError::TruncatedHeader { available: 10 }
        );
        assert_eq!(
            Defragmenter::new().feed(&f[..23]).unwrap_err(),
            FragmentError::TruncatedBlob {
                object_id: 7,
                declared: 4,
                available: 2
            }
        );
    }

    #[test]
    fn huge_declared_length_does_not_allocate() {
        let mut bytes = Vec::new();
        write_header(&mut bytes, 1, 0, true, false, u32::MAX);
        bytes.extend_from_slice(&[0; 16]);
        assert_eq!(
            Defragmenter::new().feed(&bytes).unwrap_err(),
            FragmentError::TruncatedBlob {
                object_id: 1,
                declared: u32::MAX,
                available: 16
            }
        );
    }

    #[test]
    fn message_cap_is_enforced_across_fragments() {
        let mut fr = Fragmenter::new(FRAGMENT_HEADER_LEN + 8).unwrap();
        let frags = fr.fragment(&message(20));
        let mut d = Defragmenter::with_max_message_size(12);
        assert_eq!(d.feed_fragment(&frags[0]).unwrap(), None);
        assert_eq!(
            d.feed_fragment(&frags[1]).unwrap_err(),
            FragmentError::MessageTooLarge {
                object_id: 1,
                limit: 12
            }
        );
    }

    #[test]
    fn gaps_and_missing_starts_are_errors() {
        let mut fr = Fragmenter::new(FRAGMENT_HEADER_LEN + 2).unwrap();
        let frags = fr.fragment(&message(6));
        let mut d = Defragmenter::new();
        d.feed_fragment(&frags[0]).unwrap();
        assert_eq!(
            d.feed_fragment(&frags[2]).unwrap_err(),
            FragmentError::FragmentIdGap {
                object_id: 1,
                expected: 1,
                got: 2
            }
        );
        let mut d = Defragmenter::new();
        assert_eq!(
            d.feed_fragment(&frags[1]).unwrap_err(),
            FragmentError::MissingStart {
                object_id: 1,
                fragment_id: 1
            }
        );
        let mut d = Defragmenter::new();
        d.feed_fragment(&frags[0]).unwrap();
        assert_eq!(
            d.feed_fragment(&frags[0]).unwrap_err(),
            FragmentError::DuplicateStart { object_id: 1 }
        );
        let mut late_start = frags[1].clone();
        late_start.start = true;
        assert_eq!(
            Defragmenter::new().feed_fragment(&late_start).unwrap_err(),
            FragmentError::FragmentIdGap {
                object_id: 1,
                expected: 0,
                got: 1
            }
        );
    }

    #[test]
    fn many_unfinished_messages_hit_the_buffer_cap() {
        let mut d = Defragmenter::with_limits(100, 250);
        let mut fr = Fragmenter::new(FRAGMENT_HEADER_LEN + 60).unwrap();
        // Four first fragments of 60 bytes fit in 250; the fifth does not.
        for _ in 0..5 {
            let frags = fr.fragment(&message(90));
            if let Err(e) = d.feed_fragment(&frags[0]) {
                assert_eq!(e, FragmentError::BufferLimit { limit: 250 });
                assert_eq!(d.buffered_bytes(), 240);
                return;
            }
        }
        panic!("the buffer cap was not enforced");
    }

    #[test]
    fn buffered_bytes_drop_when_a_message_completes() {
        let mut fr = Fragmenter::new(FRAGMENT_HEADER_LEN + 8).unwrap();
        let frags = fr.fragment(&message(20));
        let mut d = Defragmenter::new();
        d.feed_fragment(&frags[0]).unwrap();
        d.feed_fragment(&frags[1]).unwrap();
        assert_eq!(d.buffered_bytes(), 16);
        assert_eq!(d.feed_fragment(&frags[2]).unwrap(), Some(message(20)));
        assert_eq!(d.buffered_bytes(), 0);
    }

    proptest! {
        #[test]
        fn pack_then_feed_round_trips(
            sizes in proptest::collection::vec(0usize..600, 1..6),
            fragment_size in 22usize..200,
            budget in 22usize..400,
        ) {
            let mut fr = Fragmenter::new(fragment_size).unwrap();
            let messages: Vec<Vec<u8>> = sizes.iter().map(|&n| message(n)).collect();
            for m in &messages {
                fr.enqueue(m.clone());
            }
            let mut d = Defragmenter::new();
            let mut got = Vec::new();
            while fr.has_pending() {
                let mut payload = Vec::new();
                let n = fr.pack(budget, &mut payload);
                prop_assert!(n > 0 && n <= budget);
                for f in Fragment::decode_all(&payload).unwrap() {
                    prop_assert!(f.data.len() + FRAGMENT_HEADER_LEN <= fragment_size);
                }
                got.extend(d.feed(&payload).unwrap());
            }
            prop_assert_eq!(got, messages);
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = Defragmenter::with_max_message_size(1000).feed(&bytes);
        }
    }
}
