//! Jump-host mode: reaching Exchange when only the WinRM service (`https://<host>:5986/wsman`)
//! is open.
//!
//! The session opens a runspace pool on a full-language configuration of the WinRM service
//! (`Microsoft.PowerShell`), then runs one bootstrap script there: `New-PSSession` to Exchange's
//! local endpoint (`http://<fqdn>/PowerShell/`, configuration `Microsoft.Exchange`) with an
//! explicit PSCredential, and `Import-PSSession` of that session into the global scope. From then
//! on the Exchange cmdlets resolve to the imported proxy functions, which run them in the Exchange
//! runspace as the credential's user, with that user's RBAC.
//!
//! The credential travels as a command parameter of the script, its password a SecureString
//! encrypted with the session key ([MS-PSRP] 2.2.2.4 PUBLIC_KEY, 2.2.2.5
//! ENCRYPTED_SESSION_KEY, 2.2.5.1.24 SecureString), never inside the script text. Because the
//! credential is explicit, the second hop needs no Kerberos delegation (no
//! `TrustedForDelegation`, no CredSSP).
//!
//! Objects come back the way implicit remoting re-serialises them: the jump host deserialised
//! them first, so their type names carry the `Deserialized.` prefix.
//!
//! ```no_run
//! use monosync_exchange::exchange::{Command, Session, SessionOptions};
//! use monosync_exchange::transport::{AuthMethod, Credentials};
//!
//! # async fn run() -> Result<(), monosync_exchange::exchange::SessionError> {
//! let options = SessionOptions::jump_host(
//!     "https://ex01.corp.example:5986/wsman",
//!     AuthMethod::Ntlm,
//!     Credentials::new("CORP\\winrm-user", "winrm secret"),
//!     "http://ex01.corp.example/PowerShell/",
//!     Credentials::new("CORP\\svc-provision", "exchange secret"),
//! );
//! let mut session = Session::connect(options).await?;
//! session
//!     .invoke(Command::new("Enable-Mailbox").param("Identity", "ann@corp.example"))
//!     .await?;
//! session.close().await
//! # }
//! ```

use crate::transport::Credentials;

use crate::command::invocation::Command;

/// The script the bootstrap runs on the WinRM service endpoint. Its parameters come from
/// [`JumpHost::bootstrap_command`]; nothing secret is ever part of the text.
///
/// `-ErrorAction Stop` makes a failed `New-PSSession` end the pipeline with its own error record
/// (`AccessDenied,PSSessionOpenFailed` for a wrong password) without changing
/// `$ErrorActionPreference` for the commands that follow. The script runs in the global scope
/// (`UseLocalScope` unset), and `Import-Module -Global` keeps the imported commands there in
/// any case.
pub const BOOTSTRAP_SCRIPT: &str = "\
param(
    [Parameter(Mandatory = $true)] [string] $ConnectionUri,
    [Parameter(Mandatory = $true)] [System.Management.Automation.PSCredential] $Credential,
    [string] $ConfigurationName = 'Microsoft.Exchange',
    [string] $Authentication = 'Kerberos'
)
$MxExchangeSession = New-PSSession -ConfigurationName $ConfigurationName -ConnectionUri $ConnectionUri -Credential $Credential -Authentication $Authentication -ErrorAction Stop
Import-Module (Import-PSSession -Session $MxExchangeSession -DisableNameChecking -AllowClobber -ErrorAction Stop) -Global -DisableNameChecking
";

/// How the jump host authenticates to Exchange: `-Authentication` of `New-PSSession`
/// (`System.Management.Automation.Runspaces.AuthenticationMechanism`).
///
/// Only mechanisms that use the explicit credential without delegating it are offered; CredSSP
/// would hand the password to the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum RemoteAuthentication {
    /// Kerberos, what Exchange's `/PowerShell` virtual directory accepts by default.
    #[default]
    Kerberos,
    /// Negotiate (Kerberos, or NTLM when Kerberos is not available).
    Negotiate,
    /// The WinRM client's default (Negotiate).
    Default,
}

impl RemoteAuthentication {
    /// The enum name PowerShell binds to `-Authentication`.
    pub fn as_str(self) -> &'static str {
        match self {
            RemoteAuthentication::Kerberos => "Kerberos",
            RemoteAuthentication::Negotiate => "Negotiate",
            RemoteAuthentication::Default => "Default",
        }
    }
}

