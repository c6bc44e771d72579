//! KDC discovery through DNS SRV records (`_kerberos._tcp.<realm>`, RFC 4120 7.2.3.2), as
//! Active Directory publishes them: a minimal sans-IO DNS codec (RFC 1035, SRV per RFC 2782,
//! EDNS0 per RFC 6891 so large answers are not truncated) and one UDP exchange.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

/// One SRV answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SrvRecord {
    /// Lower values are tried first.
    pub priority: u16,
    /// Relative weight among records of equal priority.
    pub weight: u16,
    /// Service port.
    pub port: u16,
    /// Host name of the service, without the trailing dot.
    pub target: String,
}

/// Why a DNS message could not be built or read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DnsError {
    /// A label is empty or longer than 63 bytes, or the name longer than 255.
    #[error("`{0}` is not a valid DNS name")]
    BadName(String),
    /// The message ends before a field it announces.
    #[error("DNS message is truncated")]
    Truncated,
    /// A compression pointer loops or points forward.
    #[error("DNS name compression is malformed")]
    BadPointer,
    /// The reply does not answer our query.
    #[error("DNS reply does not match the query")]
    Mismatch,
    /// The server answered with an error code (3 = no such name).
    #[error("DNS server answered with code {0}")]
    Rcode(u8),
}

const TYPE_SRV: u16 = 33;
const TYPE_OPT: u16 = 41;
const CLASS_IN: u16 = 1;
const MAX_UDP: u16 = 4096;

/// Builds a recursive query for the SRV records of `name`, with an EDNS0 record offering a
/// 4096-byte UDP payload.
pub fn build_srv_query(id: u16, name: &str) -> Result<Vec<u8>, DnsError> {
    let mut out = Vec::with_capacity(64);
    out.extend_from_slice(&id.to_be_bytes());
    out.extend_from_slice(&0x0100u16.to_be_bytes()); // RD
    out.extend_from_slice(&1u16.to_be_bytes()); // QDCOUNT
    out.extend_from_slice(&0u16.to_be_bytes()); // ANCOUNT
    out.extend_from_slice(&0u16.to_be_bytes()); // NSCOUNT
    out.extend_from_slice(&1u16.to_be_bytes()); // ARCOUNT (OPT)
    encode_name(name, &mut out)?;
    out.extend_from_slice(&TYPE_SRV.to_be_bytes());
    out.extend_from_slice(&CLASS_IN.to_be_bytes());
    // OPT pseudo-record: root name, type 41, class = payload size, TTL 0, no data.
    out.push(0);
    out.extend_from_slice(&TYPE_OPT.to_be_bytes());
    out.extend_from_slice(&MAX_UDP.to_be_bytes());
    out.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
    Ok(out)
}

fn encode_name(name: &str, out: &mut Vec<u8>) -> Result<(), DnsError> {
    let bad = || DnsError::BadName(name.to_owned());
    let trimmed = name.trim_end_matches('.');
    if trimmed.is_empty() || trimmed.len() > 253 {
        return Err(bad());
    }
    for label in trimmed.split('.') {
        let len = u8::try_from(label.len()).map_err(|_| bad())?;
        if len == 0 || len > 63 {
            return Err(bad());
        }
        out.push(len);
        out.extend_from_slice(label.as_bytes());
    }
    out.push(0);
    Ok(())
}

struct Reader<'a> {
    msg: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], DnsError> {
        let end = self.pos.checked_add(n).ok_or(DnsError::Truncated)?;
        let s = self.msg.get(self.pos..end).ok_or(DnsError::Truncated)?;
        self.pos = end;
        Ok(s)
    }

    fn u16(&mut self) -> Result<u16, DnsError> {
        let b = self.take(2)?;
        Ok(u16::from_be_bytes([
            b.first().copied().unwrap_or(0),
            b.get(1).copied().unwrap_or(0),
        ]))
    }

    fn skip_name(&mut self) -> Result<(), DnsError> {
        let (_, end) = read_name(self.msg, self.pos)?;
        self.pos = end;
        Ok(())
    }
}

/// Reads a possibly compressed name at `start`; returns it and the offset after it.
fn read_name(msg: &[u8], start: usize) -> Result<(String, usize), DnsError> {
    let mut labels: Vec<String> = Vec::new();
    let mut pos = start;
    let mut end_after = None;
    let mut jumps = 0;
    loop {
        let len = *msg.get(pos).ok_or(DnsError::Truncated)?;
        match len & 0xC0 {
            0x00 => {
                if len == 0 {
                    let end = end_after.unwrap_or(pos + 1);
                    return Ok((labels.join("."), end));
                }
                let label = msg
                    .get(pos + 1..pos + 1 + usize::from(len))
                    .ok_or(DnsError::Truncated)?;
                labels.push(String::from_utf8_lossy(label).into_owned());
                pos += 1 + usize::from(len);
            }
            0xC0 => {
                let low = *msg.get(pos + 1).ok_or(DnsError::Truncated)?;
                let target = usize::from(u16::from_be_bytes([len & 0x3F, low]));
                jumps += 1;
                // Pointers must go backwards; a bound on jumps stops any loop.
                if target >= pos || jumps > 32 {
                    return Err(DnsError::BadPointer);
                }
                end_after.get_or_insert(pos + 2);
                pos = target;
            }
            _ => return Err(DnsError::BadPointer),
        }
    }
}

