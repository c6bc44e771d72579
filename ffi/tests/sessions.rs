//! The C ABI against mx-sim, called the way a C host calls it: one session handle hammered
//! from eight threads, several handles in parallel, streaming with an early stop, cancel from
//! another thread, SecureStrings, and the shapes of a NotFound and of a WS-Management fault.

use std::ffi::{c_int, c_void};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use monosync_exchange::cancel::*;
use monosync_exchange::command::*;
use monosync_exchange::error::*;
use monosync_exchange::object::*;
use monosync_exchange::options::*;
use monosync_exchange::result::*;
use monosync_exchange::session::*;
use monosync_exchange::strings::mx_str;
use mx_sim::{Endpoint, FaultAction, FaultPlan, FaultRule, RunningServer, Server, SimConfig};

mod common;

use common::{Shared, check, s, take_error};

fn options(server: &RunningServer) -> *mut mx_options {
    common::options(&server.url(Endpoint::PowerShell))
}

fn open(server: &RunningServer) -> *mut mx_session {
    let o = options(server);
    let mut session = std::ptr::null_mut();
    let mut err = std::ptr::null_mut();
    check(mx_session_open(o, &mut session, &mut err), err);
    mx_options_free(o);
    session
}

/// `name` with string parameters.
fn command(name: &str, params: &[(&str, &str)]) -> *mut mx_command {
    let mut c = std::ptr::null_mut();
    let mut err = std::ptr::null_mut();
    let (p, n) = s(name);
    check(mx_command_new(p, n, &mut c, &mut err), err);
    for (k, v) in params {
        let (kp, kn) = s(k);
        let (vp, vn) = s(v);
        check(mx_command_add_string(c, kp, kn, vp, vn, &mut err), err);
    }
    c
}

fn invoke(session: *const mx_session, c: *const mx_command) -> *mut mx_result {
    let mut result = std::ptr::null_mut();
    let mut err = std::ptr::null_mut();
    check(mx_session_invoke(session, c, &mut result, &mut err), err);
    result
}

fn text_property(object: *const mx_object, name: &str) -> Option<String> {
    let mut out = mx_str {
        data: std::ptr::null(),
        len: 0,
    };
    let (p, n) = s(name);
    if mx_object_property_string(object, p, n, &mut out, std::ptr::null_mut())
        != mx_result_code::MX_OK
    {
        return None;
    }
    // SAFETY: the object's result is alive while this is read.
    unsafe { out.to_str() }.map(str::to_owned)
}

#[test]
fn one_session_handle_serves_eight_threads() {
    let server = Server::start(SimConfig::default()).expect("server");
    let session = Shared(open(&server).cast_const());
    let names = ["justin.martin", "Administrator"];
    let threads: Vec<_> = (0..8)
        .map(|i| {
            let name = names[i % names.len()];
            std::thread::spawn(move || {
                let session = session;
                let c = command("Get-User", &[("Identity", name)]);
                for _ in 0..5 {
                    if i % 4 == 3 {
                        // Some threads stream while the others invoke.
                        let state = StopAfter {
                            limit: usize::MAX,
                            objects: AtomicUsize::new(0),
                            records: AtomicUsize::new(0),
                        };
                        let mut err = std::ptr::null_mut();
                        check(
                            mx_session_invoke_streaming(
                                session.0,
                                c,
                                Some(stop_after),
                                (&raw const state).cast_mut().cast(),
                                &mut err,
                            ),
                            err,
                        );
                        assert_eq!(state.objects.load(Ordering::SeqCst), 1);
                        continue;
                    }
                    let result = invoke(session.0, c);
                    assert_eq!(mx_result_count(result), 1);
                    let user = mx_result_get(result, 0);
                    assert_eq!(text_property(user, "SamAccountName").as_deref(), Some(name));
                    mx_result_free(result);
                }
                mx_command_free(c);
            })
        })
        .collect();
    for t in threads {
        t.join().expect("thread");
    }
    // One shell served all forty calls.
    assert_eq!(server.shell_count(), 1);
    let (mut wsman, mut http) = (0u64, 0u64);
    let mut err = std::ptr::null_mut();
    check(
        mx_session_round_trips(session.0, &mut wsman, &mut http, &mut err),
        err,
    );
    assert!(wsman >= 40 * 2, "{wsman} WS-Management operations");
    assert!(http >= wsman);
    check(mx_session_close(session.0, &mut err), err);
    assert_eq!(server.shell_count(), 0);
    // A closed session refuses commands with MX_CONFIG.
    let c = command("Get-User", &[]);
    let mut result = std::ptr::null_mut();
    assert_eq!(
        mx_session_invoke(session.0, c, &mut result, &mut err),
        mx_result_code::MX_CONFIG
    );
    assert!(result.is_null());
    let (_, message) = take_error(err);
    assert_eq!(message, "the session is closed");
    mx_command_free(c);
    mx_session_free(session.0.cast_mut());
}

