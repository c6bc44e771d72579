//! `mx_options`: the builder of a session's configuration. One setter per option of the core's
//! option table (`mx_options_set_<name>`, `mx_options_add_<item>` for lists, `_ms` after a time
//! limit's name); each validates its input and changes one field of the core's
//! `SessionOptions` through one of the generic helpers below, so a new option is one more
//! short function here. `mx_options_build` turns the builder into an immutable `mx_config`.

use std::ffi::c_char;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use mx_core::exchange::{Endpoint, JumpHost, PoolOptions, SessionOptions};
use mx_core::transport::{AuthMethod, Credentials, IpOrder, ResolveOverride};
use zeroize::Zeroizing;

use crate::boundary::{
    Castable, OwnershipBox, ffi_result, ffi_value, free_box, to_boxed_ptr, try_opt_str, try_ref,
    try_str,
};
use crate::error::{FfiError, mx_error, mx_result_code};
use crate::pool_options::PoolSettings;

/// How the client authenticates (`mx_options_set_auth`).
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum mx_auth {
    /// SPNEGO: Kerberos first, NTLM when Kerberos is not possible. The default.
    Negotiate = 0,
    /// Kerberos only.
    Kerberos = 1,
    /// NTLM only.
    Ntlm = 2,
    /// Basic: HTTPS only unless `mx_options_set_allow_basic_over_http`.
    Basic = 3,
}

/// The order in which resolved addresses are tried (`mx_options_set_ip_order`).
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum mx_ip_order {
    /// All IPv4 addresses first, then IPv6. The default.
    Ipv4First = 0,
    /// All IPv6 addresses first, then IPv4.
    Ipv6First = 1,
    /// The resolver's order.
    System = 2,
}

/// The time limits `mx_options_set_timeout_ms` sets; each also has its own setter,
/// `mx_options_set_<name>_timeout_ms`.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum mx_timeout {
    /// `connect_timeout`.
    Connect = 0,
    /// `read_timeout`.
    Read = 1,
    /// `request_timeout`.
    Request = 2,
    /// `operation_timeout` (formerly `MX_TIMEOUT_RECEIVE_POLL`, which stays as an alias).
    Operation = 3,
    /// `invoke_timeout`.
    Invoke = 4,
    /// `idle_timeout` (formerly `MX_TIMEOUT_SHELL_IDLE`, which stays as an alias).
    Idle = 5,
    /// `open_timeout`.
    Open = 6,
}

/// Deprecated name of `MX_TIMEOUT_OPERATION`.
pub const MX_TIMEOUT_RECEIVE_POLL: u32 = 3;
/// Deprecated name of `MX_TIMEOUT_IDLE`.
pub const MX_TIMEOUT_SHELL_IDLE: u32 = 5;

/// The builder of a session's configuration: URL, authentication, credentials, endpoint, TLS,
/// addresses and time limits. Created by `mx_options_new`, owned by the caller, freed with
/// `mx_options_free`. Setters lock the handle, so any thread may use it, even concurrently;
/// `mx_options_build` (and `mx_session_open`, `mx_pool_open`) copy it, so it may be changed
/// or freed afterwards.
pub struct mx_options {
    _private: [u8; 0],
}

/// The options behind an `mx_options`.
pub(crate) struct OptionsHandle {
    /// Everything the core's session takes; `transport.url` holds the server as given, a URL
    /// or a host name, completed by [`OptionsHandle::snapshot`].
    pub(crate) session: Mutex<SessionOptions>,
    /// What `mx_pool_open` reads (`mx_options_add_server`, `mx_options_set_pool_size`);
    /// `mx_pool_open_config` takes an `mx_pool_options` instead.
    pub(crate) pool: Mutex<PoolSettings>,
}

impl OptionsHandle {
    /// The core's session options, the server completed to a URL for the endpoint.
    pub(crate) fn snapshot(&self) -> SessionOptions {
        let mut options = self
            .session
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let server = std::mem::take(&mut options.transport.url);
        options.set_server(&server);
        options
    }

    /// The core's pool options: the server set by `mx_options_set_server` first, then the
    /// servers added by `mx_options_add_server`.
    pub(crate) fn pool_snapshot(&self) -> PoolOptions {
        self.pool
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pool_options(self.snapshot())
    }
}

impl Castable for mx_options {
    type RustType = OptionsHandle;
    type Ownership = OwnershipBox;
}

/// Applies `change` to the options behind `options`.
fn update(
    options: *mut mx_options,
    change: impl FnOnce(&mut SessionOptions) -> Result<(), FfiError>,
) -> Result<(), FfiError> {
    // SAFETY: every setter's documentation requires `options` to be NULL or a live handle from
    // `mx_options_new`.
    let handle = unsafe { try_ref(options, "options") }?;
    let mut guard = handle
        .session
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    change(&mut guard)
}

/// The shape of every text setter: reads `len` bytes of UTF-8 at `text` (NULL refused) and
/// applies them.
fn set_text(
    options: *mut mx_options,
    text: *const c_char,
    len: usize,
    what: &'static str,
    apply: impl FnOnce(&mut SessionOptions, &str) -> Result<(), FfiError>,
) -> Result<(), FfiError> {
    // SAFETY: every text setter's documentation requires `text` to point at `len` bytes.
    let text = unsafe { try_str(text, len, what) }?;
    update(options, |o| apply(o, text))
}

