//! Every connection option, declared once: its name (the one every binding uses: Rust,
//! C, Python, .NET in PascalCase, and the CLI flag where there is one), its type, its default,
//! one line of documentation and the layer that reads it. The core's builders take their
//! defaults from here, `docs/options.md` is rendered from here, and the bindings' tests check
//! their headers, stubs and classes against [`OPTIONS`].

use std::fmt;
use std::time::Duration;

/// What kind of value an option takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptionKind {
    /// The server: a URL, or a host name that [`crate::exchange::Endpoint::server_url`] completes.
    Server,
    /// Free text.
    Text,
    /// Text kept wiped in memory and never logged.
    Secret,
    /// A file path.
    Path,
    /// A list of texts, given one item at a time where a binding adds items.
    TextList,
    /// On or off.
    Bool,
    /// A time limit; where the default is [`OptionDefault::Unset`], none.
    Seconds,
    /// A size in bytes.
    Bytes,
    /// A whole number.
    Count,
    /// One of the listed words.
    Choice(&'static [&'static str]),
    /// Exchange's URI as a jump host reaches it, and the account the cmdlets run as.
    JumpHost,
}

/// The part of the client that reads an option.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layer {
    /// Connecting, TLS, authentication and HTTP time limits (`TransportOptions`).
    Transport,
    /// The WS-Management shell and the runspace pool (`SessionOptions`).
    Session,
    /// A pool of sessions (`PoolOptions`); a single session ignores it.
    Pool,
}

impl Layer {
    /// The name the documentation shows.
    pub const fn name(self) -> &'static str {
        match self {
            Layer::Transport => "transport",
            Layer::Session => "session",
            Layer::Pool => "pool",
        }
    }
}

/// An option's default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptionDefault {
    /// Not set: no limit, no value, or a value negotiated or found at run time.
    Unset,
    /// On or off.
    Bool(bool),
    /// A time limit in milliseconds.
    Millis(u64),
    /// A number.
    Count(u32),
    /// A text, or the word of a [`OptionKind::Choice`].
    Text(&'static str),
}

impl OptionDefault {
    /// The time limit; fails the build when used in a constant on a default that is none.
    pub const fn duration(self) -> Duration {
        match self {
            OptionDefault::Millis(ms) => Duration::from_millis(ms),
            _ => panic!("this default is not a time limit"),
        }
    }

    /// The number; fails the build when used in a constant on a default that is none.
    pub const fn count(self) -> u32 {
        match self {
            OptionDefault::Count(n) => n,
            _ => panic!("this default is not a number"),
        }
    }

    /// The text; fails the build when used in a constant on a default that is none.
    pub const fn text(self) -> &'static str {
        match self {
            OptionDefault::Text(t) => t,
            _ => panic!("this default is not a text"),
        }
    }
}

impl fmt::Display for OptionDefault {
    /// How documentation writes the default: `none`, `false`, `30 s`, `2`, `en-US`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OptionDefault::Unset => f.write_str("none"),
            OptionDefault::Bool(b) => write!(f, "{b}"),
            OptionDefault::Millis(ms) if ms % 1000 == 0 => write!(f, "{} s", ms / 1000),
            OptionDefault::Millis(ms) => write!(f, "{} s", *ms as f64 / 1000.0),
            OptionDefault::Count(n) => write!(f, "{n}"),
            OptionDefault::Text(t) => f.write_str(t),
        }
    }
}

/// One option.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OptionSpec {
    /// snake_case; .NET writes the same words in PascalCase.
    pub name: &'static str,
    /// The singular a binding adds one item of a list with (`mx_options_add_<item>`).
    pub item: Option<&'static str>,
    /// The type of its value.
    pub kind: OptionKind,
    /// Its default.
    pub default: OptionDefault,
    /// The layer that reads it.
    pub layer: Layer,
    /// The `mx` subcommand and flag that set it, e.g. `run --open-timeout`.
    pub cli: Option<&'static str>,
    /// One line of documentation.
    pub doc: &'static str,
}

impl OptionSpec {
    /// The C function that sets or adds it: `mx_options_set_<name>` on the options builder
    /// (`mx_pool_options_...` for the pool layer), `..._add_<item>` for lists, `_ms` after the
    /// name of a time limit.
    pub fn c_setter(&self) -> String {
        let handle = match self.layer {
            Layer::Pool => "mx_pool_options",
            Layer::Transport | Layer::Session => "mx_options",
        };
        match (self.item, self.kind) {
            (Some(item), _) => format!("{handle}_add_{item}"),
            (None, OptionKind::Seconds) => format!("{handle}_set_{}_ms", self.name),
            (None, _) => format!("{handle}_set_{}", self.name),
        }
    }

