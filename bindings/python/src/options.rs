//! Session options from Python keyword arguments: one [`ConnectArgs`] holds them, and
//! [`ConnectArgs::session_options`] turns it into the core's `SessionOptions` for one server,
//! so that anything connecting to a list of servers reuses it per server.

use std::path::PathBuf;
use std::str::FromStr as _;
use std::time::Duration;

use monosync_exchange::exchange::{Endpoint, JumpHost, SessionOptions};
use monosync_exchange::transport::{
    AuthMethod, Credentials, IpOrder, ResolveOverride, TransportOptions,
};
use pyo3::prelude::*;
use pyo3::types::{PyString, PyTuple};

use crate::errors::config_error;
use crate::secret::{PSCredential, SecureString};

/// Strings or a list of strings (`resolve=`, `pinned_thumbprints=`, `dns_servers=`).
pub(crate) fn string_list(obj: Option<&Bound<'_, PyAny>>) -> PyResult<Vec<String>> {
    let Some(obj) = obj else {
        return Ok(Vec::new());
    };
    if obj.is_none() {
        return Ok(Vec::new());
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(vec![s.to_cow()?.into_owned()]);
    }
    obj.try_iter()?.map(|item| item?.extract()).collect()
}

/// Every connection option `Session` takes, as given.
pub(crate) struct ConnectArgs<'py> {
    pub(crate) auth: String,
    pub(crate) username: Option<String>,
    pub(crate) password: Option<Bound<'py, PyAny>>,
    pub(crate) credential: Option<Bound<'py, PSCredential>>,
    pub(crate) configuration: Option<String>,
    pub(crate) ca_file: Option<PathBuf>,
    /// `pinned_thumbprints=`, or its former name `pin_thumbprint=`.
    pub(crate) pinned_thumbprints: Option<Bound<'py, PyAny>>,
    pub(crate) insecure: bool,
    pub(crate) ip_order: String,
    pub(crate) resolve: Option<Bound<'py, PyAny>>,
    pub(crate) kdc: Option<String>,
    /// An MIT keytab file: logs on with its key instead of a password.
    pub(crate) keytab: Option<PathBuf>,
    pub(crate) realm: Option<String>,
    pub(crate) spn: Option<String>,
    pub(crate) allow_unencrypted: bool,
    pub(crate) allow_basic_over_http: bool,
    pub(crate) connect_timeout: f64,
    pub(crate) read_timeout: f64,
    pub(crate) request_timeout: Option<f64>,
    pub(crate) operation_timeout: f64,
    pub(crate) invoke_timeout: Option<f64>,
    pub(crate) open_timeout: Option<f64>,
    pub(crate) idle_timeout: Option<f64>,
    pub(crate) locale: String,
    pub(crate) shell_name: Option<String>,
    /// `(exchange_uri, PSCredential)`: jump-host mode.
    pub(crate) jump_host: Option<Bound<'py, PyAny>>,
    /// A file to record the conversation in.
    pub(crate) record: Option<PathBuf>,
    /// DNS servers (`ip:port`) for KDC discovery.
    pub(crate) dns_servers: Option<Bound<'py, PyAny>>,
    /// A fixed MaxEnvelopeSize; `None` negotiates it.
    pub(crate) max_envelope_size: Option<u32>,
}

fn seconds(py: Python<'_>, name: &str, value: f64) -> PyResult<Duration> {
    Duration::try_from_secs_f64(value).map_err(|e| config_error(py, format!("{name}={value}: {e}")))
}

fn auth_method(py: Python<'_>, name: &str) -> PyResult<AuthMethod> {
    AuthMethod::from_str(name).map_err(|e| config_error(py, format!("auth={name:?}: {e}")))
}

/// `jump_host=(exchange_uri, credential)`: Exchange's URI as the jump host reaches it
/// (`http://<fqdn>/PowerShell/`) and the PSCredential Exchange's cmdlets run as.
fn jump_host(py: Python<'_>, value: &Bound<'_, PyAny>) -> PyResult<JumpHost> {
    let shape = || {
        config_error(
            py,
            "jump_host= takes a tuple (exchange_uri, PSCredential), e.g. \
             (\"http://ex01.corp.example/PowerShell/\", PSCredential(user, password))",
        )
    };
    let pair = value.cast::<PyTuple>().map_err(|_| shape())?;
    if pair.len() != 2 {
        return Err(shape());
    }
    let uri: String = pair.get_item(0)?.extract().map_err(|_| shape())?;
    if uri.is_empty() {
        return Err(config_error(py, "jump_host=: the Exchange URI is empty"));
    }
    let item = pair.get_item(1)?;
    let credential = item.cast::<PSCredential>().map_err(|_| shape())?;
    Ok(JumpHost::new(uri, credential.get().credentials()))
}

