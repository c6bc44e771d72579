//! What an administrator can change to cure a [`SessionError`]: the remedies Windows and
//! Exchange documentation give for each failure, filled in with what the error carries
//! (certificate dates, names, the cmdlet, the role group that grants it).

use crate::psrp::messages::ErrorRecord;
use crate::transport::TransportError;
use crate::wsman::WsManFault;
use crate::wsman::fault::{CODE_ACCESS_DENIED, CODE_SHELL_QUOTA};

use crate::error::kind::{ErrorKind, is_confirmation_prompt};
use crate::error::{SessionError, fault_kind, transport_kind};

/// Cmdlet nouns the Recipient Management role group grants (Mail Recipients, Mail Recipient
/// Creation, Distribution Groups roles).
const RECIPIENT_NOUNS: &[&str] = &[
    "Mailbox",
    "User",
    "Recipient",
    "RemoteMailbox",
    "MailContact",
    "MailUser",
    "DistributionGroup",
    "DistributionGroupMember",
    "MailboxPermission",
    "CASMailbox",
];

pub(super) fn of(e: &SessionError) -> Option<String> {
    match e {
        SessionError::Transport(t) => transport(t),
        SessionError::Fault(f) => fault(f),
        SessionError::Pipeline(p) => p.record.as_ref().and_then(record),
        SessionError::PoolEnded { .. } | SessionError::State(crate::psrp::StateError::Broken { .. }) => {
            Some(BROKEN.to_owned())
        }
        SessionError::OpenTimeout(_) => Some(
            "check the server's load and the event log (MSExchangePowerShellAppPool); raise \
             open_timeout if opening is merely slow"
                .to_owned(),
        ),
        SessionError::Timeout(_) => Some(
            "raise invoke_timeout, or narrow the command (-ResultSize, -Filter, -OrganizationalUnit)"
                .to_owned(),
        ),
        _ => None,
    }
}

const BROKEN: &str = "the server's runspace broke (an application pool recycle or a crashed worker): \
open a new session; if it recurs, check the MSExchangePowerShellAppPool and the event log";

fn transport(e: &TransportError) -> Option<String> {
    match e {
        TransportError::Auth {
            scheme,
            message,
            hint,
        } => Some(auth(scheme, message, hint.as_deref())),
        TransportError::Kerberos(k) => Some(k.hint()),
        TransportError::TlsExpired {
            not_before,
            not_after,
        } => Some(format!(
            "the listener certificate is valid from {not_before} to {not_after}: renew it, then bind \
             the new one. For the WinRM listener: winrm set winrm/config/Listener?Address=*+Transport=HTTPS \
             @{{CertificateThumbprint=\"<new>\"}}; for Exchange's /PowerShell/ site: \
             Enable-ExchangeCertificate -Thumbprint <new> -Services IIS. If the dates look right, \
             check this machine's clock"
        )),
        TransportError::TlsWrongName { host, names } => Some(format!(
            "connect with a name the certificate carries ({}), or issue a certificate that \
             includes `{host}` and bind it to the listener",
            names.join(", ")
        )),
        TransportError::TlsUntrusted { sha1, .. } => Some(format!(
            "trust the issuing CA (a CA file), or pin the certificate by its thumbprint {sha1} \
             after checking it on the server (Get-ChildItem Cert:\\LocalMachine\\My)"
        )),
        TransportError::TlsRejected { problem, sha1, .. } => Some(format!(
            "{}; until then, pin the certificate by its thumbprint {sha1} after checking it on \
             the server (Get-ChildItem Cert:\\LocalMachine\\My)",
            problem.fix()
        )),
        TransportError::TlsPinMismatch { sha1, .. } => Some(format!(
            "the server presents another certificate (SHA-1 {sha1}) than the pinned one: if it \
             was renewed, check the new thumbprint on the server and update the pin; otherwise \
             something intercepts the connection"
        )),
        TransportError::Connect { .. } => Some(
            "check that the server listens on the URL's port (WinRM 5985/5986, Exchange's IIS \
             80/443) and that no firewall drops it"
                .to_owned(),
        ),
        TransportError::Resolve { host, .. } => Some(format!(
            "check the DNS name `{host}`, or give its address with a resolve override"
        )),
        TransportError::Http { status: 503, .. } => Some(
            "the server is busy or its application pool is restarting: retry with backoff".to_owned(),
        ),
        TransportError::Http { .. } if transport_kind(e) == ErrorKind::Throttled => Some(THROTTLED.to_owned()),
        TransportError::Http { .. } if transport_kind(e) == ErrorKind::AccessDenied => Some(
            "the account may not use remote PowerShell: Set-User <account> -RemotePowerShellEnabled \
             $true, check client access rules, and add it to a management role group"
                .to_owned(),
        ),
        _ => None,
    }
}

const THROTTLED: &str = "the throttling policy's budget is spent: wait the time the message gives \
and retry with backoff, use fewer concurrent sessions, or assign the account a policy with higher \
limits (New-ThrottlingPolicy / Set-ThrottlingPolicyAssociation, PowerShellMaxConcurrency, \
PowerShellMaxCmdlets)";

