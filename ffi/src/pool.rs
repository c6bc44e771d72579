//! `mx_pool`: several sessions to one Exchange organisation, over one or more of its servers,
//! shared by many threads, over the core's `BlockingPool`.

use std::ffi::c_void;

use mx_core::exchange::BlockingPool;

use crate::boundary::{
    Castable, Out, OwnershipBox, ffi_result, ffi_value, free_box, to_boxed_ptr, try_ref,
};
use crate::cancel::{cancel_opt, cancel_ref, mx_cancel};
use crate::command::mx_command;
use crate::error::{FfiError, mx_error, mx_result_code};
use crate::invoke::{Invoker, mx_progress_callback, mx_stream_callback};
use crate::options::mx_options;
use crate::result::{mx_result, new_result};
use crate::session::command_of;

/// The most sessions a pool may hold (`mx_options_set_pool_size`). Exchange lets one account
/// hold 18 shells per server; the rest is left for an administrator's own session.
pub const MX_MAX_POOL_SESSIONS: u32 = 16;

/// A pool of sessions, made by `mx_pool_open`, owned by the caller and freed with
/// `mx_pool_free`. Thread-safe: every function may be called from any thread at the same
/// time. Unlike an `mx_session`, whose commands queue behind each other, a pool runs as many
/// commands at once as it may hold sessions; further callers wait, in arrival order, for a
/// session to come back.
pub struct mx_pool {
    _private: [u8; 0],
}

impl Castable for mx_pool {
    type RustType = Invoker<BlockingPool>;
    type Ownership = OwnershipBox;
}

fn pool_ref<'a>(pool: *const mx_pool) -> Result<&'a Invoker<BlockingPool>, FfiError> {
    // SAFETY: every pool function's documentation requires `pool` to be NULL or a live handle
    // from `mx_pool_open`.
    unsafe { try_ref(pool, "pool") }
}

/// Counts of a pool's sessions and of what happened to them, as `mx_pool_stats` reads them.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct mx_pool_counters {
    /// Sessions open now, in use or idle.
    pub sessions: u64,
    /// Sessions open and free now.
    pub idle: u64,
    /// Sessions opened so far, on every server.
    pub opened: u64,
    /// Sessions closed because they broke or failed a probe.
    pub discarded: u64,
    /// Sessions closed because they sat idle too long.
    pub idle_closed: u64,
    /// Probes of sessions that sat idle before their reuse.
    pub probes: u64,
    /// Commands sent again after a failure.
    pub retries: u64,
}

/// Makes a pool from a copy of `options` (which the caller keeps and may free at once): its
/// servers are the options' URL followed by those of `mx_options_add_server`, its size that
/// of `mx_options_set_pool_size` (default 2). Checks every URL and limit, but connects to
/// nothing yet: sessions open on first need, on the first healthy server. On success the
/// caller owns `*out` and frees it with `mx_pool_free`; a bad URL or option fails with
/// `MX_CONFIG`.
#[unsafe(no_mangle)]
pub extern "C" fn mx_pool_open(
    options: *const mx_options,
    out: *mut *mut mx_pool,
    err: *mut *mut mx_error,
) -> mx_result_code {
    ffi_result!(err => {
        // SAFETY: the documentation requires `out` to be valid for a write.
        let out = unsafe { Out::new(out, "out") }?;
        // SAFETY: the documentation requires `options` to be NULL or a live handle from
        // `mx_options_new`.
        let options = unsafe { try_ref(options, "options") }?.pool_snapshot();
        let pool = BlockingPool::new(options)?;
        out.write(to_boxed_ptr::<mx_pool>(Invoker::new(pool)));
        Ok(())
    })
}

/// Makes a pool from `config` (from `mx_options_build`, which the caller keeps and may
/// release at once) and `pool_options` (NULL for every default; copied): its servers are the
/// configuration's server followed by those of `mx_pool_options_add_server`. Otherwise as
/// `mx_pool_open`.
#[unsafe(no_mangle)]
pub extern "C" fn mx_pool_open_config(
    config: *const crate::config::mx_config,
    pool_options: *const crate::pool_options::mx_pool_options,
    out: *mut *mut mx_pool,
    err: *mut *mut mx_error,
) -> mx_result_code {
    ffi_result!(err => {
        // SAFETY: the documentation requires `out` to be valid for a write.
        let out = unsafe { Out::new(out, "out") }?;
        let session = crate::config::options_of(config)?;
        let options = crate::pool_options::settings_of(pool_options)
            .pool_options(mx_core::exchange::SessionOptions::clone(&session));
        let pool = BlockingPool::new(options)?;
        out.write(to_boxed_ptr::<mx_pool>(Invoker::new(pool)));
        Ok(())
    })
}