#[test]
fn several_handles_run_in_parallel() {
    let server = Server::start(SimConfig::default()).expect("server");
    let url_server = &server;
    std::thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(move || {
                let session = open(url_server);
                let c = command("Get-Mailbox", &[("ResultSize", "20")]);
                for _ in 0..3 {
                    let result = invoke(session, c);
                    assert_eq!(mx_result_count(result), 20);
                    let mut o = std::ptr::null();
                    let mut seen = 0;
                    while mx_result_next(result, &mut o) == mx_result_code::MX_OK {
                        assert!(text_property(o, "PrimarySmtpAddress").is_some());
                        seen += 1;
                    }
                    assert_eq!(seen, 20);
                    mx_result_free(result);
                }
                mx_command_free(c);
                // Freeing an open session closes it.
                mx_session_free(session);
            });
        }
    });
    assert_eq!(server.shell_count(), 0);
}

struct StopAfter {
    limit: usize,
    objects: AtomicUsize,
    records: AtomicUsize,
}

unsafe extern "C" fn stop_after(
    userdata: *mut c_void,
    stream: u32,
    object: *const mx_object,
    record: *const mx_record,
) -> c_int {
    // SAFETY: the test passes a `StopAfter` that outlives the call.
    let state = unsafe { &*userdata.cast::<StopAfter>() };
    if stream == mx_stream::Output as u32 {
        assert!(!object.is_null() && record.is_null());
        let n = state.objects.fetch_add(1, Ordering::SeqCst) + 1;
        c_int::from(n >= state.limit)
    } else {
        assert!(object.is_null() && !record.is_null());
        state.records.fetch_add(1, Ordering::SeqCst);
        0
    }
}

#[test]
fn streaming_stops_when_the_callback_says_so() {
    let server = Server::start(SimConfig::default()).expect("server");
    let session = open(&server);
    let c = command("Get-Mailbox", &[("ResultSize", "Unlimited")]);
    let state = StopAfter {
        limit: 10,
        objects: AtomicUsize::new(0),
        records: AtomicUsize::new(0),
    };
    let mut err = std::ptr::null_mut();
    check(
        mx_session_invoke_streaming(
            session,
            c,
            Some(stop_after),
            (&raw const state).cast_mut().cast(),
            &mut err,
        ),
        err,
    );
    assert_eq!(state.objects.load(Ordering::SeqCst), 10);
    // Read to the end, the same command gives every mailbox.
    let all = StopAfter {
        limit: usize::MAX,
        objects: AtomicUsize::new(0),
        records: AtomicUsize::new(0),
    };
    check(
        mx_session_invoke_streaming(
            session,
            c,
            Some(stop_after),
            (&raw const all).cast_mut().cast(),
            &mut err,
        ),
        err,
    );
    let result = invoke(session, c);
    assert_eq!(all.objects.load(Ordering::SeqCst), mx_result_count(result));
    assert!(mx_result_count(result) > 100);
    mx_result_free(result);
    // No callback: refused before anything runs.
    assert_eq!(
        mx_session_invoke_streaming(session, c, None, std::ptr::null_mut(), &mut err),
        mx_result_code::MX_INVALID_ARGUMENT
    );
    mx_error_free(err);
    mx_command_free(c);
    mx_session_free(session);
}

