//! `mx doctor SERVER`: the checks of a remoting setup guide, in the order a setup is built
//! (name, ports, certificate, WS-Management, logon, Kerberos, channel binding, Exchange, RBAC,
//! throttling), each reported as pass, fail, warn or skip, each failure with its fix.
//!
//! Safe against a production server: by default every check reads (one Exchange session, two
//! Get- cmdlets for the throttling budget), nothing changes state or spends a budget beyond
//! that one shell; the shell probe, which does, runs only with `--shell-probe N`.

mod budget;
mod cbt;
mod exchange;
mod hints;
mod interrupt;
mod kerberos;
mod network;
mod probe;
mod report;
mod target;
mod tls;
mod wsman;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::args::DoctorArgs;
use crate::console::{errln, out, outln};
use crate::error::{CliError, EXIT_CMDLET, EXIT_OK};
use crate::run::transport_options;
use report::{Check, Report};
use target::Url;

/// Runs `mx doctor` and returns the exit code: 0 when no check failed, 1 when one did, 2 for
/// unusable arguments.
pub(crate) async fn main(args: DoctorArgs) -> u8 {
    match run(&args).await {
        Ok(report) => {
            let shown = if args.json {
                outln!("{}", report.to_json(&args.server))
            } else {
                out!("{}", report.to_text(&args.server))
            };
            if let Err(closed) = shown {
                let e = CliError::Output(closed);
                if !e.is_quiet() {
                    errln!("mx doctor: {e}");
                    return e.exit_code();
                }
            }
            if report.failed() {
                EXIT_CMDLET
            } else {
                EXIT_OK
            }
        }
        Err(e) => {
            errln!("mx doctor: {e}");
            e.exit_code()
        }
    }
}

/// Every check that needs the endpoint's port, for when it does not answer.
const NEEDS_ENDPOINT: [&str; 12] = [
    "tls.expiry",
    "tls.name",
    "tls.trust",
    "tls.thumbprint",
    "wsman.auth",
    "auth.account",
    "wsman.identify",
    "cbt.enforced",
    "exchange.endpoint",
    "exchange.rbac",
    "exchange.throttling",
    "exchange.headroom",
];

async fn run(args: &DoctorArgs) -> Result<Report, CliError> {
    let timeout = Duration::from_secs(args.connect_timeout.max(1));
    let given = if args.server.contains("://") {
        Some(Url::parse(&args.server)?)
    } else {
        None
    };
    let exchange_given = args.exchange_url.as_deref().map(Url::parse).transpose()?;
    let host = given.as_ref().map_or_else(
        || {
            args.server
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_owned()
        },
        |u| u.host.clone(),
    );
    let mut connect = args.connect.clone();
    connect.resolve = connect
        .resolve
        .iter()
        .map(|r| network::with_port(r, given.as_ref().map_or(443, |u| u.port)))
        .collect();
    let mut base = transport_options(&connect, &args.server)?;
    network::spread_overrides(&mut base, &host);
    base.timeouts.connect = timeout;
    if args.connect.insecure {
        errln!(
            "mx: WARNING: --insecure: the certificate checks below describe the certificate, but logons accept any"
        );
    }
    let mut report = Report::default();
    let dns_port = given.as_ref().map_or(443, |u| u.port);
    network::dns(&host, dns_port, &base, &mut report).await;
    let probes = network::tcp(
        &host,
        given.as_ref().map(|u| u.port),
        &base,
        timeout,
        &mut report,
    )
    .await;
    let open: Vec<u16> = probes.iter().filter(|p| p.open()).map(|p| p.port).collect();
    if given.is_none() && open.is_empty() {
        report.push(Check::fail(
            "tcp.endpoint",
            format!("none of the usual ports of {host} answers"),
            "start a listener (winrm quickconfig for 5985, an HTTPS listener for 5986, IIS for Exchange's 80/443) and open the port in the firewalls on the path",
        ));
    }
    let url = given.unwrap_or_else(|| target::url_for_host(&host, &open));
    network::answering_family(&url, &probes, &base, &mut report);
    let opts = with_url(&base, &url);
    if !open.contains(&url.port) {
        for id in NEEDS_ENDPOINT {
            report.push(Check::skip(id, format!("{} does not answer", url.render())));
        }
        kerberos::check(&url, &opts, &mut report).await;
        return Ok(report);
    }
    if url.https {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        tls::checks(&url, &opts, now, &mut report).await;
    } else {
        for id in &NEEDS_ENDPOINT[..4] {
            report.push(Check::skip(
                id,
                format!(
                    "{} is plain HTTP (NTLM and Kerberos seal the messages)",
                    url.render()
                ),
            ));
        }
    }
    wsman::offers(&url, &opts, &mut report).await;
    wsman::identify(&opts, &mut report).await;
    kerberos::check(&url, &opts, &mut report).await;
    cbt::check(&url, &opts, &mut report).await;
    let exchange_url = exchange_given.unwrap_or_else(|| url.exchange());
    if report.passed("auth.account") {
        exchange::checks(
            &exchange_url,
            &with_url(&base, &exchange_url),
            exchange::Plan {
                shell_probe: args.shell_probe,
                max_sessions: args.max_sessions,
            },
            &mut report,
        )
        .await;
    } else {
        for id in &NEEDS_ENDPOINT[8..] {
            report.push(Check::skip(id, "needs a working logon (see auth.account)"));
        }
    }
    Ok(report)
}

fn with_url(
    base: &monosync_exchange::transport::TransportOptions,
    url: &Url,
) -> monosync_exchange::transport::TransportOptions {
    let mut opts = base.clone();
    opts.url = url.render();
    opts
}
