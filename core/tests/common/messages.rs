//! The PSRP message blobs of every capture, reassembled from their fragments ([MS-PSRP] 2.2.4)
//! by the crate's own defragmenter: 40-byte header (2.2.1), then the CLIXML body.

use std::collections::HashMap;

use monosync_exchange::psrp::Defragmenter;
use uuid::Uuid;

use super::captures::{self, Sender};

/// One complete message as sent.
#[derive(Debug, Clone)]
pub struct Blob {
    /// File name without `.yml`, e.g. `test_psrp_merge_commands`.
    pub file: String,
    /// The line of the exchange whose payload completed the message.
    pub line: usize,
    /// Who sent it.
    pub sender: Sender,
    /// Header and body.
    pub data: Vec<u8>,
}

/// Every message of every capture in order, and every error met on the way (as
/// `file:line: what`), so that one test can report them all.
pub fn all() -> (Vec<Blob>, Vec<String>) {
    let all = captures::load_all();
    let files: std::collections::BTreeSet<&str> = all.iter().map(|c| c.file.as_str()).collect();
    assert!(files.len() >= 26, "capture files missing");
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for capture in &all {
        let file = capture.file.trim_end_matches(".yml");
        // One defragmenter per sender and command: Windows numbers objects per pipeline.
        let mut streams: HashMap<(Sender, Option<Uuid>), Defragmenter> = HashMap::new();
        for exchange in &capture.messages {
            let n = exchange.line;
            let payloads = match exchange.payloads() {
                Ok(p) => p,
                Err(e) => {
                    errors.push(format!("{file}:{n}: WS-Management: {e}"));
                    continue;
                }
            };
            for payload in payloads {
                let key = match payload.sender {
                    Sender::Client => (Sender::Client, None),
                    Sender::Server => (Sender::Server, payload.command_id),
                };
                match streams.entry(key).or_default().feed(&payload.data) {
                    Ok(blobs) => out.extend(blobs.into_iter().map(|data| Blob {
                        file: file.to_owned(),
                        line: n,
                        sender: payload.sender,
                        data,
                    })),
                    Err(e) => errors.push(format!("{file}:{n}: fragments: {e}")),
                }
            }
        }
        for ((sender, id), d) in &streams {
            if d.pending_messages() != 0 {
                errors.push(format!("{file}: {sender:?}/{id:?}: unfinished message"));
            }
        }
    }
    (out, errors)
}
