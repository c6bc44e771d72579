//! The command line.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use monosync_exchange::exchange::{DEFAULT_POOL_SESSIONS, MAX_POOL_SESSIONS};

const EXIT_CODES: &str = "Exit codes:
  0  success
  1  the cmdlet reported errors (error records or a terminating error): not found,
     ambiguous, already exists, invalid parameter, other cmdlet failures
  2  usage: bad arguments, parameters, password source, input or configuration
  3  connection or transport failure (DNS, TCP, TLS, HTTP 503, a broken runspace, timeouts);
     a retry may succeed
  4  authentication failure
  5  protocol or other failure, or the command was interrupted (Ctrl-C stops it on the server)
  6  access denied: WinRM access, or a cmdlet or parameter the account's RBAC roles do not
     grant (Exchange reports an unknown cmdlet the same way)
  7  throttled: shell quota or throttling budget; retry later
A reader that closes the output early (mx run ... | head) is not a failure: mx stops reading,
closes the session (the command ends with it) and exits 0.
With --json the error's \"kind\" names its class (not_found, already_exists, access_denied,
throttled, transient, auth, tls, ...) and \"hint\" what to change on the server.";

/// `mx --version`: the release, and the version of the C ABI (include/monosync_exchange.h) that
/// the same release's libmonosync_exchange implements.
const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (C ABI ",
    env!("MX_C_ABI_VERSION"),
    ")"
);

/// Manage on-premises Exchange Server over WS-Management and PSRP.
#[derive(Debug, Parser)]
#[command(name = "mx", version = VERSION, after_help = EXIT_CODES)]
pub(crate) struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub(crate) mode: Mode,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum Mode {
    /// Start mx-sim in this process and provision a mailbox through the whole stack (NTLM,
    /// message encryption over HTTP), printing each step.
    Demo,
    /// Run one cmdlet on a server and print its output.
    #[command(after_help = EXIT_CODES)]
    Run(Box<RunArgs>),
    /// Check a server's remoting setup step by step (DNS, ports, certificate, WS-Management,
    /// authentication, Kerberos, channel binding, Exchange, RBAC, throttling), each failure
    /// with its fix.
    #[command(after_help = "Exit codes: 0 no check failed, 1 a check failed, 2 usage")]
    Doctor(Box<DoctorArgs>),
    /// Convert CLIXML (an Export-Clixml file in UTF-8 or UTF-16, `powershell.exe -OutputFormat
    /// xml` output, or a PSRP message body) to JSON.
    #[command(after_help = "Exit codes: 0 success, 2 unreadable or invalid input")]
    Clixml(ClixmlArgs),
    /// Print a shell completion script for mx, e.g. `mx completions bash >
    /// /usr/share/bash-completion/completions/mx`.
    Completions(CompletionsArgs),
    /// Print mx's man page (mx.1), or with --dir write mx.1 and one page per subcommand.
    Man(ManArgs),
}

/// `mx completions`.
#[derive(Debug, Args)]
pub(crate) struct CompletionsArgs {
    /// The shell: bash, zsh, fish, powershell or elvish.
    #[arg(value_enum)]
    pub(crate) shell: clap_complete::Shell,
}

/// `mx man`.
#[derive(Debug, Args)]
pub(crate) struct ManArgs {
    /// Write mx.1 and mx-<subcommand>.1 into this directory instead of printing mx.1.
    #[arg(long, value_name = "DIR")]
    pub(crate) dir: Option<PathBuf>,
}

/// The authentication methods.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum AuthArg {
    /// Kerberos only.
    Kerberos,
    /// NTLM only.
    Ntlm,
    /// SPNEGO: Kerberos, else NTLM.
    Negotiate,
    /// Basic (HTTPS only unless --allow-unencrypted).
    Basic,
}

