//! Fragment decoding and reassembly ([MS-PSRP] 2.2.4). The first byte picks how the rest is cut
//! into stream payloads, as a Receive response may cut fragments across `rsp:Stream` elements
//! only at fragment boundaries but a hostile server may not.
#![no_main]

use libfuzzer_sys::fuzz_target;
use monosync_exchange::psrp::{Defragmenter, Fragment};

/// Small limits so that the buffering caps are reached within a fuzz input.
const MAX_MESSAGE: usize = 64 * 1024;
const MAX_BUFFERED: usize = 256 * 1024;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let _ = Fragment::decode_all(rest);

    let mut defrag = Defragmenter::with_limits(MAX_MESSAGE, MAX_BUFFERED);
    let chunk = usize::from(mode).max(1) * 8;
    let pieces: Vec<&[u8]> = if mode & 1 == 0 {
        vec![rest]
    } else {
        rest.chunks(chunk).collect()
    };
    for piece in pieces {
        match defrag.feed(piece) {
            Ok(messages) => {
                for m in messages {
                    assert!(m.len() <= MAX_MESSAGE, "message over the limit");
                }
            }
            Err(_) => defrag.resynchronize(),
        }
        assert!(
            defrag.buffered_bytes() <= MAX_BUFFERED,
            "buffer over the limit"
        );
    }
});
