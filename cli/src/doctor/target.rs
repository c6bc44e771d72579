//! What `SERVER` means: the host, the endpoint URL the HTTP checks use, and Exchange's
//! `/PowerShell/` endpoint.

use crate::error::CliError;

/// The WinRM and Exchange ports a server usually listens on.
pub(crate) const USUAL_PORTS: [u16; 4] = [5985, 5986, 80, 443];

/// The parts of an endpoint URL `mx doctor` needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Url {
    /// `https` or `http`.
    pub(crate) https: bool,
    /// Host without brackets.
    pub(crate) host: String,
    /// The port, explicit or the scheme's default.
    pub(crate) port: u16,
    /// The path (`/wsman`).
    pub(crate) path: String,
}

impl Url {
    /// Parses `http(s)://host[:port][/path]`.
    pub(crate) fn parse(text: &str) -> Result<Self, CliError> {
        let bad = |why: &str| CliError::Usage(format!("server `{text}`: {why}"));
        let (scheme, rest) = text.split_once("://").ok_or_else(|| bad("no scheme"))?;
        let https = match scheme.to_ascii_lowercase().as_str() {
            "https" => true,
            "http" => false,
            _ => return Err(bad("the scheme must be http or https")),
        };
        let (authority, path) = match rest.find('/') {
            Some(i) => rest.split_at(i),
            None => (rest, "/"),
        };
        let default_port = if https { 443 } else { 80 };
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            let (host, after) = v6.split_once(']').ok_or_else(|| bad("unclosed `[`"))?;
            let port = match after.strip_prefix(':') {
                Some(p) => p.parse().map_err(|_| bad("bad port"))?,
                None if after.is_empty() => default_port,
                None => return Err(bad("junk after the address")),
            };
            (host, port)
        } else {
            match authority.rsplit_once(':') {
                Some((h, p)) => (h, p.parse().map_err(|_| bad("bad port"))?),
                None => (authority, default_port),
            }
        };
        if host.is_empty() {
            return Err(bad("no host"));
        }
        Ok(Self {
            https,
            host: host.to_owned(),
            port,
            path: path.to_owned(),
        })
    }

    /// The URL as text, the port left out when it is the scheme's default.
    pub(crate) fn render(&self) -> String {
        let scheme = if self.https { "https" } else { "http" };
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        let default_port = if self.https { 443 } else { 80 };
        if self.port == default_port {
            format!("{scheme}://{host}{}", self.path)
        } else {
            format!("{scheme}://{host}:{}{}", self.port, self.path)
        }
    }

    /// Whether the path is Exchange's `/PowerShell` application.
    pub(crate) fn is_exchange(&self) -> bool {
        self.path
            .trim_matches('/')
            .eq_ignore_ascii_case("powershell")
    }

    /// Exchange's endpoint on the same server: this URL when it is `/PowerShell`; otherwise
    /// `/PowerShell/` with the same scheme, on the scheme's default port when this one is
    /// WinRM's (IIS serves Exchange, the WinRM service serves 5985/5986), else on the same port.
    pub(crate) fn exchange(&self) -> Url {
        if self.is_exchange() {
            return self.clone();
        }
        let port = match self.port {
            5985 | 5986 => {
                if self.https {
                    443
                } else {
                    80
                }
            }
            p => p,
        };
        Url {
            https: self.https,
            host: self.host.clone(),
            port,
            path: "/PowerShell/".to_owned(),
        }
    }
}

/// A bare host name's endpoint, chosen from the ports that answered: Exchange's `/PowerShell/`
/// over HTTPS when 443 is open, else over HTTP when 80 is, else WinRM's own listener.
pub(crate) fn url_for_host(host: &str, open: &[u16]) -> Url {
    let (https, port, path) = if open.contains(&443) {
        (true, 443, "/PowerShell/")
    } else if open.contains(&80) {
        (false, 80, "/PowerShell/")
    } else if open.contains(&5986) {
        (true, 5986, "/wsman")
    } else {
        (false, 5985, "/wsman")
    };
    Url {
        https,
        host: host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned(),
        port,
        path: path.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_urls_and_finds_the_exchange_endpoint() {
        let u = Url::parse("https://ex01.corp.example:5986/wsman").unwrap();
        assert_eq!(
            (u.https, u.host.as_str(), u.port, u.path.as_str()),
            (true, "ex01.corp.example", 5986, "/wsman")
        );
        assert_eq!(
            u.exchange().render(),
            "https://ex01.corp.example/PowerShell/"
        );
        let u = Url::parse("http://ex01/PowerShell/").unwrap();
        assert_eq!(u.port, 80);
        assert!(u.is_exchange());
        assert_eq!(u.exchange(), u);
        let u = Url::parse("http://[::1]:8080/wsman").unwrap();
        assert_eq!(u.host, "::1");
        assert_eq!(u.exchange().render(), "http://[::1]:8080/PowerShell/");
        assert!(Url::parse("ftp://x/").is_err());
        assert!(Url::parse("http://:80/").is_err());
        assert!(Url::parse("http://h:port/").is_err());
    }

    #[test]
    fn bare_hosts_prefer_exchange_over_https() {
        assert_eq!(
            url_for_host("ex01", &[80, 443, 5985]).render(),
            "https://ex01/PowerShell/"
        );
        assert_eq!(
            url_for_host("ex01", &[80]).render(),
            "http://ex01/PowerShell/"
        );
        assert_eq!(
            url_for_host("ex01", &[5986]).render(),
            "https://ex01:5986/wsman"
        );
        assert_eq!(url_for_host("ex01", &[]).render(), "http://ex01:5985/wsman");
    }
}
