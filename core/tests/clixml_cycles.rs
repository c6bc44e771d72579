//! Reference cycles as PowerShell writes them: decoding, bounds, JSON, and that nothing walks a
//! cycle forever or leaks it.

use std::sync::Arc;

use monosync_exchange::clixml::{
    ClixmlError, Container, PsValue, from_slice, objects_from_slice, streams_from_slice, to_json,
    to_vec,
};
use serde_json::json;

/// A list that contains itself, as `$a = [Collections.ArrayList]::new(); $a.Add($a)` serializes.
const SELF_LIST: &str = r#"<Obj RefId="0"><TN RefId="0"><T>System.Collections.ArrayList</T></TN><LST><S>x</S><Ref RefId="0" /></LST></Obj>"#;

#[test]
fn a_list_that_contains_itself() {
    let v = from_slice(SELF_LIST.as_bytes()).expect("decodes");
    let items = v.as_list().expect("list");
    let PsValue::BackRef(back) = &items[1] else {
        panic!("{items:?}")
    };
    assert!(back.refers_to(&v.to_object().expect("object")));
    // A list-only object referred back to keeps its items under "$items", to carry "$id".
    assert_eq!(
        to_json(&v),
        json!({
            "$id": 0,
            "$type": ["System.Collections.ArrayList"],
            "$items": ["x", {"$ref": 0}],
        })
    );
    assert_eq!(String::from_utf8(to_vec(&v)).unwrap(), SELF_LIST);
}

#[test]
fn a_dictionary_that_contains_itself() {
    let xml =
        r#"<Obj RefId="0"><DCT><En><S N="Key">me</S><Ref N="Value" RefId="0" /></En></DCT></Obj>"#;
    let v = from_slice(xml.as_bytes()).expect("decodes");
    assert_eq!(
        to_json(&v),
        json!({"$id": 0, "$entries": {"me": {"$ref": 0}}})
    );
}

#[test]
fn a_shared_object_holding_a_back_reference() {
    // B is read inside A and refers back to A; C, outside A, shares B through a plain <Ref>.
    let xml = r#"<Objs><Obj RefId="1"><MS><S N="Name">A</S><Obj N="B" RefId="2"><MS><Ref N="Up" RefId="1" /></MS></Obj></MS></Obj><Obj RefId="3"><MS><Ref N="B" RefId="2" /></MS></Obj></Objs>"#;
    let values = objects_from_slice(xml.as_bytes()).expect("decodes");
    let a = values[0].to_object().expect("A");
    let b_in_c = values[1].property("B").expect("B");
    let Some(PsValue::BackRef(up)) = b_in_c.property("Up") else {
        panic!("{b_in_c:?}")
    };
    assert!(up.refers_to(&a));
    assert_eq!(
        to_json(&values[0]),
        json!({"$id": 1, "Name": "A", "B": {"Up": {"$ref": 1}}})
    );
    assert_eq!(to_json(&values[1]), json!({"B": {"Up": {"$ref": 1}}}));
    // Written on its own, C carries A in full so that the document stands alone.
    let alone = from_slice(&to_vec(&values[1])).expect("decodes");
    assert_eq!(alone, values[1]);
}

#[test]
fn references_to_objects_not_yet_started_are_still_refused() {
    let xml = r#"<Obj RefId="0"><MS><Ref N="Later" RefId="1" /><Obj N="X" RefId="1" /></MS></Obj>"#;
    assert!(matches!(
        from_slice(xml.as_bytes()),
        Err(ClixmlError::MissingRef { ref_id: 1, .. })
    ));
    // Nor may a finished sibling's id be reused by an enclosing object.
    let dup = r#"<Obj RefId="0"><LST><Obj RefId="0" /></LST></Obj>"#;
    assert!(matches!(
        from_slice(dup.as_bytes()),
        Err(ClixmlError::DuplicateRefId { ref_id: 0, .. })
    ));
}

#[test]
fn cyclic_values_are_freed() {
    let v = from_slice(SELF_LIST.as_bytes()).expect("decodes");
    let obj = v.to_object().expect("object");
    let PsValue::BackRef(back) = &v.as_list().expect("list")[1] else {
        panic!()
    };
    let back = back.clone();
    // One owner in `v`, one here: the back-reference owns nothing.
    assert_eq!(Arc::strong_count(&obj), 2);
    drop(v);
    drop(obj);
    assert!(back.object().is_none());
}

#[test]
fn deep_chains_of_back_references_stay_bounded() {
    // Every object refers back to every enclosing one: quadratic in depth, linear in output.
    let depth = 90;
    let mut xml = String::new();
    for i in 0..depth {
        xml.push_str(&format!(r#"<Obj RefId="{i}"><LST>"#));
        for j in 0..=i {
            xml.push_str(&format!(r#"<Ref RefId="{j}" />"#));
        }
    }
    for _ in 0..depth {
        xml.push_str("</LST></Obj>");
    }
    let v = from_slice(xml.as_bytes()).expect("decodes");
    let json = to_json(&v).to_string();
    assert_eq!(json.matches("$ref").count(), depth * (depth + 1) / 2);
    assert_eq!(json.matches("$id").count(), depth);
    assert_eq!(from_slice(&to_vec(&v)).expect("decodes"), v);
    // Beyond the nesting bound, the usual error.
    let too_deep = format!(
        "{}{}",
        r#"<Obj RefId="0"><LST><Ref RefId="0" />"#.repeat(200),
        "</LST></Obj>".repeat(200)
    );
    assert!(matches!(
        from_slice(too_deep.as_bytes()),
        Err(ClixmlError::TooDeep { .. })
    ));
    let _ = Container::List(Vec::new());
}

#[test]
fn the_fuzz_seeds_for_the_new_shapes_decode() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/seeds/clixml");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).expect("seeds") {
        let path = entry.expect("entry").path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if ["cycle-", "progress-", "streams-", "utf16"]
            .iter()
            .any(|p| name.starts_with(p))
        {
            let bytes = std::fs::read(&path).expect("read");
            let values = streams_from_slice(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(!values.is_empty(), "{name}");
            for v in &values {
                let _ = to_json(&v.value);
                assert_eq!(from_slice(&to_vec(&v.value)).expect("re-decodes"), v.value);
            }
            seen += 1;
        }
    }
    assert_eq!(seen, 8);
}

#[test]
fn a_part_kept_after_its_enclosing_object_is_dropped() {
    let xml = r#"<Obj RefId="0"><MS><Obj N="Provider" RefId="1"><MS><Obj N="Drives" RefId="2"><LST><Ref RefId="0" /></LST></Obj></MS></Obj></MS></Obj>"#;
    let drive = from_slice(xml.as_bytes()).expect("decodes");
    let provider = drive.property("Provider").expect("Provider").clone();
    drop(drive);
    // The back-reference names an object that no longer exists: JSON keeps its label, the
    // writer writes a null (never a <Ref> to nothing), and nothing panics.
    assert_eq!(to_json(&provider), json!({"Drives": [{"$ref": 0}]}));
    let written = String::from_utf8(to_vec(&provider)).unwrap();
    assert!(written.contains("<LST><Nil /></LST>"), "{written}");
    assert_eq!(
        from_slice(written.as_bytes())
            .expect("decodes")
            .property("Drives")
            .and_then(PsValue::as_list),
        Some(&[PsValue::Nil][..])
    );
}
