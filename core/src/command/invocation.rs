//! What a [`crate::exchange::Session`] runs: commands whose parameters may hold secrets that travel as
//! SecureStrings ([MS-PSRP] 2.2.5.1.24), encrypted with the session key only once the session
//! has one.

use zeroize::Zeroizing;

use crate::clixml::{PsValue, ps_credential};
use crate::psrp::command::{self, MergeOptions, PowerShellSpec};
use crate::psrp::state_error::StateError;

/// A parameter value.
#[derive(Clone, PartialEq)]
pub enum ParamValue {
    /// A plain value.
    Value(PsValue),
    /// A secret sent as a SecureString (`-Password`): the session runs the key exchange
    /// ([MS-PSRP] 3.1.4) before the command and encrypts the text with the session key.
    Secure(Zeroizing<String>),
    /// A `System.Management.Automation.PSCredential` (`-Credential`): the user name in clear,
    /// the password as a SecureString encrypted like [`ParamValue::Secure`].
    Credential {
        /// `user`, `DOMAIN\user` or `user@domain`.
        user: String,
        /// The password.
        password: Zeroizing<String>,
    },
}

impl std::fmt::Debug for ParamValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ParamValue::Value(v) => f.debug_tuple("Value").field(v).finish(),
            ParamValue::Secure(_) => f.write_str("Secure(..)"),
            ParamValue::Credential { user, .. } => f
                .debug_struct("Credential")
                .field("user", user)
                .finish_non_exhaustive(),
        }
    }
}

impl<T: Into<PsValue>> From<T> for ParamValue {
    fn from(value: T) -> Self {
        ParamValue::Value(value.into())
    }
}

/// One parameter or positional argument of a [`Command`].
#[derive(Debug, Clone, PartialEq)]
pub struct Arg {
    /// The parameter name without the dash; `None` for a positional argument.
    pub name: Option<String>,
    /// The value.
    pub value: ParamValue,
}

/// How many objects an Exchange `Get-*` cmdlet returns (its `-ResultSize`, an
/// `Unlimited<UInt32>`). Without it Exchange stops at 1000 and says so in a warning
/// ([`crate::exchange::CommandResult::truncated`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResultSize {
    /// Every object (`-ResultSize Unlimited`); stream them with
    /// [`crate::exchange::Session::invoke_stream`] rather than holding them.
    Unlimited,
    /// At most this many.
    Limit(u32),
}

impl From<ResultSize> for ParamValue {
    fn from(size: ResultSize) -> Self {
        match size {
            ResultSize::Unlimited => ParamValue::Value(PsValue::String("Unlimited".into())),
            ResultSize::Limit(n) => ParamValue::Value(PsValue::U32(n)),
        }
    }
}

/// Verbs of cmdlets whose ConfirmImpact is High in Exchange (`Remove-Mailbox`,
/// `Disable-MailUser`, `Remove-DistributionGroupMember`, `Clear-MobileDevice`, ...): without
/// `-Confirm:$false` they ask the host, and a non-interactive session cannot answer.
const PROMPTING_VERBS: &[&str] = &["Remove", "Disable", "Clear", "Suspend", "Stop"];

/// Other cmdlets Exchange asks about before running.
const PROMPTING_CMDLETS: &[&str] = &[
    "Enable-ExchangeCertificate",
    "Move-ActiveMailboxDatabase",
    "Update-MailboxDatabaseCopy",
];

/// Whether Exchange asks for confirmation before running `cmdlet` unless it gets
/// `-Confirm:$false`.
pub fn prompts_for_confirmation(cmdlet: &str) -> bool {
    let verb = cmdlet.split_once('-').map_or("", |(v, _)| v);
    PROMPTING_VERBS.iter().any(|v| v.eq_ignore_ascii_case(verb))
        || PROMPTING_CMDLETS
            .iter()
            .any(|c| c.eq_ignore_ascii_case(cmdlet))
}

/// A command as the caller writes it, e.g.
/// `Command::new("New-Mailbox").param("Name", "Ann").secure("Password", pw)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Command {
    /// The cmdlet name, or script text when `is_script` is set (Exchange refuses scripts).
    pub name: String,
    /// Whether `name` is script text.
    pub is_script: bool,
    /// Parameters and positional arguments, in order.
    pub args: Vec<Arg>,
    /// Streams merged into the output ([MS-PSRP] 2.2.3.31).
    pub merge: MergeOptions,
}