    /// The .NET property: the name's words in PascalCase.
    pub fn pascal_case(&self) -> String {
        self.name
            .split('_')
            .map(|word| {
                let mut chars = word.chars();
                chars.next().map_or_else(String::new, |first| {
                    first.to_ascii_uppercase().to_string() + chars.as_str()
                })
            })
            .collect()
    }
}

const fn spec(
    name: &'static str,
    kind: OptionKind,
    default: OptionDefault,
    layer: Layer,
    cli: Option<&'static str>,
    doc: &'static str,
) -> OptionSpec {
    OptionSpec {
        name,
        item: None,
        kind,
        default,
        layer,
        cli,
        doc,
    }
}

const fn list(
    name: &'static str,
    item: &'static str,
    layer: Layer,
    cli: Option<&'static str>,
    doc: &'static str,
) -> OptionSpec {
    OptionSpec {
        name,
        item: Some(item),
        kind: OptionKind::TextList,
        default: OptionDefault::Unset,
        layer,
        cli,
        doc,
    }
}

use Layer::{Pool, Session, Transport};
use OptionDefault::{Bool, Count, Millis, Text, Unset};

/// The server.
pub const SERVER: OptionSpec = spec(
    "server",
    OptionKind::Server,
    Unset,
    Transport,
    Some("run --server"),
    "URL, or a host name: `https://<host>/PowerShell/`, or `https://<host>:5986/wsman` with a configuration or jump host.",
);
/// The authentication method.
pub const AUTH: OptionSpec = spec(
    "auth",
    OptionKind::Choice(&["negotiate", "kerberos", "ntlm", "basic"]),
    Text("negotiate"),
    Transport,
    Some("run --auth"),
    "negotiate (Kerberos, else NTLM), kerberos, ntlm or basic.",
);
/// The order in which resolved addresses are tried.
pub const IP_ORDER: OptionSpec = spec(
    "ip_order",
    OptionKind::Choice(&["ipv4-first", "ipv6-first", "system"]),
    Text("ipv4-first"),
    Transport,
    Some("run --ip-order"),
    "Order in which resolved addresses are tried: ipv4-first, ipv6-first or system.",
);
/// TCP connect per address, and again the TLS handshake.
pub const CONNECT_TIMEOUT: OptionSpec = spec(
    "connect_timeout",
    OptionKind::Seconds,
    Millis(30_000),
    Transport,
    None,
    "TCP connect per address, and again the TLS handshake.",
);
/// One HTTP exchange.
pub const READ_TIMEOUT: OptionSpec = spec(
    "read_timeout",
    OptionKind::Seconds,
    Millis(120_000),
    Transport,
    None,
    "One HTTP exchange, request then response; keep it above operation_timeout.",
);
/// WS-Management OperationTimeout of a Receive.
pub const OPERATION_TIMEOUT: OptionSpec = spec(
    "operation_timeout",
    OptionKind::Seconds,
    Millis(20_000),
    Session,
    None,
    "WS-Management OperationTimeout: how long the server holds a Receive without output (a polling interval).",
);
/// Opening a session.
pub const OPEN_TIMEOUT: OptionSpec = spec(
    "open_timeout",
    OptionKind::Seconds,
    Millis(180_000),
    Session,
    Some("run --open-timeout"),
    "Opening a session: connect, authenticate, create the shell, open the runspace pool (PowerShell's OpenTimeout); 0 or none for no limit.",
);
/// The language of the server's messages.
pub const LOCALE: OptionSpec = spec(
    "locale",
    OptionKind::Text,
    Text("en-US"),
    Session,
    None,
    "wsman:Locale and DataLocale: the language and culture of the server's answers.",
);
/// Sessions a pool holds at most.
pub const MAX_SESSIONS: OptionSpec = spec(
    "max_sessions",
    OptionKind::Count,
    Count(2),
    Pool,
    Some("doctor --max-sessions"),
    "Sessions open at most, 1 to 16; also the commands in flight.",
);
/// Attempts of a failed command.
pub const RETRY_ATTEMPTS: OptionSpec = spec(
    "retry_attempts",
    OptionKind::Count,
    Count(3),
    Pool,
    None,
    "Attempts of a command in all, the first included, when it fails for a passing reason; 1 turns retries off.",
);

