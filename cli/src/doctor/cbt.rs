//! Channel binding over HTTPS: authenticate with the right bindings, then with the bindings of
//! another certificate. A server that accepts the second does not enforce extended protection,
//! so a TLS-terminating relay can forward the handshake.

use monosync_exchange::transport::probe::{self, BindingOutcome, ChannelBinding};
use monosync_exchange::transport::{AuthMethod, TransportOptions};

use super::report::{Check, Report};
use super::target::Url;

const FIX: &str = "winrm set winrm/config/service/auth @{CbtHardeningLevel=\"Strict\"} (for Exchange's /PowerShell in IIS: Extended Protection \"Require\" on the virtual directory)";

/// `cbt.enforced`.
pub(crate) async fn check(url: &Url, opts: &TransportOptions, report: &mut Report) {
    if !url.https {
        report.push(Check::skip(
            "cbt.enforced",
            "channel binding exists only over HTTPS",
        ));
        return;
    }
    if opts.auth == AuthMethod::Basic {
        report.push(Check::skip(
            "cbt.enforced",
            "Basic authentication carries no channel binding",
        ));
        return;
    }
    if !report.passed("auth.account") {
        report.push(Check::skip(
            "cbt.enforced",
            "needs a working logon (see auth.account)",
        ));
        return;
    }
    match probe::authenticate_with_binding(opts, ChannelBinding::Correct).await {
        Ok(BindingOutcome::Accepted) => {}
        Ok(_) => {
            report.push(Check::fail(
                "cbt.enforced",
                "the server refused a handshake with correct channel bindings",
                "check that no TLS-terminating proxy sits in front of the server (it changes the certificate the bindings name)",
            ));
            return;
        }
        Err(e) => {
            report.push(Check::skip(
                "cbt.enforced",
                format!("could not authenticate: {e}"),
            ));
            return;
        }
    }
    let wrong = probe::authenticate_with_binding(opts, ChannelBinding::Wrong).await;
    match wrong {
        Ok(BindingOutcome::Accepted) => report.push(Check::warn(
            "cbt.enforced",
            "the server accepted a handshake whose channel bindings name another certificate: CBT hardening is off (CbtHardeningLevel None), so relayed NTLM or Kerberos logons are not stopped",
            FIX,
        )),
        Ok(_) => {
            let level = match probe::authenticate_with_binding(opts, ChannelBinding::Absent).await {
                Ok(BindingOutcome::Accepted) => "Relaxed: bindings are checked when sent",
                Ok(_) => "Strict: bindings are required",
                Err(_) => "bindings are checked",
            };
            report.push(Check::pass(
                "cbt.enforced",
                format!("wrong channel bindings are refused ({level})"),
            ));
        }
        Err(e) => report.push(Check::skip(
            "cbt.enforced",
            format!("the probe with wrong bindings failed: {e}"),
        )),
    }
}
