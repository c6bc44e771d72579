//! Security properties of the client, shown against mx-sim. Points proven elsewhere are not
//! repeated here:
//!
//! - Channel binding is sent: `tls.rs` (`ntlm_with_channel_binding_passes_strict_hardening`,
//!   `bindings_of_another_certificate_are_refused_under_strict_hardening`) and
//!   `simulator/tests/channel_binding.rs` (`the_core_client_binds_under_strict_with_negotiate`,
//!   `the_core_client_runs_kerberos_under_strict`).
//! - Basic over plain HTTP is refused unless `allow_basic_over_http`:
//!   `core/src/transport/client.rs` (`basic_over_http_is_refused_with_a_way_out`); a server
//!   refuses unsealed bodies over HTTP: `simulator/tests/http.rs`
//!   (`unsealed_ntlm_bodies_are_refused_over_http_by_default`).
//! - Certificate names and dates are checked: `tls.rs` (`an_expired_certificate_…`,
//!   `a_wrong_certificate_name_…`).

use std::fmt::Write as _;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use monosync_exchange::clixml::PsValue;
use monosync_exchange::exchange::{
    Command, ErrorKind, Pool, PoolOptions, Session, SessionError, SessionOptions,
};
use monosync_exchange::transport::keytab::Keytab;
use monosync_exchange::transport::{AuthMethod, Credentials};
use mx_fixtures::{AdAccounts, Realm};
use mx_sim::exchange::{SeedError, SimAccount};
use mx_sim::http::tls::TlsIdentity;
use mx_sim::{Endpoint, FaultAction, FaultPlan, FaultRule, RunningServer, Server, SimConfig};

const ADMIN: &str = "Administrator";
const ADMIN_PW: &str = "P@ssw0rd!";

fn options(server: &RunningServer, auth: AuthMethod, password: &str) -> SessionOptions {
    let mut o = SessionOptions::exchange(
        server.url(Endpoint::PowerShell),
        auth,
        Credentials::new(format!("CONTOSO\\{ADMIN}"), password),
    );
    o.transport.timeouts.read = Duration::from_secs(2);
    o.operation_timeout = Duration::from_millis(500);
    o
}

/// Everything the client and its libraries log, at every level, with every field.
#[derive(Default)]
struct Capture {
    text: Mutex<String>,
    events: std::sync::atomic::AtomicUsize,
}

impl Capture {
    fn push(&self, line: &str) {
        self.events
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mut t = self.text.lock().unwrap_or_else(|e| e.into_inner());
        t.push_str(line);
        t.push('\n');
    }
}

struct Fields(String);

impl tracing::field::Visit for Fields {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        let _ = write!(self.0, " {}={value:?}", field.name());
    }
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        let _ = write!(self.0, " {}={value}", field.name());
    }
    fn record_bytes(&mut self, field: &tracing::field::Field, value: &[u8]) {
        let _ = write!(
            self.0,
            " {}={} (hex {})",
            field.name(),
            String::from_utf8_lossy(value),
            hex(value)
        );
    }
}

/// A `tracing` subscriber that keeps every span and event at TRACE.
struct TraceAll(Arc<Capture>, std::sync::atomic::AtomicU64);

impl tracing::Subscriber for TraceAll {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn max_level_hint(&self) -> Option<tracing::level_filters::LevelFilter> {
        Some(tracing::level_filters::LevelFilter::TRACE)
    }
    fn new_span(&self, span: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        let mut f = Fields(format!("span {}", span.metadata().name()));
        span.record(&mut f);
        self.0.push(&f.0);
        let id = self.1.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        tracing::span::Id::from_u64(id)
    }
    fn record(&self, _: &tracing::span::Id, values: &tracing::span::Record<'_>) {
        let mut f = Fields("record".into());
        values.record(&mut f);
        self.0.push(&f.0);
    }
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        let m = event.metadata();
        let mut f = Fields(format!("{} {}", m.level(), m.target()));
        event.record(&mut f);
        self.0.push(&f.0);
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

/// The `log` facade (rustls and others) at TRACE into the same capture.
struct LogAll(Arc<Capture>);

impl log::Log for LogAll {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }
    fn log(&self, record: &log::Record<'_>) {
        self.0.push(&format!(
            "{} {} {}",
            record.level(),
            record.target(),
            record.args()
        ));
    }
    fn flush(&self) {}
}

