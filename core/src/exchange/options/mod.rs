//! Where a [`crate::exchange::Session`] connects and how it talks to the endpoint.

use std::time::Duration;

use crate::transport::{AuthMethod, Credentials, TransportOptions};
use crate::wsman::namespaces::RESOURCE_EXCHANGE;

pub mod jump_host;

pub use jump_host::{JumpHost, RemoteAuthentication};

/// The PowerShell endpoint behind the URL, which fixes the WS-Management resource URI
/// ([MS-PSRP] 3.1.5.1.1: `http://schemas.microsoft.com/powershell/<configuration>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    /// Exchange's remote PowerShell in IIS (`http(s)://<fqdn>/PowerShell/`), configuration
    /// `Microsoft.Exchange`. The WinRM service on 5985/5986 refuses this resource URI.
    Exchange,
    /// A session configuration of the WinRM service (`.../wsman`), e.g.
    /// `Microsoft.PowerShell`.
    Configuration(String),
    /// Jump-host mode: the WinRM service's `JumpHost::winrm_configuration` at `.../wsman`, from
    /// which the session opens and imports a session to Exchange (see [`crate::exchange::options::jump_host`]).
    ///
    /// A variant rather than a separate option, because the second hop decides what the
    /// session is connected to: it cannot be combined with [`Endpoint::Exchange`], and the
    /// resource URI follows from it.
    JumpHost(JumpHost),
}

impl Endpoint {
    /// The URL of `server`: a URL as given; for a bare host name Exchange's
    /// `https://<host>/PowerShell/`, or the WinRM service's `https://<host>:5986/wsman` for a
    /// session configuration or a jump host. An empty text stays empty (and fails when the
    /// session opens).
    pub fn server_url(&self, server: &str) -> String {
        if server.is_empty() || server.contains("://") {
            return server.to_owned();
        }
        match self {
            Endpoint::Exchange => format!("https://{server}/PowerShell/"),
            Endpoint::Configuration(_) | Endpoint::JumpHost(_) => {
                format!("https://{server}:5986/wsman")
            }
        }
    }

    /// The resource URI every request of the session carries.
    pub fn resource_uri(&self) -> String {
        match self {
            Endpoint::Exchange => RESOURCE_EXCHANGE.to_owned(),
            Endpoint::Configuration(name) => {
                format!("http://schemas.microsoft.com/powershell/{name}")
            }
            Endpoint::JumpHost(jump) => format!(
                "http://schemas.microsoft.com/powershell/{}",
                jump.winrm_configuration
            ),
        }
    }
}

pub use crate::option_table::DEFAULT_OPEN_TIMEOUT;

/// Everything [`crate::exchange::Session::connect`] needs.
#[derive(Debug, Clone)]
pub struct SessionOptions {
    /// URL, authentication, credentials, TLS, time limits, address order, resolve overrides,
    /// KDC and the unencrypted-HTTP switch.
    pub transport: TransportOptions,
    /// The endpoint kind behind `transport.url`.
    pub endpoint: Endpoint,
    /// WS-Management OperationTimeout ([MS-WSMV] 2.2.4.29): how long the server holds a
    /// Receive open when there is no output. A Receive that times out is simply sent again, so
    /// this is a polling interval, not a limit. Keep it below the transport's read timeout.
    pub operation_timeout: Duration,
    /// Limit on opening the session: connecting, authenticating, creating the shell and
    /// opening the runspace pool (and, for a jump host, the bootstrap); `None` for none. The
    /// default is PowerShell's OpenTimeout, 180 seconds. When it passes,
    /// [`crate::exchange::SessionError::OpenTimeout`] is returned.
    pub open_timeout: Option<Duration>,
    /// Limit on one whole command, `None` for none. When it passes the command is stopped on
    /// the server and [`crate::exchange::SessionError::Timeout`] returned.
    pub invoke_timeout: Option<Duration>,
    /// `wsman:Locale` and `wsmv:DataLocale` ([MS-WSMV] 3.1.4.1.23), e.g. `en-US`: the
    /// language of the server's messages and the culture it formats data with.
    pub locale: String,
    /// MaxEnvelopeSize in bytes; `None` negotiates it: 153600 until the server's
    /// SESSION_CAPABILITY arrives, then 512000 for protocol 2.2 or later ([MS-PSRP] 3.1.5.1.1).
    pub max_envelope_size: Option<u32>,
    /// `rsp:IdleTimeOut` of the shell ([MS-WSMV] 2.2.4.37); `None` leaves the server's default.
    pub idle_timeout: Option<Duration>,
    /// Name of the shell, which `Get-PSSession` on the server shows.
    pub shell_name: Option<String>,
    /// A file to record the conversation in: every request and response after unsealing,
    /// secrets redacted, in the format of the shared Windows captures (see
    /// [`crate::recording`]); `mx-sim --replay` serves it back. `None` (the default) records
    /// nothing.
    pub record: Option<std::path::PathBuf>,
}

