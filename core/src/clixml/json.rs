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
//! | `PR` (ProgressRecord)           | object: `Activity`, `ActivityId`, `StatusDescription`, `CurrentOperation`, `ParentActivityId`, `PercentComplete`, `SecondsRemaining`, `RecordType` (`"Processing"` / `"Completed"`), `"$type": ["System.Management.Automation.ProgressRecord"]` |
//! | `Ref` to an enclosing object    | `{"$ref": RefId}`, below                                 |
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
//!
//! Reference cycles: a `<Ref>` that names an object enclosing it (an Exchange `ADObjectId`
//! whose `DomainId` is itself; a PSDrive whose `Provider.Drives` lists the same drive) is
//! written `{"$ref": N}`, where `N` is the object's `RefId` in the CLIXML document, and the
//! object it names carries `"$id": N` (a list-only object then takes the object form with
//! `"$items"`, so that it can carry the key). A `$ref` names the nearest enclosing object with
//! that `$id`; when the object holding the back-reference is also shared through a plain
//! `<Ref>` elsewhere, its copy there still reads `{"$ref": N}` and `N` names the object where
//! it was first written. Output stays finite; plain shared objects (`<Ref>` to a complete
//! object) are written out in full at each place, as before.

use std::sync::Arc;

use base64::Engine as _;
use serde_json::{Map, Value};

use super::scalar;
use super::value::{Container, ProgressRecord, PsObject, PsValue};

/// The JSON view of `value` (mapping in the module documentation).
pub fn to_json(value: &PsValue) -> Value {
    Json::default().value(value)
}

/// [`to_json`] as compact JSON text.
pub fn to_json_string(value: &PsValue) -> String {
    to_json(value).to_string()
}

/// The objects being written, outermost first, each with the `RefId` a back-reference inside
/// gave it (written as `"$id"` when the object is complete).
#[derive(Default)]
struct Json {
    open: Vec<(*const PsObject, Option<u32>)>,
}

