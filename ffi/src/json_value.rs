//! Parameter values written as JSON, for C callers that have no CLIXML model: the reverse of
//! the core's JSON view (`mx_core::clixml::json`) for the shapes a cmdlet parameter takes.
//!
//! | JSON                 | CLIXML ([MS-PSRP] 2.2.5)                                  |
//! |----------------------|-----------------------------------------------------------|
//! | `null`               | `Nil`                                                     |
//! | `true` / `false`     | `B`                                                       |
//! | integer              | `I32` when it fits (PowerShell's type for an integer literal), else `I64`, else `U64` |
//! | other number         | `Db`                                                      |
//! | string               | `S`                                                       |
//! | array                | `System.Object[]` (`LST`) of the items                    |
//! | object               | `System.Collections.Hashtable` (`DCT`), keys as `S` (sorted: a Hashtable has no order) |
//!
//! Secrets never travel this way: `mx_command_add_secure` sends them as SecureStrings.

use mx_core::clixml::{PsValue, array, hashtable};
use serde_json::Value;

use crate::error::FfiError;

/// Parses `text` and maps it (table in the module documentation).
pub(crate) fn from_json_text(text: &str) -> Result<PsValue, FfiError> {
    let value: Value = serde_json::from_str(text)
        .map_err(|e| FfiError::invalid(format!("the value is not valid JSON: {e}")))?;
    Ok(from_json(&value))
}

/// Maps a JSON value. Depth is bounded by the parser's recursion limit.
pub(crate) fn from_json(value: &Value) -> PsValue {
    match value {
        Value::Null => PsValue::Nil,
        Value::Bool(b) => PsValue::Bool(*b),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                int(i)
            } else if let Some(u) = n.as_u64() {
                PsValue::U64(u)
            } else {
                PsValue::Double(n.as_f64().unwrap_or(f64::NAN))
            }
        }
        Value::String(s) => PsValue::String(s.clone()),
        Value::Array(items) => array(items.iter().map(from_json)),
        Value::Object(map) => hashtable(
            map.iter()
                .map(|(k, v)| (PsValue::String(k.clone()), from_json(v))),
        ),
    }
}

/// An integer as PowerShell types a literal: `Int32` when it fits, else `Int64`.
pub(crate) fn int(i: i64) -> PsValue {
    match i32::try_from(i) {
        Ok(small) => PsValue::I32(small),
        Err(_) => PsValue::I64(i),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalars() {
        assert_eq!(from_json_text("null").ok(), Some(PsValue::Nil));
        assert_eq!(from_json_text("true").ok(), Some(PsValue::Bool(true)));
        assert_eq!(from_json_text("42").ok(), Some(PsValue::I32(42)));
        assert_eq!(
            from_json_text("5000000000").ok(),
            Some(PsValue::I64(5_000_000_000))
        );
        assert_eq!(
            from_json_text("18446744073709551615").ok(),
            Some(PsValue::U64(u64::MAX))
        );
        assert_eq!(from_json_text("1.5").ok(), Some(PsValue::Double(1.5)));
        assert_eq!(
            from_json_text("\"Ann\"").ok(),
            Some(PsValue::String("Ann".into()))
        );
    }

    #[test]
    fn containers_keep_order_and_shape() {
        let v =
            from_json_text(r#"{"Add": ["smtp:a@contoso.com", 2], "Remove": null}"#).expect("valid");
        let dict = v.as_dict().expect("a hashtable");
        assert!(
            v.as_object()
                .is_some_and(|o| o.is_type("System.Collections.Hashtable"))
        );
        assert_eq!(dict.len(), 2);
        assert_eq!(dict[0].0.as_str(), Some("Add"));
        assert_eq!(
            dict[0].1.as_list(),
            Some(&[PsValue::from("smtp:a@contoso.com"), PsValue::I32(2)][..])
        );
        assert_eq!(dict[1].1, PsValue::Nil);
    }

    #[test]
    fn bad_json_is_an_invalid_argument() {
        let e = from_json_text("{\"a\":").expect_err("truncated");
        assert_eq!(e.code, crate::error::mx_result_code::MX_INVALID_ARGUMENT);
        assert!(e.message.contains("not valid JSON"), "{}", e.message);
    }
}
