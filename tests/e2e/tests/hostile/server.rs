//! A hostile HTTP server: each [`Behaviour`] is one way a broken or malicious server, proxy or
//! load balancer can try to hold a client's time or memory. It speaks just enough HTTP/1.1 to
//! read a request; what it answers is the behaviour's.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use monosync_exchange::wsman::response::CreateResponse;
use monosync_exchange::wsman::{Request, Response, ResponseHeader, Selector, WsManFault};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use uuid::Uuid;

/// What the server does with each request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Behaviour {
    /// Reads the request and never answers.
    Stall,
    /// Accepts the connection and never says a word (a TLS client waits for its ServerHello).
    Silent,
    /// A valid response, one byte every 20 ms.
    Drip,
    /// A chunked body that never ends.
    EndlessChunks,
    /// Header lines that never end.
    HugeHeaders,
    /// Ten thousand small headers.
    ManyHeaders,
    /// A body announcing 10 GB.
    HugeBody,
    /// A body without length that never ends, streamed as fast as the client reads.
    EndlessBody,
    /// `302` to itself, every time.
    RedirectLoop,
    /// `401` offering every scheme, with and without tokens, forever.
    Unauthorized,
    /// `401` with a token that is not base64.
    MalformedToken,
    /// `401` with a base64 NTLM challenge whose lengths and offsets point far outside it.
    GarbageToken,
    /// A 200 whose body is an entity-expansion bomb (a DTD of nested entities).
    EntityBomb,
    /// A 200 whose body nests 50,000 elements (within the size limit).
    DeepXml,
    /// A SOAP fault whose reason and message are 60 KB of text each.
    HugeFault,
    /// An HTTP 500 echoing the request, headers included.
    Echo,
    /// A WS-Management server that creates the shell, then answers every Receive with the
    /// TimedOut fault, so that the runspace pool never opens.
    TimedOutForever,
    /// As [`Behaviour::TimedOutForever`], each answer also setting 60 new 4 KB cookies.
    CookieFlood,
    /// Random bytes instead of a TLS ServerHello.
    TlsGarbage,
}

/// What the server saw.
#[derive(Debug, Default)]
pub(crate) struct Seen {
    /// Requests read.
    pub(crate) requests: AtomicUsize,
    /// The longest `Cookie` header received.
    pub(crate) longest_cookie_header: AtomicUsize,
}

/// A server bound to a loopback port, serving until the process ends.
pub(crate) struct Hostile {
    pub(crate) port: u16,
    pub(crate) seen: Arc<Seen>,
}

impl Hostile {
    pub(crate) async fn start(behaviour: Behaviour) -> Hostile {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let seen = Arc::new(Seen::default());
        let shared = seen.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let seen = shared.clone();
                tokio::spawn(async move {
                    let _ = serve(stream, behaviour, &seen).await;
                });
            }
        });
        Hostile { port, seen }
    }
}

/// One request as read: the head's lines and the body.
struct Incoming {
    head: String,
    body: Vec<u8>,
}

impl Incoming {
    fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().skip(1).find_map(|line| {
            let (n, v) = line.split_once(':')?;
            n.trim().eq_ignore_ascii_case(name).then_some(v.trim())
        })
    }
}

async fn read_request(stream: &mut TcpStream) -> std::io::Result<Option<Incoming>> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let end = loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break end;
        }
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(None);
        }
        buf.extend_from_slice(&chunk[..n]);
        if buf.len() > 1 << 20 {
            return Ok(None);
        }
    };
    let head = String::from_utf8_lossy(&buf[..end]).into_owned();
    let mut body = buf[end + 4..].to_vec();
    let incoming = Incoming {
        head,
        body: Vec::new(),
    };
    let length: usize = incoming
        .header("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    while body.len() < length {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(None);
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Ok(Some(Incoming { body, ..incoming }))
}

fn response(status: &str, headers: &[String], body: &[u8]) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {status}\r\nContent-Length: {}\r\n", body.len());
    for h in headers {
        out.push_str(h);
        out.push_str("\r\n");
    }
    out.push_str("\r\n");
    let mut out = out.into_bytes();
    out.extend_from_slice(body);
    out
}