#[test]
fn cancel_from_another_thread_fails_the_call_with_cancelled() {
    let server = Server::start(SimConfig::default()).expect("server");
    let session = open(&server);
    server.set_faults(FaultPlan {
        rules: vec![FaultRule {
            operation: "Receive".into(),
            nth: 1,
            count: 1,
            action: FaultAction::Delay { ms: 10_000 },
        }],
    });
    let shared = Shared(session.cast_const());
    let canceller = std::thread::spawn(move || {
        let shared = shared;
        std::thread::sleep(Duration::from_millis(300));
        mx_session_cancel(shared.0)
    });
    let c = command("Get-User", &[("Identity", "justin.martin")]);
    let started = Instant::now();
    let mut result = std::ptr::null_mut();
    let mut err = std::ptr::null_mut();
    let code = mx_session_invoke(session, c, &mut result, &mut err);
    assert_eq!(canceller.join().expect("thread"), mx_result_code::MX_OK);
    assert_eq!(code, mx_result_code::MX_CANCELLED);
    assert!(result.is_null());
    assert!(started.elapsed() < Duration::from_secs(8));
    let (kind, message) = take_error(err);
    assert_eq!(kind, mx_result_code::MX_CANCELLED);
    assert_eq!(message, "the command was cancelled");
    server.set_faults(FaultPlan::default());
    let result = invoke(session, c);
    assert_eq!(mx_result_count(result), 1);
    mx_result_free(result);
    mx_command_free(c);
    mx_session_free(session);
}

#[test]
fn not_found_as_a_record_and_as_a_failed_call() {
    let server = Server::start(SimConfig::default()).expect("server");
    let session = open(&server);
    let c = command("Get-Mailbox", &[("Identity", "nobody-here")]);
    let result = invoke(session, c);
    assert_eq!(mx_result_count(result), 0);
    assert_eq!(mx_result_record_count(result, mx_stream::Error as u32), 1);
    let record = mx_result_record(result, mx_stream::Error as u32, 0);
    assert_eq!(mx_record_error_kind(record), mx_result_code::MX_NOT_FOUND);
    // SAFETY: the result is alive while these are read.
    let fqeid = unsafe { mx_record_fqeid(record).to_str() }.map(str::to_owned);
    assert!(
        fqeid
            .as_deref()
            .is_some_and(|f| f.ends_with("Microsoft.Exchange.Management.RecipientTasks.GetMailbox")),
        "{fqeid:?}"
    );
    mx_result_free(result);

    let mut err = std::ptr::null_mut();
    let (kp, kn) = s("ErrorAction");
    let (vp, vn) = s("Stop");
    check(mx_command_add_string(c, kp, kn, vp, vn, &mut err), err);
    let mut result = std::ptr::null_mut();
    assert_eq!(
        mx_session_invoke(session, c, &mut result, &mut err),
        mx_result_code::MX_NOT_FOUND
    );
    assert!(result.is_null());
    assert_eq!(mx_error_code(err), mx_result_code::MX_NOT_FOUND);
    // SAFETY: read before the free.
    unsafe {
        assert_eq!(
            mx_error_exception_type(err).to_str(),
            Some("Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException")
        );
        assert!(
            mx_error_fqeid(err)
                .to_str()
                .is_some_and(|f| f.contains("ManagementObjectNotFoundException"))
        );
        assert!(
            mx_error_message(err)
                .to_str()
                .is_some_and(|m| m.contains("nobody-here"))
        );
        // This core supplies no hints.
        assert!(mx_error_hint(err).data.is_null());
    }
    let mut server_code = 0u32;
    assert!(!mx_error_server_code(err, &mut server_code));
    mx_error_free(err);
    mx_command_free(c);
    mx_session_free(session);
}

