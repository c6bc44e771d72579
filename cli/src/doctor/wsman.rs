//! WS-Management: the authentication schemes a 401 offers, then an authenticated Identify,
//! which proves the account can log on and names the server's WS-Management stack.

use monosync_exchange::transport::probe;
use monosync_exchange::transport::{AuthMethod, Transport, TransportError, TransportOptions};
use monosync_exchange::wsman::{Header, Request, Response, WsmanError};

use super::hints;
use super::report::{Check, Report};
use super::target::Url;

fn method_scheme(auth: AuthMethod) -> &'static [&'static str] {
    match auth {
        AuthMethod::Kerberos => &["Negotiate", "Kerberos"],
        AuthMethod::Ntlm => &["Negotiate", "NTLM"],
        AuthMethod::Basic => &["Basic"],
        _ => &["Negotiate"],
    }
}

fn method_name(auth: AuthMethod) -> &'static str {
    match auth {
        AuthMethod::Kerberos => "Kerberos",
        AuthMethod::Ntlm => "NTLM",
        AuthMethod::Basic => "Basic",
        _ => "Negotiate",
    }
}

fn enable_fix(url: &Url, auth: AuthMethod) -> String {
    let name = match auth {
        AuthMethod::Ntlm => "Negotiate",
        other => method_name(other),
    };
    if url.is_exchange() {
        "enable it on Exchange's virtual directory (Set-PowerShellVirtualDirectory -Identity \"<server>\\PowerShell (Default Web Site)\" -WindowsAuthentication $true, or -BasicAuthentication $true for Basic), or pick an offered method with --auth"
            .to_owned()
    } else {
        format!(
            "enable it on the WinRM service (winrm set winrm/config/service/auth @{{{name}=\"true\"}}), or pick an offered method with --auth"
        )
    }
}

/// `wsman.auth`: the schemes an unauthenticated request is offered, and whether `--auth` is
/// among them.
pub(crate) async fn offers(url: &Url, opts: &TransportOptions, report: &mut Report) {
    let offers = match probe::auth_offers(opts).await {
        Ok(o) => o,
        Err(e) => {
            report.push(Check::fail(
                "wsman.auth",
                format!("no HTTP answer from {}: {e}", url.render()),
                "check the URL's port and path, and that the listener is running (winrm enumerate winrm/config/Listener)",
            ));
            return;
        }
    };
    let names = offers.scheme_names();
    let wanted = method_scheme(opts.auth);
    let check = match offers.status {
        401 if names
            .iter()
            .any(|n| wanted.iter().any(|w| w.eq_ignore_ascii_case(n))) =>
        {
            Check::pass(
                "wsman.auth",
                format!("the server offers {}", names.join(", ")),
            )
        }
        401 => Check::fail(
            "wsman.auth",
            format!(
                "the server offers {} but not {}",
                if names.is_empty() {
                    "nothing".to_owned()
                } else {
                    names.join(", ")
                },
                wanted.join(" or ")
            ),
            enable_fix(url, opts.auth),
        ),
        404 => Check::fail(
            "wsman.auth",
            format!("{} answers 404: nothing serves this path", url.render()),
            "use /wsman for the WinRM service or /PowerShell/ for Exchange",
        ),
        s @ 200..=299 => Check::warn(
            "wsman.auth",
            format!("the server answered {s} without credentials"),
            "require authentication on the endpoint",
        ),
        s => Check::fail(
            "wsman.auth",
            format!(
                "unexpected HTTP {s} to an unauthenticated request (offers: {})",
                names.join(", ")
            ),
            "check that the URL is a WinRM endpoint and no proxy is in the way",
        ),
    };
    report.push(check);
}

/// `auth.account` and `wsman.identify`: one authenticated Identify ([MS-WSMV] 3.1.4.18).
pub(crate) async fn identify(opts: &TransportOptions, report: &mut Report) {
    let user = opts.credentials.username.clone();
    let method = method_name(opts.auth);
    let mut transport = match Transport::new(opts.clone()) {
        Ok(t) => t,
        Err(e) => {
            report.push(auth_failure(&user, e));
            report.push(Check::skip("wsman.identify", "needs authentication"));
            return;
        }
    };
    let envelope = Request::Identify.to_xml(&Header::default());
    let body = match transport.post(&envelope).await {
        Ok(b) => b,
        Err(e) => {
            report.push(auth_failure(&user, e));
            report.push(Check::skip("wsman.identify", "needs authentication"));
            return;
        }
    };
    match Response::parse(&body) {
        Ok((_, Response::Identify(id))) => {
            report.push(Check::pass(
                "auth.account",
                format!("{user} authenticated with {method}"),
            ));
            report.push(Check::pass(
                "wsman.identify",
                format!(
                    "{}, {} ({})",
                    id.product_vendor, id.product_version, id.protocol_version
                ),
            ));
        }
        Err(WsmanError::Fault(f)) if hints::is_access_denied(&f) => {
            report.push(Check::fail(
                "auth.account",
                format!(
                    "{user} authenticated with {method}, but the service denies access: {}",
                    f.message.as_deref().unwrap_or(&f.reason).trim()
                ),
                hints::group_membership(&user),
            ));
            report.push(Check::skip(
                "wsman.identify",
                "access denied (see auth.account)",
            ));
        }
        Err(WsmanError::Fault(f)) => {
            report.push(Check::pass(
                "auth.account",
                format!("{user} authenticated with {method}"),
            ));
            report.push(Check::fail(
                "wsman.identify",
                format!(
                    "Identify failed: {}",
                    f.message.as_deref().unwrap_or(&f.reason).trim()
                ),
                "check the WinRM service on the server (winrm get winrm/config) and its event log",
            ));
        }
        Ok((_, other)) => {
            report.push(Check::pass(
                "auth.account",
                format!("{user} authenticated with {method}"),
            ));
            report.push(Check::fail(
                "wsman.identify",
                format!(
                    "the server answered Identify with a {} response",
                    other.action()
                ),
                "check that no proxy rewrites the requests",
            ));
        }
        Err(e) => {
            report.push(Check::pass(
                "auth.account",
                format!("{user} authenticated with {method}"),
            ));
            report.push(Check::fail(
                "wsman.identify",
                format!("unreadable Identify response: {e}"),
                "check that the URL is a WinRM endpoint",
            ));
        }
    }
}

fn auth_failure(user: &str, e: TransportError) -> Check {
    match e {
        TransportError::Auth {
            message,
            hint,
            scheme,
        } => Check::fail(
            "auth.account",
            format!("{user} could not authenticate with {scheme}: {message}"),
            hint.unwrap_or_else(|| {
                "check the user name (DOMAIN\\user or user@REALM) and the password".to_owned()
            }),
        ),
        TransportError::Http { status: 401, .. } => Check::fail(
            "auth.account",
            format!("{user} was refused (HTTP 401)"),
            "check the user name and the password",
        ),
        other => Check::fail(
            "auth.account",
            format!("{user} could not log on: {other}"),
            "fix the failures above first",
        ),
    }
}