fn auth(scheme: &str, message: &str, transport_hint: Option<&str>) -> String {
    let mut out = String::new();
    if let Some(h) = transport_hint {
        out.push_str(h);
    }
    // NTLM travels under the Negotiate scheme too, so a Negotiate failure is Kerberos's only
    // when its words say so.
    let words = format!("{message} {}", transport_hint.unwrap_or_default());
    let kerberos = scheme.eq_ignore_ascii_case("Kerberos")
        || ["Kerberos", "KDC", "SPN", "ticket"]
            .iter()
            .any(|w| words.contains(w));
    if kerberos {
        push(
            &mut out,
            "connect with the server's FQDN (not an address or a CNAME alias) and check that the \
             SPN is registered once, to the account that runs the service: setspn -S HTTP/<fqdn> \
             <account> (setspn -Q HTTP/<fqdn> lists duplicates)",
        );
    }
    if transport_hint.is_some_and(|h| h.contains("no channel binding was sent")) {
        push(
            &mut out,
            "the listener requires channel binding (CbtHardeningLevel Strict): connect over HTTPS \
             so the client can send it",
        );
    } else if !scheme.eq_ignore_ascii_case("Basic") && message.contains("HTTP 401") {
        push(
            &mut out,
            "if the credentials are right and the URL is https: a listener with channel-binding \
             hardening Strict refuses bindings that do not match its own certificate, as when a \
             TLS-inspecting proxy or a load balancer terminates TLS; connect to the server \
             directly (or make the balancer pass TLS through), or as a last resort relax it: \
             winrm set winrm/config/service/auth @{CbtHardeningLevel=\"Relaxed\"}",
        );
    }
    if out.is_empty() {
        out.push_str("check the user name (DOMAIN\\user or user@domain) and the password");
    }
    out
}

fn push(out: &mut String, text: &str) {
    if !out.is_empty() {
        out.push_str("; ");
    }
    out.push_str(text);
}

fn fault(f: &WsManFault) -> Option<String> {
    match f.wsman_code {
        Some(CODE_ACCESS_DENIED) => Some(
            "the account is authenticated but may not use this endpoint: add it to the local \
             Remote Management Users group on the server (net localgroup \"Remote Management \
             Users\" <account> /add), or grant it in the session configuration \
             (Set-PSSessionConfiguration <name> -ShowSecurityDescriptorUI)"
                .to_owned(),
        ),
        Some(CODE_SHELL_QUOTA) => Some(format!(
            "the account holds the most shells it may: close unused sessions (each session holds \
             one shell until closed or idle), or raise the limit (Exchange: \
             PowerShellMaxConcurrency of its throttling policy; WinRM: winrm set \
             winrm/config/winrs @{{MaxShellsPerUser=\"<n>\"}}){}",
            f.machine
                .as_deref()
                .map(|m| format!(" on {m}"))
                .unwrap_or_default()
        )),
        _ => match fault_kind(f) {
            ErrorKind::Transient => Some(BROKEN.to_owned()),
            ErrorKind::Throttled => Some(THROTTLED.to_owned()),
            _ => None,
        },
    }
}

fn record(r: &ErrorRecord) -> Option<String> {
    if is_confirmation_prompt(r) {
        return Some(
            "the cmdlet asked for confirmation, which a non-interactive session cannot give: pass \
             -Confirm:$false (Command::confirm(false))"
                .to_owned(),
        );
    }
    match ErrorKind::of_record(r) {
        ErrorKind::AccessDenied => Some(rbac(r)),
        ErrorKind::Throttled => Some(THROTTLED.to_owned()),
        ErrorKind::Transient => Some(BROKEN.to_owned()),
        _ => None,
    }
}

/// The cmdlet an RBAC refusal names: CommandNotFoundException's target (`Get-X:String`), the
/// first quoted word of its text, or the CategoryInfo activity.
fn refused_cmdlet(r: &ErrorRecord) -> Option<String> {
    let info = r.category_info();
    if let Some(name) = info
        .as_ref()
        .and_then(|c| c.target_name.clone())
        .filter(|n| n.contains('-'))
    {
        return Some(name);
    }
    if let Some(m) = r.message()
        && let Some(start) = m.find('\'')
        && let Some(rest) = m.get(start + 1..)
        && let Some(end) = rest.find('\'')
        && let Some(name) = rest.get(..end).filter(|n| n.contains('-'))
    {
        return Some(name.to_owned());
    }
    info.and_then(|c| c.activity).filter(|a| a.contains('-'))
}

/// The built-in role group that grants `cmdlet`.
pub(super) fn role_group_for(cmdlet: &str) -> &'static str {
    let noun = cmdlet.split_once('-').map_or(cmdlet, |(_, n)| n);
    if RECIPIENT_NOUNS.iter().any(|n| n.eq_ignore_ascii_case(noun)) {
        "Recipient Management"
    } else if cmdlet.to_ascii_lowercase().starts_with("get-") {
        "View-Only Organization Management"
    } else {
        "Organization Management"
    }
}

fn rbac(r: &ErrorRecord) -> String {
    match refused_cmdlet(r) {
        Some(cmdlet) => {
            let group = role_group_for(&cmdlet);
            format!(
                "`{cmdlet}` is not in the account's management roles (Exchange hides cmdlets a \
                 user's roles do not grant): add the account to a role group that grants it, e.g. \
                 Add-RoleGroupMember \"{group}\" -Member <account>, then open a new session"
            )
        }
        None => "the account's management roles do not grant this: add it to a role group that \
                 does (Add-RoleGroupMember \"<group>\" -Member <account>), then open a new session"
            .to_owned(),
    }
}
