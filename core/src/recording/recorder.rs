//! [`Recorder`]: writes a session's conversation to a recording file as it goes, each
//! request and response after unsealing, with secrets redacted ([`super::redact`]). The file
//! is in the format of the shared Windows captures ([`super::format`]), so `mx-sim --replay`
//! serves it and the capture tests read it.

use std::fs::File;
use std::io::{BufWriter, Write as _};
use std::path::{Path, PathBuf};

use super::RecordingError;
use super::format::{Exchange, write_exchange, write_start};
use super::redact::{Redactor, envelope};
use crate::wsman::{Response, WsmanError};

/// Writes one conversation to a file.
pub struct Recorder {
    path: PathBuf,
    file: Option<BufWriter<File>>,
    client: Redactor,
    server: Redactor,
    exchanges: usize,
}

impl std::fmt::Debug for Recorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recorder")
            .field("path", &self.path)
            .field("exchanges", &self.exchanges)
            .finish_non_exhaustive()
    }
}

impl Recorder {
    /// Creates (or truncates) `path` and writes the file's header.
    pub fn create(path: &Path) -> Result<Recorder, RecordingError> {
        let io = |source| RecordingError::Io {
            path: path.to_path_buf(),
            source,
        };
        let mut file = BufWriter::new(File::create(path).map_err(io)?);
        let mut head = String::new();
        write_start(
            "A WinRM conversation recorded by monosync-exchange: the SOAP bodies after\n\
             unsealing, secrets redacted. Serve it with `mx-sim --replay FILE`.",
            &mut head,
        );
        file.write_all(head.as_bytes()).map_err(io)?;
        file.flush().map_err(io)?;
        Ok(Recorder {
            path: path.to_path_buf(),
            file: Some(file),
            client: Redactor::new(),
            server: Redactor::new(),
            exchanges: 0,
        })
    }

    /// The file written to.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Exchanges written so far.
    pub fn exchanges(&self) -> usize {
        self.exchanges
    }

    /// Writes one request and what came back: the response body, or the transport's error.
    /// A write failure stops the recording (it is logged once); the session goes on.
    pub fn record(&mut self, request: &[u8], response: Result<&[u8], &str>) {
        let request = envelope(&String::from_utf8_lossy(request), &mut self.client);
        let exchange = match response {
            Ok(body) => {
                let text = envelope(&String::from_utf8_lossy(body), &mut self.server);
                let fault = matches!(Response::parse(body), Err(WsmanError::Fault(_)));
                Exchange {
                    line: 0,
                    request: Some(request),
                    response: Some(text),
                    error: fault.then(|| "transport_error: protocol=http code=500".to_owned()),
                }
            }
            Err(kind) => Exchange {
                line: 0,
                request: Some(request),
                response: None,
                error: Some(format!(
                    "transport_error: protocol=http error={}",
                    token(kind)
                )),
            },
        };
        let Some(file) = self.file.as_mut() else {
            return;
        };
        let mut text = String::new();
        write_exchange(&exchange, &mut text);
        let written = file.write_all(text.as_bytes()).and_then(|()| file.flush());
        match written {
            Ok(()) => self.exchanges += 1,
            Err(e) => {
                tracing::warn!(path = %self.path.display(), error = %e, "writing the recording failed; recording stops");
                self.file = None;
            }
        }
    }
}

/// `text` as one YAML-safe word: letters, digits and `_.-`, at most 200 of them.
fn token(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "_.-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .take(200)
        .collect()
}
