//! Fixes more than one check gives.

use monosync_exchange::wsman::WsManFault;
use monosync_exchange::wsman::fault::{CODE_ACCESS_DENIED, CODE_SHELL_QUOTA};

/// Whether the fault is WinRM's "Access is denied" (Win32 error 5).
pub(crate) fn is_access_denied(fault: &WsManFault) -> bool {
    fault.wsman_code == Some(CODE_ACCESS_DENIED)
        || fault.soap_subcode.as_deref() == Some("AccessDenied")
}

/// Whether the fault is the per-user shell quota.
pub(crate) fn is_shell_quota(fault: &WsManFault) -> bool {
    fault.wsman_code == Some(CODE_SHELL_QUOTA)
        || fault.soap_subcode.as_deref() == Some("QuotaLimit")
}

/// What lets an authenticated account in: the Remote Management Users group for WinRM, and
/// for Exchange's endpoint an RBAC role group and remote PowerShell enabled.
pub(crate) fn group_membership(user: &str) -> String {
    let bare = user.rsplit('\\').next().unwrap_or(user);
    let bare = bare.split('@').next().unwrap_or(bare);
    format!(
        "the account authenticates but may not use remoting: add it to Remote Management Users on the server (net localgroup \"Remote Management Users\" {user} /add) for WinRM, and for Exchange to a role group (Add-RoleGroupMember \"Recipient Management\" -Member {bare}) with Set-User {bare} -RemotePowerShellEnabled $true"
    )
}

/// What to do when the account has no shell left.
pub(crate) const SHELL_QUOTA: &str = "close the account's stale sessions (Get-PSSession | Remove-PSSession on the clients that opened them) or wait for their idle timeout; if it is simply too low, raise PowerShellMaxConcurrency in the account's throttling policy (New-ThrottlingPolicy / Set-ThrottlingPolicyAssociation)";

/// The largest number in a quota fault's message ("a maximum number of 18 concurrent shells").
pub(crate) fn quota_of(fault: &WsManFault) -> Option<u32> {
    let text = fault.message.as_deref().unwrap_or(&fault.reason);
    text.split(|c: char| !c.is_ascii_digit())
        .filter_map(|w| w.parse::<u32>().ok())
        .max()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_faults_and_reads_the_quota() {
        let quota = WsManFault::shell_quota_exceeded(18, "EX01");
        assert!(is_shell_quota(&quota));
        assert!(!is_access_denied(&quota));
        assert_eq!(quota_of(&quota), Some(18));
        let denied = WsManFault::access_denied("EX01");
        assert!(is_access_denied(&denied));
        assert!(group_membership("CORP\\bob").contains("-Member bob"));
    }
}