#[test]
fn secure_string_parameters_create_a_mailbox() {
    let server = Server::start(SimConfig::default()).expect("server");
    let session = open(&server);
    let c = command(
        "New-Mailbox",
        &[
            ("Name", "Ffi Test"),
            ("UserPrincipalName", "ffi.test@contoso.com"),
        ],
    );
    let mut err = std::ptr::null_mut();
    let (kp, kn) = s("Password");
    let (vp, vn) = s("S3cret!Pass");
    check(mx_command_add_secure(c, kp, kn, vp, vn, &mut err), err);
    let result = invoke(session, c);
    assert_eq!(mx_result_record_count(result, mx_stream::Error as u32), 0);
    let mailbox = mx_result_get(result, 0);
    assert_eq!(
        text_property(mailbox, "UserPrincipalName").as_deref(),
        Some("ffi.test@contoso.com")
    );
    mx_result_free(result);
    // A plain string where a SecureString is required fails parameter binding, which is a
    // terminating error.
    let plain = command(
        "New-Mailbox",
        &[
            ("Name", "Ffi Plain"),
            ("UserPrincipalName", "ffi.plain@contoso.com"),
            ("Password", "S3cret!Pass"),
        ],
    );
    let mut failed = std::ptr::null_mut();
    assert_eq!(
        mx_session_invoke(session, plain, &mut failed, &mut err),
        mx_result_code::MX_INVALID_PARAMETER
    );
    assert!(failed.is_null());
    // SAFETY: read before the free.
    let fqeid = unsafe { mx_error_fqeid(err).to_str() }.map(str::to_owned);
    mx_error_free(err);
    assert_eq!(
        fqeid.as_deref(),
        Some("ParameterArgumentTransformationError,New-Mailbox")
    );
    mx_command_free(plain);
    mx_command_free(c);
    mx_session_free(session);
}

#[test]
fn a_shell_quota_fault_keeps_its_server_code() {
    let mut config = SimConfig::default();
    config.service.max_shells_per_user = 1;
    let server = Server::start(config).expect("server");
    let first = open(&server);
    let o = options(&server);
    let mut second = std::ptr::null_mut();
    let mut err = std::ptr::null_mut();
    let code = mx_session_open(o, &mut second, &mut err);
    assert_eq!(code, mx_result_code::MX_THROTTLED);
    assert!(second.is_null());
    let mut server_code = 0u32;
    assert!(mx_error_server_code(err, &mut server_code));
    assert_eq!(server_code, 2_150_859_173);
    assert!(mx_result_code_is_retryable(code as u32));
    mx_error_free(err);
    mx_options_free(o);
    mx_session_free(first);
}

static PROGRESS_CALLS: AtomicUsize = AtomicUsize::new(0);

unsafe extern "C" fn count_progress(_: *mut c_void, record: *const mx_record) {
    assert_eq!(mx_record_stream(record), mx_stream::Progress as u32);
    PROGRESS_CALLS.fetch_add(1, Ordering::SeqCst);
}