/// Reads the SRV answers of a reply to the query `id`, ordered by priority, then by
/// descending weight.
pub fn parse_srv_response(id: u16, msg: &[u8]) -> Result<Vec<SrvRecord>, DnsError> {
    let mut r = Reader { msg, pos: 0 };
    if r.u16()? != id {
        return Err(DnsError::Mismatch);
    }
    let flags = r.u16()?;
    if flags & 0x8000 == 0 {
        return Err(DnsError::Mismatch);
    }
    let rcode = (flags & 0x000F) as u8;
    if rcode != 0 {
        return Err(DnsError::Rcode(rcode));
    }
    let qd = r.u16()?;
    let an = r.u16()?;
    let _ns = r.u16()?;
    let _ar = r.u16()?;
    for _ in 0..qd {
        r.skip_name()?;
        r.take(4)?;
    }
    let mut out = Vec::new();
    for _ in 0..an {
        r.skip_name()?;
        let rtype = r.u16()?;
        let _class = r.u16()?;
        r.take(4)?; // TTL
        let rdlen = usize::from(r.u16()?);
        let rdata_start = r.pos;
        r.take(rdlen)?;
        if rtype != TYPE_SRV {
            continue;
        }
        let mut rd = Reader {
            msg,
            pos: rdata_start,
        };
        let priority = rd.u16()?;
        let weight = rd.u16()?;
        let port = rd.u16()?;
        let (target, _) = read_name(msg, rd.pos)?;
        if rd.pos > rdata_start + rdlen {
            return Err(DnsError::Truncated);
        }
        // "." means the service is decidedly not available at this domain.
        if !target.is_empty() {
            out.push(SrvRecord {
                priority,
                weight,
                port,
                target,
            });
        }
    }
    out.sort_by(|a, b| a.priority.cmp(&b.priority).then(b.weight.cmp(&a.weight)));
    Ok(out)
}

/// The `nameserver` addresses of a `resolv.conf`.
pub fn parse_resolv_conf(text: &str) -> Vec<IpAddr> {
    text.lines()
        .filter_map(|l| {
            let mut words = l.split_whitespace();
            (words.next() == Some("nameserver"))
                .then(|| words.next())
                .flatten()
                .and_then(|a| a.split('%').next())
                .and_then(|a| a.parse().ok())
        })
        .collect()
}

/// The system's DNS servers (`/etc/resolv.conf`), on port 53.
pub(crate) fn system_dns_servers() -> Vec<SocketAddr> {
    std::fs::read_to_string("/etc/resolv.conf")
        .map(|t| parse_resolv_conf(&t))
        .unwrap_or_default()
        .into_iter()
        .map(|ip| SocketAddr::new(ip, 53))
        .collect()
}

