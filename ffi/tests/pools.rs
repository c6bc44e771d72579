//! `mx_pool` and the pool and jump-host options against mx-sim, called the way a C host calls
//! them: failover past a dead first server, sixteen threads through a pool of three sessions,
//! jump-host mode over HTTPS with a pinned thumbprint, streaming with cancellation from another
//! thread, and refused arguments.

use std::ffi::{c_int, c_void};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use monosync_exchange::cancel::*;
use monosync_exchange::command::*;
use monosync_exchange::error::*;
use monosync_exchange::object::*;
use monosync_exchange::options::*;
use monosync_exchange::pool::*;
use monosync_exchange::result::*;
use monosync_exchange::strings::mx_str;
use mx_sim::http::tls::TlsIdentity;
use mx_sim::{Endpoint, RunningServer, Server, SimConfig};

mod common;

use common::{Shared, check, options, s, take_error};

const JUSTIN: &str = "justin.martin";

fn add_server(o: *mut mx_options, url: &str) {
    let mut err = std::ptr::null_mut();
    let (p, n) = s(url);
    check(mx_options_add_server(o, p, n, &mut err), err);
}

fn open_pool(o: *const mx_options) -> *mut mx_pool {
    let mut pool = std::ptr::null_mut();
    let mut err = std::ptr::null_mut();
    check(mx_pool_open(o, &mut pool, &mut err), err);
    pool
}

/// A URL where nothing listens: a port bound and released.
fn dead_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    format!("http://{addr}/PowerShell/")
}

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

