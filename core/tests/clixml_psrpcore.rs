//! CLIXML written by psrpcore, an independent serializer: reference cycles, progress records
//! and stream-tagged values. The fixtures and the script that generated them are in
//! `clixml_psrpcore/`.

use std::path::PathBuf;

use monosync_exchange::clixml::{
    ProgressRecord, ProgressRecordType, PsValue, objects_from_slice, objects_to_vec,
    streams_from_slice, to_json,
};
use serde_json::json;

fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/clixml_psrpcore")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn only(name: &str) -> PsValue {
    let mut values = objects_from_slice(&fixture(name)).expect("decodes");
    assert_eq!(values.len(), 1);
    values.remove(0)
}

#[test]
fn an_object_whose_property_is_itself() {
    let id = only("self_reference.xml");
    let obj = id.to_object().expect("an object");
    let Some(PsValue::BackRef(domain)) = id.property("DomainId") else {
        panic!(
            "DomainId is not a back-reference: {:?}",
            id.property("DomainId")
        )
    };
    assert!(domain.refers_to(&obj));
    assert_eq!(domain.ref_id(), 0);
    let target = domain.object().expect("alive");
    assert_eq!(
        target.property("Name").and_then(PsValue::as_str),
        Some("contoso.com")
    );
    assert_eq!(
        to_json(&id),
        json!({
            "$id": 0,
            "Name": "contoso.com",
            "DomainId": {"$ref": 0},
            "$type": [
                "Deserialized.Microsoft.Exchange.Data.Directory.ADObjectId",
                "Deserialized.System.Object"
            ],
            "$toString": "contoso.com",
        })
    );
    // Written again and read back, the graph is the same; Debug output is finite.
    let again = objects_from_slice(&objects_to_vec(std::slice::from_ref(&id))).expect("decodes");
    assert_eq!(again, vec![id.clone()]);
    assert!(format!("{id:?}").contains("BackRef(RefId 0)"));
}

#[test]
fn a_drive_whose_provider_lists_the_drive() {
    let drive = only("drive_cycle.xml");
    let provider = drive.property("Provider").expect("Provider");
    let drives = provider
        .property("Drives")
        .and_then(PsValue::as_list)
        .expect("Drives");
    let [PsValue::BackRef(back)] = drives else {
        panic!("{drives:?}")
    };
    assert!(back.refers_to(&drive.to_object().expect("object")));
    let json = to_json(&drive);
    assert_eq!(json["$id"], json!(0));
    assert_eq!(json["Provider"]["Drives"], json!([{"$ref": 0}]));
    // Dropping the value frees the whole cycle: the back-reference held no ownership.
    let weak = back.clone();
    drop(drive);
    assert!(weak.object().is_none());
}

#[test]
fn progress_records() {
    let values = objects_from_slice(&fixture("progress.xml")).expect("decodes");
    let expected = vec![
        PsValue::Progress(Box::new(ProgressRecord {
            activity: "Copying <files> & _x0041_".into(),
            activity_id: 3,
            status_description: "3 of 7\r\ndone".into(),
            current_operation: Some("copy a.txt".into()),
            parent_activity_id: 1,
            percent_complete: 42,
            record_type: ProgressRecordType::Processing,
            seconds_remaining: 7,
        })),
        PsValue::Progress(Box::new(ProgressRecord {
            activity: "Preparing modules for first use.".into(),
            activity_id: 0,
            status_description: " ".into(),
            current_operation: None,
            parent_activity_id: -1,
            percent_complete: -1,
            record_type: ProgressRecordType::Completed,
            seconds_remaining: -1,
        })),
    ];
    assert_eq!(values, expected);
    // Our writer produces what psrpcore produces, element for element.
    let ours = String::from_utf8(objects_to_vec(&values)).expect("utf-8");
    let theirs = String::from_utf8(fixture("progress.xml")).expect("utf-8");
    assert_eq!(ours.replace("<SD />", "<SD></SD>"), theirs.trim_end());
    assert_eq!(
        to_json(&values[1]),
        json!({
            "Activity": "Preparing modules for first use.",
            "ActivityId": 0,
            "StatusDescription": " ",
            "CurrentOperation": null,
            "ParentActivityId": -1,
            "PercentComplete": -1,
            "SecondsRemaining": -1,
            "RecordType": "Completed",
            "$type": ["System.Management.Automation.ProgressRecord"],
        })
    );
}

#[test]
fn values_tagged_with_their_stream() {
    let values = streams_from_slice(&fixture("streams.xml")).expect("decodes");
    let streams: Vec<Option<&str>> = values.iter().map(|v| v.stream.as_deref()).collect();
    assert_eq!(
        streams,
        [
            Some("progress"),
            Some("error"),
            Some("warning"),
            Some("output")
        ]
    );
    let record = values[0].value.property("Record").expect("Record");
    assert!(
        matches!(record, PsValue::Progress(p) if p.record_type == ProgressRecordType::Completed)
    );
    assert_eq!(values[1].value.as_str(), Some("boom\r\n"));
    assert_eq!(values[3].value, PsValue::I32(5));
}