impl ConnectArgs<'_> {
    fn credentials(&self, py: Python<'_>) -> PyResult<Credentials> {
        if let Some(credential) = &self.credential {
            if self.username.is_some() || self.password.is_some() {
                return Err(config_error(
                    py,
                    "give either credential= or username= and password=, not both",
                ));
            }
            return Ok(credential.get().credentials());
        }
        if let Some(keytab) = &self.keytab {
            if self.password.is_some() {
                return Err(config_error(
                    py,
                    "give either keytab= or password=, not both",
                ));
            }
            let user = self.username.clone().unwrap_or_default();
            return Ok(Credentials::with_keytab(user, keytab.clone()));
        }
        match (&self.username, &self.password) {
            (Some(user), Some(password)) => {
                let secret = SecureString::from_py(password)?;
                Ok(Credentials::new(user.clone(), secret.as_str()))
            }
            _ => Err(config_error(
                py,
                "a user name and a password are needed (username= and password=, or credential=, or keytab=)",
            )),
        }
    }

    /// The URL of `server` (a URL or a bare host name).
    pub(crate) fn url(&self, server: &str) -> String {
        // Only the kind of endpoint matters for the URL: the jump host's is the WinRM
        // service's, as a configuration's.
        let endpoint = match (&self.configuration, &self.jump_host) {
            (None, None) => Endpoint::Exchange,
            (name, _) => Endpoint::Configuration(name.clone().unwrap_or_default()),
        };
        endpoint.server_url(server)
    }

    /// The core's options for `server`.
    pub(crate) fn session_options(&self, py: Python<'_>, server: &str) -> PyResult<SessionOptions> {
        let url = self.url(server);
        let mut transport =
            TransportOptions::new(url, auth_method(py, &self.auth)?, self.credentials(py)?);
        transport.tls.ca_file = self.ca_file.clone();
        transport.tls.pinned_thumbprints = string_list(self.pinned_thumbprints.as_ref())?;
        transport.tls.insecure = self.insecure;
        transport.ip_order =
            IpOrder::from_str(&self.ip_order).map_err(|e| config_error(py, e.to_string()))?;
        transport.resolve_overrides = string_list(self.resolve.as_ref())?
            .iter()
            .map(|s| ResolveOverride::from_str(s).map_err(|e| config_error(py, e.to_string())))
            .collect::<PyResult<_>>()?;
        transport.kdc = self.kdc.clone();
        transport.realm = self
            .realm
            .as_deref()
            .map(monosync_exchange::transport::kerberos::check_realm)
            .transpose()
            .map_err(|e| config_error(py, e.to_string()))?;
        transport.spn_override = self.spn.clone();
        transport.allow_unencrypted = self.allow_unencrypted;
        transport.allow_basic_over_http = self.allow_basic_over_http;
        transport.timeouts.connect = seconds(py, "connect_timeout", self.connect_timeout)?;
        transport.timeouts.read = seconds(py, "read_timeout", self.read_timeout)?;
        transport.dns_servers = string_list(self.dns_servers.as_ref())?
            .iter()
            .map(|s| {
                s.parse()
                    .map_err(|e| config_error(py, format!("dns_servers: `{s}`: {e}")))
            })
            .collect::<PyResult<_>>()?;
        transport.timeouts.request = self
            .request_timeout
            .map(|s| seconds(py, "request_timeout", s))
            .transpose()?;
        let endpoint = match (&self.configuration, &self.jump_host) {
            (Some(_), Some(_)) => {
                return Err(config_error(
                    py,
                    "give either configuration= or jump_host=, not both",
                ));
            }
            (None, None) => Endpoint::Exchange,
            (Some(name), None) => Endpoint::Configuration(name.clone()),
            (None, Some(jump)) => Endpoint::JumpHost(jump_host(py, jump)?),
        };
        let mut options = SessionOptions::new(transport, endpoint);
        options.operation_timeout = seconds(py, "operation_timeout", self.operation_timeout)?;
        options.invoke_timeout = self
            .invoke_timeout
            .map(|s| seconds(py, "invoke_timeout", s))
            .transpose()?;
        options.open_timeout = self
            .open_timeout
            .map(|s| seconds(py, "open_timeout", s))
            .transpose()?;
        options.idle_timeout = self
            .idle_timeout
            .map(|s| seconds(py, "idle_timeout", s))
            .transpose()?;
        options.locale = self.locale.clone();
        options.shell_name = self.shell_name.clone();
        options.record = self.record.clone();
        options.max_envelope_size = self.max_envelope_size;
        Ok(options)
    }
}