/// How to reach and authenticate to a server: shared by `mx run` and `mx doctor`.
#[derive(Debug, Clone, Args)]
pub(crate) struct ConnectArgs {
    /// Authentication method.
    #[arg(long, value_enum, default_value = "negotiate")]
    pub(crate) auth: AuthArg,
    /// User: user, DOMAIN\user or user@REALM; with --keytab, the principal whose key logs on
    /// (default: the keytab's first principal).
    #[arg(long, required_unless_present = "keytab", default_value = "")]
    pub(crate) username: String,
    /// Log on with a key from this MIT keytab instead of a password (Kerberos; AES keys).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["password_env", "password_file"])]
    pub(crate) keytab: Option<PathBuf>,
    /// Read the password from this environment variable.
    #[arg(long, value_name = "VAR", conflicts_with = "password_file")]
    pub(crate) password_env: Option<String>,
    /// Read the password from the first line of this file.
    #[arg(long, value_name = "FILE")]
    pub(crate) password_file: Option<PathBuf>,
    /// PEM file of extra trusted CA certificates.
    #[arg(long, value_name = "FILE")]
    pub(crate) ca_file: Option<PathBuf>,
    /// Accept only the certificate with this SHA-1 or SHA-256 thumbprint (repeatable).
    #[arg(long, value_name = "HEX")]
    pub(crate) pin_thumbprint: Vec<String>,
    /// Accept any server certificate (unsafe: for tests only).
    #[arg(long)]
    pub(crate) insecure: bool,
    /// Use these addresses for host:port, like curl: HOST:PORT:ADDR[,ADDR...] (repeatable).
    #[arg(long, value_name = "H:P:A")]
    pub(crate) resolve: Vec<String>,
    /// Order of resolved addresses: ipv4-first, ipv6-first or system.
    #[arg(long, value_name = "ORDER")]
    pub(crate) ip_order: Option<String>,
    /// Kerberos KDC, tcp://host:port, or a KDC proxy, https://host/KdcProxy.
    #[arg(long, value_name = "URL")]
    pub(crate) kdc: Option<String>,
    /// Kerberos realm of the user's account (default: krb5.conf's default_realm, then DNS);
    /// a user name@suffix whose suffix is not the realm logs on as an enterprise name.
    #[arg(long, value_name = "REALM")]
    pub(crate) realm: Option<String>,
    /// Over plain HTTP, send messages unsealed and allow Basic (the server must allow it).
    #[arg(long)]
    pub(crate) allow_unencrypted: bool,
}

/// `mx run`.
#[derive(Debug, Args)]
pub(crate) struct RunArgs {
    /// Endpoint URL, e.g. https://ex01.corp.example/PowerShell/, or a host name: then
    /// https://HOST/PowerShell/ (https://HOST:5986/wsman with --configuration).
    #[arg(long)]
    pub(crate) server: String,
    /// Server, account and TLS settings.
    #[command(flatten)]
    pub(crate) connect: ConnectArgs,
    /// Session configuration of the WinRM service (e.g. Microsoft.PowerShell); Exchange's
    /// /PowerShell endpoint when absent.
    #[arg(long)]
    pub(crate) configuration: Option<String>,
    /// Print one JSON document instead of text.
    #[arg(long)]
    pub(crate) json: bool,
    /// Seconds the cmdlet may run; when they pass it is stopped on the server and mx exits
    /// with 3. No limit when absent or 0.
    #[arg(long, value_name = "SECONDS", value_parser = seconds)]
    pub(crate) timeout: Option<std::time::Duration>,
    /// Seconds opening the session may take: connecting, authenticating, creating the shell
    /// and opening the runspace pool (PowerShell's OpenTimeout); 0 for no limit.
    #[arg(long, value_name = "SECONDS", value_parser = seconds, default_value = "180")]
    pub(crate) open_timeout: std::time::Duration,
    /// Typed parameters as a JSON object (added after those on the command line).
    #[arg(long, value_name = "JSON")]
    pub(crate) params: Option<String>,
    /// Record the conversation in FILE (every request and response after unsealing, secrets
    /// redacted), in the format `mx-sim --replay FILE` serves.
    #[arg(long, value_name = "FILE")]
    pub(crate) record: Option<PathBuf>,
    /// The cmdlet, then its parameters PowerShell style: -Name value, -Switch, -Name:$false,
    /// a,b for an array.
    #[arg(
        required = true,
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "CMDLET [PARAMS]"
    )]
    pub(crate) command: Vec<String>,
}