fn pool_invoke(pool: *const mx_pool, c: *const mx_command) -> *mut mx_result {
    let mut result = std::ptr::null_mut();
    let mut err = std::ptr::null_mut();
    check(mx_pool_invoke(pool, c, &mut result, &mut err), err);
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

fn stats(pool: *const mx_pool) -> mx_pool_counters {
    let mut out = mx_pool_counters::default();
    let mut err = std::ptr::null_mut();
    check(mx_pool_stats(pool, &mut out, &mut err), err);
    out
}

fn opened_on(pool: *const mx_pool, index: usize) -> u64 {
    let mut out = u64::MAX;
    let mut err = std::ptr::null_mut();
    check(mx_pool_server_opened(pool, index, &mut out, &mut err), err);
    out
}

/// The SamAccountName of the first output of `Get-Mailbox -Identity justin.martin`.
fn get_justin(pool: *const mx_pool, c: *const mx_command) -> Option<String> {
    let result = pool_invoke(pool, c);
    let sam = (mx_result_count(result) == 1)
        .then(|| text_property(mx_result_get(result, 0), "SamAccountName"))
        .flatten();
    mx_result_free(result);
    sam
}

#[test]
fn a_pool_with_a_dead_first_server_fails_over() {
    let server = Server::start(SimConfig::default()).expect("server");
    let o = options(&dead_url());
    add_server(o, &server.url(Endpoint::PowerShell));
    let pool = open_pool(o);
    mx_options_free(o);
    let c = command("Get-Mailbox", &[("Identity", JUSTIN)]);
    for _ in 0..3 {
        assert_eq!(get_justin(pool, c).as_deref(), Some(JUSTIN));
    }
    let st = stats(pool);
    assert_eq!(st.opened, 1);
    assert_eq!(st.sessions, 1);
    assert_eq!(st.idle, 1);
    assert_eq!(st.retries, 0, "failover happens while opening");
    assert_eq!((opened_on(pool, 0), opened_on(pool, 1)), (0, 1));
    assert_eq!(server.request_log().count("Command"), 3);
    assert_eq!(server.shell_count(), 1);
    let mut err = std::ptr::null_mut();
    check(mx_pool_close(pool, &mut err), err);
    assert_eq!(server.shell_count(), 0);
    assert_eq!(
        mx_pool_invoke(pool, c, &mut std::ptr::null_mut(), &mut err),
        mx_result_code::MX_CONFIG
    );
    mx_error_free(err);
    mx_command_free(c);
    mx_pool_free(pool);
}

#[test]
fn sixteen_threads_share_three_sessions() {
    let server = Arc::new(Server::start(SimConfig::default()).expect("server"));
    let o = options(&server.url(Endpoint::PowerShell));
    let mut err = std::ptr::null_mut();
    check(mx_options_set_pool_size(o, 3, &mut err), err);
    let pool = Shared(open_pool(o).cast_const());
    mx_options_free(o);

    // Watches the simulator's shells while the calls run.
    let done = Arc::new(AtomicBool::new(false));
    let most = Arc::new(AtomicUsize::new(0));
    let watcher = {
        let (server, done, most) = (server.clone(), done.clone(), most.clone());
        std::thread::spawn(move || {
            while !done.load(Ordering::Acquire) {
                most.fetch_max(server.shell_count(), Ordering::AcqRel);
                std::thread::sleep(std::time::Duration::from_millis(2));
            }
        })
    };
    let answered = Arc::new(AtomicUsize::new(0));
    let threads: Vec<_> = (0..16)
        .map(|_| {
            let answered = answered.clone();
            std::thread::spawn(move || {
                let pool = pool;
                let c = command("Get-Mailbox", &[("Identity", JUSTIN)]);
                for _ in 0..4 {
                    if get_justin(pool.0, c).as_deref() == Some(JUSTIN) {
                        answered.fetch_add(1, Ordering::AcqRel);
                    }
                }
                mx_command_free(c);
            })
        })
        .collect();
    for t in threads {
        t.join().expect("thread");
    }
    done.store(true, Ordering::Release);
    watcher.join().expect("watcher");

    assert_eq!(answered.load(Ordering::Acquire), 64, "every call answered");
    assert_eq!(server.request_log().count("Command"), 64);
    let most = most.load(Ordering::Acquire);
    assert!((1..=3).contains(&most), "{most} shells at once");
    let st = stats(pool.0);
    assert!(st.opened <= 3 && st.opened >= 1, "{st:?}");
    assert!(st.sessions <= 3, "{st:?}");
    assert!(server.shell_count() <= 3);
    check(mx_pool_close(pool.0, &mut err), err);
    assert_eq!(server.shell_count(), 0);
    mx_pool_free(pool.0.cast_mut());
}

fn jump_options(server: &RunningServer, thumbprint: &str, password: &str) -> *mut mx_options {
    let o = mx_options_new();
    let mut err = std::ptr::null_mut();
    let url = server.url(Endpoint::Wsman);
    let (p, n) = s(&url);
    check(mx_options_set_url(o, p, n, &mut err), err);
    check(mx_options_set_auth(o, mx_auth::Basic as u32, &mut err), err);
    let (p, n) = s("Administrator");
    check(mx_options_set_username(o, p, n, &mut err), err);
    let (p, n) = s("P@ssw0rd!");
    check(mx_options_set_password(o, p, n, &mut err), err);
    let (p, n) = s(thumbprint);
    check(mx_options_add_pinned_thumbprint(o, p, n, &mut err), err);
    let (up, un) = s("http://ex01.contoso.com/PowerShell/");
    let (wp, wn) = s("CONTOSO\\recipientadmin");
    let (pp, pn) = s(password);
    check(
        mx_options_set_jump_host(o, up, un, wp, wn, pp, pn, &mut err),
        err,
    );
    o
}

fn https_server() -> (RunningServer, String) {
    let identity =
        TlsIdentity::self_signed(&["localhost".into(), "127.0.0.1".into()]).expect("certificate");
    let thumbprint = identity.sha1_thumbprint();
    let server = Server::start(SimConfig {
        tls: Some(identity),
        ..SimConfig::default()
    })
    .expect("server");
    (server, thumbprint)
}

#[test]
fn jump_host_mode_through_a_session_and_a_pool() {
    let (server, thumbprint) = https_server();
    let o = jump_options(&server, &thumbprint, "Recipients1!");

    let mut session = std::ptr::null_mut();
    let mut err = std::ptr::null_mut();
    check(
        monosync_exchange::session::mx_session_open(o, &mut session, &mut err),
        err,
    );
    let c = command("Get-Mailbox", &[("Identity", JUSTIN)]);
    let mut result = std::ptr::null_mut();
    check(
        monosync_exchange::session::mx_session_invoke(session, c, &mut result, &mut err),
        err,
    );
    assert_eq!(mx_result_count(result), 1);
    let mailbox = mx_result_get(result, 0);
    assert_eq!(
        text_property(mailbox, "SamAccountName").as_deref(),
        Some(JUSTIN)
    );
    mx_result_free(result);
    monosync_exchange::session::mx_session_free(session);
    let log = server.request_log().entries();
    assert!(
        log.iter().all(|e| e.path == "/wsman"),
        "only /wsman is used"
    );

    // The same options open a pool whose sessions each run the bootstrap.
    check(mx_options_set_pool_size(o, 2, &mut err), err);
    let pool = open_pool(o);
    assert_eq!(get_justin(pool, c).as_deref(), Some(JUSTIN));
    assert_eq!(stats(pool).opened, 1);
    check(mx_pool_close(pool, &mut err), err);
    mx_pool_free(pool);
    assert_eq!(server.shell_count(), 0);
    mx_options_free(o);

    // A wrong Exchange password fails the bootstrap as an authentication failure.
    let bad = jump_options(&server, &thumbprint, "wrong");
    let mut session = std::ptr::null_mut();
    let code = monosync_exchange::session::mx_session_open(bad, &mut session, &mut err);
    assert_ne!(code, mx_result_code::MX_OK);
    assert!(session.is_null());
    let (code, message) = take_error(err);
    assert_eq!(code, mx_result_code::MX_ACCESS_DENIED, "{message}");
    assert!(!message.contains("wrong"), "the password is not echoed");
    mx_options_free(bad);
    mx_command_free(c);
}

#[test]
fn invalid_pool_and_jump_host_arguments_are_refused() {
    let o = mx_options_new();
    let mut err = std::ptr::null_mut();
    for n in [0, 17, u32::MAX] {
        assert_eq!(
            mx_options_set_pool_size(o, n, &mut err),
            mx_result_code::MX_INVALID_ARGUMENT
        );
        let (_, message) = take_error(err);
        assert!(message.contains("1 to 16"), "{message}");
    }
    let null = std::ptr::null_mut();
    assert_eq!(mx_options_set_pool_size(o, 16, null), mx_result_code::MX_OK);
    assert_eq!(
        mx_options_set_pool_size(std::ptr::null_mut(), 2, null),
        mx_result_code::MX_INVALID_ARGUMENT
    );
    assert_eq!(
        mx_options_add_server(o, std::ptr::null(), 4, null),
        mx_result_code::MX_INVALID_ARGUMENT
    );
    let (p, n) = s("");
    assert_eq!(
        mx_options_add_server(o, p, n, null),
        mx_result_code::MX_INVALID_ARGUMENT
    );
    let bad = [0xffu8];
    assert_eq!(
        mx_options_add_server(o, bad.as_ptr().cast(), 1, null),
        mx_result_code::MX_INVALID_ARGUMENT
    );
    let (up, un) = s("http://ex01.contoso.com/PowerShell/");
    let (wp, wn) = s("CONTOSO\\recipientadmin");
    let (pp, pn) = s("pw");
    assert_eq!(
        mx_options_set_jump_host(o, up, un, wp, wn, std::ptr::null(), 2, null),
        mx_result_code::MX_INVALID_ARGUMENT
    );
    assert_eq!(
        mx_options_set_jump_host(o, up, 0, wp, wn, pp, pn, null),
        mx_result_code::MX_INVALID_ARGUMENT
    );
    assert_eq!(
        mx_options_set_jump_host(o, up, un, wp, 0, pp, pn, null),
        mx_result_code::MX_INVALID_ARGUMENT
    );
    // A malformed added server fails the pool at once, not at its first command.
    let (p, n) = s("http://127.0.0.1:9/PowerShell/");
    assert_eq!(mx_options_set_url(o, p, n, null), mx_result_code::MX_OK);
    let (p, n) = s("ftp://ex02.contoso.com/");
    assert_eq!(mx_options_add_server(o, p, n, null), mx_result_code::MX_OK);
    let mut pool = std::ptr::null_mut();
    assert_eq!(mx_pool_open(o, &mut pool, null), mx_result_code::MX_CONFIG);
    assert!(pool.is_null());
    assert_eq!(
        mx_pool_open(o, std::ptr::null_mut(), null),
        mx_result_code::MX_INVALID_ARGUMENT
    );
    mx_options_free(o);
}

/// What a stream callback counts, and when it stops or cancels.
struct Reader {
    outputs: usize,
    others: usize,
    /// Return non-zero at this many outputs.
    stop_at: Option<usize>,
    /// Request this token from another thread at this many outputs.
    cancel_at: Option<(usize, Shared<mx_cancel>)>,
    canceller: Option<std::thread::JoinHandle<()>>,
}

impl Reader {
    fn new() -> Reader {
        Reader {
            outputs: 0,
            others: 0,
            stop_at: None,
            cancel_at: None,
            canceller: None,
        }
    }
}

unsafe extern "C" fn read_item(
    userdata: *mut c_void,
    stream: u32,
    object: *const mx_object,
    _record: *const mx_record,
) -> c_int {
    // SAFETY: the tests pass a live `Reader` that only this callback touches meanwhile.
    let reader = unsafe { &mut *userdata.cast::<Reader>() };
    if stream != mx_stream::Output as u32 {
        reader.others += 1;
        return 0;
    }
    assert!(text_property(object, "SamAccountName").is_some());
    reader.outputs += 1;
    if let Some((at, token)) = reader.cancel_at
        && at == reader.outputs
    {
        reader.canceller = Some(std::thread::spawn(move || {
            let token = token;
            assert_eq!(mx_cancel_request(token.0), mx_result_code::MX_OK);
        }));
    }
    c_int::from(reader.stop_at == Some(reader.outputs))
}

fn stream_into(
    pool: *const mx_pool,
    c: *const mx_command,
    cancel: *const mx_cancel,
    reader: &mut Reader,
) -> mx_result_code {
    let mut err = std::ptr::null_mut();
    let code = mx_pool_invoke_streaming(
        pool,
        c,
        cancel,
        Some(read_item),
        std::ptr::from_mut(reader).cast(),
        &mut err,
    );
    if code != mx_result_code::MX_OK {
        let (code_in_error, _) = take_error(err);
        assert_eq!(code, code_in_error);
    }
    code
}

#[test]
fn a_pool_stream_is_stopped_by_its_callback_or_a_token_from_another_thread() {
    use mx_sim::exchange::directory::Directory;
    use mx_sim::exchange::{BoundArg, Exchange};
    let rbac = Exchange::from_seed_json(mx_sim::DEFAULT_SEED)
        .expect("seed")
        .rbac()
        .clone();
    let mut exchange = Exchange::with_rbac(Directory::generate(2500, 9), rbac);
    let expected = exchange
        .invoke("Get-Mailbox", &[BoundArg::named("ResultSize", "Unlimited")])
        .output
        .len();
    assert!(expected > 500, "{expected}");
    let server = Server::start(SimConfig {
        exchange: Some(exchange),
        ..SimConfig::default()
    })
    .expect("server");
    let o = options(&server.url(Endpoint::PowerShell));
    let mut err = std::ptr::null_mut();
    check(mx_options_set_pool_size(o, 2, &mut err), err);
    let pool = open_pool(o);
    mx_options_free(o);
    let all = command("Get-Mailbox", &[("ResultSize", "Unlimited")]);

    // Read to the end, without a token.
    let mut reader = Reader::new();
    assert_eq!(
        stream_into(pool, all, std::ptr::null(), &mut reader),
        mx_result_code::MX_OK
    );
    assert_eq!((reader.outputs, reader.others), (expected, 0));

    // Stopped by the callback: MX_OK, and the session is closed rather than reused.
    let mut reader = Reader::new();
    reader.stop_at = Some(10);
    assert_eq!(
        stream_into(pool, all, std::ptr::null(), &mut reader),
        mx_result_code::MX_OK
    );
    assert_eq!(reader.outputs, 10);

    // Cancelled from another thread: MX_CANCELLED before the end.
    let mut token = std::ptr::null_mut();
    assert_eq!(mx_cancel_new(&mut token), mx_result_code::MX_OK);
    let mut reader = Reader::new();
    reader.cancel_at = Some((20, Shared(token.cast_const())));
    assert_eq!(
        stream_into(pool, all, token, &mut reader),
        mx_result_code::MX_CANCELLED
    );
    reader
        .canceller
        .take()
        .expect("cancelled")
        .join()
        .expect("canceller");
    assert!(
        reader.outputs >= 20 && reader.outputs < expected,
        "{}",
        reader.outputs
    );
    // A requested token stays requested: the next call with it is cancelled at once.
    let one = command("Get-Mailbox", &[("ResultSize", "1")]);
    let mut result = std::ptr::null_mut();
    assert_eq!(
        mx_pool_invoke_cancellable(pool, one, token, &mut result, &mut err),
        mx_result_code::MX_CANCELLED
    );
    assert!(result.is_null());
    assert_eq!(take_error(err).0, mx_result_code::MX_CANCELLED);
    mx_cancel_free(token);
    let mut fresh = std::ptr::null_mut();
    assert_eq!(mx_cancel_new(&mut fresh), mx_result_code::MX_OK);
    let mut err = std::ptr::null_mut();
    check(
        mx_pool_invoke_cancellable(pool, one, fresh, &mut result, &mut err),
        err,
    );
    assert_eq!(mx_result_count(result), 1);
    mx_result_free(result);
    mx_cancel_free(fresh);

    // A stream stopped by its callback closes its session in the background.
    for _ in 0..250 {
        if stats(pool).discarded == 2 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let st = stats(pool);
    assert_eq!(
        st.discarded, 2,
        "the stopped and the cancelled stream's sessions: {st:?}"
    );
    assert!(st.sessions <= 2, "{st:?}");
    check(mx_pool_close(pool, &mut err), err);
    for _ in 0..250 {
        if server.shell_count() == 0 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert_eq!(server.shell_count(), 0);
    mx_command_free(all);
    mx_command_free(one);
    mx_pool_free(pool);
}

static POOL_PROGRESS_CALLS: AtomicUsize = AtomicUsize::new(0);

unsafe extern "C" fn count_pool_progress(_: *mut c_void, record: *const mx_record) {
    assert_eq!(mx_record_stream(record), mx_stream::Progress as u32);
    POOL_PROGRESS_CALLS.fetch_add(1, Ordering::SeqCst);
}

#[test]
fn a_pool_takes_a_progress_callback_as_a_session_does() {
    let server = Server::start(SimConfig::default()).expect("server");
    let o = options(&server.url(Endpoint::PowerShell));
    let pool = open_pool(o);
    mx_options_free(o);
    let c = command("Get-Mailbox", &[("ResultSize", "20")]);
    let plain = pool_invoke(pool, c);
    assert_eq!(
        mx_pool_set_progress_callback(pool, Some(count_pool_progress), std::ptr::null_mut()),
        mx_result_code::MX_OK
    );
    // With a progress callback the command is read as a stream; the result is the same.
    let watched = pool_invoke(pool, c);
    assert_eq!(mx_result_count(watched), 20);
    for i in 0..20 {
        assert_eq!(
            text_property(mx_result_get(plain, i), "Alias"),
            text_property(mx_result_get(watched, i), "Alias")
        );
    }
    let mut reader = Reader::new();
    assert_eq!(
        stream_into(pool, c, std::ptr::null(), &mut reader),
        mx_result_code::MX_OK
    );
    assert_eq!(reader.outputs, 20);
    // The simulator reports no progress for Get-Mailbox.
    assert_eq!(POOL_PROGRESS_CALLS.load(Ordering::SeqCst), 0);
    assert_eq!(
        mx_pool_set_progress_callback(pool, None, std::ptr::null_mut()),
        mx_result_code::MX_OK
    );
    mx_result_free(plain);
    mx_result_free(watched);
    mx_command_free(c);
    mx_pool_free(pool);
}