impl Json {
    fn value(&mut self, value: &PsValue) -> Value {
        match value {
            PsValue::Nil => Value::Null,
            PsValue::String(s)
            | PsValue::Uri(s)
            | PsValue::XmlDocument(s)
            | PsValue::ScriptBlock(s) => Value::String(s.clone()),
            PsValue::WideString(units) => Value::String(String::from_utf16_lossy(units)),
            PsValue::Char(c) => Value::String(String::from_utf16_lossy(&[*c])),
            PsValue::Bool(b) => Value::Bool(*b),
            PsValue::DateTime(dt) => Self::text(|out| scalar::write_datetime(out, dt, false)),
            PsValue::Duration(d) => Self::text(|out| scalar::write_duration(out, d)),
            PsValue::U8(v) => Value::from(*v),
            PsValue::I8(v) => Value::from(*v),
            PsValue::U16(v) => Value::from(*v),
            PsValue::I16(v) => Value::from(*v),
            PsValue::U32(v) => Value::from(*v),
            PsValue::I32(v) => Value::from(*v),
            PsValue::U64(v) => Value::from(*v),
            PsValue::I64(v) => Value::from(*v),
            // Through the shortest decimal text, so that 0.1f32 reads 0.1 rather than 0.100000001...
            PsValue::Single(v) => Self::float(v.to_string().parse().unwrap_or(f64::NAN)),
            PsValue::Double(v) => Self::float(*v),
            PsValue::Decimal(d) => Value::String(d.to_string()),
            PsValue::Bytes(b) => Value::String(base64::engine::general_purpose::STANDARD.encode(b)),
            PsValue::Guid(g) => Value::String(g.hyphenated().to_string()),
            PsValue::Version(v) => Self::text(|out| scalar::write_version(out, v)),
            PsValue::SecureString(_) => {
                let mut map = Map::new();
                map.insert("$secureString".into(), Value::String("encrypted".into()));
                Value::Object(map)
            }
            PsValue::Object(obj) => self.object(obj),
            PsValue::BackRef(back) => {
                if let Some(target) = back.object() {
                    let target = Arc::as_ptr(&target);
                    if let Some(open) = self.open.iter_mut().rev().find(|(o, _)| *o == target) {
                        open.1 = Some(back.ref_id());
                    }
                }
                let mut map = Map::new();
                map.insert("$ref".into(), Value::from(back.ref_id()));
                Value::Object(map)
            }
            PsValue::Progress(record) => progress(record),
        }
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

    fn list(&mut self, items: &[PsValue]) -> Value {
        Value::Array(items.iter().map(|item| self.value(item)).collect())
    }

    fn dictionary(&mut self, entries: &[(PsValue, PsValue)]) -> Value {
        if entries.iter().all(|(k, _)| k.as_str().is_some()) {
            let mut map = Map::new();
            for (key, value) in entries {
                let value = self.value(value);
                map.insert(key.as_str().unwrap_or_default().to_owned(), value);
            }
            Value::Object(map)
        } else {
            Value::Array(
                entries
                    .iter()
                    .map(|(k, v)| {
                        let mut pair = Map::new();
                        pair.insert("key".into(), self.value(k));
                        pair.insert("value".into(), self.value(v));
                        Value::Object(pair)
                    })
                    .collect(),
            )
        }
    }

    fn container(&mut self, content: &Container) -> (&'static str, Value) {
        match content {
            Container::List(items)
            | Container::Enumerable(items)
            | Container::Stack(items)
            | Container::Queue(items) => ("$items", self.list(items)),
            Container::Dictionary(entries) => ("$entries", self.dictionary(entries)),
        }
    }

    fn object(&mut self, obj: &PsObject) -> Value {
        self.open.push((obj as *const PsObject, None));
        let json = self.object_body(obj);
        match self.open.pop() {
            Some((_, Some(ref_id))) => {
                let bare = obj.adapted.is_empty() && obj.extended.is_empty() && obj.value.is_none();
                let mut map = match json {
                    Value::Object(map) if !(bare && obj.content.is_some()) => map,
                    // A container-only object referred back to: the object form, to carry `$id`.
                    items => {
                        let mut map = Map::new();
                        if let Some(names) = &obj.type_names {
                            map.insert(
                                "$type".into(),
                                Value::Array(names.iter().cloned().map(Value::String).collect()),
                            );
                        }
                        if let Some(text) = &obj.to_string {
                            map.insert("$toString".into(), Value::String(text.clone()));
                        }
                        let key = match obj.content {
                            Some(Container::Dictionary(_)) => "$entries",
                            _ => "$items",
                        };
                        map.insert(key.into(), items);
                        map
                    }
                };
                map.insert("$id".into(), Value::from(ref_id));
                Value::Object(map)
            }
            _ => json,
        }
    }

    fn object_body(&mut self, obj: &PsObject) -> Value {
        let bare = obj.adapted.is_empty() && obj.extended.is_empty() && obj.value.is_none();
        if let (true, Some(content)) = (bare, &obj.content) {
            return self.container(content).1;
        }
        let mut map = Map::new();
        for prop in obj.adapted.iter().chain(obj.extended.iter()) {
            let value = self.value(&prop.value);
            map.insert(prop.name.clone(), value);
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
            let value = self.value(value);
            map.insert("$value".into(), value);
        }
        if let Some(content) = &obj.content {
            let (key, value) = self.container(content);
            map.insert(key.into(), value);
        }
        Value::Object(map)
    }
}

fn progress(record: &ProgressRecord) -> Value {
    let mut map = Map::new();
    map.insert("Activity".into(), Value::from(record.activity.as_str()));
    map.insert("ActivityId".into(), Value::from(record.activity_id));
    map.insert(
        "StatusDescription".into(),
        Value::from(record.status_description.as_str()),
    );
    map.insert(
        "CurrentOperation".into(),
        record
            .current_operation
            .as_deref()
            .map_or(Value::Null, Value::from),
    );
    map.insert(
        "ParentActivityId".into(),
        Value::from(record.parent_activity_id),
    );
    map.insert(
        "PercentComplete".into(),
        Value::from(record.percent_complete),
    );
    map.insert(
        "SecondsRemaining".into(),
        Value::from(record.seconds_remaining),
    );
    map.insert("RecordType".into(), Value::from(record.record_type.name()));
    map.insert(
        "$type".into(),
        Value::Array(vec![Value::from(
            "System.Management.Automation.ProgressRecord",
        )]),
    );
    Value::Object(map)
}
