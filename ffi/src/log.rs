//! Logging for C hosts: a `tracing` subscriber that forwards the library's events (connects,
//! reconnects, authentication steps, KDC lookups, shell deletion failures) to one callback.
//!
//! The core never logs passwords, tokens or tickets; as a second guard, any field whose name
//! suggests a secret is replaced by `<redacted>` before it reaches the callback.

use std::cell::Cell;
use std::ffi::c_void;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{OnceLock, PoisonError, RwLock};

use tracing::field::{Field, Visit};
use tracing::level_filters::LevelFilter;
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Metadata, Subscriber};

use crate::boundary::ffi_result;
use crate::error::{FfiError, mx_result_code};
use crate::strings::mx_str;

/// Severity of a log event, most severe first (`mx_set_log_callback`'s `max_level`).
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum mx_log_level {
    /// Logging off.
    Off = 0,
    /// Failures the library recovered from or could not report otherwise.
    Error = 1,
    /// Suspicious conditions (an insecure TLS setting, a shell that could not be deleted).
    Warn = 2,
    /// Notable events.
    Info = 3,
    /// Connection, authentication and protocol steps.
    Debug = 4,
    /// Everything.
    Trace = 5,
}

/// Receives one log event: its level (an `mx_log_level`), its origin (the module, e.g.
/// `monosync_exchange::transport::client`) and its text with its fields (`connected
/// peer=10.0.0.5:80`). Both strings are borrowed for the call only. Called from any thread,
/// the library's I/O threads included, possibly concurrently; it must return quickly and must
/// not call session functions of this library.
pub type mx_log_callback = Option<
    unsafe extern "C" fn(userdata: *mut c_void, level: u32, target: mx_str, message: mx_str),
>;

#[derive(Clone, Copy)]
struct LogSink {
    callback: unsafe extern "C" fn(*mut c_void, u32, mx_str, mx_str),
    userdata: *mut c_void,
}

// SAFETY: the sink is only called by this library; `mx_set_log_callback`'s documentation makes
// the caller responsible for the callback and userdata being usable from any thread.
unsafe impl Send for LogSink {}
// SAFETY: as above.
unsafe impl Sync for LogSink {}

static SINK: RwLock<Option<LogSink>> = RwLock::new(None);
static MAX_LEVEL: AtomicU32 = AtomicU32::new(mx_log_level::Off as u32);

thread_local! {
    /// Set while the callback runs, so that an event the callback itself causes is dropped
    /// instead of recursing.
    static IN_CALLBACK: Cell<bool> = const { Cell::new(false) };
}

fn level_code(level: &Level) -> u32 {
    match *level {
        Level::ERROR => mx_log_level::Error as u32,
        Level::WARN => mx_log_level::Warn as u32,
        Level::INFO => mx_log_level::Info as u32,
        Level::DEBUG => mx_log_level::Debug as u32,
        Level::TRACE => mx_log_level::Trace as u32,
    }
}

/// Whether a field's name suggests a secret.
fn is_secret(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    ["password", "secret", "token", "ticket", "credential", "key"]
        .iter()
        .any(|s| name.contains(s))
}

/// Formats an event as `message field=value ...`.
#[derive(Default)]
struct Text {
    message: String,
    fields: String,
}

impl Visit for Text {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.message, "{value:?}");
        } else if is_secret(field.name()) {
            let _ = write!(self.fields, " {}=<redacted>", field.name());
        } else {
            let _ = write!(self.fields, " {}={value:?}", field.name());
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message.push_str(value);
        } else if is_secret(field.name()) {
            let _ = write!(self.fields, " {}=<redacted>", field.name());
        } else {
            let _ = write!(self.fields, " {}={value}", field.name());
        }
    }
}

/// The process-wide subscriber; spans are given ids but not tracked.
struct Forwarder {
    next_span: AtomicU64,
}

impl Subscriber for Forwarder {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        level_code(metadata.level()) <= MAX_LEVEL.load(Ordering::Relaxed)
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        Some(match MAX_LEVEL.load(Ordering::Relaxed) {
            0 => LevelFilter::OFF,
            1 => LevelFilter::ERROR,
            2 => LevelFilter::WARN,
            3 => LevelFilter::INFO,
            4 => LevelFilter::DEBUG,
            _ => LevelFilter::TRACE,
        })
    }

    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(self.next_span.fetch_add(1, Ordering::Relaxed).max(1))
    }

    fn record(&self, _: &Id, _: &Record<'_>) {}

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let Some(sink) = *SINK.read().unwrap_or_else(PoisonError::into_inner) else {
            return;
        };
        if IN_CALLBACK.with(Cell::get) {
            return;
        }
        let mut text = Text::default();
        event.record(&mut text);
        text.message.push_str(&text.fields);
        let meta = event.metadata();
        IN_CALLBACK.with(|c| c.set(true));
        // SAFETY: the callback and userdata were registered together by the caller; the two
        // views outlive the call.
        unsafe {
            (sink.callback)(
                sink.userdata,
                level_code(meta.level()),
                mx_str::from(meta.target()),
                mx_str::from(text.message.as_str()),
            );
        }
        IN_CALLBACK.with(|c| c.set(false));
    }

    fn enter(&self, _: &Id) {}

    fn exit(&self, _: &Id) {}
}

