//! DNS and TCP: which addresses the name has in each family, which of them answer, and which
//! of the usual ports are open.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use monosync_exchange::transport::probe;
use monosync_exchange::transport::{IpOrder, ResolveOverride, TransportOptions};
use tokio::net::TcpStream;

use super::report::{Check, Report};
use super::target::{USUAL_PORTS, Url};

/// The result of connecting to every address of one port.
#[derive(Debug)]
pub(crate) struct PortProbe {
    /// The port.
    pub(crate) port: u16,
    /// Each address tried, in connection order, and the error when it did not answer.
    pub(crate) attempts: Vec<(SocketAddr, Result<(), String>)>,
    /// Why no address could be found, if so.
    pub(crate) resolve_error: Option<String>,
}

impl PortProbe {
    /// Whether some address accepted the connection.
    pub(crate) fn open(&self) -> bool {
        self.attempts.iter().any(|(_, r)| r.is_ok())
    }
}

/// `HOST:ADDR[,ADDR...]` (no port) as `HOST:PORT:ADDR...`; anything else unchanged. Written
/// for one port, the entry then covers every port through [`spread_overrides`].
pub(crate) fn with_port(entry: &str, port: u16) -> String {
    let Some((host, addrs)) = entry.split_once(':') else {
        return entry.to_owned();
    };
    let all_addresses = addrs.split(',').all(|a| {
        a.trim()
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .is_ok()
    });
    if all_addresses {
        format!("{host}:{port}:{addrs}")
    } else {
        entry.to_owned()
    }
}

/// Makes a `--resolve` entry for the host hold on every port probed: it names the host's
/// addresses, and the usual ports of one host share them.
pub(crate) fn spread_overrides(opts: &mut TransportOptions, host: &str) {
    let Some(first) = opts
        .resolve_overrides
        .iter()
        .find(|o| o.host.eq_ignore_ascii_case(host))
        .cloned()
    else {
        return;
    };
    for port in USUAL_PORTS {
        if !opts
            .resolve_overrides
            .iter()
            .any(|o| o.port == port && o.host.eq_ignore_ascii_case(host))
        {
            opts.resolve_overrides.push(ResolveOverride {
                port,
                ..first.clone()
            });
        }
    }
}

fn from_override(opts: &TransportOptions, host: &str, port: u16) -> bool {
    opts.resolve_overrides
        .iter()
        .any(|o| o.port == port && o.host.eq_ignore_ascii_case(host))
}