/// `mx doctor`.
#[derive(Debug, Args)]
pub(crate) struct DoctorArgs {
    /// The server: a URL (https://ex01.corp.example:5986/wsman, http://ex01/PowerShell/) or a
    /// host name (then Exchange's /PowerShell/ on 443, else 80, and WinRM's 5986/5985).
    #[arg(value_name = "SERVER")]
    pub(crate) server: String,
    /// Server, account and TLS settings, as for `mx run`; `--resolve` also takes HOST:ADDR for
    /// every port.
    #[command(flatten)]
    pub(crate) connect: ConnectArgs,
    /// Exchange's endpoint, when it is not /PowerShell/ on the server's host.
    #[arg(long, value_name = "URL")]
    pub(crate) exchange_url: Option<String>,
    /// Measure the shell headroom by opening up to N extra shells, one after another, until
    /// Exchange refuses one (0, the default, skips it). This spends the budget it measures:
    /// each shell counts against the account's PowerShellMaxConcurrency while open, so the
    /// account's other clients (a provisioning service) may be refused new sessions during
    /// the probe. Without it, doctor reads the budget from the account's throttling policy.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub(crate) shell_probe: u32,
    /// The sessions the caller's pool holds (the pool's max_sessions): the throttling budget
    /// is checked against it.
    #[arg(
        long,
        value_name = "N",
        default_value_t = DEFAULT_POOL_SESSIONS,
        value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=MAX_POOL_SESSIONS as u64)
    )]
    pub(crate) max_sessions: usize,
    /// Seconds to wait for each TCP connection.
    #[arg(long, value_name = "SECONDS", default_value_t = 3)]
    pub(crate) connect_timeout: u64,
    /// Print one JSON document instead of text.
    #[arg(long)]
    pub(crate) json: bool,
}

/// `mx clixml`.
#[derive(Debug, Args)]
pub(crate) struct ClixmlArgs {
    /// The CLIXML file; `-` or absent for standard input.
    pub(crate) file: Option<PathBuf>,
}

/// A number of seconds, fractions allowed, as a duration.
fn seconds(text: &str) -> Result<std::time::Duration, String> {
    let value: f64 = text
        .parse()
        .map_err(|_| format!("`{text}` is not a number of seconds"))?;
    std::time::Duration::try_from_secs_f64(value)
        .map_err(|_| format!("`{text}` is not a usable number of seconds"))
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;
    use monosync_exchange::option_table::{OPTIONS, OptionDefault};

    use super::Cli;

    /// Every option the table gives a flag has that flag, with the table's default or none
    /// (then the library's default applies).
    #[test]
    fn flags_follow_the_option_table() {
        let cli = Cli::command();
        let mut problems = Vec::new();
        for o in OPTIONS {
            let Some(flag) = o.cli else { continue };
            let (sub, long) = flag.split_once(" --").expect("`subcommand --flag`");
            let Some(arg) = cli
                .find_subcommand(sub)
                .and_then(|c| c.get_arguments().find(|a| a.get_long() == Some(long)))
            else {
                problems.push(format!("{}: no `mx {flag}`", o.name));
                continue;
            };
            let given: Vec<String> = arg
                .get_default_values()
                .iter()
                .map(|v| v.to_string_lossy().into_owned())
                .filter(|v| !v.is_empty())
                .collect();
            let expected = match o.default {
                OptionDefault::Unset => None,
                OptionDefault::Bool(b) => Some(b.to_string()),
                OptionDefault::Millis(ms) => Some(format!("{}", ms as f64 / 1000.0)),
                OptionDefault::Count(n) => Some(n.to_string()),
                OptionDefault::Text(t) => Some(t.to_owned()),
            };
            let fine = match (given.as_slice(), &expected) {
                ([], _) => true,
                ([one], Some(e)) => one == e,
                _ => false,
            };
            if !fine {
                problems.push(format!(
                    "mx {flag}: default {given:?}, the table's is {}",
                    o.default
                ));
            }
        }
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }
}