/// Every option, in the order the documentation lists them.
pub const OPTIONS: &[OptionSpec] = &[
    SERVER,
    AUTH,
    spec(
        "username",
        OptionKind::Text,
        Unset,
        Transport,
        Some("run --username"),
        "user, DOMAIN\\user or user@REALM; with a keytab, its principal.",
    ),
    spec(
        "password",
        OptionKind::Secret,
        Unset,
        Transport,
        None,
        "The password; kept wiped in memory, never logged.",
    ),
    spec(
        "keytab",
        OptionKind::Path,
        Unset,
        Transport,
        Some("run --keytab"),
        "MIT keytab whose AES key logs on instead of the password (Kerberos, Negotiate).",
    ),
    spec(
        "configuration",
        OptionKind::Text,
        Unset,
        Session,
        Some("run --configuration"),
        "Session configuration of the WinRM service (Microsoft.PowerShell) instead of Exchange's /PowerShell/.",
    ),
    spec(
        "jump_host",
        OptionKind::JumpHost,
        Unset,
        Session,
        None,
        "Exchange's URI as the jump host reaches it, and the account its cmdlets run as.",
    ),
    spec(
        "ca_file",
        OptionKind::Path,
        Unset,
        Transport,
        Some("run --ca-file"),
        "PEM file of CA certificates trusted besides the system's.",
    ),
    list(
        "pinned_thumbprints",
        "pinned_thumbprint",
        Transport,
        Some("run --pin-thumbprint"),
        "Accepted certificate thumbprints (SHA-1 or SHA-256 hex); with any, only they are accepted.",
    ),
    spec(
        "insecure",
        OptionKind::Bool,
        Bool(false),
        Transport,
        Some("run --insecure"),
        "Accept any server certificate. For tests only.",
    ),
    spec(
        "allow_unencrypted",
        OptionKind::Bool,
        Bool(false),
        Transport,
        Some("run --allow-unencrypted"),
        "Over plain HTTP, send NTLM/Kerberos messages unsealed (the server must allow it).",
    ),
    spec(
        "allow_basic_over_http",
        OptionKind::Bool,
        Bool(false),
        Transport,
        None,
        "Allow Basic authentication over plain HTTP, which exposes the password.",
    ),
    IP_ORDER,
    list(
        "resolve",
        "resolve",
        Transport,
        Some("run --resolve"),
        "Fixed addresses, like curl: host:port:addr[,addr...].",
    ),
    spec(
        "kdc",
        OptionKind::Text,
        Unset,
        Transport,
        Some("run --kdc"),
        "Kerberos KDC (tcp://host:port) or KDC proxy (https://host/KdcProxy); else krb5.conf, then DNS.",
    ),
    spec(
        "realm",
        OptionKind::Text,
        Unset,
        Transport,
        Some("run --realm"),
        "Kerberos realm of the account; else krb5.conf's default_realm, then DNS.",
    ),
    list(
        "dns_servers",
        "dns_server",
        Transport,
        None,
        "DNS servers (ip:port) for KDC discovery; else those of /etc/resolv.conf.",
    ),
    spec(
        "spn",
        OptionKind::Text,
        Unset,
        Transport,
        None,
        "Service principal name instead of HTTP/<host>.",
    ),
    CONNECT_TIMEOUT,
    READ_TIMEOUT,
    spec(
        "request_timeout",
        OptionKind::Seconds,
        Unset,
        Transport,
        None,
        "One whole HTTP request, reconnects included.",
    ),
    OPERATION_TIMEOUT,
    spec(
        "invoke_timeout",
        OptionKind::Seconds,
        Unset,
        Session,
        Some("run --timeout"),
        "One whole command; when it passes the command is stopped on the server.",
    ),
    OPEN_TIMEOUT,
    spec(
        "idle_timeout",
        OptionKind::Seconds,
        Unset,
        Session,
        None,
        "The shell's rsp:IdleTimeOut on the server; none keeps the server's.",
    ),
    LOCALE,
    spec(
        "shell_name",
        OptionKind::Text,
        Unset,
        Session,
        None,
        "The shell's name, as Get-PSSession on the server shows it.",
    ),
    spec(
        "max_envelope_size",
        OptionKind::Bytes,
        Unset,
        Session,
        None,
        "MaxEnvelopeSize in bytes; none negotiates it (153600, then 512000 from protocol 2.2).",
    ),
    spec(
        "record",
        OptionKind::Path,
        Unset,
        Session,
        Some("run --record"),
        "File to record the conversation in, secrets redacted, for mx-sim --replay.",
    ),
    list(
        "servers",
        "server",
        Pool,
        None,
        "Failover servers, most preferred first; a session stays on the server it opened on.",
    ),
    MAX_SESSIONS,
    spec(
        "acquire_timeout",
        OptionKind::Seconds,
        Unset,
        Pool,
        None,
        "The longest a caller waits for a free session; none waits as long as it takes.",
    ),
    RETRY_ATTEMPTS,
];