fn list(addrs: &[IpAddr]) -> String {
    addrs
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// `dns.ipv4` and `dns.ipv6`: the addresses of the host in each family (an override from
/// `--resolve` counts, as the transport uses it).
pub(crate) async fn dns(host: &str, port: u16, opts: &TransportOptions, report: &mut Report) {
    if host.parse::<IpAddr>().is_ok() {
        let why = format!("{host} is an address, not a name (Kerberos needs the FQDN)");
        report.push(Check::skip("dns.ipv4", why.clone()));
        report.push(Check::skip("dns.ipv6", why));
        return;
    }
    let found = match probe::resolve(host, port, IpOrder::System, &opts.resolve_overrides).await {
        Ok(a) => a,
        Err(e) => {
            report.push(Check::fail(
                "dns.ipv4",
                format!("{host} does not resolve: {e}"),
                "check the name (use the server's FQDN) and this machine's DNS servers and search suffixes, or give the address with --resolve HOST:PORT:ADDR",
            ));
            report.push(Check::skip("dns.ipv6", "the name does not resolve"));
            return;
        }
    };
    let source = if from_override(opts, host, port) {
        " (from --resolve)"
    } else {
        ""
    };
    let v4: Vec<IpAddr> = found
        .iter()
        .map(SocketAddr::ip)
        .filter(IpAddr::is_ipv4)
        .collect();
    let v6: Vec<IpAddr> = found
        .iter()
        .map(SocketAddr::ip)
        .filter(IpAddr::is_ipv6)
        .collect();
    report.push(if v4.is_empty() {
        Check::skip("dns.ipv4", format!("{host} has no IPv4 address{source}"))
    } else {
        Check::pass("dns.ipv4", format!("{host} -> {}{source}", list(&v4)))
    });
    report.push(if v6.is_empty() {
        Check::skip("dns.ipv6", format!("{host} has no IPv6 address{source}"))
    } else {
        Check::pass("dns.ipv6", format!("{host} -> {}{source}", list(&v6)))
    });
}

/// Connects to every address of `host:port` at once, each within `timeout`.
async fn probe_port(
    host: &str,
    port: u16,
    opts: &TransportOptions,
    timeout: Duration,
) -> PortProbe {
    let addrs = match probe::resolve(host, port, opts.ip_order, &opts.resolve_overrides).await {
        Ok(a) => a,
        Err(e) => {
            return PortProbe {
                port,
                attempts: Vec::new(),
                resolve_error: Some(e.to_string()),
            };
        }
    };
    let tasks: Vec<_> = addrs
        .iter()
        .map(|addr| {
            let addr = *addr;
            tokio::spawn(async move {
                match tokio::time::timeout(timeout, TcpStream::connect(addr)).await {
                    Ok(Ok(_)) => Ok(()),
                    Ok(Err(e)) => Err(e.to_string()),
                    Err(_) => Err(format!("no answer within {}s", timeout.as_secs_f32())),
                }
            })
        })
        .collect();
    let mut attempts = Vec::with_capacity(tasks.len());
    for (addr, task) in addrs.into_iter().zip(tasks) {
        let result = task
            .await
            .unwrap_or_else(|e| Err(format!("probe task failed: {e}")));
        attempts.push((addr, result));
    }
    PortProbe {
        port,
        attempts,
        resolve_error: None,
    }
}

fn port_id(port: u16) -> &'static str {
    match port {
        5985 => "tcp.5985",
        5986 => "tcp.5986",
        80 => "tcp.80",
        443 => "tcp.443",
        _ => "tcp.endpoint",
    }
}

fn port_role(port: u16) -> &'static str {
    match port {
        5985 => "WinRM over HTTP",
        5986 => "WinRM over HTTPS",
        80 => "Exchange /PowerShell over HTTP",
        443 => "Exchange /PowerShell over HTTPS",
        _ => "the endpoint",
    }
}

