//! Error records of the jump-host bootstrap as Windows PowerShell 5.1 writes them: the
//! parameter binder's, and `New-PSSession`'s `PSRemotingTransportException`s, whose
//! FullyQualifiedErrorId is `<reason>,PSSessionOpenFailed` (`AccessDenied` for a refused
//! logon, the WinRM error code for other transport errors).

use monosync_exchange::clixml::PsValue;

use crate::exchange::{ErrorCategory, SimErrorRecord};

fn owned(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

const BINDING_BASES: &[&str] = &[
    "System.Management.Automation.RuntimeException",
    "System.SystemException",
    "System.Exception",
    "System.Object",
];

const TRANSPORT_BASES: &[&str] = &[
    "System.Management.Automation.RuntimeException",
    "System.SystemException",
    "System.Exception",
    "System.Object",
];

/// A command of the bootstrap: its name and .NET class, which binding errors name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Cmdlet {
    pub(crate) name: &'static str,
    pub(crate) class: &'static str,
}

fn binding(
    cmdlet: Option<Cmdlet>,
    exception: &str,
    id: &str,
    category: ErrorCategory,
    message: String,
    target: Option<&str>,
) -> SimErrorRecord {
    let fully_qualified_error_id = match cmdlet {
        Some(c) => format!("{id},{}", c.class),
        None => id.to_owned(),
    };
    SimErrorRecord {
        exception_type: format!("System.Management.Automation.{exception}"),
        exception_base_types: if exception == "ParameterBindingException" {
            owned(BINDING_BASES)
        } else {
            let mut bases = owned(&["System.Management.Automation.ParameterBindingException"]);
            bases.extend(owned(BINDING_BASES));
            bases
        },
        message,
        category: category.code(),
        category_name: category.name().into(),
        activity: cmdlet.map(|c| c.name.to_owned()).unwrap_or_default(),
        reason: exception.to_owned(),
        target_name: target.unwrap_or_default().to_owned(),
        target_type: if target.is_some() { "String" } else { "" }.to_owned(),
        fully_qualified_error_id,
        target_object: target.map(|t| PsValue::String(t.to_owned())),
        terminating: true,
    }
}

/// `-Name` matches no parameter of the command (or of the script, for `cmdlet` `None`).
pub(crate) fn parameter_not_found(cmdlet: Option<Cmdlet>, name: &str) -> SimErrorRecord {
    binding(
        cmdlet,
        "ParameterBindingException",
        "NamedParameterNotFound",
        ErrorCategory::InvalidArgument,
        format!("A parameter cannot be found that matches parameter name '{name}'."),
        None,
    )
}

/// `-Name` is a prefix of several parameters.
pub(crate) fn parameter_ambiguous(cmdlet: Cmdlet, name: &str, matches: &[&str]) -> SimErrorRecord {
    let list: Vec<String> = matches.iter().map(|m| format!("-{m}")).collect();
    binding(
        Some(cmdlet),
        "ParameterBindingException",
        "AmbiguousParameter",
        ErrorCategory::InvalidArgument,
        format!(
            "Parameter cannot be processed because the parameter name '{name}' is ambiguous. Possible matches include: {}.",
            list.join(" ")
        ),
        None,
    )
}

/// `-Name` given twice.
pub(crate) fn parameter_repeated(cmdlet: Cmdlet, name: &str) -> SimErrorRecord {
    binding(
        Some(cmdlet),
        "ParameterBindingException",
        "ParameterAlreadyBound",
        ErrorCategory::InvalidArgument,
        format!(
            "Cannot bind parameter because parameter '{name}' is specified more than once. To provide multiple values to parameters that can accept multiple values, use the array syntax. For example, \"-parameter value1,value2,value3\"."
        ),
        None,
    )
}

/// `-Name` at the end of the command with no value after it.
pub(crate) fn missing_argument(cmdlet: Cmdlet, name: &str) -> SimErrorRecord {
    binding(
        Some(cmdlet),
        "ParameterBindingException",
        "MissingArgument",
        ErrorCategory::InvalidArgument,
        format!(
            "Missing an argument for parameter '{name}'. Specify a parameter of type 'System.Object' and try again."
        ),
        None,
    )
}

