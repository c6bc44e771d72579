//! The listener certificate: dates, names, trust and thumbprints. The chain is fetched without
//! trusting it, so a broken certificate can still be described.

use std::net::IpAddr;

use monosync_exchange::transport::probe::{self, CertificateInfo};
use monosync_exchange::transport::{TransportError, TransportOptions};

use super::report::{Check, Report};
use super::target::Url;

/// Certificates expiring sooner than this are a warning.
const RENEW_WITHIN_DAYS: i64 = 30;

const IDS: [&str; 4] = ["tls.expiry", "tls.name", "tls.trust", "tls.thumbprint"];

/// How to put a renewed certificate on the listener that serves `url`.
fn rebind(url: &Url, thumbprint: &str) -> String {
    let winrm = format!(
        "winrm set winrm/config/Listener?Address=*+Transport=HTTPS @{{CertificateThumbprint=\"{thumbprint}\"}}"
    );
    if url.is_exchange() {
        format!(
            "{winrm} for WinRM's listener; for Exchange's IIS site: Enable-ExchangeCertificate -Thumbprint {thumbprint} -Services IIS"
        )
    } else {
        winrm
    }
}

/// Whether `host` is one of the certificate's names (`*.example.com` covers one label).
fn name_matches(names: &[String], host: &str) -> bool {
    let host = host.trim_end_matches('.');
    if let Ok(ip) = host.parse::<IpAddr>() {
        return names.iter().any(|n| n.parse::<IpAddr>().ok() == Some(ip));
    }
    names.iter().any(|n| {
        if let Some(suffix) = n.strip_prefix("*.") {
            host.split_once('.')
                .is_some_and(|(_, rest)| rest.eq_ignore_ascii_case(suffix))
        } else {
            n.eq_ignore_ascii_case(host)
        }
    })
}

/// Runs the certificate checks against `url` (an `https://` URL); `now` is Unix seconds.
pub(crate) async fn checks(url: &Url, opts: &TransportOptions, now: i64, report: &mut Report) {
    let fetched = match probe::server_certificates(opts).await {
        Ok(f) => f,
        Err(e) => {
            report.push(Check::fail(
                "tls.expiry",
                format!("no TLS handshake with {}: {e}", url.render()),
                "check that an HTTPS listener exists on this port (winrm enumerate winrm/config/Listener) and has a certificate bound",
            ));
            for id in &IDS[1..] {
                report.push(Check::skip(id, "no certificate was received"));
            }
            return;
        }
    };
    let Some(leaf) = fetched.chain.first() else {
        report.push(Check::fail(
            "tls.expiry",
            "the server sent no certificate",
            "bind a certificate to the HTTPS listener",
        ));
        return;
    };
    report.push(expiry(url, leaf, now));
    report.push(name(url, leaf));
    // Judged as without --insecure: that switch lets logons through, not the certificate.
    let mut strict = opts.clone();
    strict.tls.insecure = false;
    let verdict = probe::verify_certificate(&strict).await;
    report.push(trust(
        !opts.tls.pinned_thumbprints.is_empty(),
        leaf,
        &fetched.chain,
        &verdict,
    ));
    report.push(thumbprint(leaf, opts, &verdict));
}

fn expiry(url: &Url, leaf: &CertificateInfo, now: i64) -> Check {
    let dates = format!(
        "valid from {} to {}",
        leaf.not_before_text, leaf.not_after_text
    );
    let fix = format!(
        "renew the certificate (it must name {}), then rebind the listener to the new one: {}",
        url.host,
        rebind(url, "<new thumbprint>")
    );
    if now > leaf.not_after {
        let days = (now - leaf.not_after) / 86_400;
        Check::fail(
            "tls.expiry",
            format!("the certificate expired {days} days ago ({dates})"),
            fix,
        )
    } else if now < leaf.not_before {
        Check::fail(
            "tls.expiry",
            format!("the certificate is not valid yet ({dates})"),
            "check the clocks of this machine and the server; else reissue the certificate",
        )
    } else {
        let left = (leaf.not_after - now) / 86_400;
        if left < RENEW_WITHIN_DAYS {
            Check::warn(
                "tls.expiry",
                format!("the certificate expires in {left} days ({dates})"),
                fix,
            )
        } else {
            Check::pass("tls.expiry", format!("{dates}; {left} days left"))
        }
    }
}