fn capture() -> &'static Arc<Capture> {
    static CAPTURE: OnceLock<Arc<Capture>> = OnceLock::new();
    CAPTURE.get_or_init(|| {
        let c = Arc::new(Capture::default());
        let _ = tracing::subscriber::set_global_default(TraceAll(
            Arc::clone(&c),
            std::sync::atomic::AtomicU64::new(0),
        ));
        if log::set_boxed_logger(Box::new(LogAll(Arc::clone(&c)))).is_ok() {
            log::set_max_level(log::LevelFilter::Trace);
        }
        c
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

fn utf16le(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

/// The forms a secret could leak in: as written, UTF-16LE (NTLM, SecureStrings), base64 of
/// both, base64 of a Basic `user:password`, and hex.
fn leaked_forms(user: &str, secret: &str) -> Vec<(String, Vec<u8>)> {
    let wide = utf16le(secret);
    vec![
        ("plain".into(), secret.as_bytes().to_vec()),
        ("utf-16le".into(), wide.clone()),
        ("base64".into(), STANDARD.encode(secret).into_bytes()),
        (
            "base64 utf-16le".into(),
            STANDARD.encode(&wide).into_bytes(),
        ),
        (
            "basic".into(),
            STANDARD.encode(format!("{user}:{secret}")).into_bytes(),
        ),
        ("hex".into(), hex(secret.as_bytes()).into_bytes()),
        ("hex utf-16le".into(), hex(&wide).into_bytes()),
    ]
}

fn find(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// A seed whose administrator has `password`, and a Basic-capable server over plain HTTP.
fn server_with_password(password: &str, allow_unencrypted: bool) -> RunningServer {
    let mut exchange = mx_sim::exchange::Exchange::from_seed_json(mx_sim::DEFAULT_SEED)
        .unwrap_or_else(|e: SeedError| panic!("seed: {e}"));
    let mut account: SimAccount = exchange
        .rbac()
        .find(ADMIN)
        .cloned()
        .expect("the administrator account");
    account.password = password.to_owned();
    exchange.rbac_mut().set_account(account);
    Server::start(SimConfig {
        exchange: Some(exchange),
        allow_unencrypted,
        ..SimConfig::default()
    })
    .expect("server")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passwords_never_appear_in_logs_or_error_texts() {
    let capture = capture();
    // Distinct secrets: the logon password and a SecureString parameter.
    let password = "Zq7-logon-Secret!91";
    let mailbox_password = "Mb9-param-Secret#27";
    let server = server_with_password(password, true);
    let mut texts = String::new();
    let mut keep = |e: &SessionError| {
        let _ = writeln!(texts, "{e}\n{e:?}\n{:?}", e.hint());
    };

    // A whole session: logon, a SecureString parameter (key exchange), reads, close.
    let mut s = Session::connect(options(&server, AuthMethod::Ntlm, password))
        .await
        .expect("connect");
    let r = s
        .invoke(
            Command::new("New-Mailbox")
                .param("Name", "Leak Check")
                .param("UserPrincipalName", "leak.check@contoso.com")
                .secure("Password", mailbox_password),
        )
        .await
        .expect("New-Mailbox");
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    // Faults on the way: a lost connection, a 401 that makes the client log on again, a
    // corrupt answer.
    for action in [
        FaultAction::Drop,
        FaultAction::ExpireAuth,
        FaultAction::CorruptFragment,
    ] {
        server.set_faults(FaultPlan {
            rules: vec![FaultRule {
                operation: "Receive".into(),
                nth: 1,
                count: 1,
                action,
            }],
        });
        if let Err(e) = s
            .invoke(Command::new("Get-Mailbox").param("Identity", "Leak Check"))
            .await
        {
            keep(&e);
        }
    }
    server.set_faults(FaultPlan::default());
    s.close().await.expect("close");

    // Refusals: a wrong password (whose text is the right one with a change), Basic over
    // plain HTTP without the switch, and with it but a wrong password.
    let wrong = format!("{password}x");
    let e = Session::connect(options(&server, AuthMethod::Ntlm, &wrong))
        .await
        .expect_err("wrong password");
    assert_eq!(e.kind(), ErrorKind::Auth);
    keep(&e);
    let e = Session::connect(options(&server, AuthMethod::Basic, password))
        .await
        .expect_err("Basic over HTTP");
    assert_eq!(e.kind(), ErrorKind::Auth);
    assert!(
        e.hint()
            .is_some_and(|h| h.contains("allow_basic_over_http")),
        "{e:?}"
    );
    keep(&e);
    let mut basic = options(&server, AuthMethod::Basic, password);
    basic.transport.allow_basic_over_http = true;
    let mut s = Session::connect(basic.clone())
        .await
        .expect("Basic allowed");
    s.invoke(Command::new("Get-Mailbox").param("Identity", ADMIN))
        .await
        .expect("Basic invoke");
    s.close().await.expect("close");
    basic.transport.credentials = Credentials::new(format!("CONTOSO\\{ADMIN}"), wrong.clone());
    keep(
        &Session::connect(basic.clone())
            .await
            .expect_err("wrong Basic"),
    );

    // A pool whose only server is gone.
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let a = l.local_addr().expect("addr");
        format!("http://{a}/PowerShell")
    };
    let mut o = options(&server, AuthMethod::Ntlm, password);
    o.transport.url = dead;
    let mut po = PoolOptions::new(o.clone());
    po.retry.base_delay = Duration::from_millis(5);
    let pool = Pool::new(po).expect("pool");
    keep(
        &pool
            .invoke(Command::new("Get-Mailbox"))
            .await
            .expect_err("dead"),
    );
    pool.close().await.expect("close");

    // Debug texts of the options and commands that hold the secrets.
    let _ = writeln!(texts, "{o:?}\n{basic:?}");
    let _ = writeln!(
        texts,
        "{:?}",
        Command::new("Set-Mailbox").secure("Password", mailbox_password)
    );

    let logged = capture
        .text
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    let events = capture.events.load(std::sync::atomic::Ordering::Relaxed);
    println!(
        "captured {events} log lines ({} bytes) and {} bytes of error and Debug texts",
        logged.len(),
        texts.len()
    );
    // The capture works: the transport's own debug events are in it.
    assert!(logged.contains("authenticated"), "{logged}");
    assert!(texts.contains("rejected the credentials"), "{texts}");
    let all = [logged.as_bytes(), texts.as_bytes()].concat();
    for secret in [password, wrong.as_str(), mailbox_password] {
        for (form, bytes) in leaked_forms(&format!("CONTOSO\\{ADMIN}"), secret) {
            assert!(
                !find(&all, &bytes),
                "the {form} form of a secret was printed"
            );
        }
    }
    assert!(
        texts.contains("<redacted>") || texts.contains(".."),
        "{texts}"
    );
}

#[test]
fn secrets_are_wiped_on_drop_and_redacted_in_debug() {
    fn wiped_on_drop<T: zeroize::ZeroizeOnDrop>(_: &T) {}
    let c = Credentials::new("CONTOSO\\svc", "Wipe-Me-91");
    // The password field's type zeroizes its heap buffer when it is dropped (and when it is
    // replaced); a test cannot read freed memory without undefined behaviour, so the type
    // is what is checked.
    wiped_on_drop(&c.password);
    let shown = format!("{c:?}");
    assert!(!shown.contains("Wipe-Me-91"), "{shown}");
    assert!(shown.contains("CONTOSO\\\\svc"), "{shown}");
    let clone = c.clone();
    wiped_on_drop(&clone.password);
    let cmd = Command::new("New-Mailbox").secure("Password", "Param-Secret-27");
    let shown = format!("{cmd:?}");
    assert!(!shown.contains("Param-Secret-27"), "{shown}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_verification_is_on_by_default() {
    let host = "ex01.corp.example";
    let identity = TlsIdentity::self_signed(&[host.to_owned()]).expect("identity");
    let thumbprint = identity.sha256_thumbprint();
    let server = Server::start(SimConfig {
        tls: Some(identity),
        ..SimConfig::default()
    })
    .expect("server");
    let port = server.addr().port();
    let mut o = SessionOptions::exchange(
        format!("https://{host}:{port}/PowerShell"),
        AuthMethod::Ntlm,
        Credentials::new(format!("CONTOSO\\{ADMIN}"), ADMIN_PW),
    );
    o.transport.resolve_overrides = vec![
        format!("{host}:{port}:127.0.0.1")
            .parse()
            .expect("override"),
    ];
    assert!(!o.transport.tls.insecure);
    assert!(o.transport.tls.ca_file.is_none() && o.transport.tls.pinned_thumbprints.is_empty());
    let e = Session::connect(o.clone())
        .await
        .expect_err("a certificate no trusted CA signed");
    println!("{e}\n    hint: {:?}", e.hint());
    assert_eq!(e.kind(), ErrorKind::Tls);
    assert!(
        server.request_log().entries().is_empty(),
        "no request reached the server"
    );
    // The same server is fine once its certificate is pinned: the refusal was verification.
    o.transport.tls.pinned_thumbprints = vec![thumbprint];
    Session::connect(o)
        .await
        .expect("pinned")
        .close()
        .await
        .expect("close");
    assert_eq!(server.shell_count(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_http_seals_every_body_unless_unencrypted_is_allowed() {
    // The client seals by default; a server that allows plain bodies does not change that.
    let server = server_with_password(ADMIN_PW, true);
    let mut s = Session::connect(options(&server, AuthMethod::Ntlm, ADMIN_PW))
        .await
        .expect("connect");
    s.invoke(Command::new("Get-Mailbox").param("Identity", ADMIN))
        .await
        .expect("invoke");
    s.close().await.expect("close");
    let soap: Vec<_> = server
        .request_log()
        .entries()
        .into_iter()
        .filter(|e| e.bytes_in > 0 && e.status == 200)
        .collect();
    assert!(soap.len() >= 4, "{soap:?}");
    assert!(soap.iter().all(|e| e.sealed), "{soap:?}");

    // Only the explicit switch sends them in clear.
    server.request_log().clear();
    let mut o = options(&server, AuthMethod::Ntlm, ADMIN_PW);
    o.transport.allow_unencrypted = true;
    let s = Session::connect(o.clone()).await.expect("connect");
    s.close().await.expect("close");
    let log = server.request_log().entries();
    assert!(
        log.iter()
            .any(|e| e.bytes_in > 0 && e.status == 200 && !e.sealed),
        "{log:?}"
    );

    // A server that refuses plain bodies (the Windows default) refuses that client.
    let strict = server_with_password(ADMIN_PW, false);
    o.transport.url = strict.url(Endpoint::PowerShell);
    let e = Session::connect(o).await.expect_err("plain body refused");
    println!("{e}");
    assert_eq!(strict.shell_count(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn powershell_metacharacters_arrive_as_literal_data() {
    let server = Server::start(SimConfig::default()).expect("server");
    let mut s = Session::connect(options(&server, AuthMethod::Ntlm, ADMIN_PW))
        .await
        .expect("connect");
    let hostile = "x; Remove-Mailbox -Identity justin.martin -Confirm:$false; $(Get-Date) \
                   'single' \"double\" `t`n @{k=1} | Out-Null # <a>&amp;";
    s.invoke(
        Command::new("Set-Mailbox")
            .param("Identity", "justin.martin")
            .param("CustomAttribute1", hostile),
    )
    .await
    .expect("Set-Mailbox");
    // The identity itself is data too: no mailbox has that name.
    let r = s
        .invoke(Command::new("Get-Mailbox").param("Identity", hostile))
        .await
        .expect("Get-Mailbox");
    assert_eq!(r.errors.len(), 1, "{:?}", r.errors);
    assert_eq!(ErrorKind::of_record(&r.errors[0]), ErrorKind::NotFound);

    let received = server.exchange().received();
    let set = received
        .iter()
        .find(|c| c.name == "Set-Mailbox")
        .expect("Set-Mailbox received");
    let value = set
        .args
        .iter()
        .find(|a| a.name.as_deref().map(|n| n.trim_start_matches('-')) == Some("CustomAttribute1"))
        .map(|a| a.value.clone());
    assert_eq!(value, Some(PsValue::String(hostile.to_owned())));
    let get = received
        .iter()
        .rev()
        .find(|c| c.name == "Get-Mailbox")
        .expect("Get-Mailbox received");
    assert_eq!(get.args.len(), 1);
    assert_eq!(get.args[0].value, PsValue::String(hostile.to_owned()));
    // Nothing in the value ran: the mailbox it names is still there, and reads back the value.
    let r = s
        .invoke(Command::new("Get-Mailbox").param("Identity", "justin.martin"))
        .await
        .expect("still there");
    assert_eq!(
        r.output[0]
            .property("CustomAttribute1")
            .and_then(PsValue::as_str),
        Some(hostile)
    );
    assert!(
        received
            .iter()
            .all(|c| c.name != "Remove-Mailbox" && c.name != "Get-Date")
    );
    s.close().await.expect("close");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kerberos_falls_back_to_ntlm_only_under_negotiate() {
    // The server offers Negotiate and NTLM but has no Kerberos; the KDC does not answer.
    let server = Server::start(SimConfig::default()).expect("server");
    let host = "ex01.corp.example";
    let port = server.addr().port();
    let dead_kdc = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let mk = |auth, user: &str| {
        let mut o = SessionOptions::exchange(
            format!("http://{host}:{port}/PowerShell"),
            auth,
            Credentials::new(user, ADMIN_PW),
        );
        o.transport.resolve_overrides = vec![
            format!("{host}:{port}:127.0.0.1")
                .parse()
                .expect("override"),
        ];
        o.transport.kdc = Some(format!("tcp://127.0.0.1:{dead_kdc}"));
        // The server's domain, whatever default_realm the environment's krb5.conf names: the
        // UPN is then a plain principal, and its realm the NTLM domain.
        o.transport.realm = Some("CONTOSO.COM".to_owned());
        o.transport.timeouts.read = Duration::from_secs(3);
        o
    };
    let logons = |server: &RunningServer| -> Vec<String> {
        server
            .request_log()
            .entries()
            .iter()
            .filter(|e| e.status == 200)
            .filter_map(|e| e.auth.clone())
            .collect()
    };

    // Kerberos only: the valid password would pass NTLM, but the client never tries it.
    let down_level = format!("CONTOSO\\{ADMIN}");
    let e = Session::connect(mk(AuthMethod::Kerberos, &down_level))
        .await
        .expect_err("no Kerberos to be had");
    println!("Kerberos: {} ({})", e, e.kind());
    assert!(
        logons(&server).is_empty(),
        "{:?}",
        server.request_log().entries()
    );
    assert_eq!(server.shell_count(), 0);

    // Negotiate may fall back, and does, for a down-level name and for a UPN (whose realm
    // becomes the NTLM domain).
    for user in [down_level.clone(), format!("{ADMIN}@contoso.com")] {
        let s = Session::connect(mk(AuthMethod::Negotiate, &user))
            .await
            .unwrap_or_else(|e| panic!("NTLM inside Negotiate as {user}: {e}"));
        s.close().await.expect("close");
    }
    let used = logons(&server);
    println!("Negotiate logged on with {used:?}");
    assert!(!used.is_empty());
    assert!(
        used.iter().all(|m| m == "Spnego" || m == "Ntlm"),
        "{used:?}"
    );
}

/// A keytab logon (the Samba AD DC's service account, tests/kdc/samba; skipped without its
/// `MX_AD_*` variables) logs neither the key nor the keytab's bytes, at any level, and no
/// error text carries them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keytab_keys_never_appear_in_logs_or_error_texts() {
    let (Some(r), Some(ad)) = (Realm::from_env(), AdAccounts::from_env()) else {
        return;
    };
    let (kdc, host, keytab) = (&r.kdc, &r.host, &ad.keytab);
    let capture = capture();
    let parsed = Keytab::read(keytab).expect("keytab");
    let server = r.kerberos_server(&ad.keytab_user);
    let port = server.addr().port();
    let connect = |principal: String| {
        let mut o = SessionOptions::exchange(
            format!("http://{host}:{port}/PowerShell"),
            AuthMethod::Kerberos,
            Credentials::with_keytab(principal, keytab),
        );
        o.transport.kdc = Some(kdc.clone());
        o.transport.resolve_overrides = vec![
            format!("{host}:{port}:127.0.0.1")
                .parse()
                .expect("override"),
        ];
        Session::connect(o)
    };
    let mut s = connect(String::new()).await.expect("keytab logon");
    s.invoke(Command::new("Get-Mailbox").param("Identity", "Administrator"))
        .await
        .expect("Get-Mailbox");
    s.close().await.expect("close");
    let e = connect("nobody@CONTOSO.COM".into())
        .await
        .expect_err("no such principal");
    let texts = format!("{e}\n{e:?}\n{:?}\n{parsed:?}", e.hint());
    let logs = capture
        .text
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    assert!(
        logs.contains("keytab"),
        "the keytab logon was not logged at all"
    );
    for entry in parsed.entries() {
        let key = entry.key();
        for (form, bytes) in [
            ("hex", hex(key).into_bytes()),
            ("base64", STANDARD.encode(key).into_bytes()),
            ("debug", format!("{key:?}").into_bytes()),
        ] {
            for (what, hay) in [("logs", logs.as_bytes()), ("errors", texts.as_bytes())] {
                assert!(
                    !find(hay, &bytes),
                    "the {} key of {} appears ({form}) in the {what}",
                    monosync_exchange::transport::keytab::enctype_name(entry.enctype),
                    entry.principal
                );
            }
        }
    }
}
