//! Kerberos client paths that need no real KDC: KDC framing, unreachable KDCs and name checks.
//! Authentication against a real MIT KDC is covered by the cross-component tests.

mod common;

use std::sync::atomic::Ordering;
use std::time::Duration;

use common::transport::{KerberosService, Mode, ServerConfig, TestServer, start};
use monosync_exchange::transport::{
    AuthMethod, Credentials, KerberosError, TimeoutPhase, Transport, TransportError,
    TransportOptions,
};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

/// A loopback HTTP endpoint that accepts connections and never answers: the Kerberos step
/// fails before the first request is sent.
async fn endpoint() -> (u16, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let task = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((sock, _)) = listener.accept().await {
            held.push(sock);
        }
    });
    (port, task)
}

fn kerberos_opts(http_port: u16, kdc: String) -> TransportOptions {
    let mut o = TransportOptions::new(
        format!("http://ex01.corp.test:{http_port}/wsman"),
        AuthMethod::Kerberos,
        Credentials::new("alice@CORP.TEST", "Passw0rd!"),
    );
    o.resolve_overrides = vec![
        format!("ex01.corp.test:{http_port}:127.0.0.1")
            .parse()
            .unwrap(),
    ];
    o.kdc = Some(kdc);
    // The realm is explicit, so an ambient krb5.conf's default_realm does not make
    // `alice@CORP.TEST` an enterprise name.
    o.realm = Some("CORP.TEST".into());
    o.timeouts.read = Duration::from_secs(5);
    o
}

#[tokio::test]
async fn unreachable_kdc_is_an_auth_error_with_a_hint() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let (http, _server) = endpoint().await;
    let mut t = Transport::new(kerberos_opts(http, format!("tcp://127.0.0.1:{port}"))).unwrap();
    match t.post(b"x").await.unwrap_err() {
        TransportError::Auth {
            scheme,
            hint,
            message,
        } => {
            assert_eq!(scheme, "Kerberos");
            assert!(hint.unwrap_or_default().contains("KDC"), "{message}");
            // The HTTP server was never contacted.
            assert_eq!(t.round_trips(), 0);
        }
        other => panic!("expected an auth error, got {other:?}"),
    }
}

#[tokio::test]
async fn kdc_requests_are_length_framed_and_oversized_replies_refused() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let kdc = tokio::spawn(async move {
        let (mut sock, _) = listener.accept().await.unwrap();
        let len = sock.read_u32().await.unwrap() as usize;
        let mut req = vec![0u8; len];
        sock.read_exact(&mut req).await.unwrap();
        // Announce a reply far larger than any KDC sends.
        sock.write_all(&u32::MAX.to_be_bytes()).await.unwrap();
        req
    });
    let (http, _server) = endpoint().await;
    let mut t = Transport::new(kerberos_opts(http, format!("tcp://127.0.0.1:{port}"))).unwrap();
    let err = t.post(b"x").await.unwrap_err();
    assert!(matches!(err, TransportError::Auth { .. }), "{err:?}");
    let req = kdc.await.unwrap();
    // An AS-REQ: [APPLICATION 10] (0x6a), naming the client and the realm.
    assert_eq!(req.first(), Some(&0x6a));
    assert!(req.windows(5).any(|w| w == b"alice"));
    assert!(req.windows(9).any(|w| w == b"CORP.TEST"));
    assert!(
        !req.windows(15).any(|w| w == b"alice@CORP.TEST"),
        "the client name must be a principal, not an enterprise name"
    );
}

#[tokio::test]
async fn a_silent_kdc_times_out() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let hold = tokio::spawn(async move {
        let (_sock, _) = listener.accept().await.unwrap();
        tokio::time::sleep(Duration::from_secs(30)).await;
    });
    let (http, _server) = endpoint().await;
    let mut o = kerberos_opts(http, format!("tcp://127.0.0.1:{port}"));
    o.timeouts.read = Duration::from_millis(200);
    let mut t = Transport::new(o).unwrap();
    let err = t.post(b"x").await.unwrap_err();
    assert!(
        matches!(
            err,
            TransportError::Timeout {
                phase: TimeoutPhase::Kdc
            }
        ),
        "{err:?}"
    );
    hold.abort();
}

#[test]
fn post_future_is_send() {
    fn assert_send<T: Send>(_: &T) {}
    let mut t = Transport::new(kerberos_opts(1, "tcp://127.0.0.1:1".into())).unwrap();
    let fut = t.post(b"x");
    assert_send(&fut);
}

/// An MIT KDC for the realm CORP.TEST on a loopback port, in a temporary directory, with the
/// user `alice` (pre-authentication required) and the service `HTTP/ex01.corp.test`.
struct MitKdc {
    child: std::process::Child,
    dir: std::path::PathBuf,
    url: String,
}