/// Runs `command` (copied; the caller keeps it) on a free session of the pool, opening one if
/// the pool may, else waiting for one, and returns everything it produced, as
/// `mx_session_invoke` does: the caller owns `*out` and frees it with `mx_result_free`. A
/// session that breaks is replaced, on the next server when its own fails, and a command that
/// failed for a passing reason (a dropped connection, throttling) is sent again; a
/// terminating error of the command itself fails the call with its kind. Blocks; must not be
/// called from a callback of this library.
#[unsafe(no_mangle)]
pub extern "C" fn mx_pool_invoke(
    pool: *const mx_pool,
    command: *const mx_command,
    out: *mut *mut mx_result,
    err: *mut *mut mx_error,
) -> mx_result_code {
    ffi_result!(err => {
        // SAFETY: the documentation requires `out` to be valid for a write.
        let out = unsafe { Out::new(out, "out") }?;
        let pool = pool_ref(pool)?;
        let command = command_of(command)?;
        out.write(new_result(pool.invoke(command, None)?));
        Ok(())
    })
}

/// `mx_pool_invoke` that `mx_cancel_request(cancel)` stops from another thread; the call then
/// fails with `MX_CANCELLED`, and the command is not sent again. `cancel` must not be NULL.
#[unsafe(no_mangle)]
pub extern "C" fn mx_pool_invoke_cancellable(
    pool: *const mx_pool,
    command: *const mx_command,
    cancel: *const mx_cancel,
    out: *mut *mut mx_result,
    err: *mut *mut mx_error,
) -> mx_result_code {
    ffi_result!(err => {
        // SAFETY: the documentation requires `out` to be valid for a write.
        let out = unsafe { Out::new(out, "out") }?;
        let pool = pool_ref(pool)?;
        let cancel = cancel_ref(cancel)?;
        let command = command_of(command)?;
        out.write(new_result(pool.invoke(command, Some(cancel))?));
        Ok(())
    })
}

/// Runs `command` (copied) on a session of the pool and calls `callback` with each item as it
/// arrives, as `mx_session_invoke_streaming` does. The session stays with this call until the
/// command ends, while other threads use the pool's other sessions. Until the first item
/// arrived, a failure is retried as `mx_pool_invoke` retries it; a command that changes state
/// and whose answer was lost fails with `MX_OUTCOME_UNKNOWN`. When the callback returns
/// non-zero, or `cancel` (which may be NULL) is requested from another thread, the command is
/// stopped on the server and its session closed rather than reused; a non-zero callback
/// return gives `MX_OK`, a request `MX_CANCELLED`. `callback` must not be NULL; `userdata` is
/// passed through untouched. Blocks; runs the callback on the calling thread.
#[unsafe(no_mangle)]
pub extern "C" fn mx_pool_invoke_streaming(
    pool: *const mx_pool,
    command: *const mx_command,
    cancel: *const mx_cancel,
    callback: mx_stream_callback,
    userdata: *mut c_void,
    err: *mut *mut mx_error,
) -> mx_result_code {
    ffi_result!(err => {
        let pool = pool_ref(pool)?;
        let callback = callback.ok_or_else(|| FfiError::null("callback"))?;
        let command = command_of(command)?;
        pool.stream(command, cancel_opt(cancel), callback, userdata)?;
        Ok(())
    })
}

/// Registers `callback` to receive progress records of the pool's commands, whether they run
/// to their end or stream, as `mx_session_set_progress_callback` does for a session (NULL
/// removes it). `userdata` is passed through untouched and must stay valid, and usable from
/// any thread that runs commands on the pool, until the callback is replaced or the pool
/// freed. Takes effect for commands started afterwards. With a callback, `mx_pool_invoke`
/// reads its command as a stream, so that progress arrives while it runs: a failure is then
/// retried only until the first item arrived, as `mx_pool_invoke_streaming` retries.
#[unsafe(no_mangle)]
pub extern "C" fn mx_pool_set_progress_callback(
    pool: *const mx_pool,
    callback: mx_progress_callback,
    userdata: *mut c_void,
) -> mx_result_code {
    ffi_result!({
        pool_ref(pool)?.set_progress(callback, userdata);
        Ok(())
    })
}