/// Installs the forwarder as the process's `tracing` subscriber, once; false when another
/// subscriber was installed first.
fn install() -> bool {
    static INSTALLED: OnceLock<bool> = OnceLock::new();
    *INSTALLED.get_or_init(|| {
        tracing::subscriber::set_global_default(Forwarder {
            next_span: AtomicU64::new(1),
        })
        .is_ok()
    })
}

/// Sends the library's log events up to `max_level` (an `mx_log_level`) to `callback`, with
/// `userdata` passed through; NULL or `MX_LOG_LEVEL_OFF` turns logging off. One callback per
/// process: a new call replaces the previous one. `userdata` must stay valid until the
/// callback is replaced. Secrets are never logged. Fails with `MX_LOGGER_IN_USE` when the
/// process already has another `tracing` subscriber (a Rust host that installed its own),
/// and `MX_INVALID_ARGUMENT` for an unknown level.
#[unsafe(no_mangle)]
pub extern "C" fn mx_set_log_callback(
    callback: mx_log_callback,
    userdata: *mut c_void,
    max_level: u32,
) -> mx_result_code {
    ffi_result!({
        if max_level > mx_log_level::Trace as u32 {
            return Err(FfiError::invalid(format!(
                "{max_level} is not an mx_log_level"
            )));
        }
        if !install() {
            return Err(FfiError::new(
                mx_result_code::MX_LOGGER_IN_USE,
                "another tracing subscriber owns this process's log events",
            ));
        }
        let sink = callback.map(|callback| LogSink { callback, userdata });
        let level = if sink.is_some() { max_level } else { 0 };
        *SINK.write().unwrap_or_else(PoisonError::into_inner) = sink;
        MAX_LEVEL.store(level, Ordering::Relaxed);
        // Call sites cache whether they are enabled; make them ask again.
        tracing::callsite::rebuild_interest_cache();
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    static LINES: Mutex<Vec<(u32, String, String)>> = Mutex::new(Vec::new());

    unsafe extern "C" fn collect(_: *mut c_void, level: u32, target: mx_str, message: mx_str) {
        // SAFETY: the views are valid during the call.
        let (target, message) = unsafe {
            (
                target.to_str().unwrap_or_default().to_owned(),
                message.to_str().unwrap_or_default().to_owned(),
            )
        };
        LINES
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push((level, target, message));
    }

    fn lines() -> Vec<(u32, String, String)> {
        std::mem::take(&mut *LINES.lock().unwrap_or_else(PoisonError::into_inner))
    }

    #[test]
    fn events_reach_the_callback_filtered_and_redacted() {
        assert_eq!(
            mx_set_log_callback(
                Some(collect),
                std::ptr::null_mut(),
                mx_log_level::Info as u32
            ),
            mx_result_code::MX_OK
        );
        lines();
        tracing::info!(peer = "10.0.0.5:80", password = "hunter2", "connected");
        tracing::debug!("too detailed for Info");
        let got: Vec<_> = lines()
            .into_iter()
            .filter(|(_, target, _)| target.starts_with("monosync_exchange::log"))
            .collect();
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(got[0].0, mx_log_level::Info as u32);
        assert_eq!(got[0].2, "connected peer=10.0.0.5:80 password=<redacted>");
        assert!(!got[0].2.contains("hunter2"));

        // Raising the level takes effect at call sites already seen.
        assert_eq!(
            mx_set_log_callback(
                Some(collect),
                std::ptr::null_mut(),
                mx_log_level::Debug as u32
            ),
            mx_result_code::MX_OK
        );
        for _ in 0..2 {
            tracing::debug!(ticket_len = 1200, "kdc");
        }
        let got: Vec<_> = lines()
            .into_iter()
            .filter(|(_, t, _)| t.starts_with("monosync_exchange::log"))
            .collect();
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].2, "kdc ticket_len=<redacted>");

        // Off.
        assert_eq!(
            mx_set_log_callback(None, std::ptr::null_mut(), mx_log_level::Trace as u32),
            mx_result_code::MX_OK
        );
        tracing::error!("nobody hears this");
        assert!(
            lines()
                .iter()
                .all(|(_, t, _)| !t.starts_with("monosync_exchange::log"))
        );
        assert_eq!(
            mx_set_log_callback(Some(collect), std::ptr::null_mut(), 9),
            mx_result_code::MX_INVALID_ARGUMENT
        );
    }
}
