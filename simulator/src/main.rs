//! `mx-sim`: runs the Exchange simulator as a WinRM/PSRP server until Ctrl+C.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use std::io::Write as _;

use clap::{CommandFactory as _, Parser, ValueEnum};
use monosync_exchange::recording::{self, IdPolicy, Replay};
use mx_sim::exchange::{Exchange, ThrottlingPolicy, generate, seed};
use mx_sim::http::auth::KerberosService;
use mx_sim::http::tls::TlsIdentity;
use mx_sim::{CbtLevel, Endpoint, FaultPlan, Server, SimConfig};

/// An Exchange Server simulator speaking WinRM/PSRP: serves the recipient cmdlets of an
/// in-memory organisation until Ctrl-C or SIGTERM.
#[derive(Debug, Parser)]
#[command(name = "mx-sim", version)]
struct Args {
    /// Listen address, repeatable (default 127.0.0.1:5985, or :5986 with --https; `[::1]:5985`
    /// for IPv6; port 0 picks a free port).
    #[arg(long, value_name = "ADDR")]
    listen: Vec<SocketAddr>,
    /// Serve HTTPS (with --cert/--key, or a generated self-signed certificate).
    #[arg(long)]
    https: bool,
    /// PEM certificate chain (with --key).
    #[arg(long, value_name = "FILE", requires = "key")]
    cert: Option<PathBuf>,
    /// PEM private key (with --cert).
    #[arg(long, value_name = "FILE", requires = "cert")]
    key: Option<PathBuf>,
    /// Extra DNS name for the generated certificate, repeatable.
    #[arg(long, value_name = "NAME")]
    cert_name: Vec<String>,
    /// Write the generated certificate as PEM.
    #[arg(long, value_name = "FILE")]
    write_cert: Option<PathBuf>,
    /// Generate a certificate that expired in 2021.
    #[arg(long, conflicts_with = "cert")]
    expired_cert: bool,
    /// Refuse Basic authentication.
    #[arg(long)]
    no_basic: bool,
    /// Refuse NTLM.
    #[arg(long)]
    no_ntlm: bool,
    /// Accept Kerberos for HTTP/HOST@REALM (with --kerberos-host and --kerberos-password).
    #[arg(long, value_name = "REALM", requires_all = ["kerberos_host", "kerberos_password"])]
    kerberos_realm: Option<String>,
    /// The service host name of the Kerberos principal HTTP/HOST@REALM.
    #[arg(long, value_name = "HOST", requires = "kerberos_realm")]
    kerberos_host: Option<String>,
    /// The service principal's password (its keys are derived from it).
    #[arg(long, value_name = "PW", requires = "kerberos_realm")]
    kerberos_password: Option<String>,
    /// Accept Kerberos for every principal of an MIT keytab (realm and host from its
    /// principals; the keys of an AD computer account serve its SPNs).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["kerberos_realm", "kerberos_host", "kerberos_password"])]
    kerberos_keytab: Option<PathBuf>,
    /// The KDC (default tcp://HOST:88).
    #[arg(long, value_name = "URL")]
    kdc: Option<String>,
    /// /PowerShell also offers the `Kerberos` scheme.
    #[arg(long)]
    offer_kerberos: bool,
    /// Accept unsealed bodies and Basic over plain HTTP.
    #[arg(long)]
    allow_unencrypted: bool,
    /// Channel-binding hardening over HTTPS.
    #[arg(
        long,
        value_enum,
        value_name = "LEVEL",
        default_value = "relaxed",
        ignore_case = true
    )]
    cbt: CbtArg,
    /// Seed JSON (default: the built-in 301-recipient organisation).
    #[arg(long, value_name = "FILE", conflicts_with = "generate")]
    seed: Option<PathBuf>,
    /// Generate an organisation of N recipients instead.
    #[arg(long, value_name = "N")]
    generate: Option<usize>,
    /// Fault plan JSON.
    #[arg(long, value_name = "FILE")]
    faults: Option<PathBuf>,
    /// Append the JSON-lines request log to FILE.
    #[arg(long, value_name = "FILE")]
    log: Option<PathBuf>,
    /// Shells per user (default 18; overrides the policy's PowerShellMaxConcurrency).
    #[arg(long, value_name = "N")]
    shell_quota: Option<usize>,
    /// Enforce a user throttling policy: a JSON object of Set-ThrottlingPolicy parameters
    /// (`{"PowerShellMaxCmdlets": 150, "PowerShellMaxCmdletsTimePeriod": 10}`), numbers or
    /// "Unlimited", Exchange's defaults for the others.
    #[arg(long, value_name = "FILE")]
    throttling_policy: Option<PathBuf>,
    /// Machine name shown in faults.
    #[arg(long, value_name = "NAME")]
    machine: Option<String>,
    /// USER authenticates but is not in Remote Management Users, repeatable.
    #[arg(long, value_name = "USER")]
    deny: Vec<String>,
    /// Serve a recorded conversation (mx run --record, or a pypsrp recording) instead of the
    /// organisation, ids rewritten for each client.
    #[arg(long, value_name = "FILE")]
    replay: Option<PathBuf>,
    /// With --replay: hand out new ShellIds and CommandIds, whatever the client proposed and
    /// the recorded server did.
    #[arg(long, requires = "replay")]
    fresh_ids: bool,
    /// Print a completion script for this shell and exit.
    #[arg(long, value_name = "SHELL", exclusive = true)]
    completions: Option<clap_complete::Shell>,
    /// Print the man page (roff) and exit.
    #[arg(long, exclusive = true)]
    man: bool,
}

