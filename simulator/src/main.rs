//! `mx-sim`: runs the Exchange simulator as a WinRM/PSRP server until Ctrl+C.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use monosync_exchange::transport::keytab::Keytab;
use mx_sim::exchange::{Exchange, generate, seed};
use mx_sim::http::auth::KerberosService;
use mx_sim::http::tls::TlsIdentity;
use mx_sim::{CbtLevel, Endpoint, FaultPlan, Server, SimConfig};

const USAGE: &str = "\
mx-sim: an Exchange Server simulator speaking WinRM/PSRP

Usage: mx-sim [options]

  --listen ADDR            listen address, repeatable (default 127.0.0.1:5985; `[::1]:5985` for IPv6)
  --https                  serve HTTPS (with --cert/--key, or a generated self-signed certificate)
  --cert FILE --key FILE   PEM certificate chain and private key
  --cert-name NAME         extra DNS name for the generated certificate, repeatable
  --write-cert FILE        write the generated certificate as PEM
  --expired-cert           generate a certificate that expired in 2021
  --no-basic               refuse Basic authentication
  --no-ntlm                refuse NTLM
  --kerberos-realm REALM --kerberos-host HOST --kerberos-password PW [--kdc tcp://host:88]
                           accept Kerberos for HTTP/HOST@REALM (key derived from the password)
  --kerberos-keytab FILE [--kdc tcp://host:88]
                           accept Kerberos for every principal of an MIT keytab (realm and host
                           from its principals; the keys of an AD computer account serve its SPNs)
  --offer-kerberos         /PowerShell also offers the `Kerberos` scheme
  --allow-unencrypted      accept unsealed bodies and Basic over plain HTTP
  --cbt none|relaxed|strict  channel-binding hardening over HTTPS (default relaxed)
  --seed FILE              seed JSON (default: the built-in 301-recipient organisation)
  --generate N             generate an organisation of N recipients instead
  --faults FILE            fault plan JSON
  --log FILE               append the JSON-lines request log to FILE
  --shell-quota N          shells per user (default 18)
  --machine NAME           machine name shown in faults
  --deny USER              USER authenticates but is not in Remote Management Users, repeatable
";

fn value(args: &mut impl Iterator<Item = String>, flag: &str) -> Result<String, String> {
    args.next().ok_or_else(|| format!("{flag} needs a value"))
}

fn parse() -> Result<(SimConfig, Option<PathBuf>), String> {
    let mut config = SimConfig {
        listen: Vec::new(),
        ..SimConfig::default()
    };
    let mut https = false;
    let mut expired = false;
    let (mut cert, mut key, mut write_cert) = (None, None, None);
    let mut names = vec![
        "localhost".to_owned(),
        "127.0.0.1".to_owned(),
        "::1".to_owned(),
    ];
    let (mut realm, mut host, mut kpw, mut kdc) = (None, None, None, None);
    let mut keytab = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--help" | "-h" => return Err(String::new()),
            "--listen" => config.listen.push(
                value(&mut args, &arg)?
                    .parse::<SocketAddr>()
                    .map_err(|e| format!("--listen: {e}"))?,
            ),
            "--https" => https = true,
            "--cert" => cert = Some(value(&mut args, &arg)?),
            "--key" => key = Some(value(&mut args, &arg)?),
            "--cert-name" => names.push(value(&mut args, &arg)?),
            "--expired-cert" => expired = true,
            "--write-cert" => write_cert = Some(PathBuf::from(value(&mut args, &arg)?)),
            "--no-basic" => config.auth.basic = false,
            "--no-ntlm" => config.auth.ntlm = false,
            "--kerberos-realm" => realm = Some(value(&mut args, &arg)?),
            "--kerberos-host" => host = Some(value(&mut args, &arg)?),
            "--kerberos-password" => kpw = Some(value(&mut args, &arg)?),
            "--kerberos-keytab" => keytab = Some(value(&mut args, &arg)?),
            "--kdc" => kdc = Some(value(&mut args, &arg)?),
            "--offer-kerberos" => config.auth.offer_kerberos_scheme = true,
            "--allow-unencrypted" => config.allow_unencrypted = true,
            "--cbt" => {
                config.cbt = match value(&mut args, &arg)?.to_ascii_lowercase().as_str() {
                    "none" => CbtLevel::None,
                    "relaxed" => CbtLevel::Relaxed,
                    "strict" => CbtLevel::Strict,
                    other => return Err(format!("--cbt: unknown level {other}")),
                }
            }
            "--seed" => {
                let path = value(&mut args, &arg)?;
                let json = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
                config.exchange =
                    Some(Exchange::from_seed_json(&json).map_err(|e| format!("{path}: {e}"))?);
            }
            "--generate" => {
                let n: usize = value(&mut args, &arg)?
                    .parse()
                    .map_err(|e| format!("--generate: {e}"))?;
                let (dir, rbac) = seed::build(generate::generate_seed(n, 2016))
                    .map_err(|e| format!("--generate: {e}"))?;
                config.exchange = Some(Exchange::with_rbac(dir, rbac));
            }
            "--faults" => {
                let path = value(&mut args, &arg)?;
                let json = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
                config.faults = FaultPlan::from_json(&json).map_err(|e| format!("{path}: {e}"))?;
            }
            "--log" => config.log_file = Some(PathBuf::from(value(&mut args, &arg)?)),
            "--shell-quota" => {
                config.service.max_shells_per_user = value(&mut args, &arg)?
                    .parse()
                    .map_err(|e| format!("--shell-quota: {e}"))?
            }
            "--machine" => config.service.machine = value(&mut args, &arg)?,
            "--deny" => config.service.denied_users.push(value(&mut args, &arg)?),
            other => return Err(format!("unknown option {other}")),
        }
    }
    if config.listen.is_empty() {
        let port = if https { 5986 } else { 5985 };
        config.listen.push(SocketAddr::from(([127, 0, 0, 1], port)));
    }
    match (realm, host, kpw, keytab) {
        (None, None, None, Some(path)) => {
            let keytab = Keytab::read(&path).map_err(|e| format!("--kerberos-keytab: {e}"))?;
            let service = KerberosService::from_keytab(keytab, kdc)
                .map_err(|e| format!("--kerberos-keytab {path}: {e}"))?;
            println!(
                "Kerberos: HTTP/{}@{} and every principal of {path}",
                service.host, service.realm
            );
            config.auth.kerberos = Some(service);
        }
        (Some(_), _, _, Some(_)) | (_, Some(_), _, Some(_)) | (_, _, Some(_), Some(_)) => {
            return Err(
                "--kerberos-keytab replaces --kerberos-realm, --kerberos-host and --kerberos-password".into(),
            );
        }
        (Some(realm), Some(host), Some(password), None) => {
            config.auth.kerberos = Some(KerberosService {
                kdc_url: kdc.unwrap_or_else(|| format!("tcp://{host}:88")),
                realm,
                host,
                password,
                keytab: None,
            });
        }
        (None, None, None, None) => {}
        _ => {
            return Err(
                "Kerberos needs --kerberos-realm, --kerberos-host and --kerberos-password, or --kerberos-keytab".into(),
            );
        }
    }
    if https {
        let identity = match (cert, key) {
            (Some(c), Some(k)) => {
                let cert_pem = std::fs::read(&c).map_err(|e| format!("{c}: {e}"))?;
                let key_pem = std::fs::read(&k).map_err(|e| format!("{k}: {e}"))?;
                TlsIdentity::from_pem(&cert_pem, &key_pem).map_err(|e| e.to_string())?
            }
            (None, None) if expired => {
                TlsIdentity::self_signed_expired(&names).map_err(|e| e.to_string())?
            }
            (None, None) => TlsIdentity::self_signed(&names).map_err(|e| e.to_string())?,
            _ => return Err("--cert and --key go together".into()),
        };
        println!(
            "certificate SHA-1 thumbprint:   {}",
            identity.sha1_thumbprint()
        );
        println!(
            "certificate SHA-256 thumbprint: {}",
            identity.sha256_thumbprint()
        );
        if let Some(path) = &write_cert {
            std::fs::write(path, identity.cert_pem())
                .map_err(|e| format!("{}: {e}", path.display()))?;
        }
        config.tls = Some(identity);
    }
    Ok((config, write_cert))
}

fn main() -> ExitCode {
    let (config, _) = match parse() {
        Ok(c) => c,
        Err(e) if e.is_empty() => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("mx-sim: {e}\n\n{USAGE}");
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