/// The shape of every text setter whose NULL goes back to the default.
fn set_opt_text(
    options: *mut mx_options,
    text: *const c_char,
    len: usize,
    what: &'static str,
    apply: impl FnOnce(&mut SessionOptions, Option<&str>) -> Result<(), FfiError>,
) -> Result<(), FfiError> {
    // SAFETY: every such setter's documentation requires `text` to be NULL or point at `len`
    // bytes.
    let text = unsafe { try_opt_str(text, len, what) }?;
    update(options, |o| apply(o, text))
}

/// Refuses an empty text naming `what`.
fn non_empty<'a>(text: &'a str, what: &str) -> Result<&'a str, FfiError> {
    if text.is_empty() {
        Err(FfiError::invalid(format!("the {what} is empty")))
    } else {
        Ok(text)
    }
}

/// A time limit that cannot be switched off: 0 is refused.
pub(crate) fn required_ms(milliseconds: u64) -> Result<Duration, FfiError> {
    optional_ms(milliseconds).ok_or_else(|| FfiError::invalid("this time limit cannot be 0"))
}

/// A time limit that 0 switches off.
pub(crate) fn optional_ms(milliseconds: u64) -> Option<Duration> {
    (milliseconds != 0).then(|| Duration::from_millis(milliseconds))
}

/// The field each time limit sets, for `mx_options_set_timeout_ms` and the named setters.
type TimeoutField = fn(&mut SessionOptions, u64) -> Result<(), FfiError>;

fn connect_timeout(o: &mut SessionOptions, ms: u64) -> Result<(), FfiError> {
    o.transport.timeouts.connect = required_ms(ms)?;
    Ok(())
}
fn read_timeout(o: &mut SessionOptions, ms: u64) -> Result<(), FfiError> {
    o.transport.timeouts.read = required_ms(ms)?;
    Ok(())
}
fn request_timeout(o: &mut SessionOptions, ms: u64) -> Result<(), FfiError> {
    o.transport.timeouts.request = optional_ms(ms);
    Ok(())
}
fn operation_timeout(o: &mut SessionOptions, ms: u64) -> Result<(), FfiError> {
    o.operation_timeout = required_ms(ms)?;
    Ok(())
}
fn invoke_timeout(o: &mut SessionOptions, ms: u64) -> Result<(), FfiError> {
    o.invoke_timeout = optional_ms(ms);
    Ok(())
}
fn idle_timeout(o: &mut SessionOptions, ms: u64) -> Result<(), FfiError> {
    o.idle_timeout = optional_ms(ms);
    Ok(())
}
fn open_timeout(o: &mut SessionOptions, ms: u64) -> Result<(), FfiError> {
    o.open_timeout = optional_ms(ms);
    Ok(())
}

/// Sets one time limit through `field`.
fn set_timeout(options: *mut mx_options, field: TimeoutField, ms: u64) -> Result<(), FfiError> {
    update(options, |o| field(o, ms))
}

/// New options for Exchange's `/PowerShell/` endpoint with Negotiate authentication, no server
/// and no credentials yet, and the defaults of every time limit. The caller owns the result
/// and frees it with `mx_options_free`. Returns NULL only if the library failed internally.
#[unsafe(no_mangle)]
pub extern "C" fn mx_options_new() -> *mut mx_options {
    ffi_value!(std::ptr::null_mut(), {
        let session = SessionOptions::exchange(
            String::new(),
            AuthMethod::Negotiate,
            Credentials::new(String::new(), String::new()),
        );
        to_boxed_ptr::<mx_options>(OptionsHandle {
            session: Mutex::new(session),
            pool: Mutex::new(PoolSettings::default()),
        })
    })
}

/// Frees options; the password copy is wiped. NULL is fine. Must be called once, when no
/// other thread uses the handle; configurations built and sessions opened from it are not
/// affected.
#[unsafe(no_mangle)]
pub extern "C" fn mx_options_free(options: *mut mx_options) {
    ffi_value!((), {
        // SAFETY: the documentation requires `options` to be NULL or a live handle from
        // `mx_options_new`, freed once.
        unsafe { free_box(options) }
    })
}

/// Sets the server (`server_len` bytes of UTF-8, no NUL needed): a URL, e.g.
/// `http://ex01.corp.example/PowerShell/` or `https://[fd00::5]:5986/wsman`, or a bare host
/// name, which becomes `https://<host>/PowerShell/`, or `https://<host>:5986/wsman` with a
/// configuration or jump host. Checked when a session opens (`MX_CONFIG` when unusable).
/// Copied. Default: none.
#[unsafe(no_mangle)]
pub extern "C" fn mx_options_set_server(
    options: *mut mx_options,
    server: *const c_char,
    server_len: usize,
    err: *mut *mut mx_error,
) -> mx_result_code {
    ffi_result!(err => { set_text(options, server, server_len, "server", |o, server| {
        server.clone_into(&mut o.transport.url);
        Ok(())
    }) })
}

/// The former name of `mx_options_set_server`, which it is.
#[unsafe(no_mangle)]
pub extern "C" fn mx_options_set_url(
    options: *mut mx_options,
    url: *const c_char,
    url_len: usize,
    err: *mut *mut mx_error,
) -> mx_result_code {
    mx_options_set_server(options, url, url_len, err)
}