/// A value with no positional parameter left to take it.
pub(crate) fn positional_not_found(cmdlet: Cmdlet, value: &str) -> SimErrorRecord {
    binding(
        Some(cmdlet),
        "ParameterBindingException",
        "PositionalParameterNotFound",
        ErrorCategory::InvalidArgument,
        format!("A positional parameter cannot be found that accepts argument '{value}'."),
        None,
    )
}

/// A mandatory parameter without a value; a remote host cannot prompt for it.
pub(crate) fn missing_mandatory(cmdlet: Cmdlet, name: &str) -> SimErrorRecord {
    binding(
        Some(cmdlet),
        "ParameterBindingException",
        "MissingMandatoryParameter",
        ErrorCategory::InvalidArgument,
        format!(
            "Cannot process command because of one or more missing mandatory parameters: {name}."
        ),
        None,
    )
}

/// `-Session $null` on Import-PSSession (`[ValidateNotNull]`).
pub(crate) fn argument_null(cmdlet: Cmdlet, name: &str) -> SimErrorRecord {
    binding(
        Some(cmdlet),
        "ParameterBindingValidationException",
        "ParameterArgumentValidationError",
        ErrorCategory::InvalidData,
        format!(
            "Cannot validate argument on parameter '{name}'. The argument is null. Provide a valid value for the argument, and then try running the command again."
        ),
        None,
    )
}

/// A value that does not convert to the parameter's type.
pub(crate) fn cannot_convert(cmdlet: Cmdlet, name: &str, value: &str, to: &str) -> SimErrorRecord {
    binding(
        Some(cmdlet),
        "ParameterBindingException",
        "CannotConvertArgumentNoMessage",
        ErrorCategory::InvalidArgument,
        format!(
            "Cannot bind parameter '{name}'. Cannot convert value \"{value}\" to type \"{to}\"."
        ),
        None,
    )
}

/// A `-Credential` that is not a PSCredential: PowerShell would prompt for the password, which
/// a host without a user cannot do.
pub(crate) fn credential_transformation(cmdlet: Cmdlet) -> SimErrorRecord {
    binding(
        Some(cmdlet),
        "ParameterBindingArgumentTransformationException",
        "ParameterArgumentTransformationError",
        ErrorCategory::InvalidData,
        "Cannot process argument transformation on parameter 'Credential'. A command that prompts the user failed because the host program or the command type does not support user interaction. The host was attempting to request confirmation with the following message: Enter your credentials.".into(),
        None,
    )
}

/// Pipeline input given to a command that takes none.
pub(crate) fn input_not_bound(cmdlet: Cmdlet) -> SimErrorRecord {
    binding(
        Some(cmdlet),
        "ParameterBindingException",
        "InputObjectNotBound",
        ErrorCategory::InvalidArgument,
        "The input object cannot be bound to any parameters for the command either because the command does not take pipeline input or the input and its properties do not match any of the parameters that take pipeline input.".into(),
        None,
    )
}

/// `New-PSSession` failing to open the runspace: a `PSRemotingTransportException` whose target
/// is the remote runspace.
fn open_failed(host: &str, reason: &str, detail: &str) -> SimErrorRecord {
    SimErrorRecord {
        exception_type: "System.Management.Automation.Remoting.PSRemotingTransportException".into(),
        exception_base_types: owned(TRANSPORT_BASES),
        message: format!(
            "Connecting to remote server {host} failed with the following error message : {detail} For more information, see the about_Remote_Troubleshooting Help topic."
        ),
        category: ErrorCategory::OpenError.code(),
        category_name: ErrorCategory::OpenError.name().into(),
        activity: "New-PSSession".into(),
        reason: "PSRemotingTransportException".into(),
        target_name: "System.Management.Automation.RemoteRunspace".into(),
        target_type: "RemoteRunspace".into(),
        fully_qualified_error_id: format!("{reason},PSSessionOpenFailed"),
        target_object: None,
        terminating: false,
    }
}

/// The logon was refused (wrong password, unknown account, no usable credential).
pub(crate) fn access_denied(host: &str) -> SimErrorRecord {
    open_failed(host, "AccessDenied", "Access is denied.")
}

