//! `mx_pool_options`: what a pool needs beyond its sessions' configuration: failover
//! servers, its size, how long a caller waits for a session and how often a failed command is
//! tried. The options of the pool layer of the core's option table.

use std::ffi::c_char;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use mx_core::exchange::{MAX_POOL_SESSIONS, PoolOptions, SessionOptions};
use mx_core::option_table::{DEFAULT_POOL_SESSIONS, DEFAULT_RETRY_ATTEMPTS};

use crate::boundary::{
    Castable, OwnershipBox, ffi_result, ffi_value, free_box, to_boxed_ptr, try_ref, try_str,
};
use crate::error::{FfiError, mx_error, mx_result_code};
use crate::options::optional_ms;

/// The settings of a pool beyond its sessions' options.
#[derive(Debug, Clone)]
pub(crate) struct PoolSettings {
    /// Failover servers tried after the configuration's server, in order.
    pub(crate) servers: Vec<String>,
    /// Sessions the pool may hold, 1 to `MAX_POOL_SESSIONS`.
    pub(crate) max_sessions: usize,
    /// The longest a caller waits for a free session; `None` for as long as it takes.
    pub(crate) acquire_timeout: Option<Duration>,
    /// Attempts of a failed command in all.
    pub(crate) retry_attempts: u32,
}

impl Default for PoolSettings {
    fn default() -> Self {
        PoolSettings {
            servers: Vec::new(),
            max_sessions: DEFAULT_POOL_SESSIONS,
            acquire_timeout: None,
            retry_attempts: DEFAULT_RETRY_ATTEMPTS,
        }
    }
}

impl PoolSettings {
    pub(crate) fn add_server(&mut self, url: &str) -> Result<(), FfiError> {
        if url.is_empty() {
            return Err(FfiError::invalid("the server URL is empty"));
        }
        self.servers.push(url.to_owned());
        Ok(())
    }

    pub(crate) fn set_max_sessions(&mut self, sessions: u32) -> Result<(), FfiError> {
        let n = usize::try_from(sessions).unwrap_or(usize::MAX);
        if !(1..=MAX_POOL_SESSIONS).contains(&n) {
            return Err(FfiError::invalid(format!(
                "the pool size must be 1 to {MAX_POOL_SESSIONS}, not {sessions}"
            )));
        }
        self.max_sessions = n;
        Ok(())
    }

    pub(crate) fn set_retry_attempts(&mut self, attempts: u32) -> Result<(), FfiError> {
        if attempts == 0 {
            return Err(FfiError::invalid("retry_attempts must be at least 1"));
        }
        self.retry_attempts = attempts;
        Ok(())
    }

    /// The core's pool options over `session`'s server and then these servers.
    pub(crate) fn pool_options(&self, session: SessionOptions) -> PoolOptions {
        let first = session.transport.url.clone();
        let servers = std::iter::once(first).chain(self.servers.iter().cloned());
        let mut options = PoolOptions::with_servers(session, servers);
        options.max_sessions = self.max_sessions;
        options.acquire_timeout = self.acquire_timeout;
        options.retry.max_attempts = self.retry_attempts;
        options
    }
}

/// A pool's own options for `mx_pool_open_config`. Created by `mx_pool_options_new`, owned by
/// the caller, freed with `mx_pool_options_free`; setters lock it, and `mx_pool_open_config`
/// copies it.
pub struct mx_pool_options {
    _private: [u8; 0],
}

impl Castable for mx_pool_options {
    type RustType = Mutex<PoolSettings>;
    type Ownership = OwnershipBox;
}

/// Applies `change` to the settings behind `options`.
fn update(
    options: *mut mx_pool_options,
    change: impl FnOnce(&mut PoolSettings) -> Result<(), FfiError>,
) -> Result<(), FfiError> {
    // SAFETY: every setter's documentation requires `options` to be NULL or a live handle from
    // `mx_pool_options_new`.
    let handle = unsafe { try_ref(options, "pool_options") }?;
    change(&mut handle.lock().unwrap_or_else(PoisonError::into_inner))
}

/// The settings behind `options`, or the defaults for NULL.
pub(crate) fn settings_of(options: *const mx_pool_options) -> PoolSettings {
    // SAFETY: `mx_pool_open_config` requires `pool_options` to be NULL or a live handle.
    match unsafe { try_ref(options, "pool_options") } {
        Ok(handle) => handle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone(),
        Err(_) => PoolSettings::default(),
    }
}

/// New pool options with every default. The caller owns the result and frees it with
/// `mx_pool_options_free`. Returns NULL only if the library failed internally.
#[unsafe(no_mangle)]
pub extern "C" fn mx_pool_options_new() -> *mut mx_pool_options {
    ffi_value!(std::ptr::null_mut(), {
        to_boxed_ptr::<mx_pool_options>(Mutex::new(PoolSettings::default()))
    })
}

