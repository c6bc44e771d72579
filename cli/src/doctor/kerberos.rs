//! Kerberos: a service ticket for the endpoint's SPN, asked of the KDC directly, so a missing
//! or misspelt SPN is told apart from a wrong password or a server-side key problem.

use std::net::IpAddr;

use monosync_exchange::transport::kerberos::{load_krb5_conf, split_user};
use monosync_exchange::transport::probe::{self, TicketError};
use monosync_exchange::transport::{AuthMethod, TransportOptions};

use super::report::{Check, Report, Status};
use super::target::Url;

/// Whether Kerberos is in play: `--auth kerberos`, or Negotiate with a KDC given or listed in
/// `krb5.conf` for the user's realm.
fn configured(opts: &TransportOptions) -> bool {
    match opts.auth {
        AuthMethod::Kerberos => true,
        AuthMethod::Negotiate => {
            opts.kdc.is_some() || opts.credentials.keytab.is_some() || {
                let conf = load_krb5_conf();
                let realm = conf.as_ref().and_then(|c| c.default_realm.clone());
                split_user(&opts.credentials.username, realm.as_deref())
                    .ok()
                    .is_some_and(|u| conf.is_some_and(|c| !c.kdcs(&u.realm).is_empty()))
            }
        }
        _ => false,
    }
}

/// Whether the logon (`auth.account`, already run) was a Kerberos logon the server refused
/// with a 401: with a ticket in hand, that means the server could not decrypt it.
fn server_refused_ticket(opts: &TransportOptions, report: &Report) -> bool {
    opts.auth == AuthMethod::Kerberos
        && report.get("auth.account").is_some_and(|c| {
            c.status == Status::Fail && c.detail.contains("the server rejected the credentials")
        })
}

fn account_hint(url: &Url) -> String {
    let short = url.host.split('.').next().unwrap_or(&url.host);
    format!(
        "<the account running the service, usually the computer account {}$>",
        short.to_ascii_uppercase()
    )
}

/// `kerberos.spn`.
pub(crate) async fn check(url: &Url, opts: &TransportOptions, report: &mut Report) {
    if !configured(opts) {
        report.push(Check::skip(
            "kerberos.spn",
            "Kerberos is not configured (use --auth kerberos, --kdc, or a krb5.conf realm)",
        ));
        return;
    }
    let not_fqdn = url.host.parse::<IpAddr>().is_ok() || !url.host.contains('.');
    if url.host.parse::<IpAddr>().is_ok() {
        report.push(Check::fail(
            "kerberos.spn",
            format!("{} is an address: no SPN names it, so Kerberos cannot be used", url.host),
            "connect with the server's FQDN (Kerberos tickets are for HTTP/<fqdn>), giving its address with --resolve FQDN:PORT:ADDR if DNS lacks it",
        ));
        return;
    }
    match probe::kerberos_service_ticket(opts).await {
        Ok(t) => {
            let got = format!(
                "got a service ticket for {}{}",
                t.spn,
                t.kdc.map(|k| format!(" from {k}")).unwrap_or_default()
            );
            report.push(if server_refused_ticket(opts, report) {
                Check::fail(
                    "kerberos.spn",
                    format!("{got}, but the server refused it: its key for {} is not the one the KDC used", t.spn),
                    format!(
                        "the SPN is registered on another account than the one the service runs as (or twice): find it with setspn -Q {}, remove the duplicate, and register it on the service's account with setspn -S {} {}",
                        t.spn,
                        t.spn,
                        account_hint(url)
                    ),
                )
            } else {
                Check::pass("kerberos.spn", got)
            });
        }
        Err(TicketError::PrincipalUnknown { spn }) => {
            let mut fix = format!(
                "register the SPN on the account that runs the service: setspn -S {spn} {}",
                account_hint(url)
            );
            fix.push_str("; and connect with the FQDN the SPN names, not an IP address, a short name or a DNS alias");
            if not_fqdn {
                fix.push_str(&format!(" ({} is not fully qualified)", url.host));
            }
            report.push(Check::fail(
                "kerberos.spn",
                format!("the KDC knows no {spn} (KDC_ERR_S_PRINCIPAL_UNKNOWN)"),
                fix,
            ));
        }
        Err(TicketError::Transport(e)) => report.push(Check::fail(
            "kerberos.spn",
            format!("no service ticket: {e}"),
            "check the KDC address (--kdc tcp://host:88), the user's realm (user@REALM), the password and the clocks",
        )),
        Err(e) => report.push(Check::fail(
            "kerberos.spn",
            format!("no service ticket: {e}"),
            "check the Kerberos configuration",
        )),
    }
}