const REALM: &str = "CORP.TEST";
const SERVICE_HOST: &str = "ex01.corp.test";
const SERVICE_PASSWORD: &str = "Serv1ce-Pw";

fn find_tool(name: &str) -> Option<std::path::PathBuf> {
    let path = std::env::var("PATH").unwrap_or_default();
    path.split(':')
        .chain(["/usr/sbin", "/usr/local/sbin", "/sbin"])
        .map(|d| std::path::Path::new(d).join(name))
        .find(|p| p.is_file())
}

impl MitKdc {
    fn start() -> Result<Self, String> {
        let kdc = find_tool("krb5kdc").ok_or("krb5kdc is not installed")?;
        let kdb5_util = find_tool("kdb5_util").ok_or("kdb5_util is not installed")?;
        let kadmin = find_tool("kadmin.local").ok_or("kadmin.local is not installed")?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| e.to_string())?
            .port();
        let dir = std::env::temp_dir().join(format!("mx-kdc-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        let d = dir.display();
        std::fs::write(
            dir.join("krb5.conf"),
            format!(
                "[libdefaults]\n default_realm = {REALM}\n dns_lookup_kdc = false\n\
                 [realms]\n {REALM} = {{\n  kdc = 127.0.0.1:{port}\n }}\n"
            ),
        )
        .map_err(|e| e.to_string())?;
        std::fs::write(
            dir.join("kdc.conf"),
            format!(
                "[kdcdefaults]\n kdc_ports = {port}\n kdc_tcp_ports = {port}\n\
                 [realms]\n {REALM} = {{\n  database_name = {d}/principal\n  key_stash_file = {d}/stash\n  \
                 acl_file = {d}/kadm5.acl\n  kdc_ports = {port}\n  kdc_tcp_ports = {port}\n  \
                 supported_enctypes = aes256-cts-hmac-sha1-96:normal aes128-cts-hmac-sha1-96:normal\n }}\n\
                 [logging]\n kdc = FILE:{d}/kdc.log\n"
            ),
        )
        .map_err(|e| e.to_string())?;
        std::fs::write(dir.join("kadm5.acl"), "").map_err(|e| e.to_string())?;
        let run = |cmd: &std::path::Path, args: &[&str]| -> Result<(), String> {
            let out = std::process::Command::new(cmd)
                .args(args)
                .env("KRB5_CONFIG", dir.join("krb5.conf"))
                .env("KRB5_KDC_PROFILE", dir.join("kdc.conf"))
                .output()
                .map_err(|e| e.to_string())?;
            if out.status.success() {
                Ok(())
            } else {
                Err(format!(
                    "{} failed: {}",
                    cmd.display(),
                    String::from_utf8_lossy(&out.stderr)
                ))
            }
        };
        run(
            &kdb5_util,
            &["create", "-s", "-r", REALM, "-P", "master-Pw1"],
        )?;
        run(
            &kadmin,
            &[
                "-r",
                REALM,
                "-q",
                "addprinc -pw Passw0rd! +requires_preauth alice",
            ],
        )?;
        let svc = format!("addprinc -pw {SERVICE_PASSWORD} HTTP/{SERVICE_HOST}");
        run(&kadmin, &["-r", REALM, "-q", &svc])?;
        let child = std::process::Command::new(kdc)
            .args(["-n", "-r", REALM])
            .env("KRB5_CONFIG", dir.join("krb5.conf"))
            .env("KRB5_KDC_PROFILE", dir.join("kdc.conf"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .map_err(|e| e.to_string())?;
        let mut kdc = Self {
            child,
            dir,
            url: format!("tcp://127.0.0.1:{port}"),
        };
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Ok(kdc);
            }
            if let Ok(Some(status)) = kdc.child.try_wait() {
                return Err(format!("krb5kdc exited: {status}"));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Err("krb5kdc did not start listening".to_owned())
    }
}

impl Drop for MitKdc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

async fn kerberos_server(kdc: &MitKdc) -> TestServer {
    kerberos_server_with_scheme(kdc, "Kerberos").await
}

async fn kerberos_server_with_scheme(kdc: &MitKdc, scheme: &'static str) -> TestServer {
    let mut config = ServerConfig::new(Mode::Ntlm);
    config.scheme = scheme;
    config.user = format!("alice@{REALM}");
    config.kerberos = Some(KerberosService {
        realm: REALM.into(),
        host: SERVICE_HOST.into(),
        password: SERVICE_PASSWORD.into(),
        kdc_url: kdc.url.clone(),
    });
    start("127.0.0.1:0", config).await.unwrap()
}

fn client_opts(server: &TestServer, kdc: &MitKdc, password: &str) -> TransportOptions {
    let port = server.addr.port();
    let mut o = TransportOptions::new(
        format!("http://{SERVICE_HOST}:{port}/wsman"),
        AuthMethod::Kerberos,
        Credentials::new(format!("alice@{REALM}"), password),
    );
    o.resolve_overrides = vec![format!("{SERVICE_HOST}:{port}:127.0.0.1").parse().unwrap()];
    o.kdc = Some(kdc.url.clone());
    o.realm = Some(REALM.to_owned());
    o
}

#[tokio::test]
async fn kerberos_with_an_mit_kdc_seals_both_ways() {
    let kdc = match MitKdc::start() {
        Ok(k) => k,
        Err(reason) => {
            println!("skipped: no MIT KDC ({reason})");
            return;
        }
    };
    let server = kerberos_server(&kdc).await;
    let mut t = Transport::new(client_opts(&server, &kdc, "Passw0rd!")).unwrap();
    assert_eq!(t.post(b"<one/>").await.unwrap(), b"<reply><one/>");
    assert_eq!(t.post(b"<two/>").await.unwrap(), b"<reply><two/>");
    assert!(t.is_sealing());
    // One authentication leg (AP-REQ, AP-REP on the 200), then two sealed requests.
    assert_eq!(t.round_trips(), 3);
    assert_eq!(
        server.observed.acceptors.lock().unwrap().as_slice(),
        ["kerberos"]
    );
    assert_eq!(server.observed.sealed_requests.load(Ordering::SeqCst), 2);
    // RFC 4121 wrap token with AES, EC=0: the 16-byte header plus confounder (16), the encrypted
    // header copy (16) and the HMAC (12), as Windows lays it out.
    assert_eq!(
        server.observed.signature_lens.lock().unwrap().as_slice(),
        [60, 60]
    );
}

#[tokio::test]
async fn kerberos_wrong_password_is_an_auth_error() {
    let kdc = match MitKdc::start() {
        Ok(k) => k,
        Err(reason) => {
            println!("skipped: no MIT KDC ({reason})");
            return;
        }
    };
    let server = kerberos_server(&kdc).await;
    let mut t = Transport::new(client_opts(&server, &kdc, "wrong")).unwrap();
    match t.post(b"x").await.unwrap_err() {
        TransportError::Auth {
            scheme,
            message,
            hint,
        } => {
            assert_eq!(scheme, "Kerberos");
            assert!(message.contains("pre-authentication"), "{message}");
            assert!(!message.contains("error data"), "{message}");
            assert!(hint.unwrap_or_default().contains("password is wrong"));
        }
        other => panic!("expected an auth error, got {other:?}"),
    }
    assert_eq!(server.observed.soap_requests.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn kerberos_moves_to_the_negotiate_header_when_only_that_is_offered() {
    let kdc = match MitKdc::start() {
        Ok(k) => k,
        Err(reason) => {
            println!("skipped: no MIT KDC ({reason})");
            return;
        }
    };
    let server = kerberos_server_with_scheme(&kdc, "Negotiate").await;
    let mut t = Transport::new(client_opts(&server, &kdc, "Passw0rd!")).unwrap();
    assert_eq!(t.post(b"<n/>").await.unwrap(), b"<reply><n/>");
    // The refused `Kerberos` attempt, the `Negotiate` leg, then the request.
    assert_eq!(t.round_trips(), 3);
    assert_eq!(
        server.observed.acceptors.lock().unwrap().as_slice(),
        ["kerberos"]
    );
    assert_eq!(
        server.observed.signature_lens.lock().unwrap().as_slice(),
        [60]
    );
}

#[tokio::test]
async fn negotiate_uses_kerberos_inside_spnego() {
    let kdc = match MitKdc::start() {
        Ok(k) => k,
        Err(reason) => {
            println!("skipped: no MIT KDC ({reason})");
            return;
        }
    };
    let server = kerberos_server_with_scheme(&kdc, "Negotiate").await;
    let mut o = client_opts(&server, &kdc, "Passw0rd!");
    o.auth = AuthMethod::Negotiate;
    let mut t = Transport::new(o).unwrap();
    assert_eq!(t.post(b"<s/>").await.unwrap(), b"<reply><s/>");
    assert_eq!(t.post(b"<t/>").await.unwrap(), b"<reply><t/>");
    assert_eq!(
        server.observed.acceptors.lock().unwrap().as_slice(),
        ["spnego"]
    );
    assert_eq!(
        server.observed.signature_lens.lock().unwrap().as_slice(),
        [60, 60]
    );
}

#[tokio::test]
async fn unknown_service_principal_points_at_the_spn() {
    let kdc = match MitKdc::start() {
        Ok(k) => k,
        Err(reason) => {
            println!("skipped: no MIT KDC ({reason})");
            return;
        }
    };
    let server = kerberos_server(&kdc).await;
    let mut o = client_opts(&server, &kdc, "Passw0rd!");
    o.spn_override = Some("HTTP/unknown.corp.test".into());
    let mut t = Transport::new(o).unwrap();
    match t.post(b"x").await.unwrap_err() {
        TransportError::Kerberos(KerberosError::SpnUnknown { spn, realm, .. }) => {
            assert_eq!(
                (spn.as_str(), realm.as_str()),
                ("HTTP/unknown.corp.test", REALM)
            );
        }
        other => panic!("expected a missing-SPN error, got {other:?}"),
    }
}

#[tokio::test]
async fn kerberos_over_https_with_channel_binding() {
    let kdc = match MitKdc::start() {
        Ok(k) => k,
        Err(reason) => {
            println!("skipped: no MIT KDC ({reason})");
            return;
        }
    };
    let (cert, key) = common::transport::self_signed(&[SERVICE_HOST]);
    let mut config = ServerConfig::new(Mode::Ntlm);
    config.scheme = "Kerberos";
    config.user = format!("alice@{REALM}");
    config.tls = Some(common::transport::tls_server(cert.clone(), key));
    config.kerberos = Some(KerberosService {
        realm: REALM.into(),
        host: SERVICE_HOST.into(),
        password: SERVICE_PASSWORD.into(),
        kdc_url: kdc.url.clone(),
    });
    let server = start("127.0.0.1:0", config).await.unwrap();
    let mut o = client_opts(&server, &kdc, "Passw0rd!");
    o.url = o.url.replace("http://", "https://");
    o.tls.pinned_thumbprints = vec![monosync_exchange::transport::tls::sha256_thumbprint(&cert)];
    let mut t = Transport::new(o).unwrap();
    assert_eq!(t.post(b"<tls/>").await.unwrap(), b"<reply><tls/>");
    assert!(!t.is_sealing());
    assert_eq!(
        server.observed.acceptors.lock().unwrap().as_slice(),
        ["kerberos"]
    );
    assert_eq!(server.observed.sealed_requests.load(Ordering::SeqCst), 0);
}

/// A DNS server on loopback UDP that answers every query with one SRV record.
async fn fake_dns(
    target: &'static str,
    port: u16,
) -> (std::net::SocketAddr, tokio::task::JoinHandle<usize>) {
    let sock = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let addr = sock.local_addr().unwrap();
    let task = tokio::spawn(async move {
        let mut buf = [0u8; 1500];
        let (n, from) = sock.recv_from(&mut buf).await.unwrap();
        let query = &buf[..n];
        // Question: from byte 12 to the end of the QTYPE/QCLASS after the name.
        let mut q_end = 12;
        while query[q_end] != 0 {
            q_end += 1 + usize::from(query[q_end]);
        }
        q_end += 5;
        let mut reply = query[..2].to_vec();
        reply.extend_from_slice(&[0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0]);
        reply.extend_from_slice(&query[12..q_end]);
        reply.extend_from_slice(&[0xC0, 12, 0, 33, 0, 1, 0, 0, 2, 88]);
        let mut rdata = vec![0, 0, 0, 100];
        rdata.extend_from_slice(&port.to_be_bytes());
        for label in target.split('.') {
            rdata.push(label.len() as u8);
            rdata.extend_from_slice(label.as_bytes());
        }
        rdata.push(0);
        reply.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
        reply.extend_from_slice(&rdata);
        sock.send_to(&reply, from).await.unwrap();
        n
    });
    (addr, task)
}

#[tokio::test]
async fn kdc_found_through_dns_srv_records() {
    let kdc = match MitKdc::start() {
        Ok(k) => k,
        Err(reason) => {
            println!("skipped: no MIT KDC ({reason})");
            return;
        }
    };
    let kdc_port: u16 = kdc.url.rsplit(':').next().unwrap().parse().unwrap();
    let (dns, dns_task) = fake_dns("127.0.0.1", kdc_port).await;
    let server = kerberos_server(&kdc).await;
    let mut o = client_opts(&server, &kdc, "Passw0rd!");
    o.kdc = None;
    o.dns_servers = vec![dns];
    let mut t = Transport::new(o).unwrap();
    assert_eq!(t.post(b"<dns/>").await.unwrap(), b"<reply><dns/>");
    assert!(dns_task.await.unwrap() > 12);
}