impl SessionOptions {
    /// Options for Exchange's `/PowerShell/` endpoint at `url`.
    pub fn exchange(url: impl Into<String>, auth: AuthMethod, credentials: Credentials) -> Self {
        Self::new(
            TransportOptions::new(url, auth, credentials),
            Endpoint::Exchange,
        )
    }

    /// Options for jump-host mode: the WinRM service at `winrm_url`
    /// (`https://<host>:5986/wsman`) with `auth` and `winrm_credentials`, then Exchange at
    /// `exchange_uri` (`http://<fqdn>/PowerShell/`, as the jump host reaches it) as
    /// `exchange_credentials`, with Kerberos. [`crate::exchange::Session::connect`] runs the bootstrap;
    /// the rest of the session API is unchanged.
    pub fn jump_host(
        winrm_url: impl Into<String>,
        auth: AuthMethod,
        winrm_credentials: Credentials,
        exchange_uri: impl Into<String>,
        exchange_credentials: Credentials,
    ) -> Self {
        Self::new(
            TransportOptions::new(winrm_url, auth, winrm_credentials),
            Endpoint::JumpHost(JumpHost::new(exchange_uri, exchange_credentials)),
        )
    }

    /// Points the options at `server`, a URL or a bare host name completed by
    /// [`Endpoint::server_url`] for the options' endpoint: set the endpoint first.
    pub fn set_server(&mut self, server: &str) {
        self.transport.url = self.endpoint.server_url(server);
    }

    /// Options for `transport` and `endpoint`, with a 20-second OperationTimeout (what WinRM
    /// clients send), 180 seconds to open, no command limit and the `en-US` locale.
    pub fn new(transport: TransportOptions, endpoint: Endpoint) -> Self {
        Self {
            transport,
            endpoint,
            operation_timeout: crate::option_table::DEFAULT_OPERATION_TIMEOUT,
            open_timeout: Some(DEFAULT_OPEN_TIMEOUT),
            invoke_timeout: None,
            locale: crate::option_table::DEFAULT_LOCALE.to_owned(),
            max_envelope_size: None,
            idle_timeout: None,
            shell_name: None,
            record: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_uris() {
        assert_eq!(
            Endpoint::Exchange.resource_uri(),
            "http://schemas.microsoft.com/powershell/Microsoft.Exchange"
        );
        assert_eq!(
            Endpoint::Configuration("Microsoft.PowerShell".into()).resource_uri(),
            "http://schemas.microsoft.com/powershell/Microsoft.PowerShell"
        );
    }

    #[test]
    fn bare_host_names_become_urls_for_the_endpoint() {
        assert_eq!(
            Endpoint::Exchange.server_url("ex01.contoso.com"),
            "https://ex01.contoso.com/PowerShell/"
        );
        let winrm = Endpoint::Configuration("Microsoft.PowerShell".into());
        assert_eq!(
            winrm.server_url("ex01.contoso.com"),
            "https://ex01.contoso.com:5986/wsman"
        );
        assert_eq!(
            winrm.server_url("http://ex01.contoso.com/PowerShell/"),
            "http://ex01.contoso.com/PowerShell/"
        );
        assert_eq!(Endpoint::Exchange.server_url(""), "");
        let mut o = SessionOptions::exchange("", AuthMethod::Basic, Credentials::new("u", "p"));
        o.set_server("ex02.contoso.com");
        assert_eq!(o.transport.url, "https://ex02.contoso.com/PowerShell/");
    }

    #[test]
    fn exchange_defaults() {
        let o = SessionOptions::exchange(
            "https://ex01.corp.example/PowerShell/",
            AuthMethod::Basic,
            Credentials::new("u", "p"),
        );
        assert_eq!(o.endpoint, Endpoint::Exchange);
        assert_eq!(o.operation_timeout, Duration::from_secs(20));
        assert_eq!(o.max_envelope_size, None);
        assert_eq!(o.transport.url, "https://ex01.corp.example/PowerShell/");
    }

    #[test]
    fn jump_host_opens_the_winrm_service_first() {
        let o = SessionOptions::jump_host(
            "https://ex01.corp.example:5986/wsman",
            AuthMethod::Ntlm,
            Credentials::new("CORP\\jump", "a"),
            "http://ex01.corp.example/PowerShell/",
            Credentials::new("CORP\\exadmin", "b"),
        );
        assert_eq!(o.transport.url, "https://ex01.corp.example:5986/wsman");
        assert_eq!(o.transport.credentials.username, "CORP\\jump");
        assert_eq!(
            o.endpoint.resource_uri(),
            "http://schemas.microsoft.com/powershell/Microsoft.PowerShell"
        );
        match &o.endpoint {
            Endpoint::JumpHost(j) => {
                assert_eq!(j.exchange_uri, "http://ex01.corp.example/PowerShell/");
                assert_eq!(j.credentials.username, "CORP\\exadmin");
                assert_eq!(j.configuration, "Microsoft.Exchange");
            }
            other => panic!("expected a jump host, got {other:?}"),
        }
    }
}