fn describe(attempts: &[(SocketAddr, Result<(), String>)]) -> String {
    attempts
        .iter()
        .map(|(a, r)| match r {
            Ok(()) => format!("{a} open"),
            Err(e) => format!("{a}: {e}"),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// `tcp.<port>` for the usual ports (and `tcp.endpoint` for the URL's own port when it is none
/// of them), probed in parallel. A closed usual port is only a failure when the endpoint
/// needs it; otherwise it is reported as skipped.
pub(crate) async fn tcp(
    host: &str,
    endpoint_port: Option<u16>,
    opts: &TransportOptions,
    timeout: Duration,
    report: &mut Report,
) -> Vec<PortProbe> {
    let mut ports = USUAL_PORTS.to_vec();
    if let Some(p) = endpoint_port
        && !ports.contains(&p)
    {
        ports.push(p);
    }
    let tasks: Vec<_> = ports
        .iter()
        .map(|port| {
            let (host, opts, port) = (host.to_owned(), opts.clone(), *port);
            tokio::spawn(async move { probe_port(&host, port, &opts, timeout).await })
        })
        .collect();
    let mut probes = Vec::new();
    for task in tasks {
        if let Ok(p) = task.await {
            probes.push(p);
        }
    }
    for p in &probes {
        let id = port_id(p.port);
        let needed = endpoint_port == Some(p.port);
        let check = if let Some(e) = &p.resolve_error {
            Check::skip(id, format!("no address for port {}: {e}", p.port))
        } else if p.open() {
            Check::pass(
                id,
                format!(
                    "{} ({}): {}",
                    p.port,
                    port_role(p.port),
                    describe(&p.attempts)
                ),
            )
        } else if needed {
            Check::fail(
                id,
                format!(
                    "{} ({}) does not answer: {}",
                    p.port,
                    port_role(p.port),
                    describe(&p.attempts)
                ),
                format!(
                    "start the listener (winrm quickconfig, or for HTTPS: winrm create winrm/config/Listener?Address=*+Transport=HTTPS), and open TCP {} in the server's firewall and on the path",
                    p.port
                ),
            )
        } else {
            Check::skip(
                id,
                format!(
                    "{} ({}) is closed or filtered; the endpoint does not use it",
                    p.port,
                    port_role(p.port)
                ),
            )
        };
        report.push(check);
    }
    probes
}

/// `dns.answer`: which address family the endpoint's port answers on, in `--ip-order`. Warns
/// when the addresses tried first never answer, so every connection waits for them.
pub(crate) fn answering_family(
    url: &Url,
    probes: &[PortProbe],
    opts: &TransportOptions,
    report: &mut Report,
) {
    let Some(p) = probes.iter().find(|p| p.port == url.port) else {
        return;
    };
    let Some((first_ok, _)) = p.attempts.iter().find(|(_, r)| r.is_ok()) else {
        report.push(Check::skip(
            "dns.answer",
            format!("no address answers on port {}", url.port),
        ));
        return;
    };
    let family = |a: &SocketAddr| if a.is_ipv4() { "IPv4" } else { "IPv6" };
    // Overrides are tried in the order written; --ip-order sorts resolver answers only.
    let order_name = if from_override(opts, &url.host, url.port) {
        "the --resolve order"
    } else {
        match opts.ip_order {
            IpOrder::Ipv6First => "order ipv6-first",
            IpOrder::System => "the resolver's order",
            _ => "order ipv4-first",
        }
    };
    let dead_before: Vec<&SocketAddr> = p
        .attempts
        .iter()
        .take_while(|(a, _)| a != first_ok)
        .map(|(a, _)| a)
        .collect();
    if dead_before.is_empty() {
        report.push(Check::pass(
            "dns.answer",
            format!(
                "{} answers first ({first_ok}, in {order_name})",
                family(first_ok)
            ),
        ));
    } else {
        let other = if first_ok.is_ipv4() {
            "--ip-order ipv4-first (or the IPv4 address first in --resolve)"
        } else {
            "--ip-order ipv6-first (or the IPv6 address first in --resolve)"
        };
        report.push(Check::warn(
            "dns.answer",
            format!(
                "{} answers ({first_ok}), but {} tried first in {order_name} do not: every connection waits for them",
                family(first_ok),
                dead_before.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
            ),
            format!(
                "fix the route or firewall for {} on port {}, or connect with {other}",
                dead_before.first().map_or("those addresses", |a| family(a)),
                url.port
            ),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolve_entries_without_a_port_get_one() {
        assert_eq!(with_port("ex01:10.0.0.5", 443), "ex01:443:10.0.0.5");
        assert_eq!(
            with_port("ex01:[fd00::5],10.0.0.5", 5986),
            "ex01:5986:[fd00::5],10.0.0.5"
        );
        assert_eq!(with_port("ex01:80:10.0.0.5", 443), "ex01:80:10.0.0.5");
        assert_eq!(with_port("nonsense", 443), "nonsense");
    }

    #[test]
    fn an_override_covers_every_usual_port() {
        let mut opts = TransportOptions::new(
            "http://ex01/",
            monosync_exchange::transport::AuthMethod::Ntlm,
            monosync_exchange::transport::Credentials::new("u", "p"),
        );
        opts.resolve_overrides = vec!["EX01:8080:10.0.0.5".parse().expect("override")];
        spread_overrides(&mut opts, "ex01");
        let mut ports: Vec<u16> = opts.resolve_overrides.iter().map(|o| o.port).collect();
        ports.sort_unstable();
        assert_eq!(ports, [80, 443, 5985, 5986, 8080]);
        assert!(
            opts.resolve_overrides
                .iter()
                .all(|o| o.addrs == ["10.0.0.5".parse::<IpAddr>().expect("ip")])
        );
    }
}