/// Kerberos cannot find the computer the URI names.
pub(crate) fn host_not_found(host: &str) -> SimErrorRecord {
    open_failed(
        host,
        "NetworkPathNotFound",
        &format!(
            "WinRM cannot process the request. The following error occurred while using Kerberos authentication: Cannot find the computer {host}. Verify that the computer exists on the network and that the name provided is spelled correctly."
        ),
    )
}

/// The URL is not a WS-Management endpoint (IIS answers 404).
pub(crate) fn url_not_available(host: &str) -> SimErrorRecord {
    open_failed(
        host,
        "URLNotAvailable",
        "The WinRM client sent a request to an HTTP server and got a response saying the requested HTTP URL was not available. This is usually returned by a HTTP server that does not support the WS-Management protocol.",
    )
}

/// The endpoint has no such session configuration (WSManFault 2150858811, which PowerShell
/// shows as its signed code).
pub(crate) fn configuration_not_found(host: &str, configuration: &str) -> SimErrorRecord {
    let code = i64::from(2_150_858_811_u32) - (1_i64 << 32);
    open_failed(
        host,
        &code.to_string(),
        &format!(
            "The WS-Management service cannot process the request. The resource URI (http://schemas.microsoft.com/powershell/{configuration}) was not found in the WS-Management catalog. The catalog contains the metadata that describes resources, or logical endpoints."
        ),
    )
}

/// What the simulator does not evaluate: a script outside the bootstrap subset, or a command
/// it does not implement in scripts. Not a Windows error; the message says what to send
/// instead.
pub(crate) fn not_supported(what: &str) -> SimErrorRecord {
    SimErrorRecord {
        exception_type: "System.NotSupportedException".into(),
        exception_base_types: owned(&[
            "System.SystemException",
            "System.Exception",
            "System.Object",
        ]),
        message: format!(
            "mx-sim evaluates only the jump-host bootstrap in scripts (New-PSSession to Microsoft.Exchange, Import-PSSession, Import-Module, Out-Null); run other commands as commands, not script text: {what}"
        ),
        category: ErrorCategory::NotImplemented.code(),
        category_name: ErrorCategory::NotImplemented.name().into(),
        activity: String::new(),
        reason: "NotSupportedException".into(),
        target_name: String::new(),
        target_type: String::new(),
        fully_qualified_error_id: "ScriptNotSupported".into(),
        target_object: None,
        terminating: true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_denied_is_what_new_pssession_writes() {
        let r = access_denied("ex01.contoso.com");
        assert_eq!(
            r.fully_qualified_error_id,
            "AccessDenied,PSSessionOpenFailed"
        );
        assert_eq!(
            r.exception_type,
            "System.Management.Automation.Remoting.PSRemotingTransportException"
        );
        assert_eq!(
            r.message,
            "Connecting to remote server ex01.contoso.com failed with the following error message : Access is denied. For more information, see the about_Remote_Troubleshooting Help topic."
        );
        assert_eq!(r.category, 1);
        assert_eq!(r.activity, "New-PSSession");
        assert_eq!(r.target_type, "RemoteRunspace");
    }

    #[test]
    fn binding_errors_name_the_cmdlet_class() {
        let c = Cmdlet {
            name: "Import-PSSession",
            class: "Microsoft.PowerShell.Commands.ImportPSSessionCommand",
        };
        let r = argument_null(c, "Session");
        assert_eq!(
            r.fully_qualified_error_id,
            "ParameterArgumentValidationError,Microsoft.PowerShell.Commands.ImportPSSessionCommand"
        );
        assert_eq!(
            r.exception_base_types.first().map(String::as_str),
            Some("System.Management.Automation.ParameterBindingException")
        );
        assert_eq!(r.category, 6);
        assert_eq!(
            parameter_not_found(None, "Nope").fully_qualified_error_id,
            "NamedParameterNotFound"
        );
        assert_eq!(
            configuration_not_found("ex01", "Microsoft.Exchang").fully_qualified_error_id,
            "-2144108485,PSSessionOpenFailed"
        );
    }
}