/// Writes the pool's counters to `*out`. Never blocks. `out` must be valid for a write.
#[unsafe(no_mangle)]
pub extern "C" fn mx_pool_stats(
    pool: *const mx_pool,
    out: *mut mx_pool_counters,
    err: *mut *mut mx_error,
) -> mx_result_code {
    ffi_result!(err => {
        // SAFETY: the documentation requires `out` to be valid for a write.
        let out = unsafe { Out::new(out, "out") }?;
        let stats = pool_ref(pool)?.target().stats();
        let wide = |n: usize| u64::try_from(n).unwrap_or(u64::MAX);
        out.write(mx_pool_counters {
            sessions: wide(stats.sessions),
            idle: wide(stats.idle),
            opened: stats.opened,
            discarded: stats.discarded,
            idle_closed: stats.idle_closed,
            probes: stats.probes,
            retries: stats.retries,
        });
        Ok(())
    })
}

/// The sessions opened so far on server `index` of the pool (0 is the options' URL, then the
/// servers in the order of `mx_options_add_server`): which servers took the load after a
/// failover. An index past the list gives `MX_INVALID_ARGUMENT`. Never blocks.
#[unsafe(no_mangle)]
pub extern "C" fn mx_pool_server_opened(
    pool: *const mx_pool,
    index: usize,
    out: *mut u64,
    err: *mut *mut mx_error,
) -> mx_result_code {
    ffi_result!(err => {
        // SAFETY: the documentation requires `out` to be valid for a write.
        let out = unsafe { Out::new(out, "out") }?;
        let stats = pool_ref(pool)?.target().stats();
        let count = stats.opened_per_server.get(index).copied().ok_or_else(|| {
            FfiError::invalid(format!(
                "server {index} is past the pool's {} servers",
                stats.opened_per_server.len()
            ))
        })?;
        out.write(count);
        Ok(())
    })
}

/// Closes the pool: deletes the shells of its idle sessions (one round trip each) and fails
/// later `mx_pool_invoke` calls with `MX_CONFIG`; sessions in use are deleted when their
/// command ends. The handle must still be freed with `mx_pool_free`.
#[unsafe(no_mangle)]
pub extern "C" fn mx_pool_close(pool: *const mx_pool, err: *mut *mut mx_error) -> mx_result_code {
    ffi_result!(err => {
        pool_ref(pool)?.target().close()?;
        Ok(())
    })
}