/// Sets the authentication method: one of `mx_auth` (`MX_INVALID_ARGUMENT` otherwise).
/// Default: negotiate.
#[unsafe(no_mangle)]
pub extern "C" fn mx_options_set_auth(
    options: *mut mx_options,
    auth: u32,
    err: *mut *mut mx_error,
) -> mx_result_code {
    ffi_result!(err => {
        let method = match auth {
            x if x == mx_auth::Negotiate as u32 => AuthMethod::Negotiate,
            x if x == mx_auth::Kerberos as u32 => AuthMethod::Kerberos,
            x if x == mx_auth::Ntlm as u32 => AuthMethod::Ntlm,
            x if x == mx_auth::Basic as u32 => AuthMethod::Basic,
            other => return Err(FfiError::invalid(format!("{other} is not an mx_auth"))),
        };
        update(options, |o| {
            o.transport.auth = method;
            Ok(())
        })
    })
}

/// Sets the user name: `user`, `DOMAIN\user` or `user@REALM` (Kerberos wants the DNS realm,
/// `alice@CORP.EXAMPLE`). Copied. Default: none.
#[unsafe(no_mangle)]
pub extern "C" fn mx_options_set_username(
    options: *mut mx_options,
    username: *const c_char,
    username_len: usize,
    err: *mut *mut mx_error,
) -> mx_result_code {
    ffi_result!(err => { set_text(options, username, username_len, "username", |o, username| {
        username.clone_into(&mut o.transport.credentials.username);
        Ok(())
    }) })
}

/// Sets the password. The library keeps one copy, wiped from memory when it is replaced or
/// the options are freed (sessions keep their own wiped copy); it is never logged. The
/// caller's buffer is only read during the call: wipe it yourself. Default: none.
#[unsafe(no_mangle)]
pub extern "C" fn mx_options_set_password(
    options: *mut mx_options,
    password: *const c_char,
    password_len: usize,
    err: *mut *mut mx_error,
) -> mx_result_code {
    ffi_result!(err => { set_text(options, password, password_len, "password", |o, password| {
        // The old value is a `Zeroizing<String>`, wiped when dropped here.
        o.transport.credentials.password = Zeroizing::new(password.to_owned());
        Ok(())
    }) })
}

/// Talks to a session configuration of the WinRM service (`.../wsman`), e.g.
/// `Microsoft.PowerShell`, instead of Exchange's `/PowerShell/` endpoint. Copied.
/// Default: none (Exchange's endpoint).
#[unsafe(no_mangle)]
pub extern "C" fn mx_options_set_configuration(
    options: *mut mx_options,
    name: *const c_char,
    name_len: usize,
    err: *mut *mut mx_error,
) -> mx_result_code {
    ffi_result!(err => { set_text(options, name, name_len, "name", |o, name| {
        o.endpoint = Endpoint::Configuration(non_empty(name, "configuration name")?.to_owned());
        Ok(())
    }) })
}

/// Talks to Exchange's remote PowerShell in IIS (`http(s)://<fqdn>/PowerShell/`,
/// configuration `Microsoft.Exchange`): the default.
#[unsafe(no_mangle)]
pub extern "C" fn mx_options_set_exchange_endpoint(
    options: *mut mx_options,
    err: *mut *mut mx_error,
) -> mx_result_code {
    ffi_result!(err => { update(options, |o| {
        o.endpoint = Endpoint::Exchange;
        Ok(())
    }) })
}

/// Trusts the CA certificates of a PEM file besides the system's (an internal PKI); NULL
/// removes it. The path is copied; the file is read when a session opens. Default: none.
#[unsafe(no_mangle)]
pub extern "C" fn mx_options_set_ca_file(
    options: *mut mx_options,
    path: *const c_char,
    path_len: usize,
    err: *mut *mut mx_error,
) -> mx_result_code {
    ffi_result!(err => { set_opt_text(options, path, path_len, "path", |o, path| {
        o.transport.tls.ca_file = path.map(PathBuf::from);
        Ok(())
    }) })
}

/// Adds an accepted certificate thumbprint, SHA-1 (as Windows shows it) or SHA-256, hex of
/// any case, colons and spaces allowed. With at least one pin, a certificate is accepted if
/// and only if it matches one: chain, name and dates are then not checked. A malformed pin
/// fails `mx_session_open` with `MX_CONFIG`. Default: none.
#[unsafe(no_mangle)]
pub extern "C" fn mx_options_add_pinned_thumbprint(
    options: *mut mx_options,
    thumbprint: *const c_char,
    thumbprint_len: usize,
    err: *mut *mut mx_error,
) -> mx_result_code {
    ffi_result!(err => { set_text(options, thumbprint, thumbprint_len, "thumbprint", |o, pin| {
        o.transport.tls.pinned_thumbprints.push(pin.to_owned());
        Ok(())
    }) })
}

/// Accepts any server certificate (the library logs a warning on every connection). For tests
/// only. Default: false.
#[unsafe(no_mangle)]
pub extern "C" fn mx_options_set_insecure(
    options: *mut mx_options,
    insecure: bool,
    err: *mut *mut mx_error,
) -> mx_result_code {
    ffi_result!(err => { update(options, |o| {
        o.transport.tls.insecure = insecure;
        Ok(())
    }) })
}