/// Looks up `_kerberos._tcp.<realm>` on each server in turn and returns the KDCs as
/// `tcp://host:port` URLs, best first. Failures yield an empty list: discovery is a fallback.
pub(crate) async fn lookup_kdcs(
    realm: &str,
    servers: &[SocketAddr],
    timeout: Duration,
) -> Vec<String> {
    let name = format!("_kerberos._tcp.{}", realm.to_ascii_lowercase());
    for server in servers {
        let id: u16 = rand::random();
        let Ok(query) = build_srv_query(id, &name) else {
            return Vec::new();
        };
        let bind: SocketAddr = if server.is_ipv4() {
            SocketAddr::from(([0, 0, 0, 0], 0))
        } else {
            SocketAddr::from(([0u16; 8], 0))
        };
        let exchange = async {
            let sock = tokio::net::UdpSocket::bind(bind).await.ok()?;
            sock.connect(server).await.ok()?;
            sock.send(&query).await.ok()?;
            let mut buf = vec![0u8; usize::from(MAX_UDP)];
            loop {
                let n = sock.recv(&mut buf).await.ok()?;
                // Ignore stray datagrams that do not answer this query.
                match parse_srv_response(id, buf.get(..n)?) {
                    Err(DnsError::Mismatch) => continue,
                    other => return other.ok(),
                }
            }
        };
        match tokio::time::timeout(timeout, exchange).await {
            Ok(Some(records)) if !records.is_empty() => {
                tracing::debug!(%name, %server, count = records.len(), "KDCs found in DNS");
                return records
                    .into_iter()
                    .map(|r| format!("tcp://{}:{}", r.target, r.port))
                    .collect();
            }
            _ => tracing::debug!(%name, %server, "no KDC SRV records"),
        }
    }
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reply to `query` with the given SRV records, the targets compressed against the
    /// question name where possible.
    pub(crate) fn reply(query: &[u8], records: &[(u16, u16, u16, &str)]) -> Vec<u8> {
        let mut out = query.get(..2).unwrap().to_vec();
        out.extend_from_slice(&0x8180u16.to_be_bytes());
        out.extend_from_slice(&1u16.to_be_bytes());
        out.extend_from_slice(&(records.len() as u16).to_be_bytes());
        out.extend_from_slice(&[0, 0, 0, 0]);
        // Question copied from the query (without its OPT record).
        let qlen = query.len() - 12 - 11;
        out.extend_from_slice(&query[12..12 + qlen]);
        for (prio, weight, port, target) in records {
            out.extend_from_slice(&[0xC0, 12]); // pointer to the question name
            out.extend_from_slice(&TYPE_SRV.to_be_bytes());
            out.extend_from_slice(&CLASS_IN.to_be_bytes());
            out.extend_from_slice(&600u32.to_be_bytes());
            let mut rdata = Vec::new();
            rdata.extend_from_slice(&prio.to_be_bytes());
            rdata.extend_from_slice(&weight.to_be_bytes());
            rdata.extend_from_slice(&port.to_be_bytes());
            encode_name(target, &mut rdata).unwrap();
            out.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
            out.extend_from_slice(&rdata);
        }
        out
    }

    #[test]
    fn query_layout() {
        let q = build_srv_query(0x1234, "_kerberos._tcp.corp.test").unwrap();
        assert_eq!(&q[..12], &[0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 1]);
        assert_eq!(&q[12..22], b"\x09_kerberos");
        assert!(q.ends_with(&[0, 0, 41, 0x10, 0, 0, 0, 0, 0, 0, 0]));
        assert!(build_srv_query(1, "a..b").is_err());
        assert!(build_srv_query(1, &"x".repeat(64)).is_err());
    }

    #[test]
    fn parses_and_orders_answers() {
        let q = build_srv_query(7, "_kerberos._tcp.corp.test").unwrap();
        let r = reply(
            &q,
            &[
                (10, 5, 88, "dc2.corp.test"),
                (0, 10, 88, "dc1.corp.test"),
                (10, 50, 8888, "dc3.corp.test"),
            ],
        );
        let got = parse_srv_response(7, &r).unwrap();
        let targets: Vec<(&str, u16)> = got.iter().map(|s| (s.target.as_str(), s.port)).collect();
        assert_eq!(
            targets,
            [
                ("dc1.corp.test", 88),
                ("dc3.corp.test", 8888),
                ("dc2.corp.test", 88)
            ]
        );
        assert_eq!(parse_srv_response(8, &r).unwrap_err(), DnsError::Mismatch);
    }

    #[test]
    fn error_codes_and_bad_input() {
        let q = build_srv_query(7, "_kerberos._tcp.corp.test").unwrap();
        let mut r = reply(&q, &[]);
        r[3] = 0x83; // NXDOMAIN
        assert_eq!(parse_srv_response(7, &r).unwrap_err(), DnsError::Rcode(3));
        let r = reply(&q, &[(0, 0, 88, "dc.corp.test")]);
        assert_eq!(
            parse_srv_response(7, &r[..r.len() - 3]).unwrap_err(),
            DnsError::Truncated
        );
        // A pointer to itself.
        let mut looped = reply(&q, &[]);
        looped[7] = 1;
        looped.extend_from_slice(&[0xC0, (looped.len() & 0xff) as u8]);
        assert_eq!(
            parse_srv_response(7, &looped).unwrap_err(),
            DnsError::BadPointer
        );
    }

    #[test]
    fn resolv_conf_servers() {
        let text = "# c\nsearch corp.test\nnameserver 10.0.0.53\nnameserver fe80::1%eth0\nnameserver bogus\n";
        assert_eq!(
            parse_resolv_conf(text),
            [
                "10.0.0.53".parse::<IpAddr>().unwrap(),
                "fe80::1".parse().unwrap()
            ]
        );
    }

    #[tokio::test]
    async fn looks_up_kdcs_over_udp() {
        let server = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let addr = server.local_addr().unwrap();
        let task = tokio::spawn(async move {
            let mut buf = [0u8; 512];
            let (n, from) = server.recv_from(&mut buf).await.unwrap();
            let r = reply(&buf[..n], &[(0, 100, 88, "dc1.corp.test")]);
            server.send_to(&r, from).await.unwrap();
            buf[12..n].to_vec()
        });
        let dead = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let dead_addr = dead.local_addr().unwrap();
        let kdcs = lookup_kdcs("CORP.TEST", &[dead_addr, addr], Duration::from_millis(300)).await;
        assert_eq!(kdcs, ["tcp://dc1.corp.test:88"]);
        let question = task.await.unwrap();
        assert!(question.starts_with(b"\x09_kerberos\x04_tcp\x04corp\x04test\x00"));
    }

    proptest::proptest! {
        #[test]
        fn parse_never_panics(data in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300)) {
            let _ = parse_srv_response(u16::from_be_bytes([data.first().copied().unwrap_or(0), data.get(1).copied().unwrap_or(0)]), &data);
        }
    }
}