/// `--cbt` levels.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum CbtArg {
    /// Ignore channel bindings.
    None,
    /// Check bindings a client sends; accept clients that send none.
    Relaxed,
    /// Refuse clients that send no bindings.
    Strict,
}

/// `--completions SHELL` and `--man`: generated from the parser, printed on stdout.
fn help_file(args: &Args) -> ExitCode {
    let mut text = Vec::new();
    if let Some(shell) = args.completions {
        clap_complete::generate(shell, &mut Args::command(), "mx-sim", &mut text);
    } else if let Err(e) = clap_mangen::Man::new(Args::command()).render(&mut text) {
        eprintln!("mx-sim: {e}");
        return ExitCode::FAILURE;
    }
    match std::io::stdout().write_all(&text) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            eprintln!("mx-sim: {e}");
            ExitCode::FAILURE
        }
        _ => ExitCode::SUCCESS,
    }
}

/// Reads a file named on the command line, the error naming it.
fn read(path: &std::path::Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))
}

/// Turns the parsed command line into the server's configuration, loading the files it names.
fn config(args: Args) -> Result<SimConfig, String> {
    let mut config = SimConfig {
        listen: args.listen,
        ..SimConfig::default()
    };
    config.auth.basic = !args.no_basic;
    config.auth.ntlm = !args.no_ntlm;
    config.auth.offer_kerberos_scheme = args.offer_kerberos;
    config.allow_unencrypted = args.allow_unencrypted;
    config.cbt = match args.cbt {
        CbtArg::None => CbtLevel::None,
        CbtArg::Relaxed => CbtLevel::Relaxed,
        CbtArg::Strict => CbtLevel::Strict,
    };
    if let Some(path) = &args.seed {
        let json =
            String::from_utf8(read(path)?).map_err(|e| format!("{}: {e}", path.display()))?;
        config.exchange =
            Some(Exchange::from_seed_json(&json).map_err(|e| format!("{}: {e}", path.display()))?);
    }
    if let Some(n) = args.generate {
        let (dir, rbac) = seed::build(generate::generate_seed(n, 2016))
            .map_err(|e| format!("--generate: {e}"))?;
        config.exchange = Some(Exchange::with_rbac(dir, rbac));
    }
    if let Some(path) = &args.faults {
        let json =
            String::from_utf8(read(path)?).map_err(|e| format!("{}: {e}", path.display()))?;
        config.faults =
            FaultPlan::from_json(&json).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    config.log_file = args.log;
    if let Some(path) = &args.throttling_policy {
        let json =
            String::from_utf8(read(path)?).map_err(|e| format!("{}: {e}", path.display()))?;
        config.throttling_policy = Some(
            ThrottlingPolicy::from_json(&json).map_err(|e| format!("{}: {e}", path.display()))?,
        );
    }
    if let Some(n) = args.shell_quota {
        config.service.max_shells_per_user = n;
        if let Some(policy) = &mut config.throttling_policy {
            policy.powershell_max_concurrency = Some(u32::try_from(n).unwrap_or(u32::MAX));
        }
    }
    if let Some(machine) = args.machine {
        config.service.machine = machine;
    }
    config.service.denied_users.extend(args.deny);
    if let Some(path) = &args.replay {
        let policy = if args.fresh_ids {
            IdPolicy::Fresh
        } else {
            IdPolicy::AsRecorded
        };
        config.replay = Some(load_replay(path, policy)?);
    }
    if config.listen.is_empty() {
        let port = if args.https { 5986 } else { 5985 };
        config.listen.push(SocketAddr::from(([127, 0, 0, 1], port)));
    }
    if let Some(path) = &args.kerberos_keytab {
        let service = KerberosService::from_keytab_file(path, args.kdc.clone())
            .map_err(|e| format!("--kerberos-keytab {e}"))?;
        println!(
            "Kerberos: HTTP/{}@{} and every principal of {}",
            service.host,
            service.realm,
            path.display()
        );
        config.auth.kerberos = Some(service);
    } else if let (Some(realm), Some(host), Some(password)) = (
        args.kerberos_realm,
        args.kerberos_host,
        args.kerberos_password,
    ) {
        config.auth.kerberos = Some(KerberosService {
            kdc_url: args.kdc.unwrap_or_else(|| format!("tcp://{host}:88")),
            realm,
            host,
            password,
            keytab: None,
        });
    } else if args.kdc.is_some() {
        return Err("--kdc needs --kerberos-realm or --kerberos-keytab".into());
    }
    if args.https {
        let mut names = vec![
            "localhost".to_owned(),
            "127.0.0.1".to_owned(),
            "::1".to_owned(),
        ];
        names.extend(args.cert_name);
        let identity = match (&args.cert, &args.key) {
            (Some(c), Some(k)) => {
                TlsIdentity::from_pem(&read(c)?, &read(k)?).map_err(|e| e.to_string())?
            }
            _ if args.expired_cert => {
                TlsIdentity::self_signed_expired(&names).map_err(|e| e.to_string())?
            }
            _ => TlsIdentity::self_signed(&names).map_err(|e| e.to_string())?,
        };
        println!(
            "certificate SHA-1 thumbprint:   {}",
            identity.sha1_thumbprint()
        );
        println!(
            "certificate SHA-256 thumbprint: {}",
            identity.sha256_thumbprint()
        );
        if let Some(path) = &args.write_cert {
            std::fs::write(path, identity.cert_pem())
                .map_err(|e| format!("{}: {e}", path.display()))?;
        }
        config.tls = Some(identity);
    }
    Ok(config)
}

/// The first list of the recording at `path`, ready to serve.
fn load_replay(path: &std::path::Path, policy: IdPolicy) -> Result<Replay, String> {
    let named = |e: &dyn std::fmt::Display| format!("{}: {e}", path.display());
    let text = String::from_utf8(read(path)?).map_err(|e| named(&e))?;
    let lists = recording::parse(&text).map_err(|e| named(&e))?;
    let exchanges = lists
        .into_iter()
        .next()
        .map(|l| l.exchanges)
        .filter(|e| !e.is_empty())
        .ok_or_else(|| named(&recording::RecordingError::Empty))?;
    Ok(Replay::new(exchanges, policy))
}

fn main() -> ExitCode {
    let args = match Args::try_parse() {
        Ok(args) => args,
        Err(e) => {
            // clap prints help and version on stdout with success; usage errors exit 2.
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    if args.completions.is_some() || args.man {
        return help_file(&args);
    }
    let config = match config(args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("mx-sim: {e}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("mx-sim: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async move {
        let server = match Server::start(config) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("mx-sim: {e}");
                return ExitCode::FAILURE;
            }
        };
        for addr in server.addrs() {
            println!("listening on {addr}");
        }
        println!("Exchange endpoint: {}", server.url(Endpoint::PowerShell));
        println!("WinRM endpoint:    {}", server.url(Endpoint::Wsman));
        wait_for_stop().await;
        if let Some((stats, mismatches)) = server.replay_report() {
            println!(
                "replay: {} exchanges served, {} terminate signals answered without a recorded one, {} recorded ones skipped",
                stats.served, stats.synthesized_signals, stats.skipped_signals
            );
            for m in &mismatches {
                println!("replay: {m}");
            }
        }
        server.shutdown();
        ExitCode::SUCCESS
    })
}

/// Waits for Ctrl-C or SIGTERM (how CI jobs and supervisors stop a server). A signal that
/// cannot be watched never stops the server early: it then runs until killed.
async fn wait_for_stop() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                r = tokio::signal::ctrl_c() => {
                    if r.is_err() {
                        term.recv().await;
                    }
                }
                _ = term.recv() => {}
            }
            return;
        }
    }
    if tokio::signal::ctrl_c().await.is_err() {
        std::future::pending::<()>().await;
    }
}
