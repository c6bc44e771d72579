//! `Get-Command` in the Exchange runspace: a NoLanguage endpoint still allows it, and it lists
//! only what the caller's role assignments put in the runspace, so tools use it to ask "may I
//! run Enable-Mailbox?" without running it.
//!
//! A name without wildcards that matches nothing fails as PowerShell's does:
//! `CommandNotFoundException,Microsoft.PowerShell.Commands.GetCommandCommand`.

use std::sync::Arc;

use monosync_exchange::clixml::{Property, PsObject, PsValue, enum_value};

use super::cmdlets;
use super::directory::glob_match;
use super::errors::{self, BindingErrorKind, TaskContext};
use super::params::BoundArg;
use super::rbac::Rbac;
use super::{CmdletResult, Session};

/// The name the command answers to.
pub(crate) const NAME: &str = "Get-Command";

/// Cmdlets every Exchange runspace exposes, whatever the roles (the restricted session's own).
const ALWAYS: &[&str] = &[NAME, "Get-FormatData", "Measure-Object", "Select-Object"];

/// The name patterns given with `-Name` or positionally (a string or an array of strings).
fn patterns(params: &[BoundArg]) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for arg in params {
        match arg.name.as_deref().map(|n| n.trim_start_matches('-')) {
            None => {}
            Some(n) if n.eq_ignore_ascii_case("Name") => {}
            Some(other) => return Err(other.to_owned()),
        }
        strings(&arg.value, &mut out);
    }
    Ok(out)
}

fn strings(value: &PsValue, out: &mut Vec<String>) {
    if let Some(s) = value.as_str() {
        out.push(s.to_owned());
    } else if let Some(items) = value.as_list() {
        for item in items {
            strings(item, out);
        }
    }
}

/// A `CmdletInfo` as the serializer writes it: name, type, verb and noun.
fn cmdlet_info(name: &str) -> PsValue {
    let (verb, noun) = name.split_once('-').unwrap_or((name, ""));
    PsValue::object(PsObject {
        type_names: Some(Arc::from(
            [
                "System.Management.Automation.CmdletInfo",
                "System.Management.Automation.CommandInfo",
                "System.Object",
            ]
            .map(str::to_owned),
        )),
        to_string: Some(name.to_owned()),
        adapted: vec![
            Property::new("Name", name),
            Property::new(
                "CommandType",
                enum_value(
                    &[
                        "System.Management.Automation.CommandTypes",
                        "System.Enum",
                        "System.ValueType",
                        "System.Object",
                    ],
                    "Cmdlet",
                    8,
                ),
            ),
            Property::new("Verb", verb),
            Property::new("Noun", noun),
        ],
        ..PsObject::default()
    })
}

/// Runs `Get-Command [-Name] <patterns>` for the session's user.
pub(crate) fn run(rbac: &Rbac, session: &Session, params: &[BoundArg]) -> CmdletResult {
    let wanted = match patterns(params) {
        Ok(p) => p,
        Err(param) => {
            let task = TaskContext {
                server: String::new(),
                request_id: uuid::Uuid::nil(),
                now: 0,
                cmdlet: NAME.to_owned(),
                class: "Microsoft.PowerShell.Commands.GetCommandCommand".to_owned(),
                domain_controller: String::new(),
            };
            let message =
                format!("A parameter cannot be found that matches parameter name '{param}'.");
            return CmdletResult {
                errors: vec![task.binding(BindingErrorKind::NamedParameterNotFound, message)],
                failed: true,
                ..CmdletResult::default()
            };
        }
    };
    let visible: Vec<&str> = ALWAYS
        .iter()
        .copied()
        .chain(cmdlets::names().into_iter().filter(|name| {
            session
                .user
                .as_deref()
                .is_none_or(|user| rbac.grant(user, name).is_some())
        }))
        .collect();
    let mut result = CmdletResult::default();
    if wanted.is_empty() {
        result.output = visible.iter().map(|n| cmdlet_info(n)).collect();
        return result;
    }
    let mut seen: Vec<&str> = Vec::new();
    for pattern in &wanted {
        let found: Vec<&&str> = visible.iter().filter(|n| glob_match(pattern, n)).collect();
        if found.is_empty() && !pattern.contains(['*', '?']) {
            let mut error = errors::command_not_found(pattern);
            error.fully_qualified_error_id =
                "CommandNotFoundException,Microsoft.PowerShell.Commands.GetCommandCommand".into();
            error.activity = NAME.into();
            error.terminating = false;
            result.errors.push(error);
        }
        for name in found {
            if !seen.contains(name) {
                seen.push(name);
                result.output.push(cmdlet_info(name));
            }
        }
    }
    result
}

#[cfg(test)]
mod tests {
    use crate::exchange::{BoundArg, Exchange};
    use crate::server::DEFAULT_SEED;

    fn names(result: &crate::exchange::CmdletResult) -> Vec<String> {
        result
            .output
            .iter()
            .filter_map(|o| {
                o.property("Name")
                    .and_then(|n| n.as_str())
                    .map(str::to_owned)
            })
            .collect()
    }

    #[test]
    fn lists_only_what_the_roles_grant() {
        let mut ex = Exchange::from_seed_json(DEFAULT_SEED).expect("seed");
        let name = [BoundArg::named("Name", "Enable-Mailbox")];
        let granted = ex.invoke_as("recipientadmin", "Get-Command", &name);
        assert_eq!(names(&granted), ["Enable-Mailbox"]);
        assert!(granted.errors.is_empty());
        let refused = ex.invoke_as("auditor", "get-command", &name);
        assert!(refused.output.is_empty());
        assert_eq!(refused.errors.len(), 1);
        assert_eq!(
            refused.errors[0].fully_qualified_error_id,
            "CommandNotFoundException,Microsoft.PowerShell.Commands.GetCommandCommand"
        );
        assert_eq!(refused.errors[0].target_name, "Enable-Mailbox");
        assert!(!refused.failed, "a non-terminating error, as in PowerShell");
    }

    #[test]
    fn wildcards_match_without_errors_and_unknown_parameters_fail() {
        let mut ex = Exchange::from_seed_json(DEFAULT_SEED).expect("seed");
        let gets = ex.invoke_as(
            "auditor",
            "Get-Command",
            &[BoundArg::positional("Get-Mail*")],
        );
        let found = names(&gets);
        assert!(found.contains(&"Get-Mailbox".to_owned()), "{found:?}");
        assert!(found.iter().all(|n| n.starts_with("Get-Mail")), "{found:?}");
        let none = ex.invoke_as(
            "auditor",
            "Get-Command",
            &[BoundArg::positional("Remove-*")],
        );
        assert!(none.output.is_empty() && none.errors.is_empty());
        let bad = ex.invoke_as(
            "auditor",
            "Get-Command",
            &[BoundArg::named("Noun", "Mailbox")],
        );
        assert!(bad.failed);
        assert!(bad.errors[0].message.contains("'Noun'"));
    }
}
