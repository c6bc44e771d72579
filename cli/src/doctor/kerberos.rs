//! Kerberos: a service ticket for the endpoint's SPN, asked of the KDC directly, so a missing
//! or misspelt SPN is told apart from a wrong password or a server-side key problem; and what
//! Active Directory gets wrong around it: a URL that does not name the host by its FQDN
//! (`kerberos.fqdn`), a clock off from the KDC's (`kerberos.clock`), and a service account
//! without AES keys, whose tickets are RC4 (`kerberos.aes`).

use std::net::IpAddr;

use monosync_exchange::transport::kdc_reply::{etype_name, format_unix, is_aes};
use monosync_exchange::transport::kerberos::{load_krb5_conf, split_user};
use monosync_exchange::transport::probe::{self, ServiceTicket, TicketError};
use monosync_exchange::transport::{AuthMethod, KerberosError, TransportError, TransportOptions};

use super::report::{Check, Report, Status};
use super::target::Url;

/// Whether Kerberos is in play: `--auth kerberos`, or Negotiate with a KDC given or listed in
/// `krb5.conf` for the user's realm.
fn configured(opts: &TransportOptions) -> bool {
    match opts.auth {
        AuthMethod::Kerberos => true,
        AuthMethod::Negotiate => {
            opts.kdc.is_some() || opts.realm.is_some() || opts.credentials.keytab.is_some() || {
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

/// Largest clock difference Kerberos in Active Directory accepts (the default policy).
const MAX_SKEW_SECS: i64 = 300;

/// `kerberos.fqdn`, `kerberos.spn`, `kerberos.clock` and `kerberos.aes`.
pub(crate) async fn check(url: &Url, opts: &TransportOptions, report: &mut Report) {
    if !configured(opts) {
        report.push(Check::skip(
            "kerberos.spn",
            "Kerberos is not configured (use --auth kerberos, --kdc, --realm or a krb5.conf realm)",
        ));
        return;
    }
    let is_ip = url.host.parse::<IpAddr>().is_ok();
    let short = !is_ip && !url.host.contains('.');
    report.push(if is_ip {
        Check::fail(
            "kerberos.fqdn",
            format!("{} is an address: Kerberos needs the server's FQDN", url.host),
            "connect with the server's FQDN (Kerberos tickets are for HTTP/<fqdn>), giving its address with --resolve FQDN:PORT:ADDR if DNS lacks it",
        )
    } else if short {
        Check::warn(
            "kerberos.fqdn",
            format!("{} is a short name: Kerberos needs the server's FQDN", url.host),
            "use the fully qualified name in the URL (ex01.corp.example, not ex01): the SPN is HTTP/<fqdn>",
        )
    } else {
        Check::pass("kerberos.fqdn", format!("{} is fully qualified", url.host))
    });
    if is_ip {
        report.push(Check::fail(
            "kerberos.spn",
            format!("{} is an address: no SPN names it, so Kerberos cannot be used", url.host),
            "connect with the server's FQDN (Kerberos tickets are for HTTP/<fqdn>), giving its address with --resolve FQDN:PORT:ADDR if DNS lacks it",
        ));
        return;
    }
    let not_fqdn = short;
    match probe::kerberos_service_ticket(opts).await {
        Ok(t) => {
            let got = format!(
                "got a service ticket for {}{}{}",
                t.spn,
                t.principal
                    .as_ref()
                    .map(|p| format!(" as {p}"))
                    .unwrap_or_default(),
                t.kdc.as_ref().map(|k| format!(" from {k}")).unwrap_or_default()
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
            clock_check(&t, report);
            aes_check(&t, url, report);
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
        Err(TicketError::Transport(TransportError::Kerberos(k))) => kerberos_failure(&k, url, report),
        Err(TicketError::Transport(e)) => report.push(Check::fail(
            "kerberos.spn",
            format!("no service ticket: {e}"),
            "check the KDC address (--kdc tcp://host:88 or https://proxy/KdcProxy), the user's realm (user@REALM or --realm), the password and the clocks",
        )),
        Err(e) => report.push(Check::fail(
            "kerberos.spn",
            format!("no service ticket: {e}"),
            "check the Kerberos configuration",
        )),
    }
}

/// A named Kerberos failure, reported under the check it concerns.
fn kerberos_failure(k: &KerberosError, url: &Url, report: &mut Report) {
    let detail = format!("no service ticket: {k}");
    match k {
        KerberosError::ClockSkew { .. } => {
            report.push(Check::fail("kerberos.clock", k.to_string(), k.hint()));
            report.push(Check::skip(
                "kerberos.spn",
                "not checked: the KDC refused the request for the clock difference",
            ));
        }
        KerberosError::EtypeNotSupported { .. } => {
            report.push(Check::fail("kerberos.spn", detail, k.hint()));
            report.push(Check::fail(
                "kerberos.aes",
                k.to_string(),
                format!(
                    "set msDS-SupportedEncryptionTypes to 24 on {}: Set-ADComputer <name> -KerberosEncryptionType AES128,AES256, then reset its password so AES keys exist",
                    account_hint(url)
                ),
            ));
        }
        _ => report.push(Check::fail("kerberos.spn", detail, k.hint())),
    }
}

/// `kerberos.clock`: the KDC's time (from its pre-authentication error) against this machine's.
fn clock_check(t: &ServiceTicket, report: &mut Report) {
    let Some(offset) = t.kdc_clock_offset else {
        report.push(Check::skip(
            "kerberos.clock",
            "the KDC sent no time to compare with (no pre-authentication round)",
        ));
        return;
    };
    let now = time_now();
    let times = format!(
        "the KDC's time is {}, this machine's {}",
        format_unix(now + offset),
        format_unix(now)
    );
    report.push(if offset.abs() >= MAX_SKEW_SECS {
        Check::fail(
            "kerberos.clock",
            format!("the clocks differ by {} s: {times}", offset.abs()),
            "synchronise this machine's clock with the domain (NTP): Kerberos allows 5 minutes",
        )
    } else if offset.abs() > 60 {
        Check::warn(
            "kerberos.clock",
            format!("the clocks differ by {} s: {times}", offset.abs()),
            "synchronise this machine's clock with the domain (NTP) before it drifts past 5 minutes",
        )
    } else {
        Check::pass(
            "kerberos.clock",
            format!("the KDC's clock and this machine's agree within {} s", offset.abs().max(1)),
        )
    });
}

fn time_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// `kerberos.aes`: the service ticket's encryption type.
fn aes_check(t: &ServiceTicket, url: &Url, report: &mut Report) {
    report.push(match t.ticket_etype {
        None => Check::skip("kerberos.aes", "the service ticket's encryption type was not seen"),
        Some(e) if is_aes(e) => Check::pass(
            "kerberos.aes",
            format!("the service ticket for {} is {}", t.spn, etype_name(e)),
        ),
        Some(e) => Check::fail(
            "kerberos.aes",
            format!(
                "the service ticket for {} is {}, not AES: its account has no msDS-SupportedEncryptionTypes (AD then issues RC4 tickets, which Windows refuses from 2026)",
                t.spn,
                etype_name(e)
            ),
            format!(
                "set msDS-SupportedEncryptionTypes to 24 (AES128 | AES256) on {}: Set-ADComputer <name> -KerberosEncryptionType AES128,AES256",
                account_hint(url)
            ),
        ),
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ticket(etype: Option<i64>, offset: Option<i64>) -> ServiceTicket {
        ServiceTicket {
            spn: "HTTP/ex01.contoso.com".into(),
            kdc: None,
            principal: None,
            ticket_etype: etype,
            kdc_clock_offset: offset,
        }
    }

    fn url() -> Url {
        Url::parse("http://ex01.contoso.com/PowerShell").expect("url")
    }

    #[test]
    fn an_rc4_ticket_fails_the_aes_check_with_the_attribute_to_set() {
        let mut report = Report::default();
        aes_check(&ticket(Some(23), None), &url(), &mut report);
        let c = report.get("kerberos.aes").expect("check");
        assert_eq!(c.status, Status::Fail);
        assert!(c.detail.contains("rc4-hmac"), "{}", c.detail);
        let fix = c.fix.clone().unwrap_or_default();
        assert!(fix.contains("msDS-SupportedEncryptionTypes"), "{fix}");
        assert!(fix.contains("EX01$"), "{fix}");
        let mut report = Report::default();
        aes_check(&ticket(Some(18), None), &url(), &mut report);
        assert_eq!(
            report.get("kerberos.aes").map(|c| c.status),
            Some(Status::Pass)
        );
    }

    #[test]
    fn the_clock_check_grades_the_offset() {
        for (offset, status) in [
            (2, Status::Pass),
            (-120, Status::Warn),
            (7200, Status::Fail),
        ] {
            let mut report = Report::default();
            clock_check(&ticket(None, Some(offset)), &mut report);
            let c = report.get("kerberos.clock").expect("check");
            assert_eq!(c.status, status, "{offset}: {}", c.detail);
        }
    }
}