impl Command {
    /// The command `name` with no parameters.
    pub fn new(name: impl Into<String>) -> Self {
        Command {
            name: name.into(),
            is_script: false,
            args: Vec::new(),
            merge: MergeOptions::default(),
        }
    }

    /// Script text whose `param()` block receives the parameters added with
    /// [`Command::param`] ([MS-PSRP] 2.2.3.12 `IsScript`). Only full-language endpoints run
    /// it; Exchange's NoLanguage runspaces refuse it.
    pub fn script(text: impl Into<String>) -> Self {
        Command {
            is_script: true,
            ..Command::new(text)
        }
    }

    /// Adds `-name value`.
    #[must_use]
    pub fn param(mut self, name: impl Into<String>, value: impl Into<ParamValue>) -> Self {
        self.args.push(Arg {
            name: Some(name.into()),
            value: value.into(),
        });
        self
    }

    /// Adds `-name` holding `secret` as a SecureString.
    #[must_use]
    pub fn secure(self, name: impl Into<String>, secret: impl Into<String>) -> Self {
        self.param(name, ParamValue::Secure(Zeroizing::new(secret.into())))
    }

    /// Adds `-name` holding a PSCredential of `user` and `password`, the password as a
    /// SecureString ([MS-PSRP] 2.2.5.1.24), e.g. `-Credential` of `New-PSSession`.
    #[must_use]
    pub fn credential(
        self,
        name: impl Into<String>,
        user: impl Into<String>,
        password: impl Into<String>,
    ) -> Self {
        self.param(
            name,
            ParamValue::Credential {
                user: user.into(),
                password: Zeroizing::new(password.into()),
            },
        )
    }

    /// Adds a switch (`-name`), sent as `$true`.
    #[must_use]
    pub fn switch(self, name: impl Into<String>) -> Self {
        self.param(name, true)
    }

    /// Adds a positional argument.
    #[must_use]
    pub fn arg(mut self, value: impl Into<ParamValue>) -> Self {
        self.args.push(Arg {
            name: None,
            value: value.into(),
        });
        self
    }

    /// Sets `-ResultSize`: [`ResultSize::Unlimited`] or [`ResultSize::Limit`].
    #[must_use]
    pub fn result_size(self, size: ResultSize) -> Self {
        self.param("ResultSize", size)
    }

    /// Sets `-Confirm:$true` or `-Confirm:$false` explicitly. Cmdlets that prompt
    /// ([`prompts_for_confirmation`]) get `-Confirm:$false` when the caller sets nothing;
    /// `confirm(true)` asks the host, which a non-interactive session refuses (an error of kind
    /// [`crate::exchange::ErrorKind::InvalidParameter`]).
    #[must_use]
    pub fn confirm(self, confirm: bool) -> Self {
        self.param("Confirm", confirm)
    }

    /// Whether a parameter named `name` is set (names compare without case, as PowerShell's).
    pub fn has_param(&self, name: &str) -> bool {
        self.args.iter().any(|a| {
            a.name
                .as_deref()
                .is_some_and(|n| n.eq_ignore_ascii_case(name))
        })
    }

    /// Sets stream merging.
    #[must_use]
    pub fn merge(mut self, merge: MergeOptions) -> Self {
        self.merge = merge;
        self
    }

    fn needs_session_key(&self) -> bool {
        self.args.iter().any(|a| {
            matches!(
                a.value,
                ParamValue::Secure(_) | ParamValue::Credential { .. }
            )
        })
    }

    fn to_psrp(
        &self,
        encrypt: &mut impl FnMut(&str) -> Result<PsValue, StateError>,
    ) -> Result<command::Command, StateError> {
        let mut out = if self.is_script {
            command::Command::script(self.name.clone())
        } else {
            command::Command::new(self.name.clone())
        }
        .merge(self.merge);
        for arg in &self.args {
            let value = match &arg.value {
                ParamValue::Value(v) => v.clone(),
                ParamValue::Secure(text) => encrypt(text)?,
                ParamValue::Credential { user, password } => match encrypt(password)? {
                    PsValue::SecureString(enc) => ps_credential(user, enc),
                    // The encryptor hands back something other than a SecureString only if
                    // it chose not to encrypt; a credential cannot carry that.
                    _ => return Err(StateError::NoSessionKey),
                },
            };
            out.parameters.push(command::Parameter {
                name: arg.name.clone(),
                value,
            });
        }
        if !self.is_script && prompts_for_confirmation(&self.name) && !self.has_param("Confirm") {
            out.parameters.push(command::Parameter {
                name: Some("Confirm".into()),
                value: PsValue::Bool(false),
            });
        }
        Ok(out)
    }
}