/// Frees the pool; a pool not closed yet is closed first (which blocks for the shells'
/// deletion). NULL is fine. Must be called once, after every other call on the pool has
/// returned.
#[unsafe(no_mangle)]
pub extern "C" fn mx_pool_free(pool: *mut mx_pool) {
    ffi_value!((), {
        // SAFETY: the documentation requires `pool` to be NULL or a live handle from
        // `mx_pool_open` that no other thread uses any more, freed once.
        unsafe { free_box(pool) }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::options::{mx_options_free, mx_options_new, mx_options_set_url};
    use mx_core::exchange::MAX_POOL_SESSIONS;

    #[test]
    fn the_c_limit_is_the_core_limit() {
        assert_eq!(
            usize::try_from(MX_MAX_POOL_SESSIONS).ok(),
            Some(MAX_POOL_SESSIONS)
        );
    }

    #[test]
    fn null_handles_are_refused() {
        let mut out: *mut mx_pool = std::ptr::null_mut();
        let null = std::ptr::null_mut();
        assert_eq!(
            mx_pool_open(std::ptr::null(), &mut out, null),
            mx_result_code::MX_INVALID_ARGUMENT
        );
        assert!(out.is_null());
        let mut result: *mut mx_result = std::ptr::null_mut();
        assert_eq!(
            mx_pool_invoke(std::ptr::null(), std::ptr::null(), &mut result, null),
            mx_result_code::MX_INVALID_ARGUMENT
        );
        let mut stats = mx_pool_counters::default();
        assert_eq!(
            mx_pool_stats(std::ptr::null(), &mut stats, null),
            mx_result_code::MX_INVALID_ARGUMENT
        );
        assert_eq!(
            mx_pool_close(std::ptr::null(), null),
            mx_result_code::MX_INVALID_ARGUMENT
        );
        mx_pool_free(std::ptr::null_mut());
        assert_eq!(
            mx_pool_set_progress_callback(std::ptr::null(), None, std::ptr::null_mut()),
            mx_result_code::MX_INVALID_ARGUMENT
        );
        assert_eq!(
            crate::cancel::mx_cancel_request(std::ptr::null()),
            mx_result_code::MX_INVALID_ARGUMENT
        );
        assert_eq!(
            mx_pool_invoke_cancellable(
                std::ptr::null(),
                std::ptr::null(),
                std::ptr::null(),
                &mut result,
                null
            ),
            mx_result_code::MX_INVALID_ARGUMENT
        );
        assert_eq!(
            mx_pool_invoke_streaming(
                std::ptr::null(),
                std::ptr::null(),
                std::ptr::null(),
                None,
                std::ptr::null_mut(),
                null
            ),
            mx_result_code::MX_INVALID_ARGUMENT
        );
        crate::cancel::mx_cancel_free(std::ptr::null_mut());
    }

    #[test]
    fn a_pool_without_a_url_fails_with_config() {
        let options = mx_options_new();
        let mut out: *mut mx_pool = std::ptr::null_mut();
        let null = std::ptr::null_mut();
        assert_eq!(
            mx_pool_open(options, &mut out, null),
            mx_result_code::MX_CONFIG
        );
        assert!(out.is_null());
        let url = "ftp://ex01.corp.example/";
        assert_eq!(
            mx_options_set_url(options, url.as_ptr().cast(), url.len(), null),
            mx_result_code::MX_OK
        );
        assert_eq!(
            mx_pool_open(options, &mut out, null),
            mx_result_code::MX_CONFIG
        );
        mx_options_free(options);
    }

    #[test]
    fn a_new_pool_connects_to_nothing_and_counts_its_servers() {
        let options = mx_options_new();
        let null = std::ptr::null_mut();
        for (i, url) in [
            "http://127.0.0.1:9/PowerShell/",
            "http://127.0.0.1:10/PowerShell/",
        ]
        .iter()
        .enumerate()
        {
            let set = if i == 0 {
                mx_options_set_url(options, url.as_ptr().cast(), url.len(), null)
            } else {
                crate::options::mx_options_add_server(options, url.as_ptr().cast(), url.len(), null)
            };
            assert_eq!(set, mx_result_code::MX_OK);
        }
        let mut pool: *mut mx_pool = std::ptr::null_mut();
        assert_eq!(
            mx_pool_open(options, &mut pool, null),
            mx_result_code::MX_OK
        );
        mx_options_free(options);
        let mut stats = mx_pool_counters {
            opened: 99,
            ..mx_pool_counters::default()
        };
        assert_eq!(mx_pool_stats(pool, &mut stats, null), mx_result_code::MX_OK);
        assert_eq!(stats, mx_pool_counters::default());
        let mut opened = 7u64;
        assert_eq!(
            mx_pool_server_opened(pool, 1, &mut opened, null),
            mx_result_code::MX_OK
        );
        assert_eq!(opened, 0);
        assert_eq!(
            mx_pool_server_opened(pool, 2, &mut opened, null),
            mx_result_code::MX_INVALID_ARGUMENT
        );
        assert_eq!(mx_pool_close(pool, null), mx_result_code::MX_OK);
        let mut result: *mut mx_result = std::ptr::null_mut();
        let mut command = std::ptr::null_mut();
        let name = "Get-Mailbox";
        assert_eq!(
            crate::command::mx_command_new(name.as_ptr().cast(), name.len(), &mut command, null),
            mx_result_code::MX_OK
        );
        assert_eq!(
            mx_pool_invoke(pool, command, &mut result, null),
            mx_result_code::MX_CONFIG
        );
        assert!(result.is_null());
        crate::command::mx_command_free(command);
        mx_pool_free(pool);
    }
}
