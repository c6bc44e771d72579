//! Cmdlet parameters as written on the command line, PowerShell style
//! (`-Name value`, `-Switch`, `-Name:$false`, `a,b` lists), or as a JSON object for typed values.

use monosync_exchange::clixml::{PsValue, array, hashtable};
use monosync_exchange::exchange::Command;
use serde_json::Value;

use crate::error::CliError;

/// Whether `token` names a parameter: a dash followed by a letter (`-5` is a value).
fn is_param_name(token: &str) -> bool {
    token
        .strip_prefix('-')
        .and_then(|rest| rest.chars().next())
        .is_some_and(|c| c.is_ascii_alphabetic())
}

/// A command-line value: `$true`, `$false` and `$null` as PowerShell reads them, `a,b` as an
/// array of strings, anything else a string (numbers too: the server converts them).
pub(crate) fn parse_value(text: &str) -> PsValue {
    match text.to_ascii_lowercase().as_str() {
        "$true" => return PsValue::Bool(true),
        "$false" => return PsValue::Bool(false),
        "$null" => return PsValue::Nil,
        _ => {}
    }
    if text.contains(',') {
        return array(
            text.split(',')
                .map(|part| PsValue::from(part.trim().to_owned())),
        );
    }
    PsValue::from(text.to_owned())
}

/// Builds the command `name` from PowerShell-style `tokens`.
pub(crate) fn command_from_tokens(name: &str, tokens: &[String]) -> Result<Command, CliError> {
    if name.is_empty() || name.starts_with('-') {
        return Err(CliError::Usage(format!(
            "expected a cmdlet name, got `{name}`"
        )));
    }
    let mut command = Command::new(name);
    let mut rest = tokens.iter().peekable();
    while let Some(token) = rest.next() {
        let body = match token.strip_prefix('-') {
            Some(body) if is_param_name(token) => body,
            _ => {
                command = command.arg(parse_value(token));
                continue;
            }
        };
        if let Some((param, value)) = body.split_once(':') {
            command = command.param(param, parse_value(value));
            continue;
        }
        match rest.next_if(|next| !is_param_name(next)) {
            Some(value) => command = command.param(body, parse_value(value)),
            None => command = command.switch(body),
        }
    }
    Ok(command)
}

/// The CLIXML value of a JSON value: objects become hashtables, arrays `Object[]`, integers
/// `Int32` when they fit and `Int64` otherwise, other numbers `Double`.
pub(crate) fn json_to_ps(value: &Value) -> PsValue {
    match value {
        Value::Null => PsValue::Nil,
        Value::Bool(b) => PsValue::Bool(*b),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                i32::try_from(i).map_or(PsValue::I64(i), PsValue::I32)
            } else if let Some(u) = n.as_u64() {
                PsValue::U64(u)
            } else {
                PsValue::Double(n.as_f64().unwrap_or(f64::NAN))
            }
        }
        Value::String(s) => PsValue::from(s.clone()),
        Value::Array(items) => array(items.iter().map(json_to_ps)),
        Value::Object(map) => hashtable(
            map.iter()
                .map(|(k, v)| (PsValue::from(k.clone()), json_to_ps(v))),
        ),
    }
}

/// Adds the parameters of a `--params` JSON object to `command`.
pub(crate) fn add_json_params(mut command: Command, json: &str) -> Result<Command, CliError> {
    let value: Value = serde_json::from_str(json)
        .map_err(|e| CliError::Usage(format!("--params is not valid JSON: {e}")))?;
    let Value::Object(map) = value else {
        return Err(CliError::Usage(
            "--params must be a JSON object of parameter names to values".into(),
        ));
    };
    for (name, value) in &map {
        command = command.param(name.clone(), json_to_ps(value));
    }
    Ok(command)
}

#[cfg(test)]
mod tests {
    use monosync_exchange::clixml::Container;
    use monosync_exchange::exchange::ParamValue;

    use super::*;