impl From<command::Command> for Command {
    fn from(c: command::Command) -> Self {
        Command {
            name: c.name,
            is_script: c.is_script,
            args: c
                .parameters
                .into_iter()
                .map(|p| Arg {
                    name: p.name,
                    value: ParamValue::Value(p.value),
                })
                .collect(),
            merge: c.merge,
        }
    }
}

/// What one invocation runs: a ready [`PowerShellSpec`], or a pipeline of [`Command`]s that may
/// hold secrets.
#[derive(Debug, Clone, PartialEq)]
pub enum Invocation {
    /// A complete spec; its values are sent as they are.
    Spec(PowerShellSpec),
    /// One statement piping these commands together, with no input.
    Pipeline(Vec<Command>),
}

impl Invocation {
    /// Whether a SecureString must be encrypted, so the session key is needed first.
    pub fn needs_session_key(&self) -> bool {
        match self {
            Invocation::Spec(_) => false,
            Invocation::Pipeline(cmds) => cmds.iter().any(Command::needs_session_key),
        }
    }

    /// The spec to send, each secret replaced by `encrypt(secret)`.
    pub fn into_spec(
        self,
        mut encrypt: impl FnMut(&str) -> Result<PsValue, StateError>,
    ) -> Result<PowerShellSpec, StateError> {
        match self {
            Invocation::Spec(spec) => Ok(spec),
            Invocation::Pipeline(cmds) => {
                let commands = cmds
                    .iter()
                    .map(|c| c.to_psrp(&mut encrypt))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(PowerShellSpec::pipeline(commands))
            }
        }
    }
}

impl From<PowerShellSpec> for Invocation {
    fn from(spec: PowerShellSpec) -> Self {
        Invocation::Spec(spec)
    }
}

impl From<Command> for Invocation {
    fn from(c: Command) -> Self {
        Invocation::Pipeline(vec![c])
    }
}

impl From<command::Command> for Invocation {
    fn from(c: command::Command) -> Self {
        Invocation::Spec(PowerShellSpec::new(c))
    }
}