/// Over plain HTTP, sends NTLM/Kerberos-authenticated messages without sealing them (the
/// server must have AllowUnencrypted). Default: false.
#[unsafe(no_mangle)]
pub extern "C" fn mx_options_set_allow_unencrypted(
    options: *mut mx_options,
    allow: bool,
    err: *mut *mut mx_error,
) -> mx_result_code {
    ffi_result!(err => { update(options, |o| {
        o.transport.allow_unencrypted = allow;
        Ok(())
    }) })
}

/// Allows Basic authentication over plain HTTP, which exposes the password. Default: false.
#[unsafe(no_mangle)]
pub extern "C" fn mx_options_set_allow_basic_over_http(
    options: *mut mx_options,
    allow: bool,
    err: *mut *mut mx_error,
) -> mx_result_code {
    ffi_result!(err => { update(options, |o| {
        o.transport.allow_basic_over_http = allow;
        Ok(())
    }) })
}

/// Sets the order in which resolved addresses are tried: one of `mx_ip_order`.
/// Default: ipv4-first.
#[unsafe(no_mangle)]
pub extern "C" fn mx_options_set_ip_order(
    options: *mut mx_options,
    order: u32,
    err: *mut *mut mx_error,
) -> mx_result_code {
    ffi_result!(err => {
        let order = match order {
            x if x == mx_ip_order::Ipv4First as u32 => IpOrder::Ipv4First,
            x if x == mx_ip_order::Ipv6First as u32 => IpOrder::Ipv6First,
            x if x == mx_ip_order::System as u32 => IpOrder::System,
            other => return Err(FfiError::invalid(format!("{other} is not an mx_ip_order"))),
        };
        update(options, |o| {
            o.transport.ip_order = order;
            Ok(())
        })
    })
}

/// Adds a fixed answer for one `host:port`, written like curl's `--resolve`:
/// `host:port:addr[,addr...]` (IPv6 addresses may be bracketed). Checked now:
/// `MX_INVALID_ARGUMENT` when malformed. Default: none.
#[unsafe(no_mangle)]
pub extern "C" fn mx_options_add_resolve(
    options: *mut mx_options,
    entry: *const c_char,
    entry_len: usize,
    err: *mut *mut mx_error,
) -> mx_result_code {
    ffi_result!(err => { set_text(options, entry, entry_len, "entry", |o, entry| {
        let parsed: ResolveOverride = entry
            .parse()
            .map_err(|e| FfiError::invalid(format!("{e}")))?;
        o.transport.resolve_overrides.push(parsed);
        Ok(())
    }) })
}

/// Sets the Kerberos KDC (`tcp://host:port`, or `host[:port]`), or a KDC proxy
/// (`https://host/KdcProxy`, [MS-KKDCP], its certificate checked against the system roots and
/// the CA file); NULL goes back to the realm's `kdc` in `krb5.conf`, then DNS SRV records.
/// Default: none.
#[unsafe(no_mangle)]
pub extern "C" fn mx_options_set_kdc(
    options: *mut mx_options,
    kdc: *const c_char,
    kdc_len: usize,
    err: *mut *mut mx_error,
) -> mx_result_code {
    ffi_result!(err => { set_opt_text(options, kdc, kdc_len, "kdc", |o, kdc| {
        o.transport.kdc = kdc.map(str::to_owned);
        Ok(())
    }) })
}

/// Logs on with a key from this MIT keytab file instead of the password (Kerberos and
/// Negotiate only): the entry of the user name's principal (the keytab's first principal when
/// the user name is empty) with AES256, else AES128, at the highest kvno. A keytab with only
/// RC4 or DES keys fails the connect with `MX_AUTH`. NULL goes back to the password. Copied;
/// the file is read when a session authenticates. Default: none.
#[unsafe(no_mangle)]
pub extern "C" fn mx_options_set_keytab(
    options: *mut mx_options,
    path: *const c_char,
    path_len: usize,
    err: *mut *mut mx_error,
) -> mx_result_code {
    ffi_result!(err => { set_opt_text(options, path, path_len, "path", |o, path| {
        o.transport.credentials.keytab = path.map(PathBuf::from);
        Ok(())
    }) })
}

/// Sets the Kerberos realm of the user's account (`CORP.EXAMPLE`); NULL goes back to
/// `krb5.conf`'s `default_realm`, then DNS. A user `name@suffix` whose suffix is not this realm
/// (an alternative UPN suffix) logs on with an NT-ENTERPRISE name sent to it.
/// `MX_INVALID_ARGUMENT` when empty or malformed. Default: none.
#[unsafe(no_mangle)]
pub extern "C" fn mx_options_set_realm(
    options: *mut mx_options,
    realm: *const c_char,
    realm_len: usize,
    err: *mut *mut mx_error,
) -> mx_result_code {
    ffi_result!(err => { set_opt_text(options, realm, realm_len, "realm", |o, realm| {
        o.transport.realm = realm
            .map(mx_core::transport::kerberos::check_realm)
            .transpose()
            .map_err(|e| FfiError::invalid(e.to_string()))?;
        Ok(())
    }) })
}