    fn tokens(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    fn named<'a>(c: &'a Command, name: &str) -> Option<&'a PsValue> {
        c.args
            .iter()
            .find(|a| a.name.as_deref() == Some(name))
            .and_then(|a| match &a.value {
                ParamValue::Value(v) => Some(v),
                _ => None,
            })
    }

    fn list(v: &PsValue) -> Vec<String> {
        match v.as_object().and_then(|o| o.content.as_ref()) {
            Some(Container::List(items)) => items
                .iter()
                .filter_map(|i| i.as_str().map(str::to_owned))
                .collect(),
            _ => Vec::new(),
        }
    }

    #[test]
    fn powershell_style_parameters() {
        let c = command_from_tokens(
            "Set-Mailbox",
            &tokens(&[
                "-Identity",
                "ann",
                "-Force",
                "-Confirm:$false",
                "-IssueWarningQuota",
                "-5",
                "-EmailAddresses",
                "a@x.com, b@x.com",
                "-HiddenFromAddressListsEnabled",
                "$TRUE",
                "extra",
            ]),
        )
        .expect("parsed");
        assert_eq!(c.name, "Set-Mailbox");
        assert_eq!(named(&c, "Identity"), Some(&PsValue::from("ann")));
        assert_eq!(named(&c, "Force"), Some(&PsValue::Bool(true)));
        assert_eq!(named(&c, "Confirm"), Some(&PsValue::Bool(false)));
        assert_eq!(named(&c, "IssueWarningQuota"), Some(&PsValue::from("-5")));
        assert_eq!(
            named(&c, "HiddenFromAddressListsEnabled"),
            Some(&PsValue::Bool(true))
        );
        let addrs = named(&c, "EmailAddresses").expect("list");
        assert_eq!(list(addrs), ["a@x.com", "b@x.com"]);
        let positional: Vec<_> = c.args.iter().filter(|a| a.name.is_none()).collect();
        assert_eq!(positional.len(), 1);
        assert_eq!(
            positional[0].value,
            ParamValue::Value(PsValue::from("extra"))
        );
    }

    #[test]
    fn a_trailing_switch_and_a_missing_name() {
        let c = command_from_tokens("Get-Mailbox", &tokens(&["-Arbitration"])).expect("parsed");
        assert_eq!(named(&c, "Arbitration"), Some(&PsValue::Bool(true)));
        let c = command_from_tokens("Get-Mailbox", &tokens(&["-:x"])).expect("parsed");
        assert_eq!(c.args[0].name, None, "not a parameter name: a value");
        assert!(command_from_tokens("-Identity", &[]).is_err());
    }

    #[test]
    fn json_parameters_keep_their_types() {
        let c = add_json_params(
            Command::new("Set-Mailbox"),
            r#"{"Identity":"ann","RecipientLimits":500,"Big":5000000000,"Ratio":1.5,
                "Enabled":false,"Tags":["a","b"],"EmailAddresses":{"Add":["x@y.com"]},"Manager":null}"#,
        )
        .expect("parsed");
        assert_eq!(named(&c, "Identity"), Some(&PsValue::from("ann")));
        assert_eq!(named(&c, "RecipientLimits"), Some(&PsValue::I32(500)));
        assert_eq!(named(&c, "Big"), Some(&PsValue::I64(5_000_000_000)));
        assert_eq!(named(&c, "Ratio"), Some(&PsValue::Double(1.5)));
        assert_eq!(named(&c, "Enabled"), Some(&PsValue::Bool(false)));
        assert_eq!(named(&c, "Manager"), Some(&PsValue::Nil));
        assert_eq!(list(named(&c, "Tags").expect("tags")), ["a", "b"]);
        let table = named(&c, "EmailAddresses").expect("hashtable");
        match table.as_object().and_then(|o| o.content.as_ref()) {
            Some(Container::Dictionary(entries)) => {
                assert_eq!(entries.len(), 1);
                assert_eq!(entries[0].0, PsValue::from("Add"));
                assert_eq!(list(&entries[0].1), ["x@y.com"]);
            }
            other => panic!("not a hashtable: {other:?}"),
        }
    }

    #[test]
    fn bad_json_is_a_usage_error() {
        assert!(matches!(
            add_json_params(Command::new("X"), "[1]"),
            Err(CliError::Usage(_))
        ));
        assert!(matches!(
            add_json_params(Command::new("X"), "{"),
            Err(CliError::Usage(_))
        ));
    }
}