const SOAP: &str = "Content-Type: application/soap+xml;charset=UTF-8";

async fn serve(mut stream: TcpStream, behaviour: Behaviour, seen: &Seen) -> std::io::Result<()> {
    match behaviour {
        Behaviour::Silent => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            return Ok(());
        }
        Behaviour::TlsGarbage => {
            let mut garbage = vec![0u8; 64 * 1024];
            let mut x: u32 = 0x9E37_79B9;
            for b in &mut garbage {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                *b = x as u8;
            }
            stream.write_all(&garbage).await?;
            tokio::time::sleep(Duration::from_secs(3600)).await;
            return Ok(());
        }
        _ => {}
    }
    while let Some(request) = read_request(&mut stream).await? {
        seen.requests.fetch_add(1, Ordering::SeqCst);
        if let Some(cookie) = request.header("cookie") {
            seen.longest_cookie_header
                .fetch_max(cookie.len(), Ordering::SeqCst);
        }
        match behaviour {
            Behaviour::Stall => {
                tokio::time::sleep(Duration::from_secs(3600)).await;
            }
            Behaviour::Drip => {
                let answer = response("200 OK", &[SOAP.to_owned()], &[b'x'; 4096]);
                for byte in answer {
                    stream.write_all(&[byte]).await?;
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            }
            Behaviour::EndlessChunks => {
                stream
                    .write_all(
                        format!("HTTP/1.1 200 OK\r\n{SOAP}\r\nTransfer-Encoding: chunked\r\n\r\n")
                            .as_bytes(),
                    )
                    .await?;
                let mut chunk = b"1000\r\n".to_vec();
                chunk.extend_from_slice(&[b'<'; 0x1000]);
                chunk.extend_from_slice(b"\r\n");
                loop {
                    stream.write_all(&chunk).await?;
                }
            }
            Behaviour::HugeHeaders => {
                stream.write_all(b"HTTP/1.1 200 OK\r\n").await?;
                let line = format!("X-Filler: {}\r\n", "a".repeat(8000));
                loop {
                    stream.write_all(line.as_bytes()).await?;
                }
            }
            Behaviour::ManyHeaders => {
                let mut head = String::from("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n");
                for i in 0..10_000 {
                    head.push_str(&format!("X-{i}: v\r\n"));
                }
                head.push_str("\r\n");
                stream.write_all(head.as_bytes()).await?;
            }
            Behaviour::HugeBody => {
                stream
                    .write_all(
                        format!("HTTP/1.1 200 OK\r\n{SOAP}\r\nContent-Length: 10000000000\r\n\r\n")
                            .as_bytes(),
                    )
                    .await?;
                let block = vec![b' '; 64 * 1024];
                loop {
                    stream.write_all(&block).await?;
                }
            }
            Behaviour::EndlessBody => {
                stream
                    .write_all(
                        format!("HTTP/1.1 200 OK\r\n{SOAP}\r\nConnection: close\r\n\r\n")
                            .as_bytes(),
                    )
                    .await?;
                let block = vec![b' '; 64 * 1024];
                loop {
                    stream.write_all(&block).await?;
                }
            }
            Behaviour::RedirectLoop => {
                let location = format!(
                    "Location: http://127.0.0.1:{}/PowerShell/",
                    stream.local_addr()?.port()
                );
                stream
                    .write_all(&response("302 Found", &[location], b""))
                    .await?;
            }
            Behaviour::Unauthorized => {
                let headers = [
                    "WWW-Authenticate: Negotiate".to_owned(),
                    "WWW-Authenticate: NTLM".to_owned(),
                    "WWW-Authenticate: Kerberos".to_owned(),
                    "WWW-Authenticate: Basic realm=\"x\"".to_owned(),
                ];
                stream
                    .write_all(&response("401 Unauthorized", &headers, b""))
                    .await?;
            }
            Behaviour::MalformedToken | Behaviour::GarbageToken => {
                let token = if behaviour == Behaviour::MalformedToken {
                    "WWW-Authenticate: Negotiate !!not*base64%%".to_owned()
                } else {
                    // "NTLMSSP\0", type 2, then 0xFF for every length, offset and flag.
                    "WWW-Authenticate: Negotiate TlRMTVNTUAACAAAA//////////////////////////////////////////8="
                        .to_owned()
                };
                stream
                    .write_all(&response("401 Unauthorized", &[token], b""))
                    .await?;
            }
            Behaviour::EntityBomb => {
                let mut body = String::from("<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n");
                body.push_str("<!ENTITY lol \"lol\">\n");
                for i in 1..10 {
                    let prev = if i == 1 {
                        "lol".to_owned()
                    } else {
                        format!("lol{}", i - 1)
                    };
                    body.push_str(&format!(
                        "<!ENTITY lol{i} \"{}\">\n",
                        format!("&{prev};").repeat(10)
                    ));
                }
                body.push_str("]>\n<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\"><s:Header/><s:Body>&lol9;</s:Body></s:Envelope>");
                stream
                    .write_all(&response("200 OK", &[SOAP.to_owned()], body.as_bytes()))
                    .await?;
            }
            Behaviour::DeepXml => {
                let mut body = String::from(
                    "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\"><s:Body>",
                );
                body.push_str(&"<a>".repeat(50_000));
                stream
                    .write_all(&response("200 OK", &[SOAP.to_owned()], body.as_bytes()))
                    .await?;
            }
            Behaviour::HugeFault => {
                let mut fault = WsManFault::access_denied("EX01");
                fault.reason = "Access is denied. ".repeat(60_000 / 18);
                fault.message = Some(fault.reason.clone());
                let body = fault.to_xml(&reply_header(&request));
                stream
                    .write_all(&response(
                        "500 Internal Server Error",
                        &[SOAP.to_owned()],
                        &body,
                    ))
                    .await?;
            }
            Behaviour::Echo => {
                let mut body = request.head.clone().into_bytes();
                body.extend_from_slice(b"\r\n\r\n");
                body.extend_from_slice(&request.body);
                stream
                    .write_all(&response(
                        "500 Internal Server Error",
                        &["Content-Type: text/plain".to_owned()],
                        &body,
                    ))
                    .await?;
            }
            Behaviour::TimedOutForever | Behaviour::CookieFlood => {
                let mut headers = vec![SOAP.to_owned()];
                if behaviour == Behaviour::CookieFlood {
                    let round = seen.requests.load(Ordering::SeqCst);
                    for i in 0..60 {
                        headers.push(format!(
                            "Set-Cookie: flood{round}x{i}={}; Path=/",
                            "c".repeat(4000)
                        ));
                    }
                }
                let (status, body) = wsman_answer(&request);
                stream.write_all(&response(status, &headers, &body)).await?;
            }
            Behaviour::Silent | Behaviour::TlsGarbage => unreachable!("answered above"),
        }
    }
    Ok(())
}

fn reply_header(request: &Incoming) -> ResponseHeader {
    let relates_to = Request::parse(&request.body)
        .ok()
        .map(|(h, _)| h.message_id);
    ResponseHeader {
        message_id: Uuid::new_v4(),
        relates_to,
        activity_id: None,
    }
}

/// Create is answered with a shell; everything else with the TimedOut fault, as a server
/// whose runspace pool never opens.
fn wsman_answer(request: &Incoming) -> (&'static str, Vec<u8>) {
    let header = reply_header(request);
    match Request::parse(&request.body) {
        Ok((h, Request::Create { shell_id, .. })) => {
            let id = shell_id.unwrap_or_else(Uuid::new_v4);
            let created = Response::Created(CreateResponse {
                address: h.to.clone(),
                resource_uri: h.resource_uri.clone(),
                selectors: vec![Selector {
                    name: "ShellId".to_owned(),
                    value: monosync_exchange::wsman::header::format_guid(id),
                }],
                shell: None,
            });
            ("200 OK", created.to_xml(&header))
        }
        _ => (
            "500 Internal Server Error",
            WsManFault::timed_out("EX01").to_xml(&header),
        ),
    }
}