/// Adds a DNS server (`ip:port`) for KDC discovery by SRV records; none means those of
/// `/etc/resolv.conf`. `MX_INVALID_ARGUMENT` when malformed. Default: none.
#[unsafe(no_mangle)]
pub extern "C" fn mx_options_add_dns_server(
    options: *mut mx_options,
    server: *const c_char,
    server_len: usize,
    err: *mut *mut mx_error,
) -> mx_result_code {
    ffi_result!(err => { set_text(options, server, server_len, "server", |o, server| {
        let addr: SocketAddr = server
            .parse()
            .map_err(|e| FfiError::invalid(format!("DNS server `{server}`: {e}")))?;
        o.transport.dns_servers.push(addr);
        Ok(())
    }) })
}

/// Uses this service principal name instead of `HTTP/<host>`; NULL goes back to the default.
/// Default: none.
#[unsafe(no_mangle)]
pub extern "C" fn mx_options_set_spn(
    options: *mut mx_options,
    spn: *const c_char,
    spn_len: usize,
    err: *mut *mut mx_error,
) -> mx_result_code {
    ffi_result!(err => { set_opt_text(options, spn, spn_len, "spn", |o, spn| {
        o.transport.spn_override = spn.map(str::to_owned);
        Ok(())
    }) })
}

/// Sets the `wsman:Locale` and `wsmv:DataLocale` ([MS-WSMV] 3.1.4.1.23), e.g. `de-DE`: the
/// language of the server's messages. Default: en-US.
#[unsafe(no_mangle)]
pub extern "C" fn mx_options_set_locale(
    options: *mut mx_options,
    locale: *const c_char,
    locale_len: usize,
    err: *mut *mut mx_error,
) -> mx_result_code {
    ffi_result!(err => { set_text(options, locale, locale_len, "locale", |o, locale| {
        non_empty(locale, "locale")?.clone_into(&mut o.locale);
        Ok(())
    }) })
}

/// Names the shell, as `Get-PSSession` on the server shows it; NULL for no name.
/// Default: none.
#[unsafe(no_mangle)]
pub extern "C" fn mx_options_set_shell_name(
    options: *mut mx_options,
    name: *const c_char,
    name_len: usize,
    err: *mut *mut mx_error,
) -> mx_result_code {
    ffi_result!(err => { set_opt_text(options, name, name_len, "name", |o, name| {
        o.shell_name = name.map(str::to_owned);
        Ok(())
    }) })
}

/// Records the conversation in the file at `path` (UTF-8): every request and response after
/// unsealing, secrets redacted, in the format `mx-sim --replay` serves. NULL records nothing.
/// The file is created, or truncated, when a session opens; a pool's n-th session records
/// into the path with `.n` before the extension (`calls.1.yml`, ...). Default: none.
#[unsafe(no_mangle)]
pub extern "C" fn mx_options_set_record(
    options: *mut mx_options,
    path: *const c_char,
    path_len: usize,
    err: *mut *mut mx_error,
) -> mx_result_code {
    ffi_result!(err => { set_opt_text(options, path, path_len, "path", |o, path| {
        o.record = path
            .map(|p| non_empty(p, "record path").map(PathBuf::from))
            .transpose()?;
        Ok(())
    }) })
}

/// Fixes MaxEnvelopeSize in bytes; 0 negotiates it (153600, then 512000 once the server
/// reports protocol 2.2 or later, [MS-PSRP] 3.1.5.1.1). Default: none.
#[unsafe(no_mangle)]
pub extern "C" fn mx_options_set_max_envelope_size(
    options: *mut mx_options,
    bytes: u32,
    err: *mut *mut mx_error,
) -> mx_result_code {
    ffi_result!(err => { update(options, |o| {
        o.max_envelope_size = (bytes != 0).then_some(bytes);
        Ok(())
    }) })
}

/// TCP connect per address, and again the TLS handshake, in milliseconds; 0 is refused
/// (`MX_INVALID_ARGUMENT`). Default: 30 s.
#[unsafe(no_mangle)]
pub extern "C" fn mx_options_set_connect_timeout_ms(
    options: *mut mx_options,
    milliseconds: u64,
    err: *mut *mut mx_error,
) -> mx_result_code {
    ffi_result!(err => { set_timeout(options, connect_timeout, milliseconds) })
}

/// One HTTP exchange, the request then the response head and body together, in milliseconds;
/// keep it above the operation timeout. 0 is refused. Default: 120 s.
#[unsafe(no_mangle)]
pub extern "C" fn mx_options_set_read_timeout_ms(
    options: *mut mx_options,
    milliseconds: u64,
    err: *mut *mut mx_error,
) -> mx_result_code {
    ffi_result!(err => { set_timeout(options, read_timeout, milliseconds) })
}

/// One whole HTTP request including reconnects, in milliseconds; 0 for no limit.
/// Default: none.
#[unsafe(no_mangle)]
pub extern "C" fn mx_options_set_request_timeout_ms(
    options: *mut mx_options,
    milliseconds: u64,
    err: *mut *mut mx_error,
) -> mx_result_code {
    ffi_result!(err => { set_timeout(options, request_timeout, milliseconds) })
}

/// WS-Management OperationTimeout of a Receive ([MS-WSMV] 2.2.4.29), in milliseconds: how long
/// the server holds a Receive open without output. A polling interval, not a limit; 0 is
/// refused. Default: 20 s.
#[unsafe(no_mangle)]
pub extern "C" fn mx_options_set_operation_timeout_ms(
    options: *mut mx_options,
    milliseconds: u64,
    err: *mut *mut mx_error,
) -> mx_result_code {
    ffi_result!(err => { set_timeout(options, operation_timeout, milliseconds) })
}

