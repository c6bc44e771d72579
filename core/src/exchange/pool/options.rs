//! What a [`crate::exchange::Pool`] needs: the session options shared by every server, the servers,
//! and the limits that keep the pool inside Exchange's budgets.

use std::time::Duration;

use crate::command::invocation::{Command, Invocation};
use crate::error::SessionError;
use crate::exchange::options::SessionOptions;
use crate::exchange::pool::retry::RetryPolicy;
use crate::transport::TransportError;

/// The most sessions a pool may hold. Exchange lets one account hold 18 shells per server
/// (`PowerShellMaxConcurrency`); staying below leaves room for an administrator's own
/// session and for shells whose deletion is still on its way.
pub const MAX_POOL_SESSIONS: usize = 16;

pub use crate::option_table::DEFAULT_POOL_SESSIONS;

/// Everything [`crate::exchange::Pool::new`] needs.
#[derive(Debug, Clone)]
pub struct PoolOptions {
    /// Authentication, credentials, TLS and time limits for every session; its
    /// `transport.url` is replaced by each server's URL in turn.
    pub session: SessionOptions,
    /// The servers' URLs, most preferred first (host names are completed by
    /// [`crate::exchange::Endpoint::server_url`] in [`PoolOptions::with_servers`]). New sessions go to the first healthy one
    /// and fail over to the next; a session stays on the server it was opened on.
    pub servers: Vec<String>,
    /// Sessions open at most, 1 to [`MAX_POOL_SESSIONS`]. Each runs one command at a time,
    /// so this is also the number of commands in flight.
    pub max_sessions: usize,
    /// A session unused this long is closed, before the server's own shell idle timeout
    /// (15 minutes on Exchange) deletes it under us.
    pub idle_close: Duration,
    /// A session unused this long is probed before it is used again: the server may have
    /// recycled its application pool in the meantime.
    pub probe_after_idle: Duration,
    /// The command that probes a session. Any answer, even a terminating error, proves the
    /// shell alive, so it needs no particular role; it should be cheap.
    pub probe: Invocation,
    /// The longest a probe may take before the session counts as broken.
    pub probe_timeout: Duration,
    /// How long a server that failed is tried only after the others.
    pub server_cooldown: Duration,
    /// The longest a caller waits for a free session; `None` waits as long as it takes.
    /// A caller that runs out of it gets [`SessionError::Timeout`], without a retry.
    pub acquire_timeout: Option<Duration>,
    /// When failed commands are sent again.
    pub retry: RetryPolicy,
}

impl PoolOptions {
    /// A pool of [`DEFAULT_POOL_SESSIONS`] sessions on the one server of `session`.
    pub fn new(session: SessionOptions) -> PoolOptions {
        let url = session.transport.url.clone();
        PoolOptions::with_servers(session, [url])
    }

    /// A pool over `servers`, which share the authentication and credentials of `session`.
    pub fn with_servers<S: Into<String>>(
        session: SessionOptions,
        servers: impl IntoIterator<Item = S>,
    ) -> PoolOptions {
        let servers = servers
            .into_iter()
            .map(|s| session.endpoint.server_url(&s.into()))
            .collect();
        PoolOptions {
            session,
            servers,
            max_sessions: DEFAULT_POOL_SESSIONS,
            idle_close: Duration::from_secs(600),
            probe_after_idle: Duration::from_secs(120),
            // Exit-PSSession is in every remote runspace, Exchange's restricted one too.
            probe: Command::new("Get-Command")
                .param("Name", "Exit-PSSession")
                .into(),
            probe_timeout: Duration::from_secs(30),
            server_cooldown: Duration::from_secs(30),
            acquire_timeout: None,
            retry: RetryPolicy::default(),
        }
    }

    /// Checks the limits and every URL, so that a bad option fails at once rather than at
    /// the first command.
    pub(crate) fn validate(&self) -> Result<(), SessionError> {
        let bad = |msg: String| Err(SessionError::Transport(TransportError::Config(msg)));
        if self.servers.is_empty() {
            return bad("the pool needs at least one server URL".to_owned());
        }
        if !(1..=MAX_POOL_SESSIONS).contains(&self.max_sessions) {
            return bad(format!(
                "max_sessions must be 1 to {MAX_POOL_SESSIONS}, not {}",
                self.max_sessions
            ));
        }
        if self.retry.max_attempts == 0 {
            return bad("retry.max_attempts must be at least 1".to_owned());
        }
        for url in &self.servers {
            let mut transport = self.session.transport.clone();
            transport.url.clone_from(url);
            crate::transport::Transport::new(transport)?;
        }
        Ok(())
    }

    /// The session options for server `url`.
    pub(crate) fn session_for(&self, url: &str) -> SessionOptions {
        let mut options = self.session.clone();
        url.clone_into(&mut options.transport.url);
        options
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchange::ErrorKind;
    use crate::transport::{AuthMethod, Credentials};

    fn options() -> PoolOptions {
        PoolOptions::with_servers(
            SessionOptions::exchange(
                "https://ex01.corp.example/PowerShell/",
                AuthMethod::Ntlm,
                Credentials::new("CORP\\svc", "pw"),
            ),
            [
                "https://ex01.corp.example/PowerShell/",
                "https://ex02.corp.example/PowerShell/",
            ],
        )
    }

    #[test]
    fn defaults_are_small_and_valid() {
        let o = options();
        assert_eq!(o.max_sessions, DEFAULT_POOL_SESSIONS);
        assert!(o.validate().is_ok());
        assert_eq!(
            o.session_for("https://ex02.corp.example/PowerShell/")
                .transport
                .url,
            "https://ex02.corp.example/PowerShell/"
        );
        let single = PoolOptions::new(o.session.clone());
        assert_eq!(single.servers, ["https://ex01.corp.example/PowerShell/"]);
    }

    #[test]
    fn limits_and_urls_are_checked() {
        for n in [0, MAX_POOL_SESSIONS + 1, 18] {
            let mut o = options();
            o.max_sessions = n;
            let e = o.validate().expect_err("out of range");
            assert_eq!(e.kind(), ErrorKind::Config);
        }
        let mut o = options();
        o.max_sessions = MAX_POOL_SESSIONS;
        assert!(o.validate().is_ok());
        o.servers.push("ftp://ex03.corp.example/".into());
        assert_eq!(
            o.validate().expect_err("bad scheme").kind(),
            ErrorKind::Config
        );
        o.servers.clear();
        assert_eq!(o.validate().expect_err("empty").kind(), ErrorKind::Config);
        let mut o = options();
        o.retry.max_attempts = 0;
        assert_eq!(
            o.validate().expect_err("no attempts").kind(),
            ErrorKind::Config
        );
    }
}
