//! A JSON view of CLIXML values for hosts ([MS-PSRP] 2.2.5 types to JSON).
//!
//! | CLIXML                          | JSON                                                     |
//! |---------------------------------|----------------------------------------------------------|
//! | `Nil`                           | `null`                                                   |
//! | `S`, `URI`, `XD`, `SBK`         | string, untouched                                        |
//! | `S` with a lone surrogate       | string, the surrogate replaced by U+FFFD                 |
//! | `C`                             | one-character string (lone surrogate: U+FFFD)            |
//! | `B`                             | `true` / `false`                                         |
//! | `By` `SB` `U16` `I16` `U32` `I32` `U64` `I64` | number (exact; 64-bit integers included)   |
//! | `Sg`, `Db`                      | number; `"NaN"`, `"INF"`, `"-INF"` as strings            |
//! | `D` (Decimal)                   | string, to keep precision and scale (`"1.50"`)           |
//! | `DT`                            | ISO-8601 string as on the wire: offset or `Z` kept, 7 fractional digits when not zero |
//! | `TS`                            | xs:duration string (`"P1DT2H3M4.5S"`)                    |
//! | `BA`                            | base64 string                                            |
//! | `G`                             | lower-case hyphenated string                             |
//! | `Version`                       | `"15.1.2507.6"`                                          |
//! | `SS`                            | `{"$secureString": "encrypted"}`: the ciphertext is never shown |
//! | `Obj` with only a list (`LST` `IE` `STK` `QUE`) | array of the items                       |
//! | `Obj` with only a dictionary    | object keyed by the keys when every key is a string, else an array of `{"key": .., "value": ..}` |
//! | any other `Obj`                 | object, below                                            |
//!
//! An object becomes a JSON object holding every property by name (adapted and extended merged;
//! on a duplicate name the extended property wins, as in PowerShell) plus these keys when
//! present:
//!
//! - `"$type"`: the type-name chain, most derived first;
//! - `"$toString"`: the `ToString` text;
//! - `"$value"`: the wrapped primitive (an enum's number, or an extended primitive's value);
//! - `"$items"` / `"$entries"`: a container, when the object also has properties or a value.
//!
//! An enum therefore reads `{"$type": [...], "$toString": "UserMailbox", "$value": 1}`.
//! Keys start with `$` because PowerShell property names come from .NET member names and
//! `Add-Member` notes, which in practice never begin with `$`; should one do so, the `$` key
//! written by this module takes precedence.

use base64::Engine as _;
use serde_json::{Map, Value};

use super::scalar;
use super::value::{Container, PsObject, PsValue};

/// The JSON view of `value` (mapping in the module documentation).
pub fn to_json(value: &PsValue) -> Value {
    match value {
        PsValue::Nil => Value::Null,
        PsValue::String(s)
        | PsValue::Uri(s)
        | PsValue::XmlDocument(s)
        | PsValue::ScriptBlock(s) => Value::String(s.clone()),
        PsValue::WideString(units) => Value::String(String::from_utf16_lossy(units)),
        PsValue::Char(c) => Value::String(String::from_utf16_lossy(&[*c])),
        PsValue::Bool(b) => Value::Bool(*b),
        PsValue::DateTime(dt) => text(|out| scalar::write_datetime(out, dt, false)),
        PsValue::Duration(d) => text(|out| scalar::write_duration(out, d)),
        PsValue::U8(v) => Value::from(*v),
        PsValue::I8(v) => Value::from(*v),
        PsValue::U16(v) => Value::from(*v),
        PsValue::I16(v) => Value::from(*v),
        PsValue::U32(v) => Value::from(*v),
        PsValue::I32(v) => Value::from(*v),
        PsValue::U64(v) => Value::from(*v),
        PsValue::I64(v) => Value::from(*v),
        // Through the shortest decimal text, so that 0.1f32 reads 0.1 rather than 0.100000001...
        PsValue::Single(v) => float(v.to_string().parse().unwrap_or(f64::NAN)),
        PsValue::Double(v) => float(*v),
        PsValue::Decimal(d) => Value::String(d.to_string()),
        PsValue::Bytes(b) => Value::String(base64::engine::general_purpose::STANDARD.encode(b)),
        PsValue::Guid(g) => Value::String(g.hyphenated().to_string()),
        PsValue::Version(v) => text(|out| scalar::write_version(out, v)),
        PsValue::SecureString(_) => {
            let mut map = Map::new();
            map.insert("$secureString".into(), Value::String("encrypted".into()));
            Value::Object(map)
        }
        PsValue::Object(obj) => object(obj),
    }
}

/// [`to_json`] as compact JSON text.
pub fn to_json_string(value: &PsValue) -> String {
    to_json(value).to_string()
}

fn text(write: impl FnOnce(&mut Vec<u8>)) -> Value {
    let mut out = Vec::new();
    write(&mut out);
    Value::String(String::from_utf8_lossy(&out).into_owned())
}

fn float(v: f64) -> Value {
    match serde_json::Number::from_f64(v) {
        Some(n) => Value::Number(n),
        None if v.is_nan() => Value::String("NaN".into()),
        None if v > 0.0 => Value::String("INF".into()),
        None => Value::String("-INF".into()),
    }
}

fn list(items: &[PsValue]) -> Value {
    Value::Array(items.iter().map(to_json).collect())
}

fn dictionary(entries: &[(PsValue, PsValue)]) -> Value {
    if entries.iter().all(|(k, _)| k.as_str().is_some()) {
        let mut map = Map::new();
        for (key, value) in entries {
            map.insert(key.as_str().unwrap_or_default().to_owned(), to_json(value));
        }
        Value::Object(map)
    } else {
        Value::Array(
            entries
                .iter()
                .map(|(k, v)| {
                    let mut pair = Map::new();
                    pair.insert("key".into(), to_json(k));
                    pair.insert("value".into(), to_json(v));
                    Value::Object(pair)
                })
                .collect(),
        )
    }
}

fn container(content: &Container) -> (&'static str, Value) {
    match content {
        Container::List(items)
        | Container::Enumerable(items)
        | Container::Stack(items)
        | Container::Queue(items) => ("$items", list(items)),
        Container::Dictionary(entries) => ("$entries", dictionary(entries)),
    }
}

fn object(obj: &PsObject) -> Value {
    let bare = obj.adapted.is_empty() && obj.extended.is_empty() && obj.value.is_none();
    if let (true, Some(content)) = (bare, &obj.content) {
        return container(content).1;
    }
    let mut map = Map::new();
    for prop in obj.adapted.iter().chain(obj.extended.iter()) {
        map.insert(prop.name.clone(), to_json(&prop.value));
    }
    if let Some(names) = &obj.type_names {
        map.insert(
            "$type".into(),
            Value::Array(names.iter().cloned().map(Value::String).collect()),
        );
    }
    if let Some(text) = &obj.to_string {
        map.insert("$toString".into(), Value::String(text.clone()));
    }
    if let Some(value) = &obj.value {
        map.insert("$value".into(), to_json(value));
    }
    if let Some(content) = &obj.content {
        let (key, value) = container(content);
        map.insert(key.into(), value);
    }
    Value::Object(map)
}