/// One whole command, in milliseconds; when it passes, the command is stopped on the server
/// and the call fails with `MX_TIMEOUT`. 0 for no limit. Default: none.
#[unsafe(no_mangle)]
pub extern "C" fn mx_options_set_invoke_timeout_ms(
    options: *mut mx_options,
    milliseconds: u64,
    err: *mut *mut mx_error,
) -> mx_result_code {
    ffi_result!(err => { set_timeout(options, invoke_timeout, milliseconds) })
}

/// Opening a session, in milliseconds: connect, authenticate, create the shell and open the
/// runspace pool; when it passes, opening fails with `MX_TIMEOUT`. PowerShell's OpenTimeout;
/// 0 for no limit. Default: 180 s.
#[unsafe(no_mangle)]
pub extern "C" fn mx_options_set_open_timeout_ms(
    options: *mut mx_options,
    milliseconds: u64,
    err: *mut *mut mx_error,
) -> mx_result_code {
    ffi_result!(err => { set_timeout(options, open_timeout, milliseconds) })
}

/// The shell's idle timeout on the server (`rsp:IdleTimeOut`, [MS-WSMV] 2.2.4.37), in
/// milliseconds; 0 leaves the server's default. Default: none.
#[unsafe(no_mangle)]
pub extern "C" fn mx_options_set_idle_timeout_ms(
    options: *mut mx_options,
    milliseconds: u64,
    err: *mut *mut mx_error,
) -> mx_result_code {
    ffi_result!(err => { set_timeout(options, idle_timeout, milliseconds) })
}

/// Sets one time limit in milliseconds: `which` is one of `mx_timeout`, and the call is that
/// of the limit's own setter (`MX_TIMEOUT_OPEN` is `mx_options_set_open_timeout_ms`, ...).
/// `MX_INVALID_ARGUMENT` for another `which`.
#[unsafe(no_mangle)]
pub extern "C" fn mx_options_set_timeout_ms(
    options: *mut mx_options,
    which: u32,
    milliseconds: u64,
    err: *mut *mut mx_error,
) -> mx_result_code {
    ffi_result!(err => {
        let field: TimeoutField = match which {
            x if x == mx_timeout::Connect as u32 => connect_timeout,
            x if x == mx_timeout::Read as u32 => read_timeout,
            x if x == mx_timeout::Request as u32 => request_timeout,
            x if x == mx_timeout::Operation as u32 => operation_timeout,
            x if x == mx_timeout::Invoke as u32 => invoke_timeout,
            x if x == mx_timeout::Idle as u32 => idle_timeout,
            x if x == mx_timeout::Open as u32 => open_timeout,
            other => return Err(FfiError::invalid(format!("{other} is not an mx_timeout"))),
        };
        set_timeout(options, field, milliseconds)
    })
}

/// Adds a failover server for `mx_pool_open`, as `mx_pool_options_add_server` does for
/// `mx_pool_open_config`: the pool's servers are the options' server followed by the added
/// ones. Sessions (`mx_session_open`) ignore it.
#[unsafe(no_mangle)]
pub extern "C" fn mx_options_add_server(
    options: *mut mx_options,
    url: *const c_char,
    url_len: usize,
    err: *mut *mut mx_error,
) -> mx_result_code {
    ffi_result!(err => {
        // SAFETY: the documentation requires `url` to point at `url_len` readable bytes.
        let url = unsafe { try_str(url, url_len, "url") }?;
        // SAFETY: the documentation requires `options` to be NULL or a live handle.
        let handle = unsafe { try_ref(options, "options") }?;
        handle.pool.lock().unwrap_or_else(PoisonError::into_inner).add_server(url)
    })
}

/// Sets how many sessions `mx_pool_open`'s pool may hold, as
/// `mx_pool_options_set_max_sessions` does for `mx_pool_open_config`.
#[unsafe(no_mangle)]
pub extern "C" fn mx_options_set_pool_size(
    options: *mut mx_options,
    sessions: u32,
    err: *mut *mut mx_error,
) -> mx_result_code {
    ffi_result!(err => {
        // SAFETY: the documentation requires `options` to be NULL or a live handle.
        let handle = unsafe { try_ref(options, "options") }?;
        handle.pool.lock().unwrap_or_else(PoisonError::into_inner).set_max_sessions(sessions)
    })
}

