//! Address selection: resolve every address of the host, order them by family, and apply
//! curl-like `host:port:addr` overrides, so a broken IPv6 route never blocks a working IPv4
//! one (and the other way round) without changing the machine's prefix policy.

use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;

use super::error::TransportError;

/// The order in which resolved addresses are tried.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum IpOrder {
    /// All IPv4 addresses first, then IPv6 (each family in resolver order).
    #[default]
    Ipv4First,
    /// All IPv6 addresses first, then IPv4.
    Ipv6First,
    /// The resolver's order.
    System,
}

impl FromStr for IpOrder {
    type Err = TransportError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "ipv4-first" => Ok(Self::Ipv4First),
            "ipv6-first" => Ok(Self::Ipv6First),
            "system" => Ok(Self::System),
            _ => Err(TransportError::Config(format!(
                "address order `{s}`: expected ipv4-first, ipv6-first or system"
            ))),
        }
    }
}

/// A fixed answer for one `host:port`, like curl's `--resolve host:port:addr[,addr...]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolveOverride {
    /// Host name as written in the URL (compared without case).
    pub host: String,
    /// Port the override applies to.
    pub port: u16,
    /// Addresses to use, tried in this order (the [`IpOrder`] is not applied to them).
    pub addrs: Vec<IpAddr>,
}

impl FromStr for ResolveOverride {
    type Err = TransportError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = |why: &str| {
            TransportError::Config(format!(
                "resolve override `{s}`: {why}; expected host:port:addr[,addr...]"
            ))
        };
        let (host, rest) = s.split_once(':').ok_or_else(|| bad("missing port"))?;
        let (port, addrs) = rest.split_once(':').ok_or_else(|| bad("missing address"))?;
        if host.is_empty() {
            return Err(bad("empty host"));
        }
        let port = port.parse::<u16>().map_err(|_| bad("bad port"))?;
        let addrs = addrs
            .split(',')
            .map(|a| {
                a.trim()
                    .trim_start_matches('[')
                    .trim_end_matches(']')
                    .parse::<IpAddr>()
                    .map_err(|_| bad("bad address"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            host: host.to_owned(),
            port,
            addrs,
        })
    }
}

/// Orders addresses by family, keeping the resolver's order within each family and dropping
/// duplicates.
pub fn order_addresses(addrs: Vec<SocketAddr>, order: IpOrder) -> Vec<SocketAddr> {
    let mut unique = Vec::with_capacity(addrs.len());
    for a in addrs {
        if !unique.contains(&a) {
            unique.push(a);
        }
    }
    match order {
        IpOrder::System => unique,
        IpOrder::Ipv4First => {
            let (mut v4, v6): (Vec<_>, Vec<_>) = unique.into_iter().partition(SocketAddr::is_ipv4);
            v4.extend(v6);
            v4
        }
        IpOrder::Ipv6First => {
            let (mut v6, v4): (Vec<_>, Vec<_>) = unique.into_iter().partition(SocketAddr::is_ipv6);
            v6.extend(v4);
            v6
        }
    }
}

/// The addresses to try for `host:port`: an override, the literal address, or every address
/// the system resolver returns, ordered by `order`.
pub(crate) async fn resolve(
    host: &str,
    port: u16,
    order: IpOrder,
    overrides: &[ResolveOverride],
) -> Result<Vec<SocketAddr>, TransportError> {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if let Some(o) = overrides
        .iter()
        .find(|o| o.port == port && o.host.eq_ignore_ascii_case(bare))
    {
        return Ok(o
            .addrs
            .iter()
            .map(|ip| SocketAddr::new(*ip, port))
            .collect());
    }
    if let Ok(ip) = bare.parse::<IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, port)]);
    }
    let found = tokio::net::lookup_host((bare, port))
        .await
        .map_err(|e| TransportError::Resolve {
            host: bare.to_owned(),
            message: e.to_string(),
        })?
        .collect::<Vec<_>>();
    if found.is_empty() {
        return Err(TransportError::Resolve {
            host: bare.to_owned(),
            message: "no addresses".to_owned(),
        });
    }
    Ok(order_addresses(found, order))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sa(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    #[test]
    fn orders_by_family() {
        let addrs = vec![
            sa("[::1]:80"),
            sa("10.0.0.1:80"),
            sa("[fd00::2]:80"),
            sa("10.0.0.2:80"),
            sa("10.0.0.1:80"),
        ];
        assert_eq!(
            order_addresses(addrs.clone(), IpOrder::Ipv4First),
            [
                sa("10.0.0.1:80"),
                sa("10.0.0.2:80"),
                sa("[::1]:80"),
                sa("[fd00::2]:80")
            ]
        );
        assert_eq!(
            order_addresses(addrs.clone(), IpOrder::Ipv6First),
            [
                sa("[::1]:80"),
                sa("[fd00::2]:80"),
                sa("10.0.0.1:80"),
                sa("10.0.0.2:80")
            ]
        );
        assert_eq!(
            order_addresses(addrs, IpOrder::System),
            [
                sa("[::1]:80"),
                sa("10.0.0.1:80"),
                sa("[fd00::2]:80"),
                sa("10.0.0.2:80")
            ]
        );
    }

    #[test]
    fn parses_overrides() {
        let o: ResolveOverride = "ex01.corp.test:443:10.0.0.5,[fd00::5]".parse().unwrap();
        assert_eq!(o.host, "ex01.corp.test");
        assert_eq!(o.port, 443);
        assert_eq!(
            o.addrs,
            [
                "10.0.0.5".parse::<IpAddr>().unwrap(),
                "fd00::5".parse().unwrap()
            ]
        );
        assert!("host:x:1.2.3.4".parse::<ResolveOverride>().is_err());
        assert!("host:80".parse::<ResolveOverride>().is_err());
        assert!("host:80:nope".parse::<ResolveOverride>().is_err());
        assert_eq!("IPv6-First".parse::<IpOrder>().unwrap(), IpOrder::Ipv6First);
        assert!("fastest".parse::<IpOrder>().is_err());
    }

    #[tokio::test]
    async fn override_and_literal_skip_dns() {
        let o: ResolveOverride = "ex01.corp.test:80:127.0.0.2,127.0.0.3".parse().unwrap();
        let got = resolve(
            "EX01.corp.test",
            80,
            IpOrder::Ipv6First,
            std::slice::from_ref(&o),
        )
        .await
        .unwrap();
        assert_eq!(got, [sa("127.0.0.2:80"), sa("127.0.0.3:80")]);
        let got = resolve("[::1]", 5985, IpOrder::Ipv4First, &[o])
            .await
            .unwrap();
        assert_eq!(got, [sa("[::1]:5985")]);
    }
}