/// The option named `name`.
pub fn option(name: &str) -> Option<&'static OptionSpec> {
    OPTIONS.iter().find(|o| o.name == name)
}

/// The Markdown table of every option, as `docs/options.md` shows it.
pub fn markdown_table() -> String {
    let mut out = String::from("| option | type | default | layer | mx flag | meaning |\n");
    out.push_str("| --- | --- | --- | --- | --- | --- |\n");
    for o in OPTIONS {
        let kind = match o.kind {
            OptionKind::Server => "server".to_owned(),
            OptionKind::Text => "text".to_owned(),
            OptionKind::Secret => "secret".to_owned(),
            OptionKind::Path => "path".to_owned(),
            OptionKind::TextList => "list of text".to_owned(),
            OptionKind::Bool => "bool".to_owned(),
            OptionKind::Seconds => "seconds".to_owned(),
            OptionKind::Bytes => "bytes".to_owned(),
            OptionKind::Count => "number".to_owned(),
            OptionKind::Choice(words) => words.join(" \\| "),
            OptionKind::JumpHost => "URI and credential".to_owned(),
        };
        let cli = o.cli.map_or_else(String::new, |c| format!("`mx {c}`"));
        out.push_str(&format!(
            "| `{}` | {kind} | {} | {} | {cli} | {} |\n",
            o.name,
            o.default,
            o.layer.name(),
            o.doc.replace('|', "\\|"),
        ));
    }
    out
}

/// Default of [`CONNECT_TIMEOUT`].
pub const DEFAULT_CONNECT_TIMEOUT: Duration = CONNECT_TIMEOUT.default.duration();
/// Default of [`READ_TIMEOUT`].
pub const DEFAULT_READ_TIMEOUT: Duration = READ_TIMEOUT.default.duration();
/// Default of [`OPERATION_TIMEOUT`].
pub const DEFAULT_OPERATION_TIMEOUT: Duration = OPERATION_TIMEOUT.default.duration();
/// Default of [`OPEN_TIMEOUT`]: PowerShell's OpenTimeout (`New-PSSessionOption -OpenTimeout`).
pub const DEFAULT_OPEN_TIMEOUT: Duration = OPEN_TIMEOUT.default.duration();
/// Default of [`LOCALE`].
pub const DEFAULT_LOCALE: &str = LOCALE.default.text();
/// Default of [`MAX_SESSIONS`]: enough to overlap a slow command with quick ones, few enough
/// to stay far from the throttling budget.
pub const DEFAULT_POOL_SESSIONS: usize = MAX_SESSIONS.default.count() as usize;
/// Default of [`RETRY_ATTEMPTS`].
pub const DEFAULT_RETRY_ATTEMPTS: u32 = RETRY_ATTEMPTS.default.count();

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::{AuthMethod, IpOrder};

    #[test]
    fn names_are_unique_snake_case() {
        for (i, o) in OPTIONS.iter().enumerate() {
            assert!(
                o.name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
                "{}",
                o.name
            );
            assert!(
                OPTIONS[..i].iter().all(|p| p.name != o.name),
                "{} twice",
                o.name
            );
            assert_eq!(
                o.item.is_some(),
                o.kind == OptionKind::TextList,
                "{}",
                o.name
            );
        }
    }

    #[test]
    fn choice_defaults_are_the_enums_defaults() {
        assert_eq!(
            AUTH.default.text().parse::<AuthMethod>().ok(),
            Some(AuthMethod::Negotiate)
        );
        assert_eq!(
            IP_ORDER.default.text().parse::<IpOrder>().ok(),
            Some(IpOrder::default())
        );
        for o in OPTIONS {
            if let (OptionKind::Choice(words), OptionDefault::Text(d)) = (o.kind, o.default) {
                assert!(words.contains(&d), "{}", o.name);
            }
        }
    }

    #[test]
    fn names_render_for_every_binding() {
        let o = option("allow_basic_over_http").expect("listed");
        assert_eq!(o.pascal_case(), "AllowBasicOverHttp");
        assert_eq!(o.c_setter(), "mx_options_set_allow_basic_over_http");
        assert_eq!(
            option("dns_servers").expect("listed").c_setter(),
            "mx_options_add_dns_server"
        );
        assert_eq!(
            option("acquire_timeout").expect("listed").c_setter(),
            "mx_pool_options_set_acquire_timeout_ms"
        );
        assert_eq!(OPEN_TIMEOUT.default.to_string(), "180 s");
        assert_eq!(OptionDefault::Millis(200).to_string(), "0.2 s");
    }
}