#[test]
fn a_progress_callback_leaves_results_unchanged() {
    let server = Server::start(SimConfig::default()).expect("server");
    let session = open(&server);
    let c = command("Get-Mailbox", &[("ResultSize", "20")]);
    let plain = invoke(session, c);
    assert_eq!(
        mx_session_set_progress_callback(session, Some(count_progress), std::ptr::null_mut()),
        mx_result_code::MX_OK
    );
    // With a progress callback the command is read as a stream; the result is the same.
    let watched = invoke(session, c);
    assert_eq!(mx_result_count(watched), 20);
    for i in 0..20 {
        assert_eq!(
            text_property(mx_result_get(plain, i), "Alias"),
            text_property(mx_result_get(watched, i), "Alias")
        );
    }
    // The simulator reports no progress for Get-Mailbox.
    assert_eq!(PROGRESS_CALLS.load(Ordering::SeqCst), 0);
    assert_eq!(
        mx_result_record_count(watched, mx_stream::Progress as u32),
        0
    );
    assert_eq!(
        mx_session_set_progress_callback(session, None, std::ptr::null_mut()),
        mx_result_code::MX_OK
    );
    mx_result_free(plain);
    mx_result_free(watched);
    mx_command_free(c);
    mx_session_free(session);
}

#[test]
fn a_cancel_token_stops_a_session_call_as_it_stops_a_pool_call() {
    let server = Server::start(SimConfig::default()).expect("server");
    let session = open(&server);
    server.set_faults(FaultPlan {
        rules: vec![FaultRule {
            operation: "Receive".into(),
            nth: 1,
            count: 1,
            action: FaultAction::Delay { ms: 10_000 },
        }],
    });
    let mut token = std::ptr::null_mut();
    assert_eq!(mx_cancel_new(&mut token), mx_result_code::MX_OK);
    let shared = Shared(token.cast_const());
    let canceller = std::thread::spawn(move || {
        let shared = shared;
        std::thread::sleep(Duration::from_millis(300));
        mx_cancel_request(shared.0)
    });
    let c = command("Get-User", &[("Identity", "justin.martin")]);
    let started = Instant::now();
    let mut result = std::ptr::null_mut();
    let mut err = std::ptr::null_mut();
    let code = mx_session_invoke_cancellable(session, c, token, &mut result, &mut err);
    assert_eq!(canceller.join().expect("thread"), mx_result_code::MX_OK);
    assert_eq!(code, mx_result_code::MX_CANCELLED);
    assert!(result.is_null());
    assert!(started.elapsed() < Duration::from_secs(8));
    assert_eq!(take_error(err).0, mx_result_code::MX_CANCELLED);
    server.set_faults(FaultPlan::default());
    // The token stays requested: a call given it fails at once, streaming too.
    let mut err = std::ptr::null_mut();
    assert_eq!(
        mx_session_invoke_cancellable(session, c, token, &mut result, &mut err),
        mx_result_code::MX_CANCELLED
    );
    mx_error_free(err);
    let state = StopAfter {
        limit: usize::MAX,
        objects: AtomicUsize::new(0),
        records: AtomicUsize::new(0),
    };
    let mut err = std::ptr::null_mut();
    assert_eq!(
        mx_session_invoke_streaming_cancellable(
            session,
            c,
            token,
            Some(stop_after),
            (&raw const state).cast_mut().cast(),
            &mut err,
        ),
        mx_result_code::MX_CANCELLED
    );
    mx_error_free(err);
    assert_eq!(state.objects.load(Ordering::SeqCst), 0);
    mx_cancel_free(token);
    // A fresh token, never requested, lets the command run; so does none at all.
    let mut fresh = std::ptr::null_mut();
    assert_eq!(mx_cancel_new(&mut fresh), mx_result_code::MX_OK);
    let mut err = std::ptr::null_mut();
    check(
        mx_session_invoke_cancellable(session, c, fresh, &mut result, &mut err),
        err,
    );
    assert_eq!(mx_result_count(result), 1);
    mx_result_free(result);
    check(
        mx_session_invoke_streaming_cancellable(
            session,
            c,
            std::ptr::null(),
            Some(stop_after),
            (&raw const state).cast_mut().cast(),
            &mut err,
        ),
        err,
    );
    assert_eq!(state.objects.load(Ordering::SeqCst), 1);
    mx_cancel_free(fresh);
    mx_command_free(c);
    mx_session_free(session);
}