fn name(url: &Url, leaf: &CertificateInfo) -> Check {
    let names = if leaf.names.is_empty() {
        "no names".to_owned()
    } else {
        leaf.names.join(", ")
    };
    if name_matches(&leaf.names, &url.host) {
        Check::pass(
            "tls.name",
            format!("{} is on the certificate ({names})", url.host),
        )
    } else {
        Check::fail(
            "tls.name",
            format!(
                "the certificate does not name {}; it names {names}",
                url.host
            ),
            format!(
                "connect with one of the names on the certificate, or issue one whose subjectAltName includes {} and rebind the listener",
                url.host
            ),
        )
    }
}

fn trust(
    pinned: bool,
    leaf: &CertificateInfo,
    chain: &[CertificateInfo],
    verdict: &Result<(), TransportError>,
) -> Check {
    let issuer = format!("issuer {}", leaf.issuer);
    let ca_hint = if leaf.self_issued {
        "the certificate is self-signed: pin it".to_owned()
    } else {
        let root = chain
            .last()
            .map_or(leaf.issuer.as_str(), |c| c.issuer.as_str());
        format!(
            "add the issuing CA ({root}) with --ca-file CA.pem (or to this machine's trust store), or pin the certificate"
        )
    };
    match verdict {
        Ok(()) if pinned => Check::pass(
            "tls.trust",
            format!("accepted by --pin-thumbprint ({issuer}); pinning replaces the CA check"),
        ),
        Ok(()) => Check::pass("tls.trust", format!("trusted ({issuer})")),
        Err(TransportError::TlsUntrusted { sha1, .. }) => Check::fail(
            "tls.trust",
            format!(
                "not trusted ({issuer}, {} certificate(s) sent)",
                chain.len()
            ),
            format!("{ca_hint}: --pin-thumbprint {sha1}"),
        ),
        Err(TransportError::TlsRejected { problem, sha1, .. }) => Check::fail(
            "tls.trust",
            format!("refused: the certificate {problem} ({issuer})"),
            format!("{}; until then: --pin-thumbprint {sha1}", problem.fix()),
        ),
        Err(TransportError::TlsWrongName { .. }) => Check::pass(
            "tls.trust",
            format!("the chain is trusted ({issuer}); the name is not (see tls.name)"),
        ),
        Err(TransportError::TlsExpired { .. }) => Check::skip(
            "tls.trust",
            format!(
                "the chain cannot be validated while the certificate is out of its dates ({issuer}); see tls.expiry"
            ),
        ),
        Err(TransportError::TlsPinMismatch { .. }) => Check::skip(
            "tls.trust",
            format!("pinning replaces trust ({issuer}); see tls.thumbprint"),
        ),
        Err(e) => Check::fail(
            "tls.trust",
            format!("the TLS handshake failed: {e}"),
            ca_hint,
        ),
    }
}

fn thumbprint(
    leaf: &CertificateInfo,
    opts: &TransportOptions,
    verdict: &Result<(), TransportError>,
) -> Check {
    let prints = format!("SHA-1 {}, SHA-256 {}", leaf.sha1, leaf.sha256);
    match verdict {
        Err(TransportError::TlsPinMismatch { .. }) => Check::fail(
            "tls.thumbprint",
            format!(
                "the certificate ({prints}) matches no --pin-thumbprint ({})",
                opts.tls.pinned_thumbprints.join(", ")
            ),
            format!(
                "if the server's certificate was renewed on purpose, pin the new one: --pin-thumbprint {}",
                leaf.sha1
            ),
        ),
        _ if !opts.tls.pinned_thumbprints.is_empty() => {
            Check::pass("tls.thumbprint", format!("{prints}; pinned"))
        }
        _ => Check::pass("tls.thumbprint", prints),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_exactly_by_wildcard_or_address() {
        let names = vec![
            "ex01.corp.test".to_owned(),
            "*.mail.test".to_owned(),
            "10.0.0.5".to_owned(),
        ];
        assert!(name_matches(&names, "EX01.corp.test"));
        assert!(name_matches(&names, "owa.mail.test"));
        assert!(!name_matches(&names, "a.b.mail.test"));
        assert!(!name_matches(&names, "ex01"));
        assert!(name_matches(&names, "10.0.0.5"));
        assert!(!name_matches(&names, "10.0.0.6"));
    }
}
