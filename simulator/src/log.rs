//! The request log: one JSON object per HTTP request (operation, auth scheme, sealed or not,
//! bytes in and out, latency, status), kept in memory for tests and optionally appended to a
//! file as JSON lines.

use std::io::Write as _;
use std::sync::{Mutex, MutexGuard, PoisonError};

use serde::Serialize;

/// One logged request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LogEntry {
    /// Milliseconds since the Unix epoch when the request arrived.
    pub at_ms: u64,
    /// The connection's number, counted from 1 per server.
    pub connection: u64,
    /// The URL path.
    pub path: String,
    /// The WS-Management operation (`Create`, `Command`, `Send`, `Receive`, `Signal`,
    /// `Delete`, ...), `Auth` for an authentication-only request, `Unknown` when unreadable.
    pub operation: String,
    /// The authentication scheme of the connection (`Basic`, `Ntlm`, `Spnego`, `Kerberos`), if
    /// authenticated.
    pub auth: Option<String>,
    /// The account, if authenticated.
    pub user: Option<String>,
    /// The body was sealed (multipart/encrypted).
    pub sealed: bool,
    /// Request body bytes as received.
    pub bytes_in: usize,
    /// Response body bytes as sent.
    pub bytes_out: usize,
    /// Time spent answering, in milliseconds.
    pub latency_ms: u64,
    /// HTTP status.
    pub status: u16,
    /// The injected fault, if one was applied.
    pub fault: Option<String>,
}

/// The log sink.
#[derive(Debug, Default)]
pub struct RequestLog {
    entries: Mutex<Vec<LogEntry>>,
    file: Option<Mutex<std::fs::File>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl RequestLog {
    /// An in-memory log that also appends to `file`, when given.
    pub fn new(file: Option<std::fs::File>) -> Self {
        RequestLog {
            entries: Mutex::new(Vec::new()),
            file: file.map(Mutex::new),
        }
    }

    /// Records one request.
    pub fn record(&self, entry: LogEntry) {
        if let Some(file) = &self.file
            && let Ok(mut line) = serde_json::to_vec(&entry)
        {
            line.push(b'\n');
            // A full disk must not stop the server; the in-memory copy stays.
            let _ = lock(file).write_all(&line);
        }
        lock(&self.entries).push(entry);
    }

    /// Every request so far.
    pub fn entries(&self) -> Vec<LogEntry> {
        lock(&self.entries).clone()
    }

    /// How many requests had `operation`.
    pub fn count(&self, operation: &str) -> usize {
        lock(&self.entries)
            .iter()
            .filter(|e| e.operation == operation)
            .count()
    }

    /// Forgets the entries kept in memory.
    pub fn clear(&self) {
        lock(&self.entries).clear();
    }
}
