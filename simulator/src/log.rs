//! The request log: one JSON object per HTTP request (operation, auth scheme, sealed or not,
//! bytes in and out, latency, status), kept in memory for tests and optionally appended to a
//! file as JSON lines.
//!
//! Memory holds the latest [`MEMORY_ENTRIES`] requests and a count per operation of all of
//! them, so a simulator serving a long soak or a user's CI for days stays bounded; the file,
//! when given, gets every request.

use std::collections::{HashMap, VecDeque};
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

/// How many of the latest requests the in-memory log keeps.
pub const MEMORY_ENTRIES: usize = 100_000;

#[derive(Debug, Default)]
struct Kept {
    latest: VecDeque<LogEntry>,
    per_operation: HashMap<String, usize>,
}

/// The log sink.
#[derive(Debug, Default)]
pub struct RequestLog {
    kept: Mutex<Kept>,
    file: Option<Mutex<std::fs::File>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl RequestLog {
    /// An in-memory log that also appends to `file`, when given.
    pub fn new(file: Option<std::fs::File>) -> Self {
        RequestLog {
            kept: Mutex::default(),
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
        let mut kept = lock(&self.kept);
        *kept
            .per_operation
            .entry(entry.operation.clone())
            .or_default() += 1;
        if kept.latest.len() == MEMORY_ENTRIES {
            kept.latest.pop_front();
        }
        kept.latest.push_back(entry);
    }

    /// The requests so far, oldest first: the latest [`MEMORY_ENTRIES`] of them.
    pub fn entries(&self) -> Vec<LogEntry> {
        lock(&self.kept).latest.iter().cloned().collect()
    }

    /// How many requests had `operation`, all of them counted (not only those kept).
    pub fn count(&self, operation: &str) -> usize {
        lock(&self.kept)
            .per_operation
            .get(operation)
            .copied()
            .unwrap_or(0)
    }

    /// Forgets the entries and counts kept in memory.
    pub fn clear(&self) {
        *lock(&self.kept) = Kept::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(operation: &str, n: u64) -> LogEntry {
        LogEntry {
            at_ms: n,
            connection: 1,
            path: "/wsman".into(),
            operation: operation.into(),
            auth: None,
            user: None,
            sealed: false,
            bytes_in: 0,
            bytes_out: 0,
            latency_ms: 0,
            status: 200,
            fault: None,
        }
    }

    #[test]
    fn memory_keeps_the_latest_entries_and_counts_every_one() {
        let log = RequestLog::new(None);
        let total = MEMORY_ENTRIES as u64 + 10;
        for n in 0..total {
            log.record(entry(if n % 2 == 0 { "Receive" } else { "Send" }, n));
        }
        let kept = log.entries();
        assert_eq!(kept.len(), MEMORY_ENTRIES);
        assert_eq!(kept.first().map(|e| e.at_ms), Some(10));
        assert_eq!(kept.last().map(|e| e.at_ms), Some(total - 1));
        assert_eq!(log.count("Receive") + log.count("Send"), total as usize);
        log.clear();
        assert!(log.entries().is_empty());
        assert_eq!(log.count("Receive"), 0);
    }
}
