//! Reading `mx doctor --json` reports: a check by its id, its status and its text fields.
// Each test binary that includes this module uses part of it.
#![allow(dead_code)]

use serde_json::Value;

/// The check `id` of the report `doc`.
pub fn check<'a>(doc: &'a Value, id: &str) -> &'a Value {
    doc["checks"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["id"] == id))
        .unwrap_or_else(|| panic!("no check {id} in {doc:#}"))
}

/// The status (`pass`, `warn`, `fail`, ...) of the check `id`.
pub fn status<'a>(doc: &'a Value, id: &str) -> &'a str {
    check(doc, id)["status"].as_str().unwrap_or("")
}

/// The text `field` (`detail`, `fix`) of the check `id`.
pub fn text<'a>(doc: &'a Value, id: &str, field: &str) -> &'a str {
    check(doc, id)[field].as_str().unwrap_or("")
}