/// Switches to jump-host mode: the server, authentication and credentials of the options are
/// then those of the WinRM service of the jump host (`https://<host>:5986/wsman`,
/// configuration `Microsoft.PowerShell`), and every session opened from them first runs a
/// bootstrap there that connects to Exchange at `exchange_uri` (`http://<fqdn>/PowerShell/`,
/// as the jump host reaches it, with Kerberos) as `user` / `password`; the Exchange cmdlets
/// then run as that user. The password travels as a SecureString encrypted with the session
/// key ([MS-PSRP] 2.2.5.1.24), never in clear text. The library keeps one copy of it, wiped
/// when replaced or when the options are freed; the caller's buffer is only read during the
/// call. `mx_options_set_configuration` or `mx_options_set_exchange_endpoint` leave the mode.
/// Default: none.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub extern "C" fn mx_options_set_jump_host(
    options: *mut mx_options,
    exchange_uri: *const c_char,
    exchange_uri_len: usize,
    user: *const c_char,
    user_len: usize,
    password: *const c_char,
    password_len: usize,
    err: *mut *mut mx_error,
) -> mx_result_code {
    ffi_result!(err => {
        // SAFETY: the documentation requires each pointer to point at its length in bytes.
        let (uri, user, password) = unsafe {
            (
                try_str(exchange_uri, exchange_uri_len, "exchange_uri")?,
                try_str(user, user_len, "user")?,
                try_str(password, password_len, "password")?,
            )
        };
        let uri = non_empty(uri, "Exchange URI")?;
        let user = non_empty(user, "Exchange user")?;
        // `Credentials` keeps the password in a `Zeroizing<String>`; the endpoint it replaces
        // wipes its own copy when dropped here.
        let jump = JumpHost::new(uri, Credentials::new(user, password));
        update(options, |o| {
            o.endpoint = Endpoint::JumpHost(jump);
            Ok(())
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with<T>(options: *mut mx_options, read: impl FnOnce(&SessionOptions) -> T) -> T {
        // SAFETY: the tests pass a live handle from `mx_options_new`.
        let handle = unsafe { try_ref(options, "options") }.expect("live");
        read(&handle.snapshot())
    }

    fn s(text: &str) -> (*const c_char, usize) {
        (text.as_ptr().cast(), text.len())
    }

    #[test]
    fn setters_change_the_core_options() {
        let o = mx_options_new();
        let null = std::ptr::null_mut();
        let (p, n) = s("https://ex01.corp.example/PowerShell/");
        assert_eq!(mx_options_set_url(o, p, n, null), mx_result_code::MX_OK);
        assert_eq!(
            mx_options_set_auth(o, mx_auth::Kerberos as u32, null),
            mx_result_code::MX_OK
        );
        let (p, n) = s("svc@CORP.EXAMPLE");
        assert_eq!(
            mx_options_set_username(o, p, n, null),
            mx_result_code::MX_OK
        );
        let (p, n) = s("s3cret");
        assert_eq!(
            mx_options_set_password(o, p, n, null),
            mx_result_code::MX_OK
        );
        let (p, n) = s("ex01.corp.example:443:10.0.0.5,[fd00::5]");
        assert_eq!(mx_options_add_resolve(o, p, n, null), mx_result_code::MX_OK);
        let (p, n) = s("Microsoft.PowerShell");
        assert_eq!(
            mx_options_set_configuration(o, p, n, null),
            mx_result_code::MX_OK
        );
        assert_eq!(
            mx_options_set_timeout_ms(o, mx_timeout::Invoke as u32, 90_000, null),
            mx_result_code::MX_OK
        );
        assert_eq!(
            mx_options_set_timeout_ms(o, mx_timeout::Connect as u32, 1_500, null),
            mx_result_code::MX_OK
        );
        assert_eq!(
            mx_options_set_ip_order(o, mx_ip_order::Ipv6First as u32, null),
            mx_result_code::MX_OK
        );
        assert_eq!(
            mx_options_set_insecure(o, true, null),
            mx_result_code::MX_OK
        );
        with(o, |opts| {
            assert_eq!(opts.transport.url, "https://ex01.corp.example/PowerShell/");
            assert_eq!(opts.transport.auth, AuthMethod::Kerberos);
            assert_eq!(opts.transport.credentials.username, "svc@CORP.EXAMPLE");
            assert_eq!(opts.transport.credentials.password.as_str(), "s3cret");
            assert_eq!(opts.transport.resolve_overrides.len(), 1);
            assert_eq!(opts.transport.resolve_overrides[0].addrs.len(), 2);
            assert_eq!(
                opts.endpoint,
                Endpoint::Configuration("Microsoft.PowerShell".into())
            );
            assert_eq!(opts.invoke_timeout, Some(Duration::from_secs(90)));
            assert_eq!(
                opts.transport.timeouts.connect,
                Duration::from_millis(1_500)
            );
            assert_eq!(opts.transport.ip_order, IpOrder::Ipv6First);
            assert!(opts.transport.tls.insecure);
        });
        assert_eq!(
            mx_options_set_exchange_endpoint(o, null),
            mx_result_code::MX_OK
        );
        assert_eq!(
            mx_options_set_timeout_ms(o, mx_timeout::Invoke as u32, 0, null),
            mx_result_code::MX_OK
        );
        with(o, |opts| {
            assert_eq!(opts.endpoint, Endpoint::Exchange);
            assert_eq!(opts.invoke_timeout, None);
            assert_eq!(opts.open_timeout, Some(Duration::from_secs(180)));
        });
        assert_eq!(
            mx_options_set_timeout_ms(o, mx_timeout::Open as u32, 2_500, null),
            mx_result_code::MX_OK
        );
        with(o, |opts| {
            assert_eq!(opts.open_timeout, Some(Duration::from_millis(2_500)))
        });
        assert_eq!(
            mx_options_set_timeout_ms(o, mx_timeout::Open as u32, 0, null),
            mx_result_code::MX_OK
        );
        with(o, |opts| assert_eq!(opts.open_timeout, None));
        mx_options_free(o);
    }

    #[test]
    fn record_is_off_by_default_set_by_path_and_cleared_by_null() {
        let o = mx_options_new();
        let null = std::ptr::null_mut();
        with(o, |opts| assert_eq!(opts.record, None));
        let (p, n) = s("/var/tmp/failing.yml");
        assert_eq!(mx_options_set_record(o, p, n, null), mx_result_code::MX_OK);
        with(o, |opts| {
            assert_eq!(
                opts.record.as_deref(),
                Some(std::path::Path::new("/var/tmp/failing.yml"))
            );
        });
        let (p, _) = s("");
        assert_eq!(
            mx_options_set_record(o, p, 0, null),
            mx_result_code::MX_INVALID_ARGUMENT
        );
        assert_eq!(
            mx_options_set_record(o, std::ptr::null(), 0, null),
            mx_result_code::MX_OK
        );
        with(o, |opts| assert_eq!(opts.record, None));
        mx_options_free(o);
    }

    #[test]
    fn timeout_aliases_keep_their_values() {
        assert_eq!(MX_TIMEOUT_RECEIVE_POLL, mx_timeout::Operation as u32);
        assert_eq!(MX_TIMEOUT_SHELL_IDLE, mx_timeout::Idle as u32);
    }

    #[test]
    fn bad_input_is_refused_with_a_reason() {
        let o = mx_options_new();
        let mut err: *mut mx_error = std::ptr::null_mut();
        let bad = [0xffu8, 0xfe];
        assert_eq!(
            mx_options_set_url(o, bad.as_ptr().cast(), bad.len(), &mut err),
            mx_result_code::MX_INVALID_ARGUMENT
        );
        // SAFETY: the message is read before `mx_error_free`.
        let message = unsafe { crate::error::mx_error_message(err).to_str() };
        assert!(message.is_some_and(|m| m.contains("server is not valid UTF-8")));
        crate::error::mx_error_free(err);

        let null = std::ptr::null_mut();
        assert_eq!(
            mx_options_set_url(o, std::ptr::null(), 3, null),
            mx_result_code::MX_INVALID_ARGUMENT
        );
        assert_eq!(
            mx_options_set_auth(o, 9, null),
            mx_result_code::MX_INVALID_ARGUMENT
        );
        assert_eq!(
            mx_options_set_timeout_ms(o, mx_timeout::Read as u32, 0, null),
            mx_result_code::MX_INVALID_ARGUMENT
        );
        assert_eq!(
            mx_options_set_timeout_ms(o, 77, 10, null),
            mx_result_code::MX_INVALID_ARGUMENT
        );
        let (p, n) = s("ex01:notaport:10.0.0.1");
        assert_eq!(
            mx_options_add_resolve(o, p, n, null),
            mx_result_code::MX_INVALID_ARGUMENT
        );
        let (p, n) = s("https://x/");
        assert_eq!(
            mx_options_set_url(std::ptr::null_mut(), p, n, null),
            mx_result_code::MX_INVALID_ARGUMENT
        );
        // A refused value leaves the old one.
        with(o, |opts| {
            assert_eq!(opts.transport.url, "");
            assert!(opts.transport.resolve_overrides.is_empty());
        });
        mx_options_free(o);
        mx_options_free(std::ptr::null_mut());
    }

    #[test]
    fn pool_and_jump_host_settings_reach_the_core() {
        let o = mx_options_new();
        let null = std::ptr::null_mut();
        let (p, n) = s("https://jump.corp.example:5986/wsman");
        assert_eq!(mx_options_set_url(o, p, n, null), mx_result_code::MX_OK);
        let (p, n) = s("https://jump2.corp.example:5986/wsman");
        assert_eq!(mx_options_add_server(o, p, n, null), mx_result_code::MX_OK);
        assert_eq!(mx_options_set_pool_size(o, 5, null), mx_result_code::MX_OK);
        let (up, un) = s("http://ex01.corp.example/PowerShell/");
        let (wp, wn) = s("CORP\\exadmin");
        let (pp, pn) = s("b");
        assert_eq!(
            mx_options_set_jump_host(o, up, un, wp, wn, pp, pn, null),
            mx_result_code::MX_OK
        );
        // SAFETY: a live handle from `mx_options_new`.
        let pool = unsafe { try_ref(o, "options") }
            .expect("live")
            .pool_snapshot();
        assert_eq!(
            pool.servers,
            [
                "https://jump.corp.example:5986/wsman",
                "https://jump2.corp.example:5986/wsman"
            ]
        );
        assert_eq!(pool.max_sessions, 5);
        match &pool.session.endpoint {
            Endpoint::JumpHost(j) => {
                assert_eq!(j.exchange_uri, "http://ex01.corp.example/PowerShell/");
                assert_eq!(j.credentials.username, "CORP\\exadmin");
                assert_eq!(j.credentials.password.as_str(), "b");
            }
            other => panic!("expected a jump host, got {other:?}"),
        }
        assert_eq!(
            mx_options_set_pool_size(o, 17, null),
            mx_result_code::MX_INVALID_ARGUMENT
        );
        with(o, |opts| {
            assert_eq!(
                opts.endpoint.resource_uri(),
                "http://schemas.microsoft.com/powershell/Microsoft.PowerShell"
            )
        });
        assert_eq!(
            mx_options_set_exchange_endpoint(o, null),
            mx_result_code::MX_OK
        );
        with(o, |opts| assert_eq!(opts.endpoint, Endpoint::Exchange));
        mx_options_free(o);
    }
}