impl From<Vec<Command>> for Invocation {
    fn from(cmds: Vec<Command>) -> Self {
        Invocation::Pipeline(cmds)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clixml::EncryptedSecureString;

    fn fake_encrypt(text: &str) -> Result<PsValue, StateError> {
        Ok(PsValue::SecureString(EncryptedSecureString(
            text.bytes().rev().collect(),
        )))
    }

    #[test]
    fn plain_commands_need_no_key_and_keep_their_values() {
        let inv: Invocation = Command::new("Get-Mailbox")
            .param("Identity", "ann")
            .switch("IgnoreDefaultScope")
            .arg(5i32)
            .into();
        assert!(!inv.needs_session_key());
        let spec = inv
            .into_spec(|_| Err(StateError::NoSessionKey))
            .expect("no encryption needed");
        let cmd = &spec.statements[0][0];
        assert_eq!(cmd.name, "Get-Mailbox");
        assert_eq!(
            cmd.parameter("identity"),
            Some(&PsValue::String("ann".into()))
        );
        assert_eq!(
            cmd.parameter("IgnoreDefaultScope"),
            Some(&PsValue::Bool(true))
        );
        assert_eq!(cmd.positional().collect::<Vec<_>>(), vec![&PsValue::I32(5)]);
        assert!(spec.no_input);
    }

    #[test]
    fn secrets_are_encrypted_in_place() {
        let inv: Invocation = vec![
            Command::new("New-Mailbox")
                .param("Name", "Ann")
                .secure("Password", "P@ss")
                .param("ResetPasswordOnNextLogon", false),
        ]
        .into();
        assert!(inv.needs_session_key());
        let spec = inv.into_spec(fake_encrypt).expect("encrypted");
        let cmd = &spec.statements[0][0];
        assert_eq!(
            cmd.parameter("Password"),
            Some(&PsValue::SecureString(EncryptedSecureString(
                b"ss@P".to_vec()
            )))
        );
        assert_eq!(cmd.parameters.len(), 3);
        assert_eq!(
            cmd.parameters[2].name.as_deref(),
            Some("ResetPasswordOnNextLogon")
        );
    }

    #[test]
    fn credentials_become_ps_credentials_with_an_encrypted_password() {
        let inv: Invocation = Command::script("param($Credential) $Credential")
            .credential("Credential", "CONTOSO\\svc", "Secr3t!")
            .into();
        assert!(inv.needs_session_key());
        let spec = inv.into_spec(fake_encrypt).expect("encrypted");
        let cmd = &spec.statements[0][0];
        assert!(cmd.is_script);
        let cred = cmd.parameter("Credential").expect("credential");
        let obj = cred.as_object().expect("object");
        assert_eq!(
            obj.type_names
                .as_deref()
                .and_then(|t| t.first())
                .map(String::as_str),
            Some("System.Management.Automation.PSCredential")
        );
        assert_eq!(
            cred.property("UserName").and_then(PsValue::as_str),
            Some("CONTOSO\\svc")
        );
        assert_eq!(
            cred.property("Password"),
            Some(&PsValue::SecureString(EncryptedSecureString(
                b"!t3rceS".to_vec()
            )))
        );
        let c = Command::new("New-PSSession").credential("Credential", "u", "hunter2");
        let shown = format!("{c:?}");
        assert!(
            shown.contains("Credential") && !shown.contains("hunter2"),
            "{shown}"
        );
    }

    #[test]
    fn a_missing_key_is_an_error() {
        let inv: Invocation = Command::new("Set-Mailbox").secure("Password", "x").into();
        assert!(matches!(
            inv.into_spec(|_| Err(StateError::NoSessionKey)),
            Err(StateError::NoSessionKey)
        ));
    }

    #[test]
    fn secrets_do_not_show_in_debug_output() {
        let c = Command::new("New-Mailbox").secure("Password", "hunter2");
        assert!(!format!("{c:?}").contains("hunter2"));
    }

    #[test]
    fn prompting_cmdlets_get_confirm_false_unless_the_caller_set_it() {
        let spec = Invocation::from(Command::new("Remove-MailContact").param("Identity", "bob"))
            .into_spec(fake_encrypt)
            .expect("spec");
        let cmd = &spec.statements[0][0];
        assert_eq!(cmd.parameter("Confirm"), Some(&PsValue::Bool(false)));
        let spec = Invocation::from(Command::new("Disable-Mailbox").confirm(true))
            .into_spec(fake_encrypt)
            .expect("spec");
        let cmd = &spec.statements[0][0];
        assert_eq!(cmd.parameters.len(), 1);
        assert_eq!(cmd.parameter("confirm"), Some(&PsValue::Bool(true)));
        let spec = Invocation::from(Command::new("Set-Mailbox").param("Identity", "bob"))
            .into_spec(fake_encrypt)
            .expect("spec");
        assert_eq!(spec.statements[0][0].parameter("Confirm"), None);
        assert!(prompts_for_confirmation("remove-distributiongroupmember"));
        assert!(prompts_for_confirmation("Enable-ExchangeCertificate"));
        assert!(!prompts_for_confirmation("Enable-Mailbox"));
        assert!(!prompts_for_confirmation("Removal"));
    }

    #[test]
    fn result_sizes() {
        let c = Command::new("Get-Mailbox").result_size(ResultSize::Unlimited);
        assert_eq!(
            c.args[0].value,
            ParamValue::Value(PsValue::String("Unlimited".into()))
        );
        let c = Command::new("Get-Mailbox").result_size(ResultSize::Limit(5));
        assert_eq!(c.args[0].value, ParamValue::Value(PsValue::U32(5)));
        assert!(c.has_param("resultsize"));
    }

    #[test]
    fn psrp_commands_convert_both_ways() {
        let psrp = command::Command::new("Get-User").param("Identity", "bob");
        let c: Command = psrp.clone().into();
        let spec = Invocation::from(c).into_spec(fake_encrypt).expect("spec");
        assert_eq!(spec.statements[0][0], psrp);
    }
}
