//! Recorded WinRM conversations: the decrypted SOAP bodies of every request and response in
//! order, in the YAML format of pypsrp's recordings and of the Windows captures in
//! `shared/fixtures/windows-captures` (see [`mod@format`]).
//!
//! - [`mod@format`]: reading and writing recording files.
//! - [`ids`]: the id-rewriting rule that lets a recording answer a live client.
//! - [`redact`]: secrets out of a recording (SecureStrings, credentials, the session key).
//! - [`recorder`]: [`Recorder`], which writes a session's conversation as it goes.
//! - [`replay`]: [`Replay`], a sans-IO server that answers a client from a recording and
//!   reports where the client's requests differ from the recorded ones.
//!
//! A simulator serves recordings with `mx-sim --replay FILE`; the capture-replay tests hold
//! the crate's own client to the Windows captures the same way.

pub mod format;
pub mod ids;
pub mod recorder;
pub mod redact;
pub mod replay;

pub use format::{Exchange, Recording, parse, write};
pub use ids::IdMap;
pub use recorder::Recorder;
pub use replay::{IdPolicy, Mismatch, Replay, ReplayStats, Served};

use crate::psrp::FragmentError;
use crate::wsman::WsmanError;

/// Why a recording could not be read or served.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RecordingError {
    /// The file is not in the recording format.
    #[error(
        "recording line {line}: {what}; a recording holds `messages:` and `- request:` / `  response:` lines, as mx run --record writes them"
    )]
    Format {
        /// The line, from 1.
        line: usize,
        /// What is wrong.
        what: &'static str,
    },
    /// The file is larger than a recording may be.
    #[error("the recording is larger than {limit} bytes")]
    TooLarge {
        /// The limit.
        limit: usize,
    },
    /// The recording file could not be written or read.
    #[error("recording file {}: {source}", path.display())]
    Io {
        /// The file.
        path: std::path::PathBuf,
        /// The system's error.
        source: std::io::Error,
    },
    /// The file holds no exchanges.
    #[error("the recording holds no exchanges")]
    Empty,
    /// A recorded envelope does not parse.
    #[error("recording line {line}: the recorded envelope does not parse: {source}")]
    Recorded {
        /// The line of the exchange.
        line: usize,
        /// The parser's error.
        source: WsmanError,
    },
    /// A recorded PSRP payload does not parse.
    #[error("recording line {line}: the recorded PSRP payload does not parse: {source}")]
    Payload {
        /// The line of the exchange.
        line: usize,
        /// The fragment error.
        source: FragmentError,
    },
    /// The client sent something that is not a WS-Management request.
    #[error("the client's request is not a WS-Management request: {0}")]
    Request(WsmanError),
    /// The client's request has no place in the recording.
    #[error(
        "exchange {exchange} (recording line {line}): the client sent a {got} where the recording has a {expected}; the client does not repeat the recorded conversation"
    )]
    OutOfStep {
        /// The position of the recorded exchange.
        exchange: usize,
        /// Its line.
        line: usize,
        /// The recorded action.
        expected: String,
        /// The client's action.
        got: String,
    },
    /// The client goes on after the recording ended.
    #[error("the recording has ended; the client sent a {got}")]
    Exhausted {
        /// The client's action.
        got: String,
    },
}

/// Where a pool's `n`-th session records when the pool's option names `path`: `n` before the
/// extension (`calls.yml` gives `calls.1.yml`, `calls.2.yml`, ...), so that each file is one
/// conversation a replay can serve.
pub fn numbered_path(path: &std::path::Path, n: u64) -> std::path::PathBuf {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name = match path.extension() {
        Some(ext) => format!("{stem}.{n}.{}", ext.to_string_lossy()),
        None => format!("{stem}.{n}"),
    };
    path.with_file_name(name)
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    #[test]
    fn pool_sessions_record_into_numbered_files() {
        assert_eq!(
            super::numbered_path(Path::new("/tmp/calls.yml"), 2),
            PathBuf::from("/tmp/calls.2.yml")
        );
        assert_eq!(
            super::numbered_path(Path::new("calls"), 1),
            PathBuf::from("calls.1")
        );
    }
}