/// Frees pool options. NULL is fine. Must be called once, when no other thread uses them.
#[unsafe(no_mangle)]
pub extern "C" fn mx_pool_options_free(options: *mut mx_pool_options) {
    ffi_value!((), {
        // SAFETY: the documentation requires `options` to be NULL or a live handle from
        // `mx_pool_options_new`, freed once.
        unsafe { free_box(options) }
    })
}

/// Adds a failover server (a URL or a host name, as `mx_options_set_server` takes): the pool
/// opens new sessions on the first healthy server of the configuration's server followed by
/// the added ones, in order, and moves on when one cannot be reached; a session stays on the
/// server it opened on. Every server shares the rest of the configuration. Copied; checked by
/// `mx_pool_open_config` (`MX_CONFIG`). Default: none.
#[unsafe(no_mangle)]
pub extern "C" fn mx_pool_options_add_server(
    options: *mut mx_pool_options,
    url: *const c_char,
    url_len: usize,
    err: *mut *mut mx_error,
) -> mx_result_code {
    ffi_result!(err => {
        // SAFETY: the documentation requires `url` to point at `url_len` readable bytes.
        let url = unsafe { try_str(url, url_len, "url") }?;
        update(options, |p| p.add_server(url))
    })
}

/// Sets how many sessions the pool may hold, which is also how many commands it runs at once:
/// 1 to `MX_MAX_POOL_SESSIONS` (16, below Exchange's 18 shells per user), else
/// `MX_INVALID_ARGUMENT` and the old value stays. Default: 2.
#[unsafe(no_mangle)]
pub extern "C" fn mx_pool_options_set_max_sessions(
    options: *mut mx_pool_options,
    sessions: u32,
    err: *mut *mut mx_error,
) -> mx_result_code {
    ffi_result!(err => { update(options, |p| p.set_max_sessions(sessions)) })
}

/// The longest a call waits for a free session, in milliseconds; when it passes the call
/// fails with `MX_TIMEOUT`, without a retry. 0 waits as long as it takes. Default: none.
#[unsafe(no_mangle)]
pub extern "C" fn mx_pool_options_set_acquire_timeout_ms(
    options: *mut mx_pool_options,
    milliseconds: u64,
    err: *mut *mut mx_error,
) -> mx_result_code {
    ffi_result!(err => { update(options, |p| {
        p.acquire_timeout = optional_ms(milliseconds);
        Ok(())
    }) })
}

/// Attempts of a command in all, the first included, when it fails for a passing reason (a
/// dropped connection, throttling); 1 turns retries off, 0 is refused. Default: 3.
#[unsafe(no_mangle)]
pub extern "C" fn mx_pool_options_set_retry_attempts(
    options: *mut mx_pool_options,
    attempts: u32,
    err: *mut *mut mx_error,
) -> mx_result_code {
    ffi_result!(err => { update(options, |p| p.set_retry_attempts(attempts)) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use mx_core::transport::{AuthMethod, Credentials};

    #[test]
    fn setters_reach_the_core_and_bad_values_are_refused() {
        let o = mx_pool_options_new();
        let null = std::ptr::null_mut();
        let url = "ex02.corp.example";
        assert_eq!(
            mx_pool_options_add_server(o, url.as_ptr().cast(), url.len(), null),
            mx_result_code::MX_OK
        );
        assert_eq!(
            mx_pool_options_set_max_sessions(o, 4, null),
            mx_result_code::MX_OK
        );
        assert_eq!(
            mx_pool_options_set_max_sessions(o, 0, null),
            mx_result_code::MX_INVALID_ARGUMENT
        );
        assert_eq!(
            mx_pool_options_set_acquire_timeout_ms(o, 1_500, null),
            mx_result_code::MX_OK
        );
        assert_eq!(
            mx_pool_options_set_retry_attempts(o, 0, null),
            mx_result_code::MX_INVALID_ARGUMENT
        );
        assert_eq!(
            mx_pool_options_set_retry_attempts(o, 5, null),
            mx_result_code::MX_OK
        );
        let session = SessionOptions::exchange(
            "https://ex01.corp.example/PowerShell/",
            AuthMethod::Ntlm,
            Credentials::new("u", "p"),
        );
        let pool = settings_of(o).pool_options(session.clone());
        assert_eq!(
            pool.servers,
            [
                "https://ex01.corp.example/PowerShell/",
                "https://ex02.corp.example/PowerShell/"
            ]
        );
        assert_eq!(pool.max_sessions, 4);
        assert_eq!(pool.acquire_timeout, Some(Duration::from_millis(1_500)));
        assert_eq!(pool.retry.max_attempts, 5);
        mx_pool_options_free(o);
        let defaults = settings_of(std::ptr::null()).pool_options(session);
        assert_eq!(defaults.max_sessions, DEFAULT_POOL_SESSIONS);
        assert_eq!(defaults.retry.max_attempts, DEFAULT_RETRY_ATTEMPTS);
        assert_eq!(defaults.acquire_timeout, None);
    }
}