/// The second hop of jump-host mode: where the jump host connects and as whom. Build it with
/// [`JumpHost::new`] and adjust the fields.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct JumpHost {
    /// Exchange's endpoint as the jump host sees it, `http://<fqdn>/PowerShell/`. Kerberos
    /// needs the FQDN, not an address.
    pub exchange_uri: String,
    /// The Exchange account (`DOMAIN\user` or `user@domain`) and its password, sent as a
    /// PSCredential whose password is a SecureString.
    pub credentials: Credentials,
    /// `-Authentication` of `New-PSSession`.
    pub authentication: RemoteAuthentication,
    /// `-ConfigurationName` of `New-PSSession`: `Microsoft.Exchange`.
    pub configuration: String,
    /// The session configuration of the WinRM service the client opens first; it must allow
    /// scripts (FullLanguage), as `Microsoft.PowerShell` does.
    pub winrm_configuration: String,
}

impl PartialEq for JumpHost {
    fn eq(&self, other: &Self) -> bool {
        self.exchange_uri == other.exchange_uri
            && self.credentials.username == other.credentials.username
            && *self.credentials.password == *other.credentials.password
            && self.authentication == other.authentication
            && self.configuration == other.configuration
            && self.winrm_configuration == other.winrm_configuration
    }
}

impl Eq for JumpHost {}

impl JumpHost {
    /// Exchange at `exchange_uri` as `credentials`, with Kerberos, from `Microsoft.PowerShell`.
    pub fn new(exchange_uri: impl Into<String>, credentials: Credentials) -> Self {
        JumpHost {
            exchange_uri: exchange_uri.into(),
            credentials,
            authentication: RemoteAuthentication::default(),
            configuration: "Microsoft.Exchange".to_owned(),
            winrm_configuration: "Microsoft.PowerShell".to_owned(),
        }
    }

    /// The bootstrap as one PSRP command: [`BOOTSTRAP_SCRIPT`] with its parameters, the
    /// credential among them.
    pub fn bootstrap_command(&self) -> Command {
        Command::script(BOOTSTRAP_SCRIPT)
            .param("ConnectionUri", self.exchange_uri.as_str())
            .credential(
                "Credential",
                self.credentials.username.as_str(),
                self.credentials.password.as_str(),
            )
            .param("ConfigurationName", self.configuration.as_str())
            .param("Authentication", self.authentication.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clixml::{EncryptedSecureString, PsValue};
    use crate::exchange::Invocation;

    fn jump() -> JumpHost {
        JumpHost::new(
            "http://ex01.contoso.com/PowerShell/",
            Credentials::new("CONTOSO\\recipientadmin", "Recipients1!"),
        )
    }

    #[test]
    fn the_script_names_the_parameters_it_is_given() {
        let cmd = jump().bootstrap_command();
        assert!(cmd.is_script);
        let names: Vec<&str> = cmd.args.iter().filter_map(|a| a.name.as_deref()).collect();
        assert_eq!(
            names,
            [
                "ConnectionUri",
                "Credential",
                "ConfigurationName",
                "Authentication"
            ]
        );
        for name in names {
            assert!(BOOTSTRAP_SCRIPT.contains(&format!("${name}")), "{name}");
        }
        assert!(BOOTSTRAP_SCRIPT.contains("New-PSSession"));
        assert!(BOOTSTRAP_SCRIPT.contains("Import-PSSession"));
    }

    #[test]
    fn the_password_is_only_ever_a_secure_string() {
        let cmd = jump().bootstrap_command();
        assert!(!cmd.name.contains("Recipients1!"));
        assert!(!format!("{cmd:?}").contains("Recipients1!"));
        let inv = Invocation::from(cmd);
        assert!(inv.needs_session_key());
        let spec = inv
            .into_spec(|text| {
                assert_eq!(text, "Recipients1!");
                Ok(PsValue::SecureString(EncryptedSecureString(vec![0xAA; 16])))
            })
            .expect("spec");
        let c = &spec.statements[0][0];
        let cred = c.parameter("Credential").expect("credential");
        assert_eq!(
            cred.property("UserName").and_then(PsValue::as_str),
            Some("CONTOSO\\recipientadmin")
        );
        assert!(matches!(
            cred.property("Password"),
            Some(PsValue::SecureString(_))
        ));
        assert_eq!(
            c.parameter("Authentication").and_then(PsValue::as_str),
            Some("Kerberos")
        );
        assert_eq!(
            c.parameter("ConnectionUri").and_then(PsValue::as_str),
            Some("http://ex01.contoso.com/PowerShell/")
        );
    }

    #[test]
    fn jump_hosts_compare_by_value() {
        let a = jump();
        let mut b = jump();
        assert_eq!(a, b);
        b.credentials = Credentials::new("CONTOSO\\recipientadmin", "other");
        assert_ne!(a, b);
        assert_eq!(RemoteAuthentication::Negotiate.as_str(), "Negotiate");
        assert!(!format!("{a:?}").contains("Recipients1!"));
    }
}
