//! How results are shown: a readable `Name : Value` list per object, or one JSON document.

use monosync_exchange::clixml::{Container, PsValue, to_json};
use monosync_exchange::exchange::{CommandResult, ErrorKind};
use monosync_exchange::psrp::messages::{ErrorRecord, InformationRecord, ProgressRecord};
use serde_json::{Value, json};

/// Longest list shown in full in the text view; longer ones end with `...`.
const MAX_LIST_ITEMS: usize = 16;

/// One value on one line, as PowerShell's list view shows it.
pub(crate) fn value_text(value: &PsValue) -> String {
    match value {
        PsValue::Nil => String::new(),
        PsValue::Object(obj) => {
            if let Some(items) = obj.content.as_ref().map(container_items) {
                let shown: Vec<String> =
                    items.iter().take(MAX_LIST_ITEMS).map(value_text).collect();
                let more = if items.len() > MAX_LIST_ITEMS {
                    ", ..."
                } else {
                    ""
                };
                return format!("{{{}{more}}}", shown.join(", "));
            }
            if let Some(text) = &obj.to_string {
                return text.clone();
            }
            if let Some(inner) = &obj.value {
                return value_text(inner);
            }
            to_json(value).to_string()
        }
        other => match to_json(other) {
            Value::String(s) => s,
            v => v.to_string(),
        },
    }
}

fn container_items(c: &Container) -> Vec<PsValue> {
    match c {
        Container::List(v)
        | Container::Enumerable(v)
        | Container::Stack(v)
        | Container::Queue(v) => v.clone(),
        Container::Dictionary(entries) => entries
            .iter()
            .map(|(k, v)| PsValue::from(format!("{}={}", value_text(k), value_text(v))))
            .collect(),
    }
}

/// An output object as `Name : Value` lines, names padded to one width; a value without
/// properties as its text.
pub(crate) fn object_text(value: &PsValue) -> String {
    let Some(obj) = value.as_object() else {
        return value_text(value);
    };
    let props: Vec<_> = obj.properties().collect();
    if props.is_empty() {
        return value_text(value);
    }
    let width = props.iter().map(|p| p.name.len()).max().unwrap_or(0);
    let mut out = String::new();
    for p in props {
        out.push_str(&format!("{:width$} : {}\n", p.name, value_text(&p.value)));
    }
    out
}

/// [`object_text`] ending with a newline.
pub(crate) fn object_block(value: &PsValue) -> String {
    let mut text = object_text(value);
    if !text.ends_with('\n') {
        text.push('\n');
    }
    text
}

/// The text of every output object, a blank line between objects.
#[cfg(test)]
fn output_text(result: &CommandResult) -> String {
    result
        .output
        .iter()
        .map(object_block)
        .collect::<Vec<_>>()
        .join("\n")
}

/// An error record as one line: message, then the FullyQualifiedErrorId.
pub(crate) fn error_line(record: &ErrorRecord) -> String {
    let message = record
        .message()
        .or_else(|| record.exception_message())
        .unwrap_or("error without message");
    match record.fully_qualified_error_id() {
        Some(id) => format!("{message} ({id})"),
        None => message.to_owned(),
    }
}

/// The JSON view of an error record: what a script branches on, without the invocation info.
pub(crate) fn error_json(record: &ErrorRecord) -> Value {
    let category = record.category_info().map(|c| {
        json!({
            "category": c.category,
            "activity": c.activity,
            "reason": c.reason,
            "target_name": c.target_name,
            "target_type": c.target_type,
        })
    });
    json!({
        "kind": ErrorKind::of_record(record).as_str(),
        "message": record.message().or_else(|| record.exception_message()),
        "exception_type": record.exception_type(),
        "fully_qualified_error_id": record.fully_qualified_error_id(),
        "category": category,
        "target_object": record.target_object().map(to_json),
        "recommended_action": record.recommended_action(),
    })
}

fn information_json(record: &InformationRecord) -> Value {
    json!({
        "message_data": record.message_data().map(to_json),
        "source": record.source(),
        "tags": record.tags(),
    })
}

fn progress_json(record: &ProgressRecord) -> Value {
    json!({
        "activity": record.activity,
        "activity_id": record.activity_id,
        "status_description": record.status_description,
        "current_operation": record.current_operation,
        "percent_complete": record.percent_complete,
    })
}

/// The `--json` document of a finished command.
pub(crate) fn result_json(result: &CommandResult) -> Value {
    json!({
        "output": result.output.iter().map(to_json).collect::<Vec<_>>(),
        "errors": result.errors.iter().map(error_json).collect::<Vec<_>>(),
        "warnings": result.warnings.iter().map(|w| w.message.clone()).collect::<Vec<_>>(),
        "verbose": result.verbose.iter().map(|w| w.message.clone()).collect::<Vec<_>>(),
        "information": result.information.iter().map(information_json).collect::<Vec<_>>(),
        "progress": result.progress.iter().map(progress_json).collect::<Vec<_>>(),
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use monosync_exchange::clixml::{Property, PsObject, array};
    use monosync_exchange::psrp::messages::InformationalRecord;

    use super::*;

    fn mailbox() -> PsValue {
        PsValue::Object(Arc::new(PsObject {
            adapted: vec![
                Property {
                    name: "Name".into(),
                    value: PsValue::from("Ann"),
                },
                Property {
                    name: "EmailAddresses".into(),
                    value: array([
                        PsValue::from("SMTP:ann@x.com"),
                        PsValue::from("smtp:a@x.com"),
                    ]),
                },
                Property {
                    name: "Quota".into(),
                    value: PsValue::I32(5),
                },
                Property {
                    name: "Manager".into(),
                    value: PsValue::Nil,
                },
            ],
            ..PsObject::default()
        }))
    }

    #[test]
    fn objects_as_name_value_lines() {
        let text = object_text(&mailbox());
        assert_eq!(
            text,
            "Name           : Ann\nEmailAddresses : {SMTP:ann@x.com, smtp:a@x.com}\nQuota          : 5\nManager        : \n"
        );
        let r = CommandResult {
            output: vec![mailbox(), PsValue::from("plain")],
            ..CommandResult::default()
        };
        assert!(output_text(&r).ends_with("Manager        : \n\nplain\n"));
    }

    #[test]
    fn json_document_has_every_stream() {
        let mut r = CommandResult::default();
        r.output.push(mailbox());
        r.warnings
            .push(InformationalRecord::new("Warning", "more results"));
        let doc = result_json(&r);
        assert_eq!(doc["output"][0]["Name"], "Ann");
        assert_eq!(doc["output"][0]["EmailAddresses"][1], "smtp:a@x.com");
        assert_eq!(doc["warnings"][0], "more results");
        for key in ["errors", "verbose", "information", "progress"] {
            assert_eq!(doc[key], json!([]), "{key}");
        }
    }
}
